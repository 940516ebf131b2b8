/*
 * krpc_msg.h: a small KRPC (BEP 5) message builder and inspector for the
 * test tools: the simulator looks into the datagrams it carries (to count
 * RPCs, hops and where announces went) and the load generator builds its
 * queries here. Not part of libdht: the core has its own codec; this one
 * only needs to be right for well-formed traffic, but it still checks every
 * length before use. Stateless; any thread.
 */
#ifndef TL_KRPC_MSG_H
#define TL_KRPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum krpc_kind {
	KRPC_OTHER = 0,
	KRPC_QUERY,
	KRPC_REPLY,
	KRPC_ERROR,
};

enum krpc_method {
	KRPC_M_NONE = 0,
	KRPC_M_PING,
	KRPC_M_FIND_NODE,
	KRPC_M_GET_PEERS,
	KRPC_M_ANNOUNCE_PEER,
	KRPC_M_UNKNOWN,
};

/* What krpc_inspect found; pointers point into the inspected datagram. */
struct krpc_info {
	enum krpc_kind kind;
	enum krpc_method method;    /* queries */
	const uint8_t *tid;
	size_t tid_len;
	const uint8_t *id;          /* a.id or r.id (20 bytes) or NULL */
	const uint8_t *target;      /* a.info_hash or a.target (20 bytes) or NULL */
	const uint8_t *nodes;       /* r.nodes: n_nodes entries of 26 bytes */
	size_t n_nodes;
	const uint8_t *token;       /* r.token or a.token */
	size_t token_len;
	size_t n_values;            /* r.values: how many 6-byte peers */
	const uint8_t *values_list; /* raw list for krpc_value_at */
	size_t values_list_len;
	int64_t port;               /* a.port, -1 when absent */
	bool is_implied_port;
};

/* Inspect one datagram. Returns false when it is not a bencoded
 * dictionary with a "y" key. */
bool krpc_inspect(const uint8_t *p, size_t len, struct krpc_info *out);

/* The i-th 6-byte IPv4 peer in the values of info (i < n_values); false
 * when an item is not 6 bytes. */
bool krpc_value_at(const struct krpc_info *info, size_t i, uint8_t peer_out[6]);

/* Builders: write one query into buf (cap bytes) and return its length,
 * or 0 when it does not fit. tid is tid_len bytes; id/target 20 bytes. */
size_t krpc_build_ping(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20]);
size_t krpc_build_find_node(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t target[20]);
size_t krpc_build_get_peers(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t info_hash[20]);
size_t krpc_build_announce(uint8_t *buf, size_t cap, const uint8_t *tid, size_t tid_len,
    const uint8_t id[20], const uint8_t info_hash[20], uint16_t port, const uint8_t *token,
    size_t token_len);

#endif
