/* test_ut_metadata.c: BEP 9 messages (the BEP's examples, sizes, bounds)
 * and the assembler with several peers, a bad peer and a hash failure. */
#include "cutest.h"

#include "base/bounds.h"
#include "base/err.h"
#include "proto/ut_metadata.h"

static int parse(const void *p, size_t len, struct tl_utm_msg *m)
{
	const char *why = NULL;
	int rc = tl_utm_parse(p, len, m, &why);
	if (rc == TL_EINVAL)
		CU_ASSERT_PTR_NOT_NULL(why);
	return rc;
}

static void test_messages(void)
{
	struct tl_utm_msg m;
	uint8_t b[TL_UTM_MAX_HEAD + TL_METADATA_PIECE_LEN];
	/* BEP 9 examples */
	CU_ASSERT_EQUAL(parse("d8:msg_typei0e5:piecei0ee", 25, &m), TL_OK);
	CU_ASSERT_EQUAL(m.type, TL_UTM_REQUEST);
	CU_ASSERT_EQUAL(m.piece, 0);
	size_t n = tl_utm_build(TL_UTM_REQUEST, 0, 0, b, sizeof(b));
	CU_ASSERT_EQUAL(n, 25);
	CU_ASSERT_EQUAL(memcmp(b, "d8:msg_typei0e5:piecei0ee", 25), 0);
	n = tl_utm_build(TL_UTM_REJECT, 7, 0, b, sizeof(b));
	CU_ASSERT_EQUAL(parse(b, n, &m), TL_OK);
	CU_ASSERT_EQUAL(m.type, TL_UTM_REJECT);
	CU_ASSERT_EQUAL(m.piece, 7);
	/* data: the last piece of a 34256-byte info dict is 1488 bytes */
	n = tl_utm_build(TL_UTM_DATA, 2, 34256, b, sizeof(b));
	CU_ASSERT_EQUAL(memcmp(b, "d8:msg_typei1e5:piecei2e10:total_sizei34256ee", n), 0);
	memset(b + n, 'x', 1488);
	CU_ASSERT_EQUAL(parse(b, n + 1488, &m), TL_OK);
	CU_ASSERT_EQUAL(m.type, TL_UTM_DATA);
	CU_ASSERT_EQUAL(m.total_size, 34256);
	CU_ASSERT_EQUAL(m.data_off, n);
	CU_ASSERT_EQUAL(m.data_len, 1488);
	CU_ASSERT_EQUAL(parse(b, n + 1487, &m), TL_EINVAL);
	CU_ASSERT_EQUAL(parse(b, n + 1489, &m), TL_EINVAL);
	/* a middle piece must be exactly 16 KiB */
	n = tl_utm_build(TL_UTM_DATA, 1, 34256, b, sizeof(b));
	memset(b + n, 'x', TL_METADATA_PIECE_LEN);
	CU_ASSERT_EQUAL(parse(b, n + TL_METADATA_PIECE_LEN, &m), TL_OK);
	CU_ASSERT_EQUAL(parse(b, n + 1488, &m), TL_EINVAL);
	/* a piece past the end of the metadata */
	n = tl_utm_build(TL_UTM_DATA, 3, 34256, b, sizeof(b));
	CU_ASSERT_EQUAL(parse(b, n, &m), TL_EINVAL);
	/* unknown msg_type is to be ignored */
	CU_ASSERT_EQUAL(parse("d8:msg_typei3e5:piecei0ee", 25, &m), TL_ENOTSUP);
	CU_ASSERT_EQUAL(parse("d8:msg_typei9e5:piecei99999ee", 29, &m), TL_ENOTSUP);
	CU_ASSERT_EQUAL(tl_utm_build(TL_UTM_DATA, 0, 1, b, 10), 0);

	static const char *const bad[] = {
		"d8:msg_typei0ee", "d5:piecei0ee", "d8:msg_type1:05:piecei0ee", "d8:msg_typei0e5:piecei-1ee",
		"d8:msg_typei0e5:piecei1024ee", "d8:msg_typei0e5:piecei0eexx", "le", "d8:msg_typei0e5:piecei0e",
		"d8:msg_typei1e5:piecei0ee", "d8:msg_typei1e5:piecei0e10:total_sizei0ee",
		"d8:msg_typei1e5:piecei0e10:total_sizei16777217eex",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(parse(bad[i], strlen(bad[i]), &m), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_utm_npieces(1), 1);
	CU_ASSERT_EQUAL(tl_utm_npieces(16384), 1);
	CU_ASSERT_EQUAL(tl_utm_npieces(16385), 2);
	CU_ASSERT_EQUAL(tl_utm_piece_len(16385, 1), 1);
	CU_ASSERT_EQUAL(tl_utm_piece_len(16385, 2), 0);
}

static void make_metadata(uint8_t *buf, size_t n, struct tl_infohash *ih)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	tl_sha1(buf, n, ih->b);
}

