/* test_ut_pex.c: BEP 11 messages (layout, limits, bad input) and the diff
 * helper against a naive set model over random connect/disconnect runs. */
#include "cutest.h"
#include "prop.h"

#include "base/bounds.h"
#include "base/err.h"
#include "proto/ut_pex.h"

static struct tl_pex_peer v4(uint8_t a, uint8_t b, uint16_t port, uint8_t flags)
{
	struct tl_pex_peer p = { .family = 4, .flags = flags, .port = port };
	p.addr[0] = 10;
	p.addr[1] = a;
	p.addr[2] = b;
	p.addr[3] = 1;
	return p;
}

static struct tl_pex_peer v6(uint8_t a, uint16_t port)
{
	struct tl_pex_peer p = { .family = 6, .port = port };
	p.addr[0] = 0x20;
	p.addr[1] = 0x01;
	p.addr[15] = a;
	return p;
}

static void test_build_parse(void)
{
	struct tl_pex_peer added[3] = { v4(1, 2, 6881, TL_PEX_F_SEED), v6(9, 443), v4(3, 4, 80, TL_PEX_F_UTP) };
	struct tl_pex_peer dropped[1] = { v6(7, 1) };
	uint8_t b[TL_PEX_MAX_MSG_LEN];
	size_t n = tl_pex_build(added, 3, dropped, 1, b, sizeof(b));
	CU_ASSERT_FATAL(n > 0);
	static const char head[] = "d5:added12:\x0a\x01\x02\x01\x1a\xe1\x0a\x03\x04\x01\x00\x50" "7:added.f2:\x02\x04" "6:added618:";
	CU_ASSERT_EQUAL(memcmp(b, head, sizeof(head) - 1), 0);
	struct tl_pex_msg m;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_pex_parse(b, n, &m, &why), TL_OK);
	CU_ASSERT_EQUAL(m.count[TL_PEX_ADDED], 2);
	CU_ASSERT_EQUAL(m.count[TL_PEX_ADDED6], 1);
	CU_ASSERT_EQUAL(m.count[TL_PEX_DROPPED], 0);
	CU_ASSERT_EQUAL(m.count[TL_PEX_DROPPED6], 1);
	struct tl_pex_peer p;
	tl_pex_get(&m, TL_PEX_ADDED, 0, &p);
	CU_ASSERT_EQUAL(memcmp(&p, &added[0], sizeof(p)), 0);
	tl_pex_get(&m, TL_PEX_ADDED, 1, &p);
	CU_ASSERT_EQUAL(memcmp(&p, &added[2], sizeof(p)), 0);
	tl_pex_get(&m, TL_PEX_ADDED6, 0, &p);
	CU_ASSERT_EQUAL(memcmp(&p, &added[1], sizeof(p)), 0);
	tl_pex_get(&m, TL_PEX_DROPPED6, 0, &p);
	CU_ASSERT_EQUAL(memcmp(&p, &dropped[0], sizeof(p)), 0);
	/* an empty message still carries one list */
	n = tl_pex_build(NULL, 0, NULL, 0, b, sizeof(b));
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT_EQUAL(memcmp(b, "d5:added0:e", 11), 0);
	CU_ASSERT_EQUAL(tl_pex_parse(b, n, &m, &why), TL_OK);
	/* limits on what we send */
	struct tl_pex_peer many[TL_PEX_MAX_SEND + 1];
	for (unsigned i = 0; i <= TL_PEX_MAX_SEND; i++)
		many[i] = i & 1 ? v6((uint8_t)i, 1) : v4((uint8_t)i, 0, 1, 0xff);
	CU_ASSERT_EQUAL(tl_pex_build(many, TL_PEX_MAX_SEND + 1, NULL, 0, b, sizeof(b)), 0);
	CU_ASSERT_TRUE(tl_pex_build(many, TL_PEX_MAX_SEND, many + 1, TL_PEX_MAX_SEND, b, sizeof(b)) > 0);
	CU_ASSERT_EQUAL(tl_pex_build(added, 3, NULL, 0, b, 20), 0);
}

