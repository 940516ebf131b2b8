/* test_handshake.c: BEP 3 handshake build/parse, incremental parsing at
 * every split point, reserved bits, peer id form. */
#include "cutest.h"

#include "base/err.h"
#include "proto/handshake.h"

static void make(struct tl_handshake *hs, unsigned flags)
{
	tl_handshake_reserved(flags, hs->reserved);
	for (int i = 0; i < 20; i++) {
		hs->infohash.b[i] = (uint8_t)(0xa0 + i);
		hs->peer_id.b[i] = (uint8_t)('a' + i);
	}
}

static void test_build_layout(void)
{
	struct tl_handshake hs;
	uint8_t b[TL_HANDSHAKE_LEN];
	make(&hs, TL_HS_F_EXTENDED | TL_HS_F_FAST | TL_HS_F_DHT);
	tl_handshake_build(&hs, b);
	CU_ASSERT_EQUAL(b[0], 19);
	CU_ASSERT_EQUAL(memcmp(b + 1, "BitTorrent protocol", 19), 0);
	static const uint8_t res[8] = { 0, 0, 0, 0, 0, 0x10, 0, 0x05 };
	CU_ASSERT_EQUAL(memcmp(b + 20, res, 8), 0);
	CU_ASSERT_EQUAL(b[28], 0xa0);
	CU_ASSERT_EQUAL(b[48], 'a');
	CU_ASSERT_EQUAL(b[67], 'a' + 19);
	for (unsigned f = 0; f < 8; f++) {
		uint8_t r[8];
		tl_handshake_reserved(f, r);
		CU_ASSERT_EQUAL(tl_handshake_flags(r), f);
	}
	/* unknown bits are ignored */
	static const uint8_t other[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0xfa };
	CU_ASSERT_EQUAL(tl_handshake_flags(other), 0);
}

static void test_incremental(void)
{
	struct tl_handshake hs, got;
	uint8_t b[TL_HANDSHAKE_LEN + 4];
	const char *why = NULL;
	make(&hs, TL_HS_F_FAST);
	tl_handshake_build(&hs, b);
	memset(b + 68, 0x55, 4); /* the first message following */
	for (size_t len = 0; len <= sizeof(b); len++) {
		memset(&got, 0, sizeof(got));
		int rc = tl_handshake_parse_prefix(b, len, &got, &why);
		CU_ASSERT_EQUAL(rc, len < 48 ? TL_EAGAIN : TL_OK);
		if (rc == TL_OK) {
			CU_ASSERT_EQUAL(memcmp(got.infohash.b, hs.infohash.b, 20), 0);
			CU_ASSERT_EQUAL(tl_handshake_flags(got.reserved), TL_HS_F_FAST);
		}
		rc = tl_handshake_parse(b, len, &got, &why);
		CU_ASSERT_EQUAL(rc, len < 68 ? TL_EAGAIN : TL_OK);
		if (rc == TL_OK)
			CU_ASSERT_EQUAL(memcmp(&got, &hs, sizeof(hs)), 0);
	}
}

static void test_garbage_refused_early(void)
{
	struct tl_handshake got;
	uint8_t b[TL_HANDSHAKE_LEN];
	const char *why = NULL;
	struct tl_handshake hs;
	make(&hs, 0);
	tl_handshake_build(&hs, b);
	/* a wrong first byte is refused with one byte in */
	uint8_t bad = 0x16; /* a TLS record */
	CU_ASSERT_EQUAL(tl_handshake_parse(&bad, 1, &got, &why), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	/* a wrong protocol byte anywhere in 1..19 is refused at that byte */
	for (size_t i = 1; i < 20; i++) {
		uint8_t c[TL_HANDSHAKE_LEN];
		memcpy(c, b, sizeof(c));
		c[i] ^= 0x20;
		CU_ASSERT_EQUAL(tl_handshake_parse(c, i, &got, &why), TL_EAGAIN);
		why = NULL;
		CU_ASSERT_EQUAL(tl_handshake_parse(c, i + 1, &got, &why), TL_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_EQUAL(tl_handshake_parse(c, sizeof(c), &got, &why), TL_EINVAL);
	}
}

static void test_peer_id(void)
{
	struct tl_peer_id id;
	uint8_t rnd[12];
	for (int i = 0; i < 12; i++)
		rnd[i] = (uint8_t)(i * 37 + 255 * (i & 1));
	tl_peer_id_make("0.1.0", rnd, &id);
	CU_ASSERT_EQUAL(memcmp(id.b, "-TL0100-", 8), 0);
	tl_peer_id_make("1.12.3.4", rnd, &id);
	CU_ASSERT_EQUAL(memcmp(id.b, "-TL1C34-", 8), 0);
	tl_peer_id_make("2", rnd, &id);
	CU_ASSERT_EQUAL(memcmp(id.b, "-TL2000-", 8), 0);
	for (int i = 8; i < 20; i++) {
		char c = (char)id.b[i];
		CU_ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    c == '.' || c == '_');
	}
	struct tl_peer_id a, b;
	CU_ASSERT_EQUAL(tl_peer_id_generate(&a), TL_OK);
	CU_ASSERT_EQUAL(tl_peer_id_generate(&b), TL_OK);
	CU_ASSERT_EQUAL(memcmp(a.b, "-TL", 3), 0);
	CU_ASSERT_EQUAL(a.b[7], '-');
	CU_ASSERT_NOT_EQUAL(memcmp(a.b, b.b, 20), 0); /* 72 random bits */
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_build_layout),
		TL_TEST(test_incremental),
		TL_TEST(test_garbage_refused_early),
		TL_TEST(test_peer_id),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("handshake", tests);
}