static void test_assembler(void)
{
	enum { TOTAL = 3 * 16384 + 100 };
	static uint8_t md[TOTAL];
	struct tl_infohash ih;
	const char *why;
	make_metadata(md, TOTAL, &ih);
	CU_ASSERT_PTR_NULL(tl_utm_asm_new(&ih, 0));
	CU_ASSERT_PTR_NULL(tl_utm_asm_new(&ih, TL_MAX_METADATA_SIZE + 1));
	struct tl_utm_asm *a = tl_utm_asm_new(&ih, TOTAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(tl_utm_asm_total_size(a), TOTAL);
	uint32_t p1, p2, p3, p4, p5;
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 1, &p1), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 2, &p2), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 2, &p3), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 3, &p4), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 3, &p5), TL_ENOENT);
	CU_ASSERT_TRUE(p1 != p2 && p2 != p3 && p3 != p4 && p1 != p4);
	/* peer 3 rejects: its piece goes to peer 1 */
	tl_utm_asm_reject(a, 3, p4);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 1, &p5), TL_OK);
	CU_ASSERT_EQUAL(p5, p4);
	/* bad sizes are blamed on the sender */
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 1, p1, TOTAL + 1, md, 16384, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 1, 3, TOTAL, md, 16384, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 1, 4, TOTAL, md, 100, &why), TL_EINVAL);
	/* peer 2 goes away: its pieces are free again */
	tl_utm_asm_release(a, 2);
	uint32_t q[2];
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 3, &q[0]), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 3, &q[1]), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 3, &p5), TL_ENOENT);
	for (uint32_t i = 0; i < 4; i++) {
		uint64_t who = i == p1 || i == p4 ? 1 : 3;
		size_t len = tl_utm_piece_len(TOTAL, i);
		int rc = tl_utm_asm_add(a, who, i, TOTAL, md + i * 16384, len, &why);
		CU_ASSERT_EQUAL(rc, i < 3 ? TL_EAGAIN : TL_OK);
		CU_ASSERT_EQUAL(tl_utm_asm_source(a, i), who);
		if (i == 1) /* a duplicate is dropped */
			CU_ASSERT_EQUAL(tl_utm_asm_add(a, 2, i, TOTAL, md, len, &why), TL_EAGAIN);
	}
	CU_ASSERT_TRUE(tl_utm_asm_is_complete(a));
	size_t len = 0;
	const uint8_t *got = tl_utm_asm_data(a, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_EQUAL(len, TOTAL);
	CU_ASSERT_EQUAL(memcmp(got, md, TOTAL), 0);
	tl_utm_asm_free(a);
	tl_utm_asm_free(NULL);
}

static void test_hash_failure(void)
{
	enum { TOTAL = 2 * 16384 };
	static uint8_t md[TOTAL];
	struct tl_infohash ih;
	const char *why = NULL;
	make_metadata(md, TOTAL, &ih);
	struct tl_utm_asm *a = tl_utm_asm_new(&ih, TOTAL);
	uint32_t p0, p1;
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 10, &p0), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 20, &p1), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 10, p0, TOTAL, md + p0 * 16384, 16384, &why), TL_EAGAIN);
	static uint8_t forged[16384];
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 20, p1, TOTAL, forged, 16384, &why), TL_EIO);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_FALSE(tl_utm_asm_is_complete(a));
	CU_ASSERT_PTR_NULL(tl_utm_asm_data(a, &(size_t){ 0 }));
	CU_ASSERT_EQUAL(tl_utm_asm_source(a, p1), 20);
	CU_ASSERT_EQUAL(tl_utm_asm_source(a, p0), 10);
	tl_utm_asm_reset(a);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 10, &p0), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_next(a, 10, &p1), TL_OK);
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 10, p0, TOTAL, md + p0 * 16384, 16384, &why), TL_EAGAIN);
	CU_ASSERT_EQUAL(tl_utm_asm_add(a, 10, p1, TOTAL, md + p1 * 16384, 16384, &why), TL_OK);
	CU_ASSERT_TRUE(tl_utm_asm_is_complete(a));
	tl_utm_asm_free(a);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_messages),
		TL_TEST(test_assembler),
		TL_TEST(test_hash_failure),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("ut_metadata", tests);
}
