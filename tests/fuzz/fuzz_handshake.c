/* fuzz_handshake.c: the incremental handshake parser at every split point;
 * the verdict must never change as more bytes arrive, and an accepted
 * handshake must rebuild to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/err.h"
#include "proto/handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_handshake hs;
	const char *why = NULL;
	int last = TL_EAGAIN;
	for (size_t len = 0; len <= size && len <= TL_HANDSHAKE_LEN; len++) {
		why = NULL;
		int rc = tl_handshake_parse(data, len, &hs, &why);
		if (rc == TL_EINVAL && !why)
			abort();
		if (last == TL_EINVAL && rc != TL_EINVAL)
			abort(); /* once refused, always refused */
		if (rc == TL_OK && len != TL_HANDSHAKE_LEN)
			abort();
		last = rc;
	}
	if (last == TL_OK) {
		uint8_t b[TL_HANDSHAKE_LEN];
		tl_handshake_build(&hs, b);
		if (memcmp(b, data, TL_HANDSHAKE_LEN) != 0)
			abort();
		(void)tl_handshake_flags(hs.reserved);
	}
	return 0;
}
