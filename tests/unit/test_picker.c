/* test_picker.c: the piece picker: geometry, rarest first with random
 * ties, partial pieces first, random first pieces, priorities and file
 * skipping, sequential mode, endgame with cancels, aborts, hash failures,
 * a randomized download against a model, and a speed figure. */
#include "cutest.h"
#include "prop.h"

#include <time.h>

#include "base/bounds.h"
#include "proto/picker.h"

#define B TL_MAX_BLOCK_LEN

static void bf_range(struct tl_bitfield *bf, uint32_t n, uint32_t from, uint32_t to)
{
	tl_bitfield_init(bf, n);
	for (uint32_t i = from; i < to; i++)
		tl_bitfield_set(bf, i);
}

static void test_geometry(void)
{
	CU_ASSERT_PTR_NULL(tl_picker_new(0, B, 0, NULL, 1));
	CU_ASSERT_PTR_NULL(tl_picker_new(2, B, B, NULL, 1));         /* last piece empty */
	CU_ASSERT_PTR_NULL(tl_picker_new(2, B, 2 * B + 1, NULL, 1)); /* does not fit */
	struct tl_bitfield wrong;
	tl_bitfield_init(&wrong, 3);
	CU_ASSERT_PTR_NULL(tl_picker_new(2, B, 2 * B, &wrong, 1));
	tl_bitfield_clear(&wrong);
	/* 2 pieces of 48 KiB, the last one 20000 bytes: 3 + 2 blocks */
	struct tl_picker *p = tl_picker_new(2, 3 * B, 3 * B + 20000, NULL, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(tl_picker_piece_len(p, 0), 3 * B);
	CU_ASSERT_EQUAL(tl_picker_piece_len(p, 1), 20000);
	struct tl_block out[10];
	size_t n = tl_picker_next(p, NULL, 7, 10, out);
	CU_ASSERT_EQUAL(n, 5);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += out[i].length;
		CU_ASSERT_EQUAL(out[i].begin % B, 0);
		if (out[i].piece == 1 && out[i].begin == B)
			CU_ASSERT_EQUAL(out[i].length, 20000 - B);
	}
	CU_ASSERT_EQUAL(sum, 3 * B + 20000);
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 7, 10, out), 0 + 0); /* all out: endgame needs another peer */
	size_t nc;
	uint64_t cancels[4];
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, B, 20000 - B, cancels, 4, &nc), TL_PICKER_NEW);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, B, 20000 - B, cancels, 4, &nc), TL_PICKER_DUP);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, 0, B - 1, cancels, 4, &nc), TL_PICKER_BAD);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, 100, B, cancels, 4, &nc), TL_PICKER_BAD);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, 2 * B, 1, cancels, 4, &nc), TL_PICKER_BAD);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 2, 0, B, cancels, 4, &nc), TL_PICKER_BAD);
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, 0, B, cancels, 4, &nc), TL_PICKER_DONE);
	CU_ASSERT_EQUAL(nc, 0);
	tl_picker_piece_verified(p, 1);
	CU_ASSERT_TRUE(tl_bitfield_get(tl_picker_have(p), 1));
	CU_ASSERT_EQUAL(tl_picker_received(p, 7, 1, 0, B, cancels, 4, &nc), TL_PICKER_DUP);
	CU_ASSERT_FALSE(tl_picker_is_complete(p));
	tl_picker_free(p);
	tl_picker_free(NULL);
}

/* 20 one-block pieces, 0..3 already ours (past the random-first phase). */
static struct tl_picker *twenty(uint64_t seed)
{
	struct tl_bitfield have;
	bf_range(&have, 20, 0, 4);
	struct tl_picker *p = tl_picker_new(20, B, 20 * B, &have, seed);
	tl_bitfield_clear(&have);
	return p;
}

