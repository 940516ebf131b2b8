/*
 * tracker_http.c: tracker GETs over evhttp, with TLS through OpenSSL
 * bufferevents (see tracker_http.h).
 *
 * A request moves SENT -> DONE. evhttp reports through done_cb (and
 * error_cb just before it on failure); those only record the outcome and
 * activate `finish`, whose callback frees the evhttp connection, follows a
 * redirect by starting a new connection, or hands the result to the
 * caller. The deadline timer takes the same path, so the connection is
 * never freed inside one of its own callbacks.
 */
#include "io/tracker_http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"

struct tl_tracker_http {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *ssl_ctx;
	char *local_addr;                 /* connect from here; NULL: any */
	struct tl_tracker_http_req *reqs; /* pending requests, for _free */
};

enum req_state {
	REQ_NEW,     /* not sent yet */
	REQ_SENT,    /* an evhttp request is in flight */
	REQ_DONE,    /* outcome recorded, `finish` is active */
};

struct tl_tracker_http_req {
	struct tl_tracker_http *client;
	struct tl_tracker_http_req *prev, *next;
	enum req_state state;
	char *url;          /* the URL being fetched (changes on redirect) */
	bool is_https;
	unsigned redirects;
	struct evhttp_connection *conn;
	struct bufferevent *bev; /* owned by conn */
	SSL *ssl;                /* owned by bev */
	struct event *deadline;
	struct event *finish;
	int status;         /* HTTP status, 0 when none */
	char *location;     /* redirect target */
	uint8_t *body;
	size_t body_len;
	char error[256];    /* empty when none */
	tl_tracker_http_fn cb;
	void *arg;
};

static void set_state(struct tl_tracker_http_req *r, enum req_state st)
{
	static const char *const names[] = { "new", "sent", "done" };
	/* Not the query: it carries our peer id and, on some trackers, a key. */
	tl_debug("tracker http %.*s: %s -> %s", (int)strcspn(r->url, "?"), r->url,
	    names[r->state], names[st]);
	r->state = st;
}

static void set_error(struct tl_tracker_http_req *r, const char *msg)
{
	if (r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s", msg);
}

/* ---- the client ---- */

struct tl_tracker_http *tl_tracker_http_new(struct event_base *base, struct evdns_base *dns,
    const char *ca_file, char *err_out, size_t err_cap)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		snprintf(err_out, err_cap, "cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		tl_warn("tracker: cannot load the system CA store");
	if (ca_file && SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		char e[160];
		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		snprintf(err_out, err_cap, "cannot load CA file %s: %s", ca_file, e);
		SSL_CTX_free(ctx);
		return NULL;
	}
	struct tl_tracker_http *c = tl_calloc(1, sizeof(*c));
	c->base = base;
	c->dns = dns;
	c->ssl_ctx = ctx;
	return c;
}

static void req_free(struct tl_tracker_http_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		r->client->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->conn)
		evhttp_connection_free(r->conn);
	event_free(r->deadline);
	event_free(r->finish);
	free(r->url);
	free(r->location);
	free(r->body);
	free(r);
}

void tl_tracker_http_free(struct tl_tracker_http *c)
{
	if (!c)
		return;
	while (c->reqs)
		req_free(c->reqs);
	SSL_CTX_free(c->ssl_ctx);
	free(c->local_addr);
	free(c);
}

void tl_tracker_http_set_local(struct tl_tracker_http *c, const char *addr)
{
	free(c->local_addr);
	c->local_addr = addr ? tl_strdup(addr) : NULL;
}

void tl_tracker_http_cancel(struct tl_tracker_http_req *r)
{
	if (r)
		req_free(r);
}

/* ---- evhttp callbacks: record, then defer ---- */

static void mark_done(struct tl_tracker_http_req *r)
{
	if (r->state == REQ_DONE)
		return;
	set_state(r, REQ_DONE);
	event_active(r->finish, EV_TIMEOUT, 0);
}

static void error_cb(enum evhttp_request_error err, void *arg)
{
	struct tl_tracker_http_req *r = arg;
	switch (err) {
	case EVREQ_HTTP_TIMEOUT:
		set_error(r, "timed out");
		break;
	case EVREQ_HTTP_EOF:
		set_error(r, "connection closed before the reply was complete");
		break;
	case EVREQ_HTTP_INVALID_HEADER:
		set_error(r, "invalid HTTP reply");
		break;
	case EVREQ_HTTP_BUFFER_ERROR:
		set_error(r, "connection failed");
		break;
	case EVREQ_HTTP_DATA_TOO_LONG:
		set_error(r, "reply too large");
		break;
	case EVREQ_HTTP_REQUEST_CANCEL:
		set_error(r, "cancelled");
		break;
	}
}

