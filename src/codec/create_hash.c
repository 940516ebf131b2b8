/*
 * create_hash.c: the piece hashes of a torrent being made (BEP 3: SHA-1 of
 * each piece of the concatenated payload), computed on a pool of threads.
 *
 * Each worker claims the next run of whole pieces from an atomic counter
 * and streams the run's bytes (across file boundaries) through its own
 * READ_BYTES buffer: pread fills it, SHA-1 reads it while it is still in
 * the core's cache, one hash context per worker is restarted at each
 * piece boundary. Nothing is allocated per piece. A worker keeps one file
 * open at a time: runs are claimed in order, so it mostly reads on in the
 * file it already has, and the kernel's readahead follows it.
 *
 * Why pread and not mmap: SHA-1 reading the page cache in place through a
 * mapping saves the copy, a few percent of the CPU on the host where that
 * was first measured, but on a 2-core VM it doubled the user time, whether
 * the mapping was populated in advance or not, through 16 MiB windows or
 * of the whole file (doc/BENCHMARKS.md). The copy into a buffer that stays
 * in the core's cache costs about the same everywhere, so its worst case
 * is the better one. And a file truncated while it is read needs no SIGBUS
 * handler: pread returns short and the file is reported as shrunk.
 *
 * Threads: tl_create_hash runs on the caller's thread, starts the workers,
 * reports progress from the caller's thread and joins them before
 * returning. Workers share only the job struct (atomics, each written one
 * on its own cache line, and the mutex for the first error and the count
 * of running workers) and write disjoint 20-byte slots of the result.
 */
#include "codec/create.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bounds.h"
#include "codec/create_tree.h"
#include "base/err.h"
#include "base/mem.h"

/* Pieces are claimed in runs of about this many bytes, so each worker reads
 * its file sequentially (the kernel's readahead follows it when the data is
 * not cached) instead of every nthreads-th piece. */
#define CLAIM_BYTES (16u * 1024 * 1024)
/* Bytes per pread: small enough that the copy is still in the core's L2
 * when SHA-1 reads it back, large enough that the system call is a
 * fraction of a percent of the work; independent of the piece length. */
#define READ_BYTES (256u * 1024)
#define CACHE_LINE 64
/* Interval between progress callbacks. */
#define PROGRESS_NS 100000000L

struct job {
	const struct tl_create_tree *t;
	uint32_t piece_len;
	uint32_t npieces;
	unsigned nthreads;
	uint8_t *pieces;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned running;          /* under mu */
	int rc;                    /* first failure, under mu */
	struct tl_create_err *err; /* filled with the first failure, under mu */
	/* Written by the workers: each on its own line, away from the fields
	 * above that every worker reads. */
	_Alignas(CACHE_LINE) atomic_uint_fast32_t next; /* next piece to claim */
	_Alignas(CACHE_LINE) atomic_uint_fast64_t done; /* payload bytes hashed */
	_Alignas(CACHE_LINE) atomic_bool is_failed;
};

struct worker {
	_Alignas(CACHE_LINE) struct job *j; /* workers lie in one array */
	pthread_t tid;
	size_t fi; /* index of the open file */
	int fd;    /* -1 when none */
	uint8_t *buf; /* READ_BYTES, owned */
	struct tl_hash_ctx h; /* SHA-1 of the piece being read, owned */
};

static void fail(struct job *j, int rc, const char *path, const char *what)
{
	pthread_mutex_lock(&j->mu);
	if (j->rc == TL_OK) {
		j->rc = rc;
		tl_create_fail(j->err, "%s: %s", path, what);
	}
	pthread_mutex_unlock(&j->mu);
	atomic_store(&j->is_failed, true);
}

static void close_file(struct worker *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);
	w->fd = -1;
}

