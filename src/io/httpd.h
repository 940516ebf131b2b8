/*
 * httpd.h: a small HTTP server for one JSON endpoint (the daemon's RPC)
 * on libevent's evhttp (L3 adapter). It owns the bounds of the exchange:
 * a header size cap, a body size cap (413 past it), a read/write timeout
 * per connection, and at most max_conns connections that have sent a
 * request (another one is answered 503 and closed; while the table is
 * full the listener stops accepting). Connections that never send a
 * request are closed by the timeout.
 *
 * Anti-CSRF: every request must carry the header csrf_header with the
 * server's token (random, made at start); one without it is answered 409
 * with the header set, so a client learns it and asks again (the
 * Transmission RPC's session-id exchange).
 *
 * Requests to path (POST) go to the handler: body in, reply out (JSON).
 * Other paths get 404, other methods 405.
 *
 * Ownership: the server borrows the event_base; the handler's reply is
 * the server's to free. Thread: the event loop's. The process must ignore
 * SIGPIPE.
 */
#ifndef TL_HTTPD_H
#define TL_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct tl_httpd;

/* The reply (allocated with malloc; *len_out long) to body[0..len). */
typedef char *(*tl_httpd_fn)(const uint8_t *body, size_t len, size_t *len_out, void *arg);

struct tl_httpd_opts {
	const char *host;        /* bind address, e.g. "127.0.0.1" */
	uint16_t port;
	const char *path;        /* e.g. "/transmission/rpc" */
	const char *csrf_header; /* e.g. "X-Transmission-Session-Id" */
	size_t max_body;
	size_t max_headers;      /* bytes of the request line and headers */
	unsigned max_conns;      /* at most TL_HTTPD_MAX_CONNS */
	unsigned timeout_s;
	tl_httpd_fn fn;
	void *arg;
};

#define TL_HTTPD_MAX_CONNS 256u

/* A server listening already, or NULL with *why_out (static, or naming
 * the errno) when it cannot bind. */
struct tl_httpd *tl_httpd_new(struct event_base *base, const struct tl_httpd_opts *o, const char **why_out);
/* Closes the listener and every connection. NULL is a no-op. */
void tl_httpd_free(struct tl_httpd *h);
/* The port it listens on (the one given, or the kernel's for 0). */
uint16_t tl_httpd_port(const struct tl_httpd *h);

#endif
