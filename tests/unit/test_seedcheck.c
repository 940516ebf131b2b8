/* test_seedcheck.c: seed mode without the disk pool: which file refuses
 * --no-check, which pieces stay unverified, where the background pass
 * looks next, and what a damaged piece is counted as. */
#include "cutest.h"

#include "engine_fixture.h"

#include "base/err.h"
#include "codec/layout.h"
#include "engine/seedcheck.h"

/* piece 2 ends in padding; b is empty; c holds pieces 3 and 4 */
static const struct fx_file files4[] = { { "a", 40000, false }, { ".pad/x", 9152, true },
	{ "b", 0, false }, { "c", 20000, false } };

static void test_first_bad(void)
{
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files4, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	static const struct {
		int64_t size[4];
		size_t bad;
	} v[] = {
		{ { 40000, -1, -1, 20000 }, 4 }, /* padding and empty files need not exist */
		{ { 40001, 0, 0, 30000 }, 4 },   /* longer is fine */
		{ { -1, -1, -1, 20000 }, 0 },    /* missing */
		{ { 39999, -1, -1, 20000 }, 0 }, /* short by a byte */
		{ { 40000, -1, -1, 19999 }, 3 },
		{ { 40000, 9152, 0, -1 }, 3 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tl_resume_file cur[4];
		for (size_t k = 0; k < 4; k++)
			cur[k] = (struct tl_resume_file){ .size = v[i].size[k], .mtime_ns = 1 };
		CU_ASSERT_EQUAL(tl_seedcheck_first_bad(&l, cur), v[i].bad);
	}
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void test_next_wraps(void)
{
	struct tl_bitfield bf;
	tl_bitfield_init(&bf, 20);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 0), 20);
	tl_bitfield_set(&bf, 3);
	tl_bitfield_set(&bf, 17);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 0), 3);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 4), 17);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 18), 3);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 20), 3);
	CU_ASSERT_EQUAL(tl_seedcheck_next(&bf, 25), 3);
	tl_bitfield_clear(&bf);
}

struct rec {
	unsigned drops, changes, damages;
	bool is_had;
	uint32_t last;
};

static bool rec_drop(void *arg, uint32_t index)
{
	struct rec *r = arg;
	r->drops++;
	r->last = index;
	bool was = r->is_had;
	r->is_had = false;
	return was;
}

static void rec_changed(void *arg)
{
	((struct rec *)arg)->changes++;
}

static void rec_damaged(void *arg, uint32_t index)
{
	struct rec *r = arg;
	r->damages++;
	CU_ASSERT_EQUAL(index, r->last);
}

static const struct tl_seedcheck_ops rec_ops = { rec_drop, rec_changed, rec_damaged };

static void test_plan_and_damage(void)
{
	char *dir = fx_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files4, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	CU_ASSERT_EQUAL_FATAL(l.npieces, 5);
	const char *why0 = NULL;
	struct tl_disk_store *st = tl_disk_store_new(mi, &l, dir, false, 4, &why0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	struct tl_peer *peers = NULL;
	struct rec r = { 0 };
	struct tl_seedcheck sc;
	tl_seedcheck_init(&sc, NULL, st, &l, "t", NULL, &peers, &rec_ops, &r);

	/* c is short: refused, naming it; nothing unverified */
	struct tl_resume_file cur[4] = { { 40000, 1 }, { -1, 0 }, { -1, 0 }, { 100, 1 } };
	uint8_t trusted[1] = { 0x50 }; /* pieces 1 and 3 */
	char *why = NULL;
	CU_ASSERT_EQUAL(tl_seedcheck_plan(&sc, trusted, cur, &why), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "/c is short (100 of 20000 bytes)"));
	CU_ASSERT_EQUAL(sc.unverified.count, 0);
	free(why);
	tl_seedcheck_clear(&sc);

	cur[3].size = -1;
	why = NULL;
	CU_ASSERT_EQUAL(tl_seedcheck_plan(&sc, trusted, cur, &why), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(why && strstr(why, "/c is missing"));
	free(why);
	tl_seedcheck_clear(&sc);

	/* all there: what is not trusted is unverified */
	cur[3].size = 20000;
	why = NULL;
	CU_ASSERT_EQUAL(tl_seedcheck_plan(&sc, trusted, cur, &why), TL_OK);
	CU_ASSERT_PTR_NULL(why);
	CU_ASSERT_EQUAL(sc.unverified.count, 3);
	CU_ASSERT(tl_bitfield_get(&sc.unverified, 0) && tl_bitfield_get(&sc.unverified, 2) &&
	    tl_bitfield_get(&sc.unverified, 4));

	/* before the check is over the background pass does nothing (up is
	 * NULL: it would crash if it looked) */
	tl_seedcheck_more(&sc);
	CU_ASSERT_FALSE(sc.is_verifying);

	tl_seedcheck_verified(&sc, 0);
	CU_ASSERT_EQUAL(sc.unverified.count, 2);
	CU_ASSERT_EQUAL(r.changes, 1);

	/* a damaged piece that was had: counted, named by its first file */
	r.is_had = true;
	tl_seedcheck_damaged(&sc, 4);
	CU_ASSERT_EQUAL(r.drops, 1);
	CU_ASSERT_EQUAL(r.damages, 1);
	CU_ASSERT_EQUAL(sc.damaged, 1);
	CU_ASSERT_EQUAL(sc.last_damaged, 4);
	CU_ASSERT_FALSE(tl_bitfield_get(&sc.unverified, 4));
	CU_ASSERT_PTR_NOT_NULL(sc.last_damaged_file && strstr(sc.last_damaged_file, "/c"));
	/* found again (no longer had): not counted twice */
	tl_seedcheck_damaged(&sc, 4);
	CU_ASSERT_EQUAL(r.drops, 2);
	CU_ASSERT_EQUAL(r.damages, 1);
	CU_ASSERT_EQUAL(sc.damaged, 1);
	/* piece 2 starts in a */
	r.is_had = true;
	tl_seedcheck_damaged(&sc, 2);
	CU_ASSERT_EQUAL(sc.damaged, 2);
	CU_ASSERT_EQUAL(sc.last_damaged, 2);
	CU_ASSERT_PTR_NOT_NULL(sc.last_damaged_file && strstr(sc.last_damaged_file, "/a"));
	CU_ASSERT_EQUAL(sc.unverified.count, 0);

	tl_seedcheck_stop(&sc);
	tl_seedcheck_begin(&sc);
	tl_seedcheck_more(&sc);
	CU_ASSERT_FALSE(sc.is_verifying);
	tl_seedcheck_clear(&sc);
	tl_disk_store_free(st);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
	fx_rmtree(dir);
	free(dir);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_first_bad),
		TL_TEST(test_next_wraps),
		TL_TEST(test_plan_and_damage),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("seedcheck", tests);
}
