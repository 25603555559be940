/*
 * hash: SHA-256 digests (OpenSSL's libcrypto), written as "sha256:<hex>".
 */
#ifndef MW_UTIL_HASH_H
#define MW_UTIL_HASH_H

#include <stddef.h>

/* "sha256:" + 64 hex digits + NUL */
#define HASH_HEX_SIZE 72

/* Fill `out` with "sha256:<hex>" of `len` bytes at `data`. */
void hash_sha256_hex(char out[HASH_HEX_SIZE], const void *data, size_t len);

/* Fill `out` with the raw 32-byte digest. */
void hash_sha256(unsigned char out[32], const void *data, size_t len);

#endif
