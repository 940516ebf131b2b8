/*
 * store.c: compact peer storage with expiry and caps. See store.h.
 */
#include "dht/store.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TSZ 4u /* bytes of time+seed after the compact address */

static size_t stride(int f)
{
	return f ? DHT_COMPACT_PEER6 + TSZ : DHT_COMPACT_PEER4 + TSZ;
}

static uint64_t hash_ih(const struct dht_store *s, const struct dht_id *ih)
{
	uint8_t h[8];
	crypto_shorthash(h, ih->b, 20, s->key);
	uint64_t v;
	memcpy(&v, h, 8);
	return v;
}

void store_init(struct dht_store *s, size_t max_ih, size_t max_peers,
    const uint8_t key[STORE_KEY_LEN], int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->max_ih = max_ih;
	s->max_peers = max_peers;
	s->base_ms = now_ms;
	memcpy(s->key, key, STORE_KEY_LEN);
	memcpy(&s->rng, key, sizeof(s->rng));
	s->rng |= 1;
}

void store_clear(struct dht_store *s)
{
	for (size_t i = 0; i < s->nih; i++) {
		free(s->ih[i].p[0]);
		free(s->ih[i].p[1]);
	}
	free(s->ih);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

static uint64_t next_rand(struct dht_store *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* Slot holding ih, or the empty slot where it would go. */
static size_t probe(const struct dht_store *s, const struct dht_id *ih, bool *found)
{
	size_t mask = s->nslot - 1, i = (size_t)hash_ih(s, ih) & mask;
	for (;;) {
		uint32_t v = s->slot[i];
		if (v == 0) {
			*found = false;
			return i;
		}
		if (memcmp(s->ih[v - 1].ih.b, ih->b, 20) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

static struct store_ih *lookup(const struct dht_store *s, const struct dht_id *ih)
{
	bool found;
	if (s->nslot == 0)
		return NULL;
	size_t i = probe(s, ih, &found);
	return found ? &s->ih[s->slot[i] - 1] : NULL;
}

static int rehash(struct dht_store *s, size_t nslot)
{
	uint32_t *ns = calloc(nslot, sizeof(*ns));
	if (!ns)
		return -1;
	free(s->slot);
	s->slot = ns;
	s->nslot = nslot;
	for (size_t k = 0; k < s->nih; k++) {
		bool found;
		size_t i = probe(s, &s->ih[k].ih, &found);
		s->slot[i] = (uint32_t)k + 1;
	}
	return 0;
}

/* Remove the index slot i (backward-shift deletion). */
static void slot_delete(struct dht_store *s, size_t i)
{
	size_t mask = s->nslot - 1, j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (s->slot[j] == 0)
			break;
		size_t home = (size_t)hash_ih(s, &s->ih[s->slot[j] - 1].ih) & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i] = 0;
}

/* Remove record k from the dense array and the index. */
static void remove_ih(struct dht_store *s, size_t k)
{
	bool found;
	size_t i = probe(s, &s->ih[k].ih, &found);
	slot_delete(s, i);
	free(s->ih[k].p[0]);
	free(s->ih[k].p[1]);
	s->npeers -= s->ih[k].n[0] + s->ih[k].n[1];
	size_t last = s->nih - 1;
	if (k != last) {
		size_t li = probe(s, &s->ih[last].ih, &found);
		s->ih[k] = s->ih[last];
		s->slot[li] = (uint32_t)k + 1;
	}
	s->nih--;
}

static struct store_ih *add_ih(struct dht_store *s, const struct dht_id *ih)
{
	if (s->nih >= s->max_ih)
		return NULL;
	if ((s->nih + 1) * 2 > s->nslot && rehash(s, s->nslot ? s->nslot * 2 : 64) != 0)
		return NULL;
	if (s->nih == s->aih) {
		size_t na = s->aih ? s->aih * 2 : 16;
		struct store_ih *p = realloc(s->ih, na * sizeof(*p));
		if (!p)
			return NULL;
		s->ih = p;
		s->aih = na;
	}
	bool found;
	size_t i = probe(s, ih, &found);
	struct store_ih *r = &s->ih[s->nih];
	memset(r, 0, sizeof(*r));
	r->ih = *ih;
	s->slot[i] = (uint32_t)++s->nih;
	return r;
}

static uint32_t stamp(const struct dht_store *s, int64_t now_ms, bool seed)
{
	int64_t sec = (now_ms - s->base_ms) / 1000;
	if (sec < 0)
		sec = 0;
	return (uint32_t)sec << 1 | (seed ? 1u : 0u);
}

static uint32_t get_t(const uint8_t *rec, size_t off)
{
	uint32_t t;
	memcpy(&t, rec + off, TSZ);
	return t;
}

static bool is_live(const struct dht_store *s, uint32_t t, int64_t now_ms)
{
	int64_t at_ms = s->base_ms + (int64_t)(t >> 1) * 1000;
	return now_ms - at_ms < STORE_EXPIRE_MS;
}

int store_announce(struct dht_store *s, const struct dht_id *ih, const struct dht_addr *peer,
    bool is_seed, int64_t now_ms)
{
	int f = dht_af_index(peer->family);
	size_t st = stride(f), alen = st - TSZ, iplen = alen - 2;
	uint8_t rec[DHT_COMPACT_PEER6 + TSZ];
	dht_addr_put_compact(peer, rec);
	uint32_t t = stamp(s, now_ms, is_seed);
	memcpy(rec + alen, &t, TSZ);

	struct store_ih *r = lookup(s, ih);
	bool is_new_ih = false;
	if (!r) {
		if (s->nih >= s->max_ih)
			return DHT_EFULL;
		r = add_ih(s, ih);
		if (!r)
			return DHT_ENOMEM;
		is_new_ih = true;
	}
	for (size_t k = 0; k < r->n[f]; k++) {
		uint8_t *p = r->p[f] + k * st;
		if (memcmp(p, rec, iplen) == 0) {
			memcpy(p, rec, st);
			return DHT_OK;
		}
	}
	if (r->n[f] >= s->max_peers)
		return DHT_EFULL;
	if (r->n[f] == r->alloc[f]) {
		size_t na = r->alloc[f] ? r->alloc[f] * 2 : 4;
		if (na > s->max_peers)
			na = s->max_peers;
		uint8_t *p = realloc(r->p[f], na * st);
		if (!p) {
			if (is_new_ih)
				remove_ih(s, (size_t)(r - s->ih));
			return DHT_ENOMEM;
		}
		r->p[f] = p;
		r->alloc[f] = (uint32_t)na;
	}
	memcpy(r->p[f] + r->n[f] * st, rec, st);
	r->n[f]++;
	s->npeers++;
	return DHT_OK;
}

size_t store_count_peers(const struct dht_store *s, const struct dht_id *ih, int af)
{
	const struct store_ih *r = lookup(s, ih);
	return r ? r->n[dht_af_index(af)] : 0;
}

size_t store_get(struct dht_store *s, const struct dht_id *ih, int af, bool noseed, size_t max,
    int64_t now_ms, uint8_t *out)
{
	struct store_ih *r = lookup(s, ih);
	int f = dht_af_index(af);
	if (!r || max == 0)
		return 0;
	size_t st = stride(f), alen = st - TSZ, got = 0, seen = 0;
	for (size_t k = 0; k < r->n[f]; k++) {
		const uint8_t *p = r->p[f] + k * st;
		uint32_t t = get_t(p, alen);
		if (!is_live(s, t, now_ms) || (noseed && (t & 1)))
			continue;
		seen++;
		/* Reservoir sampling: each live peer ends up in the reply
		 * with probability max/seen. */
		size_t at = got < max ? got++ : (size_t)(next_rand(s) % seen);
		if (at < max)
			memcpy(out + at * alen, p, alen);
	}
	return got;
}

size_t store_sample(struct dht_store *s, size_t max, uint8_t *out)
{
	size_t n = max < s->nih ? max : s->nih;
	size_t start = n ? (size_t)(next_rand(s) % s->nih) : 0;
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * 20, s->ih[(start + i) % s->nih].ih.b, 20);
	return n;
}

void store_expire(struct dht_store *s, int64_t now_ms)
{
	for (size_t k = 0; k < s->nih;) {
		struct store_ih *r = &s->ih[k];
		for (int f = 0; f < 2; f++) {
			size_t st = stride(f), alen = st - TSZ, w = 0;
			for (size_t i = 0; i < r->n[f]; i++) {
				uint8_t *p = r->p[f] + i * st;
				if (!is_live(s, get_t(p, alen), now_ms))
					continue;
				if (w != i)
					memcpy(r->p[f] + w * st, p, st);
				w++;
			}
			s->npeers -= r->n[f] - w;
			r->n[f] = (uint32_t)w;
		}
		if (r->n[0] + r->n[1] == 0)
			remove_ih(s, k);
		else
			k++;
	}
}
