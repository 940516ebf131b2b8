/*
 * bep42.h: DHT security extension (BEP 42). Node ids derived from the
 * node's external IP with CRC32C, the check of other nodes' ids, and the
 * vote on our external address from the `ip` field of replies.
 *
 * Local addresses (addr.h dht_addr_is_local) are exempt: any id is valid
 * for them and they never settle a vote. No global state; a vote is a
 * plain struct owned by its instance.
 */
#ifndef DHT_BEP42_H
#define DHT_BEP42_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

/* CRC32C (Castagnoli) of p[0..n). */
uint32_t dht_crc32c(const void *p, size_t n);

/* The id BEP 42 assigns to ip with random bytes rnd: the first 21 bits
 * come from the CRC32C of the masked address, rnd supplies the rest
 * (r = rnd[19] & 7 is mixed into the CRC input and kept in the last byte). */
void bep42_make_id(const struct dht_addr *ip, const uint8_t rnd[20], struct dht_id *out);

/* True when id is valid for ip, or ip is local (exempt). */
bool bep42_check(const struct dht_id *id, const struct dht_addr *ip);

/* Votes before our external address is considered known: each from a
 * distinct voter address, over a fixed window of candidates. */
#define BEP42_VOTES_TO_SETTLE 6u
#define BEP42_CANDIDATES 8u
#define BEP42_VOTERS 64u

struct bep42_vote {
	struct {
		struct dht_addr ip; /* port 0 */
		uint32_t votes;
	} cand[BEP42_CANDIDATES];
	struct dht_addr voters[BEP42_VOTERS]; /* ring of recent voters */
	size_t nvoters, voter_next;
	bool has_settled;
	struct dht_addr settled; /* last settled address (port 0) */
};

void bep42_vote_init(struct bep42_vote *v);

/*
 * Count `voted` (the ip field of a reply from `voter`). Returns true when
 * this vote settles on an address different from the last settled one,
 * which is then in v->settled. A voter counts once per round; local
 * addresses are not counted.
 */
bool bep42_vote_add(struct bep42_vote *v, const struct dht_addr *voter,
    const struct dht_addr *voted);

#endif
