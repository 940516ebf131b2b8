/* test_lookup.c: lookup state: distance order and the candidate cap,
 * alpha outstanding among the K closest, stalls freeing alpha slots and
 * window places with late replies still used, the give-up bound ending
 * the wait for a dead node among the closest, completion rules, value
 * de-duplication and announce targets. */
#include "cutest.h"

#include "dht/lookup.h"

static struct lookup lk;

static struct dht_id idn(uint8_t first)
{
	struct dht_id id;
	memset(id.b, 0, 20);
	id.b[0] = first;
	return id;
}

static struct dht_addr an(uint8_t host)
{
	struct dht_addr a = { .family = AF_INET, .ip = { 20, 0, host, 1 }, .port = 1000 };
	return a;
}

/* Offer nodes lo..hi (id first byte i, address 20.0.i.1). */
static void add_range(int lo, int hi)
{
	for (int i = lo; i <= hi; i++) {
		struct dht_id id = idn((uint8_t)i);
		struct dht_addr a = an((uint8_t)i);
		lookup_add(&lk, &id, &a);
	}
}

static void test_order_and_alpha(void)
{
	struct dht_id target = idn(0);
	lookup_init(&lk, 1, AF_INET, &target, 0);
	for (int i = 100; i > 0; i--) {
		struct dht_id id = idn((uint8_t)i);
		struct dht_addr a = an((uint8_t)i);
		lookup_add(&lk, &id, &a);
	}
	/* Duplicates by id or IP, a second node in a /24, and other
	 * families are ignored. */
	struct dht_id d1 = idn(5);
	struct dht_addr a200 = an(200), a5 = an(5);
	lookup_add(&lk, &d1, &a200);
	struct dht_id d2 = idn(201);
	lookup_add(&lk, &d2, &a5);
	struct dht_addr v6 = { .family = AF_INET6, .ip = { 0x20 }, .port = 1 };
	lookup_add(&lk, &d2, &v6);
	CU_ASSERT_EQUAL(lk.n, LK_MAX_CAND);
	struct dht_id d3 = idn(0);
	d3.b[19] = 3;
	struct dht_addr same24 = an(7);
	same24.ip[3] = 99;
	lookup_add(&lk, &d3, &same24);
	for (size_t i = 0; i < lk.n; i++) {
		CU_ASSERT_NOT_EQUAL(lk.c[i].id.b[0], 201);
		CU_ASSERT_FALSE(lk.c[i].id.b[0] == 0 && lk.c[i].id.b[19] == 3);
	}

	for (size_t i = 0; i + 1 < lk.n; i++)
		CU_ASSERT_TRUE(dht_id_cmp_dist(&target, &lk.c[i].id, &lk.c[i + 1].id) < 0);
	CU_ASSERT_EQUAL(lk.c[0].id.b[0], 1);
	/* Alpha queries go out, to the closest first. */
	struct lk_cand *c[LK_ALPHA + 1];
	for (unsigned i = 0; i < LK_ALPHA; i++) {
		c[i] = lookup_next(&lk, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(c[i]);
		CU_ASSERT_EQUAL(c[i]->id.b[0], i + 1);
	}
	CU_ASSERT_PTR_NULL(lookup_next(&lk, 0));
	/* Not yet stalled at 299 ms; at 300 a stall frees the slots and the
	 * window places, so the next candidates down are asked. */
	lookup_tick(&lk, 299, 300, 600);
	CU_ASSERT_EQUAL(lk.inflight, LK_ALPHA);
	lookup_tick(&lk, 300, 300, 600);
	CU_ASSERT_EQUAL(lk.inflight, 0);
	CU_ASSERT_EQUAL(lk.c[0].state, LK_STALLED);
	c[LK_ALPHA] = lookup_next(&lk, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c[LK_ALPHA]);
	CU_ASSERT_EQUAL(c[LK_ALPHA]->id.b[0], LK_ALPHA + 1);
	/* The late reply still counts. */
	struct dht_addr a1 = an(1);
	CU_ASSERT_PTR_NOT_NULL(lookup_replied(&lk, &a1, &c[0]->id, (const uint8_t *)"tok", 3));
	CU_ASSERT_EQUAL(lk.c[0].state, LK_REPLIED);
	CU_ASSERT_EQUAL(lk.inflight, 1);
	CU_ASSERT_FALSE(lookup_is_done(&lk, 300));
	/* The give-up bound: a query this old is LATE (no longer waited
	 * for); a reply still turns it into REPLIED, a failure into FAILED. */
	lookup_tick(&lk, 600, 300, 600);
	CU_ASSERT_EQUAL(lk.c[1].state, LK_LATE);
	struct dht_addr a2 = an(2), a3 = an(3);
	CU_ASSERT_PTR_NOT_NULL(lookup_replied(&lk, &a2, &lk.c[1].id, NULL, 0));
	CU_ASSERT_EQUAL(lk.c[1].state, LK_REPLIED);
	lookup_failed(&lk, &a3);
	CU_ASSERT_EQUAL(lk.c[2].state, LK_FAILED);
	CU_ASSERT_EQUAL(lk.c[LK_ALPHA].state, LK_STALLED); /* asked at 300 */
	CU_ASSERT_EQUAL(lk.inflight, 0);
	/* A closer node learnt late goes to the front and is asked next. */
	struct dht_id close = idn(0);
	close.b[19] = 1;
	struct dht_addr ac = an(250);
	lookup_add(&lk, &close, &ac);
	struct lk_cand *n = lookup_next(&lk, 610);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_TRUE(dht_addr_eq(&n->addr, &ac));
	/* A reply from a stranger is not a candidate's. */
	struct dht_addr stranger = an(251);
	CU_ASSERT_PTR_NULL(lookup_replied(&lk, &stranger, &close, NULL, 0));
}

static void test_done(void)
{
	struct dht_id target = idn(0);
	lookup_init(&lk, 2, AF_INET, &target, 0);
	CU_ASSERT_TRUE(lookup_is_done(&lk, 0)); /* nothing to ask */
	add_range(1, 12);
	int64_t t = 0;
	struct lk_cand *c;
	/* Everyone answers at once except node 2, which never does. */
	while (!lookup_is_done(&lk, t)) {
		while ((c = lookup_next(&lk, t)) != NULL) {
			if (c->id.b[0] != 2)
				lookup_replied(&lk, &c->addr, &c->id, (const uint8_t *)"t", 1);
		}
		t += 100;
		lookup_tick(&lk, t, 250, 500);
		CU_ASSERT_TRUE_FATAL(t < 10000);
	}
	/* Node 9 was asked when node 2 stalled (300 ms), and the lookup is
	 * done at the give-up bound (500 ms), not at the hard timeout. */
	CU_ASSERT_EQUAL(t, 500);
	CU_ASSERT_EQUAL(lk.c[1].state, LK_LATE);
	CU_ASSERT_EQUAL(lk.c[8].state, LK_REPLIED); /* node 9 was needed */
	CU_ASSERT_EQUAL(lk.c[9].state, LK_NEW);     /* node 10 was not */
	const struct lk_cand *ann[LK_K];
	CU_ASSERT_EQUAL(lookup_announce_targets(&lk, ann), LK_K);
	for (size_t i = 0; i < LK_K; i++)
		CU_ASSERT_NOT_EQUAL(ann[i]->id.b[0], 2);
	/* Values: each peer once. */
	CU_ASSERT_TRUE(lookup_first_seen(&lk, (const uint8_t *)"abcdef", 6));
	CU_ASSERT_FALSE(lookup_first_seen(&lk, (const uint8_t *)"abcdef", 6));
	CU_ASSERT_TRUE(lookup_first_seen(&lk, (const uint8_t *)"abcdeg", 6));
	/* The set fills up to half its slots; then every value is delivered. */
	uint8_t v[6] = { 0 };
	for (unsigned i = 2; i < LK_SEEN / 2; i++) {
		v[0] = (uint8_t)i, v[1] = (uint8_t)(i >> 8);
		CU_ASSERT_TRUE(lookup_first_seen(&lk, v, 6));
	}
	CU_ASSERT_TRUE(lookup_first_seen(&lk, (const uint8_t *)"abcdef", 6));
	/* Loopback tests may allow two nodes of a /24 (never of one IP). */
	lookup_clear(&lk);
	lookup_init(&lk, 4, AF_INET, &target, 0);
	lk.allow_same_subnet = true;
	struct dht_addr s1 = an(7), s2 = an(7);
	s2.ip[3] = 99;
	struct dht_id i1 = idn(1), i2 = idn(2), i3 = idn(3);
	lookup_add(&lk, &i1, &s1);
	lookup_add(&lk, &i2, &s2);
	lookup_add(&lk, &i3, &s2);
	CU_ASSERT_EQUAL(lk.n, 2);
	/* A lookup never outlives LK_MAX_MS. */
	lookup_clear(&lk);
	lookup_init(&lk, 3, AF_INET, &target, 0);
	struct dht_id id = idn(1);
	struct dht_addr a = an(1);
	lookup_add(&lk, &id, &a);
	(void)lookup_next(&lk, 0);
	CU_ASSERT_FALSE(lookup_is_done(&lk, 1000));
	CU_ASSERT_TRUE(lookup_is_done(&lk, LK_MAX_MS));
	lookup_clear(&lk);
}

/* A slow node among the K closest is waited for until the give-up bound:
 * when it answers in time the lookup ends with it, and its replacement's
 * answer does not push it out of the announce targets. */
static void test_slow_closest(void)
{
	struct dht_id target = idn(0);
	lookup_init(&lk, 5, AF_INET, &target, 0);
	add_range(1, 12);
	struct lk_cand *c;
	while ((c = lookup_next(&lk, 0)) != NULL) {
		if (c->id.b[0] != 1)
			lookup_replied(&lk, &c->addr, &c->id, (const uint8_t *)"t", 1);
	}
	CU_ASSERT_FALSE(lookup_is_done(&lk, 0));
	lookup_tick(&lk, 300, 250, 500);
	CU_ASSERT_EQUAL(lk.c[0].state, LK_STALLED);
	while ((c = lookup_next(&lk, 300)) != NULL)
		lookup_replied(&lk, &c->addr, &c->id, (const uint8_t *)"t", 1);
	CU_ASSERT_EQUAL(lk.c[8].state, LK_REPLIED);
	/* still waiting for node 1: it may be slow rather than gone */
	CU_ASSERT_FALSE(lookup_is_done(&lk, 300));
	struct dht_addr a1 = an(1);
	struct dht_id i1 = idn(1);
	CU_ASSERT_PTR_NOT_NULL(lookup_replied(&lk, &a1, &i1, (const uint8_t *)"t", 1));
	CU_ASSERT_TRUE(lookup_is_done(&lk, 400));
	const struct lk_cand *ann[LK_K];
	CU_ASSERT_EQUAL(lookup_announce_targets(&lk, ann), LK_K);
	CU_ASSERT_EQUAL(ann[0]->id.b[0], 1);
	CU_ASSERT_EQUAL(ann[LK_K - 1]->id.b[0], LK_K);
	CU_ASSERT_PTR_NULL(lk.seen); /* no value, no set */
	lookup_clear(&lk);
}

/* Beyond alpha only for progress: with alpha queries out and no answer
 * yet, nothing more; once an answer came, a closer node learnt from it
 * is asked at once (up to LK_BURST extra), a farther one is not. */
static void test_burst(void)
{
	struct dht_id target = idn(0);
	lookup_init(&lk, 6, AF_INET, &target, 0);
	add_range(10, 30);
	struct lk_cand *c;
	for (unsigned i = 0; i < LK_ALPHA; i++)
		CU_ASSERT_PTR_NOT_NULL(lookup_next(&lk, 0));
	CU_ASSERT_PTR_NULL(lookup_next(&lk, 0));
	/* node 12 answers; nodes farther than it are not worth an extra
	 * query (node 10 + alpha is next in line) */
	struct dht_addr a12 = an(12);
	struct dht_id i12 = idn(12);
	CU_ASSERT_PTR_NOT_NULL(lookup_replied(&lk, &a12, &i12, NULL, 0));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c = lookup_next(&lk, 10));
	CU_ASSERT_EQUAL(c->id.b[0], 10 + LK_ALPHA);
	CU_ASSERT_PTR_NULL(lookup_next(&lk, 10));
	/* its answer named nodes closer than anyone who answered */
	add_range(1, 4);
	for (unsigned i = 0; i < LK_BURST; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(c = lookup_next(&lk, 20));
		CU_ASSERT_EQUAL(c->id.b[0], i + 1);
	}
	CU_ASSERT_PTR_NULL(lookup_next(&lk, 20));
	CU_ASSERT_EQUAL(lk.inflight, LK_ALPHA + LK_BURST);
	lookup_clear(&lk);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_order_and_alpha),
		TL_TEST(test_done),
		TL_TEST(test_slow_closest),
		TL_TEST(test_burst),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("lookup", tests);
}
