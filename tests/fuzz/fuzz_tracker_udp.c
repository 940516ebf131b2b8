/* fuzz_tracker_udp.c: BEP 15 reply packets. The first byte picks the
 * expected action and socket family; the transaction id expected is the
 * one in the packet half of the time, so both the id check and the bodies
 * behind it are reached. */
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/err.h"
#include "fuzz.h"
#include "proto/tracker_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++, size--;
	struct tl_infohash ih[3];
	memset(ih, 0xab, sizeof(ih));
	uint32_t tid = 0x12345678;
	if ((sel & 8) && size >= 8)
		tid = (uint32_t)data[4] << 24 | (uint32_t)data[5] << 16 | (uint32_t)data[6] << 8 | data[7];
	enum tl_udp_action act = (enum tl_udp_action)(sel & 3);
	int family = (sel & 4) ? AF_INET6 : AF_INET;
	struct tl_tracker_reply r;
	const char *why = NULL;
	if (tl_udp_parse_reply(data, size, tid, act, family, ih, 3, &r, &why) == TL_OK) {
		if (r.npeers > TL_MAX_TRACKER_PEERS || r.nfiles > 3)
			abort();
		for (size_t i = 0; i < r.npeers; i++)
			if (r.peers[i].ss_family != family)
				abort();
		if (r.failure && strlen(r.failure) > TL_MAX_TRACKER_MSG)
			abort();
	} else if (!why || r.peers || r.files) {
		abort();
	}
	tl_tracker_reply_clear(&r);
	return 0;
}
