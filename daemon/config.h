/*
 * config: linlid's settings, read from a "name = value" file.
 *
 * One table holds every setting with its bounds and default (see
 * config.c); deploy/node.conf and deploy/hub.conf explain each one.  Unknown names, values out of
 * bounds and missing required settings are refused with file:line.
 */
#ifndef LINLID_CONFIG_H
#define LINLID_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "daemon/addrset.h"
#include "proto/record.h"

#define CONFIG_PATH_MAX   512
#define CONFIG_FILE_MAX   (256 << 10) /* bytes in a config file, comments included */
#define CONFIG_PATH_MAX   512
#define CONFIG_QUOTAS_MAX 64 /* communities with a quota of their own */

/* Hub: one community's quota where it is not the default (0: the default). */
typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint64_t records, bytes, log_bytes;
} config_quota_t;

typedef enum { ROLE_NODE = 1, ROLE_HUB = 2 } role_t;

typedef struct {
	role_t role;
	char owner[LINLI_OWNER_MAX + 1];
	char name[128];
	char state_dir[CONFIG_PATH_MAX];
	char key_file[CONFIG_PATH_MAX];
	char data_key_file[CONFIG_PATH_MAX];
	char trust_file[CONFIG_PATH_MAX];
	char listen[CONFIG_PATH_MAX]; /* hub: ZeroMQ endpoint to bind */
	char hub[CONFIG_PATH_MAX];    /* node: ZeroMQ endpoint of the hub */
	char control[CONFIG_PATH_MAX];
	char control_group[64];
	char read_group[64]; /* may use the control socket to read only */
	int heartbeat_ms;
	int window;
	int window_kib;
	int batch_max;
	int checkpoint_every;
	int log_level;
	int reader_warn_s; /* another process's read transaction held longer is a problem */
	/* hub: what a link connection may hold before it authenticates (linkgate.h) */
	int handshake_ms;           /* its CURVE handshake must end within this */
	int unauth_max;             /* connections in their handshake, in all */
	int unauth_per_address;     /* the same, per source address (IPv6: per /64) */
	int fd_reserve;             /* descriptors link connections may not take */
	char allow_from_text[1000]; /* allow_from as written ("": any address) */
	addrset_t allow_from;       /* the same, read */
	/* The HTTP endpoint (http.h): "HOST:PORT", "[IPV6]:PORT" or "off"
	 * (the role's default when not set: hub 127.0.0.1:7480, node off); the
	 * networks it answers; the file of its users' password hashes ("":
	 * none asked). */
	char http_listen[CONFIG_PATH_MAX];
	char http_allow_text[1000];
	addrset_t http_allow;
	char http_password_file[CONFIG_PATH_MAX];
	/* hub: a node's claim about the hub's own log, unproven this long, is dropped */
	int claim_expiry_s;
	/* Hub: what each community may hold (quota.h), and communities'
	 * own ("quota_bytes.CODE = ..."). */
	uint64_t quota_records, quota_bytes, quota_log_bytes;
	config_quota_t quotas[CONFIG_QUOTAS_MAX];
	size_t nquotas;
} config_t;

/* Reads path into cfg (defaults first): a file opened as linli_file_open
 * opens what linli trusts (proto/files.h), of at most CONFIG_FILE_MAX
 * bytes.  On error returns -1 with the reason ("file:line: ...") in err. */
int config_load(config_t *cfg, const char *path, char *err, size_t errlen);
/* The same from an open file; path only names it in messages. */
int config_read(config_t *cfg, FILE *f, const char *path, char *err, size_t errlen);
/* Prints every setting, normalised (linlid -n -v). */
void config_print(const config_t *cfg, FILE *out);

#endif
