/* fuzz_ut_pex.c: BEP 11 parser; accepted lists must lie inside the input,
 * and (when small enough to send) rebuild into a message that parses to the
 * same contacts. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "base/bounds.h"
#include "base/err.h"
#include "proto/ut_pex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_pex_msg m, again;
	const char *why = NULL;
	if (tl_pex_parse(data, size, &m, &why) != TL_OK) {
		if (!why)
			abort();
		return 0;
	}
	static struct tl_pex_peer added[2 * TL_PEX_MAX_RECV], dropped[2 * TL_PEX_MAX_RECV];
	size_t na = 0, nd = 0;
	for (int l = 0; l < TL_PEX_NLISTS; l++) {
		if (m.count[l] > TL_PEX_MAX_RECV || (m.count[l] && (m.list[l] < data || m.list[l] >= data + size)))
			abort();
		for (size_t i = 0; i < m.count[l]; i++) {
			if (l <= TL_PEX_ADDED6)
				tl_pex_get(&m, l, i, &added[na++]);
			else
				tl_pex_get(&m, l, i, &dropped[nd++]);
		}
	}
	for (size_t i = 0; i < nd; i++)
		dropped[i].flags = 0;
	uint8_t b[TL_PEX_MAX_MSG_LEN];
	size_t n = tl_pex_build(added, na, dropped, nd, b, sizeof(b));
	if (na > TL_PEX_MAX_SEND || nd > TL_PEX_MAX_SEND) {
		if (n != 0)
			abort();
		return 0;
	}
	if (n == 0 || tl_pex_parse(b, n, &again, &why) != TL_OK)
		abort();
	size_t ka = 0;
	for (int l = TL_PEX_ADDED; l <= TL_PEX_ADDED6; l++)
		for (size_t i = 0; i < again.count[l]; i++) {
			struct tl_pex_peer p;
			tl_pex_get(&again, l, i, &p);
			/* rebuilt lists keep each family's order, v4 first */
			size_t k = 0, seen = 0;
			for (; k < na; k++)
				if (added[k].family == (l == TL_PEX_ADDED ? 4 : 6) && seen++ == i)
					break;
			if (k == na || added[k].port != p.port || memcmp(added[k].addr, p.addr, 16) != 0 ||
			    added[k].flags != p.flags)
				abort();
			ka++;
		}
	if (ka != na)
		abort();
	return 0;
}
