/* test_store.c: peer storage: uniqueness per IP, caps, expiry, noseed,
 * sampling, and a property test of the hash index against a naive model
 * through inserts and expiries. */
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

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_basic),
		TL_TEST(test_sample_uniform),
		TL_TEST(test_index_property),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("store", tests);
}
