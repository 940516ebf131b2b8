/*
 * cookie.c: stateless SipHash transaction ids. See cookie.h.
 */
#include "dht/cookie.h"

#include <string.h>

#include <sodium.h>

_Static_assert(crypto_shorthash_KEYBYTES == DHT_COOKIE_KEY_LEN, "cookie key length");
_Static_assert(crypto_shorthash_BYTES >= DHT_COOKIE_LEN, "cookie length");

void dht_cookie_init(struct dht_cookie *c, const uint8_t key[DHT_COOKIE_KEY_LEN])
{
	memcpy(c->key, key, DHT_COOKIE_KEY_LEN);
}

static void cookie_for_slice(const struct dht_cookie *c, const struct dht_addr *to,
    uint32_t slice, uint8_t out[DHT_COOKIE_LEN])
{
	/* family, address, port, slice: 1 + 16 + 2 + 4 bytes at most */
	uint8_t in[23], h[crypto_shorthash_BYTES];
	size_t n = dht_addr_iplen(to);
	in[0] = to->family;
	memcpy(in + 1, to->ip, n);
	in[1 + n] = (uint8_t)(to->port >> 8);
	in[2 + n] = (uint8_t)to->port;
	for (size_t i = 0; i < 4; i++)
		in[3 + n + i] = (uint8_t)(slice >> (8 * i));
	crypto_shorthash(h, in, 7 + n, c->key);
	memcpy(out, h, DHT_COOKIE_LEN);
}

void dht_cookie_make(const struct dht_cookie *c, const struct dht_addr *to, uint32_t now_s,
    uint8_t out[DHT_COOKIE_LEN])
{
	cookie_for_slice(c, to, now_s / DHT_COOKIE_SLICE_S, out);
}

bool dht_cookie_check(const struct dht_cookie *c, const struct dht_addr *from, uint32_t now_s,
    const uint8_t *tid, size_t tid_len)
{
	uint8_t want[DHT_COOKIE_LEN];
	uint32_t slice = now_s / DHT_COOKIE_SLICE_S;
	if (tid_len != DHT_COOKIE_LEN)
		return false;
	for (uint32_t back = 0; back < 2 && back <= slice; back++) {
		cookie_for_slice(c, from, slice - back, want);
		if (sodium_memcmp(want, tid, DHT_COOKIE_LEN) == 0)
			return true;
	}
	return false;
}
