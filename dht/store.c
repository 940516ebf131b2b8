/*
 * store.c: compact peer storage with expiry and caps. See store.h.
 */
#include "dht/store.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TSZ 2u                 /* bytes of stamp after the compact address */
#define STAMP_MAX 32767        /* seconds a stamp holds (15 bits) */
#define REBASE_S 8192          /* store_expire moves base_ms once it is this old */
#define IDX_BITS 24
#define IDX_MASK ((1u << IDX_BITS) - 1u)
#define NO_BLOCK UINT32_MAX
/* Old index slots moved per new infohash while the index grows. The move
 * must end before the new table (twice the old) passes load 0.7, i.e.
 * within 0.7 x old slots new infohashes: at least 1.43 per add. 16 ends
 * it within a ninth of that, so both tables are held only briefly. */
#define STORE_MOVE_PER_ADD 16u

_Static_assert(sizeof(struct store_ih) == 32, "an infohash record is 32 bytes");

static size_t stride(int f)
{
	return f ? DHT_COMPACT_PEER6 + TSZ : DHT_COMPACT_PEER4 + TSZ;
}

uint32_t store_class_cap(unsigned c)
{
	if (c < 16)
		return c + 1;
	unsigned o = (c - 16) / 8, st = (c - 16) % 8;
	return (2u << o) * (9u + st);
}

unsigned store_class_of(uint32_t n)
{
	if (n <= 16)
		return n ? n - 1 : 0;
	unsigned o = (unsigned)(31 - __builtin_clz(n - 1)) - 4; /* n in (16 << o, 32 << o] */
	uint32_t step = 2u << o;
	unsigned st = (unsigned)((n - (16u << o) + step - 1) / step) - 1;
	return 16 + o * 8 + st;
}

static uint64_t hash_ih(const struct dht_store *s, const struct dht_id *ih)
{
	uint8_t h[8];
	crypto_shorthash(h, ih->b, 20, s->key);
	uint64_t v;
	memcpy(&v, h, 8);
	return v;
}

static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h >> 56) << IDX_BITS;
}

static struct store_ih *rec_at(const struct dht_store *s, size_t k)
{
	return &s->rec[k / STORE_REC_CHUNK][k % STORE_REC_CHUNK];
}

void store_init(struct dht_store *s, size_t max_ih, size_t max_peers,
    const uint8_t key[STORE_KEY_LEN], int64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	s->max_ih = max_ih < STORE_MAX_IH ? max_ih : STORE_MAX_IH;
	s->max_peers = max_peers < STORE_MAX_PEERS ? max_peers : STORE_MAX_PEERS;
	s->base_ms = now_ms;
	memcpy(s->key, key, STORE_KEY_LEN);
	memcpy(&s->rng, key, sizeof(s->rng));
	s->rng |= 1;
}

static void arena_clear(struct store_arena *a)
{
	for (uint32_t i = 0; i < a->nchunk; i++)
		free(a->chunk[i]);
	free(a->chunk);
	memset(a, 0, sizeof(*a));
}

void store_clear(struct dht_store *s)
{
	for (int f = 0; f < 2; f++)
		for (unsigned c = 0; c < STORE_NCLASS; c++)
			arena_clear(&s->arena[f][c]);
	for (size_t i = 0; i < s->nrec_chunk; i++)
		free(s->rec[i]);
	free(s->rec);
	free(s->idx.slot);
	free(s->old.slot);
	memset(s, 0, sizeof(*s));
}

