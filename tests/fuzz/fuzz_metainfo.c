/* fuzz_metainfo.c: .torrent parser. Every accepted torrent must satisfy
 * the invariants metainfo.h promises, re-parse from its own info bytes
 * (tl_metainfo_parse_info) to the same result, and give a magnet link
 * that parses back to the same infohash. */
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "fuzz.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"

static void check_path(const char *p)
{
	if (!*p || *p == '/' || strlen(p) > TL_MAX_PATH)
		abort();
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || n > TL_MAX_PATH_COMPONENT || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			abort();
		c += n;
		if (*c == '/' && *++c == '\0')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tl_metainfo *mi = NULL, *mi2 = NULL;
	const char *why = NULL;
	if (tl_metainfo_parse(data, size, &mi, &why) != 0) {
		if (mi || !why || !*why || strchr(why, '\n'))
			abort();
		return 0;
	}
	uint64_t sum = 0;
	for (size_t i = 0; i < mi->nfiles; i++) {
		if (mi->files[i].offset != sum)
			abort();
		sum += mi->files[i].length;
		check_path(mi->files[i].path);
	}
	check_path(mi->name);
	/* no two stored files clash (a naive check, fine for fuzz sizes) */
	for (size_t i = 0; i < mi->nfiles && mi->nfiles <= 64; i++)
		for (size_t k = 0; k < mi->nfiles; k++) {
			const char *a = mi->files[i].path, *b = mi->files[k].path;
			size_t n = strlen(a);
			if (i != k && !mi->files[i].is_pad && !mi->files[k].is_pad &&
			    strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/'))
				abort();
		}
	if (strchr(mi->name, '/') || sum != mi->total_len || sum == 0 || mi->nfiles == 0)
		abort();
	if ((mi->piece_len & (mi->piece_len - 1)) || mi->piece_len < TL_MIN_PIECE_LEN ||
	    mi->piece_len > TL_MAX_PIECE_LEN)
		abort();
	if ((uint64_t)(mi->npieces - 1) * mi->piece_len + tl_metainfo_piece_len(mi, mi->npieces - 1) !=
	    mi->total_len || tl_metainfo_piece_len(mi, mi->npieces - 1) == 0)
		abort();

	if (tl_metainfo_parse_info(mi->info_raw, mi->info_len, &mi->infohash, &mi2, &why) != 0 ||
	    mi2->total_len != mi->total_len || mi2->nfiles != mi->nfiles ||
	    strcmp(mi2->name, mi->name) != 0)
		abort();
	tl_metainfo_free(mi2);

	char *link = tl_magnet_from_metainfo(mi);
	struct tl_magnet *m = NULL;
	if (tl_magnet_parse(link, strlen(link), &m, &why) == 0) {
		if (memcmp(m->infohash.b, mi->infohash.b, 20) != 0)
			abort();
		tl_magnet_free(m);
	} else if (strlen(link) <= TL_MAX_MAGNET_LEN) {
		/* only the magnet bounds may refuse what the torrent holds */
		if (!strstr(why, "parameters"))
			abort();
	}
	free(link);
	tl_metainfo_free(mi);
	return 0;
}
