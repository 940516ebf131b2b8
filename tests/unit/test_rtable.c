/* test_rtable.c: routing table: bucket sizes and placement, closest-k
 * against a naive sort, one entry per IP, /24 diversity, id change,
 * BEP 42 enforcement, bad-node replacement, refresh targets, re-filing,
 * reachability (an answer right after the node contacted us proves
 * nothing: a NAT pinhole may have carried it). */
#include "cutest.h"

#include "dht/bep42.h"
#include "dht/rtable.h"

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rand_id(struct dht_id *id)
{
	for (size_t i = 0; i < 20; i++)
		id->b[i] = (uint8_t)next();
}

static struct dht_addr addr4(uint32_t ip, uint16_t port)
{
	struct dht_addr a = { .family = AF_INET, .port = port };
	a.ip[0] = (uint8_t)(ip >> 24), a.ip[1] = (uint8_t)(ip >> 16);
	a.ip[2] = (uint8_t)(ip >> 8), a.ip[3] = (uint8_t)ip;
	return a;
}

/* A random public address with its own /24. */
static struct dht_addr rand_addr(void)
{
	uint32_t ip = (uint32_t)next();
	ip = (ip & 0x00ffff00u) | (20u << 24) | (uint32_t)(next() % 200 + 1);
	return addr4(ip, (uint16_t)(next() % 60000 + 1024));
}

static size_t members(const struct rtable *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nb; i++)
		n += t->b[i].n;
	return n;
}

/* n answering members whose ids start with bit 0, from distinct /24s. */
static void add_low_half(struct rtable *t, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct dht_id id;
		rand_id(&id);
		id.b[0] &= 0x7f;
		struct dht_addr a = addr4(0x14000000u + i * 256, 1000);
		rtable_heard(t, &id, &a, RT_REPLIED, 10, NULL);
	}
}

static void test_fill_and_closest(void)
{
	rng = tl_test_seed() | 1;
	struct rtable t;
	struct dht_id my;
	rand_id(&my);
	rtable_init(&t, AF_INET, &my, false, false, 1);
	for (int i = 0; i < 20000; i++) {
		struct dht_id id;
		rand_id(&id);
		struct dht_addr a = rand_addr();
		CU_ASSERT_TRUE(rtable_heard(&t, &id, &a, RT_REPLIED, 1000, NULL) >= 0);
	}
	/* Far buckets are 128/64/32/16, the rest 8; only full ones split. */
	CU_ASSERT_TRUE(t.nb > 8);
	static const size_t caps[] = { 128, 64, 32, 16 };
	for (size_t i = 0; i < t.nb; i++) {
		CU_ASSERT_TRUE(t.b[i].n <= (i < 4 ? caps[i] : RT_K));
		if (i < t.nb - 1 && i < 4)
			CU_ASSERT_TRUE(t.b[i].n >= caps[i] / 2);
		for (size_t k = 0; k < t.b[i].n; k++) {
			unsigned c = rtable_cpl(&t.b[i].nodes[k].id, &my);
			CU_ASSERT_TRUE(i == t.nb - 1 ? c >= i : c == i);
		}
	}
	/* Closest-k equals a naive sort of all members. */
	size_t total = members(&t);
	struct rt_node *all = malloc(total * sizeof(*all));
	for (int round = 0; round < 200; round++) {
		struct dht_id target;
		rand_id(&target);
		if (round % 4 == 0)
			memcpy(target.b, my.b, 2 + (size_t)round % 10);
		size_t n = 0;
		for (size_t i = 0; i < t.nb; i++)
			for (size_t k = 0; k < t.b[i].n; k++)
				all[n++] = t.b[i].nodes[k];
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (dht_id_cmp_dist(&target, &all[j].id, &all[i].id) < 0) {
					struct rt_node x = all[i];
					all[i] = all[j];
					all[j] = x;
				}
		struct rt_node out[8];
		size_t got = rtable_closest(&t, &target, 8, false, 1000, out);
		CU_ASSERT_EQUAL(got, 8);
		for (size_t i = 0; i < got; i++)
			CU_ASSERT_EQUAL(memcmp(out[i].id.b, all[i].id.b, 20), 0);
		if (round > 20)
			break; /* the naive sort is O(n^2); a few rounds suffice */
	}
	free(all);
	size_t g, d, c;
	rtable_count(&t, 1000, &g, &d, &c);
	CU_ASSERT_EQUAL(g, total);
	CU_ASSERT_EQUAL(d, 0);
	/* After 15 minutes of silence every member is questionable. */
	rtable_count(&t, 1000 + RT_GOOD_MS, &g, &d, &c);
	CU_ASSERT_EQUAL(g, 0);
	CU_ASSERT_EQUAL(d, total);
	struct rt_node q;
	CU_ASSERT_EQUAL(rtable_next_ping(&t, 1000 + RT_GOOD_MS, &q), 1);
	/* Re-filing under a new id keeps members (minus split overflow). */
	struct dht_id my2;
	rand_id(&my2);
	CU_ASSERT_EQUAL(rtable_set_id(&t, &my2, 2000), 0);
	CU_ASSERT_TRUE(members(&t) > 100);
	for (size_t i = 0; i < t.nb; i++)
		for (size_t k = 0; k < t.b[i].n; k++) {
			unsigned cp = rtable_cpl(&t.b[i].nodes[k].id, &my2);
			CU_ASSERT_TRUE(i == t.nb - 1 ? cp >= i : cp == i);
		}
	rtable_clear(&t);
}

