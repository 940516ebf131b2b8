/* choker.c: upload slot policy (see choker.h). */
#include "proto/choker.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void tl_choker_init(struct tl_choker *c, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->rng = seed ^ 0x9e3779b97f4a7c15ull;
	if (!c->rng)
		c->rng = 1;
}

static uint64_t next_rand(struct tl_choker *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dull;
}

/* A ranking key: larger k1, then larger k2, then larger k3 first. */
struct rank {
	uint64_t k1, k2, k3;
	size_t idx;
};

static int rank_cmp(const void *pa, const void *pb)
{
	const struct rank *a = pa, *b = pb;
	if (a->k1 != b->k1)
		return a->k1 > b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 > b->k2 ? -1 : 1;
	if (a->k3 != b->k3)
		return a->k3 > b->k3 ? -1 : 1;
	return 0;
}

/* Pick the optimistic peer among interested peers not regularly unchoked:
 * keep the current one for its 30 s, else draw at random with newcomers
 * weighted 3 to 1. Returns its index or n. */
static size_t pick_optimistic(struct tl_choker *c, const struct tl_choker_peer *peers, size_t n,
    const bool *taken, uint64_t now_ms)
{
	size_t cur = n;
	for (size_t i = 0; i < n; i++)
		if (c->has_optimistic && peers[i].key == c->optimistic && peers[i].is_interested && !taken[i])
			cur = i;
	if (cur < n && now_ms - c->optimistic_since < TL_CHOKER_OPTIMISTIC_MS)
		return cur;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		if (peers[i].is_interested && !taken[i] && i != cur)
			total += peers[i].last_unchoked ? 1 : 3;
	if (total == 0)
		return cur; /* nobody else: keep it */
	uint64_t r = next_rand(c) % total;
	for (size_t i = 0; i < n; i++) {
		if (!peers[i].is_interested || taken[i] || i == cur)
			continue;
		uint64_t w = peers[i].last_unchoked ? 1 : 3;
		if (r < w)
			return i;
		r -= w;
	}
	return n; /* not reached: r < total */
}

size_t tl_choker_run(struct tl_choker *c, const struct tl_choker_peer *peers, size_t n, unsigned slots,
    bool is_seeding, uint64_t now_ms, bool *unchoke_out)
{
	memset(unchoke_out, 0, n * sizeof(*unchoke_out));
	if (slots == 0 || n == 0) {
		c->has_optimistic = false;
		return 0;
	}
	unsigned regular = slots > 1 ? slots - 1 : 0;
	struct rank *r = tl_reallocarray(NULL, n, sizeof(*r));
	size_t nr = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_choker_peer *p = &peers[i];
		if (!p->is_interested)
			continue;
		struct rank k = { 0, 0, next_rand(c), i };
		if (is_seeding) {
			uint64_t held = now_ms - p->last_unchoked;
			/* a peer that takes nothing (never reads, never asks)
			 * keeps its slot only for TL_CHOKER_TAKE_GRACE_MS */
			bool is_keeping = p->is_unchoked && held < TL_CHOKER_SEED_ROTATE_MS &&
			    !p->is_stalled && (p->rate_up > 0 || held < TL_CHOKER_TAKE_GRACE_MS);
			k.k1 = is_keeping;
			/* keepers by upload rate; the others longest-waiting first */
			k.k2 = is_keeping ? p->rate_up : UINT64_MAX - p->last_unchoked;
		} else {
			if (p->is_snubbed || p->is_stalled)
				continue;
			k.k1 = p->rate_down;
		}
		r[nr++] = k;
	}
	qsort(r, nr, sizeof(*r), rank_cmp);
	size_t count = 0;
	for (size_t i = 0; i < nr && count < regular; i++) {
		unchoke_out[r[i].idx] = true;
		count++;
	}
	free(r);
	size_t o = pick_optimistic(c, peers, n, unchoke_out, now_ms);
	if (o < n) {
		if (!c->has_optimistic || c->optimistic != peers[o].key) {
			c->optimistic = peers[o].key;
			c->optimistic_since = now_ms;
		}
		c->has_optimistic = true;
		unchoke_out[o] = true;
		count++;
	} else {
		c->has_optimistic = false;
	}
	return count;
}

size_t tl_choker_pick_idle(const struct tl_slot_peer *peers, size_t n, uint64_t now_ms)
{
	size_t best = n;
	uint64_t best_since = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tl_slot_peer *p = &peers[i];
		if (p->is_interested || p->am_interested)
			continue;
		uint64_t since = p->last_data_ms > p->active_ms ? p->last_data_ms : p->active_ms;
		if (since > now_ms || now_ms - since < TL_CHOKER_IDLE_MS)
			continue;
		if (best == n || since < best_since) {
			best = i;
			best_since = since;
		}
	}
	return best;
}
