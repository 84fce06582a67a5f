/*
 * addrset: networks as the operator writes them, and matching against them.
 */
#include "daemon/addrset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4(const uint8_t ip[ADDR_LEN])
{
	return memcmp(ip, v4_prefix, sizeof(v4_prefix)) == 0;
}

/* Whether ip's first bits equal net's. */
static bool in_net(const addrnet_t *net, const uint8_t ip[ADDR_LEN])
{
	unsigned whole = net->bits / 8, rest = net->bits % 8;
	if (memcmp(ip, net->ip, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (ip[whole] & mask) == net->ip[whole];
}

/* One entry, NUL-terminated, into net. */
static int parse_one(addrnet_t *net, char *word, char *err, size_t errlen)
{
	char *slash = strchr(word, '/'), text[ADDR_TEXT * 2];
	snprintf(text, sizeof(text), "%s", word);
	if (slash != NULL)
		*slash = '\0';
	struct in_addr a4;
	struct in6_addr a6;
	unsigned max;
	memset(net, 0, sizeof(*net));
	if (inet_pton(AF_INET, word, &a4) == 1) {
		memcpy(net->ip, v4_prefix, sizeof(v4_prefix));
		memcpy(net->ip + 12, &a4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, word, &a6) == 1) {
		memcpy(net->ip, &a6, ADDR_LEN);
		max = 128;
	} else {
		snprintf(err, errlen, "'%.60s' is not an IPv4 or IPv6 address or network", text);
		return -1;
	}
	unsigned long bits = max;
	if (slash != NULL) {
		char *end;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || slash[1] == '-' || slash[1] == '+' ||
		    bits > max) {
			snprintf(err, errlen,
			         "'%.60s': the prefix length is not a number from 0 to %u", text,
			         max);
			return -1;
		}
	}
	net->bits = (uint8_t)(bits + (max == 32 ? 96 : 0));
	/* Host bits set are a typo more often than not (10.0.6.1/24): say so. */
	addrnet_t masked = *net;
	unsigned whole = masked.bits / 8, rest = masked.bits % 8;
	if (whole < ADDR_LEN) {
		masked.ip[whole] &= (uint8_t)(rest ? 0xff << (8 - rest) : 0);
		memset(masked.ip + whole + 1, 0, ADDR_LEN - whole - 1);
	}
	if (memcmp(masked.ip, net->ip, ADDR_LEN) != 0) {
		char fixed[ADDR_TEXT];
		addr_text(masked.ip, fixed);
		snprintf(err, errlen, "'%.60s' has host bits set (the network is %s/%lu)", text,
		         fixed, bits);
		return -1;
	}
	return 0;
}

int addrset_parse(addrset_t *s, const char *text, char *err, size_t errlen)
{
	char word[ADDR_TEXT * 2];
	memset(s, 0, sizeof(*s));
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, " \t,");
		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(word)) {
			snprintf(err, errlen,
			         "'%.40s...' is not an IPv4 or IPv6 address or network", p);
			return -1;
		}
		if (s->n == ADDRSET_MAX) {
			snprintf(err, errlen, "more than %d networks", ADDRSET_MAX);
			return -1;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		if (parse_one(&s->net[s->n], word, err, errlen) != 0) {
			memset(s, 0, sizeof(*s));
			return -1;
		}
		s->n++;
		p += len;
	}
	return 0;
}

bool addrset_has(const addrset_t *s, const uint8_t ip[ADDR_LEN])
{
	for (size_t i = 0; i < s->n; i++)
		if (in_net(&s->net[i], ip))
			return true;
	return false;
}

int addr_of(const struct sockaddr *sa, uint8_t ip[ADDR_LEN], uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		memcpy(ip, v4_prefix, sizeof(v4_prefix));
		memcpy(ip + 12, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(ip, &in6->sin6_addr, ADDR_LEN);
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

void addr_text(const uint8_t ip[ADDR_LEN], char out[ADDR_TEXT])
{
	if (is_v4(ip) ? inet_ntop(AF_INET, ip + 12, out, ADDR_TEXT) == NULL
	              : inet_ntop(AF_INET6, ip, out, ADDR_TEXT) == NULL)
		snprintf(out, ADDR_TEXT, "?");
}

int addr_port_parse(const char *text, struct sockaddr_storage *sa, socklen_t *salen, char *err,
                    size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	memset(sa, 0, sizeof(*sa));
	*salen = 0;
	const char *colon = strrchr(text, ':');
	char *end;
	errno = 0;
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	size_t hlen = colon ? (size_t)(colon - text) : 0;
	if (colon == NULL || errno || end == colon + 1 || *end || port == 0 || port > 65535 ||
	    hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, "'%.80s' is not ADDRESS:PORT or [IPV6]:PORT", text);
		return -1;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1) {
			v6->sin6_family = AF_INET6;
			v6->sin6_port = htons((uint16_t)port);
			*salen = sizeof(*v6);
			return 0;
		}
	} else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*v4);
		return 0;
	}
	snprintf(err, errlen,
	         "'%.80s': the address is not an IPv4 address or an IPv6 one in brackets "
	         "(names are not looked up)",
	         text);
	return -1;
}
