/* fuzz_ut_metadata.c: BEP 9 message parser; accepted data must lie inside
 * the input and have the size its piece requires, and every accepted
 * message must rebuild to the same dictionary. Data messages are then fed
 * to an assembler for the size they claim. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/err.h"
#include "proto/ut_metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_utm_msg m;
	const char *why = NULL;
	int rc = tl_utm_parse(data, size, &m, &why);
	if (rc == TL_EINVAL && !why)
		abort();
	if (rc != TL_OK)
		return 0;
	if (m.data_off > size || m.data_len > size - m.data_off)
		abort();
	if (m.type == TL_UTM_DATA && m.data_len != tl_utm_piece_len(m.total_size, m.piece))
		abort();
	uint8_t b[TL_UTM_MAX_HEAD];
	size_t n = tl_utm_build(m.type, m.piece, m.total_size, b, sizeof(b));
	struct tl_utm_msg again;
	if (n == 0 || tl_utm_parse(b, n, &again, &why) != (m.type == TL_UTM_DATA && m.data_len ? TL_EINVAL : TL_OK))
		abort();
	if (m.type == TL_UTM_DATA) {
		struct tl_infohash ih = { { 0 } };
		struct tl_utm_asm *a = tl_utm_asm_new(&ih, m.total_size);
		uint32_t piece;
		if (!a)
			abort();
		while (tl_utm_asm_next(a, 1, &piece) == TL_OK && piece != m.piece)
			;
		rc = tl_utm_asm_add(a, 1, m.piece, m.total_size, data + m.data_off, m.data_len, &why);
		if (rc == TL_EINVAL)
			abort();
		tl_utm_asm_free(a);
	}
	return 0;
}