static uint64_t next_rand(struct dht_store *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

/* ---- arenas: blocks of one class and family ---- */

static size_t block_bytes(int f, unsigned c)
{
	return store_class_cap(c) * stride(f);
}

static uint8_t *block_at(const struct dht_store *s, int f, uint32_t blk)
{
	unsigned c = blk >> IDX_BITS;
	uint32_t i = blk & IDX_MASK;
	const struct store_arena *a = &s->arena[f][c];
	return a->chunk[i >> a->shift] + (size_t)(i & ((1u << a->shift) - 1)) * block_bytes(f, c);
}

/* A block of class c for family f (class << 24 | number), or NO_BLOCK. */
static uint32_t block_alloc(struct dht_store *s, int f, unsigned c)
{
	struct store_arena *a = &s->arena[f][c];
	size_t bb = block_bytes(f, c);
	if (a->free) {
		uint32_t i = a->free - 1;
		uint32_t blk = (uint32_t)c << IDX_BITS | i;
		memcpy(&a->free, block_at(s, f, blk), sizeof(a->free));
		a->nfree--;
		return blk;
	}
	if (a->nchunk == 0) {
		a->shift = 0;
		while ((bb << (a->shift + 1)) <= STORE_ARENA_BYTES)
			a->shift++;
	}
	if (a->used == a->nchunk << a->shift) {
		if (a->used + (1u << a->shift) > IDX_MASK)
			return NO_BLOCK;
		if (a->nchunk == a->achunk) {
			uint32_t na = a->achunk ? a->achunk * 2 : 4;
			uint8_t **p = realloc(a->chunk, na * sizeof(*p));
			if (!p)
				return NO_BLOCK;
			a->chunk = p;
			a->achunk = na;
		}
		uint8_t *ch = malloc(bb << a->shift);
		if (!ch)
			return NO_BLOCK;
		a->chunk[a->nchunk++] = ch;
	}
	return (uint32_t)c << IDX_BITS | a->used++;
}

/* Returns a block to its arena; an arena left with no block in use gives
 * its chunks back. */
static void block_free(struct dht_store *s, int f, uint32_t blk)
{
	struct store_arena *a = &s->arena[f][blk >> IDX_BITS];
	memcpy(block_at(s, f, blk), &a->free, sizeof(a->free));
	a->free = (blk & IDX_MASK) + 1;
	if (++a->nfree == a->used)
		arena_clear(a);
}

/* Moves the n peers of r's family f into a block of class c; false (and
 * nothing changed) when there is no memory. */
static bool block_move(struct dht_store *s, struct store_ih *r, int f, unsigned c)
{
	uint32_t nb = block_alloc(s, f, c);
	if (nb == NO_BLOCK)
		return false;
	if (r->n[f]) {
		memcpy(block_at(s, f, nb), block_at(s, f, r->blk[f]), r->n[f] * stride(f));
		block_free(s, f, r->blk[f]);
	}
	r->blk[f] = nb;
	return true;
}

/* ---- the index ---- */

/* Slot of x holding ih (hash h), or the empty slot where it would go. */
static size_t probe(const struct dht_store *s, const struct store_index *x, const struct dht_id *ih,
    uint64_t h, bool *found)
{
	size_t mask = x->nslot - 1, i = (size_t)h & mask;
	uint32_t tag = tag_of(h);
	for (;;) {
		uint32_t v = x->slot[i];
		if (v == 0) {
			*found = false;
			return i;
		}
		if ((v & ~IDX_MASK) == tag && memcmp(rec_at(s, (v & IDX_MASK) - 1)->ih.b, ih->b, 20) == 0) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
}

/* The table and slot that point at record k (which is indexed). */
static size_t slot_of(struct dht_store *s, size_t k, struct store_index **x_out)
{
	uint64_t h = hash_ih(s, &rec_at(s, k)->ih);
	struct store_index *x = &s->idx;
	for (;;) {
		size_t mask = x->nslot - 1;
		for (size_t i = (size_t)h & mask; x->slot[i]; i = (i + 1) & mask) {
			if ((x->slot[i] & IDX_MASK) == k + 1) {
				*x_out = x;
				return i;
			}
		}
		x = &s->old; /* not in the new table: still in the old one */
	}
}

static struct store_ih *lookup(const struct dht_store *s, const struct dht_id *ih)
{
	bool found;
	if (s->idx.nslot == 0)
		return NULL;
	uint64_t h = hash_ih(s, ih);
	size_t i = probe(s, &s->idx, ih, h, &found);
	if (found)
		return rec_at(s, (s->idx.slot[i] & IDX_MASK) - 1);
	if (s->old.nslot == 0)
		return NULL;
	i = probe(s, &s->old, ih, h, &found);
	return found ? rec_at(s, (s->old.slot[i] & IDX_MASK) - 1) : NULL;
}

/* Remove slot i of x (backward-shift deletion). */
static void slot_delete(const struct dht_store *s, struct store_index *x, size_t i)
{
	size_t mask = x->nslot - 1, j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (x->slot[j] == 0)
			break;
		size_t home = (size_t)hash_ih(s, &rec_at(s, (x->slot[j] & IDX_MASK) - 1)->ih) & mask;
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			x->slot[i] = x->slot[j];
			i = j;
		}
	}
	x->slot[i] = 0;
}

