/* digest.c: OpenSSL EVP hashing (see digest.h). */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

static void hash_init(struct tl_hash_ctx *h, const EVP_MD *md)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1) {
		fprintf(stderr, "trackless: OpenSSL digest init failed\n");
		abort();
	}
}

void tl_sha1_init(struct tl_hash_ctx *h)
{
	hash_init(h, EVP_sha1());
}

void tl_sha256_init(struct tl_hash_ctx *h)
{
	hash_init(h, EVP_sha256());
}

void tl_hash_update(struct tl_hash_ctx *h, const void *p, size_t len)
{
	EVP_DigestUpdate(h->ctx, p, len);
}

void tl_hash_final(struct tl_hash_ctx *h, uint8_t *out)
{
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, out, &n);
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void tl_sha1(const void *p, size_t len, uint8_t out[20])
{
	unsigned int n = 0;
	EVP_Digest(p, len, out, &n, EVP_sha1(), NULL);
}

void tl_sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned int n = 0;
	EVP_Digest(p, len, out, &n, EVP_sha256(), NULL);
}

void tl_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tl_unhex(const char *s, size_t slen, uint8_t *out, size_t n)
{
	if (slen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
