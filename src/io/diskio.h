/*
 * diskio.h: the disk worker pool. Piece writes (SHA-1 first, so only
 * verified data reaches the disk), block reads for uploads, piece
 * verification for rechecks, fdatasync of written files, and arbitrary
 * work functions (the resume writer) run on N worker threads; results come
 * back to the libevent loop through a completion queue and event_active.
 *
 * Ownership: the pool belongs to the session, a store (one torrent's files
 * under its download directory) to its torrent. A job is caller storage:
 * it is borrowed by the pool from submit until its done callback runs on
 * the loop thread, together with the buffer it points to. The store and
 * the metainfo/layout it borrows must outlive every job submitted for it
 * (the torrent counts its jobs; tl_disk_flush drains them).
 *
 * Files: paths are joined under the download directory one component at a
 * time with openat(O_NOFOLLOW), so a symlink planted inside the tree can
 * never lead a write outside it. A file is created sparse and extended to
 * its final length (ftruncate) the first time it is opened for a write;
 * padding files (BEP 47) are never opened. Open descriptors live in a
 * bounded LRU per store.
 *
 * Threads: submit, flush and the done callbacks run on the loop thread;
 * the workers touch only the job, its buffer and the store's fd table
 * (under the store's lock). Workers never see session structures.
 */
#ifndef TL_DISKIO_H
#define TL_DISKIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct tl_layout;
struct tl_metainfo;
struct tl_disk;
struct tl_disk_store;
struct tl_disk_job;

enum tl_disk_op {
	TL_DISK_WRITE,  /* hash buf (the whole piece); when it matches, write it */
	TL_DISK_READ,   /* read [begin, begin + len) of piece into buf */
	TL_DISK_VERIFY, /* read the whole piece from disk and check its hash */
	TL_DISK_SYNC,   /* fdatasync every file written since the last sync */
	TL_DISK_CALL,   /* run work(job) on a worker */
};

enum tl_disk_status {
	TL_DISK_OK = 0,
	TL_DISK_HASH_FAIL = 1, /* WRITE: nothing was written; VERIFY, hashed READ: piece absent */
	TL_DISK_IO_ERROR = 2,  /* a system call failed; errno was logged, except for a
	                        * WRITE, whose owner logs sys_err once (a full disk fails
	                        * every write in flight) */
};

typedef void (*tl_disk_done_fn)(struct tl_disk_job *job);
typedef void (*tl_disk_work_fn)(struct tl_disk_job *job);

struct tl_disk_job {
	/* set by the caller */
	enum tl_disk_op op;
	struct tl_disk_store *store; /* all ops but CALL (optional there: a job with a
	                              * store counts in tl_disk_store_is_busy) */
	uint32_t piece;
	uint32_t begin;       /* READ */
	uint32_t len;         /* READ: bytes to read; WRITE/VERIFY: set by submit */
	uint8_t *buf;         /* WRITE: piece bytes; READ: len bytes of room; borrowed */
	bool is_hashed;       /* READ of a whole piece: also check its SHA-1 on the worker,
	                       * from the bytes just read (HASH_FAIL when it differs) */
	tl_disk_work_fn work; /* CALL */
	tl_disk_done_fn done; /* run on the loop thread; may free or resubmit the job */
	void *arg;            /* for done/work */
	/* set by the pool */
	enum tl_disk_status status;
	int sys_err;          /* WRITE that ended in IO_ERROR: errno of the failed call */
	size_t err_file;      /* and the file it was for (tl_disk_store_path) */
	struct tl_disk_job *next;
};

/*
 * A pool of nthreads workers (1..64) posting completions to base, which
 * must have been created after evthread_use_pthreads(). Returns NULL when
 * a thread cannot be started (logged).
 */
struct tl_disk *tl_disk_new(struct event_base *base, unsigned nthreads);
/* Waits for every submitted job (running their done callbacks), then stops
 * the workers. NULL is a no-op. Loop thread only. */
void tl_disk_free(struct tl_disk *d);

/* Queue job (see the ownership rules above). Reads go ahead of writes and
 * verifications so uploads stay responsive. Loop thread only. */
void tl_disk_submit(struct tl_disk *d, struct tl_disk_job *job);
/* Block until no job is queued or running, then run the pending done
 * callbacks here. Callbacks that submit more jobs are waited for too. */
void tl_disk_flush(struct tl_disk *d);
/* Bytes of WRITE jobs submitted and not yet finished. */
uint64_t tl_disk_write_backlog(struct tl_disk *d);

/*
 * The files of one torrent under dir: a multi-file torrent's files go to
 * dir/NAME/PATH, a single file to dir/NAME. mi and l are borrowed for the
 * store's life. is_writable: writes allowed (files created as needed; dir
 * is created with its parents); otherwise files are opened read-only.
 * max_open bounds the descriptors kept open (>= 1). Returns NULL with
 * *why_out set when dir cannot be opened or a path is too long.
 */
struct tl_disk_store *tl_disk_store_new(const struct tl_metainfo *mi, const struct tl_layout *l,
    const char *dir, bool is_writable, unsigned max_open, const char **why_out);
/* Close the files. No job for the store may be pending. NULL is a no-op. */
void tl_disk_store_free(struct tl_disk_store *s);
/* Whether verified pieces of 256 KiB or more are written with O_DIRECT,
 * bypassing the page cache (the default; smaller writes, and file systems
 * that refuse O_DIRECT, always go through the cache). Call before the
 * first job. */
void tl_disk_store_set_direct(struct tl_disk_store *s, bool is_direct);

/*
 * Size and modification time (ns since the epoch) of file i, or -1 when it
 * does not exist or is not a regular file (never follows a symlink). For
 * the resume module: call from a worker (TL_DISK_CALL) or before any job
 * is running.
 */
int tl_disk_store_stat(struct tl_disk_store *s, size_t i, uint64_t *size_out,
    int64_t *mtime_ns_out);

/* Create the zero-length files (no piece ever writes them). Writable
 * stores only; call before jobs run. Returns TL_OK or TL_EIO (logged). */
int tl_disk_store_create_empty(struct tl_disk_store *s);

/* mkdir -p: dir and its missing parents with mode (the user's own paths:
 * symlinks there are followed). Returns 0, or -1 with errno set. */
int tl_disk_mkdir_p(const char *dir, unsigned mode);
/* Close the files of s no worker is using and none waits for a sync
 * (an idle torrent keeps no descriptor but its directory's); they open
 * again when next read or written. Returns how many were closed. */
size_t tl_disk_store_close_idle(struct tl_disk_store *s);
/* Jobs of s were submitted whose done callback has not run yet (the
 * store's owner waits for none before it frees it). Loop thread. */
bool tl_disk_store_is_busy(const struct tl_disk_store *s);

/* The store's path of file i relative to the download dir (borrowed). */
const char *tl_disk_store_path(const struct tl_disk_store *s, size_t i);

#endif
