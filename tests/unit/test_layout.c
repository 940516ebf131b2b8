/* test_layout.c: mapping pieces onto files (pieces over 3 files, empty
 * files, pad files, > 4 GiB offsets), file selection, and a property test
 * of the iterator against a naive byte-by-byte reference. */
#include "cutest.h"
#include "engine_fixture.h"

#include "base/err.h"
#include "codec/layout.h"

static size_t map(const struct tl_layout *l, uint32_t piece, uint32_t begin, uint32_t len,
    struct tl_layout_seg *segs, size_t max)
{
	struct tl_layout_iter it;
	size_t n = 0;
	tl_layout_iter_init(&it, l, piece, begin, len);
	while (n < max && tl_layout_iter_next(&it, &segs[n]))
		n++;
	return n;
}

static void test_piece_over_three_files(void)
{
	/* piece 1 = bytes 16384..32767: tail of a, all of b, head of c */
	const struct fx_file f[] = { { "a", 20000, false }, { "b", 5000, false },
		{ "c", 30000, false } };
	struct tl_metainfo *mi = fx_metainfo("t", 16384, f, 3, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	CU_ASSERT_EQUAL(l.npieces, 4);
	CU_ASSERT_EQUAL(tl_layout_piece_len(&l, 3), 55000 - 3 * 16384);
	struct tl_layout_seg s[8];
	CU_ASSERT_EQUAL_FATAL(map(&l, 1, 0, 16384, s, 8), 3);
	CU_ASSERT(s[0].file == 0 && s[0].file_off == 16384 && s[0].len == 3616);
	CU_ASSERT(s[1].file == 1 && s[1].file_off == 0 && s[1].len == 5000);
	CU_ASSERT(s[2].file == 2 && s[2].file_off == 0 && s[2].len == 16384 - 3616 - 5000);
	/* a block inside piece 1 that starts in b */
	CU_ASSERT_EQUAL_FATAL(map(&l, 1, 4000, 1000, s, 8), 1);
	CU_ASSERT(s[0].file == 1 && s[0].file_off == 384 && s[0].len == 1000);
	CU_ASSERT_EQUAL(l.files[2].first_piece, 1);
	CU_ASSERT_EQUAL(l.files[2].last_piece, 3);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void test_empty_and_pad_files(void)
{
	const struct fx_file f[] = { { "e0", 0, false }, { "a", 100, false },
		{ ".pad/16284", 16284, true }, { "e1", 0, false }, { "b", 10, false },
		{ "e2", 0, false } };
	struct tl_metainfo *mi = fx_metainfo("t", 16384, f, 6, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	CU_ASSERT_EQUAL(l.npieces, 2);
	struct tl_layout_seg s[8];
	CU_ASSERT_EQUAL_FATAL(map(&l, 0, 0, 16384, s, 8), 2);
	CU_ASSERT(s[0].file == 1 && s[0].len == 100 && !s[0].is_pad);
	CU_ASSERT(s[1].file == 2 && s[1].len == 16284 && s[1].is_pad);
	CU_ASSERT_EQUAL_FATAL(map(&l, 1, 0, 10, s, 8), 1);
	CU_ASSERT(s[0].file == 4 && s[0].file_off == 0 && s[0].len == 10);
	CU_ASSERT_EQUAL(tl_layout_file_at(&l, 0), 1);
	CU_ASSERT_EQUAL(tl_layout_file_at(&l, 16384), 4);
	/* zero-length request maps to nothing */
	CU_ASSERT_EQUAL(map(&l, 1, 10, 0, s, 8), 0);

	bool wanted[6] = { true, true, true, true, true, true };
	uint8_t pw[1];
	const char *why = NULL;
	const char *const paths[] = { "e0", "a", ".pad/16284", "e1", "b", "e2" };
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "4", true, wanted, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_layout_wanted_pieces(&l, wanted, pw), 1);
	CU_ASSERT_EQUAL(pw[0], 0x40);
	/* pad files never count, even when "wanted" */
	bool only_pad[6] = { false, false, true, false, false, false };
	CU_ASSERT_EQUAL(tl_layout_wanted_pieces(&l, only_pad, pw), 0);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void test_big_offsets(void)
{
	/* 5 GiB + 3 files; piece size 4 MiB */
	const uint64_t gib = 1ull << 30;
	const struct fx_file f[] = { { "big", 5 * gib + 1, false }, { "mid", 3 * gib, false },
		{ "end", 12345, false } };
	struct tl_metainfo *mi = fx_metainfo("t", 4u << 20, f, 3, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	uint64_t total = 8 * gib + 1 + 12345;
	CU_ASSERT_EQUAL(l.total_len, total);
	uint32_t boundary = (uint32_t)((5 * gib) / (4u << 20)); /* piece holding byte 5 GiB */
	struct tl_layout_seg s[4];
	CU_ASSERT_EQUAL_FATAL(map(&l, boundary, 0, 4u << 20, s, 4), 2);
	CU_ASSERT(s[0].file == 0 && s[0].file_off == 5 * gib && s[0].len == 1);
	CU_ASSERT(s[1].file == 1 && s[1].file_off == 0 && s[1].len == (4u << 20) - 1);
	uint32_t last = l.npieces - 1;
	uint32_t llen = tl_layout_piece_len(&l, last);
	CU_ASSERT_EQUAL(llen, (uint32_t)(total - (uint64_t)last * (4u << 20)));
	size_t n = map(&l, last, 0, llen, s, 4);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT(s[1].file == 2 && s[1].len == 12345);
	CU_ASSERT_EQUAL(s[0].file_off + s[0].len, 3 * gib);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void test_bad_tiling(void)
{
	const struct fx_file f[] = { { "a", 100, false } };
	struct tl_metainfo *mi = fx_metainfo("t", 16384, f, 1, false);
	struct tl_layout l;
	mi->files[0].offset = 1;
	CU_ASSERT_EQUAL(tl_layout_init(&l, mi), TL_EINVAL);
	mi->files[0].offset = 0;
	mi->npieces = 2;
	CU_ASSERT_EQUAL(tl_layout_init(&l, mi), TL_EINVAL);
	mi->npieces = 1;
	mi->total_len = 200;
	CU_ASSERT_EQUAL(tl_layout_init(&l, mi), TL_EINVAL);
	fx_metainfo_free(mi);
}

static void test_select(void)
{
	const struct fx_file f[] = { { "doc/a.txt", 10, false }, { "doc/b.pdf", 10, false },
		{ "c.txt", 10, false }, { "d.bin", 10, false } };
	struct tl_metainfo *mi = fx_metainfo("t", 16384, f, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	const char *const paths[] = { "doc/a.txt", "doc/b.pdf", "c.txt", "d.bin" };
	const char *why = NULL;
	bool w[4] = { true, true, true, true };
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "*.txt", true, w, &why), TL_OK);
	CU_ASSERT(w[0] && !w[1] && w[2] && !w[3]);
	bool w2[4] = { true, true, true, true };
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "1-2,doc/*", false, w2, &why), TL_OK);
	CU_ASSERT(!w2[0] && !w2[1] && !w2[2] && w2[3]);
	bool w3[4] = { true, true, true, true };
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "4", true, w3, &why), TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "file index out of range");
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "0,,1", true, w3, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "2-1", true, w3, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_layout_select(&l, paths, "1-", true, w3, &why), TL_EINVAL);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

