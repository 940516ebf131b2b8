/*
 * ut_metadata.h: BEP 9 metadata exchange, sans-I/O: the request / data /
 * reject messages, and an assembler that collects the 16 KiB pieces of the
 * info dictionary from several peers and checks the whole against the
 * infohash.
 *
 * A message is a bencoded dict {msg_type, piece[, total_size]}; a data
 * message is followed by the raw piece bytes (every piece is 16 KiB but the
 * last). Sizes are bounded by TL_MAX_METADATA_SIZE.
 *
 * The assembler owns one buffer of total_size bytes and per-piece state
 * (none / requested by a peer / received from a peer). Peers are opaque
 * 64-bit keys chosen by the caller. Timeouts are the caller's: it calls
 * tl_utm_asm_release() for a peer that is gone or too slow.
 *
 * Thread: any, one object per thread.
 */
#ifndef TL_UT_METADATA_H
#define TL_UT_METADATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"

enum tl_utm_type {
	TL_UTM_REQUEST = 0,
	TL_UTM_DATA = 1,
	TL_UTM_REJECT = 2,
};

/* Longest dictionary tl_utm_build() writes. */
#define TL_UTM_MAX_HEAD 64u

struct tl_utm_msg {
	int type;            /* enum tl_utm_type */
	uint32_t piece;
	uint32_t total_size; /* data only */
	size_t data_off;     /* data only: the piece bytes, as offset in the input */
	size_t data_len;     /*   and length */
};

/*
 * Parse an ut_metadata payload p[0..len) (after the extended id byte).
 * Checks: piece within TL_MAX_METADATA_SIZE; for data, 0 < total_size <=
 * TL_MAX_METADATA_SIZE, piece < its piece count, and exactly the bytes the
 * piece must have (16 KiB, or the remainder for the last one); nothing
 * after the dict of a request or reject. Returns TL_OK, TL_ENOTSUP for an
 * unknown msg_type (to be ignored, BEP 9), or TL_EINVAL with *why_out.
 */
int tl_utm_parse(const uint8_t *p, size_t len, struct tl_utm_msg *out, const char **why_out);

/*
 * Write the dictionary of a message into out[0..cap) (total_size is used
 * for data only; the caller sends the piece bytes right after). Returns
 * its length, or 0 when cap is too small.
 */
size_t tl_utm_build(enum tl_utm_type type, uint32_t piece, uint32_t total_size, uint8_t *out, size_t cap);

/* Pieces in metadata of total_size bytes, and the length of piece i (0
 * past the end). */
uint32_t tl_utm_npieces(uint32_t total_size);
uint32_t tl_utm_piece_len(uint32_t total_size, uint32_t piece);

struct tl_utm_asm;

/* An assembler for metadata of total_size bytes (a peer's metadata_size)
 * expected to hash to ih. NULL when total_size is 0 or over the bound. */
struct tl_utm_asm *tl_utm_asm_new(const struct tl_infohash *ih, uint32_t total_size);
/* Free a and its buffer; a may be NULL. */
void tl_utm_asm_free(struct tl_utm_asm *a);

/* The total_size the assembler was made for. */
uint32_t tl_utm_asm_total_size(const struct tl_utm_asm *a);

/* Choose a piece to request from peer and mark it requested by that peer.
 * TL_OK with *piece_out, or TL_ENOENT when every piece is received or
 * requested from someone. */
int tl_utm_asm_next(struct tl_utm_asm *a, uint64_t peer, uint32_t *piece_out);

/* Forget every request outstanding to peer (gone, too slow), or one of them
 * (it sent a reject), so another peer gets asked. */
void tl_utm_asm_release(struct tl_utm_asm *a, uint64_t peer);
void tl_utm_asm_reject(struct tl_utm_asm *a, uint64_t peer, uint32_t piece);

/*
 * A data message from peer. Refused (TL_EINVAL, *why_out; the peer is to
 * blame) when total_size differs from ours or the piece index or len is
 * wrong. A piece is taken from whoever sends it (a late answer after a
 * release too; the hash decides); a copy of a piece already in is
 * dropped. The result is TL_EAGAIN while pieces are missing; TL_OK when the metadata is
 * complete and its SHA-1 equals the infohash; or TL_EIO with *why_out when
 * complete but the hash differs: then tl_utm_asm_source() says who sent
 * each piece and tl_utm_asm_reset() starts over.
 */
int tl_utm_asm_add(struct tl_utm_asm *a, uint64_t peer, uint32_t piece, uint32_t total_size, const uint8_t *data,
    size_t len, const char **why_out);

/* The peer a piece was received from (valid for received pieces). */
uint64_t tl_utm_asm_source(const struct tl_utm_asm *a, uint32_t piece);
/* Drop everything received and requested. */
void tl_utm_asm_reset(struct tl_utm_asm *a);

/* All pieces are in and their SHA-1 matched the infohash. */
bool tl_utm_asm_is_complete(const struct tl_utm_asm *a);
/* The verified metadata (the raw info dictionary), or NULL before
 * completion. Valid until the assembler is reset or freed. */
const uint8_t *tl_utm_asm_data(const struct tl_utm_asm *a, size_t *len_out);

#endif
