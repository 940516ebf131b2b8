/* test_swarm.c: the address book of a torrent without sockets: one entry
 * per address, which reports start a dial pass, what is due for dialing
 * (held, backing off, seeds once complete, banned hosts), the backoff after
 * a connection closes, and bans by host for IPv4 and IPv6. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "engine/swarm.h"

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *ip, uint16_t port)
{
	struct sockaddr_in6 a;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

#define SA(x) ((const struct sockaddr *)&(x))

static struct sockaddr_storage ss_of(const void *a, size_t len)
{
	struct sockaddr_storage s;
	memset(&s, 0, sizeof(s));
	memcpy(&s, a, len);
	return s;
}

/* Every entry due at now_ms, in order. */
static size_t due(struct tl_swarm *sw, uint64_t now_ms, bool skip_seeds, struct tl_swarm_addr **out,
    size_t max)
{
	size_t pos = 0, n = 0;
	struct tl_swarm_addr *k;
	while ((k = tl_swarm_next_due(sw, &pos, now_ms, skip_seeds)) && n < max)
		out[n++] = k;
	return n;
}

static void test_one_entry_per_address(void)
{
	struct tl_swarm sw;
	tl_swarm_init(&sw);
	struct sockaddr_in a = v4("10.0.0.1", 6881), b = v4("10.0.0.1", 6882);
	CU_ASSERT_TRUE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	/* the same address again: nothing new to dial */
	CU_ASSERT_FALSE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	CU_ASSERT_EQUAL(sw.nknown, 1);
	/* another port is another peer */
	CU_ASSERT_TRUE(tl_swarm_offer(&sw, SA(b), sizeof(b)));
	CU_ASSERT_EQUAL(sw.nknown, 2);
	bool is_new;
	struct tl_swarm_addr *k = tl_swarm_get(&sw, SA(b), sizeof(b), &is_new);
	CU_ASSERT_FALSE(is_new);
	CU_ASSERT_EQUAL(k, &sw.known[1]);
	/* too long for an address: refused, nothing stored */
	struct sockaddr_storage big[2];
	memset(big, 0, sizeof(big));
	CU_ASSERT_FALSE(tl_swarm_offer(&sw, (const struct sockaddr *)big, sizeof(big)));
	CU_ASSERT_EQUAL(sw.nknown, 2);
	/* many reports from a small space: one entry each (growth keeps them) */
	char ip[32];
	for (int i = 0; i < 300; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", (i * 7) % 5, (i * 13) % 11);
		struct sockaddr_in c = v4(ip, 1000);
		tl_swarm_offer(&sw, SA(c), sizeof(c));
	}
	CU_ASSERT_EQUAL(sw.nknown, 2 + 55);
	for (size_t i = 0; i < sw.nknown; i++)
		for (size_t j = i + 1; j < sw.nknown; j++)
			CU_ASSERT_FALSE(memcmp(&sw.known[i].addr, &sw.known[j].addr, sizeof(sw.known[i].addr)) == 0);
	tl_swarm_clear(&sw);
	CU_ASSERT_EQUAL(sw.nknown, 0);
	tl_swarm_clear(&sw); /* twice is fine */
}

