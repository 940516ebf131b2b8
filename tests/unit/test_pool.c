/* test_pool.c: the bootstrap router's node pool (dht/pool.c) and its
 * stateless ping cookies (dht/cookie.c): the memory bound, admission and
 * eviction order, closest-to-target against a naive sort, random samples,
 * BEP 42 / martian refusal, the ping schedule, save/load round trip, and
 * cookie verification and expiry. */
#include "cutest.h"

#include "dht/bep42.h"
#include "dht/cookie.h"
#include "dht/pool.h"

static uint64_t rng;

static void rand_id(struct dht_id *id)
{
	for (size_t i = 0; i < 20; i += 8) {
		uint64_t r = dht_pool_rand(&rng);
		memcpy(id->b + i, &r, 20 - i < 8 ? 20 - i : 8);
	}
}

/* 127.x.y.z:port, a local address (BEP 42 exempt), distinct per i. */
static struct dht_addr loop4(uint32_t i)
{
	struct dht_addr a = { .family = AF_INET, .port = (uint16_t)(1000 + (i & 0x3fff)) };
	a.ip[0] = 127, a.ip[1] = (uint8_t)(i >> 16), a.ip[2] = (uint8_t)(i >> 8);
	a.ip[3] = (uint8_t)i;
	return a;
}

static struct dht_addr pub4(uint8_t a0, uint8_t a1, uint8_t a2, uint8_t a3)
{
	struct dht_addr a = { .family = AF_INET, .ip = { a0, a1, a2, a3 }, .port = 6881 };
	return a;
}

/* Confirm (or note, as learned from a reply) a random id at loop4(i). */
static enum dht_pool_result add_rand(struct dht_pool *p, uint32_t i, bool is_verified,
    uint32_t now_s)
{
	struct dht_id id;
	struct dht_addr a = loop4(i);
	rand_id(&id);
	return is_verified ? dht_pool_confirm(p, &id, &a, now_s) :
	    dht_pool_note(p, &id, &a, DHT_POOL_FROM_REPLY, now_s);
}

static struct dht_pool *mk(size_t bytes, bool bep42)
{
	struct dht_pool_config c = {
		.max_bytes = bytes, .ping_delay_s = 10, .refresh_s = 100, .ping_timeout_s = 20,
		.check_bep42 = bep42,
	};
	return dht_pool_new(&c);
}

static bool has_node(const uint8_t *nodes, size_t n, const struct dht_id *id)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(nodes + i * 26, id->b, 20) == 0)
			return true;
	return false;
}

static void test_bound_and_eviction(void)
{
	/* 1 MiB: the slabs fit in it and the pool never grows */
	struct dht_pool *p = mk(1 << 20, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct dht_pool_stats st;
	dht_pool_get_stats(p, &st);
	CU_ASSERT(st.capacity[0] * DHT_POOL_ENTRY4 + st.capacity[1] * DHT_POOL_ENTRY6 <= 1 << 20);
	CU_ASSERT(st.capacity[0] * DHT_POOL_ENTRY4 >= (1 << 20) / 2);
	for (uint32_t i = 0; i < 4 * st.capacity[0]; i++)
		add_rand(p, i, true, 1 + i / 1000);
	dht_pool_get_stats(p, &st);
	CU_ASSERT(st.verified[0] <= st.capacity[0]);
	CU_ASSERT(st.verified[0] > st.capacity[0] * 9 / 10);
	CU_ASSERT(st.evicted[0] > 0);
	/* a flood of unverified notes cannot push out verified nodes */
	size_t before = st.verified[0];
	for (uint32_t i = 0; i < 2 * st.capacity[0]; i++) {
		struct dht_id id;
		struct dht_addr a = loop4(0x800000 + i);
		rand_id(&id);
		dht_pool_note(p, &id, &a, DHT_POOL_FROM_QUERY, 5000);
	}
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.verified[0], before);
	CU_ASSERT(st.verified[0] + st.unverified[0] <= st.capacity[0]);
	CU_ASSERT(st.full[0] > 0);
	dht_pool_free(p);

	/* one bucket of 16: unverified first, then the verified seen longest ago */
	p = mk(700, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL_FATAL(st.capacity[0], 16);
	struct dht_id ids[17];
	for (uint32_t i = 0; i < 16; i++) {
		rand_id(&ids[i]);
		struct dht_addr a = loop4(i);
		CU_ASSERT_EQUAL(dht_pool_note(p, &ids[i], &a, DHT_POOL_FROM_REPLY, 10 + i),
		    DHT_POOL_ADDED);
	}
	rand_id(&ids[16]);
	struct dht_addr a16 = loop4(16);
	CU_ASSERT_EQUAL(dht_pool_note(p, &ids[16], &a16, DHT_POOL_FROM_REPLY, 50), DHT_POOL_ADDED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &ids[16], &a16, 51), DHT_POOL_ADDED);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.verified[0], 1);
	CU_ASSERT_EQUAL(st.unverified[0], 15);
	/* confirm 15 more: they replace the unverified ones */
	for (uint32_t i = 0; i < 15; i++)
		CU_ASSERT_EQUAL(add_rand(p, 100 + i, true, 60 + i), DHT_POOL_ADDED);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.verified[0], 16);
	CU_ASSERT_EQUAL(st.unverified[0], 0);
	struct dht_id nid;
	struct dht_addr na = loop4(200);
	rand_id(&nid);
	CU_ASSERT_EQUAL(dht_pool_note(p, &nid, &na, DHT_POOL_FROM_QUERY, 80), DHT_POOL_FULL);
	/* a new verified node evicts ids[16], seen at 51, the oldest */
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &nid, &na, 80), DHT_POOL_ADDED);
	uint8_t out[16 * 26];
	size_t n = dht_pool_closest(p, AF_INET, &ids[16], 16, NULL, out);
	CU_ASSERT_EQUAL(n, 16);
	CU_ASSERT_FALSE(has_node(out, n, &ids[16]));
	CU_ASSERT_TRUE(has_node(out, n, &nid));
	dht_pool_free(p);
}

