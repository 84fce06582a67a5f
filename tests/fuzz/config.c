/*
 * config: linlid's settings file (config_read).
 *
 * Properties: a refusal names the file and says why; an accepted file
 * gives a role, an owner code of that role, every number within its
 * bounds (a community's own quotas too) and every setting the role
 * requires; and what `linlid -n -v`
 * prints of it reads back to the same settings.
 */
#include <string.h>

#include "daemon/config.h"
#include "tests/fuzz/fuzz.h"

#define NAME "fuzz.conf"

static int read_buf(config_t *cfg, const void *data, size_t size, char *err, size_t errlen)
{
	/* An empty file is an empty buffer; fmemopen wants at least a byte. */
	FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	FUZZ_CHECK(f != NULL);
	int rc = config_read(cfg, f, NAME, err, errlen);
	fclose(f);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	config_t cfg, again;
	char err[LINLI_ERR_MAX + 64] = "";
	if (read_buf(&cfg, data, size, err, sizeof(err)) != 0) {
		FUZZ_CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0 && err[strlen(NAME) + 1]);
		return 0;
	}
	FUZZ_CHECK(cfg.role == ROLE_NODE || cfg.role == ROLE_HUB);
	FUZZ_CHECK(linli_owner_valid(cfg.owner));
	FUZZ_CHECK(strlen(cfg.owner) == (cfg.role == ROLE_HUB ? 9u : 12u));
	FUZZ_CHECK(cfg.role == ROLE_HUB ? cfg.listen[0] != '\0' : cfg.hub[0] != '\0');
	FUZZ_CHECK(cfg.heartbeat_ms >= 100 && cfg.heartbeat_ms <= 60000);
	FUZZ_CHECK(cfg.window >= 1 && cfg.window <= 1024);
	FUZZ_CHECK(cfg.window_kib >= 64 && cfg.window_kib <= 1048576);
	FUZZ_CHECK(cfg.batch_max >= 1 && cfg.batch_max <= 4096);
	FUZZ_CHECK(cfg.log_level >= 0 && cfg.log_level <= 3);
	FUZZ_CHECK(cfg.handshake_ms >= 500 && cfg.handshake_ms <= 60000);
	FUZZ_CHECK(cfg.unauth_max >= 1 && cfg.unauth_per_address >= 1 && cfg.fd_reserve >= 16);
	FUZZ_CHECK(cfg.allow_from.n <= ADDRSET_MAX);
	for (size_t i = 0; i < cfg.allow_from.n; i++) {
		/* Every network matches its own address. */
		FUZZ_CHECK(cfg.allow_from.net[i].bits <= 128);
		FUZZ_CHECK(addrset_has(&cfg.allow_from, cfg.allow_from.net[i].ip));
	}
	FUZZ_CHECK(cfg.quota_records >= 1 && cfg.quota_bytes >= 65536 &&
	           cfg.quota_log_bytes >= 1048576);
	FUZZ_CHECK(cfg.nquotas <= CONFIG_QUOTAS_MAX);
	for (size_t i = 0; i < cfg.nquotas; i++)
		FUZZ_CHECK(
		    strlen(cfg.quotas[i].owner) == 12 && linli_owner_valid(cfg.quotas[i].owner) &&
		    (cfg.quotas[i].records || cfg.quotas[i].bytes || cfg.quotas[i].log_bytes));

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	FUZZ_CHECK(out != NULL);
	config_print(&cfg, out);
	fclose(out);
	if (read_buf(&again, text, len, err, sizeof(err)) != 0)
		fuzz_fail(__FILE__, __LINE__, err);
	FUZZ_CHECK(memcmp(&cfg, &again, sizeof(cfg)) == 0);
	free(text);
	return 0;
}
