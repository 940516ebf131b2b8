/*
 * tracker_udp.h: the BEP 15 UDP tracker client (L3 adapter).
 *
 * One struct tl_tracker_udp per session: one unconnected UDP socket per
 * address family (opened on first use), the connection ids of recently
 * contacted trackers (reused for a minute, as BEP 15 allows) and the
 * pending requests. A request resolves the tracker's host (evdns, when
 * given; literal addresses need none), gets a connection id unless one is
 * cached, then sends its announce or scrape. Each step is retransmitted
 * after base * 2^n (BEP 15: base 15 s, n up to 8); `base_ms` and `max_tries`
 * are settings so tests can run on a short clock. Replies are matched by
 * source address and transaction id and checked by tracker_msg.
 *
 * Ownership: borrows the event_base and evdns_base; owns its sockets and
 * requests. Callbacks run from a per-request deferred event, after which
 * the request is gone. Thread: the event loop's.
 */
#ifndef TL_TRACKER_UDP_H
#define TL_TRACKER_UDP_H

#include <stddef.h>

#include "proto/tracker_msg.h"

struct event_base;
struct evdns_base;
struct tl_tracker_udp;
struct tl_tracker_udp_req;

/* BEP 15's retransmission base and the number of sends per step. */
#define TL_TRACKER_UDP_BASE_MS 15000u
#define TL_TRACKER_UDP_TRIES 9u

/*
 * The outcome: error NULL and reply set (its failure field set when the
 * tracker sent an error packet), or error ("timed out", "cannot resolve
 * host", ...) and reply NULL. Both valid during the call only.
 */
typedef void (*tl_tracker_udp_fn)(void *arg, const char *error,
    const struct tl_tracker_reply *reply);

/* A client; dns may be NULL (then host names fail). base_ms / max_tries as
 * above (0 means the BEP 15 defaults). */
struct tl_tracker_udp *tl_tracker_udp_new(struct event_base *base, struct evdns_base *dns,
    unsigned base_ms, unsigned max_tries);

/* Cancel every request (no callbacks), close the sockets; accepts NULL. */
void tl_tracker_udp_free(struct tl_tracker_udp *c);

/* Send from sa (copied; its family's socket only) so that the tracker sees
 * the address we listen on. Call before the first request. */
void tl_tracker_udp_set_local(struct tl_tracker_udp *c, const struct sockaddr *sa, socklen_t len);

/*
 * Announce to url ("udp://host:port[/...]") and fail after timeout_ms at
 * the latest. req is copied (its tracker_id is not used over UDP). Returns
 * the request (valid until its callback starts) or NULL with err_out set.
 */
struct tl_tracker_udp_req *tl_tracker_udp_announce(struct tl_tracker_udp *c, const char *url,
    const struct tl_announce_req *req, unsigned timeout_ms, tl_tracker_udp_fn cb, void *arg,
    char *err_out, size_t err_cap);

/* Scrape ih[0..n) (1..TL_MAX_SCRAPE_HASHES); as tl_tracker_udp_announce. */
struct tl_tracker_udp_req *tl_tracker_udp_scrape(struct tl_tracker_udp *c, const char *url,
    const struct tl_infohash *ih, size_t n, unsigned timeout_ms, tl_tracker_udp_fn cb, void *arg,
    char *err_out, size_t err_cap);

/* Abandon a request: no callback. Not from its own callback. */
void tl_tracker_udp_cancel(struct tl_tracker_udp_req *r);

#endif
