/* bitfield.c: piece sets in wire order (see bitfield.h). */
#include "codec/bitfield.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void tl_bitfield_init(struct tl_bitfield *bf, uint32_t n)
{
	size_t nb = tl_bitfield_nbytes(n);
	bf->bits = nb ? tl_calloc(nb, 1) : NULL;
	bf->n = n;
	bf->count = 0;
}

void tl_bitfield_init_copy(struct tl_bitfield *bf, const struct tl_bitfield *src)
{
	tl_bitfield_init(bf, src->n);
	if (src->n)
		memcpy(bf->bits, src->bits, tl_bitfield_nbytes(src->n));
	bf->count = src->count;
}

void tl_bitfield_clear(struct tl_bitfield *bf)
{
	if (!bf)
		return;
	free(bf->bits);
	bf->bits = NULL;
	bf->n = 0;
	bf->count = 0;
}

bool tl_bitfield_set(struct tl_bitfield *bf, uint32_t i)
{
	assert(i < bf->n);
	uint8_t m = (uint8_t)(0x80u >> (i & 7));
	if (bf->bits[i >> 3] & m)
		return false;
	bf->bits[i >> 3] |= m;
	bf->count++;
	return true;
}

bool tl_bitfield_unset(struct tl_bitfield *bf, uint32_t i)
{
	assert(i < bf->n);
	uint8_t m = (uint8_t)(0x80u >> (i & 7));
	if (!(bf->bits[i >> 3] & m))
		return false;
	bf->bits[i >> 3] &= (uint8_t)~m;
	bf->count--;
	return true;
}

/* Mask of the valid bits of the last byte (wire order). */
static uint8_t last_mask(uint32_t n)
{
	unsigned r = n & 7;
	return r ? (uint8_t)(0xffu << (8 - r)) : 0xffu;
}

void tl_bitfield_set_all(struct tl_bitfield *bf)
{
	size_t nb = tl_bitfield_nbytes(bf->n);
	if (!nb)
		return;
	memset(bf->bits, 0xff, nb);
	bf->bits[nb - 1] = last_mask(bf->n);
	bf->count = bf->n;
}

void tl_bitfield_unset_all(struct tl_bitfield *bf)
{
	if (bf->n)
		memset(bf->bits, 0, tl_bitfield_nbytes(bf->n));
	bf->count = 0;
}

int tl_bitfield_from_wire(struct tl_bitfield *bf, const uint8_t *p, size_t len, const char **why_out)
{
	size_t nb = tl_bitfield_nbytes(bf->n);
	if (len != nb) {
		*why_out = "bitfield length does not match the piece count";
		return -1;
	}
	if (nb && (p[nb - 1] & (uint8_t)~last_mask(bf->n))) {
		*why_out = "bitfield has spare bits set";
		return -1;
	}
	uint32_t c = 0;
	for (size_t i = 0; i < nb; i++)
		c += (uint32_t)__builtin_popcount(p[i]);
	if (nb)
		memcpy(bf->bits, p, nb);
	bf->count = c;
	return 0;
}

/* Big-endian load of up to 8 bytes from byte k (missing bytes read as
 * `fill`), so the lowest piece index is the most significant bit. */
static uint64_t load_be(const struct tl_bitfield *bf, size_t k, uint8_t fill)
{
	size_t nb = tl_bitfield_nbytes(bf->n);
	uint64_t v = 0;
	for (size_t j = 0; j < 8; j++)
		v = v << 8 | (k + j < nb ? bf->bits[k + j] : fill);
	return v;
}

static uint32_t next_bit(const struct tl_bitfield *bf, uint32_t from, bool want_set)
{
	if (from >= bf->n)
		return bf->n;
	size_t k = from >> 3;
	uint64_t w = load_be(bf, k, want_set ? 0 : 0xff);
	if (!want_set)
		w = ~w;
	w &= ~(uint64_t)0 >> (from & 7); /* drop bits before `from` in this word */
	size_t nb = tl_bitfield_nbytes(bf->n);
	for (;;) {
		if (w) {
			uint64_t idx = (uint64_t)k * 8 + (uint64_t)__builtin_clzll(w);
			return idx < bf->n ? (uint32_t)idx : bf->n;
		}
		k += 8;
		if (k >= nb)
			return bf->n;
		w = load_be(bf, k, want_set ? 0 : 0xff);
		if (!want_set)
			w = ~w;
	}
}

uint32_t tl_bitfield_next_set(const struct tl_bitfield *bf, uint32_t from)
{
	return next_bit(bf, from, true);
}

uint32_t tl_bitfield_next_clear(const struct tl_bitfield *bf, uint32_t from)
{
	return next_bit(bf, from, false);
}

bool tl_bitfield_has_missing(const struct tl_bitfield *a, const struct tl_bitfield *b)
{
	assert(a->n == b->n);
	size_t nb = tl_bitfield_nbytes(a->n);
	for (size_t i = 0; i < nb; i++)
		if (a->bits[i] & (uint8_t)~b->bits[i])
			return true;
	return false;
}