/*
 * Growth moves the old table's slots into the new one a few at a time
 * (STORE_MOVE_PER_ADD per new infohash, so it ends long before the new
 * table is full): no announce pays for rehashing a large table. The
 * cursor starts at an empty slot and moves whole clusters (runs of full
 * slots), which leaves the old table a valid index of the rest: every
 * probe path lies inside one cluster. Deletions in the old table shift
 * slots only within their cluster, so none lands behind the cursor.
 */
static void move_slot(struct dht_store *s, uint32_t v)
{
	size_t mask = s->idx.nslot - 1;
	size_t i = (size_t)hash_ih(s, &rec_at(s, (v & IDX_MASK) - 1)->ih) & mask;
	while (s->idx.slot[i])
		i = (i + 1) & mask;
	s->idx.slot[i] = v;
}

static void move_slots(struct dht_store *s, size_t steps)
{
	struct store_index *o = &s->old;
	size_t omask = o->nslot - 1;
	while (o->nslot && steps) {
		if (s->old_left == 0) {
			free(o->slot);
			memset(o, 0, sizeof(*o));
			return;
		}
		/* a full slot here starts a cluster: the one before is empty */
		bool in_cluster = o->slot[s->old_at] != 0;
		do {
			uint32_t v = o->slot[s->old_at];
			if (v) {
				move_slot(s, v);
				o->slot[s->old_at] = 0;
			}
			s->old_at = (s->old_at + 1) & omask;
			s->old_left--;
			steps -= steps > 0;
		} while (in_cluster && s->old_left && o->slot[s->old_at]);
	}
}

/* Starts moving to a table twice as big (64 slots at first). */
static int grow(struct dht_store *s)
{
	move_slots(s, SIZE_MAX); /* a move still running ends first */
	size_t n = s->idx.nslot ? s->idx.nslot * 2 : 64;
	uint32_t *ns = calloc(n, sizeof(*ns));
	if (!ns)
		return -1;
	if (s->idx.nslot) {
		s->old = s->idx;
		s->old_at = 0;
		while (s->old.slot[s->old_at]) /* load <= 0.7: an empty slot exists */
			s->old_at++;
		s->old_left = s->old.nslot;
	}
	s->idx.slot = ns;
	s->idx.nslot = n;
	return 0;
}

/* Remove record k (its blocks already freed) from the index and the
 * records; the last record takes its place. */
static void remove_ih(struct dht_store *s, size_t k)
{
	struct store_index *x;
	size_t i = slot_of(s, k, &x);
	slot_delete(s, x, i);
	size_t last = s->nih - 1;
	if (k != last) {
		size_t li = slot_of(s, last, &x);
		*rec_at(s, k) = *rec_at(s, last);
		x->slot[li] = (x->slot[li] & ~IDX_MASK) | (uint32_t)(k + 1);
	}
	s->nih--;
	/* Keep one spare chunk so that a store hovering at a chunk boundary
	 * does not free and allocate it over and over. */
	while (s->nrec_chunk > 1 && (s->nrec_chunk - 2) * STORE_REC_CHUNK >= s->nih)
		free(s->rec[--s->nrec_chunk]);
}

