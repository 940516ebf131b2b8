/*
 * early_have.h: what a peer says it has before we know the torrent's
 * piece count (BEP 3 BITFIELD and HAVE, BEP 6 HAVE_ALL and HAVE_NONE),
 * kept while a magnet link's metadata is fetched so the connection can
 * carry on into the download (metafetch.c keeps, torrent.c installs).
 *
 * Bounds: an info dictionary of at most TL_MAX_METADATA_SIZE bytes names
 * at most TL_EARLY_MAX_PIECES pieces (20 bytes of "pieces" each), so a
 * longer bitfield or a HAVE index at or past that count is refused at
 * once. The HAVE indexes go into a bitfield grown on demand up to that
 * count, so a peer costs at most two such bitfields whatever it sends.
 *
 * Once the piece count is known tl_early_have_apply checks the kept set
 * exactly as a torrent checks a BITFIELD (length, spare bits) and every
 * HAVE index against the count.
 *
 * A zeroed struct is an empty set ("nothing said yet"). Pure (no I/O);
 * owns its two byte arrays. Thread: any, one object per thread.
 */
#ifndef TL_EARLY_HAVE_H
#define TL_EARLY_HAVE_H

#include <stddef.h>
#include <stdint.h>

#include "codec/bitfield.h"

enum tl_early_base {
	TL_EARLY_NOTHING = 0, /* no BITFIELD, HAVE_ALL or HAVE_NONE (yet) */
	TL_EARLY_BITFIELD,
	TL_EARLY_ALL,
	TL_EARLY_NONE,
};

struct tl_early_have {
	enum tl_early_base base;
	uint8_t *bits;     /* BITFIELD payload as received */
	size_t nbits;      /* its length in bytes */
	uint8_t *haves;    /* HAVE indexes since the base, wire order */
	size_t nhaves;     /* bytes of haves in use (grown on demand) */
};

/* Release the arrays; leaves an empty set. NULL is a no-op. */
void tl_early_have_clear(struct tl_early_have *eh);

/* A BITFIELD of len bytes (copied); it replaces what was kept, HAVEs
 * included, as a late one does in a torrent. TL_OK, or TL_EINVAL with a
 * static *why_out when len is 0 or over TL_EARLY_MAX_BITFIELD_LEN. */
int tl_early_have_bitfield(struct tl_early_have *eh, const uint8_t *p, size_t len, const char **why_out);
/* HAVE_ALL / HAVE_NONE: replace what was kept. */
void tl_early_have_all(struct tl_early_have *eh);
void tl_early_have_none(struct tl_early_have *eh);
/* A HAVE of index. TL_OK, or TL_EINVAL with *why_out when index is at or
 * past TL_EARLY_MAX_PIECES. */
int tl_early_have_have(struct tl_early_have *eh, uint32_t index, const char **why_out);

/*
 * Install the kept set into out (initialised for the real piece count
 * out->n): the base, then the HAVEs. TL_OK, or TL_EINVAL with a static
 * *why_out (close the peer) when the bitfield's length is not
 * ceil(n/8), a spare bit is set, or a HAVE index is >= n; out is left
 * empty then.
 */
int tl_early_have_apply(const struct tl_early_have *eh, struct tl_bitfield *out, const char **why_out);

#endif
