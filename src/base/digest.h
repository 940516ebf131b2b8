/*
 * digest.h: SHA-1 and SHA-256 through OpenSSL EVP, and the one-member
 * identifier structs so an infohash can never be passed as a peer id.
 * Thread-safe: each context belongs to its caller; the algorithms are
 * fetched from OpenSSL once per process, on first use.
 */
#ifndef TL_DIGEST_H
#define TL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct tl_infohash {
	uint8_t b[20];
};

struct tl_peer_id {
	uint8_t b[20];
};

struct tl_sha256 {
	uint8_t b[32];
};

struct evp_md_ctx_st;

/* Incremental hashing; init aborts on allocation failure. */
struct tl_hash_ctx {
	struct evp_md_ctx_st *ctx;
};

void tl_sha1_init(struct tl_hash_ctx *h);
void tl_sha256_init(struct tl_hash_ctx *h);
void tl_hash_update(struct tl_hash_ctx *h, const void *p, size_t len);
/* Writes 20 (SHA-1) or 32 (SHA-256) bytes and releases the context. */
void tl_hash_final(struct tl_hash_ctx *h, uint8_t *out);
/* Writes the digest like tl_hash_final, then starts the next message with
 * the same algorithm in the same context: no allocation per message, for
 * callers hashing many pieces in a row. End with tl_hash_final or
 * tl_hash_clear. */
void tl_hash_next(struct tl_hash_ctx *h, uint8_t *out);
/* Releases the context without a digest (a message given up half way).
 * A context already released, or zeroed, is left alone. */
void tl_hash_clear(struct tl_hash_ctx *h);

void tl_sha1(const void *p, size_t len, uint8_t out[20]);
void tl_sha256(const void *p, size_t len, uint8_t out[32]);

/* Lower-case hex of n bytes into out (2n+1 bytes with NUL). */
void tl_hex(const uint8_t *p, size_t n, char *out);
/* Parse 2n hex digits (either case); returns 0 or -1. */
int tl_unhex(const char *s, size_t slen, uint8_t *out, size_t n);

#endif