static void test_rules(void)
{
	struct rtable t;
	struct dht_id my, a, b, c;
	memset(my.b, 0, 20);
	memset(a.b, 0x80, 20);
	memset(b.b, 0x81, 20);
	memset(c.b, 0x82, 20);
	rtable_init(&t, AF_INET, &my, false, false, 0);
	struct dht_addr x = addr4(0x14010203, 1000), x2 = addr4(0x14010203, 1001);
	struct dht_addr y = addr4(0x14010204, 1000), z = addr4(0x15010204, 1000);
	CU_ASSERT_EQUAL(rtable_heard(&t, &a, &x, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 1);
	/* Same IP, other port: one entry per IP. */
	CU_ASSERT_EQUAL(rtable_heard(&t, &b, &x2, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 1);
	/* Same /24 in the same bucket: refused. */
	CU_ASSERT_EQUAL(rtable_heard(&t, &b, &y, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 1);
	CU_ASSERT_EQUAL(rtable_heard(&t, &b, &z, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 2);
	/* An id seen from another endpoint does not move the entry. */
	CU_ASSERT_EQUAL(rtable_heard(&t, &a, &y, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_TRUE(dht_addr_eq(&t.b[0].nodes[0].addr, &x) || dht_addr_eq(&t.b[0].nodes[1].addr, &x));
	/* The same endpoint with a new id: dropped. */
	CU_ASSERT_EQUAL(rtable_heard(&t, &c, &x, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 1);
	/* Our own id is never a member. */
	CU_ASSERT_EQUAL(rtable_heard(&t, &my, &x, RT_REPLIED, 10, NULL), 0);
	CU_ASSERT_EQUAL(members(&t), 1);
	rtable_clear(&t);

	/* Loopback tests relax the /24 rule. */
	rtable_init(&t, AF_INET, &my, true, false, 0);
	struct dht_addr l1 = addr4(0x7f000002, 1000), l2 = addr4(0x7f000003, 1000);
	rtable_heard(&t, &a, &l1, RT_REPLIED, 10, NULL);
	rtable_heard(&t, &b, &l2, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(members(&t), 2);
	/* Other family: ignored. */
	struct dht_addr v6 = { .family = AF_INET6, .ip = { 0x20 }, .port = 1 };
	rtable_heard(&t, &c, &v6, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(members(&t), 2);
	rtable_clear(&t);

	/* BEP 42 enforcement: mismatched public ids stay out, local pass. */
	rtable_init(&t, AF_INET, &my, true, true, 0);
	rtable_heard(&t, &a, &z, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(members(&t), 0);
	uint8_t rnd[20];
	memset(rnd, 0x55, 20);
	struct dht_id good;
	bep42_make_id(&z, rnd, &good);
	rtable_heard(&t, &good, &z, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(members(&t), 1);
	rtable_heard(&t, &a, &l1, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(members(&t), 2);
	rtable_clear(&t);
}

static void test_replacement(void)
{
	rng = 0x1234567;
	struct rtable t;
	struct dht_id my;
	memset(my.b, 0, 20);
	rtable_init(&t, AF_INET, &my, true, false, 0);
	/* Fill bucket 0 (ids starting with bit 1) with 128 members. */
	struct dht_id ids[200];
	for (int i = 0; i < 200; i++) {
		rand_id(&ids[i]);
		ids[i].b[0] |= 0x80;
	}
	for (int i = 0; i < 128; i++) {
		struct dht_addr a = addr4(0x14000000u + (uint32_t)i * 256, 1000);
		rtable_heard(&t, &ids[i], &a, RT_REPLIED, 10, NULL);
	}
	/* Bucket 0 never splits once bucket 1 exists; force it: an id in
	 * bucket 0 after a split. Ids all start with 1, so no split. */
	CU_ASSERT_EQUAL(t.nb, 1);
	CU_ASSERT_EQUAL(t.b[0].n, 128);
	/* The table is one bucket covering everything, so a 129th splits it. */
	struct dht_id near;
	memset(near.b, 0, 20);
	near.b[19] = 1;
	struct dht_addr na = addr4(0x15000001, 1000);
	rtable_heard(&t, &near, &na, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(t.nb, 2);
	CU_ASSERT_EQUAL(t.b[0].n, 128);
	/* A new far node: the bucket is full of good nodes -> cached only. */
	struct rt_node ping;
	struct dht_addr fa = addr4(0x16000001, 1000);
	CU_ASSERT_EQUAL(rtable_heard(&t, &ids[150], &fa, RT_REPLIED, 20, &ping), 0);
	CU_ASSERT_EQUAL(t.b[0].ncache, 1);
	/* Later the members are questionable: a newcomer triggers a ping. */
	int64_t later = 20 + RT_GOOD_MS;
	struct dht_addr fb = addr4(0x16000101, 1000);
	CU_ASSERT_EQUAL(rtable_heard(&t, &ids[151], &fb, RT_REPLIED, later, &ping), 1);
	CU_ASSERT_EQUAL(t.b[0].ncache, 2);
	rtable_pinged(&t, &ping.addr, later);
	/* Two failures make it bad; the freshest verified candidate replaces it. */
	CU_ASSERT_EQUAL(rtable_failed(&t, &ping.id, &ping.addr, later + 1, NULL), 0);
	CU_ASSERT_EQUAL(t.b[0].ncache, 2);
	CU_ASSERT_EQUAL(rtable_failed(&t, &ping.id, &ping.addr, later + 2, NULL), 0);
	CU_ASSERT_EQUAL(t.b[0].ncache, 1);
	bool found = false;
	for (size_t k = 0; k < t.b[0].n; k++)
		found |= dht_addr_eq(&t.b[0].nodes[k].addr, &fb);
	CU_ASSERT_TRUE(found);
	/* A stranger querying us is pinged before it may enter. */
	struct dht_id s;
	rand_id(&s);
	s.b[0] &= 0x7f; /* bucket 1 (own), which has room */
	struct dht_addr sa = addr4(0x17000001, 1000);
	CU_ASSERT_EQUAL(rtable_heard(&t, &s, &sa, RT_QUERIED, later, &ping), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&ping.addr, &sa));
	rtable_pinged(&t, &sa, later);
	CU_ASSERT_EQUAL(rtable_heard(&t, &s, &sa, RT_QUERIED, later + 1, &ping), 0);
	size_t before = members(&t);
	rtable_heard(&t, &s, &sa, RT_REPLIED, later + 2, NULL);
	CU_ASSERT_EQUAL(members(&t), before + 1);
	rtable_clear(&t);
}

static void test_refresh(void)
{
	rng = 99;
	struct rtable t;
	struct dht_id my;
	rand_id(&my);
	rtable_init(&t, AF_INET, &my, true, false, 0);
	for (int i = 0; i < 3000; i++) {
		struct dht_id id;
		rand_id(&id);
		struct dht_addr a = addr4(0x14000000u + (uint32_t)i, 1000);
		rtable_heard(&t, &id, &a, RT_REPLIED, 0, NULL);
	}
	size_t seen = 0, levels = 0;
	uint8_t rnd[20] = { 0 };
	struct dht_id target;
	/* Every stale bucket once, in order; then at most RT_LEVELS empty
	 * prefix levels of the last bucket, each one exactly at its level. */
	while (rtable_refresh_target(&t, RT_GOOD_MS + 1, rnd, &target) == 1) {
		for (size_t k = 0; k < 20; k++)
			rnd[k] = (uint8_t)next();
		unsigned c = rtable_cpl(&target, &my);
		if (seen < t.nb) {
			CU_ASSERT_TRUE(seen == t.nb - 1 ? c >= seen : c == seen);
			seen++;
			continue;
		}
		CU_ASSERT_TRUE(c >= t.nb - 1 && c < t.nb - 1 + RT_LEVELS);
		size_t at_level = 0;
		for (size_t k = 0; k < t.b[t.nb - 1].n; k++)
			at_level += rtable_cpl(&t.b[t.nb - 1].nodes[k].id, &my) == c;
		CU_ASSERT_EQUAL(at_level, 0);
		CU_ASSERT_TRUE_FATAL(++levels <= RT_LEVELS);
	}
	CU_ASSERT_EQUAL(seen, t.nb);
	rtable_clear(&t);

	/* A table that never split (a small network): the empty far half is
	 * asked for first, again only after RT_UNDERFULL_MS. */
	struct dht_id zero;
	memset(zero.b, 0, 20);
	rtable_init(&t, AF_INET, &zero, true, false, 0);
	for (int i = 0; i < 20; i++) {
		struct dht_id id;
		rand_id(&id);
		id.b[0] &= 0x3f; /* levels >= 2 only */
		struct dht_addr a = addr4(0x14000000u + (uint32_t)i, 1000);
		rtable_heard(&t, &id, &a, RT_REPLIED, RT_UNDERFULL_MS, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(t.nb, 1);
	CU_ASSERT_EQUAL(rtable_refresh_target(&t, RT_UNDERFULL_MS, rnd, &target), 1);
	CU_ASSERT_EQUAL(rtable_cpl(&target, &zero), 0);
	CU_ASSERT_EQUAL(rtable_refresh_target(&t, RT_UNDERFULL_MS, rnd, &target), 1);
	CU_ASSERT_EQUAL(rtable_cpl(&target, &zero), 1);
	CU_ASSERT_EQUAL(rtable_refresh_target(&t, RT_UNDERFULL_MS + 1000, rnd, &target), 0);
	CU_ASSERT_EQUAL(rtable_refresh_target(&t, 2 * RT_UNDERFULL_MS, rnd, &target), 1);
	rtable_clear(&t);
}

static void test_prefer_bep42(void)
{
	struct rtable t;
	struct dht_id my;
	memset(my.b, 0xff, 20);
	rtable_init(&t, AF_INET, &my, false, false, 0);
	/* Fill bucket 0 with 128 unverified public nodes, then split it so
	 * that it can no longer grow. */
	rng = 4242;
	add_low_half(&t, 128);
	struct dht_id near;
	memset(near.b, 0xff, 20);
	near.b[19] = 0xfe;
	struct dht_addr na = addr4(0x15000001, 1000);
	rtable_heard(&t, &near, &na, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL_FATAL(t.nb, 2);
	CU_ASSERT_EQUAL_FATAL(t.b[0].n, 128);
	/* A verified newcomer for bucket 0. */
	struct dht_addr va = addr4(0x7c1f4b15, 6881); /* 124.31.75.21 */
	uint8_t rnd[20];
	memset(rnd, 0x99, 20);
	struct dht_id vid;
	bep42_make_id(&va, rnd, &vid);
	CU_ASSERT_TRUE_FATAL(!(vid.b[0] & 0x80)); /* it belongs to bucket 0 */
	/* While the members are good, it only waits in the cache. */
	rtable_heard(&t, &vid, &va, RT_REPLIED, 20, NULL);
	bool in = false;
	for (size_t k = 0; k < t.b[0].n; k++)
		in |= dht_addr_eq(&t.b[0].nodes[k].addr, &va);
	CU_ASSERT_FALSE(in);
	/* Once they are questionable, it takes an unverified one's place. */
	rtable_heard(&t, &vid, &va, RT_REPLIED, 20 + RT_GOOD_MS, NULL);
	for (size_t k = 0; k < t.b[0].n; k++)
		in |= dht_addr_eq(&t.b[0].nodes[k].addr, &va);
	CU_ASSERT_TRUE(in);
	CU_ASSERT_EQUAL(t.b[0].n, 128);
	rtable_clear(&t);
}

static void test_split_overflow(void)
{
	struct rtable t;
	struct dht_id my;
	memset(my.b, 0, 20);
	rtable_init(&t, AF_INET, &my, false, false, 0);
	rng = 777;
	/* 128 members all sharing our first bit: the 129th splits bucket 0
	 * and the new bucket 1 (64 slots) keeps the rest as cached,
	 * verified candidates. */
	add_low_half(&t, 129);
	CU_ASSERT_TRUE_FATAL(t.nb >= 2);
	/* Invariant: no bucket with a free slot keeps a verified candidate
	 * waiting in its cache (splits promote them). */
	size_t members = 0;
	for (size_t i = 0; i < t.nb; i++) {
		members += t.b[i].n;
		for (size_t k = 0; k < t.b[i].ncache && t.b[i].n < t.b[i].cap; k++)
			CU_ASSERT_EQUAL(t.b[i].cache[k].last_reply_ms, 0);
	}
	CU_ASSERT_TRUE(members > 64 + 1);
	/* A stranger for the full last bucket is still worth a ping, even
	 * though the cache holds only verified candidates. */
	size_t last = t.nb - 1;
	struct dht_id s;
	struct rt_node ping;
	int rc = 0;
	for (int tries = 0; tries < 200 && rc != 1; tries++) {
		rand_id(&s);
		if (rtable_cpl(&s, &my) < last || t.b[last].n < t.b[last].cap)
			continue;
		struct dht_addr sa = addr4(0x30000000u + (uint32_t)tries * 256, 1000);
		rc = rtable_heard(&t, &s, &sa, RT_QUERIED, 20, &ping);
		if (rc == 1) {
			CU_ASSERT_TRUE(dht_addr_eq(&ping.addr, &sa));
			/* Its answer splits the bucket; cached candidates fill the
			 * room that opens. */
			size_t before = 0, after = 0;
			for (size_t i = 0; i < t.nb; i++)
				before += t.b[i].n;
			rtable_heard(&t, &s, &sa, RT_REPLIED, 30, NULL);
			for (size_t i = 0; i < t.nb; i++)
				after += t.b[i].n;
			CU_ASSERT_TRUE(after >= before + 1);
		}
	}
	CU_ASSERT_EQUAL(rc, 1);
	rtable_clear(&t);
}

static void test_learned(void)
{
	struct rtable t;
	struct dht_id my, a;
	memset(my.b, 0, 20);
	memset(a.b, 0x80, 20);
	rtable_init(&t, AF_INET, &my, false, false, 0);
	struct dht_addr x = addr4(0x14010203, 1000);
	rtable_learned(&t, &a, &x);
	CU_ASSERT_EQUAL(members(&t), 0); /* never a member before it answers */
	CU_ASSERT_EQUAL(t.b[0].ncache, 1);
	struct rt_node p;
	CU_ASSERT_EQUAL(rtable_next_ping(&t, 5, &p), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&p.addr, &x));
	rtable_pinged(&t, &x, 5);
	CU_ASSERT_EQUAL(rtable_next_ping(&t, 6, &p), 0); /* not twice in a row */
	rtable_heard(&t, &a, &x, RT_REPLIED, 7, NULL);
	CU_ASSERT_EQUAL(members(&t), 1);
	CU_ASSERT_EQUAL(t.b[0].ncache, 0);
	/* Known ids or IPs, our own id and martians are not cached. */
	rtable_learned(&t, &a, &x);
	rtable_learned(&t, &my, &x);
	struct dht_addr m = addr4(0xe0000001, 1000);
	struct dht_id b;
	memset(b.b, 0x81, 20);
	rtable_learned(&t, &b, &m);
	CU_ASSERT_EQUAL(t.b[0].ncache, 0);
	rtable_clear(&t);
}

/* Whether addr is among the n nodes of out. */
static bool listed(const struct rt_node *out, size_t n, const struct dht_addr *addr)
{
	for (size_t i = 0; i < n; i++) {
		if (dht_addr_eq(&out[i].addr, addr))
			return true;
	}
	return false;
}

static void test_reachable(void)
{
	rng = tl_test_seed() | 1;
	struct rtable t;
	struct dht_id my;
	rand_id(&my);
	rtable_init(&t, AF_INET, &my, false, false, 1);
	struct rt_node out[RT_K], ping;
	/* A node first heard from by its answer: reachable at once. */
	struct dht_id a;
	rand_id(&a);
	struct dht_addr aa = addr4(0x14000001, 1000);
	rtable_heard(&t, &a, &aa, RT_REPLIED, 10, NULL);
	CU_ASSERT_EQUAL(rtable_closest_reachable(&t, &a, RT_K, false, 10, out), 1);
	CU_ASSERT_TRUE(out[0].is_reachable);
	/* A stranger that queries us is pinged and answers through the
	 * pinhole its query opened: a member, good, but not reachable. */
	struct dht_id s;
	rand_id(&s);
	struct dht_addr sa = addr4(0x15000001, 1000);
	CU_ASSERT_EQUAL(rtable_heard(&t, &s, &sa, RT_QUERIED, 100, &ping), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&ping.addr, &sa));
	rtable_pinged(&t, &sa, 100);
	CU_ASSERT_EQUAL(rtable_heard(&t, &s, &sa, RT_REPLIED, 200, NULL), 0);
	CU_ASSERT_EQUAL(rtable_closest(&t, &s, RT_K, true, 200, out), 2);
	CU_ASSERT_TRUE(listed(out, 2, &sa));
	CU_ASSERT_FALSE(out[0].is_reachable && out[1].is_reachable);
	/* Handed out after the proven ones only. */
	CU_ASSERT_EQUAL(rtable_closest_reachable(&t, &s, 1, false, 200, out), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&out[0].addr, &aa));
	CU_ASSERT_EQUAL(rtable_closest_reachable(&t, &s, RT_K, false, 200, out), 2);
	CU_ASSERT_TRUE(dht_addr_eq(&out[1].addr, &sa));
	/* No proof ping while it may still have a pinhole open to us; a
	 * new query of its restarts the wait. */
	CU_ASSERT_EQUAL(rtable_next_proof(&t, 200 + RT_PINHOLE_MS - 1, &ping), 0);
	rtable_heard(&t, &s, &sa, RT_QUERIED, 1000, NULL);
	CU_ASSERT_EQUAL(rtable_next_proof(&t, 200 + RT_PINHOLE_MS, &ping), 0);
	int64_t at = 1000 + RT_PINHOLE_MS;
	CU_ASSERT_EQUAL(rtable_next_proof(&t, at, &ping), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&ping.addr, &sa));
	rtable_pinged(&t, &sa, at);
	CU_ASSERT_EQUAL(rtable_next_proof(&t, at + 1, &ping), 0);
	/* Its answer to that ping proves it. */
	rtable_heard(&t, &s, &sa, RT_REPLIED, at + 100, NULL);
	CU_ASSERT_EQUAL(rtable_next_proof(&t, at + RT_PINHOLE_MS, &ping), 0);
	CU_ASSERT_EQUAL(rtable_closest_reachable(&t, &s, 1, false, at + 100, out), 1);
	CU_ASSERT_TRUE(dht_addr_eq(&out[0].addr, &sa));
	CU_ASSERT_TRUE(out[0].is_reachable);
	/* A NATed one never answers the proof ping: bad after RT_MAX_FAILS
	 * and no longer listed. */
	struct dht_id n;
	rand_id(&n);
	struct dht_addr na = addr4(0x16000001, 1000);
	rtable_heard(&t, &n, &na, RT_QUERIED, at, NULL);
	rtable_heard(&t, &n, &na, RT_REPLIED, at + 100, NULL);
	int64_t at2 = at + 100 + RT_PINHOLE_MS;
	for (unsigned i = 0; i < RT_MAX_FAILS; i++) {
		int64_t when = at2 + (int64_t)i * RT_PING_GAP_MS;
		CU_ASSERT_EQUAL_FATAL(rtable_next_proof(&t, when, &ping), 1);
		CU_ASSERT_TRUE(dht_addr_eq(&ping.addr, &na));
		rtable_pinged(&t, &na, when);
		rtable_failed(&t, &n, &na, when + 5000, NULL);
	}
	CU_ASSERT_EQUAL(rtable_closest(&t, &n, RT_K, false, at2 + 60000, out), 2);
	CU_ASSERT_FALSE(listed(out, 2, &na));
	/* A stranger whose query we recorded answers a query of ours soon
	 * after (it was a lookup candidate): not reachable either. */
	struct dht_id l;
	rand_id(&l);
	struct dht_addr la = addr4(0x17000001, 1000);
	rtable_heard(&t, &l, &la, RT_QUERIED, at2, NULL);
	rtable_heard(&t, &l, &la, RT_REPLIED, at2 + 5000, NULL);
	size_t k = rtable_closest(&t, &l, RT_K, false, at2 + 5000, out);
	CU_ASSERT_TRUE(listed(out, k, &la));
	for (size_t i = 0; i < k; i++) {
		if (dht_addr_eq(&out[i].addr, &la))
			CU_ASSERT_FALSE(out[i].is_reachable);
	}
	rtable_clear(&t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_fill_and_closest),
		TL_TEST(test_rules),
		TL_TEST(test_replacement),
		TL_TEST(test_refresh),
		TL_TEST(test_prefer_bep42),
		TL_TEST(test_split_overflow),
		TL_TEST(test_learned),
		TL_TEST(test_reachable),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("rtable", tests);
}