struct ref {
	struct dht_id id;
	struct dht_addr a;
	bool is_verified;
};

static const struct dht_id *sort_target;

static int by_dist(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	for (size_t i = 0; i < 20; i++) {
		int da = a->id.b[i] ^ sort_target->b[i], db = b->id.b[i] ^ sort_target->b[i];
		if (da != db)
			return da - db;
	}
	return 0;
}

static void check_closest(struct dht_pool *p, struct ref *refs, size_t nref)
{
	struct ref *v = malloc(nref * sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < nref; i++)
		if (refs[i].is_verified)
			v[nv++] = refs[i];
	for (int t = 0; t < 300; t++) {
		struct dht_id target;
		rand_id(&target);
		if (t % 3 == 0 && nv) /* also targets that are pool ids */
			target = v[dht_pool_rand(&rng) % nv].id;
		sort_target = &target;
		qsort(v, nv, sizeof(*v), by_dist);
		size_t want = 1 + (size_t)t % DHT_POOL_MAX_REPLY;
		uint8_t out[DHT_POOL_MAX_REPLY * 26];
		size_t n = dht_pool_closest(p, AF_INET, &target, want, NULL, out);
		CU_ASSERT_EQUAL(n, want < nv ? want : nv);
		for (size_t i = 0; i < n; i++) {
			CU_ASSERT_EQUAL(memcmp(out + i * 26, v[i].id.b, 20), 0);
			uint8_t c[6];
			dht_addr_put_compact(&v[i].a, c);
			CU_ASSERT_EQUAL(memcmp(out + i * 26 + 20, c, 6), 0);
		}
		/* excluding the closest one shifts the answer by one */
		if (nv > want) {
			n = dht_pool_closest(p, AF_INET, &target, want, &v[0].a, out);
			CU_ASSERT_EQUAL(n, want);
			CU_ASSERT_EQUAL(memcmp(out, v[1].id.b, 20), 0);
		}
	}
	free(v);
}

static void test_closest_naive(void)
{
	/* a pool with room to spare, a sparse one, and one of a single node */
	size_t sizes[] = { 3000, 40, 1 };
	for (size_t s = 0; s < 3; s++) {
		struct dht_pool *p = mk(1 << 20, false);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		size_t nref = sizes[s];
		struct ref *refs = calloc(nref, sizeof(*refs));
		for (size_t i = 0; i < nref; i++) {
			rand_id(&refs[i].id);
			refs[i].a = loop4((uint32_t)i + 1);
			refs[i].is_verified = i % 4 != 3 || nref == 1;
			enum dht_pool_result r = refs[i].is_verified ?
			    dht_pool_confirm(p, &refs[i].id, &refs[i].a, 7) :
			    dht_pool_note(p, &refs[i].id, &refs[i].a, DHT_POOL_FROM_QUERY, 7);
			CU_ASSERT_EQUAL(r, DHT_POOL_ADDED);
		}
		check_closest(p, refs, nref);
		/* nothing of the other family */
		uint8_t out6[DHT_POOL_MAX_REPLY * 38];
		CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET6, &refs[0].id, 8, NULL, out6), 0);
		free(refs);
		dht_pool_free(p);
	}
}

