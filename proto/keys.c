/*
 * keys: Ed25519 keys in sodium-guarded memory.
 */
#include "proto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct linli_key {
	uint8_t pub[crypto_sign_PUBLICKEYBYTES];
	uint8_t *secret; /* sodium_malloc'd crypto_sign_SECRETKEYBYTES */
};

int linli_crypto_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

void linli_hex(const uint8_t *in, size_t len, char *out)
{
	sodium_bin2hex(out, len * 2 + 1, in, len);
}

int linli_unhex(const char *hex, uint8_t *out, size_t len)
{
	size_t got = 0;
	const char *end = NULL;
	if (hex == NULL || strlen(hex) != len * 2)
		return -1;
	if (sodium_hex2bin(out, len, hex, len * 2, NULL, &got, &end) != 0 || got != len ||
	    *end != '\0')
		return -1;
	return 0;
}

static linli_key_t *key_from_seed(const uint8_t seed[crypto_sign_SEEDBYTES])
{
	linli_key_t *key = calloc(1, sizeof(*key));
	if (key == NULL)
		return NULL;
	key->secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (key->secret == NULL) {
		free(key);
		return NULL;
	}
	crypto_sign_seed_keypair(key->pub, key->secret, seed);
	sodium_mprotect_readonly(key->secret);
	return key;
}

int linli_key_load(linli_key_t **out, const char *path, char *err, size_t errlen)
{
	/* Room for the hex seed, a newline and one byte that says "too long". */
	char text[crypto_sign_SEEDBYTES * 2 + 3];
	uint8_t *seed = NULL;
	struct stat st;
	ssize_t n = -1;
	int rc = -1;
	*out = NULL;

	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		         "key file %s: mode %03o lets others read it; chmod 600 it (and make a "
		         "new key if others may have read it)",
		         path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		goto out;
	}
	text[n] = '\0';
	/* One line of hex and nothing after it: anything else is not our file. */
	size_t hexlen = strcspn(text, "\r\n");
	if (text[hexlen] != '\0' && text[hexlen + strspn(text + hexlen, "\r\n")] != '\0')
		hexlen = 0;
	text[hexlen] = '\0';
	seed = sodium_malloc(crypto_sign_SEEDBYTES);
	if (seed == NULL || linli_unhex(text, seed, crypto_sign_SEEDBYTES) != 0) {
		snprintf(err, errlen, "key file %s: expected %d hex digits on one line", path,
		         crypto_sign_SEEDBYTES * 2);
		goto out;
	}
	*out = key_from_seed(seed);
	if (*out == NULL) {
		snprintf(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	sodium_free(seed);
	close(fd);
	return rc;
}

/* Durable create: temp file, fsync, rename, fsync of the directory. */
int linli_key_generate(const char *path, uint8_t pub[LINLI_PUB_LEN], char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	char hex[crypto_sign_SEEDBYTES * 2 + 2];
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	int fd = -1, rc = -1;
	linli_key_t *key = NULL;

	if (seed == NULL || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "key file %s: path too long or out of memory", path);
		goto out;
	}
	randombytes_buf(seed, crypto_sign_SEEDBYTES);
	linli_hex(seed, crypto_sign_SEEDBYTES, hex);
	strcat(hex, "\n");
	unlink(tmp); /* left over from a crash: never holds a key in use */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "key file %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0) {
		snprintf(err, errlen, "key file %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (link(tmp, path) != 0) { /* link, not rename: never replace an existing key */
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
	snprintf(dir, sizeof(dir), "%s", path);
	int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	key = key_from_seed(seed);
	if (key == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(pub, key->pub, LINLI_PUB_LEN);
	rc = 0;
out:
	linli_key_destroy(&key);
	sodium_memzero(hex, sizeof(hex));
	sodium_free(seed);
	if (fd >= 0)
		close(fd);
	return rc;
}

void linli_key_destroy(linli_key_t **key)
{
	if (key == NULL || *key == NULL)
		return;
	sodium_free((*key)->secret); /* wipes before freeing */
	free(*key);
	*key = NULL;
}

const uint8_t *linli_key_pub(const linli_key_t *key)
{
	return key->pub;
}

uint8_t *linli_key_curve_secret(const linli_key_t *key)
{
	uint8_t *out = sodium_malloc(crypto_scalarmult_curve25519_BYTES);
	if (out != NULL && crypto_sign_ed25519_sk_to_curve25519(out, key->secret) != 0)
		linli_secret_free(&out);
	return out;
}

void linli_secret_free(uint8_t **secret)
{
	sodium_free(*secret); /* wipes before freeing */
	*secret = NULL;
}

int linli_curve_pub(const uint8_t pub[LINLI_PUB_LEN], uint8_t out[LINLI_PUB_LEN])
{
	return crypto_sign_ed25519_pk_to_curve25519(out, pub) == 0 ? 0 : -1;
}

int linli_key_sign(const linli_key_t *key, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	return crypto_sign_detached(sig, NULL, msg, len, key->secret);
}

int linli_verify(const uint8_t pub[LINLI_PUB_LEN], const uint8_t *msg, size_t len,
                 const uint8_t sig[64])
{
	return crypto_sign_verify_detached(sig, msg, len, pub) == 0 ? 0 : -1;
}
