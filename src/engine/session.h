/*
 * session.h: the top of the engine. A session owns the event_base, the
 * listeners, the UDP port (io/udp: the DHT's sockets), the disk pool, the close queue, the rate limits and its
 * torrents; it matches incoming connections to torrents by infohash and
 * ticks every torrent once a second.
 *
 * Ownership: session -> torrents -> peers. The front end talks to the
 * session and receives torrent events through the callback it passes to
 * tl_session_add.
 *
 * Thread: the loop thread (the one that calls tl_session_run).
 */
#ifndef TL_SESSION_H
#define TL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/torrent.h"

struct event_base;
struct tl_session;
struct tl_sdht;
struct tl_peer;

struct tl_session_opts {
	const char *bind;      /* listen and dial from this address; NULL: any (v4 and v6) */
	uint16_t port;         /* listen port; 0: a free one */
	unsigned max_peers;    /* over all torrents; 0: 200 */
	uint64_t up_limit;     /* bytes/s; 0: unlimited */
	uint64_t down_limit;
	unsigned disk_threads; /* 0: 2 */
	/* DHT (session_dht.h) */
	bool want_dht;         /* run a DHT node and look every torrent up in it */
	uint16_t dht_port;     /* UDP port; 0: the same number as the TCP port */
	const char *const *bootstrap; /* "host:port"; replace the built-in routers */
	size_t nbootstrap;
	bool is_no_bootstrap;         /* never contact the built-in routers */
	bool is_dht_same_subnet;      /* DHT: no one-node-per-/24 (/64) rule */
	const char *dht_state_path;   /* NULL: DHT state not kept */
	uint32_t dht_announce_ms;     /* re-announce period; 0: TL_SDHT_ANNOUNCE_MS */
};

/* A session, listening already. NULL with *why_out when it cannot bind. */
struct tl_session *tl_session_new(const struct tl_session_opts *opts, const char **why_out);
/* Closes everything (waits for disk jobs). NULL is a no-op. */
void tl_session_free(struct tl_session *s);

struct event_base *tl_session_base(struct tl_session *s);
/* The port we listen on. */
uint16_t tl_session_port(const struct tl_session *s);

/* Add a torrent over mi (taken); it starts checking at once. */
struct tl_torrent *tl_session_add(struct tl_session *s, struct tl_metainfo *mi_take,
    const struct tl_torrent_opts *opts, tl_torrent_event_fn fn, void *arg, const char **why_out);

/*
 * Incoming connections whose infohash no torrent has (a magnet link whose
 * metadata is being fetched) go to fn: it attaches the peer
 * (tl_peer_attach) and returns 0, or refuses it with -1. At most one hook
 * per arg; tl_session_unhook_incoming removes it (NULL-safe on an arg that
 * has none). Torrents come first when both match.
 */
typedef int (*tl_session_incoming_fn)(void *arg, struct tl_peer *p);
void tl_session_hook_incoming(struct tl_session *s, const struct tl_infohash *ih, tl_session_incoming_fn fn,
    void *arg);
void tl_session_unhook_incoming(struct tl_session *s, void *arg);

/* The session's DHT, or NULL when it runs without one. */
struct tl_sdht *tl_session_dht(struct tl_session *s);
/* The session's UDP port (io/udp.h: its counters), or NULL when it has
 * none (no DHT). */
struct tl_udp;
struct tl_udp *tl_session_udp(struct tl_session *s);
/* What the DHT lookups and announces of t did; false when t has none (no
 * DHT, a private torrent). */
struct tl_sdht_watch_stat;
bool tl_session_dht_stats(const struct tl_session *s, const struct tl_torrent *t,
    struct tl_sdht_watch_stat *out);
/* What the session lends torrents (and the magnet fetcher): base, disk,
 * close queue, peer id, bind address, ports. Valid for the session's life. */
void tl_session_context(struct tl_session *s, struct tl_torrent_ctx *out);

/* Parse "HOST:PORT" or "[V6]:PORT" (numeric addresses) into *out. */
int tl_session_parse_addr(const char *s, struct sockaddr_storage *out, socklen_t *len_out);

/* Run the loop until tl_session_break. */
void tl_session_run(struct tl_session *s);
void tl_session_break(struct tl_session *s);

#endif
