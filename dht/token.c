/*
 * token.c: write tokens with libsodium SipHash. See token.h.
 */
#include "dht/token.h"

#include <string.h>

#include <sodium.h>

_Static_assert(crypto_shorthash_BYTES == DHT_TOKEN_LEN, "token length");
_Static_assert(crypto_shorthash_KEYBYTES == DHT_TOKEN_KEY_LEN, "token key length");

void dht_tokens_init(struct dht_tokens *t, const uint8_t key[DHT_TOKEN_KEY_LEN], int64_t now_ms)
{
	memcpy(t->key[0], key, DHT_TOKEN_KEY_LEN);
	memcpy(t->key[1], key, DHT_TOKEN_KEY_LEN);
	t->rotated_ms = now_ms;
}

bool dht_tokens_rotate_due(const struct dht_tokens *t, int64_t now_ms)
{
	return now_ms - t->rotated_ms >= DHT_TOKEN_ROTATE_MS;
}

void dht_tokens_rotate(struct dht_tokens *t, const uint8_t key[DHT_TOKEN_KEY_LEN], int64_t now_ms)
{
	memcpy(t->key[1], t->key[0], DHT_TOKEN_KEY_LEN);
	memcpy(t->key[0], key, DHT_TOKEN_KEY_LEN);
	t->rotated_ms = now_ms;
}

static void token_with(const uint8_t *key, const struct dht_addr *ip, const struct dht_id *target,
    uint8_t out[DHT_TOKEN_LEN])
{
	uint8_t in[1 + 16 + 20];
	size_t n = dht_addr_iplen(ip);
	in[0] = ip->family == AF_INET6 ? 6 : 4;
	memcpy(in + 1, ip->ip, n);
	memcpy(in + 1 + n, target->b, 20);
	crypto_shorthash(out, in, 1 + n + 20, key);
}

void dht_token_make(const struct dht_tokens *t, const struct dht_addr *ip,
    const struct dht_id *target, uint8_t out[DHT_TOKEN_LEN])
{
	token_with(t->key[0], ip, target, out);
}

bool dht_token_check(const struct dht_tokens *t, const struct dht_addr *ip,
    const struct dht_id *target, const uint8_t *tok, size_t len)
{
	uint8_t want[DHT_TOKEN_LEN];
	if (len != DHT_TOKEN_LEN)
		return false;
	for (int k = 0; k < 2; k++) {
		token_with(t->key[k], ip, target, want);
		if (sodium_memcmp(want, tok, DHT_TOKEN_LEN) == 0)
			return true;
	}
	return false;
}