static void test_due_and_backoff(void)
{
	struct tl_swarm sw;
	tl_swarm_init(&sw);
	struct sockaddr_in a = v4("10.0.0.1", 1), b = v4("10.0.0.2", 2);
	tl_swarm_offer(&sw, SA(a), sizeof(a));
	tl_swarm_offer(&sw, SA(b), sizeof(b));
	struct tl_swarm_addr *d[4];
	CU_ASSERT_EQUAL(due(&sw, 0, false, d, 4), 2);
	/* a dialed: held, not due however late */
	tl_swarm_dialed(d[0], 7);
	CU_ASSERT_EQUAL(due(&sw, 1000000, false, d, 4), 1);
	CU_ASSERT_EQUAL(d[0]->serial, 0);
	CU_ASSERT_EQUAL(sw.known[1].len, sizeof(b));
	/* a report of a held address starts no dial */
	CU_ASSERT_FALSE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	/* never answered: one failure, 2 s of backoff */
	tl_swarm_closed(&sw, 7, false, false, 10000);
	CU_ASSERT_EQUAL(sw.known[0].serial, 0);
	CU_ASSERT_EQUAL(sw.known[0].fails, 1);
	CU_ASSERT_EQUAL(sw.known[0].next_try_ms, 12000);
	CU_ASSERT_EQUAL(due(&sw, 11999, false, d, 4), 1);
	CU_ASSERT_EQUAL(due(&sw, 12000, false, d, 4), 2);
	/* a fresh report of a failed address is due at once */
	CU_ASSERT_TRUE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	CU_ASSERT_EQUAL(sw.known[0].next_try_ms, 0);
	/* failures double the backoff up to 64 s */
	uint64_t now = 20000;
	for (unsigned f = 2; f <= 9; f++) {
		tl_swarm_dialed(&sw.known[0], 8);
		tl_swarm_closed(&sw, 8, false, false, now);
		unsigned shift = f < 6 ? f : 6;
		CU_ASSERT_EQUAL(sw.known[0].fails, f);
		CU_ASSERT_EQUAL(sw.known[0].next_try_ms, now + (1000u << shift));
	}
	/* an answer forgets the failures: the next close waits 1 s */
	tl_swarm_dialed(&sw.known[0], 9);
	struct tl_peer_id id;
	memset(id.b, 0x5a, sizeof(id.b));
	tl_swarm_answered(&sw, 9, &id);
	CU_ASSERT_TRUE(sw.known[0].has_id);
	CU_ASSERT_EQUAL(memcmp(sw.known[0].id.b, id.b, 20), 0);
	CU_ASSERT_EQUAL(sw.known[0].fails, 0);
	tl_swarm_closed(&sw, 9, true, false, now);
	CU_ASSERT_EQUAL(sw.known[0].fails, 0);
	CU_ASSERT_EQUAL(sw.known[0].next_try_ms, now + 1000);
	/* a report of an address that did not fail changes nothing */
	CU_ASSERT_FALSE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	CU_ASSERT_EQUAL(sw.known[0].next_try_ms, now + 1000);
	/* a dial that could not start */
	tl_swarm_dial_failed(&sw.known[1], now);
	CU_ASSERT_EQUAL(sw.known[1].fails, 1);
	CU_ASSERT_EQUAL(sw.known[1].next_try_ms, now + TL_SWARM_RETRY_MS);
	/* a close of another serial touches neither */
	tl_swarm_closed(&sw, 12345, false, false, now);
	CU_ASSERT_EQUAL(sw.known[0].fails, 0);
	CU_ASSERT_EQUAL(sw.known[1].fails, 1);
	tl_swarm_clear(&sw);
}

static void test_seeds_skipped_when_complete(void)
{
	struct tl_swarm sw;
	tl_swarm_init(&sw);
	struct sockaddr_in a = v4("10.0.0.1", 1), b = v4("10.0.0.2", 2);
	tl_swarm_offer(&sw, SA(a), sizeof(a));
	tl_swarm_offer(&sw, SA(b), sizeof(b));
	tl_swarm_dialed(&sw.known[1], 3);
	tl_swarm_closed(&sw, 3, true, true, 0);
	CU_ASSERT_TRUE(sw.known[1].is_seed);
	struct tl_swarm_addr *d[4];
	CU_ASSERT_EQUAL(due(&sw, 5000, false, d, 4), 2);
	CU_ASSERT_EQUAL(due(&sw, 5000, true, d, 4), 1);
	CU_ASSERT_EQUAL(d[0], &sw.known[0]);
	/* it was not a seed the next time */
	tl_swarm_dialed(&sw.known[1], 4);
	tl_swarm_closed(&sw, 4, true, false, 0);
	CU_ASSERT_EQUAL(due(&sw, 5000, true, d, 4), 2);
	tl_swarm_clear(&sw);
}

