/* picker.c: the piece picker (see picker.h). */
#include "proto/picker.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/mem.h"

/* Availability levels per priority: pieces held by 63 peers or more are
 * one class ("common"), which changes no choice that matters; a torrent
 * has 50 peers by default. The class bounds cost 4 bytes per class and
 * torrent (450 classes: 1.8 KiB; 1024 levels took 28 KiB, the most of an
 * idle seeding torrent's memory). */
#define AV_LEVELS 64u
#define NCLASS (TL_PICKER_PRIO_MAX * AV_LEVELS + 1u)
#define EXCL (NCLASS - 1u) /* pieces we have or skip */
#define BLK TL_MAX_BLOCK_LEN

enum blk_state { BLK_NONE = 0, BLK_REQUESTED = 1, BLK_RECEIVED = 2 };

struct blk {
	uint8_t state; /* enum blk_state */
	uint8_t nreq;  /* requesters: the owner plus endgame duplicates */
	uint64_t peer; /* requested: first requester; received: sender */
};

struct partial {
	uint32_t piece;
	uint32_t nblocks;
	uint32_t nnone;     /* blocks in BLK_NONE */
	uint32_t nreceived; /* blocks in BLK_RECEIVED */
	struct blk *b;
};

/* An endgame duplicate request (the first requester is in struct blk). */
struct eg_req {
	uint32_t piece;
	uint32_t block;
	uint64_t peer;
};

struct tl_picker {
	uint32_t npieces;
	uint32_t piece_len;
	uint32_t last_len;
	struct tl_bitfield have;
	struct tl_bitfield need; /* priority > 0 and not have */
	uint8_t *prio;
	uint32_t *avail;         /* peers with the piece, seeds excluded */
	uint32_t nseeds;
	/* order[bound[c] .. bound[c+1]) are the pieces of class c */
	uint32_t *order;
	uint32_t *pos;
	uint16_t *cls;
	uint32_t *bound;
	int32_t *partial_of;     /* piece -> index in partials, or -1 */
	struct partial *partials;
	size_t npartial, cap_partial;
	uint32_t nstarted_need;  /* partial pieces that are in need */
	struct eg_req *eg;
	size_t neg, cap_eg;
	bool is_sequential;
	bool is_endgame;
	uint64_t rng;
};

static uint64_t next_rand(struct tl_picker *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 0x2545f4914f6cdd1dull;
}

uint32_t tl_picker_piece_len(const struct tl_picker *p, uint32_t piece)
{
	return piece == p->npieces - 1 ? p->last_len : p->piece_len;
}

static uint32_t nblocks_of(const struct tl_picker *p, uint32_t piece)
{
	return (tl_picker_piece_len(p, piece) + BLK - 1) / BLK;
}

static uint32_t class_of(const struct tl_picker *p, uint32_t piece)
{
	if (!tl_bitfield_get(&p->need, piece))
		return EXCL;
	uint32_t av = p->avail[piece] < AV_LEVELS - 1 ? p->avail[piece] : AV_LEVELS - 1;
	return (TL_PICKER_PRIO_MAX - p->prio[piece]) * AV_LEVELS + av;
}

static void swap_pos(struct tl_picker *p, uint32_t i, uint32_t j)
{
	uint32_t a = p->order[i], b = p->order[j];
	p->order[i] = b;
	p->order[j] = a;
	p->pos[b] = i;
	p->pos[a] = j;
}

/* Move a piece to another class one boundary at a time: each step swaps
 * it with the edge element of its class and shifts that boundary. */
static void update(struct tl_picker *p, uint32_t piece)
{
	uint32_t want = class_of(p, piece);
	while (p->cls[piece] < want) {
		uint32_t c = p->cls[piece];
		swap_pos(p, p->pos[piece], p->bound[c + 1] - 1);
		p->bound[c + 1]--;
		p->cls[piece] = (uint16_t)(c + 1);
	}
	while (p->cls[piece] > want) {
		uint32_t c = p->cls[piece];
		swap_pos(p, p->pos[piece], p->bound[c]);
		p->bound[c]++;
		p->cls[piece] = (uint16_t)(c - 1);
	}
}

