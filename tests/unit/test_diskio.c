/* test_diskio.c: the disk pool against a real temp dir: a 3-file torrent
 * with a pad file written piece by piece and read back, hash failures that
 * write nothing, rechecks, sparse preallocation, completions through the
 * event loop, reads hashed as they are made (seed mode), and a symlink
 * planted in the tree that must not be followed. */
#include "cutest.h"
#include "engine_fixture.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "io/diskio.h"
#include "base/err.h"
#include "codec/layout.h"

struct fx {
	char *dir;
	struct tl_metainfo *mi;
	struct tl_layout l;
	struct event_base *base;
	struct tl_disk *disk;
	struct tl_disk_store *store;
	uint8_t **pieces;
	uint32_t *lens;
};

static int ndone;
static void count_done(struct tl_disk_job *j)
{
	(void)j;
	ndone++;
}

static void fx_open(struct fx *x, const struct fx_file *files, size_t n, uint32_t piece_len)
{
	memset(x, 0, sizeof(*x));
	x->dir = fx_tmpdir();
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->dir);
	x->mi = fx_metainfo("tor", piece_len, files, n, true);
	CU_ASSERT_EQUAL_FATAL(tl_layout_init(&x->l, x->mi), TL_OK);
	x->pieces = tl_calloc(x->mi->npieces, sizeof(*x->pieces));
	x->lens = tl_calloc(x->mi->npieces, sizeof(*x->lens));
	for (uint32_t i = 0; i < x->mi->npieces; i++) {
		x->pieces[i] = tl_malloc(piece_len);
		fx_piece(x->mi, i, x->pieces[i], &x->lens[i]);
	}
	x->base = event_base_new();
	x->disk = tl_disk_new(x->base, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->disk);
	const char *why = NULL;
	x->store = tl_disk_store_new(x->mi, &x->l, x->dir, true, 2, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->store);
}

static void fx_close(struct fx *x)
{
	tl_disk_free(x->disk);
	tl_disk_store_free(x->store);
	event_base_free(x->base);
	for (uint32_t i = 0; i < x->mi->npieces; i++)
		free(x->pieces[i]);
	free(x->pieces);
	free(x->lens);
	tl_layout_clear(&x->l);
	fx_metainfo_free(x->mi);
	fx_rmtree(x->dir);
	free(x->dir);
}

static void submit(struct fx *x, struct tl_disk_job *j, enum tl_disk_op op, uint32_t piece,
    uint8_t *buf)
{
	memset(j, 0, sizeof(*j));
	j->op = op;
	j->store = x->store;
	j->piece = piece;
	j->buf = buf;
	j->done = count_done;
	tl_disk_submit(x->disk, j);
}

static off_t file_size(const char *dir, const char *rel)
{
	char p[4200];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0 ? st.st_size : -1;
}

