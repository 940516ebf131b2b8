/* fuzz_ext.c: BEP 10 handshake parser; an accepted handshake must build
 * back into one that parses to the same values. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/err.h"
#include "proto/ext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_ext_hs hs, again;
	const char *why = NULL;
	if (tl_ext_hs_parse(data, size, &hs, &why) != TL_OK) {
		if (!why)
			abort();
		return 0;
	}
	if (hs.v && (hs.v < data || hs.v_len > size || hs.v > data + size - hs.v_len))
		abort();
	if (hs.v_len > 64)
		hs.v_len = 64;
	uint8_t b[TL_EXT_HS_MAX_LEN];
	size_t n = tl_ext_hs_build(&hs, b, sizeof(b));
	if (n == 0 || tl_ext_hs_parse(b, n, &again, &why) != TL_OK)
		abort();
	if (memcmp(again.ids, hs.ids, sizeof(hs.ids)) != 0 || memcmp(again.has_id, hs.has_id, sizeof(hs.has_id)) != 0 ||
	    again.port != hs.port || again.reqq != hs.reqq || again.metadata_size != hs.metadata_size ||
	    again.yourip_len != hs.yourip_len || again.v_len != hs.v_len || again.is_upload_only != hs.is_upload_only)
		abort();
	return 0;
}