/* Recompute every class and re-sort by counting, from a fresh random
 * permutation (the random tie-break). */
static void rebuild(struct tl_picker *p)
{
	uint32_t n = p->npieces;
	memset(p->bound, 0, (NCLASS + 1) * sizeof(*p->bound));
	for (uint32_t i = 0; i < n; i++) {
		p->cls[i] = (uint16_t)class_of(p, i);
		p->bound[p->cls[i] + 1]++;
	}
	for (uint32_t c = 0; c < NCLASS; c++)
		p->bound[c + 1] += p->bound[c];
	uint32_t *perm = tl_reallocarray(NULL, n, sizeof(*perm));
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(next_rand(p) % (i + 1));
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	uint32_t *fill = tl_reallocarray(NULL, NCLASS, sizeof(*fill));
	memcpy(fill, p->bound, NCLASS * sizeof(*fill));
	for (uint32_t k = 0; k < n; k++) {
		uint32_t piece = perm[k];
		uint32_t at = fill[p->cls[piece]]++;
		p->order[at] = piece;
		p->pos[piece] = at;
	}
	free(fill);
	free(perm);
}

static void set_need(struct tl_picker *p, uint32_t piece, bool on)
{
	if (tl_bitfield_get(&p->need, piece) == on)
		return;
	if (on)
		tl_bitfield_set(&p->need, piece);
	else
		tl_bitfield_unset(&p->need, piece);
	if (p->partial_of[piece] >= 0)
		p->nstarted_need += on ? 1u : (uint32_t)-1;
}

struct tl_picker *tl_picker_new(uint32_t npieces, uint32_t piece_len, uint64_t total_len,
    const struct tl_bitfield *have, uint64_t seed)
{
	if (npieces == 0 || piece_len == 0 || piece_len > TL_MAX_PIECE_LEN)
		return NULL;
	uint64_t before_last = (uint64_t)(npieces - 1) * piece_len;
	if (total_len <= before_last || total_len - before_last > piece_len)
		return NULL;
	if (have && have->n != npieces)
		return NULL;
	struct tl_picker *p = tl_calloc(1, sizeof(*p));
	p->npieces = npieces;
	p->piece_len = piece_len;
	p->last_len = (uint32_t)(total_len - before_last);
	p->rng = seed ^ 0x9e3779b97f4a7c15ull;
	if (!p->rng)
		p->rng = 1;
	if (have)
		tl_bitfield_init_copy(&p->have, have);
	else
		tl_bitfield_init(&p->have, npieces);
	tl_bitfield_init(&p->need, npieces);
	p->prio = tl_reallocarray(NULL, npieces, 1);
	memset(p->prio, TL_PICKER_PRIO_NORMAL, npieces);
	p->avail = tl_calloc(npieces, sizeof(*p->avail));
	p->order = tl_reallocarray(NULL, npieces, sizeof(*p->order));
	p->pos = tl_reallocarray(NULL, npieces, sizeof(*p->pos));
	p->cls = tl_reallocarray(NULL, npieces, sizeof(*p->cls));
	p->bound = tl_reallocarray(NULL, NCLASS + 1, sizeof(*p->bound));
	p->partial_of = tl_reallocarray(NULL, npieces, sizeof(*p->partial_of));
	for (uint32_t i = 0; i < npieces; i++) {
		p->partial_of[i] = -1;
		if (!tl_bitfield_get(&p->have, i))
			tl_bitfield_set(&p->need, i);
	}
	rebuild(p);
	return p;
}

void tl_picker_free(struct tl_picker *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npartial; i++)
		free(p->partials[i].b);
	free(p->partials);
	free(p->eg);
	tl_bitfield_clear(&p->have);
	tl_bitfield_clear(&p->need);
	free(p->prio);
	free(p->avail);
	free(p->order);
	free(p->pos);
	free(p->cls);
	free(p->bound);
	free(p->partial_of);
	free(p);
}

/* ---- availability ---- */

