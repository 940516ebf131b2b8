/*
 * tracker_udp.c: BEP 15 over libevent (see tracker_udp.h).
 *
 * A request walks RESOLVING -> CONNECTING -> REQUESTING -> DONE; DONE only
 * activates its `finish` event, whose callback calls the owner and frees
 * the request, so no request is freed inside the socket's read callback.
 * Every step has a fresh random transaction id, kept across its
 * retransmissions so a late reply to an earlier copy still counts.
 */
#include "io/tracker_udp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <openssl/rand.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/sockaddr.h"

/* BEP 15: a client may use a connection id for one minute. */
#define CONN_ID_TTL_MS 60000u

struct conn_cache {
	struct sockaddr_storage addr;
	uint64_t id;
	uint64_t expires_ms;
};

struct udp_sock {
	evutil_socket_t fd;
	struct event *ev;
};

struct tl_tracker_udp {
	struct event_base *base;
	struct evdns_base *dns;
	unsigned base_ms;
	unsigned max_tries;
	struct udp_sock v4, v6;
	struct sockaddr_storage local; /* bind to this before sending; family 0: none */
	socklen_t local_len;
	struct conn_cache cache[TL_MAX_TRACKERS];
	size_t ncache;
	struct tl_tracker_udp_req *reqs;
	/* One more byte than we accept, so oversized datagrams are seen. */
	uint8_t rbuf[TL_MAX_UDP_TRACKER_PACKET + 1];
};

enum req_state {
	REQ_RESOLVING,
	REQ_CONNECTING,
	REQ_REQUESTING,
	REQ_DONE,
};

struct tl_tracker_udp_req {
	struct tl_tracker_udp *client;
	struct tl_tracker_udp_req *prev, *next;
	enum req_state state;
	enum tl_udp_action action; /* ANNOUNCE or SCRAPE */
	struct tl_announce_req ann;
	struct tl_infohash ih[TL_MAX_SCRAPE_HASHES];
	size_t nih;
	char host[256];
	uint16_t port;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct evdns_getaddrinfo_request *dnsreq;
	uint32_t tid;
	uint64_t conn_id;
	unsigned tries; /* sends of the current step */
	struct event *retry;
	struct event *deadline;
	struct event *finish;
	struct tl_tracker_reply reply;
	bool has_reply;
	char error[256];
	tl_tracker_udp_fn cb;
	void *arg;
};

static const char *state_name(enum req_state s)
{
	static const char *const names[] = { "resolving", "connecting", "requesting", "done" };
	return names[s];
}

static void set_state(struct tl_tracker_udp_req *r, enum req_state s)
{
	tl_debug("tracker udp %s:%u: %s -> %s", r->host, r->port, state_name(r->state),
	    state_name(s));
	r->state = s;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint32_t random_u32(void)
{
	uint32_t v = 0;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		abort(); /* no randomness: transaction ids would be guessable */
	return v;
}

/* ---- connection id cache ---- */

static struct conn_cache *cache_find(struct tl_tracker_udp *c, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < c->ncache; i++)
		if (tl_sockaddr_same((const struct sockaddr *)&c->cache[i].addr, (const struct sockaddr *)a))
			return &c->cache[i];
	return NULL;
}

static void cache_put(struct tl_tracker_udp *c, const struct sockaddr_storage *a, uint64_t id)
{
	struct conn_cache *e = cache_find(c, a);
	if (!e) {
		if (c->ncache < TL_MAX_TRACKERS) {
			e = &c->cache[c->ncache++];
		} else {
			e = &c->cache[0]; /* full: replace the one expiring first */
			for (size_t i = 1; i < c->ncache; i++)
				if (c->cache[i].expires_ms < e->expires_ms)
					e = &c->cache[i];
		}
	}
	e->addr = *a;
	e->id = id;
	e->expires_ms = now_ms() + CONN_ID_TTL_MS;
}

static void cache_drop(struct tl_tracker_udp *c, const struct sockaddr_storage *a)
{
	struct conn_cache *e = cache_find(c, a);
	if (e)
		*e = c->cache[--c->ncache];
}

/* ---- requests ---- */

