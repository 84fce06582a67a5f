/*
 * cmd_keygen: keygen FILE.  Needs no daemon: run it before the first start.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/ctl.h"
#include "proto/keys.h"

int cmd_keygen(ctl_t *ctl, int argc, char **argv)
{
	struct stat st;
	uint8_t pub[LINLI_PUB_LEN];
	char hex[2 * LINLI_PUB_LEN + 1], err[LINLI_ERR_MAX];
	if (argc != 1)
		return ctl_usage(ctl, "keygen takes one file name");
	const char *path = argv[0];
	/* A community's key is its identity to the hub: overwriting it by
	 * accident would orphan everything it signed. */
	if (lstat(path, &st) == 0)
		return ctl_fail("%s exists; not overwriting a key", path);
	if (errno != ENOENT)
		return ctl_fail("%s: %s", path, strerror(errno));
	if (linli_crypto_init() != 0)
		return ctl_fail("cannot initialise libsodium");
	if (linli_key_generate(path, pub, err, sizeof(err)) != 0)
		return ctl_fail("%s", err);
	linli_hex(pub, sizeof(pub), hex);
	if (ctl->json)
		printf("{\"pubkey\":\"%s\"}\n", hex);
	else
		printf("%s\n", hex);
	return CTL_OK;
}