void tl_picker_peer_have(struct tl_picker *p, uint32_t piece)
{
	if (piece >= p->npieces)
		return;
	p->avail[piece]++;
	update(p, piece);
}

void tl_picker_peer_bitfield(struct tl_picker *p, const struct tl_bitfield *has)
{
	assert(has->n == p->npieces);
	for (uint32_t i = tl_bitfield_next_set(has, 0); i < has->n; i = tl_bitfield_next_set(has, i + 1))
		tl_picker_peer_have(p, i);
}

void tl_picker_peer_have_all(struct tl_picker *p)
{
	p->nseeds++;
}

void tl_picker_peer_lost(struct tl_picker *p, const struct tl_bitfield *has)
{
	if (!has) {
		if (p->nseeds)
			p->nseeds--;
		return;
	}
	assert(has->n == p->npieces);
	for (uint32_t i = tl_bitfield_next_set(has, 0); i < has->n; i = tl_bitfield_next_set(has, i + 1)) {
		if (!p->avail[i])
			continue;
		p->avail[i]--;
		update(p, i);
	}
}

uint32_t tl_picker_availability(const struct tl_picker *p, uint32_t piece)
{
	return piece < p->npieces ? p->avail[piece] + p->nseeds : 0;
}

/* ---- priorities ---- */

static void apply_prio(struct tl_picker *p, uint32_t piece, unsigned prio)
{
	p->prio[piece] = (uint8_t)(prio > TL_PICKER_PRIO_MAX ? TL_PICKER_PRIO_MAX : prio);
	set_need(p, piece, p->prio[piece] > 0 && !tl_bitfield_get(&p->have, piece));
}

void tl_picker_set_piece_priority(struct tl_picker *p, uint32_t piece, unsigned prio)
{
	if (piece >= p->npieces)
		return;
	apply_prio(p, piece, prio);
	update(p, piece);
}

void tl_picker_set_file_priorities(struct tl_picker *p, size_t nfiles, const uint64_t *offset,
    const uint64_t *length, const uint8_t *prio)
{
	uint8_t *np = tl_calloc(p->npieces, 1);
	for (size_t f = 0; f < nfiles; f++) {
		if (length[f] == 0)
			continue; /* holds no byte of any piece */
		uint64_t first = offset[f] / p->piece_len, last = (offset[f] + length[f] - 1) / p->piece_len;
		for (uint64_t i = first; i <= last && i < p->npieces; i++)
			if (prio[f] > np[i])
				np[i] = prio[f];
	}
	for (uint32_t i = 0; i < p->npieces; i++)
		apply_prio(p, i, np[i]);
	free(np);
	rebuild(p);
}

void tl_picker_set_sequential(struct tl_picker *p, bool is_sequential)
{
	p->is_sequential = is_sequential;
}

/* ---- partial pieces ---- */

static struct partial *start_piece(struct tl_picker *p, uint32_t piece)
{
	if (p->npartial == p->cap_partial) {
		p->cap_partial = p->cap_partial ? p->cap_partial * 2 : 16;
		p->partials = tl_reallocarray(p->partials, p->cap_partial, sizeof(*p->partials));
	}
	struct partial *pt = &p->partials[p->npartial];
	pt->piece = piece;
	pt->nblocks = nblocks_of(p, piece);
	pt->nnone = pt->nblocks;
	pt->nreceived = 0;
	pt->b = tl_calloc(pt->nblocks, sizeof(*pt->b));
	p->partial_of[piece] = (int32_t)p->npartial++;
	if (tl_bitfield_get(&p->need, piece))
		p->nstarted_need++;
	return pt;
}

static void eg_remove_at(struct tl_picker *p, size_t i)
{
	p->eg[i] = p->eg[--p->neg];
}

static void eg_remove_piece(struct tl_picker *p, uint32_t piece)
{
	for (size_t i = p->neg; i-- > 0;)
		if (p->eg[i].piece == piece)
			eg_remove_at(p, i);
}