static void req_free(struct tl_tracker_udp_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		r->client->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->dnsreq)
		evdns_getaddrinfo_cancel(r->dnsreq);
	event_free(r->retry);
	event_free(r->deadline);
	event_free(r->finish);
	tl_tracker_reply_clear(&r->reply);
	free(r);
}

void tl_tracker_udp_cancel(struct tl_tracker_udp_req *r)
{
	if (r)
		req_free(r);
}

static void fail(struct tl_tracker_udp_req *r, const char *msg)
{
	if (r->state == REQ_DONE)
		return;
	snprintf(r->error, sizeof(r->error), "%s", msg);
	event_del(r->retry);
	set_state(r, REQ_DONE);
	event_active(r->finish, EV_TIMEOUT, 0);
}

static void succeed(struct tl_tracker_udp_req *r)
{
	event_del(r->retry);
	r->has_reply = true;
	set_state(r, REQ_DONE);
	event_active(r->finish, EV_TIMEOUT, 0);
}

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_tracker_udp_req *r = arg;
	if (r->has_reply)
		r->cb(r->arg, NULL, &r->reply);
	else
		r->cb(r->arg, r->error[0] ? r->error : "failed", NULL);
	req_free(r);
}

static struct udp_sock *sock_for(struct tl_tracker_udp *c, int family);

/* Send the packet of the current step (again). */
static void send_step(struct tl_tracker_udp_req *r)
{
	uint8_t pkt[TL_UDP_SCRAPE_LEN(TL_MAX_SCRAPE_HASHES)];
	size_t len;
	if (r->state == REQ_CONNECTING) {
		tl_udp_build_connect(r->tid, pkt);
		len = TL_UDP_CONNECT_LEN;
	} else if (r->action == TL_UDP_ANNOUNCE) {
		tl_udp_build_announce(r->conn_id, r->tid, &r->ann, pkt);
		len = TL_UDP_ANNOUNCE_LEN;
	} else {
		len = tl_udp_build_scrape(r->conn_id, r->tid, r->ih, r->nih, pkt, sizeof(pkt));
	}
	struct udp_sock *s = sock_for(r->client, r->addr.ss_family);
	if (!s) {
		fail(r, "cannot open a UDP socket");
		return;
	}
	if (sendto(s->fd, pkt, len, 0, (struct sockaddr *)&r->addr, r->addrlen) < 0 &&
	    errno != EAGAIN && errno != EWOULDBLOCK)
		tl_debug("tracker udp %s:%u: sendto: %s", r->host, r->port, strerror(errno));
	/* BEP 15: wait base * 2^n before sending again. */
	unsigned shift = r->tries < 16 ? r->tries : 16;
	uint64_t wait = (uint64_t)r->client->base_ms << shift;
	struct timeval tv = { (time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000 };
	evtimer_add(r->retry, &tv);
	r->tries++;
}

/* Begin a step: connect unless a fresh connection id is cached. */
static void begin_step(struct tl_tracker_udp_req *r)
{
	struct conn_cache *e = cache_find(r->client, &r->addr);
	if (e && e->expires_ms > now_ms()) {
		r->conn_id = e->id;
		set_state(r, REQ_REQUESTING);
	} else {
		set_state(r, REQ_CONNECTING);
	}
	r->tid = random_u32();
	r->tries = 0;
	send_step(r);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_tracker_udp_req *r = arg;
	if (r->tries >= r->client->max_tries) {
		fail(r, "timed out");
		return;
	}
	/* A connection id that expired while we waited must be renewed. */
	if (r->state == REQ_REQUESTING) {
		struct conn_cache *e = cache_find(r->client, &r->addr);
		if (!e || e->expires_ms <= now_ms()) {
			set_state(r, REQ_CONNECTING);
			r->tid = random_u32();
		}
	}
	send_step(r);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fail(arg, "timed out");
}

static void handle_packet(struct tl_tracker_udp *c, const uint8_t *p, size_t len,
    const struct sockaddr_storage *from)
{
	struct tl_tracker_udp_req *r = c->reqs;
	for (; r; r = r->next)
		if ((r->state == REQ_CONNECTING || r->state == REQ_REQUESTING) &&
		    tl_sockaddr_same((const struct sockaddr *)&r->addr, (const struct sockaddr *)from) && len >= 8 &&
		    ((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7]) == r->tid)
			break;
	if (!r)
		return; /* not ours, or late */
	enum tl_udp_action expect = r->state == REQ_CONNECTING ? TL_UDP_CONNECT : r->action;
	struct tl_tracker_reply rep;
	const char *why = NULL;
	if (tl_udp_parse_reply(p, len, r->tid, expect, from->ss_family, r->ih, r->nih, &rep, &why) !=
	    0) {
		/* From the tracker's address with our transaction id: it is the
		 * tracker misbehaving, and waiting would not help. */
		char e[200];
		snprintf(e, sizeof(e), "bad reply: %s", why);
		fail(r, e);
		return;
	}
	if (rep.failure) {
		cache_drop(c, &r->addr);
		r->reply = rep;
		succeed(r);
		return;
	}
	if (expect == TL_UDP_CONNECT) {
		cache_put(c, &r->addr, rep.connection_id);
		r->conn_id = rep.connection_id;
		tl_tracker_reply_clear(&rep);
		event_del(r->retry);
		set_state(r, REQ_REQUESTING);
		r->tid = random_u32();
		r->tries = 0;
		send_step(r);
		return;
	}
	r->reply = rep;
	succeed(r);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct tl_tracker_udp *c = arg;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, c->rbuf, sizeof(c->rbuf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		handle_packet(c, c->rbuf, (size_t)n, &from);
	}
}

static struct udp_sock *sock_for(struct tl_tracker_udp *c, int family)
{
	struct udp_sock *s = family == AF_INET6 ? &c->v6 : &c->v4;
	if (s->ev)
		return s;
	s->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		tl_warn("tracker udp: socket: %s", strerror(errno));
		return NULL;
	}
	if (c->local.ss_family == family && bind(s->fd, (struct sockaddr *)&c->local, c->local_len) != 0)
		tl_warn("tracker udp: bind: %s", strerror(errno));
	s->ev = event_new(c->base, s->fd, EV_READ | EV_PERSIST, read_cb, c);
	event_add(s->ev, NULL);
	return s;
}

