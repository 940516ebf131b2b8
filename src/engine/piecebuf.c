/* piecebuf.c: spare piece buffers; see piecebuf.h. */
#include "engine/piecebuf.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void tl_piecebuf_init(struct tl_piecebuf *pb, size_t piece_len)
{
	memset(pb, 0, sizeof(*pb));
	pb->spare = tl_calloc(TL_PIECEBUF_SPARE, sizeof(*pb->spare));
	pb->piece_len = piece_len;
}

void tl_piecebuf_clear(struct tl_piecebuf *pb)
{
	while (pb->nspare > 0)
		free(pb->spare[--pb->nspare]);
	free(pb->spare);
	pb->spare = NULL;
}

uint8_t *tl_piecebuf_get(struct tl_piecebuf *pb)
{
	if (pb->nspare > 0)
		return pb->spare[--pb->nspare];
	void *b = NULL;
	if (posix_memalign(&b, TL_PIECEBUF_ALIGN, pb->piece_len) != 0)
		abort(); /* out of memory, as tl_malloc */
	return b;
}

void tl_piecebuf_put(struct tl_piecebuf *pb, uint8_t *buf)
{
	if (pb->spare && pb->nspare < TL_PIECEBUF_SPARE)
		pb->spare[pb->nspare++] = buf;
	else
		free(buf);
}

void tl_piecebuf_put_within(struct tl_piecebuf *pb, uint8_t *buf, uint64_t max_bytes)
{
	if (pb->nspare == 0 || (uint64_t)(pb->nspare + 1) * pb->piece_len <= max_bytes)
		tl_piecebuf_put(pb, buf);
	else
		free(buf);
}
