/*
 * addrset: a list of IPv4 and IPv6 networks, read from the operator's text
 * ("10.0.6.0/24 10.0.7.5 2001:db8:6::/48"), and whether an address is in it.
 *
 * Addresses are kept as 16 bytes, IPv4 in its IPv4-mapped IPv6 form
 * (::ffff:a.b.c.d), so that an IPv4 peer matches an IPv4 network whether
 * it came to an IPv4 socket or, mapped, to a dual-stack one.
 */
#ifndef LINLID_ADDRSET_H
#define LINLID_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDRSET_MAX 64 /* networks in one list */
#define ADDR_LEN    16
#define ADDR_TEXT   64 /* an address as text, with its NUL */

typedef struct {
	uint8_t ip[ADDR_LEN]; /* the network, its host bits zero */
	uint8_t bits;         /* its prefix length over the 128 bits */
} addrnet_t;

typedef struct {
	addrnet_t net[ADDRSET_MAX];
	size_t n; /* 0: the list is empty */
} addrset_t;

/* Reads text: networks (ADDRESS or ADDRESS/BITS) separated by spaces or
 * commas; empty text gives an empty list.  -1 with the reason in err (the
 * bad entry quoted: "'10.0.6.1/24' has host bits set: 10.0.6.0/24?"); s is
 * fully written either way, so equal texts give equal lists. */
int addrset_parse(addrset_t *s, const char *text, char *err, size_t errlen);
/* Whether ip (16 bytes, as addr_of gives it) is in one of s's networks. */
bool addrset_has(const addrset_t *s, const uint8_t ip[ADDR_LEN]);
/* The address (16 bytes, IPv4 mapped) and port of an AF_INET or AF_INET6
 * socket address; -1 for another family. */
int addr_of(const struct sockaddr *sa, uint8_t ip[ADDR_LEN], uint16_t *port);
/* ip as text: IPv4 (mapped ones too) dotted, IPv6 as inet_ntop gives it. */
void addr_text(const uint8_t ip[ADDR_LEN], char out[ADDR_TEXT]);
/* "A.B.C.D:PORT" or "[IPV6]:PORT" (an address, never a name: what a
 * daemon listens on must not depend on a resolver) into *sa, *salen.  -1
 * with the reason in err. */
int addr_port_parse(const char *text, struct sockaddr_storage *sa, socklen_t *salen, char *err,
                    size_t errlen);

#endif