void tl_tracker_udp_set_local(struct tl_tracker_udp *c, const struct sockaddr *sa, socklen_t len)
{
	if (len > sizeof(c->local))
		return;
	memcpy(&c->local, sa, len);
	c->local_len = len;
}

/* ---- creating requests ---- */

struct tl_tracker_udp *tl_tracker_udp_new(struct event_base *base, struct evdns_base *dns,
    unsigned base_ms, unsigned max_tries)
{
	struct tl_tracker_udp *c = tl_calloc(1, sizeof(*c));
	c->base = base;
	c->dns = dns;
	c->base_ms = base_ms ? base_ms : TL_TRACKER_UDP_BASE_MS;
	c->max_tries = max_tries ? max_tries : TL_TRACKER_UDP_TRIES;
	c->v4.fd = -1;
	c->v6.fd = -1;
	return c;
}

void tl_tracker_udp_free(struct tl_tracker_udp *c)
{
	if (!c)
		return;
	while (c->reqs)
		req_free(c->reqs);
	struct udp_sock *socks[] = { &c->v4, &c->v6 };
	for (size_t i = 0; i < 2; i++) {
		if (socks[i]->ev)
			event_free(socks[i]->ev);
		if (socks[i]->fd >= 0)
			close(socks[i]->fd);
	}
	free(c);
}

/* "udp://host:port[/anything]" into r->host and r->port. */
static int parse_url(struct tl_tracker_udp_req *r, const char *url)
{
	if (strncasecmp(url, "udp://", 6) != 0)
		return -1;
	const char *h = url + 6, *end;
	size_t hl;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end)
			return -1;
		h++;
		hl = (size_t)(end - h);
		end++;
	} else {
		hl = strcspn(h, ":/?#");
		end = h + hl;
	}
	if (hl == 0 || hl >= sizeof(r->host) || *end != ':')
		return -1;
	memcpy(r->host, h, hl);
	r->host[hl] = '\0';
	char *e;
	unsigned long port = strtoul(end + 1, &e, 10);
	if (e == end + 1 || port == 0 || port > 65535 || (*e && *e != '/' && *e != '?'))
		return -1;
	r->port = (uint16_t)port;
	return 0;
}