static void test_rarest_first(void)
{
	struct tl_bitfield a, b, c;
	bf_range(&a, 20, 0, 20);
	bf_range(&b, 20, 4, 10);
	bf_range(&c, 20, 4, 6);
	bool seen[20] = { 0 };
	int distinct = 0;
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct tl_picker *p = twenty(seed);
		tl_picker_peer_bitfield(p, &a);
		tl_picker_peer_bitfield(p, &b);
		tl_picker_peer_bitfield(p, &c);
		tl_picker_peer_have_all(p);
		CU_ASSERT_EQUAL(tl_picker_availability(p, 4), 4);
		CU_ASSERT_EQUAL(tl_picker_availability(p, 7), 3);
		CU_ASSERT_EQUAL(tl_picker_availability(p, 15), 2);
		struct tl_block out[20];
		/* B's rarest pieces are 6..9, then 4..5 */
		CU_ASSERT_EQUAL(tl_picker_next(p, &b, 2, 4, out), 4);
		for (int i = 0; i < 4; i++)
			CU_ASSERT_TRUE(out[i].piece >= 6 && out[i].piece <= 9);
		CU_ASSERT_EQUAL(tl_picker_next(p, &b, 2, 1, out), 1);
		CU_ASSERT_TRUE(out[0].piece == 4 || out[0].piece == 5);
		/* A: the rarest are 10..19 */
		CU_ASSERT_EQUAL(tl_picker_next(p, &a, 1, 1, out), 1);
		CU_ASSERT_TRUE(out[0].piece >= 10);
		if (!seen[out[0].piece]) {
			seen[out[0].piece] = true;
			distinct++;
		}
		tl_picker_free(p);
	}
	CU_ASSERT_TRUE(distinct >= 4); /* ties are broken at random */

	/* availability updates move pieces: make everything but 13 common */
	struct tl_picker *p = twenty(5);
	tl_picker_peer_bitfield(p, &a);
	for (uint32_t i = 4; i < 20; i++)
		if (i != 13) {
			tl_picker_peer_have(p, i);
			tl_picker_peer_have(p, i);
		}
	struct tl_block out[1];
	CU_ASSERT_EQUAL(tl_picker_next(p, &a, 1, 1, out), 1);
	CU_ASSERT_EQUAL(out[0].piece, 13);
	/* a peer leaving lowers availability again */
	tl_picker_peer_lost(p, &a);
	CU_ASSERT_EQUAL(tl_picker_availability(p, 13), 0);
	CU_ASSERT_EQUAL(tl_picker_availability(p, 12), 2);
	tl_picker_peer_lost(p, NULL); /* no seed to lose: stays 0 */
	CU_ASSERT_EQUAL(tl_picker_availability(p, 12), 2);
	/* a peer without the pieces gets nothing; is_interesting agrees */
	struct tl_bitfield none;
	tl_bitfield_init(&none, 20);
	CU_ASSERT_EQUAL(tl_picker_next(p, &none, 9, 1, out), 0);
	CU_ASSERT_FALSE(tl_picker_is_interesting(p, &none));
	CU_ASSERT_TRUE(tl_picker_is_interesting(p, &c));
	CU_ASSERT_TRUE(tl_picker_is_interesting(p, NULL));
	tl_bitfield_clear(&none);
	bf_range(&none, 20, 0, 4); /* only what we have */
	CU_ASSERT_FALSE(tl_picker_is_interesting(p, &none));
	tl_bitfield_clear(&none);
	tl_picker_free(p);
	tl_bitfield_clear(&a);
	tl_bitfield_clear(&b);
	tl_bitfield_clear(&c);
}

static void test_partial_first_and_random_first(void)
{
	/* 50 pieces of 4 blocks, nothing verified: random first pieces */
	bool seen[50] = { 0 };
	int distinct = 0;
	for (uint64_t seed = 1; seed <= 30; seed++) {
		struct tl_picker *p = tl_picker_new(50, 4 * B, 200 * (uint64_t)B, NULL, seed);
		struct tl_block out[8];
		CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 2, out), 2);
		CU_ASSERT_EQUAL(out[0].piece, out[1].piece);
		if (!seen[out[0].piece]) {
			seen[out[0].piece] = true;
			distinct++;
		}
		/* the next peer continues the same piece before starting another */
		CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 2, 3, out), 3);
		CU_ASSERT_EQUAL(out[0].piece, out[1].piece);
		CU_ASSERT_NOT_EQUAL(out[2].piece, out[0].piece);
		tl_picker_free(p);
	}
	CU_ASSERT_TRUE(distinct >= 5);
}

