/*
 * checkpoint.h: a torrent's resume checkpoints. A checkpoint is a SYNC of
 * the written files, then the resume file (resume.h) written on a disk
 * worker, so it records only pieces whose data reached the disk. The
 * owner marks the part dirty when a piece is had or lost, starts one
 * when it is due (TL_CHECKPOINT_S after the last, while dirty) and when
 * the state settles (the check is over, the torrent completes), and at
 * stop saves a last one, tried up to TL_CHECKPOINT_STOP_SAVES times.
 *
 * Seed mode: only the pieces hashed are vouched for, and the files that
 * hold the others are recorded as of unknown mtime, so that a start with
 * a check verifies those pieces instead of taking them as absent.
 *
 * Owns the resume file's path and each checkpoint in flight (the worker
 * sees only the snapshot); a failed save is logged once and tried again
 * at the next turn. Embedded in struct tl_torrent; reports up through
 * saved_fn only. Thread: the loop thread; the save runs on the disk pool.
 */
#ifndef TL_CHECKPOINT_H
#define TL_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/bitfield.h"
#include "codec/layout.h"
#include "codec/metainfo.h"
#include "io/diskio.h"
#include "engine/resume.h"

/* Checkpoint the resume file this often while pieces complete. */
#define TL_CHECKPOINT_S 5u
/* Tries of the last checkpoint when stopping, before giving up on it. */
#define TL_CHECKPOINT_STOP_SAVES 3u

/* A checkpoint is over (saved or not; is_running is false again). */
typedef void (*tl_checkpoint_saved_fn)(void *arg);

struct tl_checkpoint {
	struct tl_disk *disk;
	struct tl_disk_store *store;
	const struct tl_layout *l;
	const struct tl_infohash *infohash;
	const char *name;      /* the torrent's, for the log */
	char *path;            /* the resume file; NULL: none is kept */
	tl_checkpoint_saved_fn saved_fn;
	void *arg;
	bool is_running;
	bool is_dirty;         /* something changed since the last one started */
	bool is_final;         /* the last one was quiescent: no write can follow it */
	uint64_t last_ms;      /* when the last one started */
	unsigned fails;        /* saves failed in a row (the first is logged) */
	unsigned stop_saves;   /* checkpoints started by the stop */
};

/* Set up ck with borrowed views that outlive it. state_dir NULL: no
 * resume file; else it is state_dir/resume/<infohash hex>.resume (the
 * directory made here; when that fails, logged, none is kept). */
void tl_checkpoint_init(struct tl_checkpoint *ck, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const struct tl_infohash *infohash, const char *name,
    const char *state_dir, tl_checkpoint_saved_fn saved_fn, void *arg);
/* Free the path. No checkpoint may be in flight. */
void tl_checkpoint_clear(struct tl_checkpoint *ck);

/* Pure: what sv records of have (l->npieces bits): sv->have, a copy
 * without the pieces of unverified, and when any is unverified
 * sv->is_unknown for the files that hold one (padding and empty files
 * never). Also sets sv->nfiles and sv->npieces. */
void tl_checkpoint_snapshot(const struct tl_layout *l, const struct tl_bitfield *have,
    const struct tl_bitfield *unverified, struct tl_resume_save *sv);

/* Start a checkpoint of have (less unverified) unless one runs or no
 * resume file is kept; false then. is_quiescent: no write can follow
 * (stopping or complete, none in flight). */
bool tl_checkpoint_start(struct tl_checkpoint *ck, const struct tl_bitfield *have,
    const struct tl_bitfield *unverified, bool is_quiescent);
/* Dirty and TL_CHECKPOINT_S since the last one started. */
bool tl_checkpoint_is_due(const struct tl_checkpoint *ck, uint64_t now_ms);
/* Stopping with nothing running: true when a last checkpoint should be
 * started (dirty, a resume file kept, tries left; counts the try). When
 * the tries are used up, logs that the resume file was not saved. */
bool tl_checkpoint_stop_retry(struct tl_checkpoint *ck);

#endif
