/*
 * startcheck.h: a torrent's startup check: what the resume file lets us
 * trust (resume.h plans it from the sizes and mtimes on disk), and the
 * verification of the rest from disk, TL_STARTCHECK_INFLIGHT pieces at a
 * time. A piece whose files do not exist at all holds nothing and is not
 * read. In seed mode (seedcheck.h) nothing is read: every piece is had
 * once the files are all there, and the outcome is reported after one
 * trip through the disk pool, as a check's would be (never from inside
 * tl_startcheck_run, before the owner runs its loop).
 *
 * Embedded in struct tl_torrent; reports up through struct
 * tl_startcheck_ops only. Thread: the loop thread; reads and hashing run
 * on the disk pool.
 */
#ifndef TL_STARTCHECK_H
#define TL_STARTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/bitfield.h"
#include "codec/layout.h"
#include "codec/metainfo.h"
#include "io/diskio.h"
#include "engine/resume.h"
#include "engine/seedcheck.h"

/* Verification jobs in flight. */
#define TL_STARTCHECK_INFLIGHT 8u

/* What the part tells its owner. arg is the one given to init. */
struct tl_startcheck_ops {
	/* Piece index is trusted or verified: the torrent has it. */
	void (*have)(void *arg, uint32_t index);
	/* The check is over (is_running is false again). why NULL: done (or
	 * cut short by tl_startcheck_stop); else seed mode was refused (a
	 * file missing or short, logged) and the torrent fails with why
	 * (borrowed until tl_startcheck_clear). */
	void (*done)(void *arg, const char *why);
};

struct tl_startcheck {
	struct tl_disk *disk;
	struct tl_disk_store *store;
	const struct tl_layout *l;
	const struct tl_infohash *infohash;
	const char *name;                /* the torrent's, for the log */
	const struct tl_startcheck_ops *ops;
	void *arg;
	bool is_running, is_stopped;
	bool is_seed_mode;               /* nothing to read: one trip through the pool */
	char *why;                       /* seed mode refused: why */
	struct tl_bitfield to_check;
	uint32_t next, done, total, inflight;
	struct tl_disk_job jobs[TL_STARTCHECK_INFLIGHT]; /* arg NULL: free */
};

/* Set up c with borrowed views that outlive it. */
void tl_startcheck_init(struct tl_startcheck *c, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const struct tl_infohash *infohash, const char *name,
    const struct tl_startcheck_ops *ops, void *arg);
/* Free what the part holds. No job may be in flight. */
void tl_startcheck_clear(struct tl_startcheck *c);

/* Pure: leave in to_check (l->npieces bits) only the pieces with a byte
 * in a file that exists with data (cur[i].size > 0, padding aside), and
 * return how many are left. */
uint32_t tl_startcheck_skip_absent(const struct tl_layout *l, const struct tl_resume_file *cur,
    struct tl_bitfield *to_check);

/*
 * Plan the check: read the resume file at resume_path (NULL: none; one
 * that does not decode is ignored, logged), stat the files and report
 * (ops->have) the pieces it lets us trust. seed not NULL: seed mode
 * (tl_seedcheck_plan): every piece is reported had when the files are
 * all there. The check runs from here on (is_running).
 */
void tl_startcheck_plan(struct tl_startcheck *c, const char *resume_path, struct tl_seedcheck *seed);
/* Start verifying (or, in seed mode, the trip through the pool). */
void tl_startcheck_run(struct tl_startcheck *c);
/* The torrent stops: no more pieces are read; done is reported once the
 * reads in flight are over. */
void tl_startcheck_stop(struct tl_startcheck *c);

#endif
