/* fuzz_magnet.c: magnet parser. Every accepted link must format to a link
 * that parses to the same fields and formats to the same text again. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "codec/magnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_magnet *m = NULL, *back = NULL;
	const char *why = NULL;
	if (tl_magnet_parse((const char *)data, size, &m, &why) != 0) {
		if (m || !why || !*why)
			abort();
		return 0;
	}
	if (m->select_only) {
		bool sel[64] = { false };
		if (tl_magnet_select(m->select_only, 64, sel) < 0)
			abort();
	}
	char *link = tl_magnet_format(m);
	if (tl_magnet_parse(link, strlen(link), &back, &why) == 0) {
		if (!tl_magnet_equal(back, m))
			abort();
		char *again = tl_magnet_format(back);
		if (strcmp(again, link) != 0)
			abort();
		free(again);
		tl_magnet_free(back);
	} else if (!strstr(why, "longer than")) {
		/* escaping can only make a link longer, never invalid */
		abort();
	}
	free(link);
	tl_magnet_free(m);
	return 0;
}
