/*
 * keys: Ed25519 keys of owners.
 *
 * A key file holds the 32-byte seed in hex on one line, mode 0600.  The
 * secret lives in sodium_malloc'd memory (guarded, locked) and is wiped when
 * the key is destroyed.  Public keys travel in hex.
 *
 * The same key pair also encrypts and authenticates the links (ZeroMQ
 * CURVE is X25519): its X25519 form is derived, not stored, so a daemon has
 * one key file and the trust list one key per owner.  libsodium documents
 * the conversion for exactly this use of one key for both, and the joint
 * use of an Ed25519 key for signing and X25519 key agreement has been
 * proven secure (Thormarker, "On using the same key pair for Ed25519 and
 * an X25519 based KEM", 2021).  What signs change sets is hash-then-sign
 * with a domain tag; what CURVE does with the X25519 key never signs.
 */
#ifndef LINLI_KEYS_H
#define LINLI_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINLI_PUB_LEN    32
#define LINLI_SECRET_LEN 32 /* a signing key's seed, a data key */

typedef struct linli_key linli_key_t;

/* sodium_init; call once before anything else here. */
int linli_crypto_init(void);

/* Loads a key file, opened as linli_file_open does (files.h: no link, no
 * FIFO, no other user's file or directory).  Refuses a file readable by
 * group or others. */
int linli_key_load(linli_key_t **out, const char *path, char *err, size_t errlen);
/* Generates a new key and writes it to path with linli_file_write (0600;
 * never replaces a file). */
int linli_key_generate(const char *path, uint8_t pub[LINLI_PUB_LEN], char *err, size_t errlen);
void linli_key_destroy(linli_key_t **key);
const uint8_t *linli_key_pub(const linli_key_t *key);
/* The key's X25519 secret in a new sodium_malloc'd (locked) buffer of
 * LINLI_PUB_LEN bytes; free it with linli_secret_free as soon as it has
 * been handed on.  NULL if out of memory. */
uint8_t *linli_key_curve_secret(const linli_key_t *key);
/* Data keys: the 32 bytes that seal a database's values (see store.h).
 * Not the signing key: that one is rotated, and the data must stay
 * readable.  The same file rules: one line of hex, mode 0600 or refused.
 * load puts it in a new sodium_malloc'd (locked, read-only) buffer to
 * free with linli_secret_free. */
int linli_data_key_load(uint8_t **out, const char *path, char *err, size_t errlen);
/* Makes a new data key file at path (0600; never replaces a file). */
int linli_data_key_generate(const char *path, char *err, size_t errlen);
/* Whether secret is this signing key's seed (a data key must not be). */
bool linli_key_is(const linli_key_t *key, const uint8_t secret[LINLI_SECRET_LEN]);
/* Wipes and frees a secret from linli_key_curve_secret or
 * linli_data_key_load; sets it to NULL. */
void linli_secret_free(uint8_t **secret);
/* The X25519 form of an Ed25519 public key; -1 if it is not a valid one. */
int linli_curve_pub(const uint8_t pub[LINLI_PUB_LEN], uint8_t out[LINLI_PUB_LEN]);
int linli_key_sign(const linli_key_t *key, const uint8_t *msg, size_t len, uint8_t sig[64]);
int linli_verify(const uint8_t pub[LINLI_PUB_LEN], const uint8_t *msg, size_t len,
                 const uint8_t sig[64]);

/* hex of len bytes into out (2*len+1 bytes). */
void linli_hex(const uint8_t *in, size_t len, char *out);
/* Parses exactly len bytes of hex; -1 on anything else. */
int linli_unhex(const char *hex, uint8_t *out, size_t len);

#endif
