/*
 * cmd_dht_int.h: what the files of `trackless dht` share (cmd_dht.c: the
 * options and the dispatch; cmd_dht_ping.c: ping; cmd_dht_node.c: the
 * commands that run a node). Not an API.
 *
 * Thread: main only.
 */
#ifndef TL_CLI_CMD_DHT_INT_H
#define TL_CLI_CMD_DHT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "dht/dht.h"

#define TL_CMD_DHT_MAX_BOOTSTRAP 16
#define TL_CMD_DHT_STATE_FILE "dht.dat"

enum tl_cmd_dht_kind {
	TL_CMD_DHT_PING,
	TL_CMD_DHT_GET_PEERS,
	TL_CMD_DHT_ANNOUNCE,
	TL_CMD_DHT_STATS,
	TL_CMD_DHT_NODE,
};

/* The parsed command line; strings point into argv. */
struct tl_cmd_dht_opts {
	enum tl_cmd_dht_kind cmd;
	const char *bind;
	uint16_t port;
	const char *state_dir;
	bool is_json;
	bool is_verbose;
	double timeout_s;
	double duration_s;
	const char *bootstrap[TL_CMD_DHT_MAX_BOOTSTRAP];
	size_t n_bootstrap;
	bool is_no_bootstrap;    /* never the built-in routers */
	bool is_same_subnet;     /* no one-node-per-/24 (/64) rule */
	const char *target;      /* ping: HOST:PORT */
	struct dht_id infohash;
	uint16_t announce_port;
	size_t max_infohashes; /* 0 = the library default */
};

/* Seconds on the monotonic clock. */
double tl_cmd_dht_now_s(void);
/* sa (AF_INET or AF_INET6) as "1.2.3.4:5" or "[::1]:5" into out. */
void tl_cmd_dht_format_addr(const struct sockaddr *sa, char *out, size_t cap);

/* `dht ping` (cmd_dht_ping.c): one KRPC ping on a private socket.
 * Returns TL_EXIT_OK when the node answered, else TL_EXIT_FAIL. */
int tl_cmd_dht_ping(const struct tl_cmd_dht_opts *o);

/* `dht get-peers|announce|stats|node` (cmd_dht_node.c): runs a libdht
 * instance under its libevent adapter. Returns a TL_EXIT_* code. */
int tl_cmd_dht_node(const struct tl_cmd_dht_opts *o);

#endif