static void test_priorities(void)
{
	/* 10 pieces of 2 blocks (32 KiB); files: [0, 40000) skip, [40000,
	 * 40000) empty, [40000, 100000) normal, [100000, 327680) skip */
	struct tl_picker *p = tl_picker_new(10, 2 * B, 10 * 2 * (uint64_t)B, NULL, 3);
	uint64_t off[4] = { 0, 40000, 40000, 100000 }, len[4] = { 40000, 0, 60000, 327680 - 100000 };
	uint8_t prio[4] = { 0, 7, TL_PICKER_PRIO_NORMAL, 0 };
	tl_picker_set_file_priorities(p, 4, off, len, prio);
	/* wanted pieces: bytes 40000..99999 -> pieces 1..3 */
	struct tl_block out[40];
	size_t n = tl_picker_next(p, NULL, 1, 40, out);
	CU_ASSERT_EQUAL(n, 6);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_TRUE(out[i].piece >= 1 && out[i].piece <= 3);
	size_t nc;
	uint64_t cx[2];
	for (size_t i = 0; i < n; i++) {
		enum tl_picker_result r = tl_picker_received(p, 1, out[i].piece, out[i].begin, out[i].length, cx, 2, &nc);
		CU_ASSERT_TRUE(r == TL_PICKER_NEW || r == TL_PICKER_DONE);
		if (r == TL_PICKER_DONE)
			tl_picker_piece_verified(p, out[i].piece);
	}
	CU_ASSERT_TRUE(tl_picker_is_complete(p));
	CU_ASSERT_FALSE(tl_picker_is_interesting(p, NULL));
	/* raising one piece to high priority puts it ahead of everything */
	tl_picker_set_piece_priority(p, 8, TL_PICKER_PRIO_MAX);
	tl_picker_set_piece_priority(p, 9, 1);
	CU_ASSERT_FALSE(tl_picker_is_complete(p));
	for (uint32_t i = 0; i < 10; i++)
		tl_picker_peer_have(p, i); /* equal availability */
	for (uint32_t i = 0; i < 9; i++)
		tl_picker_peer_have(p, 9); /* 9 is commoner, but priority wins anyway */
	tl_picker_set_piece_priority(p, 0, TL_PICKER_PRIO_NORMAL);
	n = tl_picker_next(p, NULL, 2, 1, out);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(out[0].piece, 8);
	tl_picker_free(p);
}

static void test_sequential(void)
{
	struct tl_picker *p = tl_picker_new(30, B, 30 * (uint64_t)B, NULL, 9);
	tl_picker_set_sequential(p, true);
	struct tl_bitfield odd;
	tl_bitfield_init(&odd, 30);
	for (uint32_t i = 1; i < 30; i += 2)
		tl_bitfield_set(&odd, i);
	struct tl_block out[5];
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 5, out), 5);
	for (uint32_t i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(out[i].piece, i);
	CU_ASSERT_EQUAL(tl_picker_next(p, &odd, 2, 3, out), 3);
	CU_ASSERT_EQUAL(out[0].piece, 5);
	CU_ASSERT_EQUAL(out[1].piece, 7);
	CU_ASSERT_EQUAL(out[2].piece, 9);
	tl_bitfield_clear(&odd);
	tl_picker_free(p);
}

