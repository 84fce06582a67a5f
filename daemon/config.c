/*
 * config: the settings table and its parser.
 */
#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http.h"
#include "daemon/log.h"
#include "proto/files.h"

typedef enum { T_STR, T_INT, T_ROLE, T_OWNER, T_LEVEL, T_NETS, T_COUNT, T_SIZE, T_LISTEN } type_t;

typedef struct {
	const char *name;
	type_t type;
	size_t offset, size; /* size: bytes for T_STR */
	long long min, max;  /* bounds for T_INT, T_COUNT and T_SIZE */
	const char *def;     /* NULL: required (for the roles in "need") */
	int need;            /* roles that require it, when def is NULL */
} setting_t;

#define STR(field) offsetof(config_t, field), sizeof(((config_t *)0)->field)
#define INT(field) offsetof(config_t, field), sizeof(int)
#define U64(field) offsetof(config_t, field), sizeof(uint64_t)
#define KIB        1024LL
#define MIB        (1024LL * KIB)
#define GIB        (1024LL * MIB)

static const setting_t settings[] = {
    {"role", T_ROLE, INT(role), 0, 0, NULL, ROLE_NODE | ROLE_HUB},
    {"owner", T_OWNER, STR(owner), 0, 0, NULL, ROLE_NODE | ROLE_HUB},
    {"name", T_STR, STR(name), 0, 0, "", 0},
    {"state_dir", T_STR, STR(state_dir), 0, 0, "/var/lib/linli", 0},
    {"key_file", T_STR, STR(key_file), 0, 0, "/etc/linli/key", 0},
    {"data_key_file", T_STR, STR(data_key_file), 0, 0, "/etc/linli/data_key", 0},
    {"trust_file", T_STR, STR(trust_file), 0, 0, "/etc/linli/trust", 0},
    {"listen", T_STR, STR(listen), 0, 0, NULL, ROLE_HUB},
    {"hub", T_STR, STR(hub), 0, 0, NULL, ROLE_NODE},
    {"control", T_STR, STR(control), 0, 0, "/run/linli/control.sock", 0},
    {"control_group", T_STR, STR(control_group), 0, 0, "", 0},
    {"read_group", T_STR, STR(read_group), 0, 0, "", 0},
    {"heartbeat_ms", T_INT, INT(heartbeat_ms), 100, 60000, "1000", 0},
    {"window", T_INT, INT(window), 1, 1024, "64", 0},
    {"window_kib", T_INT, INT(window_kib), 64, 1048576, "1024", 0},
    {"batch_max", T_INT, INT(batch_max), 1, 4096, "256", 0},
    {"checkpoint_every", T_INT, INT(checkpoint_every), 2, 1000000, "1000", 0},
    {"log_level", T_LEVEL, INT(log_level), 0, 0, "info", 0},
    {"reader_warn_s", T_INT, INT(reader_warn_s), 1, 604800, "600", 0},
    {"handshake_ms", T_INT, INT(handshake_ms), 500, 60000, "5000", 0},
    {"unauth_max", T_INT, INT(unauth_max), 1, 16384, "256", 0},
    {"unauth_per_address", T_INT, INT(unauth_per_address), 1, 16384, "16", 0},
    {"fd_reserve", T_INT, INT(fd_reserve), 16, 65536, "128", 0},
    {"allow_from", T_NETS, STR(allow_from_text), 0, 0, "", 0},
    /* "": the role's (config_read); an address, never a name: what is
     * reachable must not depend on what a resolver says at start. */
    {"http_listen", T_LISTEN, STR(http_listen), 0, 0, "", 0},
    /* Loopback: the pages show a subdistrict's figures; the office LAN is
     * let in by the operator, best through a TLS proxy (linlid.conf(5)). */
    {"http_allow", T_NETS, STR(http_allow_text), 0, 0, "127.0.0.0/8 ::1", 0},
    {"http_password_file", T_STR, STR(http_password_file), 0, 0, "", 0},
    {"claim_expiry_s", T_INT, INT(claim_expiry_s), 1, 86400, "120", 0},
    /* Defaults (README "Quotas"): a community of tens of thousands of
     * households, with years of requests and events, holds about 100,000
     * records of ~250 bytes, some 25 MB; five times that is room to grow
     * and still bounds what one community puts on the others' disks. */
    {"quota_records", T_COUNT, U64(quota_records), 1, 1000000000, "500000", 0},
    {"quota_bytes", T_SIZE, U64(quota_bytes), 64 * KIB, 1024 * GIB, "128M", 0},
    {"quota_log_bytes", T_SIZE, U64(quota_log_bytes), MIB, 1024 * GIB, "256M", 0},
};
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* A count, or a size with an optional K, M, G or T (powers of 1024), into
 * *(uint64_t *)field, within s's bounds. */
