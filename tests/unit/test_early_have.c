/* test_early_have.c: piece sets kept before the piece count is known
 * (early_have.h): the bounds at receipt, and installing them against the
 * real count (length, spare bits, HAVE index, HAVE_ALL/HAVE_NONE), with a
 * property test against a naive reference. */
#include "cutest.h"

#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "proto/early_have.h"
#include "base/err.h"

static void test_nothing_and_none(void)
{
	struct tl_early_have eh = { 0 };
	struct tl_bitfield bf;
	const char *why = NULL;
	tl_bitfield_init(&bf, 10);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 0);
	tl_early_have_none(&eh);
	CU_ASSERT_EQUAL(eh.base, TL_EARLY_NONE);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 0);
	/* HAVE after HAVE_NONE adds to it */
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 9, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 1);
	CU_ASSERT_TRUE(tl_bitfield_get(&bf, 9));
	tl_bitfield_clear(&bf);
	tl_early_have_clear(&eh);
	CU_ASSERT_EQUAL(eh.base, TL_EARLY_NOTHING);
	CU_ASSERT_PTR_NULL(eh.haves);
}

static void test_all(void)
{
	struct tl_early_have eh = { 0 };
	struct tl_bitfield bf;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 3, &why), TL_OK);
	tl_early_have_all(&eh);
	tl_bitfield_init(&bf, 13);
	tl_bitfield_set(&bf, 2); /* apply replaces what out held */
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_TRUE(tl_bitfield_all(&bf));
	CU_ASSERT_EQUAL(bf.count, 13);
	/* still in range against the real count: HAVE of the last piece */
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 12, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 13);
	/* a HAVE past the real count is refused even on top of HAVE_ALL */
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 13, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "have index out of range");
	CU_ASSERT_EQUAL(bf.count, 0);
	tl_bitfield_clear(&bf);
	tl_early_have_clear(&eh);
}

static void test_bitfield_lengths(void)
{
	struct tl_early_have eh = { 0 };
	struct tl_bitfield bf;
	const char *why = NULL;
	const uint8_t bits[2] = { 0xa0, 0x80 }; /* pieces 0, 2, 8 of 9 */
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, bits, 2, &why), TL_OK);
	tl_bitfield_init(&bf, 9);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 3);
	CU_ASSERT_TRUE(tl_bitfield_get(&bf, 0) && tl_bitfield_get(&bf, 2) && tl_bitfield_get(&bf, 8));
	tl_bitfield_clear(&bf);
	/* right length for 16 pieces, but 17 need 3 bytes; 8 need 1 */
	tl_bitfield_init(&bf, 17);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(bf.count, 0);
	tl_bitfield_clear(&bf);
	tl_bitfield_init(&bf, 8);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_EINVAL);
	tl_bitfield_clear(&bf);
	/* for 10 pieces bits 10..15 are spare: bit 15 set */
	const uint8_t spare[2] = { 0x00, 0x01 };
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, spare, 2, &why), TL_OK);
	tl_bitfield_init(&bf, 10);
	why = NULL;
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why);
	tl_bitfield_clear(&bf);
	/* receipt bounds */
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, bits, 0, &why), TL_EINVAL);
	uint8_t *big = calloc(TL_EARLY_MAX_BITFIELD_LEN + 1, 1);
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, big, TL_EARLY_MAX_BITFIELD_LEN + 1, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, big, TL_EARLY_MAX_BITFIELD_LEN, &why), TL_OK);
	CU_ASSERT_EQUAL(eh.nbits, TL_EARLY_MAX_BITFIELD_LEN);
	free(big);
	tl_early_have_clear(&eh);
}

static void test_bitfield_replaces_haves(void)
{
	struct tl_early_have eh = { 0 };
	struct tl_bitfield bf;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 100, &why), TL_OK); /* out of range for 9 */
	const uint8_t bits[2] = { 0x80, 0x00 };
	CU_ASSERT_EQUAL(tl_early_have_bitfield(&eh, bits, 2, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 4, &why), TL_OK);
	tl_bitfield_init(&bf, 9);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_EQUAL(bf.count, 2);
	CU_ASSERT_TRUE(tl_bitfield_get(&bf, 0) && tl_bitfield_get(&bf, 4));
	tl_bitfield_clear(&bf);
	tl_early_have_clear(&eh);
}

static void test_have_bounds(void)
{
	struct tl_early_have eh = { 0 };
	struct tl_bitfield bf;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, TL_EARLY_MAX_PIECES, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, UINT32_MAX, &why), TL_EINVAL);
	CU_ASSERT_PTR_NULL(eh.haves);
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, TL_EARLY_MAX_PIECES - 1, &why), TL_OK);
	CU_ASSERT_TRUE(eh.nhaves <= TL_EARLY_MAX_BITFIELD_LEN);
	/* in the spare bits of the last byte: index 10 of 10 pieces */
	tl_early_have_clear(&eh);
	CU_ASSERT_EQUAL(tl_early_have_have(&eh, 10, &why), TL_OK);
	tl_bitfield_init(&bf, 10);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_EINVAL);
	tl_bitfield_clear(&bf);
	tl_bitfield_init(&bf, 11);
	CU_ASSERT_EQUAL(tl_early_have_apply(&eh, &bf, &why), TL_OK);
	CU_ASSERT_TRUE(tl_bitfield_get(&bf, 10));
	tl_bitfield_clear(&bf);
	tl_early_have_clear(&eh);
}

/* Random HAVEs (and sometimes a base) against a plain bool array. */
static void test_property(void)
{
	uint64_t x = tl_test_seed() | 1;
	for (int round = 0; round < 300; round++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t n = 1 + (uint32_t)(x % 3000);
		bool ref[3100] = { false };
		bool is_bad = false;
		struct tl_early_have eh = { 0 };
		const char *why = NULL;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (x % 3 == 0) {
			tl_early_have_all(&eh);
			for (uint32_t i = 0; i < n; i++)
				ref[i] = true;
		}
		int k = (int)(x >> 8) % 200;
		for (int j = 0; j < k; j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* mostly in range, now and then just past it */
			uint32_t idx = (x & 63) == 0 ? n + (uint32_t)(x >> 10) % 100 : (uint32_t)(x >> 10) % n;
			CU_ASSERT_EQUAL_FATAL(tl_early_have_have(&eh, idx, &why), TL_OK);
			if (idx >= n)
				is_bad = true;
			else
				ref[idx] = true;
		}
		struct tl_bitfield bf;
		tl_bitfield_init(&bf, n);
		int rc = tl_early_have_apply(&eh, &bf, &why);
		CU_ASSERT_EQUAL(rc, is_bad ? TL_EINVAL : TL_OK);
		uint32_t cnt = 0;
		for (uint32_t i = 0; i < n; i++) {
			cnt += ref[i];
			if (!is_bad)
				CU_ASSERT_EQUAL_FATAL(tl_bitfield_get(&bf, i), ref[i]);
		}
		CU_ASSERT_EQUAL(bf.count, is_bad ? 0 : cnt);
		tl_bitfield_clear(&bf);
		tl_early_have_clear(&eh);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_nothing_and_none),
		TL_TEST(test_all),
		TL_TEST(test_bitfield_lengths),
		TL_TEST(test_bitfield_replaces_haves),
		TL_TEST(test_have_bounds),
		TL_TEST(test_property),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("early_have", tests);
}
