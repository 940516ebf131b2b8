/*
 * tracker.h: the trackers of one torrent (L4): BEP 12 tiers, announce
 * scheduling and per-tracker status.
 *
 * Trackers are kept in tier order; each tier is shuffled once at creation
 * and a tracker that answers moves to the front of its tier. An announce
 * goes to one tracker at a time: the first of the first tier that is not
 * backing off, then the next, then the next tier (BEP 12). A failing
 * tracker backs off exponentially (1 min doubling up to 1 h). After a good
 * reply the next regular announce waits for the tracker's interval (never
 * less than its min interval); events (started, completed, stopped) go out
 * at once. The private flag (BEP 27) is recorded here for the session,
 * which must then use no DHT and no PEX for this torrent.
 *
 * The policy is driven by tl_tracker_tick(now) and the completion of
 * requests, so tests run it on a fake clock with a fake struct
 * tl_tracker_io; given an event_base it also arms its own timer. Owns its
 * entries, strings and the request in flight (through io). Peers go to the
 * owner through a callback. Thread: the event loop's.
 */
#ifndef TL_TRACKER_H
#define TL_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec/metainfo.h"
#include "proto/tracker_msg.h"

struct event_base;
struct tl_tracker;
struct tl_tracker_http;
struct tl_tracker_udp;

/* Completion of one announce: error, or a reply (whose failure may be set). */
typedef void (*tl_tracker_done_fn)(void *arg, const char *error,
    const struct tl_tracker_reply *reply);

/*
 * How announces leave the process. announce() starts one and returns a
 * handle (NULL: failed at once, error in err_out; done is then not
 * called); done must be called later, from the event loop, never from
 * inside announce(). cancel() abandons a handle (done is not called).
 */
struct tl_tracker_io {
	void *(*announce)(void *ctx, const char *url, const struct tl_announce_req *req,
	    tl_tracker_done_fn done, void *done_arg, char *err_out, size_t err_cap);
	void (*cancel)(void *ctx, void *handle);
	void *ctx;
};

/* The network io: HTTP(S) through http, UDP through udp (either may be
 * NULL: those trackers then fail), each announce bounded by timeout_ms.
 * All borrowed; the struct must outlive the trackers using it. */
struct tl_tracker_net {
	struct tl_tracker_http *http;
	struct tl_tracker_udp *udp;
	unsigned timeout_ms;
};
void tl_tracker_net_io(struct tl_tracker_net *net, struct tl_tracker_io *io_out);

/* Peers from a good reply, borrowed for the call. It runs from the loop
 * (never inside tl_tracker_* calls made by the owner) and must not free the
 * tracker set. */
typedef void (*tl_tracker_peers_fn)(void *arg, const struct sockaddr_storage *peers, size_t n);

/* What the torrent says about itself in each announce. */
struct tl_tracker_cfg {
	struct tl_infohash info_hash;
	struct tl_peer_id peer_id;
	uint16_t port;
	int32_t numwant;   /* < 0: tracker's choice */
	bool is_private;   /* BEP 27 */
	uint32_t key;      /* announce `key`; 0: random */
	uint64_t seed;     /* shuffle seed; 0: random */
};

/*
 * Trackers urls[0..n) with BEP 12 tier numbers tiers[0..n) (0 = first
 * tier; announce-list order; a torrent with only `announce` passes one
 * URL in tier 0). Unsupported schemes and duplicates are dropped, at most
 * TL_MAX_TRACKERS kept. io and cfg are copied; base may be NULL (then
 * the owner calls tl_tracker_tick). Nothing is sent before tl_tracker_start.
 */
struct tl_tracker *tl_tracker_new(struct event_base *base, const struct tl_tracker_io *io,
    const struct tl_tracker_cfg *cfg, const char *const *urls, const unsigned *tiers, size_t n,
    tl_tracker_peers_fn peers_cb, void *arg);

/* The same from a torrent's announce-list (struct tl_metainfo tiers;
 * borrowed, copied). */
struct tl_tracker *tl_tracker_new_tiers(struct event_base *base, const struct tl_tracker_io *io,
    const struct tl_tracker_cfg *cfg, const struct tl_tracker_tier *tiers, size_t ntiers,
    tl_tracker_peers_fn peers_cb, void *arg);

/* Cancel the request in flight (no stopped event is sent) and free;
 * accepts NULL. */
void tl_tracker_free(struct tl_tracker *t);

/* Current transfer totals, sent with the next announce. */
void tl_tracker_set_progress(struct tl_tracker *t, uint64_t uploaded, uint64_t downloaded,
    uint64_t left);

/* Queue an event (STARTED, COMPLETED or STOPPED) to announce at once.
 * After STOPPED has been sent (or failed on every tracker) the trackers
 * go quiet: tl_tracker_is_done() turns true. */
void tl_tracker_event(struct tl_tracker *t, enum tl_tracker_event ev, uint64_t now_ms);

/* Ask for peers now, as soon as the current tracker's min interval allows. */
void tl_tracker_announce_soon(struct tl_tracker *t, uint64_t now_ms);

/*
 * Run the policy at now_ms: start an announce when one is due. Returns
 * the time at which it wants to run again (UINT64_MAX: only after a
 * request completes or an event is queued).
 */
uint64_t tl_tracker_tick(struct tl_tracker *t, uint64_t now_ms);

/* The monotonic clock the timer glue uses, in ms. */
uint64_t tl_tracker_now_ms(void);

bool tl_tracker_is_private(const struct tl_tracker *t);
/* Our address as the last tracker that said so saw it (BEP 24); false when
 * none did. */
bool tl_tracker_external_ip(const struct tl_tracker *t, struct sockaddr_storage *out);
bool tl_tracker_is_done(const struct tl_tracker *t);

/* Status of tracker i (0..count) in current tier order. Strings are
 * borrowed until the next call into this tracker set. */
struct tl_tracker_status {
	const char *url;
	unsigned tier;
	bool is_updating;     /* a request to it is in flight */
	bool is_ok;           /* its last answer was good */
	size_t npeers;        /* peers in its last good reply */
	int64_t seeders;      /* from its last good reply, -1 unknown */
	int64_t leechers;
	const char *error;    /* its last failure, NULL when none */
	unsigned fails;       /* failures in a row */
	uint64_t next_ms;     /* next announce (ok) or retry (failing); 0 none */
};
size_t tl_tracker_count(const struct tl_tracker *t);
void tl_tracker_status(const struct tl_tracker *t, size_t i, struct tl_tracker_status *out);

#endif
