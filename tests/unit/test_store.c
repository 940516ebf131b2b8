/* test_store.c: peer storage: uniqueness per IP, caps, expiry, noseed,
 * sampling, a property test of the hash index against a naive model
 * through inserts and expiries, one of the peer blocks (both families,
 * growth and shrinking through the size classes, caps, expiry), the size
 * classes, reuse of memory after expiry, stamps over long runs, and the
 * byte budget (store_bytes) per infohash and per peer. */
#include "cutest.h"

#include "dht/store.h"

static const uint8_t key[16] = "0123456789abcdef";

static struct dht_addr p4(uint32_t ip, uint16_t port)
{
	struct dht_addr a = { .family = AF_INET, .port = port };
	a.ip[0] = (uint8_t)(ip >> 24), a.ip[1] = (uint8_t)(ip >> 16);
	a.ip[2] = (uint8_t)(ip >> 8), a.ip[3] = (uint8_t)ip;
	return a;
}

static void test_basic(void)
{
	struct dht_store s;
	struct dht_id ih;
	memset(ih.b, 7, 20);
	store_init(&s, 10, 5, key, 1000);
	uint8_t out[18 * 10];
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, 1000, out), 0);
	struct dht_addr a = p4(0x01020304, 6881);
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &a, false, 1000), DHT_OK);
	a.port = 6882; /* same IP: port updated, not a second peer */
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &a, true, 2000), DHT_OK);
	CU_ASSERT_EQUAL(store_count_peers(&s, &ih, AF_INET), 1);
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, 2000, out), 1);
	CU_ASSERT_EQUAL(memcmp(out, "\x01\x02\x03\x04\x1a\xe2", 6), 0);
	/* noseed hides the seed (BEP 33). */
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, true, 10, 2000, out), 0);
	/* IPv6 is kept apart. */
	struct dht_addr v6 = { .family = AF_INET6, .ip = { 0x20, 1 }, .port = 1 };
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &v6, false, 2000), DHT_OK);
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET6, false, 10, 2000, out), 1);
	CU_ASSERT_EQUAL(out[0], 0x20);
	CU_ASSERT_EQUAL(out[17], 1);
	CU_ASSERT_EQUAL(s.npeers, 2);
	/* Cap per infohash. */
	for (uint32_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(store_announce(&s, &ih, &(struct dht_addr){ .family = AF_INET,
		    .ip = { 9, 9, 9, (uint8_t)i }, .port = 1 }, false, 2000), DHT_OK);
	struct dht_addr x = p4(0x05050505, 1);
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &x, false, 2000), DHT_EFULL);
	CU_ASSERT_EQUAL(store_count_peers(&s, &ih, AF_INET), 5);
	/* Sampling returns at most max, all distinct. */
	size_t n = store_get(&s, &ih, AF_INET, false, 3, 2000, out);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_NOT_EQUAL(memcmp(out, out + 6, 6), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(out + 6, out + 12, 6), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(out, out + 12, 6), 0);
	/* Cap on infohashes. */
	for (int i = 0; i < 9; i++) {
		struct dht_id o;
		memset(o.b, 100 + i, 20);
		CU_ASSERT_EQUAL(store_announce(&s, &o, &x, false, 2000), DHT_OK);
	}
	struct dht_id full;
	memset(full.b, 200, 20);
	CU_ASSERT_EQUAL(store_announce(&s, &full, &x, false, 2000), DHT_EFULL);
	/* Expiry after 30 minutes (the first announce of a at 1000 was
	 * refreshed at 2000). */
	store_expire(&s, 2000 + STORE_EXPIRE_MS - 1000);
	CU_ASSERT_EQUAL(s.nih, 10);
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, 2000 + STORE_EXPIRE_MS, out), 0);
	store_expire(&s, 2000 + STORE_EXPIRE_MS);
	CU_ASSERT_EQUAL(s.nih, 0);
	CU_ASSERT_EQUAL(s.npeers, 0);
	CU_ASSERT_EQUAL(store_announce(&s, &full, &x, false, 2000 + STORE_EXPIRE_MS), DHT_OK);
	store_clear(&s);
}