static int parse_u64(const setting_t *s, const char *value, void *field, char *why, size_t whylen)
{
	static const char units[] = "KMGT";
	char *end;
	errno = 0;
	unsigned long long v = strtoull(value, &end, 10);
	const char *unit = *end && s->type == T_SIZE ? strchr(units, *end) : NULL;
	if (unit != NULL && end[1] == '\0') {
		for (const char *u = units; u <= unit; u++)
			v = v > ULLONG_MAX / 1024 ? ULLONG_MAX : v * 1024; /* then out of bounds */
		end++;
	}
	if (errno || end == value || *end || value[0] == '-' || v < (unsigned long long)s->min ||
	    v > (unsigned long long)s->max) {
		snprintf(why, whylen, "%s: '%s' is not a %s from %lld to %lld", s->name, value,
		         s->type == T_SIZE ? "size in bytes (K, M, G: KiB, MiB, GiB)" : "number",
		         s->min, s->max);
		return -1;
	}
	*(uint64_t *)field = v;
	return 0;
}

static int set_value(config_t *cfg, const setting_t *s, const char *value, char *why, size_t whylen)
{
	void *field = (char *)cfg + s->offset;
	switch (s->type) {
	case T_STR:
	case T_OWNER:
		if (strlen(value) >= s->size) {
			snprintf(why, whylen, "%s: longer than %zu bytes", s->name, s->size - 1);
			return -1;
		}
		/* Names and paths end up in logs, status and replies. */
		if (!linli_text_valid(value, s->size - 1)) {
			snprintf(why, whylen, "%s: not valid UTF-8 text", s->name);
			return -1;
		}
		if (s->type == T_OWNER && !linli_owner_valid(value)) {
			snprintf(why, whylen,
			         "owner: '%s' is not a 9-digit subdistrict or 12-digit community "
			         "code",
			         value);
			return -1;
		}
		snprintf(field, s->size, "%s", value);
		return 0;
	case T_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < s->min || v > s->max) {
			snprintf(why, whylen, "%s: '%s' is not a number from %lld to %lld", s->name,
			         value, s->min, s->max);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	}
	case T_COUNT:
	case T_SIZE:
		return parse_u64(s, value, field, why, whylen);
	case T_ROLE:
		if (strcmp(value, "node") == 0)
			*(int *)field = ROLE_NODE;
		else if (strcmp(value, "hub") == 0)
			*(int *)field = ROLE_HUB;
		else {
			snprintf(why, whylen, "role: '%s' is not node or hub", value);
			return -1;
		}
		return 0;
	case T_LISTEN: {
		char bad[192];
		struct sockaddr_storage sa;
		socklen_t salen;
		if (strlen(value) >= s->size) {
			snprintf(why, whylen, "%s: longer than %zu bytes", s->name, s->size - 1);
			return -1;
		}
		if (value[0] != '\0' && strcmp(value, "off") != 0 &&
		    addr_port_parse(value, &sa, &salen, bad, sizeof(bad)) != 0) {
			snprintf(why, whylen, "%s: %s, or off", s->name, bad);
			return -1;
		}
		snprintf(field, s->size, "%s", value);
		return 0;
	}
	case T_NETS: {
		char bad[192];
		if (strlen(value) >= s->size) {
			snprintf(why, whylen, "%s: longer than %zu bytes", s->name, s->size - 1);
			return -1;
		}
		addrset_t *nets = s->offset == offsetof(config_t, http_allow_text)
		                      ? &cfg->http_allow
		                      : &cfg->allow_from;
		if (addrset_parse(nets, value, bad, sizeof(bad)) != 0) {
			snprintf(why, whylen, "%s: %s", s->name, bad);
			return -1;
		}
		snprintf(field, s->size, "%s", value);
		return 0;
	}
	case T_LEVEL: {
		int level = log_level_parse(value);
		if (level < 0) {
			snprintf(why, whylen,
			         "log_level: '%s' is not error, warning, info or debug", value);
			return -1;
		}
		*(int *)field = level;
		return 0;
	}
	}
	return -1;
}

