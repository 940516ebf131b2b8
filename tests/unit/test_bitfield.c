/* test_bitfield.c: the wire-order bitfield against a naive bool array. */
#include "cutest.h"
#include "prop.h"

#include <stdbool.h>

#include "codec/bitfield.h"

static void test_wire_order(void)
{
	struct tl_bitfield bf;
	const char *why = NULL;
	tl_bitfield_init(&bf, 10);
	CU_ASSERT_EQUAL(tl_bitfield_nbytes(10), 2);
	CU_ASSERT_TRUE(tl_bitfield_none(&bf));
	CU_ASSERT_TRUE(tl_bitfield_set(&bf, 0));
	CU_ASSERT_FALSE(tl_bitfield_set(&bf, 0));
	CU_ASSERT_TRUE(tl_bitfield_set(&bf, 9));
	CU_ASSERT_EQUAL(tl_bitfield_bytes(&bf)[0], 0x80);
	CU_ASSERT_EQUAL(tl_bitfield_bytes(&bf)[1], 0x40);
	CU_ASSERT_EQUAL(tl_bitfield_count(&bf), 2);
	CU_ASSERT_FALSE(tl_bitfield_get(&bf, 10)); /* past the end reads false */
	tl_bitfield_set_all(&bf);
	CU_ASSERT_TRUE(tl_bitfield_all(&bf));
	CU_ASSERT_EQUAL(tl_bitfield_bytes(&bf)[1], 0xc0); /* spare bits stay clear */
	CU_ASSERT_TRUE(tl_bitfield_unset(&bf, 9));
	CU_ASSERT_FALSE(tl_bitfield_unset(&bf, 9));
	CU_ASSERT_EQUAL(tl_bitfield_count(&bf), 9);

	static const uint8_t good[] = { 0xa5, 0x80 }, spare[] = { 0x00, 0x20 };
	CU_ASSERT_EQUAL(tl_bitfield_from_wire(&bf, good, 2, &why), 0);
	CU_ASSERT_EQUAL(tl_bitfield_count(&bf), 5);
	CU_ASSERT_TRUE(tl_bitfield_get(&bf, 8));
	CU_ASSERT_EQUAL(tl_bitfield_from_wire(&bf, spare, 2, &why), -1);
	CU_ASSERT_STRING_EQUAL(why, "bitfield has spare bits set");
	CU_ASSERT_EQUAL(tl_bitfield_from_wire(&bf, good, 1, &why), -1);
	CU_ASSERT_EQUAL(tl_bitfield_from_wire(&bf, good, 3, &why), -1);
	CU_ASSERT_EQUAL(tl_bitfield_count(&bf), 5); /* unchanged by the failures */
	tl_bitfield_clear(&bf);
	tl_bitfield_clear(NULL);

	/* zero pieces: empty everything */
	tl_bitfield_init(&bf, 0);
	CU_ASSERT_TRUE(tl_bitfield_all(&bf) && tl_bitfield_none(&bf));
	CU_ASSERT_EQUAL(tl_bitfield_from_wire(&bf, good, 0, &why), 0);
	CU_ASSERT_EQUAL(tl_bitfield_next_set(&bf, 0), 0);
	CU_ASSERT_EQUAL(tl_bitfield_next_clear(&bf, 0), 0);
	tl_bitfield_clear(&bf);
}

/* Every operation mirrored on a bool array, over sizes around byte and
 * word edges. */
static void test_against_reference(void)
{
	prop_seed();
	static const uint32_t sizes[] = { 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 1000, 4099 };
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s];
		bool *ref = calloc(n, 1);
		struct tl_bitfield bf, cp;
		tl_bitfield_init(&bf, n);
		for (int round = 0; round < 6; round++) {
			/* densities from sparse to full */
			uint32_t ops = rnd(n * 2 + 1);
			for (uint32_t k = 0; k < ops; k++) {
				uint32_t i = rnd(n);
				bool on = rnd(8) < (unsigned)round + 1;
				bool changed = on ? tl_bitfield_set(&bf, i) : tl_bitfield_unset(&bf, i);
				CU_ASSERT_EQUAL(changed, ref[i] != on);
				ref[i] = on;
			}
			uint32_t c = 0;
			for (uint32_t i = 0; i < n; i++) {
				c += ref[i];
				CU_ASSERT_EQUAL(tl_bitfield_get(&bf, i), ref[i]);
			}
			CU_ASSERT_EQUAL(tl_bitfield_count(&bf), c);
			CU_ASSERT_EQUAL(tl_bitfield_all(&bf), c == n);
			CU_ASSERT_EQUAL(tl_bitfield_none(&bf), c == 0);
			/* iteration visits exactly the set bits, in order */
			uint32_t seen = 0, prev = 0;
			for (uint32_t i = tl_bitfield_next_set(&bf, 0); i < n; i = tl_bitfield_next_set(&bf, i + 1)) {
				CU_ASSERT_TRUE(ref[i]);
				CU_ASSERT_TRUE(seen == 0 || i > prev);
				prev = i;
				seen++;
			}
			CU_ASSERT_EQUAL(seen, c);
			for (uint32_t from = 0; from <= n; from += 1 + rnd(9)) {
				uint32_t want_s = from, want_c = from;
				while (want_s < n && !ref[want_s])
					want_s++;
				while (want_c < n && ref[want_c])
					want_c++;
				CU_ASSERT_EQUAL(tl_bitfield_next_set(&bf, from), want_s);
				CU_ASSERT_EQUAL(tl_bitfield_next_clear(&bf, from), want_c);
			}
			/* wire round trip */
			const char *why = NULL;
			tl_bitfield_init(&cp, n);
			CU_ASSERT_EQUAL(tl_bitfield_from_wire(&cp, tl_bitfield_bytes(&bf), tl_bitfield_nbytes(n), &why), 0);
			CU_ASSERT_EQUAL(tl_bitfield_count(&cp), c);
			CU_ASSERT_FALSE(tl_bitfield_has_missing(&cp, &bf));
			bool bf_has_extra = false;
			uint32_t j = rnd(n);
			if (ref[j]) {
				tl_bitfield_unset(&cp, j);
				bf_has_extra = true;
			}
			CU_ASSERT_EQUAL(tl_bitfield_has_missing(&bf, &cp), bf_has_extra);
			tl_bitfield_clear(&cp);
			tl_bitfield_init_copy(&cp, &bf);
			CU_ASSERT_EQUAL(memcmp(tl_bitfield_bytes(&cp), tl_bitfield_bytes(&bf), tl_bitfield_nbytes(n)), 0);
			CU_ASSERT_EQUAL(tl_bitfield_count(&cp), c);
			tl_bitfield_clear(&cp);
		}
		tl_bitfield_set_all(&bf);
		CU_ASSERT_EQUAL(tl_bitfield_next_clear(&bf, 0), n);
		tl_bitfield_unset_all(&bf);
		CU_ASSERT_EQUAL(tl_bitfield_next_set(&bf, 0), n);
		tl_bitfield_clear(&bf);
		free(ref);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_wire_order),
		TL_TEST(test_against_reference),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("bitfield", tests);
}
