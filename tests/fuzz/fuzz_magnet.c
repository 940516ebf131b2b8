/* fuzz_magnet.c: magnet parser. Every accepted link must format to a link
 * that parses to the same fields and formats to the same text again. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "magnet.h"

static bool strv_eq(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool opt_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

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
		if (memcmp(back->infohash.b, m->infohash.b, 20) != 0 || !opt_eq(back->name, m->name) ||
		    !opt_eq(back->select_only, m->select_only) ||
		    !strv_eq(back->trackers, back->ntrackers, m->trackers, m->ntrackers) ||
		    !strv_eq(back->web_seeds, back->nweb_seeds, m->web_seeds, m->nweb_seeds) ||
		    !strv_eq(back->peers, back->npeers, m->peers, m->npeers))
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
