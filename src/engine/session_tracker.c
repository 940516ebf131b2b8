/* session_tracker.c: see session_tracker.h. */
#include "engine/session_tracker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/tracker_http.h"
#include "io/tracker_udp.h"

/* How often the stop timer looks whether the stopped announces are done. */
#define STOP_POLL_MS 20u

/* One scrape in flight (freed when done, or with the tl_strk). */
struct scrape {
	struct tl_strk *s;
	struct tl_infohash ih;
	tl_strk_scrape_fn fn;
	void *arg;
	struct scrape *next;
};

struct tl_strk {
	struct event_base *base;
	struct evdns_base *dns;
	struct tl_tracker_net net;
	struct tl_tracker_io io;
	/* the stop in progress */
	struct event *stop_ev;
	struct tl_tracker *stopping;
	uint64_t stop_send_ms;     /* send stopped by then even if busy */
	uint64_t stop_deadline_ms; /* give up waiting then */
	bool is_stop_sent;
	void (*stop_done)(void *arg);
	void *stop_arg;
	struct scrape *scrapes;
};

static bool has_url(const struct tl_strk_urls *u, const char *url)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->urls[i], url) == 0)
			return true;
	return false;
}

static void push(struct tl_strk_urls *u, const char *url, unsigned tier)
{
	if (!url[0] || strlen(url) >= TL_MAX_TRACKER_URL || has_url(u, url) || u->n >= TL_MAX_TRACKERS)
		return;
	u->urls = tl_realloc(u->urls, (u->n + 1) * sizeof(*u->urls));
	u->tiers = tl_realloc(u->tiers, (u->n + 1) * sizeof(*u->tiers));
	u->urls[u->n] = tl_strdup(url);
	u->tiers[u->n] = tier;
	u->n++;
}

static unsigned next_tier(const struct tl_strk_urls *u)
{
	return u->n ? u->tiers[u->n - 1] + 1 : 0;
}

void tl_strk_urls_add_tiers(struct tl_strk_urls *u, const struct tl_tracker_tier *tiers, size_t ntiers)
{
	unsigned base = next_tier(u);
	for (size_t t = 0; t < ntiers; t++)
		for (size_t i = 0; i < tiers[t].nurls; i++)
			push(u, tiers[t].urls[i], base + (unsigned)t);
}

void tl_strk_urls_add(struct tl_strk_urls *u, const char *url)
{
	push(u, url, next_tier(u));
}

void tl_strk_urls_clear(struct tl_strk_urls *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->urls[i]);
	free(u->urls);
	free(u->tiers);
	memset(u, 0, sizeof(*u));
}

/* The UDP client's source address from a numeric host (port 0). */
static void set_udp_local(struct tl_tracker_udp *udp, const char *bind)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	if (inet_pton(AF_INET, bind, &a4.sin_addr) == 1)
		tl_tracker_udp_set_local(udp, (struct sockaddr *)&a4, sizeof(a4));
	else if (inet_pton(AF_INET6, bind, &a6.sin6_addr) == 1)
		tl_tracker_udp_set_local(udp, (struct sockaddr *)&a6, sizeof(a6));
}

struct tl_strk *tl_strk_new(struct event_base *base, const char *bind, const char *ca_file,
    char *err_out, size_t err_cap)
{
	struct tl_strk *s = tl_calloc(1, sizeof(*s));
	s->base = base;
	s->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!s->dns)
		tl_warn("trackers: no DNS resolver; only trackers given by address will work");
	s->net.http = tl_tracker_http_new(base, s->dns, ca_file, err_out, err_cap);
	if (!s->net.http) {
		tl_strk_free(s);
		return NULL;
	}
	s->net.udp = tl_tracker_udp_new(base, s->dns, 0, 0);
	if (bind) {
		tl_tracker_http_set_local(s->net.http, bind);
		set_udp_local(s->net.udp, bind);
	}
	s->net.timeout_ms = TL_STRK_TIMEOUT_MS;
	tl_tracker_net_io(&s->net, &s->io);
	return s;
}