static void test_sample(void)
{
	struct dht_pool *p = mk(1 << 18, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	enum { N = 60 };
	struct ref refs[N];
	for (size_t i = 0; i < N; i++) {
		rand_id(&refs[i].id);
		refs[i].a = loop4((uint32_t)i + 1);
		refs[i].is_verified = i < N / 2;
		if (refs[i].is_verified)
			dht_pool_confirm(p, &refs[i].id, &refs[i].a, 3);
		else
			dht_pool_note(p, &refs[i].id, &refs[i].a, DHT_POOL_FROM_REPLY, 3);
	}
	int seen[N] = { 0 };
	for (int round = 0; round < 400; round++) {
		uint8_t out[DHT_POOL_MAX_REPLY * 26];
		memcpy(out, refs[0].id.b, 20); /* one already in the answer */
		dht_addr_put_compact(&refs[0].a, out + 20);
		size_t n = dht_pool_sample(p, AF_INET, 1, 8, &refs[1].a, &rng, out);
		CU_ASSERT_EQUAL(n, 9);
		for (size_t i = 1; i < n; i++) {
			for (size_t j = 0; j < i; j++)
				CU_ASSERT_NOT_EQUAL(memcmp(out + i * 26, out + j * 26, 26), 0);
			for (size_t k = 0; k < N; k++)
				if (memcmp(out + i * 26, refs[k].id.b, 20) == 0)
					seen[k]++;
		}
	}
	for (size_t k = 0; k < N; k++) {
		/* present, excluded or unverified: never; any other verified: often */
		bool is_out = k < 2 || !refs[k].is_verified;
		CU_ASSERT(is_out ? seen[k] == 0 : seen[k] > 20);
	}
	/* an empty family gives nothing */
	uint8_t out6[DHT_POOL_MAX_REPLY * 38];
	CU_ASSERT_EQUAL(dht_pool_sample(p, AF_INET6, 0, 8, NULL, &rng, out6), 0);
	dht_pool_free(p);

	/* a dense pool (more nodes than buckets) samples by random bucket */
	p = mk(1 << 14, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct ref dense[200];
	int hits[200] = { 0 };
	for (size_t i = 0; i < 200; i++) {
		rand_id(&dense[i].id);
		dense[i].a = loop4((uint32_t)i + 1);
		dht_pool_confirm(p, &dense[i].id, &dense[i].a, 3);
	}
	struct dht_pool_stats st;
	dht_pool_get_stats(p, &st);
	CU_ASSERT(st.verified[0] >= 16 * 4);
	for (int round = 0; round < 2000; round++) {
		uint8_t out[8 * 26];
		size_t n = dht_pool_sample(p, AF_INET, 0, 8, NULL, &rng, out);
		CU_ASSERT_EQUAL(n, 8);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < i; j++)
				CU_ASSERT_NOT_EQUAL(memcmp(out + i * 26, out + j * 26, 26), 0);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < 200; k++)
				if (memcmp(out + i * 26, dense[k].id.b, 20) == 0)
					hits[k]++;
	}
	/* every node still in the pool comes out (a full bucket may have
	 * dropped a few of the 200) */
	size_t present = 0;
	for (size_t k = 0; k < 200; k++)
		present += hits[k] > 0;
	CU_ASSERT_EQUAL(present, st.verified[0]);
	dht_pool_free(p);
}

