/* test_choker.c: tit-for-tat while leeching, snubbing, rotation while
 * seeding, the optimistic unchoke and its 30 s rotation, and which idle
 * peer gives its slot to a newcomer. */
#include "cutest.h"

#include "proto/choker.h"

static size_t count(const bool *v, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += v[i];
	return c;
}

static void test_leeching(void)
{
	struct tl_choker c;
	tl_choker_init(&c, 1);
	struct tl_choker_peer p[7] = {
		{ .key = 1, .is_interested = true, .rate_down = 500 },
		{ .key = 2, .is_interested = true, .rate_down = 900 },
		{ .key = 3, .is_interested = true, .rate_down = 100 },
		{ .key = 4, .is_interested = true, .rate_down = 700 },
		{ .key = 5, .is_interested = true, .rate_down = 5000, .is_snubbed = true },
		{ .key = 6, .is_interested = false, .rate_down = 9000 },
		{ .key = 7, .is_interested = true, .rate_down = 0 },
	};
	bool u[7];
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 7, 4, false, 1000, u), 4);
	/* regular: 2, 4, 1 (fastest, not snubbed); then one optimistic */
	CU_ASSERT_TRUE(u[1] && u[3] && u[0]);
	CU_ASSERT_FALSE(u[5]); /* not interested */
	CU_ASSERT_TRUE(u[2] || u[4] || u[6]);
	CU_ASSERT_EQUAL(count(u, 7), 4);
	/* a stalled peer gets no regular slot however fast it gives */
	p[1].is_stalled = true;
	tl_choker_init(&c, 1);
	tl_choker_run(&c, p, 7, 4, false, 1000, u);
	CU_ASSERT_TRUE(u[3] && u[0] && u[2]);
	p[1].is_stalled = false;
	/* no slots: nobody; one slot: only the optimistic one */
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 7, 0, false, 2000, u), 0);
	CU_ASSERT_EQUAL(count(u, 7), 0);
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 7, 1, false, 3000, u), 1);
	CU_ASSERT_FALSE(u[5]);
	/* more slots than interested peers: all interested ones */
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 7, 20, false, 4000, u), 6);
	CU_ASSERT_FALSE(u[5]);
	CU_ASSERT_EQUAL(tl_choker_run(&c, NULL, 0, 4, false, 5000, u), 0);
}

static void test_optimistic_rotation(void)
{
	struct tl_choker c;
	tl_choker_init(&c, 7);
	struct tl_choker_peer p[6];
	for (int i = 0; i < 6; i++)
		p[i] = (struct tl_choker_peer){ .key = (uint64_t)i + 10, .is_interested = true,
			.rate_down = i == 0 ? 1000 : 0, .last_unchoked = 1 };
	bool u[6];
	/* 2 slots: peer 0 regular, one optimistic among 1..5 */
	uint64_t now = 100000;
	tl_choker_run(&c, p, 6, 2, false, now, u);
	CU_ASSERT_TRUE(u[0]);
	size_t opt = 1;
	while (opt < 6 && !u[opt])
		opt++;
	CU_ASSERT_FATAL(opt < 6);
	/* kept within 30 s */
	for (uint64_t t = 10000; t < TL_CHOKER_OPTIMISTIC_MS; t += 10000) {
		tl_choker_run(&c, p, 6, 2, false, now + t, u);
		CU_ASSERT_TRUE(u[opt]);
		CU_ASSERT_EQUAL(count(u, 6), 2);
	}
	/* changed after 30 s, and every candidate gets a turn over time */
	bool had[6] = { 0 };
	size_t prev = opt;
	for (int round = 1; round <= 60; round++) {
		tl_choker_run(&c, p, 6, 2, false, now + (uint64_t)round * TL_CHOKER_OPTIMISTIC_MS, u);
		size_t o = 1;
		while (o < 6 && !u[o])
			o++;
		CU_ASSERT_FATAL(o < 6);
		CU_ASSERT_NOT_EQUAL(o, prev);
		had[o] = true;
		prev = o;
	}
	for (int i = 1; i < 6; i++)
		CU_ASSERT_TRUE(had[i]);
	/* the optimistic peer losing interest is replaced at once */
	p[prev].is_interested = false;
	tl_choker_run(&c, p, 6, 2, false, now + 61ull * TL_CHOKER_OPTIMISTIC_MS + 1, u);
	CU_ASSERT_FALSE(u[prev]);
	CU_ASSERT_EQUAL(count(u, 6), 2);
}

static void test_newcomers_favoured(void)
{
	/* one newcomer among 9 old peers: weight 3 of 12, so about 25% */
	struct tl_choker c;
	tl_choker_init(&c, 99);
	struct tl_choker_peer p[10];
	for (int i = 0; i < 10; i++)
		p[i] = (struct tl_choker_peer){ .key = (uint64_t)i + 1, .is_interested = true,
			.last_unchoked = i == 0 ? 0 : 5 };
	int hits = 0;
	bool u[10];
	for (int round = 0; round < 2000; round++) {
		tl_choker_run(&c, p, 10, 1, false, (uint64_t)round * TL_CHOKER_OPTIMISTIC_MS, u);
		hits += u[0];
	}
	/* uniform would be ~222 (1 in 9 among the others), weighted ~500 */
	CU_ASSERT_TRUE(hits > 380 && hits < 650);
}

