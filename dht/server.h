/*
 * server.h: how a libdht instance answers queries (BEP 5 ping,
 * find_node, get_peers, announce_peer; BEP 33 scrapes, BEP 44 get/put,
 * BEP 51 sample_infohashes; BEP 42 id checks, BEP 43 read-only mode).
 */
#ifndef DHT_SERVER_H
#define DHT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/krpc.h"
#include "dht/rtable.h"

struct dht;

/* The server's state in a new instance (the budget of stranger pings). */
void dht_server_init(struct dht *d, int64_t now_ms);

/* A query m from `from` that decoded: refused (read-only, rate limit,
 * BEP 42), or answered with one datagram. A stranger that queried us may
 * be pinged to verify it (a budget for the whole instance). */
void dht_server_query(struct dht *d, const struct krpc_msg *m, const struct dht_addr *from,
    int64_t now_ms);

/* Compact node info (id then address) of n nodes into out; returns the
 * length (26 or 38 bytes a node). */
size_t dht_server_put_nodes(const struct rt_node *nodes, size_t n, uint8_t *out);

#endif
