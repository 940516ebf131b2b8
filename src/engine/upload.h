/*
 * upload.h: the upload side of a torrent: the requests peers queue with
 * us, and the pieces read from disk to answer them.
 *
 * A piece is read whole once into a small cache and its blocks are added
 * to the peers' output by reference (tl_peer_send_block_ref), so a piece
 * costs one disk read and no copy however many blocks of it are asked
 * for. A referenced piece lives until the last of its blocks is written,
 * however slowly its peer reads, so past TL_UPLOAD_PIN_BYTES blocks are
 * copied instead: a peer that never reads then holds its output
 * (TL_UPLOAD_OUT_BYTES) and no more, and pinned pieces stay within
 * max(TL_UPLOAD_PIN_BYTES, one piece) for the whole torrent. Idle pieces
 * (no block queued) are kept within TL_UPLOAD_CACHE_BYTES, least recently
 * used evicted. A piece is read only when a peer's output has room for it.
 *
 * Seed mode: a read of a piece in *unverified (borrowed from the torrent)
 * is hashed on the disk worker too; the outcome goes up through read_fn.
 *
 * Whether a peer is unchoked and whether we have a piece are the torrent's
 * to say; this part only queues, serves, refuses (BEP 6 REJECT) and
 * counts. It never calls the torrent but through read_fn.
 *
 * Owns the cache; a piece still referenced by a peer's output outlives the
 * torrent (detached: its buffer is freed with the last block). Embedded in
 * struct tl_torrent. Thread: the loop thread; reads run on the disk pool.
 */
#ifndef TL_UPLOAD_H
#define TL_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "codec/bitfield.h"
#include "codec/layout.h"
#include "io/diskio.h"
#include "engine/piecebuf.h"

struct tl_peer;

#define TL_UPLOAD_OUT_BYTES (4u * 1024 * 1024)   /* queued output per peer */
#define TL_UPLOAD_CACHE_BYTES (8u * 1024 * 1024) /* idle pieces kept read */
#define TL_UPLOAD_PIN_BYTES (8u * 1024 * 1024)   /* pieces referenced by queued blocks */
#define TL_UPLOAD_SPARE_BYTES (4u * 1024 * 1024) /* spare buffers kept by uploads */

/* How a read for uploads ended (reported after the cache was updated). */
enum tl_upload_read {
	TL_UPLOAD_READ_OK,       /* read (not hashed) */
	TL_UPLOAD_READ_VERIFIED, /* read and hashed: it matches */
	TL_UPLOAD_READ_DAMAGED,  /* read and hashed: it does not match; evicted */
	TL_UPLOAD_READ_FAILED,   /* not readable; evicted */
};

typedef void (*tl_upload_read_fn)(void *arg, uint32_t index, enum tl_upload_read res);

struct tl_upload_piece;

struct tl_upload {
	struct tl_upload_piece *cache;
	uint64_t cache_bytes, clock;
	uint64_t pinned_bytes; /* pieces with blocks queued in peers' outputs */
	uint64_t uploaded;     /* payload bytes queued to peers */
	/* borrowed from the torrent */
	struct tl_disk *disk;
	struct tl_disk_store *store;
	const struct tl_layout *l;
	struct tl_piecebuf *bufs;
	const struct tl_bitfield *unverified;
	tl_upload_read_fn read_fn;
	void *read_arg;
};

/* Everything borrowed must outlive up; read_fn is called from the loop
 * after each read for uploads. */
void tl_upload_init(struct tl_upload *up, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, struct tl_piecebuf *bufs, const struct tl_bitfield *unverified,
    tl_upload_read_fn read_fn, void *read_arg);
/* Evict every piece (those still referenced are detached). No read may be
 * in flight. */
void tl_upload_clear(struct tl_upload *up);

/* Send p's queued requests in order while it is unchoked and its output
 * has room; a piece still being read stops the queue until its read is
 * done (then the torrent serves again). */
void tl_upload_serve(struct tl_upload *up, struct tl_peer *p);
/* A REQUEST from p: refused unless is_had and p is unchoked, refused (or
 * p closed, without the fast extension) when its queue is full, else
 * queued and served. */
void tl_upload_request(struct tl_upload *up, struct tl_peer *p, bool is_had, uint32_t index,
    uint32_t begin, uint32_t len);
/* A CANCEL from p: the request leaves the queue (BEP 6: answered by a
 * REJECT). */
void tl_upload_cancel(struct tl_peer *p, uint32_t index, uint32_t begin, uint32_t len);
/* p is choked: every queued request is dropped (rejected under BEP 6). */
void tl_upload_reject_all(struct tl_peer *p);
/* Piece index cannot be served: p's requests for it are dropped (rejected
 * under BEP 6). */
void tl_upload_drop_piece(struct tl_peer *p, uint32_t index);
/* A read for uploads is in flight. */
bool tl_upload_is_reading(const struct tl_upload *up);

#endif
