/* test_resume.c: the resume file: round trip, refusal of other torrents
 * and malformed files, the start plan (trusted, partial and full
 * rechecks), atomic writes and the save job on a real disk pool. */
#include "cutest.h"
#include "engine_fixture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "io/diskio.h"
#include "base/err.h"
#include "codec/layout.h"
#include "engine/resume.h"

static const struct fx_file files3[] = { { "a", 40000, false }, { ".pad/x", 9152, true },
	{ "b", 20000, false }, { "c", 1, false } };

static void test_round_trip(void)
{
	struct tl_infohash ih = { { 1, 2, 3 } };
	uint8_t have[2] = { 0xa5, 0x80 }; /* 9 pieces */
	struct tl_resume_file f[2] = { { 100, 123456789012345 }, { -1, 0 } };
	uint8_t *p;
	size_t len;
	tl_resume_encode(&ih, have, 9, f, 2, &p, &len);
	struct tl_resume r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_resume_decode(p, len, &ih, 9, 2, &r, &why), TL_OK);
	CU_ASSERT_EQUAL(memcmp(r.have, have, 2), 0);
	CU_ASSERT_EQUAL(r.files[0].size, 100);
	CU_ASSERT_EQUAL(r.files[0].mtime_ns, 123456789012345);
	CU_ASSERT_EQUAL(r.files[1].size, -1);
	tl_resume_clear(&r);

	struct tl_infohash other = { { 9 } };
	CU_ASSERT_EQUAL(tl_resume_decode(p, len, &other, 9, 2, &r, &why), TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "resume file of another torrent");
	CU_ASSERT_EQUAL(tl_resume_decode(p, len, &ih, 17, 2, &r, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_resume_decode(p, len, &ih, 9, 3, &r, &why), TL_EINVAL);
	/* every truncation is refused */
	for (size_t cut = 0; cut < len; cut++)
		CU_ASSERT_EQUAL(tl_resume_decode(p, cut, &ih, 9, 2, &r, &why), TL_EINVAL);
	free(p);

	uint8_t spare[2] = { 0xff, 0xc0 }; /* 9 pieces: 0x40 is a spare bit */
	tl_resume_encode(&ih, spare, 9, f, 2, &p, &len);
	CU_ASSERT_EQUAL(tl_resume_decode(p, len, &ih, 9, 2, &r, &why), TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "spare bits set in the piece bitfield");
	free(p);

	static const char *const bad[] = { "le", "d7:versioni2ee", "i1e",
		"d5:filesle8:infohash3:abc6:pieces2:\xa5\x80" "7:versioni1ee" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(tl_resume_decode((const uint8_t *)bad[i], strlen(bad[i]), &ih, 9, 2,
		    &r, &why), TL_EINVAL);
}

static void test_plan(void)
{
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files3, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	CU_ASSERT_EQUAL_FATAL(l.npieces, 5); /* a: 0-2, pad: 2, b: 3-4, c: 4 */
	uint8_t have_rec[1] = { 0x90 };       /* pieces 0 and 3 */
	struct tl_resume_file rec[4] = { { 40000, 10 }, { -1, 0 }, { 20000, 20 }, { 1, 30 } };
	struct tl_resume r = { .have = have_rec, .files = rec };
	struct tl_resume_file cur[4];
	memcpy(cur, rec, sizeof(cur));
	uint8_t have[1], check[1];

	/* all the same: trusted, nothing to check */
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0x90);
	CU_ASSERT_EQUAL(check[0], 0);

	/* b was written after the checkpoint: its missing piece 4 is checked */
	cur[2].mtime_ns = 99;
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0x90);
	CU_ASSERT_EQUAL(check[0], 0x08);
	/* a moved too: pieces 1 and 2 */
	cur[0].mtime_ns = 99;
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(check[0], 0x68);

	/* a size changed: full recheck, nothing trusted */
	cur[0].size = 1;
	CU_ASSERT_FALSE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0);
	CU_ASSERT_EQUAL(check[0], 0xf8);
	/* no resume file */
	CU_ASSERT_FALSE(tl_resume_plan(&l, NULL, cur, have, check));
	CU_ASSERT_EQUAL(check[0], 0xf8);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
}

static void save_done(struct tl_disk_job *j)
{
	(void)j;
}

/* Save pieces 0 and 3 as verified through a disk job, file 0 as of
 * unknown mtime when is_unknown0; returns its rc. */
static int save(struct tl_disk *disk, struct tl_disk_store *st, const struct tl_metainfo *mi,
    const char *path, bool is_quiescent, bool is_unknown0)
{
	struct tl_resume_save *sv = tl_calloc(1, sizeof(*sv));
	sv->path = tl_strdup(path);
	sv->store = st;
	sv->nfiles = 4;
	sv->infohash = mi->infohash;
	sv->npieces = 5;
	sv->have = tl_malloc(1);
	sv->have[0] = 0x90;
	sv->is_quiescent = is_quiescent;
	if (is_unknown0) {
		sv->is_unknown = tl_calloc(4, sizeof(*sv->is_unknown));
		sv->is_unknown[0] = true;
	}
	struct tl_disk_job j = { .op = TL_DISK_CALL, .work = tl_resume_save_work, .arg = sv,
		.done = save_done };
	tl_disk_submit(disk, &j);
	tl_disk_flush(disk);
	int rc = sv->rc;
	tl_resume_save_free(sv);
	return rc;
}