static void done_cb(struct evhttp_request *req, void *arg)
{
	struct tl_tracker_http_req *r = arg;
	if (r->state == REQ_DONE)
		return;
	r->status = req ? evhttp_request_get_response_code(req) : 0;
	if (r->status == 0) {
		set_error(r, "connection failed");
	} else if (r->status == 200) {
		struct evbuffer *in = evhttp_request_get_input_buffer(req);
		size_t n = evbuffer_get_length(in);
		if (n > TL_MAX_TRACKER_BODY) {
			set_error(r, "reply too large");
		} else {
			r->body = tl_malloc(n ? n : 1);
			r->body_len = n;
			evbuffer_remove(in, r->body, n);
		}
	} else if (r->status >= 300 && r->status < 400 && r->status != 304) {
		const char *loc = evhttp_find_header(evhttp_request_get_input_headers(req), "Location");
		if (loc && strlen(loc) < TL_MAX_TRACKER_URL)
			r->location = tl_strdup(loc);
		else
			set_error(r, "redirect without a usable Location");
	} else {
		char e[32];
		snprintf(e, sizeof(e), "HTTP %d", r->status);
		set_error(r, e);
	}
	mark_done(r);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_tracker_http_req *r = arg;
	set_error(r, "timed out");
	mark_done(r);
}

/* ---- starting a request ---- */

/* TLS failures show up in evhttp as a closed connection; the SSL object
 * knows why. */
static void explain_tls_failure(struct tl_tracker_http_req *r)
{
	if (!r->ssl)
		return;
	long v = SSL_get_verify_result(r->ssl);
	if (v != X509_V_OK) {
		snprintf(r->error, sizeof(r->error), "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
		return;
	}
	unsigned long e = r->bev ? bufferevent_get_openssl_error(r->bev) : 0;
	if (e) {
		char buf[160];
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(r->error, sizeof(r->error), "TLS error: %s", buf);
	}
}

static int start(struct tl_tracker_http_req *r, char *err, size_t cap);

/* Resolve a Location against the current URL: absolute http(s) URLs and
 * absolute paths. */
static char *resolve_location(const char *cur, const char *loc)
{
	if (strncasecmp(loc, "http://", 7) == 0 || strncasecmp(loc, "https://", 8) == 0)
		return tl_strdup(loc);
	if (loc[0] != '/' || loc[1] == '/')
		return NULL;
	const char *host = strstr(cur, "://") + 3;
	size_t origin = (size_t)(host - cur) + strcspn(host, "/?#");
	size_t n = origin + strlen(loc);
	if (n >= TL_MAX_TRACKER_URL)
		return NULL;
	char *u = tl_malloc(n + 1);
	memcpy(u, cur, origin);
	memcpy(u + origin, loc, strlen(loc) + 1);
	return u;
}

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_tracker_http_req *r = arg;
	if (r->status == 0 && r->error[0] != '\0' && strcmp(r->error, "timed out") != 0)
		explain_tls_failure(r);
	if (r->conn) {
		evhttp_connection_free(r->conn);
		r->conn = NULL;
		r->bev = NULL;
		r->ssl = NULL;
	}
	if (r->location && r->error[0] == '\0') {
		char *next = resolve_location(r->url, r->location);
		free(r->location);
		r->location = NULL;
		if (!next) {
			set_error(r, "redirect to an unusable location");
		} else if (++r->redirects > TL_MAX_TRACKER_REDIRECTS) {
			set_error(r, "too many redirects");
			free(next);
		} else if (r->is_https && strncasecmp(next, "https://", 8) != 0) {
			set_error(r, "redirect from https to http refused");
			free(next);
		} else {
			tl_debug("tracker: redirect %u to %s", r->redirects, next);
			free(r->url);
			r->url = next;
			r->status = 0;
			set_state(r, REQ_NEW);
			if (start(r, r->error, sizeof(r->error)) == 0)
				return;
		}
	}
	tl_tracker_http_fn cb = r->cb;
	void *cb_arg = r->arg;
	const char *e = r->error[0] ? r->error : NULL;
	/* The callback may not cancel this request, so it is freed after it. */
	cb(cb_arg, e, r->body, r->body_len);
	req_free(r);
}

/* A host name or address literal without IPv6 brackets. */
static bool host_is_ip(const char *h)
{
	uint8_t a[16];
	return inet_pton(AF_INET, h, a) == 1 || inet_pton(AF_INET6, h, a) == 1;
}