void tl_strk_free(struct tl_strk *s)
{
	if (!s)
		return;
	if (s->stop_ev)
		event_free(s->stop_ev);
	tl_tracker_http_free(s->net.http);
	tl_tracker_udp_free(s->net.udp);
	while (s->scrapes) {
		struct scrape *next = s->scrapes->next;
		free(s->scrapes);
		s->scrapes = next;
	}
	if (s->dns)
		evdns_base_free(s->dns, 0);
	free(s);
}

struct tl_tracker *tl_strk_tracker_new(struct tl_strk *s, const struct tl_tracker_cfg *cfg,
    const struct tl_strk_urls *urls, tl_tracker_peers_fn fn, void *arg)
{
	struct tl_tracker *t = tl_tracker_new(s->base, &s->io, cfg, (const char *const *)urls->urls,
	    urls->tiers, urls->n, fn, arg);
	if (tl_tracker_count(t) == 0) {
		tl_tracker_free(t);
		return NULL;
	}
	return t;
}

void tl_strk_progress(struct tl_tracker *t, uint64_t uploaded, uint64_t downloaded,
    uint64_t wanted, uint64_t have)
{
	tl_tracker_set_progress(t, uploaded, downloaded, have < wanted ? wanted - have : 0);
}

static bool is_updating(const struct tl_tracker *t)
{
	for (size_t i = 0; i < tl_tracker_count(t); i++) {
		struct tl_tracker_status st;
		tl_tracker_status(t, i, &st);
		if (st.is_updating)
			return true;
	}
	return false;
}

/* Two phases: let the announce in flight (a completed, most often) finish
 * for up to half the grace, so the tracker counts it; then send stopped
 * and wait for it until the deadline. */
static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_strk *s = arg;
	uint64_t now = tl_tracker_now_ms();
	if (!s->is_stop_sent && (!is_updating(s->stopping) || now >= s->stop_send_ms)) {
		s->is_stop_sent = true;
		tl_tracker_event(s->stopping, TL_TRACKER_EV_STOPPED, now);
	}
	if (!s->is_stop_sent || (!tl_tracker_is_done(s->stopping) && now < s->stop_deadline_ms)) {
		struct timeval tv = { 0, STOP_POLL_MS * 1000 };
		event_add(s->stop_ev, &tv);
		return;
	}
	if (!tl_tracker_is_done(s->stopping))
		tl_info("trackers: stopped announce unanswered after the grace period");
	s->stopping = NULL;
	s->stop_done(s->stop_arg);
}

void tl_strk_stop(struct tl_strk *s, struct tl_tracker *t, unsigned grace_ms,
    void (*done)(void *arg), void *arg)
{
	uint64_t now = tl_tracker_now_ms();
	s->stopping = t;
	s->stop_send_ms = now + grace_ms / 2;
	s->stop_deadline_ms = now + grace_ms;
	s->is_stop_sent = false;
	s->stop_done = done;
	s->stop_arg = arg;
	if (!s->stop_ev)
		s->stop_ev = event_new(s->base, -1, 0, stop_cb, s);
	struct timeval zero = { 0, 0 };
	event_add(s->stop_ev, &zero);
}

static const char *state_name(const struct tl_tracker_status *st)
{
	if (st->is_updating)
		return "updating";
	if (st->error)
		return "error";
	return st->is_ok ? "ok" : "waiting";
}

void tl_strk_json(struct tl_json *j, const struct tl_tracker *t, uint64_t now_ms)
{
	tl_json_begin_array(j);
	size_t n = t ? tl_tracker_count(t) : 0;
	for (size_t i = 0; i < n; i++) {
		struct tl_tracker_status st;
		tl_tracker_status(t, i, &st);
		tl_json_begin_object(j);
		tl_json_key(j, "url");
		tl_json_string(j, st.url);
		tl_json_key(j, "tier");
		tl_json_int(j, st.tier);
		tl_json_key(j, "status");
		tl_json_string(j, state_name(&st));
		tl_json_key(j, "error");
		if (st.error)
			tl_json_string(j, st.error);
		else
			tl_json_null(j);
		tl_json_key(j, "peers");
		tl_json_int(j, (int64_t)st.npeers);
		tl_json_key(j, "seeders");
		tl_json_int(j, st.seeders);
		tl_json_key(j, "leechers");
		tl_json_int(j, st.leechers);
		tl_json_key(j, "next_s");
		if (st.next_ms)
			tl_json_int(j, st.next_ms > now_ms ? (int64_t)((st.next_ms - now_ms + 999) / 1000) : 0);
		else
			tl_json_null(j);
		tl_json_end_object(j);
	}
	tl_json_end_array(j);
}