static void test_sample_uniform(void)
{
	struct dht_store s;
	struct dht_id ih;
	memset(ih.b, 1, 20);
	store_init(&s, 10, 2000, key, 0);
	for (uint32_t i = 0; i < 200; i++) {
		struct dht_addr a = p4(0x0a000000u + i, 1000);
		store_announce(&s, &ih, &a, false, 0);
	}
	unsigned hits[200] = { 0 };
	uint8_t out[50 * 6];
	for (int r = 0; r < 2000; r++) {
		size_t n = store_get(&s, &ih, AF_INET, false, 50, 0, out);
		CU_ASSERT_EQUAL(n, 50);
		for (size_t k = 0; k < n; k++)
			hits[out[k * 6 + 3] | (out[k * 6 + 2] << 8)]++;
	}
	/* Each peer is expected 500 times; a biased sampler drifts far. */
	for (int i = 0; i < 200; i++)
		CU_ASSERT_TRUE(hits[i] > 350 && hits[i] < 650);
	store_clear(&s);
}

static void test_index_property(void)
{
	uint64_t seed = tl_test_seed();
	struct dht_store s;
	store_init(&s, 5000, 4, key, 0);
	enum { N = 3000 };
	static struct dht_id ids[N];
	static int64_t at[N]; /* model: time of the last announce, or -1 */
	uint64_t r = seed | 1;
	for (int i = 0; i < N; i++) {
		for (int k = 0; k < 20; k++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			ids[i].b[k] = (uint8_t)r;
		}
		at[i] = -1;
	}
	struct dht_addr a = p4(0x0a000001, 1);
	int64_t now = 0;
	for (int step = 0; step < 30000; step++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		int i = (int)(r % N);
		now += 1000;
		CU_ASSERT_EQUAL(store_announce(&s, &ids[i], &a, false, now), DHT_OK);
		at[i] = now;
		if (step % 1000 == 999) {
			store_expire(&s, now);
			for (int k = 0; k < N; k++) {
				bool live = at[k] >= 0 && now - at[k] < STORE_EXPIRE_MS;
				if ((store_count_peers(&s, &ids[k], AF_INET) == 1) != live) {
					CU_FAIL("store index disagrees with the model");
					break;
				}
			}
		}
	}
	store_clear(&s);
}

static uint64_t xs(uint64_t *r)
{
	*r ^= *r << 13, *r ^= *r >> 7, *r ^= *r << 17;
	return *r;
}

static struct dht_addr p6(uint32_t ip, uint16_t port)
{
	struct dht_addr a = { .family = AF_INET6, .port = port, .ip = { 0x20, 0x01, 0x0d, 0xb8 } };
	a.ip[12] = (uint8_t)(ip >> 24), a.ip[13] = (uint8_t)(ip >> 16);
	a.ip[14] = (uint8_t)(ip >> 8), a.ip[15] = (uint8_t)ip;
	return a;
}

static void test_classes(void)
{
	CU_ASSERT_TRUE(store_class_of(STORE_MAX_PEERS) < STORE_NCLASS);
	CU_ASSERT_TRUE(store_class_cap(STORE_NCLASS - 1) >= STORE_MAX_PEERS);
	for (uint32_t n = 1; n <= STORE_MAX_PEERS; n++) {
		unsigned c = store_class_of(n);
		uint32_t cap = store_class_cap(c);
		if (cap < n || (c > 0 && store_class_cap(c - 1) >= n) || (uint64_t)n * 9 < (uint64_t)cap * 8) {
			CU_FAIL("size class too small, not the smallest, or under 8/9 full");
			break;
		}
	}
	for (unsigned c = 1; c < STORE_NCLASS; c++)
		CU_ASSERT_TRUE(store_class_cap(c) > store_class_cap(c - 1));
}

/* A model of one infohash's peers: the stored ones (expired ones stay
 * until store_expire, as in the store). */
enum { M_IH = 64, M_IPS = 48, M_CAP = 40 };
struct m_peer {
	int64_t at;     /* -1 = not stored */
	bool seed;
	uint16_t port;
};
static struct m_peer model[M_IH][2][M_IPS];

