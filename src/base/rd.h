/*
 * rd.h: a bounded read cursor over untrusted bytes. Every read checks the
 * remaining length first; a failed read sets a sticky error, so a run of
 * reads is checked once at the end.
 */
#ifndef TL_RD_H
#define TL_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tl_rd {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void tl_rd_init(struct tl_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->end = p + len;
	r->err = false;
}

static inline size_t tl_rd_left(const struct tl_rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline bool tl_rd_need(struct tl_rd *r, size_t n)
{
	if (r->err || n > (size_t)(r->end - r->p)) {
		r->err = true;
		return false;
	}
	return true;
}

static inline uint8_t tl_rd_u8(struct tl_rd *r)
{
	if (!tl_rd_need(r, 1))
		return 0;
	return *r->p++;
}

static inline uint16_t tl_rd_be16(struct tl_rd *r)
{
	if (!tl_rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static inline uint32_t tl_rd_be32(struct tl_rd *r)
{
	if (!tl_rd_need(r, 4))
		return 0;
	uint32_t v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 |
	    r->p[3];
	r->p += 4;
	return v;
}

static inline uint64_t tl_rd_be64(struct tl_rd *r)
{
	uint64_t hi = tl_rd_be32(r);
	return hi << 32 | tl_rd_be32(r);
}

/* Copy n bytes out; on failure out is zeroed. */
static inline void tl_rd_bytes(struct tl_rd *r, void *out, size_t n)
{
	if (!tl_rd_need(r, n)) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, r->p, n);
	r->p += n;
}

/* A view of the next n bytes (NULL on failure). */
static inline const uint8_t *tl_rd_view(struct tl_rd *r, size_t n)
{
	if (!tl_rd_need(r, n))
		return NULL;
	const uint8_t *v = r->p;
	r->p += n;
	return v;
}

#endif
