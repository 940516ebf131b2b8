/*
 * resume.h: the resume file of one torrent, so a restart does not rehash
 * everything.
 *
 * Format (bencoded dict, keys sorted): "files" a list of [size, mtime_ns]
 * pairs (size -1 for a file that does not exist), "infohash" 20 bytes,
 * "pieces" the bitfield of verified pieces (BEP 3 order), "version" 1.
 *
 * Invariant: a piece is in the file only after its data was written and
 * fdatasync'd (the torrent runs TL_DISK_SYNC before taking the snapshot it
 * saves). Files are written atomically: temp file, fsync, rename, fsync of
 * the directory.
 *
 * On load: a file of another torrent, a malformed one or one whose sizes no
 * longer match the files means a full recheck. When sizes match, the
 * recorded pieces are trusted; the missing pieces of files whose mtime
 * moved since the checkpoint (written after it, before a crash) are
 * re-verified, since they may already be on disk.
 *
 * L4. The save runs on a disk worker (TL_DISK_CALL); loading runs on the
 * loop thread before any job is submitted for the store.
 */
#ifndef TL_RESUME_H
#define TL_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"

struct tl_disk_job;
struct tl_disk_store;
struct tl_layout;

/* A file's identity as recorded. size is -1 when it does not exist. */
struct tl_resume_file {
	int64_t size;
	int64_t mtime_ns;
};

/* A decoded resume file (owned arrays). */
struct tl_resume {
	struct tl_infohash infohash;
	uint8_t *have;  /* (npieces + 7) / 8 bytes */
	struct tl_resume_file *files;
};

/*
 * Decode p[0..len). Fails (TL_EINVAL, *why_out set) unless it is a resume
 * file for expect with exactly npieces pieces (spare bits zero) and nfiles
 * files. On success fill *r_out (free with tl_resume_clear).
 */
int tl_resume_decode(const uint8_t *p, size_t len, const struct tl_infohash *expect,
    uint32_t npieces, size_t nfiles, struct tl_resume *r_out, const char **why_out);
void tl_resume_clear(struct tl_resume *r);

/* Encode into *out (tl_malloc'd, *len_out bytes). */
void tl_resume_encode(const struct tl_infohash *ih, const uint8_t *have, uint32_t npieces,
    const struct tl_resume_file *files, size_t nfiles, uint8_t **out, size_t *len_out);

/*
 * What to do at start. cur[i] is what the disk shows now. Fills have_out
 * (trusted pieces) and check_out (pieces to verify from disk), both
 * (npieces + 7) / 8 bytes. r NULL (no usable resume file) or any size
 * mismatch: nothing trusted, every piece checked. Returns true when the
 * resume data was used.
 */
bool tl_resume_plan(const struct tl_layout *l, const struct tl_resume *r,
    const struct tl_resume_file *cur, uint8_t *have_out, uint8_t *check_out);

/* Current size/mtime of every file of the store into cur_out[nfiles]. */
void tl_resume_stat_files(struct tl_disk_store *s, size_t nfiles, struct tl_resume_file *cur_out);

/* Read a resume file (at most TL_MAX_RESUME_FILE bytes). TL_ENOENT when
 * absent; TL_EIO or TL_ELIMIT otherwise. *p_out is tl_malloc'd. */
int tl_resume_read(const char *path, uint8_t **p_out, size_t *len_out);
/* Write p atomically to path (temp, fsync, rename, directory fsync). */
int tl_resume_write_atomic(const char *path, const uint8_t *p, size_t len);

/* A checkpoint to save on a disk worker: job->arg points to this. */
struct tl_resume_save {
	char *path;                  /* owned */
	struct tl_disk_store *store; /* borrowed */
	size_t nfiles;
	struct tl_infohash infohash;
	uint8_t *have;               /* owned snapshot, all synced */
	uint32_t npieces;
	bool is_quiescent;           /* no write can follow (stopped, none in flight) */
	bool *is_unknown;            /* owned, nfiles entries, or NULL: files whose mtime is
	                              * recorded unknown (-1) anyway, so the pieces the
	                              * snapshot lacks are verified at the next start
	                              * (seed mode: files with pieces not yet hashed) */
	int rc;                      /* result: TL_OK or TL_EIO */
};

/* A file modified less than this long before a checkpoint gets its mtime
 * recorded as unknown (-1) unless the save is quiescent. */
#define TL_RESUME_SETTLE_NS 2000000000LL

/* TL_DISK_CALL work function: stat the files, encode, write atomically.
 * mtimes of files modified within TL_RESUME_SETTLE_NS are recorded as -1
 * (so their missing pieces are re-verified at the next start) unless
 * sv->is_quiescent; so are those of sv->is_unknown. */
void tl_resume_save_work(struct tl_disk_job *job);
/* Free a tl_resume_save and its arrays. NULL is a no-op. */
void tl_resume_save_free(struct tl_resume_save *sv);

#endif
