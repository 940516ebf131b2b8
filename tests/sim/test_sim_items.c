/* test_sim_items.c: BEP 44 on the simulator: among 1,000 nodes, a mutable
 * item put by one node is read back by others, a higher seq replaces it,
 * a stale cas and a lower seq are refused by the storing nodes (the put
 * reports their 301 and 302), an immutable item comes back by its hash,
 * and a put cancelled while it waits for answers calls nothing;
 * 1000-byte values (the BEP 44 maximum), mutable and immutable, go both
 * ways, every datagram staying within 1024 bytes except those carrying
 * such a value (within 1452); BEP 33: after 500 announces (200 of them
 * seeds) a scrape estimates both counts within 10 %, and a BEP 51 walk
 * toward the infohash samples it within its query bound. */
#include "tests/unit/cutest.h"

#include <sodium.h>

#include "dht/krpc.h"
#include "dht/rtable.h"
#include "base/digest.h"
#include "sim.h"
#include "sim_scenario.h"

#define NODES 1000

static struct sim *net;

struct got {
	bool is_done;
	bool has_item;
	int64_t seq;
	size_t v_len;
	uint8_t v[DHT_ITEM_MAX_V];
	bool has_put;
	struct dht_put_report put;
};

/* Datagrams over 1024 bytes: how many, the largest, and how many of them
 * did not carry (the first big_v_len bytes of) the large value of the
 * test (must stay 0). */
static struct {
	const uint8_t *big_v;
	size_t big_v_len;
	size_t over, max_len, stray;
} sizes;

static void size_observer(void *ud, struct sim *s, uint32_t from, uint32_t to, const uint8_t *p,
    size_t len)
{
	(void)ud, (void)s, (void)from, (void)to;
	if (len > sizes.max_len)
		sizes.max_len = len;
	if (len <= KRPC_MAX_OUT)
		return;
	sizes.over++;
	if (len > KRPC_MAX_OUT_ITEM || !sizes.big_v ||
	    !memmem(p, len, sizes.big_v, sizes.big_v_len))
		sizes.stray++;
}

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

static void item_cb(void *ud, uint32_t sid, const struct dht_id *target,
    const struct dht_item *item, const struct dht_put_report *put)
{
	struct got *g = ud;
	(void)sid, (void)target;
	CU_ASSERT_FALSE(g->is_done); /* exactly once */
	g->is_done = true;
	g->has_put = put != NULL;
	if (put)
		g->put = *put;
	g->has_item = item != NULL;
	if (item) {
		g->seq = item->seq;
		g->v_len = item->v_len;
		memcpy(g->v, item->v, item->v_len);
	}
}

static void wait_done(struct got *g)
{
	int64_t deadline = sim_now_ms(net) + 30000;
	while (!g->is_done && sim_now_ms(net) < deadline)
		sim_run_for(net, 100);
	CU_ASSERT_TRUE_FATAL(g->is_done);
}

/* The put is reported once every node it went to answered (or after
 * their 5 s timeout): by then it has landed. */
static void put(uint32_t node, struct dht_item *it, struct got *g)
{
	memset(g, 0, sizeof(*g));
	CU_ASSERT_EQUAL_FATAL(dht_put_item(sim_dht(net, node), it, AF_INET, item_cb, g,
	    sim_now_ms(net), NULL), DHT_OK);
	wait_done(g);
	CU_ASSERT_TRUE(g->has_put);
	CU_ASSERT_TRUE(g->put.stored + g->put.errors <= g->put.sent && g->put.sent <= 8);
}

/* The count of error code in g's put report. */
static size_t refused(const struct got *g, int code)
{
	for (size_t i = 0; i < g->put.ncodes; i++) {
		if (g->put.codes[i].code == code)
			return g->put.codes[i].count;
	}
	return 0;
}

static void get(uint32_t node, const struct dht_id *t, const char *salt, struct got *g)
{
	memset(g, 0, sizeof(*g));
	CU_ASSERT_EQUAL_FATAL(dht_get_item(sim_dht(net, node), t, (const uint8_t *)salt,
	    salt ? strlen(salt) : 0, AF_INET, item_cb, g, sim_now_ms(net), NULL), DHT_OK);
	wait_done(g);
	CU_ASSERT_FALSE(g->has_put);
}