static struct dht_id m_id(int i)
{
	struct dht_id id;
	memset(id.b, 0, 20);
	id.b[0] = (uint8_t)i;
	id.b[19] = 0x5a;
	return id;
}

static size_t m_count(int i, int f)
{
	size_t n = 0;
	for (int k = 0; k < M_IPS; k++)
		n += model[i][f][k].at >= 0;
	return n;
}

struct seen {
	int f;
	unsigned live[2][M_IPS]; /* times seen: 1 + seed */
	bool bad;
};

static void on_peer(void *ud, const uint8_t *ip, size_t iplen, bool is_seed)
{
	struct seen *c = ud;
	int f = iplen == 16;
	unsigned k = ip[iplen - 1];
	if (k >= M_IPS || c->live[f][k])
		c->bad = true;
	else
		c->live[f][k] = 1u + is_seed;
}

static void test_blocks_property(void)
{
	uint64_t r = tl_test_seed() | 1;
	struct dht_store s;
	store_init(&s, M_IH - 8, M_CAP, key, 0);
	for (int i = 0; i < M_IH; i++)
		for (int f = 0; f < 2; f++)
			for (int k = 0; k < M_IPS; k++)
				model[i][f][k].at = -1;
	int64_t now = 0;
	size_t nih = 0;
	for (int step = 0; step < 60000; step++) {
		now += 1000 * (int64_t)(xs(&r) % 3);
		int i = (int)(xs(&r) % M_IH), f = (int)(xs(&r) % 2), k = (int)(xs(&r) % M_IPS);
		bool seed = xs(&r) % 4 == 0;
		uint16_t port = (uint16_t)(1 + xs(&r) % 60000);
		struct dht_id id = m_id(i);
		struct dht_addr a = f ? p6((uint32_t)k, port) : p4((uint32_t)k, port);
		bool has_ih = m_count(i, 0) + m_count(i, 1) > 0;
		int want = DHT_OK;
		if (!has_ih && nih >= M_IH - 8)
			want = DHT_EFULL;
		else if (model[i][f][k].at < 0 && m_count(i, f) >= M_CAP)
			want = DHT_EFULL;
		int got = store_announce(&s, &id, &a, seed, now);
		if (got != want) {
			CU_FAIL("announce result disagrees with the model");
			break;
		}
		if (got == DHT_OK) {
			nih += !has_ih;
			model[i][f][k] = (struct m_peer){ .at = now, .seed = seed, .port = port };
		}
		if (step % 2000 == 1999) {
			store_expire(&s, now);
			nih = 0;
			for (int j = 0; j < M_IH; j++) {
				for (int g = 0; g < 2; g++)
					for (int q = 0; q < M_IPS; q++)
						if (model[j][g][q].at >= 0 && now - model[j][g][q].at >= STORE_EXPIRE_MS)
							model[j][g][q].at = -1;
				nih += m_count(j, 0) + m_count(j, 1) > 0;
			}
			CU_ASSERT_EQUAL(s.nih, nih);
		}
		if (step % 500 != 0)
			continue;
		/* Compare every infohash: counts, live peers, seed flags, ports. */
		size_t npeers = 0;
		for (int j = 0; j < M_IH; j++) {
			struct dht_id jd = m_id(j);
			struct seen c = { 0 };
			store_each(&s, &jd, now, on_peer, &c);
			for (int g = 0; g < 2; g++) {
				npeers += m_count(j, g);
				CU_ASSERT_EQUAL(store_count_peers(&s, &jd, g ? AF_INET6 : AF_INET), m_count(j, g));
				uint8_t out[M_CAP * 18];
				size_t n = store_get(&s, &jd, g ? AF_INET6 : AF_INET, false, M_CAP, now, out);
				size_t live = 0;
				for (int q = 0; q < M_IPS; q++) {
					const struct m_peer *m = &model[j][g][q];
					bool is_live = m->at >= 0 && now - m->at < STORE_EXPIRE_MS;
					live += is_live;
					if (c.live[g][q] != (is_live ? 1u + m->seed : 0u))
						c.bad = true;
				}
				CU_ASSERT_EQUAL(n, live);
				size_t len = g ? 18 : 6;
				for (size_t e = 0; e < n; e++) {
					const uint8_t *p = out + e * len;
					unsigned q = p[len - 3];
					if (q >= M_IPS || ((unsigned)p[len - 2] << 8 | p[len - 1]) != model[j][g][q].port)
						c.bad = true;
				}
			}
			if (c.bad) {
				CU_FAIL("stored peers disagree with the model");
				j = M_IH;
			}
		}
		CU_ASSERT_EQUAL(s.npeers, npeers);
	}
	store_clear(&s);
}

