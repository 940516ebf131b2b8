/* fuzz_early_have.c: a peer's piece set told before the piece count is
 * known (early_have.h). The first 3 bytes give the real piece count; then
 * ops: 0 LEN16 BYTES (BITFIELD), 1 INDEX32 (HAVE), 2 (HAVE_ALL),
 * 3 (HAVE_NONE). What is kept stays within its bounds; installing it
 * either succeeds with exactly the told pieces (HAVEs since the last base
 * all set, every piece after HAVE_ALL) or fails with a reason and an
 * empty set. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/bounds.h"
#include "proto/early_have.h"
#include "base/err.h"

#define MAX_TOLD 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	uint32_t n = 1 + (((uint32_t)data[0] << 16 | (uint32_t)data[1] << 8 | data[2]) % TL_EARLY_MAX_PIECES);
	const uint8_t *p = data + 3, *end = data + size;
	struct tl_early_have eh = { 0 };
	uint32_t told[MAX_TOLD];
	size_t ntold = 0;
	bool is_refused = false;
	while (p < end && !is_refused) {
		const char *why = NULL;
		int rc = TL_OK;
		uint8_t op = *p++ & 3;
		if (op == 0 && end - p >= 2) {
			size_t len = (size_t)p[0] << 8 | p[1];
			p += 2;
			if (len > (size_t)(end - p))
				len = (size_t)(end - p);
			rc = tl_early_have_bitfield(&eh, p, len, &why);
			p += len;
			ntold = 0;
		} else if (op == 1 && end - p >= 4) {
			uint32_t idx = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
			p += 4;
			rc = tl_early_have_have(&eh, idx, &why);
			if (rc == TL_OK && ntold < MAX_TOLD)
				told[ntold++] = idx;
			if ((rc == TL_OK) != (idx < TL_EARLY_MAX_PIECES))
				abort();
		} else if (op == 2) {
			tl_early_have_all(&eh);
			ntold = 0;
		} else if (op == 3) {
			tl_early_have_none(&eh);
			ntold = 0;
		} else {
			break;
		}
		if (rc != TL_OK && !why)
			abort();
		is_refused = rc != TL_OK; /* the peer would be closed here */
		if (eh.nbits > TL_EARLY_MAX_BITFIELD_LEN || eh.nhaves > TL_EARLY_MAX_BITFIELD_LEN)
			abort();
	}
	struct tl_bitfield bf;
	tl_bitfield_init(&bf, n);
	const char *why = NULL;
	int rc = tl_early_have_apply(&eh, &bf, &why);
	if (rc == TL_OK) {
		uint32_t count = 0;
		for (uint32_t i = 0; i < n; i++)
			count += tl_bitfield_get(&bf, i);
		if (count != bf.count || (eh.base == TL_EARLY_ALL && count != n))
			abort();
		for (size_t i = 0; i < ntold; i++)
			if (!tl_bitfield_get(&bf, told[i]))
				abort();
	} else if (rc != TL_EINVAL || !why || bf.count != 0) {
		abort();
	}
	tl_bitfield_clear(&bf);
	tl_early_have_clear(&eh);
	return 0;
}