static struct store_ih *add_ih(struct dht_store *s, const struct dht_id *ih)
{
	if ((s->nih + 1) * 10 > s->idx.nslot * 7 && grow(s) != 0)
		return NULL;
	if (s->nih == s->nrec_chunk * STORE_REC_CHUNK) {
		if (s->nrec_chunk == s->arec_chunk) {
			size_t na = s->arec_chunk ? s->arec_chunk * 2 : 4;
			struct store_ih **p = realloc(s->rec, na * sizeof(*p));
			if (!p)
				return NULL;
			s->rec = p;
			s->arec_chunk = na;
		}
		struct store_ih *ch = malloc(STORE_REC_CHUNK * sizeof(*ch));
		if (!ch)
			return NULL;
		s->rec[s->nrec_chunk++] = ch;
	}
	bool found;
	uint64_t h = hash_ih(s, ih);
	size_t i = probe(s, &s->idx, ih, h, &found);
	struct store_ih *r = rec_at(s, s->nih);
	memset(r, 0, sizeof(*r));
	r->ih = *ih;
	s->idx.slot[i] = tag_of(h) | (uint32_t)++s->nih;
	move_slots(s, STORE_MOVE_PER_ADD);
	return rec_at(s, s->nih - 1);
}

/* ---- stamps ---- */

static uint16_t get_t(const uint8_t *p, size_t alen)
{
	uint16_t t;
	memcpy(&t, p + alen, TSZ);
	return t;
}

static bool is_live(const struct dht_store *s, uint16_t t, int64_t now_ms)
{
	int64_t at_ms = s->base_ms + (int64_t)(t >> 1) * 1000;
	return now_ms - at_ms < STORE_EXPIRE_MS;
}

/* ---- the API ---- */