/* Pages of the first len bytes of dir/rel that are in the page cache. */
static size_t cached_pages(const char *dir, const char *rel, size_t len)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	int fd = open(p, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CU_ASSERT_FATAL(m != MAP_FAILED);
	unsigned char vec[256];
	size_t n = len / 4096, cached = 0;
	CU_ASSERT_FATAL(n <= sizeof(vec));
	CU_ASSERT_EQUAL_FATAL(mincore(m, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		cached += vec[i] & 1;
	munmap(m, len);
	close(fd);
	return cached;
}

/* Whether dir's file system takes O_DIRECT (tmpfs does not). */
static bool takes_direct(const char *dir)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/probe", dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_DIRECT, 0600);
	if (fd >= 0)
		close(fd);
	unlink(p);
	return fd >= 0;
}

/* A verified 256 KiB piece goes to the disk past the page cache, unless
 * the store is told otherwise (--no-direct-io); a 16 KiB piece always goes
 * through the cache. mincore tells which pages are cached. */
static void test_direct_writes(void)
{
	static const struct fx_file big[] = { { "big.bin", 2 * 262144, false } };
	static const struct fx_file small[] = { { "small.bin", 2 * 16384, false } };
	struct { const struct fx_file *f; uint32_t plen; bool is_direct, is_cached; } cases[] = {
		{ big, 262144, true, false },
		{ big, 262144, false, true },
		{ small, 16384, true, true },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fx x;
		fx_open(&x, cases[c].f, 1, cases[c].plen);
		tl_disk_store_set_direct(x.store, cases[c].is_direct);
		void *buf = NULL;
		CU_ASSERT_EQUAL_FATAL(posix_memalign(&buf, 4096, cases[c].plen), 0);
		memcpy(buf, x.pieces[0], x.lens[0]);
		struct tl_disk_job j;
		ndone = 0;
		submit(&x, &j, TL_DISK_WRITE, 0, buf);
		tl_disk_flush(x.disk);
		CU_ASSERT_EQUAL(ndone, 1);
		CU_ASSERT_EQUAL(j.status, TL_DISK_OK);
		char rel[64];
		snprintf(rel, sizeof(rel), "tor/%s", cases[c].f[0].path);
		size_t cached = cached_pages(x.dir, rel, cases[c].plen);
		if (cases[c].is_cached) {
			CU_ASSERT_EQUAL(cached, cases[c].plen / 4096);
		} else if (takes_direct(x.dir)) {
			CU_ASSERT_EQUAL(cached, 0);
		}
		/* either way the bytes are there */
		submit(&x, &j, TL_DISK_VERIFY, 0, NULL);
		tl_disk_flush(x.disk);
		CU_ASSERT_EQUAL(j.status, TL_DISK_OK);
		free(buf);
		fx_close(&x);
	}
}

static const struct fx_file three[] = { { "a.bin", 40000, false }, { "sub/b.bin", 5000, false },
	{ ".pad/2000", 2000, true }, { "sub/deep/c.bin", 70000, false }, { "empty", 0, false } };

static void test_write_read_verify(void)
{
	struct fx x;
	fx_open(&x, three, 5, 16384);
	uint32_t np = x.mi->npieces;
	CU_ASSERT_EQUAL(np, 8);
	struct tl_disk_job *jobs = tl_calloc(np, sizeof(*jobs));

	/* before anything is written every piece fails verification */
	ndone = 0;
	for (uint32_t i = 0; i < np; i++)
		submit(&x, &jobs[i], TL_DISK_VERIFY, i, NULL);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(ndone, (int)np);
	for (uint32_t i = 0; i < np; i++)
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_HASH_FAIL);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/a.bin"), -1); /* verify creates nothing */

	/* write every piece; completions arrive through the event loop */
	ndone = 0;
	for (uint32_t i = 0; i < np; i++) {
		submit(&x, &jobs[i], TL_DISK_WRITE, i, x.pieces[i]);
	}
	while (ndone < (int)np)
		event_base_loop(x.base, EVLOOP_ONCE);
	for (uint32_t i = 0; i < np; i++)
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_OK);
	CU_ASSERT_EQUAL(tl_disk_write_backlog(x.disk), 0);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/a.bin"), 40000);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/sub/b.bin"), 5000);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/sub/deep/c.bin"), 70000);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/.pad/2000"), -1); /* pad never written */
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/empty"), -1);

	/* the bytes on disk are the torrent's bytes */
	char p[4200];
	snprintf(p, sizeof(p), "%s/tor/sub/deep/c.bin", x.dir);
	FILE *f = fopen(p, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	int bad = 0;
	for (uint64_t k = 0; k < 70000; k++)
		if ((uint8_t)fgetc(f) != fx_byte(47000 + k))
			bad++;
	fclose(f);
	CU_ASSERT_EQUAL(bad, 0);

	/* recheck: all pass; a read of a block crossing files and the pad */
	for (uint32_t i = 0; i < np; i++)
		submit(&x, &jobs[i], TL_DISK_VERIFY, i, NULL);
	uint8_t blk[16384];
	struct tl_disk_job rj;
	memset(&rj, 0, sizeof(rj));
	rj.op = TL_DISK_READ;
	rj.store = x.store;
	rj.piece = 2;
	rj.begin = 10000;
	rj.len = 6384;
	rj.buf = blk;
	rj.done = count_done;
	tl_disk_submit(x.disk, &rj);
	tl_disk_flush(x.disk);
	for (uint32_t i = 0; i < np; i++)
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_OK);
	CU_ASSERT_EQUAL(rj.status, TL_DISK_OK);
	CU_ASSERT_EQUAL(memcmp(blk, x.pieces[2] + 10000, 6384), 0);

	/* sync and stat */
	struct tl_disk_job sj;
	submit(&x, &sj, TL_DISK_SYNC, 0, NULL);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(sj.status, TL_DISK_OK);
	uint64_t size;
	int64_t mt;
	CU_ASSERT_EQUAL(tl_disk_store_stat(x.store, 3, &size, &mt), 0);
	CU_ASSERT_EQUAL(size, 70000);
	CU_ASSERT(mt > 0);
	CU_ASSERT_EQUAL(tl_disk_store_stat(x.store, 2, &size, &mt), -1);
	CU_ASSERT_STRING_EQUAL(tl_disk_store_path(x.store, 1), "tor/sub/b.bin");
	free(jobs);
	fx_close(&x);
}

