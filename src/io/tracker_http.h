/*
 * tracker_http.h: HTTP and HTTPS GETs for tracker announces and scrapes
 * (BEP 3, 48) on libevent's evhttp (L3 adapter).
 *
 * One struct tl_tracker_http is shared by all torrents of a session: it
 * holds the TLS context (system CA store, plus an optional extra CA file;
 * the certificate chain and the host name are always verified, SNI is
 * sent). Each tl_tracker_http_get() is one request with a total deadline,
 * evhttp header and body caps (bounds.h), and redirects followed by hand up
 * to TL_MAX_TRACKER_REDIRECTS (never from https to http). The body is
 * handed to the caller as bytes; tracker_msg parses it.
 *
 * Ownership: the client borrows the event_base and evdns_base; a request
 * is owned by the client until its callback has run, after which it is
 * gone. Callbacks run from the client's own deferred event, never inside
 * evhttp's, so the caller may start new requests or cancel others there.
 * Thread: the event loop's. The process must ignore SIGPIPE (libevent
 * writes to sockets without MSG_NOSIGNAL).
 */
#ifndef TL_TRACKER_HTTP_H
#define TL_TRACKER_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct tl_tracker_http;
struct tl_tracker_http_req;

/*
 * The outcome of one GET. On success error is NULL and body[0..len) is the
 * reply body of a 200 (at most TL_MAX_TRACKER_BODY bytes). Otherwise error
 * is a message such as "timed out", "HTTP 500", "reply too large" or
 * "certificate verify failed: ...". Both are valid during the call only.
 */
typedef void (*tl_tracker_http_fn)(void *arg, const char *error, const uint8_t *body, size_t len);

/*
 * A client on base (and dns, which may be NULL for literal addresses only).
 * ca_file (may be NULL) is a PEM file of extra trusted CAs. Returns NULL
 * and a static/formatted message in err_out[0..err_cap) when the TLS
 * context or the CA file cannot be loaded.
 */
struct tl_tracker_http *tl_tracker_http_new(struct event_base *base, struct evdns_base *dns,
    const char *ca_file, char *err_out, size_t err_cap);

/* Cancel every pending request (no callbacks) and free; accepts NULL. */
void tl_tracker_http_free(struct tl_tracker_http *c);

/* Connect from the numeric address addr (copied; NULL: any) from now on,
 * so that the tracker sees the address we listen on. */
void tl_tracker_http_set_local(struct tl_tracker_http *c, const char *addr);

/*
 * GET url (http:// or https://), failing after timeout_ms in total. The
 * callback runs exactly once unless the request is cancelled first.
 * Returns the request (borrowed, valid until the callback starts), or NULL
 * with nothing scheduled when the URL cannot be used (error in err_out).
 */
struct tl_tracker_http_req *tl_tracker_http_get(struct tl_tracker_http *c, const char *url,
    unsigned timeout_ms, tl_tracker_http_fn cb, void *arg, char *err_out, size_t err_cap);

/* Abandon a request: its callback will not run. Not from its own callback. */
void tl_tracker_http_cancel(struct tl_tracker_http_req *r);

#endif
