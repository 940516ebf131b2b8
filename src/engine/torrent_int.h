/*
 * torrent_int.h: the struct of a torrent, shared by torrent.c (life, tick,
 * peer callbacks, seed-mode damage) and torrent_state.c (the startup check
 * and resume checkpoints). Not an API: only those two files include it.
 *
 * The other parts of a torrent are embedded here with their own narrow
 * headers and never include this one: swarm (address book, bans; pure),
 * piecebuf (spare piece buffers; pure), download (requests out, pieces
 * being assembled), upload (requests in, pieces read for peers), slots
 * (choking). They take their struct and explicit arguments (the peer
 * list, flags) and report up through function pointers, so the
 * dependencies point one way: torrent.c -> parts -> io/proto/codec.
 *
 * Thread: the loop thread only.
 */
#ifndef TL_TORRENT_INT_H
#define TL_TORRENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec/bitfield.h"
#include "proto/choker.h"
#include "io/diskio.h"
#include "codec/layout.h"
#include "io/peer.h"
#include "engine/download.h"
#include "engine/piecebuf.h"
#include "engine/seedcheck.h"
#include "engine/slots.h"
#include "engine/swarm.h"
#include "engine/upload.h"
#include "engine/torrent.h"

struct tl_picker;

/* Startup verification jobs in flight. */
#define TL_TORRENT_CHECK_INFLIGHT 8u
/* Checkpoint the resume file this often while pieces complete. */
#define TL_TORRENT_CHECKPOINT_S 5u
/* Tries of the last checkpoint when stopping, before giving up on it. */
#define TL_TORRENT_STOP_SAVES 3u

struct tl_torrent {
	struct tl_torrent_ctx ctx;
	struct tl_torrent_opts opts;
	char *dir, *resume_path;
	tl_torrent_event_fn fn;
	void *fn_arg;
	unsigned peers_from[4]; /* addresses handed in, by enum tl_peer_src */
	struct tl_metainfo *mi;
	struct tl_layout l;
	struct tl_disk_store *store;
	struct tl_handshake hs;
	struct tl_bitfield have;
	struct tl_bitfield wanted;
	struct tl_bitfield need;   /* wanted and not had */
	struct tl_picker *picker;  /* which blocks to ask whom for */
	uint64_t wanted_bytes, have_bytes;
	struct tl_download dl;     /* requests to peers, pieces being assembled */
	struct tl_piecebuf bufs;   /* spare piece buffers, for both sides */
	struct tl_upload up;       /* requests from peers, pieces read for them */
	struct tl_peer *peers;
	unsigned npeers;
	struct tl_swarm swarm;      /* addresses to dial, bans */
	/* startup check */
	bool is_checking, is_started;
	struct tl_bitfield to_check;
	uint32_t check_next, check_done, check_total, check_inflight;
	struct tl_disk_job *check_jobs; /* CHECK_INFLIGHT of them */
	bool is_no_check_bad;          /* seed mode: a file is missing or short */
	struct tl_seedcheck sc;       /* seed mode: pieces not yet hashed */
	/* resume checkpoints */
	bool is_ckpt_running, is_ckpt_dirty;
	bool is_ckpt_final;  /* the last one was quiescent: no write can follow it */
	uint64_t last_ckpt_ms;
	unsigned ckpt_fails; /* saves failed in a row (the first is logged) */
	unsigned stop_saves; /* checkpoints started by the stop */
	/* state */
	bool is_complete, is_stopping, is_stopped, is_failed;
	char *error;               /* is_failed: why, for the status ("disk full: ...") */
	uint64_t ticks;
	struct tl_slots slots;     /* who may download from us */
	uint64_t downloaded, hash_fails;
	double down_rate, up_rate;
	uint64_t down_tick;
};

/* Report ev to the owner. */
void tl_torrent_emit(struct tl_torrent *t, enum tl_torrent_event ev);
/* Piece index is verified and on disk (page cache): record it. */
void tl_torrent_set_have(struct tl_torrent *t, uint32_t index);
/* A write of piece index failed with sys_err on file (an index of the
 * store): the first failure logs one line with the reason and fails the
 * torrent (TL_TEV_ERROR); the writes still in flight then fail quietly. */
void tl_torrent_write_failed(struct tl_torrent *t, uint32_t index, int sys_err, size_t file);
/* Report TL_TEV_COMPLETE once every wanted piece is in. */
void tl_torrent_check_complete(struct tl_torrent *t);
/* The startup check is done: tell the peers handed over meanwhile
 * (tl_torrent_adopt) what we have, and show interest. */
void tl_torrent_checked_peers(struct tl_torrent *t);
/* Dial the known addresses that are due. */
void tl_torrent_dial_known(struct tl_torrent *t);
/* Start a checkpoint (SYNC, then the resume file) unless one runs. */
void tl_torrent_checkpoint(struct tl_torrent *t);
/* While stopping: report TL_TEV_STOPPED once nothing is left to save. */
void tl_torrent_finish_stop(struct tl_torrent *t);

#endif
