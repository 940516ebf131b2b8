/*
 * seedcheck.h: seed mode (--no-check) of a torrent: pieces are served
 * before they were hashed, and this part keeps track of which ones still
 * are not (the unverified set), hashes them in the background one at a
 * time, and deals with a piece found damaged.
 *
 * At start (tl_seedcheck_plan) every file (but padding and empty ones:
 * no piece reads them) must exist with at least its full size, or the
 * torrent fails naming the first that does not: data that is not there
 * cannot be vouched for. Every piece is then had, and those the resume
 * file does not vouch for are unverified.
 *
 * A piece is verified by a read for uploads (upload.h hashes a read of
 * an unverified piece on the worker) or by the background pass, which
 * runs while no read for uploads is in flight (reads go ahead of it in
 * the disk queue, and it waits for them), so uploads are not slowed. A
 * damaged piece was announced, so the requests queued for it are
 * dropped, and a peer without the fast extension that lacks the piece is
 * closed: it cannot be told a request will not be served (BEP 6 REJECTs
 * go to the others, through upload.h), and no message takes back a HAVE.
 *
 * Embedded in struct tl_torrent; takes the torrent's peer list and the
 * upload part as borrowed views, and reports up through struct
 * tl_seedcheck_ops only. Thread: the loop thread; hashing runs on the
 * disk pool.
 */
#ifndef TL_SEEDCHECK_H
#define TL_SEEDCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/bitfield.h"
#include "codec/layout.h"
#include "io/diskio.h"
#include "engine/resume.h"
#include "engine/upload.h"

struct tl_peer;

/* What the part tells its owner. arg is the one given to init. */
struct tl_seedcheck_ops {
	/* Piece index does not match its hash: drop it from the have set
	 * (and want it again). Returns true when it was had. */
	bool (*drop)(void *arg, uint32_t index);
	/* The unverified set shrank: the resume file may vouch for more. */
	void (*changed)(void *arg);
	/* Piece index, had, was found damaged; the peers were dealt with. */
	void (*damaged)(void *arg, uint32_t index);
};

struct tl_seedcheck {
	struct tl_disk *disk;
	struct tl_disk_store *store;
	const struct tl_layout *l;
	const char *name;                /* the torrent's, for the log */
	const struct tl_upload *up;      /* whether a read for uploads is in flight */
	struct tl_peer *const *peers;    /* the torrent's peer list head */
	const struct tl_seedcheck_ops *ops;
	void *arg;
	/* pieces had but not yet hashed; the resume file never records them */
	struct tl_bitfield unverified;
	uint32_t damaged, last_damaged;  /* pieces found damaged; the last one */
	const char *last_damaged_file;   /* the store's path of its first file */
	bool is_begun;                   /* the startup check is over */
	bool is_stopped;
	bool is_verifying;               /* job is in flight */
	uint32_t next;                   /* where the background pass looks next */
	struct tl_disk_job job;
};

/* Set up sc with borrowed views that outlive it. The unverified set
 * stays empty (bits NULL) until tl_seedcheck_plan. */
void tl_seedcheck_init(struct tl_seedcheck *sc, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const char *name, const struct tl_upload *up,
    struct tl_peer *const *peers, const struct tl_seedcheck_ops *ops, void *arg);
/* Free the unverified set. The background job must not be in flight
 * (the torrent is freed only once its store has no job left). */
void tl_seedcheck_clear(struct tl_seedcheck *sc);

/* Pure: the first file of l (but padding and empty ones) that cur shows
 * missing (size < 0) or shorter than its length; l->nfiles when none. */
size_t tl_seedcheck_first_bad(const struct tl_layout *l, const struct tl_resume_file *cur);
/* Pure: the first piece of unverified at or after from, wrapping around
 * to 0; unverified->n when none is left. */
uint32_t tl_seedcheck_next(const struct tl_bitfield *unverified, uint32_t from);

/*
 * At start: cur is what the disk shows (tl_resume_stat_files), trusted
 * the pieces the resume file vouches for ((npieces + 7) / 8 bytes).
 * TL_OK: every piece is to be had and those not trusted are unverified.
 * TL_EINVAL: a file is missing or short (logged); *why_out (tl_malloc'd,
 * the caller's) says which, and nothing is unverified.
 */
int tl_seedcheck_plan(struct tl_seedcheck *sc, const uint8_t *trusted,
    const struct tl_resume_file *cur, char **why_out);

/* The startup check is over: the background pass may run. */
void tl_seedcheck_begin(struct tl_seedcheck *sc);
/* The torrent stops: no more background hashing; a job in flight ends
 * without effect. */
void tl_seedcheck_stop(struct tl_seedcheck *sc);
/* Start the background hash of the next unverified piece, unless one
 * runs, a read for uploads is in flight, or nothing is left. Called once
 * a second and whenever a read for uploads is done. */
void tl_seedcheck_more(struct tl_seedcheck *sc);

/* A read for uploads hashed piece index: it matches. */
void tl_seedcheck_verified(struct tl_seedcheck *sc, uint32_t index);
/* Piece index does not match its hash (found by a read for uploads or
 * the background pass): it is no longer unverified, its queued requests
 * are dropped, and if it was had (ops->drop) it is counted, logged, the
 * peers that cannot be told are closed, and ops->damaged is called. */
void tl_seedcheck_damaged(struct tl_seedcheck *sc, uint32_t index);

#endif