static void test_refusals(void)
{
	struct dht_pool *p = mk(1 << 16, true);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct dht_addr pub = pub4(124, 31, 75, 21);
	struct dht_id bad, good;
	uint8_t rnd[20];
	memset(rnd, 0x5a, sizeof(rnd));
	rand_id(&bad);
	bad.b[0] ^= 0xff; /* cannot match 124.31.75.21's CRC prefix 5f bf */
	bep42_make_id(&pub, rnd, &good);
	CU_ASSERT_EQUAL(dht_pool_note(p, &bad, &pub, DHT_POOL_FROM_QUERY, 1), DHT_POOL_REFUSED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &bad, &pub, 1), DHT_POOL_REFUSED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &good, &pub, 1), DHT_POOL_ADDED);
	/* local addresses are exempt, martians never get in */
	struct dht_addr lan = pub4(192, 168, 1, 9), mart = pub4(0, 1, 2, 3), mc = pub4(224, 0, 0, 1);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &bad, &lan, 1), DHT_POOL_ADDED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &good, &mart, 1), DHT_POOL_REFUSED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &good, &mc, 1), DHT_POOL_REFUSED);
	struct dht_pool_stats st;
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.refused_bep42, 2);
	CU_ASSERT_EQUAL(st.verified[0], 2);
	/* one entry per IP: the same public IP with another id does not get a
	 * second slot of its bucket from a mere note */
	struct dht_id other = good;
	other.b[19] ^= 0x10; /* same r, still valid, same bucket */
	struct dht_addr pub2 = pub;
	pub2.port = 7000;
	CU_ASSERT_EQUAL(dht_pool_note(p, &other, &pub2, DHT_POOL_FROM_QUERY, 2), DHT_POOL_KNOWN);
	/* an ro node is removed by the caller and no longer handed out */
	uint8_t out[16 * 26];
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &good, 16, NULL, out), 2);
	CU_ASSERT_TRUE(dht_pool_remove(p, &good, &pub));
	CU_ASSERT_FALSE(dht_pool_remove(p, &good, &pub));
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &good, 16, NULL, out), 1);
	CU_ASSERT_FALSE(has_node(out, 1, &good));
	dht_pool_free(p);
}

/* A node that answers from a new address moves there, and an entry of the
 * bucket that held that address goes: one entry per source (found by
 * fuzzing the loader: save and reload must keep the same nodes). */
static void test_move(void)
{
	struct dht_pool *p = mk(700, false); /* one bucket */
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct dht_id a, d;
	struct dht_addr x = loop4(1), y = loop4(2);
	rand_id(&a);
	rand_id(&d);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &a, &x, 10), DHT_POOL_ADDED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &d, &y, 10), DHT_POOL_ADDED);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &a, &y, 11), DHT_POOL_KNOWN);
	/* a query from a verified node at its address is recognised as such */
	CU_ASSERT_EQUAL(dht_pool_note(p, &a, &y, DHT_POOL_FROM_QUERY, 12), DHT_POOL_KNOWN_VERIFIED);
	CU_ASSERT_EQUAL(dht_pool_note(p, &a, &x, DHT_POOL_FROM_QUERY, 12), DHT_POOL_KNOWN);
	struct dht_pool_stats st;
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.verified[0], 1);
	uint8_t out[2 * 26], c[6];
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &d, 2, NULL, out), 1);
	dht_addr_put_compact(&y, c);
	CU_ASSERT_EQUAL(memcmp(out, a.b, 20), 0);
	CU_ASSERT_EQUAL(memcmp(out + 20, c, 6), 0);
	dht_pool_free(p);
}

static void test_schedule(void)
{
	struct dht_pool *p = mk(1 << 14, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct dht_pool_stats st;
	dht_pool_get_stats(p, &st);
	size_t all = st.capacity[0];
	struct dht_pool_ping due[8];
	struct dht_id q, r;
	struct dht_addr qa = loop4(1), ra = loop4(2);
	rand_id(&q);
	rand_id(&r);
	dht_pool_note(p, &q, &qa, DHT_POOL_FROM_QUERY, 100);
	dht_pool_note(p, &r, &ra, DHT_POOL_FROM_REPLY, 100);
	/* the reply-learned node is pinged at once, the querier after 10 s */
	size_t n = dht_pool_due(p, AF_INET, 105, all, due, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(dht_addr_eq(&due[0].addr, &ra));
	CU_ASSERT_EQUAL(memcmp(due[0].id.b, r.b, 20), 0);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 106, all, due, 8), 0); /* pending */
	n = dht_pool_due(p, AF_INET, 110, all, due, 8);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_TRUE(dht_addr_eq(&due[0].addr, &qa));
	/* not handed out before the answer */
	uint8_t out[8 * 26];
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &q, 8, NULL, out), 0);
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &q, &qa, 111), DHT_POOL_ADDED);
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &q, 8, NULL, out), 1);
	/* r never answers: dropped 20 s after its ping */
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 124, all, due, 8), 0);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.unverified[0], 1);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 125, all, due, 8), 0);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.unverified[0], 0);
	CU_ASSERT_EQUAL(st.expired[0], 1);
	/* q is refreshed after 100 s; answering keeps it, silence drops it */
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 200, all, due, 8), 0);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 211, all, due, 8), 1);
	CU_ASSERT_EQUAL(dht_pool_closest(p, AF_INET, &q, 8, NULL, out), 1); /* still served */
	CU_ASSERT_EQUAL(dht_pool_confirm(p, &q, &qa, 215), DHT_POOL_KNOWN);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 240, all, due, 8), 0);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 315, all, due, 8), 1);
	CU_ASSERT_EQUAL(dht_pool_due(p, AF_INET, 335, all, due, 8), 0);
	dht_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.verified[0], 0);
	CU_ASSERT_EQUAL(st.expired[0], 2);
	/* max_scan bounds the work of one call */
	for (uint32_t i = 0; i < 50; i++)
		add_rand(p, 10 + i, false, 400);
	size_t got = 0;
	for (int calls = 0; calls < 100 && got < 50; calls++)
		got += dht_pool_due(p, AF_INET, 400, all / 16, due, 8);
	CU_ASSERT_EQUAL(got, 50);
	dht_pool_free(p);
}