static int open_file(struct worker *w, size_t fi)
{
	if (w->fd >= 0 && w->fi == fi)
		return 0;
	close_file(w);
	const struct tl_create_file *f = &w->j->t->files[fi];
	w->fi = fi;
	w->fd = open(f->fs_path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (w->fd < 0 || fstat(w->fd, &st) != 0) {
		fail(w->j, TL_EIO, f->fs_path, strerror(errno));
		return -1;
	}
	if ((uint64_t)st.st_size < f->length) {
		fail(w->j, TL_EINVAL, f->fs_path, "the file shrank while it was being hashed");
		return -1;
	}
	(void)posix_fadvise(w->fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* a hint only */
	return 0;
}

/* Read bytes [off, off + n) of file fi into p. */
static int read_range(struct worker *w, size_t fi, uint64_t off, uint8_t *p, size_t n)
{
	if (open_file(w, fi) != 0)
		return -1;
	const char *path = w->j->t->files[fi].fs_path;
	while (n > 0) {
		ssize_t r = pread(w->fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(w->j, TL_EIO, path, strerror(errno));
			return -1;
		}
		if (r == 0) {
			fail(w->j, TL_EINVAL, path, "the file shrank while it was being hashed");
			return -1;
		}
		p += r;
		off += (uint64_t)r;
		n -= (size_t)r;
	}
	return 0;
}

/* Index of the file holding payload byte pos (pos < total): the last file
 * whose offset is <= pos. */
static size_t file_at(const struct tl_create_tree *t, uint64_t pos)
{
	size_t lo = 0, hi = t->nfiles;
	while (hi - lo > 1) { /* the last file with offset <= pos */
		size_t mid = lo + (hi - lo) / 2;
		if (t->files[mid].offset <= pos)
			lo = mid;
		else
			hi = mid;
	}
	/* It holds pos: a file ending at or before pos would be followed by
	 * one starting at or before pos, since offsets are contiguous. */
	return lo;
}

/* Fill w->buf with n payload bytes from pos on, across file boundaries.
 * *fi is a file at or before the one holding pos; it is moved on to that
 * file (past any empty ones). */
static int fill(struct worker *w, size_t *fi, uint64_t pos, size_t n)
{
	const struct tl_create_tree *t = w->j->t;
	size_t got = 0;
	while (got < n) {
		const struct tl_create_file *f = &t->files[*fi];
		uint64_t at = pos + got;
		if (at - f->offset >= f->length) { /* at >= f->offset: files are in order */
			(*fi)++; /* at < total, so a later file holds it */
			continue;
		}
		uint64_t in_file = f->length - (at - f->offset);
		size_t m = n - got < in_file ? n - got : (size_t)in_file;
		if (read_range(w, *fi, at - f->offset, w->buf + got, m) != 0)
			return -1;
		got += m;
	}
	return 0;
}

/* Hash pieces [first, first + n): read the run's bytes a buffer at a time
 * and close each piece where it ends. The hash context is between pieces
 * on entry and, when this returns 0, on return. */
static int hash_run(struct worker *w, uint32_t first, uint32_t n)
{
	struct job *j = w->j;
	const struct tl_create_tree *t = j->t;
	uint64_t pos = (uint64_t)first * j->piece_len;
	uint64_t end = (uint64_t)(first + n) * j->piece_len;
	if (end > t->total)
		end = t->total;
	uint32_t i = first;
	uint64_t piece_end = pos + j->piece_len < end ? pos + j->piece_len : end;
	size_t fi = file_at(t, pos);
	while (pos < end) {
		if (atomic_load_explicit(&j->is_failed, memory_order_relaxed))
			return -1;
		size_t len = end - pos < READ_BYTES ? (size_t)(end - pos) : READ_BYTES;
		if (fill(w, &fi, pos, len) != 0)
			return -1;
		const uint8_t *p = w->buf;
		while (len > 0) {
			size_t m = piece_end - pos < len ? (size_t)(piece_end - pos) : len;
			tl_hash_update(&w->h, p, m);
			p += m;
			pos += m;
			len -= m;
			if (pos == piece_end) {
				tl_hash_next(&w->h, j->pieces + (size_t)i * 20);
				i++;
				piece_end = pos + j->piece_len < end ? pos + j->piece_len : end;
			}
		}
		atomic_fetch_add_explicit(&j->done, (size_t)(p - w->buf), memory_order_relaxed);
	}
	return 0;
}

/* Claim the next run of pieces: CLAIM_BYTES worth while plenty are left,
 * fewer towards the end so the workers finish together. Returns false when
 * none are left. */
static bool claim(struct job *j, uint32_t *first_out, uint32_t *count_out)
{
	uint_fast32_t cur = atomic_load(&j->next);
	for (;;) {
		if (cur >= j->npieces)
			return false;
		uint32_t n = CLAIM_BYTES / j->piece_len;
		uint32_t fair = (uint32_t)(j->npieces - cur) / (2 * j->nthreads);
		if (n > fair)
			n = fair;
		if (n == 0)
			n = 1;
		if (atomic_compare_exchange_weak(&j->next, &cur, cur + n)) {
			*first_out = (uint32_t)cur;
			*count_out = n;
			return true;
		}
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->j;
	/* Allocated here, on the thread that uses them (and on its NUMA node). */
	w->buf = tl_malloc_aligned(4096, READ_BYTES);
	tl_sha1_init(&w->h);
	uint32_t first, n;
	while (claim(j, &first, &n))
		if (hash_run(w, first, n) != 0)
			break;
	tl_hash_clear(&w->h);
	free(w->buf);
	w->buf = NULL;
	close_file(w);
	pthread_mutex_lock(&j->mu);
	j->running--;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* Wait for the workers, calling progress every PROGRESS_NS. */
static void wait_workers(struct job *j, tl_create_progress_fn progress, void *arg)
{
	pthread_mutex_lock(&j->mu);
	while (j->running > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PROGRESS_NS;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&j->cv, &j->mu, &ts);
		if (progress && j->running > 0) {
			pthread_mutex_unlock(&j->mu);
			progress(atomic_load(&j->done), j->t->total, arg);
			pthread_mutex_lock(&j->mu);
		}
	}
	pthread_mutex_unlock(&j->mu);
}

int tl_create_hash(const struct tl_create_tree *t, uint32_t piece_len, unsigned nthreads,
    tl_create_progress_fn progress, void *progress_arg, uint8_t **pieces_out,
    struct tl_create_err *err_out)
{
	*pieces_out = NULL;
	if (piece_len < TL_MIN_PIECE_LEN || (piece_len & (piece_len - 1)) != 0) {
		tl_create_fail(err_out, "piece length %u is not a power of two >= 16 KiB", piece_len);
		return TL_EINVAL;
	}
	uint64_t np = (t->total + piece_len - 1) / piece_len;
	if (np == 0 || np * 20 > TL_MAX_TORRENT_FILE) {
		tl_create_fail(err_out, "%s: %llu pieces of %u bytes are too many for a .torrent; "
		    "use a larger --piece-size", t->root, (unsigned long long)np, piece_len);
		return TL_ELIMIT;
	}
	struct job j = { .t = t, .piece_len = piece_len, .npieces = (uint32_t)np, .err = err_out };
	j.pieces = tl_malloc((size_t)np * 20);
	atomic_init(&j.next, 0);
	atomic_init(&j.done, 0);
	atomic_init(&j.is_failed, false);
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	if (nthreads == 0)
		nthreads = online_cpus();
	if (nthreads > np)
		nthreads = (unsigned)np;
	j.nthreads = nthreads;
	struct worker *ws = tl_malloc_aligned(CACHE_LINE, nthreads * sizeof(*ws));
	memset(ws, 0, nthreads * sizeof(*ws));
	unsigned started = 0;
	pthread_mutex_lock(&j.mu);
	for (; started < nthreads; started++) {
		struct worker *w = &ws[started];
		w->j = &j;
		w->fd = -1;
		if (pthread_create(&w->tid, NULL, worker_main, w) != 0)
			break; /* go on with the workers we have */
		j.running++;
	}
	pthread_mutex_unlock(&j.mu);
	int rc = TL_OK;
	if (started == 0) {
		tl_create_fail(err_out, "cannot start a hashing thread");
		rc = TL_EIO;
	}
	wait_workers(&j, progress, progress_arg);
	for (unsigned i = 0; i < started; i++)
		pthread_join(ws[i].tid, NULL);
	free(ws);
	if (rc == TL_OK)
		rc = j.rc;
	if (rc == TL_OK && progress)
		progress(t->total, t->total, progress_arg);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	if (rc != TL_OK) {
		free(j.pieces);
		return rc;
	}
	*pieces_out = j.pieces;
	return TL_OK;
}
