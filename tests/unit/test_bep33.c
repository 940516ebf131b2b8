/* test_bep33.c: BEP 33 bloom filters: the BEP's vector, the IPv4-only
 * and single-address vectors of notes/dht.md 3.3, empty and full edge
 * cases, union, and filters built from the peer store (seed flag). */
#include "cutest.h"

#include <math.h>

#include "dht/bep33.h"
#include "base/digest.h"

/* BEP 33: 192.0.2.0-255 and 2001:db8::0-3e7 give this filter, 1224.93. */
static const char *const BEP_HEX =
    "f6c3f5eaa07ffd91bde89f777f26fb2bff37bdb8fb2bbaa2fd3ddde7bacfff75ee7ccbaefe5eedb1fbfaff67"
    "f6abff5e43ddbca3fd9b9ffdf4ffd3e9dff12d1bdf59db53dbe9fa5b7ff3b8fdfcde1afb8bedd7be2f3ee71e"
    "bbbfe93bcdeefe148246c2bc5dbff7e7efdcf24fd8dc7adffd8fffdfddfff7a4bbeedf5cb95ce81fc7fcff1f"
    "f4ffffdfe5f7fdcbb7fd79b3fa1fc77bfe07fff905b7b7ffc7fefeffe0b8370bb0cd3f5b7f2bd93feb4386cf"
    "dd6f7fd5bfaf2e9ebffffeecd67adbf7c67f17efd5d75eba6ffeba7fff47a91eb1bfbb53e8abfb5762abe8ff"
    "237279bfefbfeef5ffc5febfdfe5adffadfee1fb737ffffbfd9f6aeffeee76b6fd8f72ef";
/* The IPv4 half alone: 257.8546. */
static const char *const V4_HEX =
    "24c0004020043000102012743e00480037110820422110008000c0e302854835a05401a4045021302a306c06"
    "0001881002d8a0a3a8001901b40a800900310008d2108110c2496a0028700010d804188b0141520008200408"
    "8026411104a804048002002000080680828c400080cc40020c042c0494447280928041402104080d4240040414"
    "a41f0205654800b0811830d2020042b002c5800004a71d0204804a0028120a004c10017801490b8340040441"
    "06005421000c86900a0020500203510060144e900100924a1018141a028012913f00418022500422804812000"
    "02004430804210101c08111c10801001080002038008211004266848606b035001048";

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

static void add_v4_range(uint8_t *bf)
{
	for (int i = 0; i < 256; i++) {
		uint8_t ip[4] = { 192, 0, 2, (uint8_t)i };
		bep33_bloom_add_ip(bf, sha1_hook, NULL, ip, 4);
	}
}

static void test_bep_vector(void)
{
	uint8_t bf[BEP33_BLOOM_BYTES] = { 0 }, want[BEP33_BLOOM_BYTES];
	add_v4_range(bf);
	CU_ASSERT_EQUAL_FATAL(tl_unhex(V4_HEX, strlen(V4_HEX), want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(memcmp(bf, want, sizeof(bf)), 0);
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_estimate(bf), 257.8546, 1e-3);
	for (int i = 0; i < 1000; i++) {
		uint8_t ip[16] = { 0x20, 0x01, 0x0d, 0xb8 };
		ip[14] = (uint8_t)(i >> 8);
		ip[15] = (uint8_t)i;
		bep33_bloom_add_ip(bf, sha1_hook, NULL, ip, 16);
	}
	CU_ASSERT_EQUAL_FATAL(tl_unhex(BEP_HEX, strlen(BEP_HEX), want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(memcmp(bf, want, sizeof(bf)), 0);
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_estimate(bf), 1224.9309, 1e-3);
}

static void test_single_and_edges(void)
{
	uint8_t bf[BEP33_BLOOM_BYTES] = { 0 };
	uint8_t ip[4] = { 192, 168, 1, 1 };
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_estimate(bf), 0.5, 1e-3); /* empty: the clamp */
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_count(bf), 0, 1e-9);       /* reported as nobody */
	bep33_bloom_add_ip(bf, sha1_hook, NULL, ip, 4);
	for (size_t i = 0; i < sizeof(bf); i++)
		CU_ASSERT_EQUAL(bf[i], i == 213 || i == 228 ? 0x80 : 0);
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_estimate(bf), 1.0002, 1e-3);
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_count(bf), 1.0002, 1e-3);
	memset(bf, 0xff, sizeof(bf)); /* full: c clamped to 1, finite */
	double full = bep33_bloom_estimate(bf);
	CU_ASSERT_TRUE(isfinite(full));
	CU_ASSERT_DOUBLE_EQUAL(full, 7805.7, 0.1);
	bf[0] = 0xfe; /* one zero bit reads the same */
	CU_ASSERT_DOUBLE_EQUAL(bep33_bloom_estimate(bf), full, 1e-9);
}