struct membuf {
	uint8_t *p;
	size_t len, cap, pos;
};

static int mem_write(void *ud, const void *buf, size_t len)
{
	struct membuf *m = ud;
	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static int mem_read(void *ud, void *buf, size_t len)
{
	struct membuf *m = ud;
	if (len > m->len - m->pos)
		return -1;
	memcpy(buf, m->p + m->pos, len);
	m->pos += len;
	return 0;
}

static void test_save_load(void)
{
	struct dht_pool *p = mk(1 << 20, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	enum { N = 2500 };
	struct ref *refs = calloc(N, sizeof(*refs));
	size_t nv = 0;
	for (size_t i = 0; i < N; i++) {
		rand_id(&refs[i].id);
		if (i % 5 == 0) {
			refs[i].a.family = AF_INET6;
			refs[i].a.ip[0] = 0xfd;
			memcpy(refs[i].a.ip + 8, &i, sizeof(i));
			refs[i].a.port = 6881;
		} else {
			refs[i].a = loop4((uint32_t)i + 1);
		}
		refs[i].is_verified = i % 7 != 0;
		if (refs[i].is_verified) {
			CU_ASSERT_EQUAL(dht_pool_confirm(p, &refs[i].id, &refs[i].a, 1000), DHT_POOL_ADDED);
			nv++;
		} else {
			dht_pool_note(p, &refs[i].id, &refs[i].a, DHT_POOL_FROM_QUERY, 1000);
		}
	}
	struct membuf m = { 0 };
	CU_ASSERT_EQUAL(dht_pool_save(p, 1030, mem_write, &m), 0);
	struct dht_pool_stats a, b;
	dht_pool_get_stats(p, &a);
	CU_ASSERT_EQUAL(a.verified[0] + a.verified[1], nv);
	CU_ASSERT(a.verified[1] > 0);

	struct dht_pool *q = mk(1 << 20, false);
	size_t loaded = 0;
	CU_ASSERT_EQUAL(dht_pool_load(q, 50, mem_read, &m, &loaded), 0);
	CU_ASSERT_EQUAL(loaded, nv);
	dht_pool_get_stats(q, &b);
	CU_ASSERT_EQUAL(b.verified[0], a.verified[0]);
	CU_ASSERT_EQUAL(b.verified[1], a.verified[1]);
	CU_ASSERT_EQUAL(b.unverified[0] + b.unverified[1], 0);
	/* the same answers from both pools */
	for (int t = 0; t < 50; t++) {
		struct dht_id target;
		rand_id(&target);
		for (int af = 0; af < 2; af++) {
			uint8_t o1[8 * 38], o2[8 * 38];
			int fam = af ? AF_INET6 : AF_INET;
			size_t n1 = dht_pool_closest(p, fam, &target, 8, NULL, o1);
			size_t n2 = dht_pool_closest(q, fam, &target, 8, NULL, o2);
			CU_ASSERT_EQUAL(n1, 8);
			CU_ASSERT_EQUAL(n1, n2);
			CU_ASSERT_EQUAL(memcmp(o1, o2, n1 * (af ? 38 : 26)), 0);
		}
	}
	/* ages survive: a node seen 30 s before the save is refreshed on time */
	struct dht_pool_ping due[16];
	CU_ASSERT_EQUAL(dht_pool_due(q, AF_INET, 50 + 100 - 30 - 1, b.capacity[0], due, 16), 0);
	CU_ASSERT(dht_pool_due(q, AF_INET, 50 + 100 - 30, b.capacity[0], due, 16) > 0);
	dht_pool_free(q);

	/* broken files: bad magic, truncation, bad family, zero count */
	size_t cut[] = { 3, 9, m.len / 2, m.len - 1 };
	for (size_t i = 0; i < 4; i++) {
		struct membuf t = { .p = m.p, .len = cut[i] };
		q = mk(1 << 16, false);
		CU_ASSERT_EQUAL(dht_pool_load(q, 50, mem_read, &t, NULL), -1);
		dht_pool_free(q);
	}
	uint8_t bad[][12] = {
		{ 'T', 'L', 'N', 'Q', 1, 0 },
		{ 'T', 'L', 'N', 'P', 1, 5, 0, 1 },
		{ 'T', 'L', 'N', 'P', 1, 4, 0, 0, 0 },
		{ 'T', 'L', 'N', 'P', 1, 4, 0x04, 0x01 },
	};
	for (size_t i = 0; i < 4; i++) {
		struct membuf t = { .p = bad[i], .len = sizeof(bad[i]) };
		q = mk(1 << 16, false);
		CU_ASSERT_EQUAL(dht_pool_load(q, 50, mem_read, &t, NULL), -1);
		dht_pool_free(q);
	}
	uint8_t empty[] = { 'T', 'L', 'N', 'P', 1, 0 };
	struct membuf t = { .p = empty, .len = sizeof(empty) };
	q = mk(1 << 16, false);
	CU_ASSERT_EQUAL(dht_pool_load(q, 50, mem_read, &t, &loaded), 0);
	CU_ASSERT_EQUAL(loaded, 0);
	dht_pool_free(q);
	free(m.p);
	free(refs);
	dht_pool_free(p);
}

static void test_cookie(void)
{
	struct dht_cookie c;
	uint8_t key[DHT_COOKIE_KEY_LEN] = "0123456789abcde";
	dht_cookie_init(&c, key);
	struct dht_addr a = pub4(1, 2, 3, 4), b = a;
	b.port++;
	uint8_t tid[DHT_COOKIE_LEN], tid2[DHT_COOKIE_LEN];
	uint32_t t0 = 10 * DHT_COOKIE_SLICE_S + 3;
	dht_cookie_make(&c, &a, t0, tid);
	CU_ASSERT_TRUE(dht_cookie_check(&c, &a, t0, tid, sizeof(tid)));
	CU_ASSERT_FALSE(dht_cookie_check(&c, &b, t0, tid, sizeof(tid)));
	CU_ASSERT_FALSE(dht_cookie_check(&c, &a, t0, tid, sizeof(tid) - 1));
	/* valid through the next slice, expired after it */
	CU_ASSERT_TRUE(dht_cookie_check(&c, &a, t0 + DHT_COOKIE_SLICE_S, tid, sizeof(tid)));
	CU_ASSERT_FALSE(dht_cookie_check(&c, &a, t0 + 2 * DHT_COOKIE_SLICE_S, tid, sizeof(tid)));
	/* not valid before it was made, different per slice and per key */
	CU_ASSERT_FALSE(dht_cookie_check(&c, &a, t0 - DHT_COOKIE_SLICE_S, tid, sizeof(tid)));
	dht_cookie_make(&c, &a, t0 + DHT_COOKIE_SLICE_S, tid2);
	CU_ASSERT_NOT_EQUAL(memcmp(tid, tid2, sizeof(tid)), 0);
	key[0] ^= 1;
	struct dht_cookie c2;
	dht_cookie_init(&c2, key);
	CU_ASSERT_FALSE(dht_cookie_check(&c2, &a, t0, tid, sizeof(tid)));
	/* IPv6 endpoints too, and slice 0 has no previous slice */
	struct dht_addr v6 = { .family = AF_INET6, .ip = { 0x20, 0x01, 0xd, 0xb8, [15] = 1 }, .port = 1 };
	dht_cookie_make(&c, &v6, 0, tid);
	CU_ASSERT_TRUE(dht_cookie_check(&c, &v6, 1, tid, sizeof(tid)));
	v6.ip[15] = 2;
	CU_ASSERT_FALSE(dht_cookie_check(&c, &v6, 1, tid, sizeof(tid)));
}

int main(void)
{
	rng = tl_test_seed() | 1;
	CU_TestInfo tests[] = {
		TL_TEST(test_bound_and_eviction),
		TL_TEST(test_closest_naive),
		TL_TEST(test_sample),
		TL_TEST(test_refusals),
		TL_TEST(test_move),
		TL_TEST(test_schedule),
		TL_TEST(test_save_load),
		TL_TEST(test_cookie),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("pool", tests);
}