static void test_bad_input(void)
{
	static const char *const bad[] = {
		"le", "d5:addedi1ee", "d5:added5:abcdee", "d6:added66:abcdefe", "d7:dropped7:abcdefge",
		"d5:added6:abcdef7:added.f2:xxe", "d5:added6:abcdef7:added.fi1ee", "d7:added.f1:xe", "d5:added",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tl_pex_msg m;
		const char *why = NULL;
		CU_ASSERT_EQUAL(tl_pex_parse((const uint8_t *)bad[i], strlen(bad[i]), &m, &why), TL_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
	/* an empty dict (aria2 1.36) is no news, not an error */
	struct tl_pex_msg empty;
	const char *ewhy = NULL;
	CU_ASSERT_EQUAL(tl_pex_parse((const uint8_t *)"de", 2, &empty, &ewhy), TL_OK);
	for (int l = 0; l < TL_PEX_NLISTS; l++)
		CU_ASSERT_EQUAL(empty.count[l], 0);
	/* TL_PEX_MAX_RECV contacts are fine, one more is not */
	static uint8_t b[64 + (TL_PEX_MAX_RECV + 1) * 6];
	for (unsigned cnt = TL_PEX_MAX_RECV; cnt <= TL_PEX_MAX_RECV + 1; cnt++) {
		int h = snprintf((char *)b, 64, "d5:added%u:", cnt * 6);
		memset(b + h, 7, cnt * 6);
		b[h + cnt * 6] = 'e';
		struct tl_pex_msg m;
		const char *why = NULL;
		CU_ASSERT_EQUAL(tl_pex_parse(b, (size_t)h + cnt * 6 + 1, &m, &why),
		    cnt == TL_PEX_MAX_RECV ? TL_OK : TL_EINVAL);
	}
}

/* Model: the set the peer knows (known[]) must follow the connected set
 * with at most max changes per message, never adding and dropping one
 * contact at once, never repeating an add or a drop. */
static void test_diff_property(void)
{
	prop_seed();
	enum { U = 120 }; /* universe of contacts */
	struct tl_pex_peer uni[U];
	for (int i = 0; i < U; i++)
		uni[i] = i % 3 ? v4((uint8_t)i, 1, (uint16_t)(1000 + i), (uint8_t)(i & 0x1f)) : v6((uint8_t)i, 7);
	bool conn[U] = { 0 }, known[U] = { 0 };
	struct tl_pex_state st;
	tl_pex_state_init(&st);
	for (int round = 0; round < 300; round++) {
		int flips = (int)rnd(40);
		for (int f = 0; f < flips; f++) {
			int i = (int)rnd(U);
			conn[i] = !conn[i];
		}
		struct tl_pex_peer cur[2 * U], add[U], drop[U];
		size_t ncur = 0, na, nd;
		for (int i = 0; i < U; i++)
			if (conn[i]) {
				cur[ncur++] = uni[i];
				if (rnd(4) == 0)
					cur[ncur++] = uni[i]; /* a duplicate */
			}
		size_t maxa = rnd(3) ? TL_PEX_MAX_SEND : 1 + rnd(5), maxd = rnd(3) ? TL_PEX_MAX_SEND : rnd(5);
		tl_pex_diff(&st, cur, ncur, add, maxa, &na, drop, maxd, &nd);
		CU_ASSERT_TRUE(na <= maxa && nd <= maxd);
		size_t want_a = 0, want_d = 0;
		for (int i = 0; i < U; i++) {
			want_a += conn[i] && !known[i];
			want_d += !conn[i] && known[i];
		}
		CU_ASSERT_EQUAL(na, want_a < maxa ? want_a : maxa);
		CU_ASSERT_EQUAL(nd, want_d < maxd ? want_d : maxd);
		for (size_t k = 0; k < na; k++) {
			int i = 0;
			while (i < U && memcmp(&uni[i], &add[k], sizeof(add[k])) != 0)
				i++;
			CU_ASSERT_FATAL(i < U);
			CU_ASSERT_TRUE(conn[i] && !known[i]);
			known[i] = true;
		}
		for (size_t k = 0; k < nd; k++) {
			int i = 0;
			while (i < U && (memcmp(uni[i].addr, drop[k].addr, 16) != 0 || uni[i].port != drop[k].port ||
			    uni[i].family != drop[k].family))
				i++;
			CU_ASSERT_FATAL(i < U);
			CU_ASSERT_TRUE(!conn[i] && known[i]);
			CU_ASSERT_EQUAL(drop[k].flags, 0);
			known[i] = false;
		}
		size_t nknown = 0;
		for (int i = 0; i < U; i++)
			nknown += known[i];
		CU_ASSERT_EQUAL(st.n, nknown);
		uint8_t b[TL_PEX_MAX_MSG_LEN];
		if (na <= TL_PEX_MAX_SEND && nd <= TL_PEX_MAX_SEND)
			CU_ASSERT_TRUE(tl_pex_build(add, na, drop, nd, b, sizeof(b)) > 0);
	}
	tl_pex_state_clear(&st);
	tl_pex_state_clear(NULL);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_build_parse),
		TL_TEST(test_bad_input),
		TL_TEST(test_diff_property),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("ut_pex", tests);
}
