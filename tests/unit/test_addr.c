/* test_addr.c: endpoint conversions and address classes: sockaddr round
 * trips, IPv4-mapped and short sockaddrs refused, compact forms, martians,
 * BEP 42 local ranges, /24 and /64 subnets. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "dht/addr.h"

static struct dht_addr a4(const char *s, uint16_t port)
{
	struct dht_addr a = { .family = AF_INET, .port = port };
	CU_ASSERT_EQUAL(inet_pton(AF_INET, s, a.ip), 1);
	return a;
}

static struct dht_addr a6(const char *s, uint16_t port)
{
	struct dht_addr a = { .family = AF_INET6, .port = port };
	CU_ASSERT_EQUAL(inet_pton(AF_INET6, s, a.ip), 1);
	return a;
}

static void test_sockaddr(void)
{
	struct dht_addr a = a4("1.2.3.4", 6881), b;
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(&a, &ss);
	CU_ASSERT_EQUAL(sl, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(dht_addr_from_sa((struct sockaddr *)&ss, sl, &b), 0);
	CU_ASSERT_TRUE(dht_addr_eq(&a, &b));
	CU_ASSERT_EQUAL(dht_addr_from_sa((struct sockaddr *)&ss, sl - 1, &b), -1);
	a = a6("2001:db8::1", 1);
	sl = dht_addr_to_sa(&a, &ss);
	CU_ASSERT_EQUAL(dht_addr_from_sa((struct sockaddr *)&ss, sl, &b), 0);
	CU_ASSERT_TRUE(dht_addr_eq(&a, &b));
	struct sockaddr_in6 m = { .sin6_family = AF_INET6, .sin6_port = htons(1) };
	inet_pton(AF_INET6, "::ffff:1.2.3.4", &m.sin6_addr);
	CU_ASSERT_EQUAL(dht_addr_from_sa((struct sockaddr *)&m, sizeof(m), &b), -1);
	struct sockaddr un = { .sa_family = AF_UNIX };
	CU_ASSERT_EQUAL(dht_addr_from_sa(&un, sizeof(un), &b), -1);
	CU_ASSERT_EQUAL(dht_addr_from_sa(NULL, 0, &b), -1);
}

static void test_compact(void)
{
	uint8_t c[18];
	struct dht_addr a = a4("124.31.75.21", 6881), b;
	CU_ASSERT_EQUAL(dht_addr_put_compact(&a, c), 6);
	CU_ASSERT_EQUAL(memcmp(c, "\x7c\x1f\x4b\x15\x1a\xe1", 6), 0);
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET, c, 6, &b), 0);
	CU_ASSERT_TRUE(dht_addr_eq(&a, &b));
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET, c, 5, &b), -1);
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET6, c, 6, &b), -1);
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_UNIX, c, 6, &b), -1);
	a = a6("2a02:8108:1100:1::5", 443);
	CU_ASSERT_EQUAL(dht_addr_put_compact(&a, c), 18);
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET6, c, 18, &b), 0);
	CU_ASSERT_TRUE(dht_addr_eq(&a, &b));
	char s[64];
	dht_addr_format(&a, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "[2a02:8108:1100:1::5]:443");
}

static void test_classes(void)
{
	static const struct {
		const char *ip;
		bool martian, local;
	} t4[] = {
		{ "0.1.2.3", true, false }, { "224.0.0.1", true, false }, { "255.255.255.255", true, false },
		{ "240.0.0.1", true, false }, { "1.2.3.4", false, false }, { "10.0.0.1", false, true },
		{ "127.0.0.1", false, true }, { "172.16.0.1", false, true }, { "172.31.255.1", false, true },
		{ "172.32.0.1", false, false }, { "192.168.1.1", false, true }, { "169.254.3.3", false, true },
		{ "192.169.1.1", false, false },
	};
	for (size_t i = 0; i < sizeof(t4) / sizeof(t4[0]); i++) {
		struct dht_addr a = a4(t4[i].ip, 1);
		CU_ASSERT_EQUAL(dht_addr_is_martian(&a), t4[i].martian);
		CU_ASSERT_EQUAL(dht_addr_is_local(&a), t4[i].local);
	}
	struct dht_addr p0 = a4("1.2.3.4", 0);
	CU_ASSERT_TRUE(dht_addr_is_martian(&p0));
	static const struct {
		const char *ip;
		bool martian, local;
	} t6[] = {
		{ "::", true, false }, { "ff02::1", true, false }, { "::1", false, true },
		{ "fd00::1", false, true }, { "fe80::1", false, true }, { "2001:db8::1", false, false },
	};
	for (size_t i = 0; i < sizeof(t6) / sizeof(t6[0]); i++) {
		struct dht_addr a = a6(t6[i].ip, 1);
		CU_ASSERT_EQUAL(dht_addr_is_martian(&a), t6[i].martian);
		CU_ASSERT_EQUAL(dht_addr_is_local(&a), t6[i].local);
	}
	struct dht_addr x = a4("1.2.3.4", 1), y = a4("1.2.3.200", 2), z = a4("1.2.4.4", 1);
	CU_ASSERT_TRUE(dht_addr_same_subnet(&x, &y));
	CU_ASSERT_FALSE(dht_addr_same_subnet(&x, &z));
	CU_ASSERT_TRUE(dht_addr_ip_eq(&x, &x));
	CU_ASSERT_FALSE(dht_addr_ip_eq(&x, &y));
	struct dht_addr u = a6("2001:db8:0:1::1", 1), v = a6("2001:db8:0:1:ffff::2", 1);
	struct dht_addr w = a6("2001:db8:0:2::1", 1);
	CU_ASSERT_TRUE(dht_addr_same_subnet(&u, &v));
	CU_ASSERT_FALSE(dht_addr_same_subnet(&u, &w));
	CU_ASSERT_FALSE(dht_addr_same_subnet(&u, &x));
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_sockaddr),
		TL_TEST(test_compact),
		TL_TEST(test_classes),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("addr", tests);
}