static void test_hold(void)
{
	struct tl_swarm sw;
	tl_swarm_init(&sw);
	struct sockaddr_in a = v4("10.0.0.1", 1);
	struct tl_peer_id id;
	memset(id.b, 1, sizeof(id.b));
	/* a connection handed over holds its listen address, new or known */
	tl_swarm_hold(&sw, SA(a), sizeof(a), 42, &id);
	CU_ASSERT_EQUAL(sw.nknown, 1);
	CU_ASSERT_EQUAL(sw.known[0].serial, 42);
	CU_ASSERT_TRUE(sw.known[0].has_id);
	struct tl_swarm_addr *d[2];
	CU_ASSERT_EQUAL(due(&sw, 0, false, d, 2), 0);
	CU_ASSERT_FALSE(tl_swarm_offer(&sw, SA(a), sizeof(a)));
	tl_swarm_closed(&sw, 42, false, false, 0);
	tl_swarm_hold(&sw, SA(a), sizeof(a), 43, &id);
	CU_ASSERT_EQUAL(sw.nknown, 1);
	CU_ASSERT_EQUAL(sw.known[0].fails, 0);
	CU_ASSERT_EQUAL(sw.known[0].serial, 43);
	tl_swarm_clear(&sw);
}

static void test_bans(void)
{
	struct tl_swarm sw;
	tl_swarm_init(&sw);
	struct sockaddr_in a = v4("10.0.0.1", 1), a2 = v4("10.0.0.1", 999), c = v4("10.0.0.3", 1);
	struct sockaddr_in6 x = v6("2001:db8::1", 1), x2 = v6("2001:db8::1", 2), y = v6("2001:db8::2", 1);
	struct sockaddr_storage sa = ss_of(&a, sizeof(a)), sa2 = ss_of(&a2, sizeof(a2)),
				sc = ss_of(&c, sizeof(c)), sx = ss_of(&x, sizeof(x)),
				sx2 = ss_of(&x2, sizeof(x2)), sy = ss_of(&y, sizeof(y));
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &sa));
	tl_swarm_ban(&sw, &sa);
	CU_ASSERT_TRUE(tl_swarm_is_banned(&sw, &sa));
	CU_ASSERT_TRUE(tl_swarm_is_banned(&sw, &sa2)); /* any port of the host */
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &sc));
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &sx));
	tl_swarm_ban(&sw, &sx);
	CU_ASSERT_TRUE(tl_swarm_is_banned(&sw, &sx2));
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &sy));
	/* a family without hosts is never banned */
	struct sockaddr_storage odd;
	memset(&odd, 0, sizeof(odd));
	odd.ss_family = AF_UNIX;
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &odd));
	/* banned hosts are never due */
	tl_swarm_offer(&sw, SA(a2), sizeof(a2));
	tl_swarm_offer(&sw, SA(c), sizeof(c));
	tl_swarm_offer(&sw, SA(y), sizeof(y));
	tl_swarm_offer(&sw, SA(x2), sizeof(x2));
	struct tl_swarm_addr *d[4];
	CU_ASSERT_EQUAL(due(&sw, 0, false, d, 4), 2);
	CU_ASSERT_EQUAL(d[0], &sw.known[1]);
	CU_ASSERT_EQUAL(d[1], &sw.known[2]);
	tl_swarm_clear(&sw);
	CU_ASSERT_FALSE(tl_swarm_is_banned(&sw, &sa));
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_one_entry_per_address),
		TL_TEST(test_due_and_backoff),
		TL_TEST(test_seeds_skipped_when_complete),
		TL_TEST(test_hold),
		TL_TEST(test_bans),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("swarm", tests);
}
