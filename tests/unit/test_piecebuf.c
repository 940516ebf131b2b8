/* test_piecebuf.c: spare piece buffers: reuse, alignment, the cap on
 * spares and the byte bound of the upload side. */
#include "cutest.h"

#include "engine/piecebuf.h"

static void test_reuse_and_cap(void)
{
	struct tl_piecebuf pb;
	tl_piecebuf_init(&pb, 16384);
	uint8_t *b[TL_PIECEBUF_SPARE + 2];
	for (size_t i = 0; i < TL_PIECEBUF_SPARE + 2; i++) {
		b[i] = tl_piecebuf_get(&pb);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b[i]);
		CU_ASSERT_EQUAL((uintptr_t)b[i] % TL_PIECEBUF_ALIGN, 0);
		memset(b[i], (int)i, 16384); /* the whole piece is usable */
	}
	CU_ASSERT_EQUAL(pb.nspare, 0);
	for (size_t i = 0; i < TL_PIECEBUF_SPARE + 2; i++)
		tl_piecebuf_put(&pb, b[i]);
	CU_ASSERT_EQUAL(pb.nspare, TL_PIECEBUF_SPARE); /* the rest were freed */
	/* the last kept comes back first */
	CU_ASSERT_PTR_EQUAL(tl_piecebuf_get(&pb), b[TL_PIECEBUF_SPARE - 1]);
	CU_ASSERT_EQUAL(pb.nspare, TL_PIECEBUF_SPARE - 1);
	tl_piecebuf_put(&pb, b[TL_PIECEBUF_SPARE - 1]);
	tl_piecebuf_clear(&pb);
	CU_ASSERT_EQUAL(pb.nspare, 0);
	tl_piecebuf_clear(&pb);
}

static void test_within_bytes(void)
{
	struct tl_piecebuf pb;
	tl_piecebuf_init(&pb, 1u << 20);
	uint8_t *b[4];
	for (size_t i = 0; i < 4; i++)
		b[i] = tl_piecebuf_get(&pb);
	/* 2.5 MiB of spares at most: two 1 MiB buffers */
	for (size_t i = 0; i < 4; i++)
		tl_piecebuf_put_within(&pb, b[i], 5u << 19);
	CU_ASSERT_EQUAL(pb.nspare, 2);
	/* a piece larger than the bound: one is still kept */
	tl_piecebuf_clear(&pb);
	tl_piecebuf_init(&pb, 8u << 20);
	b[0] = tl_piecebuf_get(&pb);
	b[1] = tl_piecebuf_get(&pb);
	tl_piecebuf_put_within(&pb, b[0], 4u << 20);
	tl_piecebuf_put_within(&pb, b[1], 4u << 20);
	CU_ASSERT_EQUAL(pb.nspare, 1);
	tl_piecebuf_clear(&pb);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_reuse_and_cap),
		TL_TEST(test_within_bytes),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("piecebuf", tests);
}
