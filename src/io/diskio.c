/* diskio.c: see diskio.h. */
#include "io/diskio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/digest.h"
#include "base/err.h"
#include "codec/layout.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"

/* O_DIRECT: offsets, lengths and buffers aligned to this (a page; the
 * logical block size of common file systems divides it). */
#define DIRECT_ALIGN 4096u
/* Writes shorter than this stay buffered. A direct write waits for the
 * device (about 0.1 ms here even for 32 KiB) and the writes of one store
 * take turns, so small pieces are faster through the page cache: a 50 MiB
 * download in 32 KiB pieces took 0.27 s all direct and 0.17 s this way;
 * 1 MiB pieces are several times cheaper direct. */
#define DIRECT_MIN (256u * 1024)

struct job_list {
	struct tl_disk_job *head;
	struct tl_disk_job *tail;
};

struct tl_disk {
	pthread_mutex_t mu;
	pthread_cond_t work_cv; /* a job was queued, or stop */
	pthread_cond_t idle_cv; /* pending reached 0 */
	struct job_list reads;  /* READ and CALL: served first */
	struct job_list writes; /* WRITE, VERIFY, SYNC */
	struct job_list done;
	size_t pending;         /* submitted and not yet on the done list */
	uint64_t write_backlog;
	bool is_stopping;
	struct event *done_ev;
	pthread_t *threads;
	unsigned nthreads;
};

struct open_file {
	int fd;
	int direct_fd;   /* O_DIRECT, for aligned writes; -1: not open, -2: unsupported */
	unsigned users;  /* workers using fd right now: never evicted while > 0 */
	uint64_t stamp;  /* LRU clock at the last use */
};

struct tl_disk_store {
	unsigned jobs;          /* submitted, done callback not run yet (loop thread) */
	const struct tl_metainfo *mi;
	const struct tl_layout *l;
	int root_fd;
	bool is_writable;
	bool is_direct; /* O_DIRECT for writes of DIRECT_MIN bytes or more */
	char **paths;           /* relative to root_fd, '/'-joined sanitised components */
	/* Held around a WRITE's pwrites: two workers writing one file at once
	 * contend on the inode lock in the kernel, which spins. One writes
	 * while the other hashes its piece. */
	pthread_mutex_t write_mu;
	pthread_mutex_t mu;     /* guards everything below */
	struct open_file *files; /* nfiles entries; fd -1 when closed */
	bool *is_dirty;         /* written since the last SYNC */
	size_t *open_list;      /* indexes of open files, nopen of them */
	size_t nopen;
	size_t max_open;
	uint64_t clock;
};

static void list_push(struct job_list *q, struct tl_disk_job *j)
{
	j->next = NULL;
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
}

static struct tl_disk_job *list_pop(struct job_list *q)
{
	struct tl_disk_job *j = q->head;
	if (j) {
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		j->next = NULL;
	}
	return j;
}

/* ---- the file table ---- */

/* Open dir components of rel (all but the last) below root, creating them
 * when asked; returns a directory fd and the last component in *leaf. */
static int open_parent(int root_fd, const char *rel, bool create, const char **leaf)
{
	int dfd = dup(root_fd);
	if (dfd < 0)
		return -1;
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		if (!slash)
			break;
		char comp[TL_MAX_PATH_COMPONENT + 1];
		size_t n = (size_t)(slash - p);
		if (n == 0 || n > TL_MAX_PATH_COMPONENT) {
			close(dfd);
			errno = EINVAL;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(dfd, comp, 0755) != 0 && errno != EEXIST) {
				close(dfd);
				return -1;
			}
			next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int saved = errno;
		close(dfd);
		if (next < 0) {
			errno = saved;
			return -1;
		}
		dfd = next;
		p = slash + 1;
	}
	*leaf = p;
	return dfd;
}

