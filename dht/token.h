/*
 * token.h: announce_peer write tokens (BEP 5).
 *
 * token = SipHash-2-4 (libsodium crypto_shorthash) keyed by a secret, over
 * the requester's IP and the target: 8 bytes. The port is left out so a
 * NAT remap or implied_port does not break it; the target is bound so a
 * token for one infohash cannot announce another. The secret rotates
 * every DHT_TOKEN_ROTATE_MS and the previous one is still accepted, so a
 * token lives 5 to 10 minutes.
 *
 * Plain struct owned by its instance; no global state.
 */
#ifndef DHT_TOKEN_H
#define DHT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

#define DHT_TOKEN_LEN 8u
#define DHT_TOKEN_KEY_LEN 16u
#define DHT_TOKEN_ROTATE_MS (5 * 60 * 1000)

struct dht_tokens {
	uint8_t key[2][DHT_TOKEN_KEY_LEN]; /* [0] current, [1] previous */
	int64_t rotated_ms;
};

/* Start with key (current and previous both set to it). */
void dht_tokens_init(struct dht_tokens *t, const uint8_t key[DHT_TOKEN_KEY_LEN], int64_t now_ms);

/* True when the current key is older than the rotation period. */
bool dht_tokens_rotate_due(const struct dht_tokens *t, int64_t now_ms);

/* The current key becomes the previous one; key becomes current. */
void dht_tokens_rotate(struct dht_tokens *t, const uint8_t key[DHT_TOKEN_KEY_LEN], int64_t now_ms);

/* The token for (ip, target) under the current key. */
void dht_token_make(const struct dht_tokens *t, const struct dht_addr *ip,
    const struct dht_id *target, uint8_t out[DHT_TOKEN_LEN]);

/* True when tok (len bytes) is the token for (ip, target) under the
 * current or previous key. Compared in constant time. */
bool dht_token_check(const struct dht_tokens *t, const struct dht_addr *ip,
    const struct dht_id *target, const uint8_t *tok, size_t len);

#endif
