/*
 * picker.h: the piece picker, a pure policy object (BEP 3 leaves the
 * choice of pieces to the client).
 *
 * Which blocks to request from a peer, in this order:
 *   1. blocks of partial pieces (started, not yet complete) the peer has,
 *      so pieces finish and can be verified and shared;
 *   2. while fewer than TL_PICKER_RANDOM_FIRST pieces are complete, a
 *      random piece (common pieces come quickly, so there is soon
 *      something to trade); in sequential mode, the lowest piece;
 *   3. otherwise the rarest piece the peer has, highest priority first,
 *      ties broken at random;
 *   4. endgame: once every missing piece is started and the peer can get
 *      no free block, blocks already requested from others (at most
 *      TL_PICKER_ENDGAME_DUP requesters each); when one arrives the other
 *      requesters are returned so the caller can send CANCEL.
 *
 * Pieces are kept in an array ordered by (priority, availability) with a
 * boundary per class, so a change of availability by one (a HAVE, a peer
 * joining or leaving) is one swap: O(1), not O(npieces). Peers with every
 * piece (HAVE_ALL, complete bitfields are the caller's to report as such)
 * are counted apart and cost nothing per piece.
 *
 * Blocks are TL_MAX_BLOCK_LEN (16 KiB) except the last of the last piece.
 * Each block of a partial piece is none / requested / received, with the
 * requesting (then sending) peer. Peers are opaque 64-bit keys; peer
 * bitfields are the caller's, borrowed for the duration of a call.
 *
 * Thread: the event loop's (not thread-safe).
 */
#ifndef TL_PICKER_H
#define TL_PICKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/bitfield.h"

/* Piece priorities: 0 skips a piece; higher is fetched first. */
#define TL_PICKER_PRIO_SKIP 0u
#define TL_PICKER_PRIO_NORMAL 4u
#define TL_PICKER_PRIO_MAX 7u

/* Random pieces until this many are complete (then rarest first). */
#define TL_PICKER_RANDOM_FIRST 4u
/* Endgame: most peers one block is requested from at once. */
#define TL_PICKER_ENDGAME_DUP 3u

struct tl_block {
	uint32_t piece;
	uint32_t begin;
	uint32_t length;
};

/* What tl_picker_received() made of a block. */
enum tl_picker_result {
	TL_PICKER_NEW = 0,  /* stored; the piece still misses blocks */
	TL_PICKER_DONE = 1, /* stored, and every block of the piece is in: hash it */
	TL_PICKER_DUP = 2,  /* already had it (or the piece): drop the data */
	TL_PICKER_BAD = 3,  /* not a block of ours (misaligned, wrong length) */
};

struct tl_picker;

/*
 * A picker for npieces pieces of piece_len bytes (the last one holds the
 * rest of total_len). have (may be NULL) gives the pieces already
 * verified. Every piece starts at TL_PICKER_PRIO_NORMAL. seed drives the
 * random choices (tests pass a fixed one). NULL when the geometry is
 * inconsistent (npieces == 0, piece_len not a multiple of 16 KiB or over
 * TL_MAX_PIECE_LEN, total_len not in the last piece, have->n != npieces).
 */
struct tl_picker *tl_picker_new(uint32_t npieces, uint32_t piece_len, uint64_t total_len,
    const struct tl_bitfield *have, uint64_t seed);
void tl_picker_free(struct tl_picker *p);

/* ---- availability: report what each peer has ---- */
/* A peer has piece (HAVE); O(1). An index out of range is ignored. */
void tl_picker_peer_have(struct tl_picker *p, uint32_t piece);
/* A peer has every piece set in has (BITFIELD; has->n == npieces);
 * O(pieces set). has is borrowed for the call. */
void tl_picker_peer_bitfield(struct tl_picker *p, const struct tl_bitfield *has);
/* A peer has every piece (HAVE_ALL, or a complete bitfield); O(1). */
void tl_picker_peer_have_all(struct tl_picker *p);
/* A peer is gone (or its HAVE_ALL / bitfield is withdrawn): has is what it
 * had, NULL for a peer counted by tl_picker_peer_have_all. Requests are
 * dropped separately with tl_picker_peer_abort_all(). */
void tl_picker_peer_lost(struct tl_picker *p, const struct tl_bitfield *has);
/* Peers that have piece (seeds included). */
uint32_t tl_picker_availability(const struct tl_picker *p, uint32_t piece);

/* ---- what we want ---- */
void tl_picker_set_piece_priority(struct tl_picker *p, uint32_t piece, unsigned prio);
/*
 * Piece priorities from file priorities: file i covers bytes
 * [offset[i], offset[i] + length[i]) of the torrent; a piece gets the
 * highest priority of the files with a byte in it (0 when none).
 */
void tl_picker_set_file_priorities(struct tl_picker *p, size_t nfiles, const uint64_t *offset,
    const uint64_t *length, const uint8_t *prio);
/* Lowest piece first instead of rarest (streaming). */
void tl_picker_set_sequential(struct tl_picker *p, bool is_sequential);

/* ---- picking ---- */
/*
 * Up to max blocks to request from the peer keyed peer whose pieces are
 * has (NULL: every piece). They are marked requested by that peer. Returns
 * the number written to out. While the peer chokes us, has can be its
 * BEP 6 allowed fast set (intersected with what it has) instead.
 */
size_t tl_picker_next(struct tl_picker *p, const struct tl_bitfield *has, uint64_t peer, size_t max,
    struct tl_block *out);
/* A request of peer will not be answered (REJECT, choke, timeout). */
void tl_picker_abort(struct tl_picker *p, uint64_t peer, uint32_t piece, uint32_t begin);
/* Every request of peer will not be answered (disconnect, choke). */
void tl_picker_peer_abort_all(struct tl_picker *p, uint64_t peer);

/*
 * A block arrived from peer. Writes to cancel_out (up to max_cancel) the
 * other peers this block was requested from in endgame, so the caller
 * sends them CANCEL; *ncancel_out is their count. Data that arrives late
 * (after an abort) is still taken.
 */
enum tl_picker_result tl_picker_received(struct tl_picker *p, uint64_t peer, uint32_t piece, uint32_t begin,
    uint32_t length, uint64_t *cancel_out, size_t max_cancel, size_t *ncancel_out);

/* The hash of a complete piece matched: it is ours. */
void tl_picker_piece_verified(struct tl_picker *p, uint32_t piece);
/* The distinct peers that sent blocks of piece (call before
 * tl_picker_piece_failed to score them). Returns the count written. */
size_t tl_picker_piece_senders(const struct tl_picker *p, uint32_t piece, uint64_t *out, size_t max);
/* The hash did not match: every block of the piece is fetched again. */
void tl_picker_piece_failed(struct tl_picker *p, uint32_t piece);

/* ---- state ---- */
/* Verified pieces; valid until the picker changes. */
const struct tl_bitfield *tl_picker_have(const struct tl_picker *p);
/* Every wanted piece is verified. */
bool tl_picker_is_complete(const struct tl_picker *p);
/* The peer has a wanted piece we lack (has NULL: a seed). */
bool tl_picker_is_interesting(const struct tl_picker *p, const struct tl_bitfield *has);
/* As of the last tl_picker_next(): every missing piece is started and no
 * block of them is free (only endgame duplicates are handed out). */
bool tl_picker_is_endgame(const struct tl_picker *p);
/* Bytes of piece / blocks in it. */
uint32_t tl_picker_piece_len(const struct tl_picker *p, uint32_t piece);

#endif