/* "quota_records.CODE = N" (or quota_bytes, quota_log_bytes): one
 * community's quota.  1 if name is one (set, or -1 with why), 0 if not. */
static int quota_override(config_t *cfg, const char *name, const char *value, char *why,
                          size_t whylen)
{
	const char *dot = strchr(name, '.');
	size_t i = 0;
	while (i < NSETTINGS &&
	       (dot == NULL || strncmp(settings[i].name, name, (size_t)(dot - name)) != 0 ||
	        settings[i].name[dot - name] != '\0' ||
	        strncmp(settings[i].name, "quota_", 6) != 0))
		i++;
	if (i == NSETTINGS)
		return 0;
	const char *owner = dot + 1;
	if (!linli_owner_valid(owner) || strlen(owner) != 12) {
		snprintf(why, whylen, "%.40s: '%.20s' is not a 12-digit community code",
		         settings[i].name, owner);
		return -1;
	}
	size_t k = 0;
	while (k < cfg->nquotas && strcmp(cfg->quotas[k].owner, owner) != 0)
		k++;
	if (k == cfg->nquotas) {
		if (k == CONFIG_QUOTAS_MAX) {
			snprintf(why, whylen, "quotas of their own for more than %d communities",
			         CONFIG_QUOTAS_MAX);
			return -1;
		}
		memset(&cfg->quotas[k], 0, sizeof(cfg->quotas[k]));
		snprintf(cfg->quotas[k].owner, sizeof(cfg->quotas[k].owner), "%s", owner);
		cfg->nquotas++;
	}
	config_quota_t *c = &cfg->quotas[k];
	/* The same place in a community's entry as in config_t. */
	uint64_t *field = settings[i].offset == offsetof(config_t, quota_records) ? &c->records
	                  : settings[i].offset == offsetof(config_t, quota_bytes) ? &c->bytes
	                                                                          : &c->log_bytes;
	if (*field != 0) {
		snprintf(why, whylen, "'%.60s' is set twice", name);
		return -1;
	}
	setting_t named = settings[i];
	named.name = name;
	return parse_u64(&named, value, field, why, whylen) == 0 ? 1 : -1;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int config_read(config_t *cfg, FILE *f, const char *path, char *err, size_t errlen)
{
	char line[1024], why[LINLI_ERR_MAX];
	int seen[NSETTINGS] = {0};
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NSETTINGS; i++)
		if (settings[i].def)
			set_value(cfg, &settings[i], settings[i].def, why, sizeof(why));

	int lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line longer than %zu bytes", path, lineno,
			         sizeof(line) - 2);
			return -1;
		}
		char *p = trim(line);
		if (*p == '\0' || *p == '#')
			continue;
		char *eq = strchr(p, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected 'name = value', got '%.60s'", path,
			         lineno, p);
			return -1;
		}
		*eq = '\0';
		char *name = trim(p), *value = trim(eq + 1);
		size_t i = 0;
		while (i < NSETTINGS && strcmp(settings[i].name, name) != 0)
			i++;
		int q = quota_override(cfg, name, value, why, sizeof(why));
		if (q < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			return -1;
		}
		if (q > 0)
			continue;
		if (i == NSETTINGS) {
			snprintf(err, errlen, "%s:%d: unknown setting '%.60s'", path, lineno, name);
			return -1;
		}
		if (seen[i]++) {
			snprintf(err, errlen, "%s:%d: '%s' is set twice", path, lineno, name);
			return -1;
		}
		if (set_value(cfg, &settings[i], value, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			return -1;
		}
	}
	if (cfg->role == 0) {
		snprintf(err, errlen, "%s: 'role' (node or hub) is required", path);
		return -1;
	}
	/* Given empty, a required setting is as good as missing. */
	for (size_t i = 0; i < NSETTINGS; i++)
		if ((!seen[i] || ((char *)cfg + settings[i].offset)[0] == '\0') &&
		    !settings[i].def && (settings[i].need & (int)cfg->role)) {
			snprintf(err, errlen, "%s: '%s' is required for a %s", path,
			         settings[i].name, cfg->role == ROLE_HUB ? "hub" : "node");
			return -1;
		}
	if (cfg->http_listen[0] == '\0')
		snprintf(cfg->http_listen, sizeof(cfg->http_listen), "%s",
		         cfg->role == ROLE_HUB ? HTTP_HUB_DEFAULT : "off");
	if (cfg->role == ROLE_HUB && strlen(cfg->owner) != 9) {
		snprintf(err, errlen, "%s: a hub's owner is the 9-digit subdistrict code", path);
		return -1;
	}
	if (cfg->role == ROLE_NODE && strlen(cfg->owner) != 12) {
		snprintf(err, errlen, "%s: a node's owner is its 12-digit community code", path);
		return -1;
	}
	return 0;
}

