/* fuzz_catalog.c: the saved list of a session's torrents (engine/catalog.h).
 * A list that parses must encode to one that parses to the same torrents
 * with the same settings. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/catalog.h"

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_catalog c, c2;
	const char *why = NULL;
	if (tl_catalog_parse(data, size, &c, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	uint8_t *p;
	size_t len;
	tl_catalog_encode(c.items, c.n, &p, &len);
	if (tl_catalog_parse(p, len, &c2, &why) != 0 || c2.n != c.n)
		abort();
	for (size_t i = 0; i < c.n; i++) {
		const struct tl_catalog_item *a = &c.items[i], *b = &c2.items[i];
		if (memcmp(a->ih.b, b->ih.b, 20) != 0 || !same_str(a->name, b->name) ||
		    !same_str(a->set.dir, b->set.dir) || !same_str(a->set.only, b->set.only) ||
		    a->set.is_paused != b->set.is_paused || a->set.max_peers != b->set.max_peers ||
		    a->set.ntrackers != b->set.ntrackers || a->set.npeers != b->set.npeers)
			abort();
	}
	free(p);
	tl_catalog_clear(&c);
	tl_catalog_clear(&c2);
	return 0;
}