static void test_hash_failure_writes_nothing(void)
{
	struct fx x;
	fx_open(&x, three, 5, 16384);
	struct tl_disk_job j;
	x.pieces[0][100] ^= 1;
	ndone = 0;
	submit(&x, &j, TL_DISK_WRITE, 0, x.pieces[0]);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(ndone, 1);
	CU_ASSERT_EQUAL(j.status, TL_DISK_HASH_FAIL);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/a.bin"), -1);
	/* the good piece next to it still lands, sparse at full length */
	submit(&x, &j, TL_DISK_WRITE, 1, x.pieces[1]);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(j.status, TL_DISK_OK);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/a.bin"), 40000);
	submit(&x, &j, TL_DISK_VERIFY, 0, NULL);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(j.status, TL_DISK_HASH_FAIL);
	submit(&x, &j, TL_DISK_VERIFY, 1, NULL);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(j.status, TL_DISK_OK);
	fx_close(&x);
}

/* A hashed READ (seed mode) checks the bytes it read: a whole intact
 * piece passes with its bytes; a byte changed on disk, or a read that is
 * not the whole piece, is a HASH_FAIL; a plain READ never hashes. */
static void test_hashed_read(void)
{
	struct fx x;
	fx_open(&x, three, 5, 16384);
	struct tl_disk_job j;
	submit(&x, &j, TL_DISK_WRITE, 1, x.pieces[1]);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL_FATAL(j.status, TL_DISK_OK);
	uint8_t *buf = tl_malloc(16384);
	struct { uint32_t begin, len; bool is_hashed; enum tl_disk_status want; } cases[] = {
		{ 0, 16384, true, TL_DISK_OK },
		{ 0, 16000, true, TL_DISK_HASH_FAIL },
		{ 384, 16000, true, TL_DISK_HASH_FAIL },
		{ 0, 16384, false, TL_DISK_OK },
	};
	for (int damaged = 0; damaged < 2; damaged++) {
		if (damaged) {
			char p[4200];
			snprintf(p, sizeof(p), "%s/tor/a.bin", x.dir);
			int fd = open(p, O_WRONLY);
			CU_ASSERT_FATAL(fd >= 0);
			uint8_t b = (uint8_t)(x.pieces[1][3616] ^ 0x40);
			CU_ASSERT_EQUAL_FATAL(pwrite(fd, &b, 1, 16384 + 3616), 1);
			close(fd);
		}
		for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
			memset(buf, 0, 16384);
			memset(&j, 0, sizeof(j));
			j.op = TL_DISK_READ;
			j.store = x.store;
			j.piece = 1;
			j.begin = cases[c].begin;
			j.len = cases[c].len;
			j.buf = buf;
			j.is_hashed = cases[c].is_hashed;
			j.done = count_done;
			tl_disk_submit(x.disk, &j);
			tl_disk_flush(x.disk);
			enum tl_disk_status want = cases[c].want;
			if (damaged && cases[c].is_hashed)
				want = TL_DISK_HASH_FAIL;
			CU_ASSERT_EQUAL(j.status, want);
			if (j.status == TL_DISK_OK)
				CU_ASSERT_EQUAL(memcmp(buf, x.pieces[1] + cases[c].begin, cases[c].len) == 0,
				    !damaged);
		}
	}
	free(buf);
	fx_close(&x);
}

