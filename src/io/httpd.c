/*
 * httpd.c: the bounded JSON endpoint over evhttp (httpd.h). Connections
 * are counted when they send their first request (evhttp gives no hook at
 * accept) and forgotten through evhttp's close callback.
 */
#include "io/httpd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <sodium.h>

#include "base/digest.h"
#include "base/log.h"
#include "base/mem.h"

struct tl_httpd {
	struct tl_httpd_opts o;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	char token[49];              /* the anti-CSRF token: 24 random bytes in hex */
	struct evhttp_connection **conns; /* those that sent a request */
	unsigned nconns;
	bool is_paused;              /* the listener is off: the table is full */
	uint16_t port;
};

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=UTF-8");
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

static void listener_set(struct tl_httpd *h, bool is_on)
{
	struct evconnlistener *l = evhttp_bound_socket_get_listener(h->bound);
	if (is_on == !h->is_paused)
		return;
	h->is_paused = !is_on;
	if (is_on)
		evconnlistener_enable(l);
	else
		evconnlistener_disable(l);
	tl_debug("httpd: %s accepting", is_on ? "back to" : "full: not");
}

static void conn_close_cb(struct evhttp_connection *c, void *arg)
{
	struct tl_httpd *h = arg;
	for (unsigned i = 0; i < h->nconns; i++)
		if (h->conns[i] == c) {
			h->conns[i] = h->conns[--h->nconns];
			break;
		}
	if (h->nconns < h->o.max_conns && h->http)
		listener_set(h, true);
}

/* c is known, or there is room for it: false when the table is full. */
static bool conn_admit(struct tl_httpd *h, struct evhttp_connection *c)
{
	for (unsigned i = 0; i < h->nconns; i++)
		if (h->conns[i] == c)
			return true;
	if (h->nconns >= h->o.max_conns)
		return false;
	h->conns[h->nconns++] = c;
	evhttp_connection_set_closecb(c, conn_close_cb, h);
	if (h->nconns >= h->o.max_conns)
		listener_set(h, false);
	return true;
}

/* The endpoint's path, with or without a trailing slash (remotes send
 * both). */
static bool is_our_path(const struct tl_httpd *h, const char *path)
{
	size_t n = strlen(h->o.path);
	return path && strncmp(path, h->o.path, n) == 0 && (path[n] == 0 || (path[n] == '/' && path[n + 1] == 0));
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct tl_httpd *h = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	if (!conn_admit(h, evhttp_request_get_connection(req))) {
		evhttp_add_header(out, "Connection", "close");
		reply_text(req, 503, "Service Unavailable", "too many connections\n");
		return;
	}
	if (!is_our_path(h, evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req)))) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", "not found\n");
		return;
	}
	const char *tok = evhttp_find_header(evhttp_request_get_input_headers(req), h->o.csrf_header);
	if (!tok || strcmp(tok, h->token) != 0) {
		evhttp_add_header(out, h->o.csrf_header, h->token);
		char msg[160];
		snprintf(msg, sizeof(msg), "409: Conflict: send the header %s: %s\n", h->o.csrf_header, h->token);
		reply_text(req, 409, "Conflict", msg);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		evhttp_add_header(out, "Allow", "POST");
		reply_text(req, HTTP_BADMETHOD, "Method Not Allowed", "use POST\n");
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > h->o.max_body) { /* evhttp refused it already; kept as a second check */
		reply_text(req, 413, "Payload Too Large", "request too large\n");
		return;
	}
	const uint8_t *body = len ? evbuffer_pullup(in, (ev_ssize_t)len) : (const uint8_t *)"";
	size_t rlen = 0;
	char *rep = h->o.fn(body, len, &rlen, h->o.arg);
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, rep, rlen);
	free(rep);
	evhttp_add_header(out, "Content-Type", "application/json; charset=UTF-8");
	evhttp_add_header(out, h->o.csrf_header, h->token);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

struct tl_httpd *tl_httpd_new(struct event_base *base, const struct tl_httpd_opts *o, const char **why_out)
{
	struct tl_httpd *h = tl_calloc(1, sizeof(*h));
	h->o = *o;
	if (h->o.max_conns == 0 || h->o.max_conns > TL_HTTPD_MAX_CONNS)
		h->o.max_conns = TL_HTTPD_MAX_CONNS;
	h->conns = tl_calloc(h->o.max_conns, sizeof(*h->conns));
	uint8_t rnd[24];
	randombytes_buf(rnd, sizeof(rnd));
	tl_hex(rnd, sizeof(rnd), h->token);
	h->http = evhttp_new(base);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)o->max_headers);
	evhttp_set_max_body_size(h->http, (ev_ssize_t)o->max_body);
	evhttp_set_timeout(h->http, (int)o->timeout_s);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(h->http, request_cb, h);
	h->bound = evhttp_bind_socket_with_handle(h->http, o->host, o->port);
	if (!h->bound) {
		static char why[160];
		snprintf(why, sizeof(why), "cannot listen on %s:%u: %s", o->host, (unsigned)o->port, strerror(errno));
		*why_out = why;
		tl_httpd_free(h);
		return NULL;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(h->bound);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                          : ((struct sockaddr_in *)&ss)->sin_port);
	return h;
}

void tl_httpd_free(struct tl_httpd *h)
{
	if (!h)
		return;
	struct evhttp *http = h->http;
	h->http = NULL; /* the close callbacks below must not touch the listener */
	if (http)
		evhttp_free(http);
	free(h->conns);
	free(h);
}

uint16_t tl_httpd_port(const struct tl_httpd *h)
{
	return h->port;
}
