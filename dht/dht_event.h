/*
 * dht_event.h: the optional libevent adapter of libdht. It owns one UDP
 * socket per address family, feeds every datagram to dht_input(), sends
 * through sendto(), drives dht_periodic() from one timer, resolves the
 * bootstrap hosts with evdns (every A/AAAA record is tried), and loads and
 * periodically saves the node state.
 *
 * A program that owns its UDP sockets already (one port shared with other
 * protocols) sets cfg.dht.send: the adapter then opens no socket, sends
 * through that hook and is given each DHT datagram with dht_ev_input();
 * the timer, bootstrap and state file work as above.
 *
 * Bootstrap policy: the configured hosts are contacted at start and
 * replace the built-in routers. With none configured, the built-in
 * routers (router.bittorrent.com:6881, dht.transmissionbt.com:6881,
 * router.utorrent.com:6881, dht.libtorrent.org:25401) are used only when
 * no saved nodes were loaded, or when the saved nodes have not produced a
 * usable table a few seconds later. Whenever the table runs empty the
 * bootstrap list is contacted again.
 *
 * Randomness comes from libsodium (randombytes_buf); SHA-1 is the caller's
 * hook in cfg.dht.sha1 (libdht links no SHA-1 of its own). Log lines of the
 * adapter go through cfg.dht.event like the core's.
 *
 * Runs on the thread of its event_base; not thread-safe. Nothing here is
 * freed from inside a libevent callback except what the callback owns.
 */
#ifndef DHT_DHT_EVENT_H
#define DHT_DHT_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "dht/dht.h"

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
struct evdns_base;

/* Most bootstrap hosts an adapter keeps. */
#define DHT_EV_MAX_BOOTSTRAP 32

struct dht_ev_config {
	/*
	 * Options of the instance. random and (unless set) event are
	 * supplied by the adapter; sha1, event and ud are passed through.
	 * family_mask selects the sockets (0 = both; a family whose socket
	 * cannot be bound is dropped with a warning unless it was the only
	 * one asked for).
	 *
	 * send: NULL = the adapter opens and owns the sockets. Set = the
	 * caller owns them (external sockets): the adapter opens none and
	 * binds nothing (bind_v4, bind_v6 are ignored), sends every datagram
	 * through send (with ud), and is fed with dht_ev_input();
	 * family_mask then names the families the caller has a socket for
	 * and port the port they are bound to (what dht_ev_port reports).
	 */
	struct dht_config dht;
	const char *bind_v4;  /* numeric address; NULL = 0.0.0.0 */
	const char *bind_v6;  /* numeric address; NULL = :: */
	uint16_t port;        /* UDP port of both sockets; 0 = the kernel picks
	                       * (external sockets: their port, for dht_ev_port) */
	/* "host:port", "[v6]:port" or "host" (port 6881); NULL = none. */
	const char *const *bootstrap;
	size_t n_bootstrap;
	bool no_default_routers;    /* never contact the built-in routers (the first node
	                             * of a private or test DHT) */
	const char *state_path;     /* load at start (a damaged or unreadable file is not
	                             * used and logged once at DHT_LOG_WARN), save
	                             * periodically; NULL = none */
	uint32_t save_interval_ms;  /* 0 = 300000 */
	struct evdns_base *dns;     /* borrowed; NULL = the adapter makes its own */
};

struct dht_ev;

/*
 * Create the instance, bind the sockets, load the state file, start the
 * timer and the bootstrap. cfg and its strings are copied. Returns NULL
 * and sets *err_out (may be NULL): DHT_EINVAL (bad address or bootstrap
 * string), DHT_EIO (socket or bind failed; errno was logged), DHT_ENOMEM.
 */
DHT_API struct dht_ev *dht_ev_new(struct event_base *base, const struct dht_ev_config *cfg,
    enum dht_err *err_out);

/* Save the state (when a path was configured), close the sockets and free
 * the instance. NULL is a no-op. */
DHT_API void dht_ev_free(struct dht_ev *ev);

/* The instance, for dht_search() and friends; owned by the adapter. Call
 * dht_ev_kick() after calling into it. */
DHT_API struct dht *dht_ev_dht(struct dht_ev *ev);

/* The clock the adapter gives the instance (monotonic milliseconds). */
DHT_API int64_t dht_ev_now(const struct dht_ev *ev);

/*
 * External sockets (cfg.dht.send set): hand the adapter one datagram the
 * caller received from `from`. buf is borrowed for the call only. The
 * instance may answer through the send hook before this returns. Returns
 * dht_input()'s result: DHT_OK (hostile content is counted and dropped,
 * never an error) or DHT_EINVAL for a bad argument.
 */
DHT_API int dht_ev_input(struct dht_ev *ev, const uint8_t *buf, size_t len,
    const struct sockaddr *from, socklen_t fromlen);

/* Re-arm the timer after a direct call into the instance. */
DHT_API void dht_ev_kick(struct dht_ev *ev);

/* The bound UDP port for af (host order), or 0 when af has no socket. */
DHT_API uint16_t dht_ev_port(const struct dht_ev *ev, int af);

/* Save the state now. DHT_OK, DHT_EINVAL (no path configured) or the
 * error of dht_save_file. */
DHT_API int dht_ev_save(struct dht_ev *ev);

/*
 * Parse "host:port", "[v6]:port" or "host" into host (NUL-terminated,
 * hostcap bytes) and *port_out (6881 when absent). Returns 0, or -1 for
 * an empty host, a bad or zero port, or a host that does not fit.
 */
DHT_API int dht_ev_parse_hostport(const char *s, char *host, size_t hostcap, uint16_t *port_out);

#ifdef __cplusplus
}
#endif

#endif
