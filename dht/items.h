/*
 * items.h: the BEP 44 client of an instance: dht_get_item, dht_put_item
 * and the helpers of dht.h (signing, targets), and the items we put,
 * kept and re-put every BEP44_REPUT_MS so that they do not expire
 * (at most DHT_MAX_OWN_ITEMS; a newer put of the same target replaces
 * the older).
 */
#ifndef DHT_ITEMS_H
#define DHT_ITEMS_H

#include <stdint.h>

struct dht;

/* Start the re-put of every item of ours that is due. */
void dht_items_reput(struct dht *d, int64_t now_ms);

/* Forget our items. */
void dht_items_clear(struct dht *d);

#endif
