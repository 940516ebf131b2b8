/*
 * piecebuf.h: the spare piece buffers of a torrent, shared by its download
 * side (pieces being assembled) and its upload side (pieces read for
 * peers). A fresh buffer costs a page fault per 4 KiB as it is first
 * written, so finished buffers are kept for the next piece: at most
 * TL_PIECEBUF_SPARE of them.
 *
 * Every buffer is piece_len bytes, aligned for O_DIRECT writes (see
 * diskio.c); free() frees one. Pure memory: no I/O. Embedded in struct
 * tl_torrent; owns the spare buffers. Thread: the loop thread.
 */
#ifndef TL_PIECEBUF_H
#define TL_PIECEBUF_H

#include <stddef.h>
#include <stdint.h>

/* Buffers kept for reuse (at most this many pieces' worth of memory over
 * what is in use). */
#define TL_PIECEBUF_SPARE 4u
#define TL_PIECEBUF_ALIGN 4096u

struct tl_piecebuf {
	uint8_t **spare; /* TL_PIECEBUF_SPARE slots */
	size_t nspare;
	size_t piece_len;
};

void tl_piecebuf_init(struct tl_piecebuf *pb, size_t piece_len);
/* Free the spare buffers (buffers handed out are their holders'). */
void tl_piecebuf_clear(struct tl_piecebuf *pb);
/* A buffer of piece_len bytes: a spare one, or a new one (aborts when out
 * of memory, as tl_malloc). The caller owns it until tl_piecebuf_put. */
uint8_t *tl_piecebuf_get(struct tl_piecebuf *pb);
/* Give buf (from tl_piecebuf_get) back: kept while there is a free slot,
 * else freed. */
void tl_piecebuf_put(struct tl_piecebuf *pb, uint8_t *buf);
/* As tl_piecebuf_put, but kept only while the spares would stay within
 * max_bytes (one is always kept when there is none). */
void tl_piecebuf_put_within(struct tl_piecebuf *pb, uint8_t *buf, uint64_t max_bytes);

#endif
