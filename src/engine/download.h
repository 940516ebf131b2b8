/*
 * download.h: the download side of a torrent: the requests we keep out
 * with each peer, and the pieces being assembled from their blocks.
 *
 * Which blocks to ask whom for is the picker's (rarest first, partial
 * pieces first, endgame duplicates); this part keeps each unchoked peer's
 * pipeline full with what it picks, buffers the pieces being assembled
 * and hands a complete one to a disk worker that hashes it and writes it
 * only when it matches. The outcome goes up through done_fn; banning,
 * HAVE messages and completion are the torrent's. Once a second it sets
 * each peer's pipeline depth from its rate and snubs a peer that sends
 * nothing (unit tested without sockets: tests/unit/test_download.c).
 *
 * Memory: piece buffers are bounded by max_inflight bytes; at the bound
 * only pieces that already have a buffer are picked, so buffers exceed it
 * by at most what one fill starts (TL_DOWNLOAD_BATCH blocks, or one
 * piece).
 *
 * A block moves from the socket buffer straight into its piece buffer:
 * tl_download_block_begin says where (or that it is to be dropped), the
 * caller moves the bytes, tl_download_block_end finishes the piece and
 * cancels the endgame duplicates.
 *
 * Owns the piece buffers being assembled; borrows the picker, layout,
 * store, disk pool and spare buffers of its torrent. Embedded in struct
 * tl_torrent. Thread: the loop thread; hashing and writes on the pool.
 */
#ifndef TL_DOWNLOAD_H
#define TL_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/bitfield.h"
#include "codec/layout.h"
#include "io/diskio.h"
#include "proto/picker.h"
#include "engine/piecebuf.h"

struct tl_peer;

/* Blocks asked of the picker per call. */
#define TL_DOWNLOAD_BATCH 64u
/* No block for this long with requests out: the peer is snubbed. */
#define TL_DOWNLOAD_SNUB_MS 30000u
/* Requests a peer is taken to queue when it gave no reqq (BEP 10). */
#define TL_DOWNLOAD_DEFAULT_REQQ 250u

/* A piece was hashed and (when it matched) written: status is
 * TL_DISK_OK, TL_DISK_HASH_FAIL, or a write error (sys_err on file, an
 * index of the store). Its buffer is already given back. */
typedef void (*tl_download_done_fn)(void *arg, uint32_t index, enum tl_disk_status status,
    int sys_err, size_t file);

struct tl_download_piece;

struct tl_download {
	struct tl_download_piece *active;
	uint64_t inflight_bytes, max_inflight;
	struct tl_bitfield scratch; /* a peer's pieces narrowed to active ones */
	/* borrowed from the torrent */
	struct tl_disk *disk;
	struct tl_disk_store *store;
	const struct tl_layout *l;
	struct tl_piecebuf *bufs;
	struct tl_picker *picker;
	tl_download_done_fn done_fn;
	void *done_arg;
};

/* A block being received (between tl_download_block_begin and _end). */
struct tl_download_block {
	struct tl_download_piece *piece; /* NULL: dropped */
	bool is_done;                    /* the last block of its piece */
	uint32_t index, begin, len;
	uint64_t cancel[TL_PICKER_ENDGAME_DUP]; /* serials that were asked for it too */
	size_t ncancel;
};

void tl_download_init(struct tl_download *dl, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, struct tl_piecebuf *bufs, struct tl_picker *picker,
    uint64_t max_inflight, tl_download_done_fn done_fn, void *done_arg);
/* Free the pieces being assembled (no write may be in flight). */
void tl_download_clear(struct tl_download *dl);

/* Keep p's pipeline full (up to p->max_reqs) when it is ACTIVE, has us
 * unchoked and we are interested. The torrent decides whether requesting
 * is allowed at all (not while checking, stopping or failed). */
void tl_download_fill(struct tl_download *dl, struct tl_peer *p);
/*
 * The pipeline depth (blocks) for a peer that sends down_rate bytes/s and
 * queues peer_reqq requests (0: not told): the bandwidth-delay product of
 * two seconds, at least TL_PEER_MIN_REQS, at most its queue
 * (TL_DOWNLOAD_DEFAULT_REQQ when not told) and TL_PEER_MAX_REQS. Pure.
 */
size_t tl_download_depth(double down_rate, uint32_t peer_reqq);
/*
 * Once a second for each ACTIVE peer: p->max_reqs from its measured rate
 * (tl_download_depth), one while it is snubbed. A peer with requests out
 * and no block since TL_DOWNLOAD_SNUB_MS before now_ms becomes snubbed:
 * its requests are forgotten (the picker gives their blocks to others)
 * and one at a time is asked of it until a block comes (the torrent
 * clears is_snubbed then). Returns true when p became snubbed now.
 */
bool tl_download_pace(struct tl_download *dl, struct tl_peer *p, uint64_t now_ms);
/* Our request for (index, begin) of p is refused (REJECT): forgotten. */
void tl_download_rejected(struct tl_download *dl, struct tl_peer *p, uint32_t index, uint32_t begin);
/* Forget every request of p (choked, snubbed, closed). */
void tl_download_drop_all(struct tl_download *dl, struct tl_peer *p);
/*
 * A PIECE message of len bytes from p. Returns where its bytes go (the
 * caller moves them there), or NULL when they are to be dropped
 * (duplicate, late, unasked). b is filled for tl_download_block_end.
 */
uint8_t *tl_download_block_begin(struct tl_download *dl, struct tl_peer *p, uint32_t index,
    uint32_t begin, uint32_t len, struct tl_download_block *b);
/* The block's bytes are in: a complete piece goes to be hashed and
 * written; the others of peers (the torrent's list, linked by next) that
 * were asked for it in the endgame are sent a CANCEL. */
void tl_download_block_end(struct tl_download *dl, struct tl_peer *p, struct tl_peer *peers,
    const struct tl_download_block *b);
/* A piece is being hashed and written. */
bool tl_download_is_writing(const struct tl_download *dl);

#endif
