/*
 * putwait.h: stores waiting for their answers. When a lookup that
 * stores is over, announce_peer (BEP 5) or put (BEP 44) goes to the
 * closest nodes that gave a token; each such batch is one wait here,
 * counting answers until the last one, which reports: DHT_EV_ANNOUNCE_DONE
 * for an announce, the item callback for a put.
 *
 * A wait's queries carry an id of its own (not the search id: a get
 * reply of the finished lookup arriving late is not an answer to the
 * put); the report names the search id. The array grows by one per wait
 * (dht_putwait_reserve first); owned by the instance; single thread.
 */
#ifndef DHT_PUTWAIT_H
#define DHT_PUTWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/bep44.h"
#include "dht/dht.h"

struct dht_putwait {
	uint32_t id;              /* of its queries; never 0 */
	uint32_t search_id;
	int af;
	struct bep44_op *op;      /* owned; NULL for an announce_peer */
	size_t outstanding;
	struct dht_put_report rep;
};

/* Room for one more wait; false when out of memory (nothing changes). */
bool dht_putwait_reserve(struct dht *d);

/* Add a wait; it takes w->op. Call dht_putwait_reserve first. */
void dht_putwait_add(struct dht *d, const struct dht_putwait *w);

/* Whether a wait's queries carry id. */
bool dht_putwait_has(const struct dht *d, uint32_t id);

/* An answer to a query of wait id (0 or unknown: ignored): code 0
 * stored, > 0 an error code, -1 none (timeout, garbage). The last one
 * reports; the wait is removed before, so the callback may call in. */
void dht_putwait_answered(struct dht *d, uint32_t id, int64_t code);

/* Drop the wait of search search_id unreported; false when none. */
bool dht_putwait_cancel(struct dht *d, uint32_t search_id);

/* Free every wait unreported. */
void dht_putwait_clear(struct dht *d);

/* Report the put of op (search search_id) to its callback. */
void dht_putwait_report(const struct bep44_op *op, uint32_t search_id,
    const struct dht_put_report *rep);

#endif