static void test_endgame_and_aborts(void)
{
	/* 2 pieces of 2 blocks, both peers have everything */
	struct tl_picker *p = tl_picker_new(2, 2 * B, 4 * (uint64_t)B, NULL, 4);
	struct tl_block a[4], b[4], c[4];
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 3, a), 3);
	CU_ASSERT_FALSE(tl_picker_is_endgame(p));
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 2, 4, b), 4); /* 1 free + 3 duplicates */
	CU_ASSERT_TRUE(tl_picker_is_endgame(p));
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 2, 4, c), 0); /* never twice to the same peer */
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 3, 4, c), 4); /* a third requester for each */
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 4, 4, c), 1); /* the block peer 2 alone had */
	/* peer 3 delivers a block peers 1 and 2 were asked for */
	uint64_t cancels[4];
	size_t nc;
	CU_ASSERT_EQUAL(tl_picker_received(p, 3, a[0].piece, a[0].begin, a[0].length, cancels, 4, &nc),
	    TL_PICKER_NEW);
	CU_ASSERT_EQUAL(nc, 2);
	CU_ASSERT_TRUE((cancels[0] == 1 && cancels[1] == 2) || (cancels[0] == 2 && cancels[1] == 1));
	/* peer 1's copy arrives anyway: a duplicate */
	CU_ASSERT_EQUAL(tl_picker_received(p, 1, a[0].piece, a[0].begin, a[0].length, cancels, 4, &nc), TL_PICKER_DUP);
	/* peer 1 disconnects: blocks it owned pass to the duplicates */
	tl_picker_peer_abort_all(p, 1);
	CU_ASSERT_EQUAL(tl_picker_received(p, 2, a[1].piece, a[1].begin, a[1].length, cancels, 4, &nc), TL_PICKER_NEW
	    + (a[1].piece == a[0].piece ? TL_PICKER_DONE : 0));
	CU_ASSERT_EQUAL(nc, 1);
	CU_ASSERT_EQUAL(cancels[0], 3);
	tl_picker_free(p);

	/* aborts free blocks for the next peer */
	p = tl_picker_new(1, 2 * B, 2 * (uint64_t)B, NULL, 4);
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 2, a), 2);
	tl_picker_abort(p, 1, a[1].piece, a[1].begin);
	tl_picker_abort(p, 9, a[0].piece, a[0].begin); /* not peer 9's: no effect */
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 2, b), 1);
	CU_ASSERT_EQUAL(b[0].begin, a[1].begin);
	tl_picker_peer_abort_all(p, 1);
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 2, 2, b), 2);
	CU_ASSERT_FALSE(tl_picker_is_endgame(p) && b[0].begin == b[1].begin);
	tl_picker_free(p);
}

static void test_hash_failure(void)
{
	struct tl_picker *p = tl_picker_new(1, 3 * B, 3 * (uint64_t)B, NULL, 4);
	struct tl_block a[3];
	uint64_t cx[2];
	size_t nc;
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 1, 2, a), 2);
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 2, 1, a + 2), 1);
	CU_ASSERT_EQUAL(tl_picker_received(p, 1, 0, a[0].begin, B, cx, 2, &nc), TL_PICKER_NEW);
	CU_ASSERT_EQUAL(tl_picker_received(p, 1, 0, a[1].begin, B, cx, 2, &nc), TL_PICKER_NEW);
	CU_ASSERT_EQUAL(tl_picker_received(p, 2, 0, a[2].begin, B, cx, 2, &nc), TL_PICKER_DONE);
	uint64_t senders[4];
	CU_ASSERT_EQUAL(tl_picker_piece_senders(p, 0, senders, 4), 2);
	CU_ASSERT_TRUE((senders[0] == 1 && senders[1] == 2) || (senders[0] == 2 && senders[1] == 1));
	CU_ASSERT_EQUAL(tl_picker_piece_senders(p, 0, senders, 1), 1);
	tl_picker_piece_failed(p, 0);
	CU_ASSERT_EQUAL(tl_picker_piece_senders(p, 0, senders, 4), 0);
	CU_ASSERT_EQUAL(tl_picker_next(p, NULL, 3, 5, a), 3); /* fetched again */
	tl_picker_free(p);
}

enum { NPEERS = 6, MAXOUT = 64 };

struct mpeer {
	struct tl_bitfield has;
	bool is_seed;
	struct tl_block out[MAXOUT];
	size_t nout;
};

/* A whole download with random deliveries, aborts, disconnects and hash
 * failures, checked against a model of received blocks; it must finish. */