static void test_save_and_load(void)
{
	char *dir = fx_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	struct tl_metainfo *mi = fx_metainfo("t", 16384, files3, 4, true);
	struct tl_layout l;
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&l, mi), TL_OK);
	struct event_base *base = event_base_new();
	struct tl_disk *disk = tl_disk_new(base, 2);
	const char *why = NULL;
	struct tl_disk_store *st = tl_disk_store_new(mi, &l, dir, true, 4, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);

	/* write pieces 0 and 3 */
	uint8_t *buf = tl_malloc(16384);
	struct tl_disk_job j;
	for (uint32_t i = 0; i < 5; i += 3) {
		uint32_t len;
		fx_piece(mi, i, buf, &len);
		memset(&j, 0, sizeof(j));
		j.op = TL_DISK_WRITE;
		j.store = st;
		j.piece = i;
		j.buf = buf;
		j.done = save_done;
		tl_disk_submit(disk, &j);
		tl_disk_flush(disk);
		CU_ASSERT_EQUAL(j.status, TL_DISK_OK);
	}
	char path[4200];
	snprintf(path, sizeof(path), "%s/t.resume", dir);
	CU_ASSERT_EQUAL(save(disk, st, mi, path, true, false), TL_OK);

	uint8_t *p;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(tl_resume_read(path, &p, &len), TL_OK);
	struct tl_resume r;
	CU_ASSERT_EQUAL_FATAL(tl_resume_decode(p, len, &mi->infohash, 5, 4, &r, &why), TL_OK);
	free(p);
	struct tl_resume_file cur[4];
	tl_resume_stat_files(st, 4, cur);
	CU_ASSERT_EQUAL(cur[0].size, 40000);
	CU_ASSERT_EQUAL(cur[1].size, -1);
	uint8_t have[1], check[1];
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0x90);
	CU_ASSERT_EQUAL(check[0], 0);
	tl_resume_clear(&r);
	char tmp[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CU_ASSERT_NOT_EQUAL(access(tmp, F_OK), 0);
	snprintf(tmp, sizeof(tmp), "%s/none", dir);
	CU_ASSERT_EQUAL(tl_resume_read(tmp, &p, &len), TL_ENOENT);

	/* not quiescent: the files just written are recorded as unknown, so
	 * the next start re-verifies their missing pieces */
	CU_ASSERT_EQUAL(save(disk, st, mi, path, false, false), TL_OK);
	CU_ASSERT_EQUAL_FATAL(tl_resume_read(path, &p, &len), TL_OK);
	CU_ASSERT_EQUAL_FATAL(tl_resume_decode(p, len, &mi->infohash, 5, 4, &r, &why), TL_OK);
	free(p);
	CU_ASSERT_EQUAL(r.files[0].mtime_ns, -1);
	CU_ASSERT_EQUAL(r.files[1].size, -1);
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0x90);
	CU_ASSERT_EQUAL(check[0], 0x68); /* pieces 1, 2 (a) and 4 (b, c) */
	tl_resume_clear(&r);

	/* quiescent, but file 0 holds pieces not yet hashed (seed mode): its
	 * mtime is unknown, so the next start verifies its missing pieces; the
	 * other files keep theirs */
	CU_ASSERT_EQUAL(save(disk, st, mi, path, true, true), TL_OK);
	CU_ASSERT_EQUAL_FATAL(tl_resume_read(path, &p, &len), TL_OK);
	CU_ASSERT_EQUAL_FATAL(tl_resume_decode(p, len, &mi->infohash, 5, 4, &r, &why), TL_OK);
	free(p);
	CU_ASSERT_EQUAL(r.files[0].mtime_ns, -1);
	for (size_t i = 1; i < 4; i++)
		CU_ASSERT(r.files[i].size < 0 || r.files[i].mtime_ns == cur[i].mtime_ns);
	CU_ASSERT_TRUE(tl_resume_plan(&l, &r, cur, have, check));
	CU_ASSERT_EQUAL(have[0], 0x90);
	CU_ASSERT_EQUAL(check[0], 0x60); /* pieces 1, 2 (a) */
	tl_resume_clear(&r);

	free(buf);
	tl_disk_free(disk);
	tl_disk_store_free(st);
	event_base_free(base);
	tl_layout_clear(&l);
	fx_metainfo_free(mi);
	fx_rmtree(dir);
	free(dir);
}

int main(void)
{
	evthread_use_pthreads();
	CU_TestInfo tests[] = { TL_TEST(test_round_trip), TL_TEST(test_plan),
		TL_TEST(test_save_and_load), CU_TEST_INFO_NULL };
	return tl_test_run("resume", tests);
}
