/*
 * persist.h: what persist.c (dht_save, dht_load and their file forms)
 * needs from the instance beyond the public API. Implemented in dht.c.
 *
 * Blob format (bencoded dictionary, canonical): "id"/"id6" our ids,
 * "ip"/"ip6" the settled external addresses (4/16 bytes), "nodes"/
 * "nodes6" good nodes as compact node info (26/38 bytes each, closest to
 * our id first, at most DHT_SAVE_MAX_NODES), "v" the format version (1).
 */
#ifndef DHT_PERSIST_H
#define DHT_PERSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

/* Largest state file we read. */
#define DHT_PERSIST_MAX_FILE (64u * 1024)

/* The settled external address of af (port 0); false when unknown. */
bool dht_external_addr(const struct dht *dht, int af, struct dht_addr *out);

/* Whether af is served. */
bool dht_serves(const struct dht *dht, int af);

/* Adopt a saved id (and external address, may be NULL) for af: the table
 * is re-filed under it. Returns DHT_OK or DHT_EINVAL. */
int dht_restore_id(struct dht *dht, int af, const struct dht_id *id,
    const struct dht_addr *external, int64_t now_ms);

/* Up to max good nodes of af as compact node info (id then address),
 * closest to our id first, into out. Returns how many. */
size_t dht_compact_nodes(const struct dht *dht, int af, uint8_t *out, size_t max);

#endif
