/*
 * lookup.c: iterative lookup state (alpha, stall, completion). See
 * lookup.h.
 */
#include "dht/lookup.h"

#include <stdlib.h>
#include <string.h>

void lookup_init(struct lookup *lk, uint32_t id, int af, const struct dht_id *target,
    int64_t now_ms)
{
	memset(lk, 0, offsetof(struct lookup, c));
	lk->id = id;
	lk->af = af;
	lk->target = *target;
	lk->started_ms = now_ms;
}

void lookup_clear(struct lookup *lk)
{
	free(lk->seen);
	lk->seen = NULL;
}

void lookup_add(struct lookup *lk, const struct dht_id *id, const struct dht_addr *addr)
{
	if (addr->family != lk->af || dht_addr_is_martian(addr))
		return;
	size_t pos = lk->n;
	for (size_t i = 0; i < lk->n; i++) {
		if (memcmp(lk->c[i].id.b, id->b, 20) == 0 || dht_addr_ip_eq(&lk->c[i].addr, addr) ||
		    (!lk->allow_same_subnet && dht_addr_same_subnet(&lk->c[i].addr, addr)))
			return;
		if (pos == lk->n && dht_id_cmp_dist(&lk->target, id, &lk->c[i].id) < 0)
			pos = i;
	}
	if (pos >= LK_MAX_CAND)
		return;
	if (lk->n == LK_MAX_CAND) {
		/* The farthest goes; if it was in flight, its reply is ignored. */
		if (lk->c[LK_MAX_CAND - 1].state == LK_INFLIGHT)
			lk->inflight--;
		lk->n--;
	}
	memmove(&lk->c[pos + 1], &lk->c[pos], (lk->n - pos) * sizeof(lk->c[0]));
	memset(&lk->c[pos], 0, sizeof(lk->c[0]));
	lk->c[pos].id = *id;
	lk->c[pos].addr = *addr;
	lk->n++;
}

void lookup_tick(struct lookup *lk, int64_t now_ms, int64_t short_ms, int64_t late_ms)
{
	for (size_t i = 0; i < lk->n; i++) {
		struct lk_cand *c = &lk->c[i];
		if (c->state == LK_INFLIGHT && now_ms - c->sent_ms >= short_ms) {
			c->state = LK_STALLED;
			lk->inflight--;
		}
		if (c->state == LK_STALLED && now_ms - c->sent_ms >= late_ms)
			c->state = LK_LATE;
	}
}

static bool has_reply(const struct lookup *lk)
{
	for (size_t i = 0; i < lk->n; i++) {
		if (lk->c[i].state == LK_REPLIED)
			return true;
	}
	return false;
}

struct lk_cand *lookup_next(struct lookup *lk, int64_t now_ms)
{
	size_t considered = 0;
	bool is_behind = false; /* a candidate closer than c has replied */
	if (lk->inflight >= LK_ALPHA + LK_BURST)
		return NULL;
	/* A stalled or late candidate leaves the window, so the next one
	 * down is asked in its place while its own reply may still come. */
	for (size_t i = 0; i < lk->n && considered < LK_K; i++) {
		struct lk_cand *c = &lk->c[i];
		is_behind |= c->state == LK_REPLIED;
		if (c->state == LK_FAILED || c->state == LK_STALLED || c->state == LK_LATE)
			continue;
		considered++;
		if (c->state != LK_NEW)
			continue;
		/* Beyond alpha only for progress: a node closer than every
		 * one that answered, learnt from an answer. */
		if (lk->inflight >= LK_ALPHA && (is_behind || !has_reply(lk)))
			return NULL;
		c->state = LK_INFLIGHT;
		c->sent_ms = now_ms;
		lk->inflight++;
		lk->queries++;
		return c;
	}
	return NULL;
}

static struct lk_cand *find_addr(struct lookup *lk, const struct dht_addr *addr)
{
	for (size_t i = 0; i < lk->n; i++) {
		if (dht_addr_eq(&lk->c[i].addr, addr))
			return &lk->c[i];
	}
	return NULL;
}

struct lk_cand *lookup_replied(struct lookup *lk, const struct dht_addr *addr,
    const struct dht_id *id, const uint8_t *token, size_t token_len)
{
	struct lk_cand *c = find_addr(lk, addr);
	if (!c)
		return NULL;
	if (c->state == LK_INFLIGHT)
		lk->inflight--;
	c->state = LK_REPLIED;
	/* A node that answers with another id than it was listed under is
	 * kept at its listed place: the distance order was already used. */
	(void)id;
	if (token_len > KRPC_MAX_TOKEN)
		token_len = 0;
	c->token_len = (uint8_t)token_len;
	if (token_len)
		memcpy(c->token, token, token_len);
	return c;
}

void lookup_failed(struct lookup *lk, const struct dht_addr *addr)
{
	struct lk_cand *c = find_addr(lk, addr);
	if (!c || c->state == LK_REPLIED)
		return;
	if (c->state == LK_INFLIGHT)
		lk->inflight--;
	c->state = LK_FAILED;
}

bool lookup_is_done(const struct lookup *lk, int64_t now_ms)
{
	if (now_ms - lk->started_ms >= LK_MAX_MS)
		return true;
	/* Done when the K closest that are neither failed nor late have all
	 * replied; a stalled one among them is still waited for (it may be
	 * slow rather than gone), up to the give-up bound. */
	size_t considered = 0;
	for (size_t i = 0; i < lk->n && considered < LK_K; i++) {
		const struct lk_cand *c = &lk->c[i];
		if (c->state == LK_FAILED || c->state == LK_LATE)
			continue;
		considered++;
		if (c->state != LK_REPLIED)
			return false;
	}
	return true;
}

bool lookup_first_seen(struct lookup *lk, const uint8_t *peer, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ peer[i]) * 1099511628211ull;
	h |= 1;
	if (lk->nseen >= LK_SEEN / 2)
		return true; /* set full: deliver rather than guess */
	if (!lk->seen && !(lk->seen = calloc(LK_SEEN, sizeof(*lk->seen))))
		return true;
	size_t i = (size_t)h & (LK_SEEN - 1);
	while (lk->seen[i]) {
		if (lk->seen[i] == h)
			return false;
		i = (i + 1) & (LK_SEEN - 1);
	}
	lk->seen[i] = h;
	lk->nseen++;
	return true;
}

size_t lookup_announce_targets(const struct lookup *lk, const struct lk_cand **out)
{
	size_t n = 0;
	for (size_t i = 0; i < lk->n && n < LK_K; i++) {
		if (lk->c[i].state == LK_REPLIED && lk->c[i].token_len)
			out[n++] = &lk->c[i];
	}
	return n;
}
