/*
 * sim.h: a discrete-event simulator of many Mainline DHT nodes running the
 * real libdht core in one process.
 *
 * Virtual time advances from event to event (a binary heap, sim_heap.h);
 * no real packet is sent. Each node is a struct dht with its own IPv4
 * address (random public unicast addresses, so BEP 42 ids and the
 * one-per-/24 rules behave as on the Internet) and its own random stream.
 * The network model:
 *   - one-way delay per link: lognormal, the same in both directions and
 *     fixed for the link (half the configured RTT median, same sigma);
 *   - independent loss per datagram;
 *   - NATed nodes drop every datagram from an address they have not sent
 *     to within the NAT window (60 s default);
 *   - churn: a node can be silenced (it stays in other tables but never
 *     answers again) and new nodes can join at any time.
 * Nodes follow the join policy of the libevent adapter (dht_event.c):
 * bootstrap retries while the table is empty, then one find_node per
 * region of the id space (no_join_refresh turns the latter off, to
 * measure the core alone).
 * Everything is drawn from one seed, so a run is reproduced exactly.
 *
 * An observer hook sees every datagram when it is sent, which is how tests
 * measure RPCs, hops and where announces went without touching the core.
 *
 * Single-threaded. The simulator owns its nodes and their dht instances;
 * pointers it returns stay valid until the node is silenced or the
 * simulator freed.
 */
#ifndef TL_SIM_H
#define TL_SIM_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/dht.h"
#include "sim_rng.h"

#define SIM_NONE UINT32_MAX

struct sim_config {
	uint64_t seed;
	double rtt_median_ms;    /* median round-trip time of a link; 0 = 100 */
	double rtt_sigma;        /* lognormal shape; 0 = 0.6 (negative: no spread) */
	double loss;             /* probability that a datagram is lost */
	double nat_fraction;     /* share of joining nodes that are behind a NAT */
	uint32_t nat_window_ms;  /* how long a NAT mapping stays open; 0 = 60000 */
	struct dht_config dht;   /* template for every node; hooks are replaced */
	bool is_verbose;         /* print core log lines of warn level and up */
	bool no_join_refresh;    /* core only: skip the adapter's join refresh */
};

struct sim_stats {
	uint64_t sent, delivered;
	uint64_t lost, to_dead, nat_blocked;
	uint64_t bytes;
};

struct sim;

/*
 * Observer of every datagram a node sends (before loss and NAT are
 * applied). from and to are node indexes (to is SIM_NONE when no node has
 * that address). The buffer is valid during the call only.
 */
typedef void (*sim_packet_fn)(void *ud, struct sim *s, uint32_t from, uint32_t to,
    const uint8_t *p, size_t len);

/* A callback scheduled with sim_at. */
typedef void (*sim_timer_fn)(void *ud, struct sim *s);

/* Create an empty simulation at virtual time 0. NULL on out of memory. */
struct sim *sim_new(const struct sim_config *cfg);
/* Free the simulation, every node and every queued event. NULL is a no-op. */
void sim_free(struct sim *s);

/* Add one node now (a NATed one with probability nat_fraction). Returns
 * its index or SIM_NONE when the core could not create it. */
uint32_t sim_spawn(struct sim *s);
/* Give node the address of via as a bootstrap contact (dht_add_node). */
void sim_bootstrap(struct sim *s, uint32_t node, uint32_t via);
/* The node leaves without a word: its dht is freed, datagrams to its
 * address are dropped from now on. */
void sim_silence(struct sim *s, uint32_t node);

/* Run every event up to and including virtual time t_ms. */
void sim_run_until(struct sim *s, int64_t t_ms);
/* Run for d_ms of virtual time. */
void sim_run_for(struct sim *s, int64_t d_ms);
/* Call fn(ud, s) at virtual time t_ms. Returns -1 on out of memory. */
int sim_at(struct sim *s, int64_t t_ms, sim_timer_fn fn, void *ud);

/* After calling into a node's dht directly (dht_search ...), tell the
 * simulator so it runs the node's timers. */
void sim_touch(struct sim *s, uint32_t node);

/* Accessors. */
int64_t sim_now_ms(const struct sim *s);
size_t sim_count(const struct sim *s);
bool sim_is_alive(const struct sim *s, uint32_t node);
bool sim_is_nat(const struct sim *s, uint32_t node);
struct dht *sim_dht(struct sim *s, uint32_t node); /* NULL when silenced */
const struct sockaddr_in *sim_addr(const struct sim *s, uint32_t node);
/* The id the node had when last alive (valid after it is silenced). */
const struct dht_id *sim_id(const struct sim *s, uint32_t node);
/* Node with this IPv4 address (network order) and port, or SIM_NONE. */
uint32_t sim_find(const struct sim *s, uint32_t ip_be, uint16_t port_be);
/* A random stream of the simulation for test code (seeded from the seed). */
struct sim_rng *sim_rng(struct sim *s);
void sim_get_stats(const struct sim *s, struct sim_stats *out);
void sim_set_observer(struct sim *s, sim_packet_fn fn, void *ud);

#endif
