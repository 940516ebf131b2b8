/* test_limiter.c: token-bucket arithmetic (burst, sustain, idle refill,
 * ban), IPv6 /64 grouping, a spoofed flood that must not flush active
 * sources, and the blacklist window. */
#include "cutest.h"

#include "dht/limiter.h"

static const uint8_t key[16] = "limiter-test-key";

static struct dht_addr p4(uint32_t ip)
{
	struct dht_addr a = { .family = AF_INET, .port = 1 };
	a.ip[0] = (uint8_t)(ip >> 24), a.ip[1] = (uint8_t)(ip >> 16);
	a.ip[2] = (uint8_t)(ip >> 8), a.ip[3] = (uint8_t)ip;
	return a;
}

static void test_bucket(void)
{
	struct dht_limiter l;
	CU_ASSERT_EQUAL_FATAL(limiter_init(&l, key, 0), 0);
	struct dht_addr a = p4(0x01020304);
	int allowed = 0;
	for (int i = 0; i < 150; i++)
		allowed += limiter_check(&l, &a, 0) == LIM_ALLOW;
	CU_ASSERT_EQUAL(allowed, LIM_BURST);
	/* One second refills LIM_RATE queries. */
	allowed = 0;
	for (int i = 0; i < 40; i++)
		allowed += limiter_check(&l, &a, 1000) == LIM_ALLOW;
	CU_ASSERT_EQUAL(allowed, LIM_RATE);
	/* Hammering on: banned, and still banned later even with tokens. */
	enum lim_verdict v = LIM_ALLOW;
	for (int i = 0; i < 2 * LIM_BURST && v != LIM_BANNED; i++)
		v = limiter_check(&l, &a, 1000);
	CU_ASSERT_EQUAL(v, LIM_BANNED);
	CU_ASSERT_EQUAL(limiter_check(&l, &a, 60000), LIM_BANNED);
	CU_ASSERT_EQUAL(limiter_check(&l, &a, 1000 + LIM_BAN_MS + 1), LIM_ALLOW);
	/* Another source is unaffected; an IPv6 /64 is one source. */
	struct dht_addr b = p4(0x01020305);
	CU_ASSERT_EQUAL(limiter_check(&l, &b, 1000), LIM_ALLOW);
	struct dht_addr v6 = { .family = AF_INET6, .ip = { 0x20, 1, 2, 3, 4, 5, 6, 7 }, .port = 1 };
	allowed = 0;
	for (int i = 0; i < 150; i++) {
		v6.ip[15] = (uint8_t)i;
		allowed += limiter_check(&l, &v6, 5000) == LIM_ALLOW;
	}
	CU_ASSERT_EQUAL(allowed, LIM_BURST);
	/* A sustained source at the rate limit is never refused. */
	struct dht_addr c = p4(0x0a0a0a0a);
	int refused = 0;
	for (int64_t t = 10000; t < 70000; t += 1000 / LIM_RATE)
		refused += limiter_check(&l, &c, t) != LIM_ALLOW;
	CU_ASSERT_EQUAL(refused, 0);
	limiter_clear(&l);
}

static void test_spoof_flood(void)
{
	struct dht_limiter l;
	CU_ASSERT_EQUAL_FATAL(limiter_init(&l, key, 0), 0);
	/* 1000 active sources, each with some standing. */
	for (int r = 0; r < 5; r++)
		for (uint32_t i = 0; i < 1000; i++)
			limiter_check(&l, &(struct dht_addr){ .family = AF_INET,
			    .ip = { 50, (uint8_t)(i >> 8), (uint8_t)i, 1 }, .port = 1 }, r * 100);
	/* Drain one of them so that it is rate limited. */
	struct dht_addr heavy = p4(0x32000001);
	for (int i = 0; i < LIM_BURST; i++)
		limiter_check(&l, &heavy, 500);
	CU_ASSERT_EQUAL(limiter_check(&l, &heavy, 500), LIM_RATE_LIMITED);
	/* A flood of a million spoofed one-packet sources. */
	uint64_t r = tl_test_seed() | 1;
	for (int i = 0; i < 1000000; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		limiter_check(&l, &(struct dht_addr){ .family = AF_INET,
		    .ip = { (uint8_t)(r >> 8), (uint8_t)(r >> 16), (uint8_t)(r >> 24), (uint8_t)(r >> 32) },
		    .port = 1 }, 500);
	}
	/* The heavy source was not forgotten (no fresh burst for it). */
	CU_ASSERT_EQUAL(limiter_check(&l, &heavy, 500), LIM_RATE_LIMITED);
	limiter_clear(&l);
}

static void test_blacklist(void)
{
	struct dht_limiter l;
	CU_ASSERT_EQUAL_FATAL(limiter_init(&l, key, 0), 0);
	struct dht_addr a = p4(0x01020304), b = p4(0x01020305);
	limiter_blacklist(&l, &a, 100);
	CU_ASSERT_TRUE(limiter_is_blacklisted(&l, &a, 100));
	a.port = 999; /* by IP */
	CU_ASSERT_TRUE(limiter_is_blacklisted(&l, &a, 100 + LIM_BLACKLIST_MS - 1));
	CU_ASSERT_FALSE(limiter_is_blacklisted(&l, &a, 100 + LIM_BLACKLIST_MS));
	CU_ASSERT_FALSE(limiter_is_blacklisted(&l, &b, 100));
	for (uint32_t i = 0; i < LIM_BLACKLIST; i++)
		limiter_blacklist(&l, &(struct dht_addr){ .family = AF_INET, .ip = { 9, 9, 9, (uint8_t)i },
		    .port = 1 }, 200);
	CU_ASSERT_FALSE(limiter_is_blacklisted(&l, &a, 200)); /* oldest replaced */
	limiter_clear(&l);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_bucket),
		TL_TEST(test_spoof_flood),
		TL_TEST(test_blacklist),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("limiter", tests);
}
