/*
 * create_hash.c: the piece hashes of a torrent being made (BEP 3: SHA-1 of
 * each piece of the concatenated payload), computed on a pool of threads.
 *
 * Each worker claims the next run of whole pieces from an atomic counter
 * and hashes each piece's byte range (across file boundaries) straight from
 * the page cache through a sliding mmap window (mapview.h): no copy into a
 * buffer. A file that is shorter than when it was scanned, or is truncated
 * while it is hashed (SIGBUS, caught by the guard), is an error, never a
 * crash. A worker keeps one file open at a time: runs are claimed in order,
 * so it mostly reads on in the file it already has.
 *
 * Threads: tl_create_hash runs on the caller's thread, starts the workers,
 * reports progress from the caller's thread and joins them before
 * returning. Workers share only the job struct (atomics, and the mutex for
 * the first error and the count of running workers).
 */
#include "create.h"

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

#include "bounds.h"
#include "create_tree.h"
#include "err.h"
#include "mapview.h"
#include "mem.h"

/* Pieces are claimed in runs of about this many bytes, so each worker reads
 * its file sequentially (the kernel's readahead follows it when the data is
 * not cached) instead of every nthreads-th piece. */
#define CLAIM_BYTES (16u * 1024 * 1024)
/* Interval between progress callbacks. */
#define PROGRESS_NS 100000000L

struct job {
	const struct tl_create_tree *t;
	uint32_t piece_len;
	uint32_t npieces;
	unsigned nthreads;
	uint8_t *pieces;
	atomic_uint_fast32_t next; /* next piece to claim */
	atomic_uint_fast64_t done; /* payload bytes hashed */
	atomic_bool is_failed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned running;          /* under mu */
	int rc;                    /* first failure, under mu */
	struct tl_create_err *err; /* filled with the first failure, under mu */
};

struct worker {
	struct job *j;
	pthread_t tid;
	size_t fi; /* index of the open file */
	int fd;    /* -1 when none */
	struct tl_mapview view; /* of fd */
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
	tl_mapview_clear(&w->view);
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
	tl_mapview_init(&w->view, w->fd, f->length);
	return 0;
}

/* Hash bytes [off, off + n) of file fi into h. */
static int hash_range(struct worker *w, struct tl_hash_ctx *h, size_t fi, uint64_t off, size_t n)
{
	if (open_file(w, fi) != 0)
		return -1;
	const char *path = w->j->t->files[fi].fs_path;
	const uint8_t *p = tl_mapview_get(&w->view, off, n);
	if (!p) {
		fail(w->j, TL_EIO, path, strerror(errno));
		return -1;
	}
	if (tl_mapguard_hash(h, p, n) != 0) {
		fail(w->j, TL_EINVAL, path, "the file shrank while it was being hashed");
		return -1;
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

static int hash_piece(struct worker *w, uint32_t i)
{
	const struct tl_create_tree *t = w->j->t;
	uint64_t pos = (uint64_t)i * w->j->piece_len;
	uint64_t left = t->total - pos < w->j->piece_len ? t->total - pos : w->j->piece_len;
	size_t fi = file_at(t, pos);
	struct tl_hash_ctx h;
	tl_sha1_init(&h);
	while (left > 0) {
		const struct tl_create_file *f = &t->files[fi];
		uint64_t in_file = f->offset + f->length - pos;
		if (f->length == 0 || in_file == 0) {
			fi++;
			continue;
		}
		size_t n = (size_t)left;
		if (n > in_file)
			n = (size_t)in_file;
		if (hash_range(w, &h, fi, pos - f->offset, n) != 0) {
			uint8_t scratch[20];
			tl_hash_final(&h, scratch);
			return -1;
		}
		pos += n;
		left -= n;
		atomic_fetch_add_explicit(&w->j->done, n, memory_order_relaxed);
	}
	tl_hash_final(&h, w->j->pieces + (size_t)i * 20);
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
	uint32_t first, n;
	while (claim(j, &first, &n)) {
		for (uint32_t i = first; i < first + n; i++)
			if (atomic_load_explicit(&j->is_failed, memory_order_relaxed) ||
			    hash_piece(w, i) != 0)
				goto done;
	}
done:
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
	if (tl_mapguard_install() != 0) {
		tl_create_fail(err_out, "cannot install the SIGBUS guard: %s", strerror(errno));
		return TL_EIO;
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
	struct worker *ws = tl_calloc(nthreads, sizeof(*ws));
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
	for (unsigned i = 0; i < started; i++) {
		pthread_join(ws[i].tid, NULL);
		close_file(&ws[i]);
	}
	free(ws);
	tl_mapguard_remove();
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