static void resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct tl_tracker_udp_req *r = arg;
	r->dnsreq = NULL;
	if (result != 0 || !res) {
		if (result != EVUTIL_EAI_CANCEL)
			fail(r, "cannot resolve host");
		if (res)
			evutil_freeaddrinfo(res);
		return;
	}
	memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
	r->addrlen = (socklen_t)res->ai_addrlen;
	evutil_freeaddrinfo(res);
	begin_step(r);
}

static struct tl_tracker_udp_req *req_new(struct tl_tracker_udp *c, const char *url,
    unsigned timeout_ms, tl_tracker_udp_fn cb, void *arg, char *err, size_t cap)
{
	struct tl_tracker_udp_req *r = tl_calloc(1, sizeof(*r));
	if (parse_url(r, url) != 0) {
		snprintf(err, cap, "not a udp://host:port URL: %s", url);
		free(r);
		return NULL;
	}
	r->client = c;
	r->cb = cb;
	r->arg = arg;
	tl_tracker_reply_init(&r->reply);
	r->retry = evtimer_new(c->base, retry_cb, r);
	r->deadline = evtimer_new(c->base, deadline_cb, r);
	r->finish = event_new(c->base, -1, 0, finish_cb, r);
	r->next = c->reqs;
	if (c->reqs)
		c->reqs->prev = r;
	c->reqs = r;
	struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
	evtimer_add(r->deadline, &tv);
	return r;
}

/* Resolve (or parse) the host, then start; errors arrive via the callback
 * except a missing resolver for a host name, reported at once. */
static struct tl_tracker_udp_req *launch(struct tl_tracker_udp_req *r, char *err, size_t cap)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&r->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->addr;
	if (inet_pton(AF_INET, r->host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(r->port);
		r->addrlen = sizeof(*a4);
		begin_step(r);
		return r;
	}
	if (inet_pton(AF_INET6, r->host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(r->port);
		r->addrlen = sizeof(*a6);
		begin_step(r);
		return r;
	}
	if (!r->client->dns) {
		snprintf(err, cap, "no resolver for host %s", r->host);
		req_free(r);
		return NULL;
	}
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	char port[8];
	snprintf(port, sizeof(port), "%u", r->port);
	r->state = REQ_RESOLVING;
	/* The callback may run before this returns (cached or failed lookups);
	 * it then only marks the request done, which is deferred. */
	r->dnsreq = evdns_getaddrinfo(r->client->dns, r->host, port, &hints, resolved_cb, r);
	return r;
}

struct tl_tracker_udp_req *tl_tracker_udp_announce(struct tl_tracker_udp *c, const char *url,
    const struct tl_announce_req *req, unsigned timeout_ms, tl_tracker_udp_fn cb, void *arg,
    char *err_out, size_t err_cap)
{
	struct tl_tracker_udp_req *r = req_new(c, url, timeout_ms, cb, arg, err_out, err_cap);
	if (!r)
		return NULL;
	r->action = TL_UDP_ANNOUNCE;
	r->ann = *req;
	r->ann.tracker_id = NULL;
	return launch(r, err_out, err_cap);
}

struct tl_tracker_udp_req *tl_tracker_udp_scrape(struct tl_tracker_udp *c, const char *url,
    const struct tl_infohash *ih, size_t n, unsigned timeout_ms, tl_tracker_udp_fn cb, void *arg,
    char *err_out, size_t err_cap)
{
	if (n == 0 || n > TL_MAX_SCRAPE_HASHES) {
		snprintf(err_out, err_cap, "scrape of %zu hashes", n);
		return NULL;
	}
	struct tl_tracker_udp_req *r = req_new(c, url, timeout_ms, cb, arg, err_out, err_cap);
	if (!r)
		return NULL;
	r->action = TL_UDP_SCRAPE;
	memcpy(r->ih, ih, n * sizeof(*ih));
	r->nih = n;
	return launch(r, err_out, err_cap);
}
