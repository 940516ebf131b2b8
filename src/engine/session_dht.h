/*
 * session_dht.h: the session's Mainline DHT (BEP 5) glue. One libdht
 * instance per session through dht_event, on the session's UDP port
 * (io/udp: the session owns the sockets, KRPC datagrams come from it and
 * replies go out through it), bootstrapped from --bootstrap hosts (which replace the built-in routers)
 * or from the saved state, with its ids and good nodes saved in the state
 * directory so that a restart rejoins at once.
 *
 * Torrents register a watch: the watch looks the infohash up (and
 * announces our TCP port when it has one) as soon as it is added, again
 * every TL_SDHT_ANNOUNCE_MS with jitter, sooner while nothing was found.
 * Each family (IPv4, IPv6) has its own rounds: a lookup that is slow, or
 * has no node to ask, in one family never holds up the other's
 * re-announces. Lookups are paced (at most TL_SDHT_STARTS_PER_TICK
 * started per TL_SDHT_TICK_MS tick) so that any number of torrents can be
 * watched; a new watch starts within the budget at once, not at the next
 * tick. A lookup asked for before the routing table has nodes waits
 * inside libdht while a node may still come (bootstrap), else it ends at
 * once (DHT_EV_NO_NODES: a host or bootstrap nodes without that family);
 * that family then looks again once its table has a node.
 *
 * Owns the dht_ev adapter and the watches, and is the UDP port's
 * TL_UDP_DHT consumer while it lives (the port is borrowed); a watch belongs to the caller
 * (tl_sdht_unwatch) but must not outlive the tl_sdht. Thread: the loop.
 */
#ifndef TL_SESSION_DHT_H
#define TL_SESSION_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"

struct event_base;
struct tl_udp;
struct tl_sdht;
struct tl_sdht_watch;

/* Re-announce period and its jitter (BEP 5 peers expire after ~30 min);
 * a shorter period set for tests scales the jitter alike. */
#define TL_SDHT_ANNOUNCE_MS (15u * 60 * 1000)
#define TL_SDHT_JITTER_MS (2u * 60 * 1000)
/* The shortest re-announce period that may be set (tests). */
#define TL_SDHT_ANNOUNCE_MIN_MS (5u * 1000)
/* Retry period while a lookup found no peer at all (at most the
 * re-announce period). */
#define TL_SDHT_RETRY_MS (20u * 1000)
/* Lookups started per pacing tick, and the tick: 4 a second per family.
 * In a small DHT every lookup asks the same few nodes, a get_peers and an
 * announce_peer each; this keeps a seeder of many torrents under a
 * node's per-source budget (libdht's limiter: 20 queries/s) while its
 * first announces go out (1,000 torrents in about 250 s). */
#define TL_SDHT_STARTS_PER_TICK 1u
#define TL_SDHT_TICK_MS 250u

struct tl_sdht_opts {
	const char *bind;               /* the port's bind address (NULL: any): our own
	                                   announces, loopback rules */
	const char *const *bootstrap;   /* "host:port"; replaces the built-in routers */
	size_t nbootstrap;
	bool is_no_bootstrap;           /* never contact the built-in routers */
	bool is_same_subnet;            /* no one-node-per-/24 (/64) rule (implied by a
	                                   loopback bind) */
	const char *state_path;         /* ids and good nodes; NULL: not kept */
	uint32_t announce_ms;           /* re-announce period, >= TL_SDHT_ANNOUNCE_MIN_MS;
	                                   0: TL_SDHT_ANNOUNCE_MS */
};

/* Peers found for a watch: one address at a time (borrowed). */
typedef void (*tl_sdht_peer_fn)(void *arg, const struct sockaddr *sa, socklen_t len);

struct dht_ev_config;

/*
 * Set the bind fields of an adapter config from a --bind address (NULL:
 * both families, any address): the family, the address, and the relaxed
 * per-subnet rules a node on loopback needs (127.0.0.0/8 is one /24 to
 * those rules). Returns true when the address is a loopback one.
 */
bool tl_sdht_config_bind(struct dht_ev_config *c, const char *bind);

/* Start the DHT on base over udp's sockets (borrowed: it must outlive
 * the tl_sdht). NULL with *why_out (static) on a bad --bootstrap. */
struct tl_sdht *tl_sdht_new(struct event_base *base, struct tl_udp *udp, const struct tl_sdht_opts *o,
    const char **why_out);
/* Save the state and stop; every watch must be gone. NULL is a no-op. */
void tl_sdht_free(struct tl_sdht *d);

/* The UDP port (IPv4 socket first), for the BEP 5 PORT message. */
uint16_t tl_sdht_port(const struct tl_sdht *d);
/* Good nodes in the routing tables (both families). */
size_t tl_sdht_good_nodes(const struct tl_sdht *d);

/* Offer a node (a peer's PORT message, a .torrent "nodes" entry). */
void tl_sdht_add_node(struct tl_sdht *d, const struct sockaddr *sa, socklen_t len);

/*
 * Watch ih: look it up now and periodically; with announce_port != 0 the
 * closest nodes are told we serve it on that TCP port (seed flag from
 * is_seed). fn gets every peer found (repeats included). The watch is the
 * caller's: free it with tl_sdht_unwatch before the tl_sdht.
 */
struct tl_sdht_watch *tl_sdht_watch(struct tl_sdht *d, const struct tl_infohash *ih, uint16_t announce_port,
    bool is_seed, tl_sdht_peer_fn fn, void *arg);
/* Stop watching (cancels a running lookup). NULL is a no-op. */
void tl_sdht_unwatch(struct tl_sdht_watch *w);
/* Look up again at once (a magnet fetch that is stuck). */
void tl_sdht_watch_now(struct tl_sdht_watch *w);
/* What a watch did: lookups started (one per family a round), peers they
 * returned (repeats counted), and per family (IPv4, IPv6) the last
 * announce whose answers are all in: how many of the closest nodes stored
 * it, and when (tl_now_ms clock). */
struct tl_sdht_watch_stat {
	unsigned lookups, peers;
	struct {
		bool has_announce;
		unsigned stored;
		uint64_t announce_ms;
		bool is_no_nodes;    /* the last lookup had no node to ask */
	} fam[2];
};
void tl_sdht_watch_stats(const struct tl_sdht_watch *w, struct tl_sdht_watch_stat *out);

/*
 * Pure pacing rule: the delay before the next lookup of a watch's family
 * after one finished, when npeers peers were found (0: none, or no node
 * to ask), with the re-announce period announce_ms; rnd is a uniform
 * random number. announce_ms with +-jitter (TL_SDHT_JITTER_MS per
 * TL_SDHT_ANNOUNCE_MS) when peers were found, the retry period (at most
 * announce_ms) with +-25% otherwise.
 */
uint32_t tl_sdht_next_delay(unsigned npeers, uint32_t announce_ms, uint32_t rnd);

#endif
