/*
 * keys: Ed25519 keys in sodium-guarded memory.
 */
#include "proto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/files.h"

_Static_assert(LINLI_SECRET_LEN == crypto_sign_SEEDBYTES, "a seed is a secret");

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

#define KEY_FILE_MAX 4096 /* a key file is one line of hex */

/* The 32 secret bytes of a key file (what: "key file", "data key file")
 * into secret: one line of hex in a regular file only its owner can read,
 * opened as linli_file_open opens what linli trusts. */
static int secret_read(const char *path, const char *what, uint8_t secret[LINLI_SECRET_LEN],
                       char *err, size_t errlen)
{
	/* Room for the hex, a newline and one byte that says "too long". */
	char text[LINLI_SECRET_LEN * 2 + 3];
	struct stat st;
	ssize_t n = -1;
	int fd, rc = -1;

	if (linli_file_open(what, path, KEY_FILE_MAX, &fd, &st, err, errlen) != 0)
		return -1;
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen,
		         "%s %s: mode %03o lets others read it; chmod 600 it (and make a "
		         "new key if others may have read it)",
		         what, path, (unsigned)(st.st_mode & 0777));
		goto out;
	}
	while ((n = read(fd, text, sizeof(text) - 1)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		goto out;
	}
	text[n] = '\0';
	/* One line of hex and nothing after it: anything else is not our file. */
	size_t hexlen = strcspn(text, "\r\n");
	if (text[hexlen] != '\0' && text[hexlen + strspn(text + hexlen, "\r\n")] != '\0')
		hexlen = 0;
	text[hexlen] = '\0';
	if (linli_unhex(text, secret, LINLI_SECRET_LEN) != 0) {
		snprintf(err, errlen, "%s %s: expected %d hex digits on one line", what, path,
		         LINLI_SECRET_LEN * 2);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

/* Writes a new random secret to path (mode 0600) and leaves it in secret;
 * never replaces an existing file. */
static int secret_generate(const char *path, const char *what, uint8_t secret[LINLI_SECRET_LEN],
                           char *err, size_t errlen)
{
	char hex[LINLI_SECRET_LEN * 2 + 2];
	const linli_write_t how = {.mode = 0600, .uid = LINLI_NO_UID, .gid = (gid_t)-1};
	randombytes_buf(secret, LINLI_SECRET_LEN);
	linli_hex(secret, LINLI_SECRET_LEN, hex);
	strcat(hex, "\n");
	int rc = linli_file_write(what, path, hex, strlen(hex), &how, err, errlen);
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

int linli_key_load(linli_key_t **out, const char *path, char *err, size_t errlen)
{
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	int rc = -1;
	*out = NULL;
	if (seed == NULL) {
		snprintf(err, errlen, "key file %s: out of memory", path);
		return -1;
	}
	if (secret_read(path, "key file", seed, err, errlen) != 0)
		goto out;
	*out = key_from_seed(seed);
	if (*out == NULL) {
		snprintf(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	rc = 0;
out:
	sodium_free(seed);
	return rc;
}

int linli_key_generate(const char *path, uint8_t pub[LINLI_PUB_LEN], char *err, size_t errlen)
{
	uint8_t *seed = sodium_malloc(crypto_sign_SEEDBYTES);
	int rc = -1;
	linli_key_t *key = NULL;

	if (seed == NULL) {
		snprintf(err, errlen, "key file %s: out of memory", path);
		goto out;
	}
	if (secret_generate(path, "key file", seed, err, errlen) != 0)
		goto out;
	key = key_from_seed(seed);
	if (key == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(pub, key->pub, LINLI_PUB_LEN);
	rc = 0;
out:
	linli_key_destroy(&key);
	sodium_free(seed);
	return rc;
}

int linli_data_key_load(uint8_t **out, const char *path, char *err, size_t errlen)
{
	*out = sodium_malloc(LINLI_SECRET_LEN);
	if (*out == NULL) {
		snprintf(err, errlen, "data key file %s: out of memory", path);
		return -1;
	}
	if (secret_read(path, "data key file", *out, err, errlen) != 0) {
		linli_secret_free(out);
		return -1;
	}
	sodium_mprotect_readonly(*out);
	return 0;
}

int linli_data_key_generate(const char *path, char *err, size_t errlen)
{
	uint8_t *key = sodium_malloc(LINLI_SECRET_LEN);
	if (key == NULL) {
		snprintf(err, errlen, "data key file %s: out of memory", path);
		return -1;
	}
	int rc = secret_generate(path, "data key file", key, err, errlen);
	linli_secret_free(&key);
	return rc;
}

bool linli_key_is(const linli_key_t *key, const uint8_t secret[LINLI_SECRET_LEN])
{
	/* libsodium's Ed25519 secret key begins with its seed. */
	return sodium_memcmp(key->secret, secret, LINLI_SECRET_LEN) == 0;
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
	if (secret == NULL)
		return;
	sodium_free(*secret); /* wipes before freeing; NULL is fine */
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
