/* test_startcheck.c: the startup check's planning and the checkpoint's
 * snapshot, without the disk pool: which pieces are read at start, and
 * what a resume file records in seed mode. */
#include "cutest.h"

#include "engine_fixture.h"

#include "base/err.h"
#include "codec/layout.h"
#include "engine/checkpoint.h"
#include "engine/startcheck.h"

/* pieces of 16384: 0..2 in a (2 ends in padding), b empty, 3..4 in c */
static const struct fx_file files4[] = { { "a", 40000, false }, { ".pad/x", 9152, true },
	{ "b", 0, false }, { "c", 20000, false } };

static void test_skip_absent(void)
{
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files4, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	CU_ASSERT_EQUAL_FATAL(l.npieces, 5);
	static const struct {
		int64_t size[4];
		uint8_t in, out;
		uint32_t total;
	} v[] = {
		{ { 40000, 9152, 0, 20000 }, 0xf8, 0xf8, 5 },
		{ { -1, 9152, 0, 20000 }, 0xf8, 0x18, 2 }, /* a absent: its pieces skipped */
		{ { 40000, -1, -1, -1 }, 0xf8, 0xe0, 3 },  /* padding holds no data */
		{ { 0, 9152, 0, 20000 }, 0xf8, 0x18, 2 },  /* an empty file holds none either */
		{ { 40000, 9152, 0, 20000 }, 0x48, 0x48, 2 }, /* what is not to check stays out */
		{ { -1, -1, -1, -1 }, 0xf8, 0x00, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct tl_resume_file cur[4];
		for (size_t k = 0; k < 4; k++)
			cur[k] = (struct tl_resume_file){ .size = v[i].size[k], .mtime_ns = 1 };
		struct tl_bitfield bf;
		tl_bitfield_init(&bf, l.npieces);
		bf.bits[0] = v[i].in;
		bf.count = (uint32_t)__builtin_popcount(v[i].in);
		CU_ASSERT_EQUAL(tl_startcheck_skip_absent(&l, cur, &bf), v[i].total);
		CU_ASSERT_EQUAL(bf.bits[0], v[i].out);
		CU_ASSERT_EQUAL(bf.count, v[i].total);
		tl_bitfield_clear(&bf);
	}
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void test_snapshot(void)
{
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files4, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	struct tl_bitfield have, unv;
	tl_bitfield_init(&have, l.npieces);
	tl_bitfield_init(&unv, l.npieces);
	for (uint32_t i = 0; i < 5; i++)
		if (i != 1)
			tl_bitfield_set(&have, i);

	/* nothing unverified: have as it is, no file unknown */
	struct tl_resume_save sv = { 0 };
	tl_checkpoint_snapshot(&l, &have, &unv, &sv);
	CU_ASSERT_EQUAL(sv.nfiles, 4);
	CU_ASSERT_EQUAL(sv.npieces, 5);
	CU_ASSERT_EQUAL(sv.have[0], 0xb8);
	CU_ASSERT_PTR_NULL(sv.is_unknown);
	free(sv.have);

	/* piece 4 unverified: left out, and c (only c) recorded unknown */
	tl_bitfield_set(&unv, 4);
	sv = (struct tl_resume_save){ 0 };
	tl_checkpoint_snapshot(&l, &have, &unv, &sv);
	CU_ASSERT_EQUAL(sv.have[0], 0xb0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sv.is_unknown);
	CU_ASSERT(!sv.is_unknown[0] && !sv.is_unknown[1] && !sv.is_unknown[2] && sv.is_unknown[3]);
	free(sv.have);
	free(sv.is_unknown);

	/* piece 2 (a, then padding): a unknown, the padding never */
	tl_bitfield_unset(&unv, 4);
	tl_bitfield_set(&unv, 2);
	sv = (struct tl_resume_save){ 0 };
	tl_checkpoint_snapshot(&l, &have, &unv, &sv);
	CU_ASSERT_EQUAL(sv.have[0], 0x98);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sv.is_unknown);
	CU_ASSERT(sv.is_unknown[0] && !sv.is_unknown[1] && !sv.is_unknown[2] && !sv.is_unknown[3]);
	free(sv.have);
	free(sv.is_unknown);

	tl_bitfield_clear(&have);
	tl_bitfield_clear(&unv);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void saved_nop(void *arg)
{
	(void)arg;
}

static void test_checkpoint_turns(void)
{
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files4, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	struct tl_checkpoint ck;
	/* no state directory: no resume file, so never started nor retried */
	tl_checkpoint_init(&ck, NULL, NULL, &l, &mi->infohash, "t", NULL, saved_nop, NULL);
	struct tl_bitfield have, unv;
	tl_bitfield_init(&have, l.npieces);
	tl_bitfield_init(&unv, l.npieces);
	ck.is_dirty = true;
	CU_ASSERT_FALSE(tl_checkpoint_start(&ck, &have, &unv, false));
	CU_ASSERT_FALSE(tl_checkpoint_stop_retry(&ck));
	/* due once dirty and TL_CHECKPOINT_S after the last */
	ck.last_ms = 1000;
	CU_ASSERT_FALSE(tl_checkpoint_is_due(&ck, 1000 + TL_CHECKPOINT_S * 1000 - 1));
	CU_ASSERT_TRUE(tl_checkpoint_is_due(&ck, 1000 + TL_CHECKPOINT_S * 1000));
	ck.is_dirty = false;
	CU_ASSERT_FALSE(tl_checkpoint_is_due(&ck, 1000 + TL_CHECKPOINT_S * 1000));
	/* with a path: TL_CHECKPOINT_STOP_SAVES tries at stop, then none */
	ck.path = tl_strdup("/nonexistent/x.resume");
	ck.is_dirty = true;
	for (unsigned i = 0; i < TL_CHECKPOINT_STOP_SAVES; i++)
		CU_ASSERT_TRUE(tl_checkpoint_stop_retry(&ck));
	CU_ASSERT_FALSE(tl_checkpoint_stop_retry(&ck));
	tl_checkpoint_clear(&ck);
	CU_ASSERT_PTR_NULL(ck.path);
	tl_bitfield_clear(&have);
	tl_bitfield_clear(&unv);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_skip_absent),
		TL_TEST(test_snapshot),
		TL_TEST(test_checkpoint_turns),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("startcheck", tests);
}