static void fill(struct dht_store *s, uint32_t first, uint32_t nih, uint32_t per, int af,
    int64_t now)
{
	for (uint32_t i = first; i < first + nih; i++) {
		struct dht_id id;
		memset(id.b, 0, 20);
		memcpy(id.b, &i, sizeof(i));
		for (uint32_t k = 0; k < per; k++) {
			struct dht_addr a = af == AF_INET6 ? p6(k, 1) : p4(k, 1);
			CU_ASSERT_EQUAL_FATAL(store_announce(s, &id, &a, k % 2, now), DHT_OK);
		}
	}
}

/* The store's own bytes for nih infohashes of per peers each, minus the
 * empty store's. */
static double bytes_for(uint32_t nih, uint32_t per, int af)
{
	struct dht_store s;
	store_init(&s, 1u << 22, 2000, key, 0);
	size_t b0 = store_bytes(&s);
	fill(&s, 0, nih, per, af, 0);
	CU_ASSERT_EQUAL(s.npeers, (size_t)nih * per);
	size_t b = store_bytes(&s) - b0;
	store_clear(&s);
	return (double)b;
}

/* The budget: <= 64 bytes per infohash plus <= 12 per IPv4 peer and <= 24
 * per IPv6 peer, slack of the index, record chunks and blocks included.
 * 92,000 infohashes put the index just past a doubling (load 0.35, its
 * worst); 100,000 is the benchmark's shape. */
static void test_bytes_budget(void)
{
	static const uint32_t sizes[] = { 92000, 100000 };
	for (size_t z = 0; z < 2; z++) {
		uint32_t n = sizes[z];
		double ih4 = bytes_for(n, 1, AF_INET), ih4x10 = bytes_for(n, 10, AF_INET);
		double ih6 = bytes_for(n, 1, AF_INET6), ih6x10 = bytes_for(n, 10, AF_INET6);
		double per4 = (ih4x10 - ih4) / (9.0 * n), per6 = (ih6x10 - ih6) / (9.0 * n);
		double per_ih = ih4 / n - per4;
		printf("\n  %u infohashes: %.1f B per infohash, %.2f B per IPv4 peer, %.2f B per IPv6 peer"
		       " (1 v4 peer each: %.1f B, 10: %.1f B)", n, per_ih, per4, per6, ih4 / n, ih4x10 / n);
		CU_ASSERT_TRUE(ih4 <= 64.0 * n + 12.0 * n);
		CU_ASSERT_TRUE(ih4x10 <= 64.0 * n + 12.0 * 10 * n);
		CU_ASSERT_TRUE(ih6 <= 64.0 * n + 24.0 * n);
		CU_ASSERT_TRUE(ih6x10 <= 64.0 * n + 24.0 * 10 * n);
		CU_ASSERT_TRUE(per4 <= 12.0);
		CU_ASSERT_TRUE(per6 <= 24.0);
		CU_ASSERT_TRUE(per_ih <= 64.0);
	}
	/* Uneven swarms: 1 to 300 peers, every size class slack included. */
	struct dht_store s;
	store_init(&s, 1u << 20, 2000, key, 0);
	size_t b0 = store_bytes(&s), np = 0;
	uint64_t r = tl_test_seed() | 1;
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t per = 1 + (uint32_t)(xs(&r) % 300 * (xs(&r) % 300) / 300);
		fill(&s, i, 1, per, i % 3 ? AF_INET : AF_INET6, 0);
		np += per;
	}
	CU_ASSERT_EQUAL(s.npeers, np);
	CU_ASSERT_TRUE((double)(store_bytes(&s) - b0) <= 64.0 * 20000 + 24.0 * (double)np);
	store_clear(&s);
}

