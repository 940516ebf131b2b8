/*
 * search.h: driving the lookups of a libdht instance (BEP 5 get_peers
 * and find_node, BEP 44 get and put, BEP 33 scrapes, BEP 51 sampling
 * walks): seeding them from the routing table, sending the queries
 * lookup.c asks for, feeding replies back, and when one is over, the
 * announce or put to the closest nodes (waiting in putwait.c) and the
 * owner's callbacks. The lookup state itself is lookup.c's.
 *
 * Callbacks may start or cancel searches: a lookup is found again by id
 * after anything that calls out. Search ids and the ids of put waits
 * come from one counter, so a reply names one or the other.
 */
#ifndef DHT_SEARCH_H
#define DHT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"
#include "dht/krpc.h"

struct dht;
struct bep44_op;
struct bep33_scrape;

/* Internal (maintenance) lookups running at once per family. */
#define DHT_SEARCH_MAX_INTERNAL 2u

/* The search state of a new instance: lookups with no node to ask wait
 * for the table during a bootstrap grace from now_ms. */
void dht_search_init(struct dht *d, int64_t now_ms);

/* Free every lookup (their callbacks are not called). */
void dht_search_clear(struct dht *d);

/* Start a lookup of target in family af: get_peers (is_get_peers, then
 * an announce when announce_port is set) or find_node; item (a BEP 44
 * get or put) and scrape (BEP 33), either may be NULL, are owned by the
 * lookup from here on, even when it fails to start. is_internal: a
 * maintenance lookup, not counted as a search of the caller's. The id
 * goes to *id_out before any callback. Returns DHT_OK, DHT_EINVAL,
 * DHT_EFULL or DHT_ENOMEM. */
int dht_search_begin(struct dht *d, const struct dht_id *target, int af, bool is_get_peers,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, bool is_internal,
    struct bep44_op *item, struct bep33_scrape *scrape, int64_t now_ms, uint32_t *id_out);

/* Send what lookup search_id wants sent, finish it when done (unknown
 * ids are ignored). */
void dht_search_drive(struct dht *d, uint32_t search_id, int64_t now_ms);

/* Drive every lookup (from dht_periodic). */
void dht_search_drive_all(struct dht *d, int64_t now_ms);

/* The query of lookup search_id to addr failed (timeout, error reply,
 * garbage); unknown ids are ignored. The caller drives it if it wants. */
void dht_search_failed(struct dht *d, uint32_t search_id, const struct dht_addr *addr);

/* A reply m from `from` to a query of lookup search_id: its nodes,
 * values, samples, filters or item are taken, then the lookup is driven. */
void dht_search_reply(struct dht *d, uint32_t search_id, const struct krpc_msg *m,
    const struct dht_addr *from, int64_t now_ms);

/* Drive the lookups of af queued for want of nodes (the table has one). */
void dht_search_start_queued(struct dht *d, int af, int64_t now_ms);

/* Maintenance lookups of af running. */
size_t dht_search_internal_count(const struct dht *d, int af);

/* The caller's searches running, and how many of them are queued. */
void dht_search_count(const struct dht *d, size_t *n_out, size_t *queued_out);

/* The earlier of next and the time a lookup next needs driving: a query
 * stalling (which frees an alpha slot) or giving up, a queued lookup's
 * wait ending. */
int64_t dht_search_wakeup(const struct dht *d, int64_t now_ms, int64_t next);

#endif
