/* early_have.c: see early_have.h. */
#include "proto/early_have.h"

#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/mem.h"

void tl_early_have_clear(struct tl_early_have *eh)
{
	if (!eh)
		return;
	free(eh->bits);
	free(eh->haves);
	memset(eh, 0, sizeof(*eh));
}

/* A new base drops the old one and the HAVEs that followed it. */
static void rebase(struct tl_early_have *eh, enum tl_early_base base)
{
	tl_early_have_clear(eh);
	eh->base = base;
}

int tl_early_have_bitfield(struct tl_early_have *eh, const uint8_t *p, size_t len, const char **why_out)
{
	if (len == 0 || len > TL_EARLY_MAX_BITFIELD_LEN) {
		*why_out = "bitfield longer than any torrent's whose metadata we fetch";
		return TL_EINVAL;
	}
	rebase(eh, TL_EARLY_BITFIELD);
	eh->bits = tl_malloc(len);
	memcpy(eh->bits, p, len);
	eh->nbits = len;
	return TL_OK;
}

void tl_early_have_all(struct tl_early_have *eh)
{
	rebase(eh, TL_EARLY_ALL);
}

void tl_early_have_none(struct tl_early_have *eh)
{
	rebase(eh, TL_EARLY_NONE);
}

int tl_early_have_have(struct tl_early_have *eh, uint32_t index, const char **why_out)
{
	if (index >= TL_EARLY_MAX_PIECES) {
		*why_out = "have index past any torrent's whose metadata we fetch";
		return TL_EINVAL;
	}
	size_t need = (size_t)index / 8 + 1;
	if (need > eh->nhaves) {
		/* Doubling, within the cap: amortised O(1) per HAVE. */
		size_t n = eh->nhaves ? eh->nhaves : 64;
		while (n < need)
			n *= 2;
		if (n > TL_EARLY_MAX_BITFIELD_LEN)
			n = TL_EARLY_MAX_BITFIELD_LEN;
		eh->haves = tl_realloc(eh->haves, n);
		memset(eh->haves + eh->nhaves, 0, n - eh->nhaves);
		eh->nhaves = n;
	}
	eh->haves[index >> 3] |= (uint8_t)(0x80u >> (index & 7));
	return TL_OK;
}

int tl_early_have_apply(const struct tl_early_have *eh, struct tl_bitfield *out, const char **why_out)
{
	tl_bitfield_unset_all(out);
	if (eh->base == TL_EARLY_ALL) {
		tl_bitfield_set_all(out);
	} else if (eh->base == TL_EARLY_BITFIELD && tl_bitfield_from_wire(out, eh->bits, eh->nbits, why_out) != 0) {
		return TL_EINVAL;
	}
	/* Any HAVE index >= n has a bit past ceil(n/8) bytes or a spare bit
	 * of the last byte: look at those first so nothing is half set. */
	size_t nb = tl_bitfield_nbytes(out->n);
	for (size_t i = nb; i < eh->nhaves; i++)
		if (eh->haves[i]) {
			tl_bitfield_unset_all(out);
			*why_out = "have index out of range";
			return TL_EINVAL;
		}
	if (nb > 0 && nb <= eh->nhaves && (out->n & 7) &&
	    (eh->haves[nb - 1] & (uint8_t)(0xffu >> (out->n & 7)))) {
		tl_bitfield_unset_all(out);
		*why_out = "have index out of range";
		return TL_EINVAL;
	}
	size_t end = eh->nhaves < nb ? eh->nhaves : nb;
	for (size_t i = 0; i < end; i++)
		for (unsigned b = 0; eh->haves[i] && b < 8; b++)
			if (eh->haves[i] & (0x80u >> b))
				tl_bitfield_set(out, (uint32_t)(i * 8 + b));
	return TL_OK;
}