/* Expired peers give their memory back or to the next announces: a
 * second fill after a full expiry costs no more than the first. */
static void test_reuse_after_expiry(void)
{
	struct dht_store s;
	store_init(&s, 100000, 2000, key, 0);
	size_t b0 = store_bytes(&s);
	fill(&s, 0, 30000, 3, AF_INET, 0);
	fill(&s, 30000, 5000, 20, AF_INET6, 0);
	size_t b1 = store_bytes(&s);
	store_expire(&s, STORE_EXPIRE_MS);
	CU_ASSERT_EQUAL(s.nih, 0);
	CU_ASSERT_EQUAL(s.npeers, 0);
	/* The index and one spare record chunk stay. */
	CU_ASSERT_TRUE(store_bytes(&s) <= b0 + (s.idx.nslot + s.old.nslot) * 4 + 40000);
	fill(&s, 100000, 30000, 3, AF_INET, STORE_EXPIRE_MS);
	fill(&s, 130000, 5000, 20, AF_INET6, STORE_EXPIRE_MS);
	CU_ASSERT_EQUAL(store_bytes(&s), b1);
	/* Half the peers of each infohash expire: blocks move to the
	 * smaller class, the rest are still served. */
	for (uint32_t i = 100000; i < 135000; i++) {
		struct dht_id id;
		memset(id.b, 0, 20);
		memcpy(id.b, &i, sizeof(i));
		struct dht_addr a = i < 130000 ? p4(0, 1) : p6(0, 1);
		CU_ASSERT_EQUAL_FATAL(store_announce(&s, &id, &a, false, 2 * STORE_EXPIRE_MS - 1000), DHT_OK);
	}
	size_t b2 = store_bytes(&s);
	store_expire(&s, 2 * STORE_EXPIRE_MS);
	CU_ASSERT_EQUAL(s.nih, 35000);
	CU_ASSERT_EQUAL(s.npeers, 35000);
	CU_ASSERT_TRUE(store_bytes(&s) < b2);
	uint8_t out[18];
	struct dht_id id;
	memset(id.b, 0, 20);
	uint32_t i = 131234;
	memcpy(id.b, &i, sizeof(i));
	CU_ASSERT_EQUAL(store_get(&s, &id, AF_INET6, false, 1, 2 * STORE_EXPIRE_MS, out), 1);
	store_clear(&s);
}

/* Stamps are seconds since base_ms in 15 bits: base_ms moves as the store
 * is swept, and a store left unswept for longer than a stamp holds still
 * ages its peers exactly. */
static void test_long_run(void)
{
	struct dht_store s;
	struct dht_id ih;
	memset(ih.b, 3, 20);
	int64_t t0 = 5000;
	store_init(&s, 10, 10, key, t0);
	uint8_t out[6 * 10];
	int64_t now = t0;
	for (int hour = 0; hour < 48; hour++) {
		now = t0 + (int64_t)hour * 3600 * 1000;
		struct dht_addr a = p4((uint32_t)hour, 1);
		CU_ASSERT_EQUAL(store_announce(&s, &ih, &a, hour % 2, now), DHT_OK);
		CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, now + STORE_EXPIRE_MS - 1000, out), 1);
		CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, now + STORE_EXPIRE_MS, out), 0);
		CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, true, 10, now, out), hour % 2 ? 0u : 1u);
		store_expire(&s, now + 5 * 60 * 1000);
		CU_ASSERT_EQUAL(s.npeers, 1);
	}
	CU_ASSERT_TRUE(s.base_ms > t0 + 40 * 3600 * 1000);
	/* Twenty hours without a sweep: the old peer is not revived by a
	 * wrapped stamp, and a new announce still works. */
	now += 20 * 3600 * 1000;
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, now, out), 0);
	struct dht_addr b = p4(0x0a0a0a0a, 2);
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &b, false, now), DHT_OK);
	CU_ASSERT_EQUAL(store_count_peers(&s, &ih, AF_INET), 1);
	CU_ASSERT_EQUAL(store_get(&s, &ih, AF_INET, false, 10, now + STORE_EXPIRE_MS - 1000, out), 1);
	CU_ASSERT_EQUAL(memcmp(out, "\x0a\x0a\x0a\x0a\x00\x02", 6), 0);
	store_clear(&s);
}