static void test_union_estimates(void)
{
	/* two nodes that saw overlapping halves of 1000 addresses: the
	 * union estimates the distinct count within a few percent */
	uint8_t a[BEP33_BLOOM_BYTES] = { 0 }, b[BEP33_BLOOM_BYTES] = { 0 };
	for (uint32_t i = 0; i < 1000; i++) {
		uint8_t ip[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		if (i < 600)
			bep33_bloom_add_ip(a, sha1_hook, NULL, ip, 4);
		if (i >= 400)
			bep33_bloom_add_ip(b, sha1_hook, NULL, ip, 4);
	}
	double ea = bep33_bloom_estimate(a);
	bep33_bloom_union(a, b);
	double e = bep33_bloom_estimate(a);
	CU_ASSERT_TRUE(ea > 540 && ea < 660);
	CU_ASSERT_TRUE(e > 950 && e < 1050);
}

static void test_build_from_store(void)
{
	struct dht_store s;
	uint8_t key[STORE_KEY_LEN] = { 1 };
	uint8_t sd[BEP33_BLOOM_BYTES], pe[BEP33_BLOOM_BYTES], w[BEP33_BLOOM_BYTES] = { 0 };
	struct dht_id ih = { { 7 } }, other = { { 8 } };
	store_init(&s, 100, 2000, key, 0);
	CU_ASSERT_FALSE(bep33_build(&s, &ih, 0, sha1_hook, NULL, sd, pe));
	for (int i = 0; i < 256; i++) {
		struct dht_addr p = { .family = AF_INET, .ip = { 192, 0, 2, (uint8_t)i }, .port = 1 };
		CU_ASSERT_EQUAL(store_announce(&s, &ih, &p, i % 4 == 0, 1000), DHT_OK);
	}
	CU_ASSERT_TRUE(bep33_build(&s, &ih, 1000, sha1_hook, NULL, sd, pe));
	CU_ASSERT_FALSE(bep33_build(&s, &other, 1000, sha1_hook, NULL, sd, pe));
	double es = bep33_bloom_estimate(sd), ep = bep33_bloom_estimate(pe);
	CU_ASSERT_TRUE(es > 54 && es < 74);    /* 64 seeds */
	CU_ASSERT_TRUE(ep > 172 && ep < 212);  /* 192 others */
	bep33_bloom_union(sd, pe);
	add_v4_range(w);
	CU_ASSERT_EQUAL(memcmp(sd, w, sizeof(w)), 0); /* together: the vector */
	/* expired peers are left out */
	CU_ASSERT_FALSE(bep33_build(&s, &ih, 1000 + STORE_EXPIRE_MS, sha1_hook, NULL, sd, pe));
	store_clear(&s);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_bep_vector),
		TL_TEST(test_single_and_edges),
		TL_TEST(test_union_estimates),
		TL_TEST(test_build_from_store),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("bep33", tests);
}