int store_announce(struct dht_store *s, const struct dht_id *ih, const struct dht_addr *peer,
    bool is_seed, int64_t now_ms)
{
	int f = dht_af_index(peer->family);
	size_t st = stride(f), alen = st - TSZ, iplen = alen - 2;
	if (now_ms - s->base_ms > (int64_t)STAMP_MAX * 1000)
		store_expire(s, now_ms); /* not called for 9 hours: rebase first */
	int64_t sec = (now_ms - s->base_ms) / 1000;
	uint16_t t = (uint16_t)((sec < 0 ? 0 : sec) << 1 | (is_seed ? 1 : 0));
	uint8_t rec[DHT_COMPACT_PEER6 + TSZ];
	dht_addr_put_compact(peer, rec);
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
	uint32_t n = r->n[f];
	uint8_t *b = n ? block_at(s, f, r->blk[f]) : NULL;
	for (uint32_t k = 0; k < n; k++) {
		uint8_t *p = b + k * st;
		if (memcmp(p, rec, iplen) == 0) {
			memcpy(p, rec, st);
			return DHT_OK;
		}
	}
	if (n >= s->max_peers)
		return DHT_EFULL;
	if (n == 0 || n == store_class_cap(r->blk[f] >> IDX_BITS)) {
		if (!block_move(s, r, f, store_class_of(n + 1))) {
			if (is_new_ih)
				remove_ih(s, (size_t)(s->nih - 1));
			return DHT_ENOMEM;
		}
		b = block_at(s, f, r->blk[f]);
	}
	memcpy(b + n * st, rec, st);
	r->n[f] = (uint16_t)(n + 1);
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
	if (!r || max == 0 || r->n[f] == 0)
		return 0;
	size_t st = stride(f), alen = st - TSZ, got = 0, seen = 0;
	const uint8_t *b = block_at(s, f, r->blk[f]);
	for (size_t k = 0; k < r->n[f]; k++) {
		const uint8_t *p = b + k * st;
		uint16_t t = get_t(p, alen);
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
		memcpy(out + i * 20, rec_at(s, (start + i) % s->nih)->ih.b, 20);
	return n;
}

/* Drops the expired peers of r's family f, takes shift seconds off the
 * stamps of the others and moves them to a smaller block if they fit. */
static void expire_family(struct dht_store *s, struct store_ih *r, int f, int64_t now_ms,
    unsigned shift)
{
	if (r->n[f] == 0)
		return;
	size_t st = stride(f), alen = st - TSZ, w = 0;
	uint8_t *b = block_at(s, f, r->blk[f]);
	for (size_t i = 0; i < r->n[f]; i++) {
		uint8_t *p = b + i * st;
		uint16_t t = get_t(p, alen);
		if (!is_live(s, t, now_ms))
			continue;
		/* live peers are younger than shift seconds: no underflow */
		t = (uint16_t)(t - (shift << 1));
		memcpy(p + alen, &t, TSZ);
		if (w != i)
			memcpy(b + w * st, p, st);
		w++;
	}
	s->npeers -= r->n[f] - w;
	r->n[f] = (uint16_t)w;
	if (w == 0)
		block_free(s, f, r->blk[f]);
	else if (store_class_of((uint32_t)w) < r->blk[f] >> IDX_BITS)
		(void)block_move(s, r, f, store_class_of((uint32_t)w)); /* else it stays big */
}

void store_expire(struct dht_store *s, int64_t now_ms)
{
	/* Move base_ms so that live stamps stay far from STAMP_MAX: every
	 * live peer was stamped after now - STORE_EXPIRE_MS. */
	int64_t age_s = (now_ms - s->base_ms) / 1000;
	unsigned shift = 0;
	if (age_s > REBASE_S)
		shift = (unsigned)(age_s - STORE_EXPIRE_MS / 1000 - 1);
	for (size_t k = 0; k < s->nih;) {
		struct store_ih *r = rec_at(s, k);
		expire_family(s, r, 0, now_ms, shift);
		expire_family(s, r, 1, now_ms, shift);
		if (r->n[0] + r->n[1] == 0)
			remove_ih(s, k);
		else
			k++;
	}
	s->base_ms += (int64_t)shift * 1000;
}

/* BEP 33 (dht/bep33.c): walk the live peers of one infohash. */
size_t store_each(const struct dht_store *s, const struct dht_id *ih, int64_t now_ms,
    store_peer_fn fn, void *ud)
{
	const struct store_ih *r = lookup(s, ih);
	size_t n = 0;
	for (int f = 0; r && f < 2; f++) {
		if (r->n[f] == 0)
			continue;
		size_t st = stride(f), alen = st - TSZ;
		const uint8_t *b = block_at(s, f, r->blk[f]);
		for (size_t k = 0; k < r->n[f]; k++) {
			const uint8_t *p = b + k * st;
			uint16_t t = get_t(p, alen);
			if (!is_live(s, t, now_ms))
				continue;
			fn(ud, p, alen - 2, (t & 1) != 0);
			n++;
		}
	}
	return n;
}

size_t store_bytes(const struct dht_store *s)
{
	size_t b = sizeof(*s);
	if (s->idx.slot)
		b += s->idx.nslot * sizeof(*s->idx.slot) + STORE_MALLOC_OVERHEAD;
	if (s->old.slot)
		b += s->old.nslot * sizeof(*s->old.slot) + STORE_MALLOC_OVERHEAD;
	if (s->rec)
		b += s->arec_chunk * sizeof(*s->rec) + STORE_MALLOC_OVERHEAD;
	b += s->nrec_chunk * (STORE_REC_CHUNK * sizeof(struct store_ih) + STORE_MALLOC_OVERHEAD);
	for (int f = 0; f < 2; f++)
		for (unsigned c = 0; c < STORE_NCLASS; c++) {
			const struct store_arena *a = &s->arena[f][c];
			if (a->nchunk == 0)
				continue;
			b += a->achunk * sizeof(*a->chunk) + STORE_MALLOC_OVERHEAD;
			b += a->nchunk * ((block_bytes(f, c) << a->shift) + STORE_MALLOC_OVERHEAD);
		}
	return b;
}
