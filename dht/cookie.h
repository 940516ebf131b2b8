/*
 * cookie.h: stateless transaction ids for the bootstrap node's pings and
 * crawl queries (the SYN-cookie idea, as in router.utorrent.com).
 *
 * The transaction id of a query we send to an endpoint is a keyed hash
 * (SipHash-2-4, libsodium crypto_shorthash) of that endpoint's address
 * and port and of the current time slice. A reply is accepted when its
 * tid equals the cookie of its source for the current or the previous
 * slice, so nothing is kept per outstanding query and a forged reply
 * must guess DHT_COOKIE_LEN bytes. A cookie lives one to two slices.
 *
 * The key is read-only after dht_cookie_init(), so one struct serves
 * every thread. Pure functions otherwise; BEP 5 (transaction ids).
 */
#ifndef DHT_COOKIE_H
#define DHT_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"

/* Length of the tid we send: 4 bytes, like our other queries. */
#define DHT_COOKIE_LEN 4u
#define DHT_COOKIE_KEY_LEN 16u
/* Slice length: a reply is accepted 30 to 60 s after the query. */
#define DHT_COOKIE_SLICE_S 30u

struct dht_cookie {
	uint8_t key[DHT_COOKIE_KEY_LEN];
};

/* Take key (random bytes from the caller). */
void dht_cookie_init(struct dht_cookie *c, const uint8_t key[DHT_COOKIE_KEY_LEN]);

/* The tid for a query to `to` sent at now_s (seconds, any epoch). */
void dht_cookie_make(const struct dht_cookie *c, const struct dht_addr *to, uint32_t now_s,
    uint8_t out[DHT_COOKIE_LEN]);

/* True when tid[0..tid_len) is the cookie of `from` for the slice of
 * now_s or the one before. */
bool dht_cookie_check(const struct dht_cookie *c, const struct dht_addr *from, uint32_t now_s,
    const uint8_t *tid, size_t tid_len);

#endif
