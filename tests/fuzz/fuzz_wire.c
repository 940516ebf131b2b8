/* fuzz_wire.c: a stream of peer messages under limits taken from the first
 * 8 input bytes. Every accepted message must lie inside the input, encode
 * back to the same bytes, and agree with the head-only parse. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/err.h"
#include "proto/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	struct tl_wire_limits lim = {
		.npieces = (uint32_t)data[0] << 8 | data[1],
		.piece_len = 16384u << (data[2] & 7),
		.has_fast = data[3] & 1,
		.has_extended = data[3] & 2,
		.max_ext_len = (uint32_t)data[4] << 8,
	};
	lim.last_piece_len = 1 + (((uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7]) % lim.piece_len);
	const uint8_t *p = data + 8;
	size_t len = size - 8;
	for (;;) {
		struct tl_wire_msg m, h;
		size_t used = 0, hused = 0;
		const char *why = NULL, *hwhy = NULL;
		int rc = tl_wire_parse(p, len, &lim, &m, &used, &why);
		int hrc = tl_wire_parse_head(p, len, &lim, &h, &hused, &hwhy);
		if (rc == TL_EINVAL && !why)
			abort();
		if (rc == TL_EAGAIN && used <= len)
			abort();
		if (rc != TL_OK) {
			/* the head parse may only get further on a piece */
			if (hrc != rc && !(hrc == TL_OK && h.id == TL_WIRE_PIECE))
				abort();
			return 0;
		}
		if (hrc != TL_OK || h.id != m.id || h.index != m.index || h.begin != m.begin ||
		    h.payload_len != m.payload_len || hused > used)
			abort();
		if (used > len || m.payload_off > used || m.payload_len > used - m.payload_off)
			abort();
		uint8_t b[TL_WIRE_MAX_HEAD];
		size_t n = tl_wire_encode(&m, b, sizeof(b));
		if (n == 0 || n + m.payload_len != used || memcmp(b, p, n) != 0)
			abort();
		(void)tl_wire_name(m.id);
		p += used;
		len -= used;
	}
}