static void test_download_property(void)
{
	prop_seed();
	for (int run = 0; run < 40; run++) {
		uint32_t npieces = 1 + rnd(60), plen = B * (1 + rnd(4));
		uint64_t total = (uint64_t)(npieces - 1) * plen + 1 + rnd(plen);
		struct tl_picker *p = tl_picker_new(npieces, plen, total, NULL, rng);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		if (rnd(3) == 0)
			tl_picker_set_sequential(p, true);
		uint32_t nblk = (plen + B - 1) / B;
		bool *got = calloc((size_t)npieces * nblk, 1), *verified = calloc(npieces, 1);
		struct mpeer peers[NPEERS];
		for (int k = 0; k < NPEERS; k++) {
			struct mpeer *m = &peers[k];
			tl_bitfield_init(&m->has, npieces);
			m->is_seed = k == 0;
			m->nout = 0;
			if (m->is_seed) {
				tl_picker_peer_have_all(p);
				continue;
			}
			for (uint32_t i = 0; i < npieces; i++)
				if (rnd(2))
					tl_bitfield_set(&m->has, i);
			tl_picker_peer_bitfield(p, &m->has);
		}
		int steps = 0;
		while (!tl_picker_is_complete(p) && steps++ < 20000) {
			int k = (int)rnd(NPEERS);
			struct mpeer *m = &peers[k];
			uint32_t op = rnd(10);
			if (op < 4 && m->nout < MAXOUT) {
				struct tl_block blk[8];
				size_t n = tl_picker_next(p, m->is_seed ? NULL : &m->has, (uint64_t)k + 1, 1 + rnd(8), blk);
				for (size_t i = 0; i < n && m->nout < MAXOUT; i++) {
					CU_ASSERT_TRUE(m->is_seed || tl_bitfield_get(&m->has, blk[i].piece));
					CU_ASSERT_FALSE(verified[blk[i].piece]);
					CU_ASSERT_FALSE(got[blk[i].piece * nblk + blk[i].begin / B]);
					for (size_t j = 0; j < m->nout; j++) /* never twice to one peer */
						CU_ASSERT_FALSE(m->out[j].piece == blk[i].piece && m->out[j].begin == blk[i].begin);
					m->out[m->nout++] = blk[i];
				}
				if (n > m->nout) /* the rest are lost: abort them */
					for (size_t i = m->nout; i < n; i++)
						tl_picker_abort(p, (uint64_t)k + 1, blk[i].piece, blk[i].begin);
			} else if (op < 8 && m->nout) {
				size_t j = rnd((uint32_t)m->nout);
				struct tl_block blk = m->out[j];
				m->out[j] = m->out[--m->nout];
				uint64_t cancels[NPEERS];
				size_t nc;
				enum tl_picker_result r = tl_picker_received(p, (uint64_t)k + 1, blk.piece, blk.begin, blk.length,
				    cancels, NPEERS, &nc);
				bool *g = &got[blk.piece * nblk + blk.begin / B];
				CU_ASSERT_EQUAL(r == TL_PICKER_DUP, *g || verified[blk.piece]);
				CU_ASSERT_NOT_EQUAL(r, TL_PICKER_BAD);
				for (size_t c = 0; c < nc; c++) { /* the caller sends CANCEL: drop theirs */
					CU_ASSERT_NOT_EQUAL(cancels[c], (uint64_t)k + 1);
					struct mpeer *o = &peers[cancels[c] - 1];
					for (size_t x = 0; x < o->nout; x++)
						if (o->out[x].piece == blk.piece && o->out[x].begin == blk.begin) {
							o->out[x] = o->out[--o->nout];
							break;
						}
				}
				if (r == TL_PICKER_DUP)
					continue;
				*g = true;
				bool all = true;
				for (uint32_t b = 0; b < (tl_picker_piece_len(p, blk.piece) + B - 1) / B; b++)
					all = all && got[blk.piece * nblk + b];
				CU_ASSERT_EQUAL(r == TL_PICKER_DONE, all);
				if (r == TL_PICKER_DONE) {
					if (rnd(8) == 0) {
						tl_picker_piece_failed(p, blk.piece);
						memset(&got[blk.piece * nblk], 0, nblk);
					} else {
						tl_picker_piece_verified(p, blk.piece);
						verified[blk.piece] = true;
					}
				}
			} else if (op == 8 && m->nout) {
				size_t j = rnd((uint32_t)m->nout);
				tl_picker_abort(p, (uint64_t)k + 1, m->out[j].piece, m->out[j].begin);
				m->out[j] = m->out[--m->nout];
			} else if (op == 9) { /* disconnect and come back */
				tl_picker_peer_abort_all(p, (uint64_t)k + 1);
				m->nout = 0;
				tl_picker_peer_lost(p, m->is_seed ? NULL : &m->has);
				if (m->is_seed)
					tl_picker_peer_have_all(p);
				else
					tl_picker_peer_bitfield(p, &m->has);
			}
		}
		CU_ASSERT_TRUE(tl_picker_is_complete(p));
		for (uint32_t i = 0; i < npieces; i++)
			CU_ASSERT_TRUE(verified[i]);
		for (int k = 0; k < NPEERS; k++)
			tl_bitfield_clear(&peers[k].has);
		free(got);
		free(verified);
		tl_picker_free(p);
	}
}