static SSL *make_ssl(struct tl_tracker_http *c, const char *host)
{
	SSL *ssl = SSL_new(c->ssl_ctx);
	if (!ssl)
		return NULL;
	if (host_is_ip(host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	return ssl;
}

static int start(struct tl_tracker_http_req *r, char *err, size_t cap)
{
	struct tl_tracker_http *c = r->client;
	int rc = -1;
	struct evhttp_uri *uri = evhttp_uri_parse(r->url);
	struct evhttp_request *req = NULL;
	const char *scheme = uri ? evhttp_uri_get_scheme(uri) : NULL;
	const char *h = uri ? evhttp_uri_get_host(uri) : NULL;
	if (!scheme || !h || h[0] == '\0' ||
	    (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
		snprintf(err, cap, "not an http(s) URL: %s", r->url);
		goto out;
	}
	char host[256];
	size_t hl = strlen(h);
	if (hl >= sizeof(host)) {
		snprintf(err, cap, "host name too long");
		goto out;
	}
	if (h[0] == '[' && hl > 2 && h[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), h + 1);
	else
		snprintf(host, sizeof(host), "%s", h);
	r->is_https = strcasecmp(scheme, "https") == 0;
	int port = evhttp_uri_get_port(uri);
	if (port < 0)
		port = r->is_https ? 443 : 80;

	r->bev = NULL;
	r->ssl = NULL;
	if (r->is_https) {
		r->ssl = make_ssl(c, host);
		if (r->ssl)
			r->bev = bufferevent_openssl_socket_new(c->base, -1, r->ssl,
			    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!r->bev) {
			SSL_free(r->ssl);
			r->ssl = NULL;
			snprintf(err, cap, "cannot set up TLS");
			goto out;
		}
		/* Many servers close without close_notify after the body. */
		bufferevent_openssl_set_allow_dirty_shutdown(r->bev, 1);
	}
	r->conn = evhttp_connection_base_bufferevent_new(c->base, c->dns, r->bev, host,
	    (unsigned short)port);
	if (!r->conn) {
		if (r->bev)
			bufferevent_free(r->bev);
		r->bev = NULL;
		r->ssl = NULL;
		snprintf(err, cap, "cannot create an HTTP connection");
		goto out;
	}
	if (c->local_addr)
		evhttp_connection_set_local_address(r->conn, c->local_addr);
	evhttp_connection_set_max_headers_size(r->conn, TL_MAX_TRACKER_HEADERS);
	evhttp_connection_set_max_body_size(r->conn, TL_MAX_TRACKER_BODY);
	evhttp_connection_set_retries(r->conn, 0);

	req = evhttp_request_new(done_cb, r);
	evhttp_request_set_error_cb(req, error_cb);
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	char hosthdr[300];
	bool v6 = strchr(host, ':') != NULL;
	bool dflt = port == (r->is_https ? 443 : 80);
	if (dflt)
		snprintf(hosthdr, sizeof(hosthdr), v6 ? "[%s]" : "%s", host);
	else
		snprintf(hosthdr, sizeof(hosthdr), v6 ? "[%s]:%d" : "%s:%d", host, port);
	evhttp_add_header(hdr, "Host", hosthdr);
	evhttp_add_header(hdr, "User-Agent", "trackless/" PACKAGE_VERSION);
	evhttp_add_header(hdr, "Accept-Encoding", "identity");
	evhttp_add_header(hdr, "Connection", "close");

	const char *path = evhttp_uri_get_path(uri);
	const char *query = evhttp_uri_get_query(uri);
	size_t plen = (path && path[0] ? strlen(path) : 1) + (query ? strlen(query) + 1 : 0) + 1;
	char *target = tl_malloc(plen);
	snprintf(target, plen, "%s%s%s", path && path[0] ? path : "/", query ? "?" : "",
	    query ? query : "");
	int mk = evhttp_make_request(r->conn, req, EVHTTP_REQ_GET, target);
	free(target);
	/* evhttp owns the request now. When the connect fails at once (no
	 * socket), libevent 2.1 unlinks it without freeing it; freeing it here
	 * could double-free on the paths where it did, so that rare case may
	 * leak one request object. */
	if (mk != 0) {
		evhttp_connection_free(r->conn);
		r->conn = NULL;
		snprintf(err, cap, "cannot send the request");
		goto out;
	}
	set_state(r, REQ_SENT);
	rc = 0;
out:
	if (uri)
		evhttp_uri_free(uri);
	return rc;
}

struct tl_tracker_http_req *tl_tracker_http_get(struct tl_tracker_http *c, const char *url,
    unsigned timeout_ms, tl_tracker_http_fn cb, void *arg, char *err_out, size_t err_cap)
{
	if (strlen(url) >= TL_MAX_TRACKER_URL) {
		snprintf(err_out, err_cap, "URL too long");
		return NULL;
	}
	struct tl_tracker_http_req *r = tl_calloc(1, sizeof(*r));
	r->client = c;
	r->url = tl_strdup(url);
	r->cb = cb;
	r->arg = arg;
	r->finish = event_new(c->base, -1, 0, finish_cb, r);
	r->deadline = evtimer_new(c->base, deadline_cb, r);
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	if (start(r, err_out, err_cap) != 0) {
		req_free(r);
		return NULL;
	}
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	evtimer_add(r->deadline, &tv);
	return r;
}