void tl_strk_summary(const struct tl_tracker *t, char *out, size_t n)
{
	size_t count = t ? tl_tracker_count(t) : 0, ok = 0;
	const char *err = NULL;
	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		struct tl_tracker_status st;
		tl_tracker_status(t, i, &st);
		if (st.is_ok && !st.error)
			ok++;
		else if (st.error && !err)
			err = st.error;
	}
	if (count == 0)
		return;
	if (ok == 0 && err)
		snprintf(out, n, "tracker: %s", err);
	else
		snprintf(out, n, "trackers %zu/%zu ok", ok, count);
}

/* ---- one-off scrapes ---- */

static void scrape_unlink(struct scrape *sc)
{
	struct scrape **pp = &sc->s->scrapes;
	while (*pp != sc)
		pp = &(*pp)->next;
	*pp = sc->next;
}

/* Report the entry of our infohash in r (or why not), then free sc. */
static void scrape_finish(struct scrape *sc, const char *error, const struct tl_tracker_reply *r)
{
	const struct tl_scrape_entry *e = NULL;
	scrape_unlink(sc);
	if (!error && r->failure)
		error = r->failure;
	for (size_t i = 0; !error && i < r->nfiles && !e; i++)
		if (memcmp(r->files[i].info_hash.b, sc->ih.b, 20) == 0)
			e = &r->files[i];
	if (!error && !e)
		error = "the torrent is not in the reply";
	sc->fn(sc->arg, e ? NULL : error, e);
	free(sc);
}

static void scrape_http_cb(void *arg, const char *error, const uint8_t *body, size_t len)
{
	struct scrape *sc = arg;
	struct tl_tracker_reply r;
	const char *why = NULL;
	char msg[TL_MAX_TRACKER_MSG + 16];
	tl_tracker_reply_init(&r);
	if (!error && tl_tracker_parse_scrape(body, len, &r, &why) != TL_OK) {
		snprintf(msg, sizeof(msg), "bad reply: %s", why);
		error = msg;
	}
	scrape_finish(sc, error, &r);
	tl_tracker_reply_clear(&r);
}

static void scrape_udp_cb(void *arg, const char *error, const struct tl_tracker_reply *r)
{
	struct tl_tracker_reply none;
	tl_tracker_reply_init(&none);
	scrape_finish(arg, error, r ? r : &none);
}

bool tl_strk_scrape(struct tl_strk *s, const char *url, const struct tl_infohash *ih,
    tl_strk_scrape_fn fn, void *arg, char *err_out, size_t err_cap)
{
	struct scrape *sc = tl_calloc(1, sizeof(*sc));
	sc->s = s;
	sc->ih = *ih;
	sc->fn = fn;
	sc->arg = arg;
	sc->next = s->scrapes;
	s->scrapes = sc;
	bool ok = false;
	if (strncasecmp(url, "udp://", 6) == 0) {
		ok = tl_tracker_udp_scrape(s->net.udp, url, ih, 1, s->net.timeout_ms, scrape_udp_cb, sc,
		    err_out, err_cap) != NULL;
	} else {
		char *get = NULL;
		int rc = tl_tracker_scrape_url(url, ih, 1, &get);
		if (rc == TL_ENOTSUP)
			snprintf(err_out, err_cap, "this announce URL has no scrape URL (BEP 48)");
		else if (rc != TL_OK)
			snprintf(err_out, err_cap, "not a usable tracker URL");
		else
			ok = tl_tracker_http_get(s->net.http, get, s->net.timeout_ms, scrape_http_cb, sc,
			    err_out, err_cap) != NULL;
		free(get);
	}
	if (!ok) {
		scrape_unlink(sc);
		free(sc);
	}
	return ok;
}
