/*
 * catalog.h: the list of a session's torrents with their settings, as
 * kept in the state directory (STATE/torrents.benc, written atomically)
 * so that a long-lived session gets every torrent back after a restart,
 * kill -9 included: stopped ones stay stopped, the rest start again.
 * The metadata itself is kept beside it (STATE/torrents/HEX.torrent);
 * a magnet link whose metadata never came is kept as its infohash and
 * name.
 *
 * Format (bencode, keys sorted): d 8:torrents l <item>... e 7:version i1e e,
 * each item a dict: infohash (20 bytes), dir, name, only, skip, trackers
 * (list), peers (list), and integer flags paused, read_only, no_check,
 * sequential, buffered_io, no_seed, no_trackers, max_peers, seed_ratio
 * (thousandths), seed_time (seconds). Unknown keys are skipped (a newer
 * version may add some); a file that is not such a list is refused
 * whole, with a reason.
 */
#ifndef TL_ENGINE_CATALOG_H
#define TL_ENGINE_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "engine/entry.h"

/* Its name in the state directory. */
#define TL_CATALOG_FILE "torrents.benc"

struct tl_catalog_item {
	struct tl_infohash ih;
	char *name;                   /* NULL when unknown */
	struct tl_entry_settings set; /* its strings and lists owned by the item */
};

struct tl_catalog {
	struct tl_catalog_item *items;
	size_t n;
};

/* Parse p[0..len). 0 with *out filled, or -1 with *why_out (static). */
int tl_catalog_parse(const uint8_t *p, size_t len, struct tl_catalog *out, const char **why_out);
/* Encode items[0..n) (settings borrowed); *p_out is malloc'd. */
void tl_catalog_encode(const struct tl_catalog_item *items, size_t n, uint8_t **p_out, size_t *len_out);
void tl_catalog_clear(struct tl_catalog *c);

/* Read STATE/torrents.benc into *out: empty when there is none (or no
 * state_dir); a list that cannot be parsed is renamed .bad and logged, so
 * the next save does not overwrite it, and *out is empty. */
void tl_catalog_load(const char *state_dir, struct tl_catalog *out);
/* Write items[0..n) there atomically; false when it failed (logged). */
bool tl_catalog_save(const char *state_dir, const struct tl_catalog_item *items, size_t n);

#endif