/* Caps larger than the layout holds are clamped; IPv6 has its own cap
 * count per infohash. */
static void test_caps(void)
{
	struct dht_store s;
	store_init(&s, (size_t)1 << 40, (size_t)1 << 20, key, 0);
	CU_ASSERT_EQUAL(s.max_ih, STORE_MAX_IH);
	CU_ASSERT_EQUAL(s.max_peers, STORE_MAX_PEERS);
	store_clear(&s);
	store_init(&s, 2, 3, key, 0);
	struct dht_id ih;
	memset(ih.b, 9, 20);
	for (uint32_t k = 0; k < 3; k++) {
		struct dht_addr a = p6(k, 1), b = p4(k, 1);
		CU_ASSERT_EQUAL(store_announce(&s, &ih, &a, false, 0), DHT_OK);
		CU_ASSERT_EQUAL(store_announce(&s, &ih, &b, false, 0), DHT_OK);
	}
	struct dht_addr c = p6(7, 1);
	CU_ASSERT_EQUAL(store_announce(&s, &ih, &c, false, 0), DHT_EFULL);
	CU_ASSERT_EQUAL(store_count_peers(&s, &ih, AF_INET6), 3);
	CU_ASSERT_EQUAL(s.npeers, 6);
	store_clear(&s);
}


/* The index grows while infohashes expire: removals land in both the old
 * table and the new one during the incremental move, and every lookup
 * agrees with a model throughout. */
static void test_growth_while_expiring(void)
{
	uint64_t r = tl_test_seed() | 1;
	enum { N = 20000 };
	static int64_t at[N];
	struct dht_store s;
	store_init(&s, N, 4, key, 0);
	for (int i = 0; i < N; i++)
		at[i] = -1;
	struct dht_addr a = p4(0x0a000001, 1);
	int64_t now = 0;
	bool is_ok = true;
	size_t moves = 0;
	for (int step = 0; step < 80000 && is_ok; step++) {
		int i = (int)(xs(&r) % N);
		struct dht_id id;
		memset(id.b, 0, 20);
		memcpy(id.b, &i, sizeof(i));
		now += 40;
		CU_ASSERT_EQUAL(store_announce(&s, &id, &a, false, now), DHT_OK);
		at[i] = now / 1000 * 1000; /* stamps hold whole seconds */
		moves += s.old.nslot != 0;
		if (step % 37 != 0)
			continue;
		store_expire(&s, now);
		for (int k = 0; k < 64; k++) {
			int j = (int)(xs(&r) % N);
			memset(id.b, 0, 20);
			memcpy(id.b, &j, sizeof(j));
			bool live = at[j] >= 0 && now - at[j] < STORE_EXPIRE_MS;
			if ((store_count_peers(&s, &id, AF_INET) == 1) != live)
				is_ok = false;
		}
	}
	CU_ASSERT_TRUE(is_ok);
	CU_ASSERT_TRUE(moves > 1000); /* the checks ran while tables moved */
	size_t live = 0;
	for (int i = 0; i < N; i++)
		live += at[i] >= 0 && now - at[i] < STORE_EXPIRE_MS;
	store_expire(&s, now);
	CU_ASSERT_EQUAL(s.nih, live);
	store_clear(&s);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_basic),
		TL_TEST(test_sample_uniform),
		TL_TEST(test_index_property),
		TL_TEST(test_classes),
		TL_TEST(test_blocks_property),
		TL_TEST(test_bytes_budget),
		TL_TEST(test_reuse_after_expiry),
		TL_TEST(test_long_run),
		TL_TEST(test_caps),
		TL_TEST(test_growth_while_expiring),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("store", tests);
}