static int open_file(struct tl_disk_store *s, size_t i, bool for_write)
{
	const char *leaf;
	bool create = for_write && s->is_writable;
	int dfd = open_parent(s->root_fd, s->paths[i], create, &leaf);
	if (dfd < 0)
		return -1;
	int flags = (s->is_writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC;
	if (create)
		flags |= O_CREAT;
	int fd = openat(dfd, leaf, flags, 0644);
	int saved = errno;
	close(dfd);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	/* Sparse preallocation: never shrink what is there. */
	uint64_t want = s->l->files[i].length;
	if (create && (uint64_t)st.st_size < want && ftruncate(fd, (off_t)want) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Take a descriptor for file i (reference held until release_fd). A
 * missing file opened for reading gives -1 with errno ENOENT. */
static int acquire_fd(struct tl_disk_store *s, size_t i, bool for_write)
{
	pthread_mutex_lock(&s->mu);
	struct open_file *f = &s->files[i];
	if (f->fd < 0) {
		if (s->nopen >= s->max_open) {
			/* Evict the least recently used idle descriptor, if any;
			 * otherwise go over the cap until one is released. */
			size_t best = SIZE_MAX;
			for (size_t k = 0; k < s->nopen; k++) {
				struct open_file *o = &s->files[s->open_list[k]];
				if (o->users == 0 && (best == SIZE_MAX ||
				    o->stamp < s->files[s->open_list[best]].stamp))
					best = k;
			}
			if (best != SIZE_MAX) {
				struct open_file *o = &s->files[s->open_list[best]];
				close(o->fd);
				o->fd = -1;
				if (o->direct_fd >= 0)
					close(o->direct_fd);
				o->direct_fd = -1;
				s->open_list[best] = s->open_list[--s->nopen];
			}
		}
		int fd = open_file(s, i, for_write);
		if (fd < 0) {
			int saved = errno;
			pthread_mutex_unlock(&s->mu);
			errno = saved;
			return -1;
		}
		if (s->nopen >= s->max_open + 64) {
			/* Every descriptor is busy and far over the cap: cannot
			 * happen with fewer than 64 workers, each using one. */
			close(fd);
			pthread_mutex_unlock(&s->mu);
			errno = EMFILE;
			return -1;
		}
		f->fd = fd;
		s->open_list[s->nopen++] = i;
	}
	f->users++;
	f->stamp = ++s->clock;
	if (for_write)
		s->is_dirty[i] = true;
	int fd = f->fd;
	pthread_mutex_unlock(&s->mu);
	return fd;
}

/*
 * For a write of file i already acquired (acquire_fd): a descriptor opened
 * with O_DIRECT, or -1 when the file system refuses it. Verified pieces of
 * DIRECT_MIN bytes or more go to the disk without a copy into the page
 * cache: buffered, a download costs a page-cache copy of every byte, and
 * on a VM whose freed memory goes back to the host (free page reporting)
 * each fresh page-cache page also costs a host fault (writing 1 GiB: 1.7 s of CPU buffered, 0.11 s
 * with O_DIRECT, dd on this kind of machine). The kernel keeps the page
 * cache coherent (a direct write drops cached pages of its range).
 */
static int acquire_direct_fd(struct tl_disk_store *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	struct open_file *f = &s->files[i];
	if (f->direct_fd == -1) {
		const char *leaf;
		int dfd = open_parent(s->root_fd, s->paths[i], false, &leaf);
		int fd = dfd < 0 ? -1 :
		    openat(dfd, leaf, O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0)
			close(dfd);
		f->direct_fd = fd >= 0 ? fd : -2;
	}
	int fd = f->direct_fd;
	pthread_mutex_unlock(&s->mu);
	return fd;
}

/* File i's O_DIRECT writes failed (EINVAL: an alignment the file system
 * wants bigger than a page): write it buffered from now on. */
static void direct_unsupported(struct tl_disk_store *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	struct open_file *f = &s->files[i];
	if (f->direct_fd >= 0)
		close(f->direct_fd);
	f->direct_fd = -2;
	pthread_mutex_unlock(&s->mu);
}

static void release_fd(struct tl_disk_store *s, size_t i)
{
	pthread_mutex_lock(&s->mu);
	s->files[i].users--;
	pthread_mutex_unlock(&s->mu);
}

/* ---- the operations (worker side) ---- */

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w == 0)
			errno = ENOSPC; /* no progress and no error: nothing more fits */
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Short reads (a file shorter than the torrent says) read as zeros. */
static int pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			memset(p, 0, n);
			return 0;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* Read [begin, begin + len) of piece into buf. *is_missing_out is set when a
 * file does not exist (its bytes read as zeros). */
static enum tl_disk_status read_range(struct tl_disk_store *s, uint32_t piece, uint32_t begin,
    uint32_t len, uint8_t *buf, bool *is_missing_out)
{
	struct tl_layout_iter it;
	struct tl_layout_seg seg;
	tl_layout_iter_init(&it, s->l, piece, begin, len);
	uint8_t *p = buf;
	while (tl_layout_iter_next(&it, &seg)) {
		if (seg.is_pad) {
			memset(p, 0, seg.len);
		} else {
			int fd = acquire_fd(s, seg.file, false);
			if (fd < 0 && errno == ENOENT) {
				*is_missing_out = true;
				memset(p, 0, seg.len);
			} else if (fd < 0) {
				tl_warn("disk: open %s: %s", s->paths[seg.file], strerror(errno));
				return TL_DISK_IO_ERROR;
			} else {
				int rc = pread_all(fd, p, seg.len, seg.file_off);
				int saved = errno;
				release_fd(s, seg.file);
				if (rc != 0) {
					tl_warn("disk: read %s: %s", s->paths[seg.file], strerror(saved));
					return TL_DISK_IO_ERROR;
				}
			}
		}
		p += seg.len;
	}
	return TL_DISK_OK;
}

static bool hash_matches(const struct tl_disk_store *s, uint32_t piece, const uint8_t *p,
    uint32_t len)
{
	uint8_t md[20];
	tl_sha1(p, len, md);
	return memcmp(md, s->mi->pieces + (size_t)piece * 20, 20) == 0;
}

static enum tl_disk_status do_write(struct tl_disk_job *j)
{
	struct tl_disk_store *s = j->store;
	if (!hash_matches(s, j->piece, j->buf, j->len))
		return TL_DISK_HASH_FAIL;
	struct tl_layout_iter it;
	struct tl_layout_seg seg;
	tl_layout_iter_init(&it, s->l, j->piece, 0, j->len);
	const uint8_t *p = j->buf;
	enum tl_disk_status st = TL_DISK_OK;
	pthread_mutex_lock(&s->write_mu);
	while (st == TL_DISK_OK && tl_layout_iter_next(&it, &seg)) {
		if (!seg.is_pad) {
			int fd = acquire_fd(s, seg.file, true);
			if (fd < 0) {
				j->sys_err = errno;
				j->err_file = seg.file;
				tl_debug("disk: open %s for writing: %s", s->paths[seg.file],
				    strerror(j->sys_err));
				st = TL_DISK_IO_ERROR;
				break;
			}
			bool is_direct = s->is_direct && seg.len >= DIRECT_MIN &&
			    seg.file_off % DIRECT_ALIGN == 0 &&
			    seg.len % DIRECT_ALIGN == 0 && (uintptr_t)p % DIRECT_ALIGN == 0;
			int dfd = is_direct ? acquire_direct_fd(s, seg.file) : -1;
			int rc = -1;
			if (dfd >= 0) {
				rc = pwrite_all(dfd, p, seg.len, seg.file_off);
				if (rc != 0 && errno == EINVAL)
					direct_unsupported(s, seg.file);
			}
			if (rc != 0)
				rc = pwrite_all(fd, p, seg.len, seg.file_off);
			int saved = errno;
			release_fd(s, seg.file);
			if (rc != 0) {
				j->sys_err = saved;
				j->err_file = seg.file;
				tl_debug("disk: write %s: %s", s->paths[seg.file], strerror(saved));
				st = TL_DISK_IO_ERROR;
			}
		}
		p += seg.len;
	}
	pthread_mutex_unlock(&s->write_mu);
	return st;
}

static enum tl_disk_status do_verify(struct tl_disk_job *j)
{
	uint8_t *buf = tl_malloc(j->len);
	bool is_missing = false;
	enum tl_disk_status st = read_range(j->store, j->piece, 0, j->len, buf, &is_missing);
	if (st == TL_DISK_OK && !hash_matches(j->store, j->piece, buf, j->len))
		st = TL_DISK_HASH_FAIL;
	free(buf);
	return st;
}

static enum tl_disk_status do_sync(struct tl_disk_store *s)
{
	enum tl_disk_status st = TL_DISK_OK;
	for (size_t i = 0; i < s->l->nfiles; i++) {
		pthread_mutex_lock(&s->mu);
		bool dirty = s->is_dirty[i];
		/* Cleared before the sync: a write racing with it marks it again. */
		s->is_dirty[i] = false;
		pthread_mutex_unlock(&s->mu);
		if (!dirty)
			continue;
		int fd = acquire_fd(s, i, false);
		if (fd < 0 || fdatasync(fd) != 0) {
			tl_warn("disk: sync %s: %s", s->paths[i], strerror(errno));
			st = TL_DISK_IO_ERROR;
		}
		if (fd >= 0)
			release_fd(s, i);
	}
	return st;
}

static void run_job(struct tl_disk_job *j)
{
	bool is_missing = false;
	j->sys_err = 0;
	switch (j->op) {
	case TL_DISK_WRITE:
		j->status = do_write(j);
		break;
	case TL_DISK_READ:
		j->status = read_range(j->store, j->piece, j->begin, j->len, j->buf, &is_missing);
		if (j->status == TL_DISK_OK && is_missing)
			j->status = TL_DISK_IO_ERROR;
		if (j->status == TL_DISK_OK && j->is_hashed &&
		    (j->begin != 0 || j->len != tl_layout_piece_len(j->store->l, j->piece) ||
		    !hash_matches(j->store, j->piece, j->buf, j->len)))
			j->status = TL_DISK_HASH_FAIL;
		break;
	case TL_DISK_VERIFY:
		j->status = do_verify(j);
		break;
	case TL_DISK_SYNC:
		j->status = do_sync(j->store);
		break;
	case TL_DISK_CALL:
		j->status = TL_DISK_OK;
		j->work(j);
		break;
	}
}

static void *worker_main(void *arg)
{
	struct tl_disk *d = arg;
	pthread_mutex_lock(&d->mu);
	for (;;) {
		struct tl_disk_job *j = list_pop(&d->reads);
		if (!j)
			j = list_pop(&d->writes);
		if (!j) {
			if (d->is_stopping)
				break;
			pthread_cond_wait(&d->work_cv, &d->mu);
			continue;
		}
		pthread_mutex_unlock(&d->mu);
		run_job(j);
		pthread_mutex_lock(&d->mu);
		if (j->op == TL_DISK_WRITE)
			d->write_backlog -= j->len;
		list_push(&d->done, j);
		d->pending--;
		if (d->pending == 0)
			pthread_cond_broadcast(&d->idle_cv);
		event_active(d->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* ---- the loop side ---- */

static void run_done(struct tl_disk *d)
{
	pthread_mutex_lock(&d->mu);
	struct tl_disk_job *j = d->done.head;
	d->done.head = d->done.tail = NULL;
	pthread_mutex_unlock(&d->mu);
	while (j) {
		struct tl_disk_job *next = j->next;
		j->next = NULL;
		if (j->store)
			j->store->jobs--;
		j->done(j); /* may free j or resubmit it */
		j = next;
	}
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_done(arg);
}

struct tl_disk *tl_disk_new(struct event_base *base, unsigned nthreads)
{
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > 64)
		nthreads = 64;
	struct tl_disk *d = tl_calloc(1, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work_cv, NULL);
	pthread_cond_init(&d->idle_cv, NULL);
	d->done_ev = event_new(base, -1, 0, done_cb, d);
	if (!d->done_ev)
		abort();
	d->threads = tl_calloc(nthreads, sizeof(*d->threads));
	for (unsigned i = 0; i < nthreads; i++) {
		int rc = pthread_create(&d->threads[i], NULL, worker_main, d);
		if (rc != 0) {
			tl_err("disk: cannot start a worker thread: %s", strerror(rc));
			tl_disk_free(d);
			return NULL;
		}
		d->nthreads++;
	}
	return d;
}

void tl_disk_free(struct tl_disk *d)
{
	if (!d)
		return;
	tl_disk_flush(d);
	pthread_mutex_lock(&d->mu);
	d->is_stopping = true;
	pthread_cond_broadcast(&d->work_cv);
	pthread_mutex_unlock(&d->mu);
	for (unsigned i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	event_free(d->done_ev);
	pthread_cond_destroy(&d->idle_cv);
	pthread_cond_destroy(&d->work_cv);
	pthread_mutex_destroy(&d->mu);
	free(d->threads);
	free(d);
}

void tl_disk_submit(struct tl_disk *d, struct tl_disk_job *job)
{
	if (job->op == TL_DISK_WRITE || job->op == TL_DISK_VERIFY)
		job->len = tl_layout_piece_len(job->store->l, job->piece);
	job->status = TL_DISK_OK;
	if (job->store)
		job->store->jobs++;
	pthread_mutex_lock(&d->mu);
	d->pending++;
	if (job->op == TL_DISK_WRITE)
		d->write_backlog += job->len;
	if (job->op == TL_DISK_READ || job->op == TL_DISK_CALL)
		list_push(&d->reads, job);
	else
		list_push(&d->writes, job);
	pthread_cond_signal(&d->work_cv);
	pthread_mutex_unlock(&d->mu);
}

void tl_disk_flush(struct tl_disk *d)
{
	for (;;) {
		pthread_mutex_lock(&d->mu);
		while (d->pending > 0)
			pthread_cond_wait(&d->idle_cv, &d->mu);
		bool has_done = d->done.head != NULL;
		pthread_mutex_unlock(&d->mu);
		if (!has_done)
			return;
		run_done(d);
	}
}

uint64_t tl_disk_write_backlog(struct tl_disk *d)
{
	pthread_mutex_lock(&d->mu);
	uint64_t n = d->write_backlog;
	pthread_mutex_unlock(&d->mu);
	return n;
}

int tl_disk_mkdir_p(const char *dir, unsigned mode)
{
	char *p = tl_strdup(dir);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST)
				rc = -1;
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

struct tl_disk_store *tl_disk_store_new(const struct tl_metainfo *mi, const struct tl_layout *l,
    const char *dir, bool is_writable, unsigned max_open, const char **why_out)
{
	if (is_writable && tl_disk_mkdir_p(dir, 0755) != 0) {
		tl_warn("disk: mkdir %s: %s", dir, strerror(errno));
		*why_out = "cannot create the download directory";
		return NULL;
	}
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		tl_warn("disk: open %s: %s", dir, strerror(errno));
		*why_out = "cannot open the download directory";
		return NULL;
	}
	struct tl_disk_store *s = tl_calloc(1, sizeof(*s));
	s->mi = mi;
	s->l = l;
	s->root_fd = root;
	s->is_writable = is_writable;
	s->is_direct = true;
	s->max_open = max_open ? max_open : 1;
	s->paths = tl_calloc(l->nfiles, sizeof(*s->paths));
	s->files = tl_calloc(l->nfiles, sizeof(*s->files));
	s->is_dirty = tl_calloc(l->nfiles, sizeof(*s->is_dirty));
	/* each file is on the list at most once */
	size_t cap = s->max_open + 64 < l->nfiles ? s->max_open + 64 : l->nfiles;
	s->open_list = tl_calloc(cap ? cap : 1, sizeof(*s->open_list));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->write_mu, NULL);
	for (size_t i = 0; i < l->nfiles; i++) {
		s->files[i].fd = -1;
		s->files[i].direct_fd = -1;
		const char *path = mi->files[i].path;
		size_t n = strlen(path) + (mi->is_multi_file ? strlen(mi->name) + 1 : 0);
		if (n > TL_MAX_PATH) {
			*why_out = "a file path is too long";
			tl_disk_store_free(s);
			return NULL;
		}
		s->paths[i] = tl_malloc(n + 1);
		if (mi->is_multi_file)
			snprintf(s->paths[i], n + 1, "%s/%s", mi->name, path);
		else
			snprintf(s->paths[i], n + 1, "%s", path);
	}
	return s;
}

void tl_disk_store_set_direct(struct tl_disk_store *s, bool is_direct)
{
	s->is_direct = is_direct;
}

void tl_disk_store_free(struct tl_disk_store *s)
{
	if (!s)
		return;
	for (size_t k = 0; k < s->nopen; k++) {
		close(s->files[s->open_list[k]].fd);
		if (s->files[s->open_list[k]].direct_fd >= 0)
			close(s->files[s->open_list[k]].direct_fd);
	}
	for (size_t i = 0; i < s->l->nfiles; i++)
		free(s->paths[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->write_mu);
	close(s->root_fd);
	free(s->paths);
	free(s->files);
	free(s->is_dirty);
	free(s->open_list);
	free(s);
}

int tl_disk_store_stat(struct tl_disk_store *s, size_t i, uint64_t *size_out,
    int64_t *mtime_ns_out)
{
	const char *leaf;
	int dfd = open_parent(s->root_fd, s->paths[i], false, &leaf);
	if (dfd < 0)
		return -1;
	struct stat st;
	int rc = fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW);
	close(dfd);
	if (rc != 0 || !S_ISREG(st.st_mode))
		return -1;
	*size_out = (uint64_t)st.st_size;
	*mtime_ns_out = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	return 0;
}

int tl_disk_store_create_empty(struct tl_disk_store *s)
{
	int rc = TL_OK;
	for (size_t i = 0; i < s->l->nfiles; i++) {
		if (s->l->files[i].length != 0 || s->l->files[i].is_pad || !s->is_writable)
			continue;
		int fd = open_file(s, i, true);
		if (fd < 0) {
			tl_warn("disk: create %s: %s", s->paths[i], strerror(errno));
			rc = TL_EIO;
			continue;
		}
		close(fd);
	}
	return rc;
}

const char *tl_disk_store_path(const struct tl_disk_store *s, size_t i)
{
	return s->paths[i];
}

size_t tl_disk_store_close_idle(struct tl_disk_store *s)
{
	size_t closed = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t k = 0; k < s->nopen;) {
		size_t i = s->open_list[k];
		struct open_file *o = &s->files[i];
		if (o->users > 0 || s->is_dirty[i]) { /* in use, or waiting for its sync */
			k++;
			continue;
		}
		close(o->fd);
		o->fd = -1;
		if (o->direct_fd >= 0)
			close(o->direct_fd);
		o->direct_fd = -1;
		s->open_list[k] = s->open_list[--s->nopen];
		closed++;
	}
	pthread_mutex_unlock(&s->mu);
	return closed;
}

bool tl_disk_store_is_busy(const struct tl_disk_store *s)
{
	return s->jobs > 0;
}
