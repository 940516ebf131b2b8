/* fuzz_udp_classify.c: the session UDP port's classifier (io/udp.h). Each
 * kind it returns must keep its rule (KRPC: 'd'; uTP: version 1, type
 * 0..4, a whole header; UDP tracker: action 0..3, at least action and
 * transaction id), every 'd' datagram is KRPC, and the answer depends on
 * the first four bytes and the length only. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "io/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tl_udp_kind k = tl_udp_classify(data, size);
	if ((unsigned)k >= TL_UDP_NKINDS)
		abort();
	if ((size > 0 && data[0] == 'd') != (k == TL_UDP_DHT))
		abort();
	if (k == TL_UDP_UTP && (size < TL_UDP_UTP_HEADER || (data[0] & 0x0f) != 1 || data[0] >> 4 > 4))
		abort();
	if (k == TL_UDP_TRACKER &&
	    (size < TL_UDP_TRACKER_MIN || data[0] || data[1] || data[2] || data[3] > 3))
		abort();
	if (size > 4) {
		uint8_t *copy = malloc(size);
		if (!copy)
			abort();
		memcpy(copy, data, 4);
		for (size_t i = 4; i < size; i++)
			copy[i] = (uint8_t)~data[i];
		if (tl_udp_classify(copy, size) != k)
			abort();
		free(copy);
	}
	return 0;
}
