/* test_bep42.c: CRC32C, the BEP 42 vectors (tests/vectors/dht/bep42.txt),
 * the derived IPv6 CRCs, id generation round trip, and the external-IP
 * vote. */
#include "cutest.h"

#include <arpa/inet.h>

#include "dht/bep42.h"

static struct dht_addr v4(const char *s)
{
	struct dht_addr a = { .family = AF_INET, .port = 6881 };
	CU_ASSERT_EQUAL(inet_pton(AF_INET, s, a.ip), 1);
	return a;
}

static struct dht_addr v6(const char *s)
{
	struct dht_addr a = { .family = AF_INET6, .port = 6881 };
	CU_ASSERT_EQUAL(inet_pton(AF_INET6, s, a.ip), 1);
	return a;
}

static void unhex(const char *h, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		CU_ASSERT_EQUAL_FATAL(sscanf(h + 2 * i, "%2x", &x), 1);
		out[i] = (uint8_t)x;
	}
}

static void test_crc32c(void)
{
	CU_ASSERT_EQUAL(dht_crc32c("123456789", 9), 0xe3069283u);
	const uint8_t in[4] = { 0x20, 0x0f, 0x0b, 0x15 };
	CU_ASSERT_EQUAL(dht_crc32c(in, 4), 0x5fbfbdb2u);
}

static void test_vectors(void)
{
	size_t len = 0;
	char *txt = (char *)tl_test_slurp("tests/vectors/dht/bep42.txt", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
	int rows = 0;
	char *save = NULL;
	txt = realloc(txt, len + 1);
	txt[len] = '\0';
	for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ip[64], hex[64];
		int valid;
		if (line[0] == '#' || sscanf(line, "%63s %63s %d", ip, hex, &valid) != 3)
			continue;
		struct dht_addr a = v4(ip);
		struct dht_id id;
		unhex(hex, id.b, 20);
		if (bep42_check(&id, &a) != (valid == 1))
			printf("mismatch: %s\n", line);
		CU_ASSERT_EQUAL(bep42_check(&id, &a), valid == 1);
		if (rows < 5) {
			/* The BEP's own ids are reproduced from their random bytes. */
			struct dht_id gen;
			bep42_make_id(&a, id.b, &gen);
			CU_ASSERT_EQUAL(memcmp(gen.b, id.b, 20), 0);
		}
		rows++;
	}
	CU_ASSERT_EQUAL(rows, 13);
	free(txt);
}

static void test_v6(void)
{
	/* Derived CRCs (notes §3.1): the id prefix carries crc>>11. */
	static const struct {
		const char *ip;
		unsigned r;
		uint32_t crc;
	} t[] = {
		{ "2001:db8::1", 0, 0x7c89c9bdu },
		{ "2001:db8::1", 5, 0x45883a40u },
		{ "2a02:8108:1100:1::5", 0, 0xb0331314u },
		{ "2a02:8108:1100:1::5", 5, 0x8932e0e9u },
	};
	for (size_t i = 0; i < 4; i++) {
		struct dht_addr a = v6(t[i].ip);
		uint8_t rnd[20] = { 0 };
		rnd[19] = (uint8_t)t[i].r;
		struct dht_id id;
		bep42_make_id(&a, rnd, &id);
		CU_ASSERT_EQUAL(id.b[0], (uint8_t)(t[i].crc >> 24));
		CU_ASSERT_EQUAL(id.b[1], (uint8_t)(t[i].crc >> 16));
		CU_ASSERT_EQUAL(id.b[2] & 0xf8, (t[i].crc >> 8) & 0xf8);
		CU_ASSERT_TRUE(bep42_check(&id, &a));
	}
	struct dht_addr loop = v6("::1"), ula = v6("fd00::1"), pub = v6("2001:db8::1");
	struct dht_id zero = { { 0 } };
	CU_ASSERT_TRUE(bep42_check(&zero, &loop));
	CU_ASSERT_TRUE(bep42_check(&zero, &ula));
	CU_ASSERT_FALSE(bep42_check(&zero, &pub));
}

static void test_roundtrip(void)
{
	uint64_t seed = tl_test_seed();
	srandom((unsigned)seed);
	for (int i = 0; i < 2000; i++) {
		struct dht_addr a = { .family = (i & 1) ? AF_INET6 : AF_INET, .port = 1 };
		uint8_t rnd[20];
		for (size_t k = 0; k < 16; k++)
			a.ip[k] = (uint8_t)random();
		a.ip[0] = (uint8_t)(a.ip[0] % 100 + 11); /* public v4 or 2000::/3-ish v6 */
		if (a.family == AF_INET6)
			a.ip[0] = 0x20;
		else
			memset(a.ip + 4, 0, 12);
		for (size_t k = 0; k < 20; k++)
			rnd[k] = (uint8_t)random();
		struct dht_id id;
		bep42_make_id(&a, rnd, &id);
		CU_ASSERT_TRUE(bep42_check(&id, &a));
		id.b[1] ^= 0x01; /* any bit in the 21-bit prefix breaks it */
		CU_ASSERT_FALSE(bep42_check(&id, &a));
	}
}

static void test_vote(void)
{
	struct bep42_vote v;
	bep42_vote_init(&v);
	struct dht_addr me = v4("124.31.75.21"), liar = v4("1.1.1.1");
	struct dht_addr voter = v4("50.0.0.1");
	/* One voter repeating itself never settles. */
	for (int i = 0; i < 20; i++)
		CU_ASSERT_FALSE(bep42_vote_add(&v, &voter, &me));
	/* Local addresses are never voted in. */
	struct dht_addr lan = v4("192.168.1.2");
	for (int i = 0; i < 20; i++) {
		voter.ip[3] = (uint8_t)(10 + i);
		CU_ASSERT_FALSE(bep42_vote_add(&v, &voter, &lan));
	}
	bep42_vote_init(&v);
	int settled_at = -1;
	for (int i = 0; i < 20 && settled_at < 0; i++) {
		voter.ip[2] = (uint8_t)i;
		if (i % 3 == 2) {
			CU_ASSERT_FALSE(bep42_vote_add(&v, &voter, &liar));
		} else if (bep42_vote_add(&v, &voter, &me)) {
			settled_at = i;
		}
	}
	CU_ASSERT_TRUE(settled_at > 0);
	CU_ASSERT_TRUE(v.has_settled && dht_addr_ip_eq(&v.settled, &me));
	CU_ASSERT_EQUAL(v.settled.port, 0);
	/* Settling again on the same address is not news. */
	for (int i = 0; i < 10; i++) {
		voter.ip[1] = (uint8_t)(100 + i);
		CU_ASSERT_FALSE(bep42_vote_add(&v, &voter, &me));
	}
	/* A change is reported. */
	bool changed = false;
	for (int i = 0; i < 10 && !changed; i++) {
		voter.ip[1] = (uint8_t)(200 + i);
		changed = bep42_vote_add(&v, &voter, &liar);
	}
	CU_ASSERT_TRUE(changed);
	CU_ASSERT_TRUE(dht_addr_ip_eq(&v.settled, &liar));
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_crc32c),
		TL_TEST(test_vectors),
		TL_TEST(test_v6),
		TL_TEST(test_roundtrip),
		TL_TEST(test_vote),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("bep42", tests);
}