/* A figure, not a pass/fail bound: 20000 pieces, 500 peers joining with
 * half the pieces each, then rounds of picks, each block arriving at once. */
static void test_speed(void)
{
	enum { N = 20000, P = 500, ROUNDS = 8 };
	struct tl_bitfield have;
	bf_range(&have, N, 0, TL_PICKER_RANDOM_FIRST);
	struct tl_picker *p = tl_picker_new(N, 4 * B, (uint64_t)N * 4 * B, &have, 1);
	struct tl_bitfield *bfs = calloc(P, sizeof(*bfs));
	rng = 12345;
	clock_t t0 = clock();
	for (int k = 0; k < P; k++) {
		tl_bitfield_init(&bfs[k], N);
		for (uint32_t i = 0; i < N; i++)
			if (rnd(2))
				tl_bitfield_set(&bfs[k], i);
		tl_picker_peer_bitfield(p, &bfs[k]);
	}
	clock_t t1 = clock();
	struct tl_block out[16];
	size_t picked = 0, wrong = 0;
	for (int round = 0; round < ROUNDS; round++)
		for (int k = 0; k < P; k++) {
			size_t n = tl_picker_next(p, &bfs[k], (uint64_t)k + 1, 16, out);
			picked += n;
			for (size_t i = 0; i < n; i++) {
				uint64_t cx[4];
				size_t nc;
				wrong += !tl_bitfield_get(&bfs[k], out[i].piece);
				if (tl_picker_received(p, (uint64_t)k + 1, out[i].piece, out[i].begin, out[i].length, cx, 4,
				        &nc) == TL_PICKER_DONE)
					tl_picker_piece_verified(p, out[i].piece);
			}
		}
	clock_t t2 = clock();
	printf("\npicker: %d peers x %d pieces: bitfields in %.1f ms (%.0f ns per HAVE), "
	       "%d picks (%zu blocks) in %.1f ms (%.1f us per pick of up to 16 with their arrivals)\n",
	    P, N, 1e3 * (double)(t1 - t0) / CLOCKS_PER_SEC,
	    1e9 * (double)(t1 - t0) / CLOCKS_PER_SEC / (P * N / 2.0), ROUNDS * P, picked,
	    1e3 * (double)(t2 - t1) / CLOCKS_PER_SEC, 1e6 * (double)(t2 - t1) / CLOCKS_PER_SEC / (ROUNDS * P));
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(picked, (size_t)ROUNDS * P * 16); /* 64000 of 80000 blocks: never short */
	for (int k = 0; k < P; k++) {
		tl_picker_peer_lost(p, &bfs[k]);
		tl_bitfield_clear(&bfs[k]);
	}
	CU_ASSERT_EQUAL(tl_picker_availability(p, 77), 0);
	free(bfs);
	tl_bitfield_clear(&have);
	tl_picker_free(p);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_geometry),
		TL_TEST(test_rarest_first),
		TL_TEST(test_partial_first_and_random_first),
		TL_TEST(test_priorities),
		TL_TEST(test_sequential),
		TL_TEST(test_endgame_and_aborts),
		TL_TEST(test_hash_failure),
		TL_TEST(test_download_property),
		TL_TEST(test_speed),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("picker", tests);
}