static void drop_partial(struct tl_picker *p, uint32_t piece)
{
	int32_t idx = p->partial_of[piece];
	if (idx < 0)
		return;
	eg_remove_piece(p, piece);
	free(p->partials[idx].b);
	if (tl_bitfield_get(&p->need, piece))
		p->nstarted_need--;
	p->partial_of[piece] = -1;
	if ((size_t)idx != --p->npartial) {
		p->partials[idx] = p->partials[p->npartial];
		p->partial_of[p->partials[idx].piece] = idx;
	}
}

/* A partial piece that holds nothing any more is forgotten. */
static void maybe_drop(struct tl_picker *p, uint32_t piece)
{
	int32_t idx = p->partial_of[piece];
	if (idx >= 0 && p->partials[idx].nnone == p->partials[idx].nblocks)
		drop_partial(p, piece);
}

static struct tl_block block_at(const struct tl_picker *p, uint32_t piece, uint32_t b)
{
	uint32_t plen = tl_picker_piece_len(p, piece), begin = b * BLK;
	struct tl_block out = { piece, begin, plen - begin < BLK ? plen - begin : BLK };
	return out;
}

static size_t take_free(struct tl_picker *p, struct partial *pt, uint64_t peer, size_t n, size_t max,
    struct tl_block *out)
{
	for (uint32_t b = 0; b < pt->nblocks && pt->nnone && n < max; b++) {
		if (pt->b[b].state != BLK_NONE)
			continue;
		pt->b[b].state = BLK_REQUESTED;
		pt->b[b].nreq = 1;
		pt->b[b].peer = peer;
		pt->nnone--;
		out[n++] = block_at(p, pt->piece, b);
	}
	return n;
}

static bool peer_has(const struct tl_bitfield *has, uint32_t piece)
{
	return !has || tl_bitfield_get(has, piece);
}

static bool is_candidate(const struct tl_picker *p, const struct tl_bitfield *has, uint32_t piece)
{
	return p->partial_of[piece] < 0 && peer_has(has, piece);
}

/* A piece to start for this peer, or npieces. */
static uint32_t pick_new(struct tl_picker *p, const struct tl_bitfield *has)
{
	uint32_t n = p->npieces;
	if (p->is_sequential) {
		for (uint32_t i = tl_bitfield_next_set(&p->need, 0); i < n; i = tl_bitfield_next_set(&p->need, i + 1))
			if (is_candidate(p, has, i))
				return i;
		return n;
	}
	if (tl_bitfield_count(&p->have) < TL_PICKER_RANDOM_FIRST) {
		uint32_t r = (uint32_t)(next_rand(p) % n);
		for (uint32_t i = tl_bitfield_next_set(&p->need, r); i < n; i = tl_bitfield_next_set(&p->need, i + 1))
			if (is_candidate(p, has, i))
				return i;
		for (uint32_t i = tl_bitfield_next_set(&p->need, 0); i < r; i = tl_bitfield_next_set(&p->need, i + 1))
			if (is_candidate(p, has, i))
				return i;
		return n;
	}
	/* Class by class from the rarest; within a class start at a random
	 * place, since availability updates leave each class in an order
	 * that depends on the updates, not on chance. */
	for (uint32_t lo = 0; lo < p->bound[EXCL];) {
		uint32_t c = p->cls[p->order[lo]], hi = p->bound[c + 1], len = hi - lo;
		uint32_t start = (uint32_t)(next_rand(p) % len);
		for (uint32_t k = 0; k < len; k++) {
			uint32_t piece = p->order[lo + (start + k) % len];
			if (is_candidate(p, has, piece))
				return piece;
		}
		lo = hi;
	}
	return n;
}

static bool eg_has(const struct tl_picker *p, uint32_t piece, uint32_t block, uint64_t peer)
{
	for (size_t i = 0; i < p->neg; i++)
		if (p->eg[i].piece == piece && p->eg[i].block == block && p->eg[i].peer == peer)
			return true;
	return false;
}

