/*
 * cmd_keygen: keygen FILE, keygen --data FILE, and pubkey FILE (the public
 * key of a key file, when the one keygen printed is lost).  Need no daemon:
 * run them before the first start.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"
#include "proto/keys.h"

static void print_pub(const ctl_t *ctl, const uint8_t pub[LINLI_PUB_LEN])
{
	char hex[2 * LINLI_PUB_LEN + 1];
	linli_hex(pub, LINLI_PUB_LEN, hex);
	if (ctl->json)
		printf("{\"pubkey\":\"%s\"}\n", hex);
	else
		printf("%s\n", hex);
}

int cmd_keygen(ctl_t *ctl, int argc, char **argv)
{
	struct stat st;
	uint8_t pub[LINLI_PUB_LEN];
	char err[LINLI_ERR_MAX];
	bool data = argc == 2 && strcmp(argv[0], "--data") == 0;
	if (argc != 1 && !data)
		return ctl_usage(ctl, "keygen takes one file name, or --data and one file name");
	const char *path = argv[data ? 1 : 0];
	if (path[0] == '-')
		return ctl_usage(ctl, "unknown option '%s'", path);
	/* A community's key is its identity to the hub, and a data key is the
	 * only way into its database: overwriting either by accident would
	 * orphan everything it signed or sealed. */
	if (lstat(path, &st) == 0)
		return ctl_fail("%s exists; not overwriting a key", path);
	if (errno != ENOENT)
		return ctl_fail("%s: %s", path, strerror(errno));
	if (linli_crypto_init() != 0)
		return ctl_fail("cannot initialise libsodium");
	if (data) {
		if (linli_data_key_generate(path, err, sizeof(err)) != 0)
			return ctl_fail("%s", err);
		/* Nothing public to print; say what the file is for. */
		static const char note[] = N_("keep a copy apart from the database's backups: "
		                              "without it the database cannot be read");
		const char *names[] = {"data_key_file", "note"};
		const char *values[] = {path, ctl->json ? note : _(note)};
		for (size_t i = 0; !ctl->json && i < 2; i++)
			names[i] = names_status(names[i]);
		out_pairs(stdout, names, values, 2, ctl->json);
		return CTL_OK;
	}
	if (linli_key_generate(path, pub, err, sizeof(err)) != 0)
		return ctl_fail("%s", err);
	print_pub(ctl, pub);
	return CTL_OK;
}

int cmd_pubkey(ctl_t *ctl, int argc, char **argv)
{
	linli_key_t *key = NULL;
	char err[LINLI_ERR_MAX];
	if (argc != 1)
		return ctl_usage(ctl, "pubkey takes one key file");
	if (argv[0][0] == '-')
		return ctl_usage(ctl, "unknown option '%s'", argv[0]);
	if (linli_crypto_init() != 0)
		return ctl_fail("cannot initialise libsodium");
	/* A data key file reads the same (32 secret bytes): what it gives
	 * matches no line of a trust file. */
	if (linli_key_load(&key, argv[0], err, sizeof(err)) != 0)
		return ctl_fail("%s", err);
	print_pub(ctl, linli_key_pub(key));
	linli_key_destroy(&key);
	return CTL_OK;
}