static void test_symlink_not_followed(void)
{
	struct fx x;
	fx_open(&x, three, 5, 16384);
	char outside[4200], link[4200], tor[4200];
	snprintf(outside, sizeof(outside), "%s/outside", x.dir);
	snprintf(tor, sizeof(tor), "%s/tor", x.dir);
	snprintf(link, sizeof(link), "%s/tor/sub", x.dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(outside, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(tor, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(outside, link), 0);
	/* piece 2 holds the tail of a.bin and all of sub/b.bin */
	struct tl_disk_job j;
	submit(&x, &j, TL_DISK_WRITE, 2, x.pieces[2]);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(j.status, TL_DISK_IO_ERROR);
	/* the owner gets the reason and the file to log (the pool stays quiet) */
	CU_ASSERT_NOT_EQUAL(j.sys_err, 0);
	CU_ASSERT_EQUAL(j.err_file, 1);
	CU_ASSERT_EQUAL(file_size(x.dir, "outside/b.bin"), -1);
	/* and a symlink as the file itself */
	char target[4200], flink[4200];
	snprintf(target, sizeof(target), "%s/outside/victim", x.dir);
	snprintf(flink, sizeof(flink), "%s/tor/a.bin", x.dir);
	unlink(flink); /* the write above created it before failing on sub/ */
	CU_ASSERT_EQUAL_FATAL(symlink(target, flink), 0);
	/* a fresh store: the old one still holds the unlinked file open */
	tl_disk_store_free(x.store);
	const char *why = NULL;
	x.store = tl_disk_store_new(x.mi, &x.l, x.dir, true, 2, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.store);
	submit(&x, &j, TL_DISK_WRITE, 0, x.pieces[0]);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(j.status, TL_DISK_IO_ERROR);
	CU_ASSERT_EQUAL(j.sys_err, ELOOP);
	CU_ASSERT_EQUAL(j.err_file, 0);
	CU_ASSERT_EQUAL(file_size(x.dir, "outside/victim"), -1);
	fx_close(&x);
}

static void test_many_files_small_cache(void)
{
	/* 40 files of 1000 bytes, fd cache of 2: every piece spans many */
	struct fx_file files[40];
	char names[40][16];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof(names[i]), "d%d/f%d", i % 3, i);
		files[i].path = names[i];
		files[i].length = 1000 + (uint64_t)i;
		files[i].is_pad = false;
	}
	struct fx x;
	fx_open(&x, files, 40, 16384);
	struct tl_disk_job *jobs = tl_calloc(x.mi->npieces, sizeof(*jobs));
	for (uint32_t i = 0; i < x.mi->npieces; i++) {
		submit(&x, &jobs[i], TL_DISK_WRITE, i, x.pieces[i]);
	}
	tl_disk_flush(x.disk);
	for (uint32_t i = 0; i < x.mi->npieces; i++) {
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_OK);
		submit(&x, &jobs[i], TL_DISK_VERIFY, i, NULL);
	}
	tl_disk_flush(x.disk);
	for (uint32_t i = 0; i < x.mi->npieces; i++)
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_OK);
	CU_ASSERT_EQUAL(file_size(x.dir, "tor/d2/f38"), 1038);
	free(jobs);
	fx_close(&x);
}

static size_t open_fds(void)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* An idle store gives its descriptors back: files no worker uses and
 * none waits for a sync are closed, and open again when next read. */
static void test_close_idle(void)
{
	struct fx_file files[2] = { { "a", 20000, false }, { "b", 30000, false } };
	struct fx x;
	fx_open(&x, files, 2, 16384);
	struct tl_disk_job *jobs = tl_calloc(x.mi->npieces, sizeof(*jobs));
	for (uint32_t i = 0; i < x.mi->npieces; i++)
		submit(&x, &jobs[i], TL_DISK_WRITE, i, x.pieces[i]);
	tl_disk_flush(x.disk);
	size_t before = open_fds();
	/* written, not synced yet: kept open for the sync */
	CU_ASSERT_EQUAL(tl_disk_store_close_idle(x.store), 0);
	submit(&x, &jobs[0], TL_DISK_SYNC, 0, NULL);
	tl_disk_flush(x.disk);
	CU_ASSERT_EQUAL(tl_disk_store_close_idle(x.store), 2);
	CU_ASSERT_EQUAL(open_fds(), before - 2);
	CU_ASSERT_EQUAL(tl_disk_store_close_idle(x.store), 0);
	for (uint32_t i = 0; i < x.mi->npieces; i++)
		submit(&x, &jobs[i], TL_DISK_VERIFY, i, NULL);
	tl_disk_flush(x.disk);
	for (uint32_t i = 0; i < x.mi->npieces; i++)
		CU_ASSERT_EQUAL(jobs[i].status, TL_DISK_OK);
	CU_ASSERT_EQUAL(tl_disk_store_close_idle(x.store), 2); /* read: opened again */
	free(jobs);
	fx_close(&x);
}

int main(void)
{
	evthread_use_pthreads();
	CU_TestInfo tests[] = { TL_TEST(test_write_read_verify),
		TL_TEST(test_hash_failure_writes_nothing), TL_TEST(test_hashed_read),
		TL_TEST(test_symlink_not_followed),
		TL_TEST(test_many_files_small_cache), TL_TEST(test_direct_writes), TL_TEST(test_close_idle),
		CU_TEST_INFO_NULL };
	return tl_test_run("diskio", tests);
}