int config_load(config_t *cfg, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	/* What names every other file linlid trusts must be one no one else
	 * could have changed, and must not hang the start if it is a FIFO. */
	if (linli_file_read("config", path, CONFIG_FILE_MAX, &text, &len, NULL, err, errlen) != 0)
		return -1;
	FILE *f = fmemopen(text, len, "r");
	if (f == NULL) {
		snprintf(err, errlen, "config %s: %s", path, strerror(errno));
		free(text);
		return -1;
	}
	int rc = config_read(cfg, f, path, err, errlen);
	fclose(f);
	free(text);
	return rc;
}

void config_print(const config_t *cfg, FILE *out)
{
	static const char *const levels[] = {"error", "warning", "info", "debug"};
	for (size_t i = 0; i < NSETTINGS; i++) {
		const setting_t *s = &settings[i];
		const void *field = (const char *)cfg + s->offset;
		switch (s->type) {
		case T_STR:
		case T_OWNER:
		case T_NETS:
		case T_LISTEN:
			fprintf(out, "%s = %s\n", s->name, (const char *)field);
			break;
		case T_INT:
			fprintf(out, "%s = %d\n", s->name, *(const int *)field);
			break;
		case T_ROLE:
			fprintf(out, "%s = %s\n", s->name,
			        *(const int *)field == ROLE_HUB ? "hub" : "node");
			break;
		case T_LEVEL:
			fprintf(out, "%s = %s\n", s->name, levels[*(const int *)field]);
			break;
		case T_COUNT:
		case T_SIZE:
			fprintf(out, "%s = %llu\n", s->name,
			        (unsigned long long)*(const uint64_t *)field);
			break;
		}
	}
	for (size_t i = 0; i < cfg->nquotas; i++) {
		const config_quota_t *c = &cfg->quotas[i];
		const char *names[] = {"quota_records", "quota_bytes", "quota_log_bytes"};
		const uint64_t values[] = {c->records, c->bytes, c->log_bytes};
		for (size_t k = 0; k < 3; k++)
			if (values[k] != 0)
				fprintf(out, "%s.%s = %llu\n", names[k], c->owner,
				        (unsigned long long)values[k]);
	}
}
