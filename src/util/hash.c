#include "hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

void hash_sha256(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 0;

	/* EVP_Digest only fails on allocation failure; so does everything else. */
	if (!EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) || n != 32) {
		fprintf(stderr, "mailward: libcrypto could not compute SHA-256\n");
		exit(1);
	}
}

void hash_sha256_hex(char out[HASH_HEX_SIZE], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	char *p = out;

	hash_sha256(md, data, len);
	p += snprintf(out, HASH_HEX_SIZE, "sha256:");
	for (int i = 0; i < 32; i++) {
		*p++ = hex[md[i] >> 4];
		*p++ = hex[md[i] & 15];
	}
	*p = '\0';
}
