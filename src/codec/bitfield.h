/*
 * bitfield.h: a set of N pieces stored in BEP 3 wire order (piece 0 is the
 * high bit of byte 0), so the same bytes go to and come from the wire with
 * no conversion.
 *
 * Owns: its byte array (ceil(N/8) bytes).
 * Invariants: spare bits past N are always zero; `count` equals the number
 * of set bits.
 * Thread: any, one object per thread.
 */
#ifndef TL_BITFIELD_H
#define TL_BITFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_bitfield {
	uint8_t *bits;  /* nbytes(n) bytes, wire order; NULL when n == 0 */
	uint32_t n;     /* number of pieces */
	uint32_t count; /* set bits */
};

/* Bytes of a wire bitfield for n pieces: ceil(n / 8). */
static inline size_t tl_bitfield_nbytes(uint32_t n)
{
	return ((size_t)n + 7) / 8;
}

/* Initialize an empty (all clear) bitfield of n pieces. Aborts on OOM. */
void tl_bitfield_init(struct tl_bitfield *bf, uint32_t n);
/* Initialize as a copy of src. */
void tl_bitfield_init_copy(struct tl_bitfield *bf, const struct tl_bitfield *src);
/* Release the bytes; bf may be NULL. Leaves an empty 0-piece bitfield. */
void tl_bitfield_clear(struct tl_bitfield *bf);

/* Bit i; i >= n reads as false. */
static inline bool tl_bitfield_get(const struct tl_bitfield *bf, uint32_t i)
{
	return i < bf->n && (bf->bits[i >> 3] >> (7 - (i & 7)) & 1);
}

/* Set / clear bit i (i < n, asserted). Return true when the bit changed. */
bool tl_bitfield_set(struct tl_bitfield *bf, uint32_t i);
bool tl_bitfield_unset(struct tl_bitfield *bf, uint32_t i);
/* Set or clear every bit. */
void tl_bitfield_set_all(struct tl_bitfield *bf);
void tl_bitfield_unset_all(struct tl_bitfield *bf);

/* Number of set bits, O(1). */
static inline uint32_t tl_bitfield_count(const struct tl_bitfield *bf)
{
	return bf->count;
}

/* Every piece set (true for n == 0) / no piece set. */
static inline bool tl_bitfield_all(const struct tl_bitfield *bf)
{
	return bf->count == bf->n;
}

static inline bool tl_bitfield_none(const struct tl_bitfield *bf)
{
	return bf->count == 0;
}

/*
 * Load wire bytes p[0..len) into bf (already initialized for its n).
 * Returns 0, or -1 with a static reason in *why_out when len is not
 * ceil(n/8) or a spare bit is set (BEP 3: "Spare bits at the end are set to
 * zero. Clients which receive a bitfield with any spare bits set should
 * drop the connection"). bf is unchanged on error.
 */
int tl_bitfield_from_wire(struct tl_bitfield *bf, const uint8_t *p, size_t len, const char **why_out);

/* The wire bytes (tl_bitfield_nbytes(n) of them); valid until bf changes. */
static inline const uint8_t *tl_bitfield_bytes(const struct tl_bitfield *bf)
{
	return bf->bits;
}

/* First set / clear bit at index >= from, or n when there is none. Skips
 * 64 bits at a time. */
uint32_t tl_bitfield_next_set(const struct tl_bitfield *bf, uint32_t from);
uint32_t tl_bitfield_next_clear(const struct tl_bitfield *bf, uint32_t from);

/* True when a has a bit that b lacks (a \ b non-empty): "a is interesting
 * to b". Both must have the same n. */
bool tl_bitfield_has_missing(const struct tl_bitfield *a, const struct tl_bitfield *b);

#endif
