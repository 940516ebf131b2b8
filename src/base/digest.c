/*
 * digest.c: OpenSSL EVP hashing (see digest.h).
 *
 * The algorithms are fetched once (EVP_MD_fetch) and kept for the life of
 * the process: OpenSSL 3 looks up its provider on every init given the
 * legacy EVP_sha1(), and a context initialised again with the same fetched
 * algorithm keeps its provider state instead of reallocating it, which is
 * what tl_hash_next relies on.
 */
#include "base/digest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha1_md, *sha256_md;

static void fetch_algorithms(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void die(const char *what)
{
	fprintf(stderr, "trackless: OpenSSL %s failed\n", what);
	abort();
}

static const EVP_MD *sha1(void)
{
	pthread_once(&fetch_once, fetch_algorithms);
	if (!sha1_md)
		die("SHA-1 fetch");
	return sha1_md;
}

static const EVP_MD *sha256(void)
{
	pthread_once(&fetch_once, fetch_algorithms);
	if (!sha256_md)
		die("SHA-256 fetch");
	return sha256_md;
}

static void hash_init(struct tl_hash_ctx *h, const EVP_MD *md)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		die("digest init");
}

void tl_sha1_init(struct tl_hash_ctx *h)
{
	hash_init(h, sha1());
}

void tl_sha256_init(struct tl_hash_ctx *h)
{
	hash_init(h, sha256());
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

void tl_hash_next(struct tl_hash_ctx *h, uint8_t *out)
{
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->ctx, out, &n);
	/* The algorithm the context was initialised with: one of ours. */
	if (EVP_DigestInit_ex(h->ctx, EVP_MD_CTX_get0_md(h->ctx), NULL) != 1)
		die("digest init");
}

void tl_hash_clear(struct tl_hash_ctx *h)
{
	EVP_MD_CTX_free(h->ctx); /* NULL is a no-op */
	h->ctx = NULL;
}

void tl_sha1(const void *p, size_t len, uint8_t out[20])
{
	unsigned int n = 0;
	EVP_Digest(p, len, out, &n, sha1(), NULL);
}

void tl_sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned int n = 0;
	EVP_Digest(p, len, out, &n, sha256(), NULL);
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