/* Random layouts: every byte of every random range maps to the file a
 * naive scan finds, in order, with no gaps. */
static void test_property_iter(void)
{
	uint64_t seed = tl_test_seed();
	srandom((unsigned)seed);
	for (int round = 0; round < 200; round++) {
		struct fx_file f[12];
		char names[12][8];
		size_t n = 1 + (size_t)random() % 12;
		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "f%zu", i);
			f[i].path = names[i];
			f[i].length = (random() % 4 == 0) ? 0 : (uint64_t)(random() % 70000);
			f[i].is_pad = random() % 5 == 0;
		}
		f[n - 1].length += 1;
		struct tl_metainfo *mi = fx_metainfo("t", 16384, f, n, true);
		struct tl_layout l;
		CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
		for (int q = 0; q < 20; q++) {
			uint32_t piece = (uint32_t)random() % l.npieces;
			uint32_t plen = tl_layout_piece_len(&l, piece);
			uint32_t begin = (uint32_t)random() % (plen + 1);
			uint32_t len = (uint32_t)random() % (plen - begin + 1);
			struct tl_layout_iter it;
			struct tl_layout_seg s;
			uint64_t off = (uint64_t)piece * l.piece_len + begin, mapped = 0;
			tl_layout_iter_init(&it, &l, piece, begin, len);
			while (tl_layout_iter_next(&it, &s)) {
				CU_ASSERT_FATAL(s.len > 0);
				/* naive: the file holding off */
				size_t k = 0;
				while (!(off >= mi->files[k].offset &&
				    off - mi->files[k].offset < mi->files[k].length))
					k++;
				CU_ASSERT_EQUAL(s.file, k);
				CU_ASSERT_EQUAL(s.file_off, off - mi->files[k].offset);
				CU_ASSERT(s.file_off + s.len <= mi->files[k].length);
				CU_ASSERT_EQUAL(s.is_pad, mi->files[k].is_pad);
				off += s.len;
				mapped += s.len;
			}
			CU_ASSERT_EQUAL(mapped, len);
		}
		tl_layout_clear(&l);
		fx_metainfo_free(mi);
	}
}

int main(void)
{
	CU_TestInfo tests[] = { TL_TEST(test_piece_over_three_files), TL_TEST(test_empty_and_pad_files),
		TL_TEST(test_big_offsets), TL_TEST(test_bad_tiling), TL_TEST(test_select),
		TL_TEST(test_property_iter), CU_TEST_INFO_NULL };
	return tl_test_run("layout", tests);
}