static size_t take_endgame(struct tl_picker *p, const struct tl_bitfield *has, uint64_t peer, size_t n, size_t max,
    struct tl_block *out)
{
	for (size_t i = 0; i < p->npartial && n < max; i++) {
		struct partial *pt = &p->partials[i];
		if (!tl_bitfield_get(&p->need, pt->piece) || !peer_has(has, pt->piece))
			continue;
		for (uint32_t b = 0; b < pt->nblocks && n < max; b++) {
			struct blk *k = &pt->b[b];
			if (k->state != BLK_REQUESTED || k->nreq >= TL_PICKER_ENDGAME_DUP || k->peer == peer ||
			    eg_has(p, pt->piece, b, peer))
				continue;
			if (p->neg == p->cap_eg) {
				p->cap_eg = p->cap_eg ? p->cap_eg * 2 : 32;
				p->eg = tl_reallocarray(p->eg, p->cap_eg, sizeof(*p->eg));
			}
			p->eg[p->neg++] = (struct eg_req){ pt->piece, b, peer };
			k->nreq++;
			out[n++] = block_at(p, pt->piece, b);
		}
	}
	return n;
}

size_t tl_picker_next(struct tl_picker *p, const struct tl_bitfield *has, uint64_t peer, size_t max,
    struct tl_block *out)
{
	size_t n = 0;
	for (size_t i = 0; i < p->npartial && n < max; i++) {
		struct partial *pt = &p->partials[i];
		if (pt->nnone && tl_bitfield_get(&p->need, pt->piece) && peer_has(has, pt->piece))
			n = take_free(p, pt, peer, n, max, out);
	}
	while (n < max) {
		uint32_t piece = pick_new(p, has);
		if (piece >= p->npieces)
			break;
		n = take_free(p, start_piece(p, piece), peer, n, max, out);
	}
	bool is_all_started = p->nstarted_need > 0 && p->nstarted_need == tl_bitfield_count(&p->need);
	if (n < max && is_all_started)
		n = take_endgame(p, has, peer, n, max, out);
	p->is_endgame = is_all_started;
	for (size_t i = 0; i < p->npartial && p->is_endgame; i++)
		if (p->partials[i].nnone && tl_bitfield_get(&p->need, p->partials[i].piece))
			p->is_endgame = false;
	return n;
}

/* ---- requests and blocks ---- */

/* The block of piece starting at begin, or NULL when there is none. */
static struct blk *find_block(struct tl_picker *p, uint32_t piece, uint32_t begin, uint32_t *b_out)
{
	if (piece >= p->npieces || p->partial_of[piece] < 0 || begin % BLK)
		return NULL;
	struct partial *pt = &p->partials[p->partial_of[piece]];
	if (begin / BLK >= pt->nblocks)
		return NULL;
	*b_out = begin / BLK;
	return &pt->b[*b_out];
}

/* Peer no longer waits for block b: hand ownership to an endgame
 * duplicate if there is one, else the block is free again. */
static void release_block(struct tl_picker *p, struct partial *pt, uint32_t b, uint64_t peer)
{
	struct blk *k = &pt->b[b];
	if (k->state != BLK_REQUESTED)
		return;
	if (k->peer != peer) {
		for (size_t i = 0; i < p->neg; i++)
			if (p->eg[i].piece == pt->piece && p->eg[i].block == b && p->eg[i].peer == peer) {
				eg_remove_at(p, i);
				k->nreq--;
				return;
			}
		return;
	}
	for (size_t i = 0; i < p->neg; i++)
		if (p->eg[i].piece == pt->piece && p->eg[i].block == b) {
			k->peer = p->eg[i].peer;
			k->nreq--;
			eg_remove_at(p, i);
			return;
		}
	k->state = BLK_NONE;
	k->nreq = 0;
	k->peer = 0;
	pt->nnone++;
}

void tl_picker_abort(struct tl_picker *p, uint64_t peer, uint32_t piece, uint32_t begin)
{
	uint32_t b;
	if (!find_block(p, piece, begin, &b))
		return;
	release_block(p, &p->partials[p->partial_of[piece]], b, peer);
	maybe_drop(p, piece);
}

