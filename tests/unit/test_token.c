/* test_token.c: write tokens are bound to IP and target, survive one
 * rotation, die after two, and ignore the port. */
#include "cutest.h"

#include "dht/token.h"

static void test_tokens(void)
{
	struct dht_tokens t;
	uint8_t k1[16], k2[16], k3[16], tok[DHT_TOKEN_LEN], other[DHT_TOKEN_LEN];
	memset(k1, 1, 16), memset(k2, 2, 16), memset(k3, 3, 16);
	struct dht_addr a = { .family = AF_INET, .ip = { 1, 2, 3, 4 }, .port = 1000 };
	struct dht_addr b = { .family = AF_INET, .ip = { 1, 2, 3, 5 }, .port = 1000 };
	struct dht_addr a6 = { .family = AF_INET6, .ip = { 1, 2, 3, 4 }, .port = 1000 };
	struct dht_id ih1, ih2;
	memset(ih1.b, 0xaa, 20), memset(ih2.b, 0xab, 20);

	dht_tokens_init(&t, k1, 1000);
	dht_token_make(&t, &a, &ih1, tok);
	CU_ASSERT_TRUE(dht_token_check(&t, &a, &ih1, tok, sizeof(tok)));
	a.port = 2000; /* NAT remap or implied_port: still valid */
	CU_ASSERT_TRUE(dht_token_check(&t, &a, &ih1, tok, sizeof(tok)));
	CU_ASSERT_FALSE(dht_token_check(&t, &b, &ih1, tok, sizeof(tok)));
	CU_ASSERT_FALSE(dht_token_check(&t, &a6, &ih1, tok, sizeof(tok)));
	CU_ASSERT_FALSE(dht_token_check(&t, &a, &ih2, tok, sizeof(tok)));
	CU_ASSERT_FALSE(dht_token_check(&t, &a, &ih1, tok, 4));
	dht_token_make(&t, &b, &ih1, other);
	CU_ASSERT_NOT_EQUAL(memcmp(tok, other, sizeof(tok)), 0);

	CU_ASSERT_FALSE(dht_tokens_rotate_due(&t, 1000 + DHT_TOKEN_ROTATE_MS - 1));
	CU_ASSERT_TRUE(dht_tokens_rotate_due(&t, 1000 + DHT_TOKEN_ROTATE_MS));
	dht_tokens_rotate(&t, k2, 1000 + DHT_TOKEN_ROTATE_MS);
	CU_ASSERT_TRUE(dht_token_check(&t, &a, &ih1, tok, sizeof(tok)));
	dht_token_make(&t, &a, &ih1, other);
	CU_ASSERT_NOT_EQUAL(memcmp(tok, other, sizeof(tok)), 0);
	dht_tokens_rotate(&t, k3, 1000 + 2 * DHT_TOKEN_ROTATE_MS);
	CU_ASSERT_FALSE(dht_token_check(&t, &a, &ih1, tok, sizeof(tok)));
	CU_ASSERT_TRUE(dht_token_check(&t, &a, &ih1, other, sizeof(other)));
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_tokens),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("token", tests);
}