static void test_seeding_rotation(void)
{
	struct tl_choker c;
	tl_choker_init(&c, 3);
	/* 3 slots (2 regular). Peers 0, 1 unchoked recently; 2 unchoked long
	 * ago; 3 never; 4 waiting since t=5000. */
	uint64_t now = 1000000;
	struct tl_choker_peer p[5] = {
		{ .key = 1, .is_interested = true, .is_unchoked = true, .rate_up = 10, .last_unchoked = now - 1000 },
		{ .key = 2, .is_interested = true, .is_unchoked = true, .rate_up = 50, .last_unchoked = now - 2000 },
		{ .key = 3, .is_interested = true, .is_unchoked = true, .rate_up = 90,
		    .last_unchoked = now - TL_CHOKER_SEED_ROTATE_MS - 1 },
		{ .key = 4, .is_interested = true },
		{ .key = 5, .is_interested = true, .last_unchoked = 5000 },
	};
	bool u[5];
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 5, 3, true, now, u), 3);
	CU_ASSERT_TRUE(u[0] && u[1]); /* still in their turn */
	CU_ASSERT_EQUAL(count(u, 5), 3);
	/* with 4 slots: the never-unchoked peer 3 waited longest */
	tl_choker_init(&c, 3);
	CU_ASSERT_EQUAL(tl_choker_run(&c, p, 5, 4, true, now, u), 4);
	CU_ASSERT_TRUE(u[0] && u[1] && u[3]);
	/* once their turn is over, the waiting peers come first */
	p[0].last_unchoked = p[1].last_unchoked = now - TL_CHOKER_SEED_ROTATE_MS - 5;
	tl_choker_init(&c, 3);
	tl_choker_run(&c, p, 5, 3, true, now, u);
	CU_ASSERT_TRUE(u[3] && u[4]);
	/* a keeper that took nothing since its grace ran out gives way */
	p[0].last_unchoked = p[1].last_unchoked = now - 1000;
	p[0].rate_up = 0;
	tl_choker_init(&c, 3);
	tl_choker_run(&c, p, 5, 3, true, now, u);
	CU_ASSERT_TRUE(u[0] && u[1]); /* within its grace */
	/* past it, the waiting peer 3 takes its regular slot, whatever the
	 * optimistic choice (kept, peer 0 would hold it: 3 only by chance) */
	p[0].last_unchoked = now - TL_CHOKER_TAKE_GRACE_MS;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tl_choker_init(&c, seed);
		tl_choker_run(&c, p, 5, 3, true, now, u);
		CU_ASSERT_TRUE(u[3] && u[1]);
	}
	/* a keeper whose output is stalled (it does not read) gives way at
	 * once, whatever its rate */
	p[0].last_unchoked = now - 1000;
	p[0].rate_up = 1000000;
	p[0].is_stalled = true;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		tl_choker_init(&c, seed);
		tl_choker_run(&c, p, 5, 3, true, now, u);
		CU_ASSERT_TRUE(u[3] && u[1]);
	}
	p[0].is_stalled = false;
	/* seeding ignores snubbing (it is about download) */
	p[3].is_snubbed = true;
	tl_choker_init(&c, 3);
	tl_choker_run(&c, p, 5, 3, true, now, u);
	CU_ASSERT_TRUE(u[3]);
}

/* Only a peer idle both ways for TL_CHOKER_IDLE_MS may be dropped, the
 * one quiet longest first. */
static void test_pick_idle(void)
{
	uint64_t now = 100000;
	struct tl_slot_peer p[6] = {
		{ .is_interested = true, .active_ms = 1000 },               /* wants */
		{ .am_interested = true, .active_ms = 1000 },               /* we want */
		{ .active_ms = now - TL_CHOKER_IDLE_MS + 1 },               /* too new */
		{ .active_ms = 1000, .last_data_ms = now - 1000 },          /* data lately */
		{ .active_ms = 5000 },                                      /* idle since 5 s */
		{ .active_ms = 2000, .last_data_ms = 3000 },                /* idle since 3 s */
	};
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 6, now), 5);
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 5, now), 4);
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 4, now), 4); /* none */
	/* exactly TL_CHOKER_IDLE_MS quiet is idle; a clock behind is not */
	p[2].active_ms = now - TL_CHOKER_IDLE_MS;
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 3, now), 2);
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 3, 500), 3);
	CU_ASSERT_EQUAL(tl_choker_pick_idle(p, 0, now), 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_leeching),
		TL_TEST(test_optimistic_rotation),
		TL_TEST(test_newcomers_favoured),
		TL_TEST(test_seeding_rotation),
		TL_TEST(test_pick_idle),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("choker", tests);
}