void tl_picker_peer_abort_all(struct tl_picker *p, uint64_t peer)
{
	for (size_t i = p->npartial; i-- > 0;) {
		struct partial *pt = &p->partials[i];
		for (uint32_t b = 0; b < pt->nblocks; b++)
			if (pt->b[b].state == BLK_REQUESTED)
				release_block(p, pt, b, peer);
		maybe_drop(p, pt->piece); /* may move the last partial to i: already visited */
	}
}

enum tl_picker_result tl_picker_received(struct tl_picker *p, uint64_t peer, uint32_t piece, uint32_t begin,
    uint32_t length, uint64_t *cancel_out, size_t max_cancel, size_t *ncancel_out)
{
	*ncancel_out = 0;
	if (piece >= p->npieces)
		return TL_PICKER_BAD;
	uint32_t plen = tl_picker_piece_len(p, piece);
	if (begin % BLK || begin >= plen || length != (plen - begin < BLK ? plen - begin : BLK))
		return TL_PICKER_BAD;
	if (tl_bitfield_get(&p->have, piece))
		return TL_PICKER_DUP;
	if (p->partial_of[piece] < 0)
		start_piece(p, piece); /* late data for a piece we let go of */
	struct partial *pt = &p->partials[p->partial_of[piece]];
	uint32_t b = begin / BLK;
	struct blk *k = &pt->b[b];
	if (k->state == BLK_RECEIVED)
		return TL_PICKER_DUP;
	size_t nc = 0;
	if (k->state == BLK_REQUESTED && k->peer != peer && nc < max_cancel)
		cancel_out[nc++] = k->peer;
	for (size_t i = p->neg; i-- > 0;) {
		if (p->eg[i].piece != piece || p->eg[i].block != b)
			continue;
		if (p->eg[i].peer != peer && nc < max_cancel)
			cancel_out[nc++] = p->eg[i].peer;
		eg_remove_at(p, i);
	}
	*ncancel_out = nc;
	if (k->state == BLK_NONE)
		pt->nnone--;
	k->state = BLK_RECEIVED;
	k->nreq = 0;
	k->peer = peer;
	return ++pt->nreceived == pt->nblocks ? TL_PICKER_DONE : TL_PICKER_NEW;
}

void tl_picker_piece_verified(struct tl_picker *p, uint32_t piece)
{
	if (piece >= p->npieces || tl_bitfield_get(&p->have, piece))
		return;
	drop_partial(p, piece);
	tl_bitfield_set(&p->have, piece);
	set_need(p, piece, false);
	update(p, piece);
}

size_t tl_picker_piece_senders(const struct tl_picker *p, uint32_t piece, uint64_t *out, size_t max)
{
	if (piece >= p->npieces || p->partial_of[piece] < 0)
		return 0;
	const struct partial *pt = &p->partials[p->partial_of[piece]];
	size_t n = 0;
	for (uint32_t b = 0; b < pt->nblocks; b++) {
		if (pt->b[b].state != BLK_RECEIVED)
			continue;
		size_t j = 0;
		while (j < n && out[j] != pt->b[b].peer)
			j++;
		if (j == n && n < max)
			out[n++] = pt->b[b].peer;
	}
	return n;
}

void tl_picker_piece_failed(struct tl_picker *p, uint32_t piece)
{
	if (piece < p->npieces)
		drop_partial(p, piece);
}

/* ---- state ---- */

const struct tl_bitfield *tl_picker_have(const struct tl_picker *p)
{
	return &p->have;
}

bool tl_picker_is_complete(const struct tl_picker *p)
{
	return tl_bitfield_none(&p->need);
}

bool tl_picker_is_interesting(const struct tl_picker *p, const struct tl_bitfield *has)
{
	if (!has)
		return !tl_bitfield_none(&p->need);
	assert(has->n == p->npieces);
	const uint8_t *a = tl_bitfield_bytes(&p->need), *b = tl_bitfield_bytes(has);
	for (size_t i = 0; i < tl_bitfield_nbytes(p->npieces); i++)
		if (a[i] & b[i])
			return true;
	return false;
}

bool tl_picker_is_endgame(const struct tl_picker *p)
{
	return p->is_endgame;
}