static void signed_item(struct dht_item *it, const uint8_t *pk, const uint8_t *sk, uint8_t *sig,
    const char *v, int64_t seq)
{
	memset(it, 0, sizeof(*it));
	it->k = pk;
	it->salt = (const uint8_t *)"sim";
	it->salt_len = 3;
	it->seq = seq;
	it->v = (const uint8_t *)v;
	it->v_len = strlen(v);
	CU_ASSERT_EQUAL_FATAL(dht_item_sign(it, sk, sig), DHT_OK);
}

/* A key from the test seed, so a run repeats with its TL_TEST_SEED. */
static void test_key(uint8_t pk[32], uint8_t sk[64])
{
	uint8_t seed[32];
	sim_rng_bytes(sim_rng(net), seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
}

static void test_mutable(void)
{
	uint8_t pk[32], sk[64], sig[64];
	struct dht_item it;
	struct dht_id target;
	struct got g;
	test_key(pk, sk);
	signed_item(&it, pk, sk, sig, "5:first", 1);
	CU_ASSERT_EQUAL_FATAL(dht_item_target(sim_dht(net, 10), &it, &target), DHT_OK);
	put(10, &it, &g);
	CU_ASSERT_TRUE(g.put.stored >= 6 && g.put.errors == 0);
	get(500, &target, "sim", &g);
	CU_ASSERT_TRUE(g.has_item && g.seq == 1 && g.v_len == 7 && memcmp(g.v, "5:first", 7) == 0);
	/* without the salt the reply does not hash to the target: nothing */
	get(501, &target, NULL, &g);
	CU_ASSERT_FALSE(g.has_item);

	signed_item(&it, pk, sk, sig, "6:second", 2);
	it.has_cas = true;
	it.cas = 1;
	put(20, &it, &g);
	get(700, &target, "sim", &g);
	CU_ASSERT_TRUE(g.has_item && g.seq == 2 && memcmp(g.v, "6:second", 8) == 0);

	/* a stale cas (1, stored is 2) and a lower seq are refused */
	signed_item(&it, pk, sk, sig, "5:third", 3);
	it.has_cas = true;
	it.cas = 1;
	put(20, &it, &g); /* from where seq 2 went: the nodes that hold it */
	CU_ASSERT_TRUE(g.put.sent >= 6 && g.put.stored == 0 && refused(&g, 301) >= 6);
	signed_item(&it, pk, sk, sig, "3:old", 1);
	put(40, &it, &g);
	CU_ASSERT_TRUE(g.put.sent >= 6 && g.put.stored <= 2 && refused(&g, 302) >= 6);
	get(900, &target, "sim", &g);
	CU_ASSERT_TRUE(g.has_item && g.seq == 2 && memcmp(g.v, "6:second", 8) == 0);
}

static void test_immutable(void)
{
	struct dht_item it = { .v = (const uint8_t *)"12:Hello World!", .v_len = 15 };
	struct dht_id target;
	struct got g;
	CU_ASSERT_EQUAL_FATAL(dht_item_target(sim_dht(net, 3), &it, &target), DHT_OK);
	put(3, &it, &g);
	CU_ASSERT_TRUE(g.put.stored >= 6);
	get(600, &target, NULL, &g);
	CU_ASSERT_TRUE(g.has_item && g.v_len == 15 && memcmp(g.v, "12:Hello World!", 15) == 0);
	target.b[0] ^= 1;
	get(601, &target, NULL, &g);
	CU_ASSERT_FALSE(g.has_item);

	/* cancelled while the put waits for answers (its lookup is over):
	 * no callback, and the id is gone */
	struct dht_item other = { .v = (const uint8_t *)"5:other", .v_len = 7 };
	struct dht *d = sim_dht(net, 4);
	uint32_t id;
	memset(&g, 0, sizeof(g));
	CU_ASSERT_EQUAL_FATAL(dht_put_item(d, &other, AF_INET, item_cb, &g, sim_now_ms(net), &id),
	    DHT_OK);
	struct dht_stats st = { .searches = 1 };
	for (int i = 0; i < 3000 && st.searches > 0 && !g.is_done; i++) {
		sim_run_for(net, 1);
		dht_get_stats(d, &st);
	}
	CU_ASSERT_TRUE_FATAL(st.searches == 0 && !g.is_done);
	CU_ASSERT_EQUAL(dht_search_cancel(d, id), DHT_OK);
	sim_run_for(net, 6000);
	CU_ASSERT_FALSE(g.is_done);
	CU_ASSERT_EQUAL(dht_search_cancel(d, id), DHT_ENOTFOUND);
}

/* A 1000-byte bencoded value: "996:" and 996 bytes of tag-numbered text. */
static void big_value(uint8_t v[DHT_ITEM_MAX_V], char tag)
{
	memcpy(v, "996:", 4);
	for (size_t i = 4; i < DHT_ITEM_MAX_V; i++)
		v[i] = i % 61 == 0 ? (uint8_t)tag : (uint8_t)('a' + i % 26);
}

static void test_big_values(void)
{
	uint8_t vm[DHT_ITEM_MAX_V], vi[DHT_ITEM_MAX_V], pk[32], sk[64], sig[64];
	struct dht_item it;
	struct dht_id target;
	struct got g;
	sizes.over = sizes.stray = 0;
	sim_set_observer(net, size_observer, NULL);

	/* mutable: 1000-byte v, a 64-byte salt, cas: the largest put */
	big_value(vm, 'M');
	sizes.big_v = vm + 4;
	sizes.big_v_len = 400; /* the part no new seq changes */
	test_key(pk, sk);
	char salt[DHT_ITEM_MAX_SALT + 1];
	memset(salt, 'z', DHT_ITEM_MAX_SALT);
	salt[DHT_ITEM_MAX_SALT] = '\0';
	memset(&it, 0, sizeof(it));
	it.k = pk;
	it.salt = (const uint8_t *)salt;
	it.salt_len = DHT_ITEM_MAX_SALT;
	it.seq = 9;
	it.v = vm;
	it.v_len = DHT_ITEM_MAX_V;
	CU_ASSERT_EQUAL_FATAL(dht_item_sign(&it, sk, sig), DHT_OK);
	CU_ASSERT_EQUAL_FATAL(dht_item_target(sim_dht(net, 50), &it, &target), DHT_OK);
	put(50, &it, &g);
	CU_ASSERT_TRUE(g.put.stored >= 6 && g.put.errors == 0);
	get(550, &target, salt, &g);
	CU_ASSERT_TRUE(g.has_item && g.seq == 9 && g.v_len == DHT_ITEM_MAX_V &&
	    memcmp(g.v, vm, DHT_ITEM_MAX_V) == 0);
	/* a newer seq with cas of the stored one replaces it */
	vm[500] = 'N';
	it.seq = 10;
	it.has_cas = true;
	it.cas = 9;
	CU_ASSERT_EQUAL_FATAL(dht_item_sign(&it, sk, sig), DHT_OK);
	put(51, &it, &g);
	CU_ASSERT_TRUE(g.put.stored >= 6 && g.put.errors == 0);
	get(551, &target, salt, &g);
	CU_ASSERT_TRUE(g.has_item && g.seq == 10 && memcmp(g.v, vm, DHT_ITEM_MAX_V) == 0);

	/* immutable */
	big_value(vi, 'I');
	sizes.big_v = vi + 4;
	memset(&it, 0, sizeof(it));
	it.v = vi;
	it.v_len = DHT_ITEM_MAX_V;
	CU_ASSERT_EQUAL_FATAL(dht_item_target(sim_dht(net, 60), &it, &target), DHT_OK);
	put(60, &it, &g);
	CU_ASSERT_TRUE(g.put.stored >= 6 && g.put.errors == 0);
	get(660, &target, NULL, &g);
	CU_ASSERT_TRUE(g.has_item && g.v_len == DHT_ITEM_MAX_V &&
	    memcmp(g.v, vi, DHT_ITEM_MAX_V) == 0);

	sim_set_observer(net, NULL, NULL);
	printf("big values: %zu datagrams over 1024 bytes, largest %zu\n", sizes.over,
	    sizes.max_len);
	CU_ASSERT_TRUE(sizes.over >= 3 * 6); /* the puts at least */
	CU_ASSERT_TRUE(sizes.max_len <= KRPC_MAX_OUT_ITEM);
	CU_ASSERT_EQUAL(sizes.stray, 0);
}

static void announced(void *ud, uint32_t sid, const struct dht_id *ih, int af,
    const uint8_t *peers, size_t npeers, bool is_done)
{
	(void)sid, (void)ih, (void)af, (void)peers, (void)npeers;
	if (is_done)
		(*(size_t *)ud)--;
}

struct scraped {
	bool is_done;
	double seeds, peers;
	size_t nodes;
};

static void scraped_cb(void *ud, uint32_t sid, const struct dht_id *ih, double seeds, double peers,
    size_t nodes)
{
	struct scraped *s = ud;
	(void)sid, (void)ih;
	s->is_done = true;
	s->seeds = seeds;
	s->peers = peers;
	s->nodes = nodes;
}

struct walk {
	const struct dht_id *ih;
	bool is_done, has_ih;
	size_t replies;
	uint64_t num;
};

static void walk_cb(void *ud, uint32_t sid, const uint8_t *samples, size_t n, uint64_t num,
    bool is_done)
{
	struct walk *w = ud;
	(void)sid;
	if (is_done) {
		CU_ASSERT_FALSE(w->is_done); /* exactly once */
		w->is_done = true;
		return;
	}
	w->replies++;
	if (num > w->num)
		w->num = num;
	for (size_t i = 0; i < n; i++)
		w->has_ih |= memcmp(samples + 20 * i, w->ih->b, 20) == 0;
}

static void test_scrape(void)
{
	struct dht_id ih;
	memset(ih.b, 0x5c, sizeof(ih.b));
	size_t left = 500;
	for (uint32_t i = 0; i < 500; i++) {
		CU_ASSERT_EQUAL_FATAL(dht_search(sim_dht(net, i), &ih, AF_INET, 6881, i < 200, announced,
		    &left, sim_now_ms(net), NULL), DHT_OK);
		sim_run_for(net, 20);
	}
	int64_t deadline = sim_now_ms(net) + 60000;
	while (left > 0 && sim_now_ms(net) < deadline)
		sim_run_for(net, 200);
	CU_ASSERT_EQUAL_FATAL(left, 0);
	sim_run_for(net, 2000);
	struct scraped s = { .is_done = false };
	CU_ASSERT_EQUAL_FATAL(dht_scrape(sim_dht(net, 800), &ih, AF_INET, scraped_cb, &s,
	    sim_now_ms(net), NULL), DHT_OK);
	deadline = sim_now_ms(net) + 30000;
	while (!s.is_done && sim_now_ms(net) < deadline)
		sim_run_for(net, 100);
	CU_ASSERT_TRUE_FATAL(s.is_done);
	printf("scrape: %.1f seeds (200), %.1f peers (300) from %zu nodes\n", s.seeds, s.peers,
	    s.nodes);
	CU_ASSERT_TRUE(s.nodes >= 1);
	CU_ASSERT_TRUE(s.seeds >= 180 && s.seeds <= 220);
	CU_ASSERT_TRUE(s.peers >= 270 && s.peers <= 330);

	struct walk w = { .ih = &ih };
	CU_ASSERT_EQUAL_FATAL(dht_sample(sim_dht(net, 900), &ih, AF_INET, 20, walk_cb, &w,
	    sim_now_ms(net), NULL), DHT_OK);
	deadline = sim_now_ms(net) + 30000;
	while (!w.is_done && sim_now_ms(net) < deadline)
		sim_run_for(net, 100);
	CU_ASSERT_TRUE_FATAL(w.is_done);
	CU_ASSERT_TRUE(w.replies >= 1 && w.has_ih && w.num >= 1);
	struct dht_stats st;
	dht_get_stats(sim_dht(net, 900), &st);
	CU_ASSERT_TRUE(st.searches == 0);
}

int main(void)
{
	uint64_t seed = tl_test_seed_or(20261208);
	if (sodium_init() < 0)
		return 1;
	struct sim_config c = { .seed = seed, .rtt_median_ms = 100, .rtt_sigma = 0.6 };
	c.dht.no_rate_limit = true;
	c.dht.sha1 = sha1_hook;
	net = sim_new(&c);
	/* Settled until every node has been proven reachable and is handed
	 * out in "nodes" (RT_PINHOLE_MS after it last contacted the others,
	 * dht/rtable.h): before that, lookups from different nodes may end
	 * on different closest sets. */
	if (!net || scen_grow(net, NODES, 30000, 60000 + RT_PINHOLE_MS) != 0)
		return 1;
	CU_TestInfo tests[] = {
		TL_TEST(test_mutable),
		TL_TEST(test_immutable),
		TL_TEST(test_big_values),
		TL_TEST(test_scrape),
		CU_TEST_INFO_NULL,
	};
	int rc = tl_test_run("sim_items", tests);
	sim_free(net);
	return rc;
}
