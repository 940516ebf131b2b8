/*
 * tracker.c: BEP 12 tiers and announce scheduling for one torrent (see
 * tracker.h).
 *
 * Invariants: entries are sorted by tier; at most one request is in flight
 * (busy >= 0, handle set); `pending` is the event the next announce
 * carries and is cleared only by a good reply to a request that carried
 * it. Completions and events never run the policy in place: with an
 * event_base they activate the timer, so tl_tracker_tick always runs from
 * the loop; without one the owner ticks.
 */
#include "engine/tracker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/rand.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/tracker_http.h"
#include "io/tracker_udp.h"

/* Back-off of a failing tracker: 1 min, doubling, at most 1 h. */
#define BACKOFF_BASE_MS 60000u
#define BACKOFF_MAX_MS 3600000u
/* Intervals we accept from a tracker (s): not hammering it, not forgetting
 * it; 30 min when it gave none. */
#define INTERVAL_MIN_S 30
#define INTERVAL_MAX_S 86400
#define INTERVAL_DEFAULT_S 1800
/* Re-announce on request no sooner than this when no min interval is known. */
#define MIN_INTERVAL_DEFAULT_S 60

struct entry {
	char *url;
	unsigned tier;
	bool is_ok;
	bool stop_sent;
	size_t npeers;
	int64_t seeders, leechers;
	int64_t min_interval;
	char error[160]; /* empty: none */
	unsigned fails;
	uint64_t retry_ms;
	uint64_t next_ms;
	char *tracker_id;
};

struct tl_tracker {
	struct event_base *base;
	struct event *timer;
	struct tl_tracker_io io;
	struct tl_tracker_cfg cfg;
	struct entry *e;
	size_t n;
	tl_tracker_peers_fn peers_cb;
	void *arg;
	uint64_t uploaded, downloaded, left;
	enum tl_tracker_event pending;
	enum tl_tracker_event sent;  /* event of the request in flight */
	bool is_started;             /* an event was queued: announcing is on */
	bool is_done;                /* stopped has been sent or given up */
	long busy;                   /* entry in flight, -1 none */
	void *handle;
	uint64_t next_announce_ms;   /* regular schedule */
	uint64_t last_ok_ms;
	int64_t last_min_interval;   /* of the tracker that last answered */
	bool has_external_ip;
	struct sockaddr_storage external_ip;
	uint64_t last_tick_ms;
};

uint64_t tl_tracker_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_of(const struct tl_tracker *t)
{
	return t->base ? tl_tracker_now_ms() : t->last_tick_ms;
}

/* Run the policy from the loop soon (never nested in a callback). */
static void kick(struct tl_tracker *t)
{
	if (t->timer)
		event_active(t->timer, EV_TIMEOUT, 0);
}

/* ---- construction ---- */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool supported(const char *u)
{
	return strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0 ||
	    strncasecmp(u, "udp://", 6) == 0;
}

static int by_tier(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return (x->tier > y->tier) - (x->tier < y->tier);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg);

struct tl_tracker *tl_tracker_new(struct event_base *base, const struct tl_tracker_io *io,
    const struct tl_tracker_cfg *cfg, const char *const *urls, const unsigned *tiers, size_t n,
    tl_tracker_peers_fn peers_cb, void *arg)
{
	struct tl_tracker *t = tl_calloc(1, sizeof(*t));
	t->base = base;
	t->io = *io;
	t->cfg = *cfg;
	t->peers_cb = peers_cb;
	t->arg = arg;
	t->busy = -1;
	t->last_min_interval = -1;
	t->e = tl_calloc(n < TL_MAX_TRACKERS ? n + 1 : TL_MAX_TRACKERS, sizeof(*t->e));
	for (size_t i = 0; i < n && t->n < TL_MAX_TRACKERS; i++) {
		bool dup = !supported(urls[i]) || strlen(urls[i]) >= TL_MAX_TRACKER_URL;
		for (size_t k = 0; k < t->n && !dup; k++)
			dup = strcmp(t->e[k].url, urls[i]) == 0;
		if (dup)
			continue;
		struct entry *e = &t->e[t->n++];
		e->url = tl_strdup(urls[i]);
		e->tier = tiers[i];
		e->seeders = e->leechers = e->min_interval = -1;
	}
	/* qsort is not stable; shuffling inside each tier follows anyway. */
	qsort(t->e, t->n, sizeof(*t->e), by_tier);
	uint64_t s = cfg->seed;
	if (s == 0 && RAND_bytes((unsigned char *)&s, sizeof(s)) != 1)
		s = tl_tracker_now_ms();
	s |= 1;
	for (size_t lo = 0; lo < t->n;) {
		size_t hi = lo;
		while (hi < t->n && t->e[hi].tier == t->e[lo].tier)
			hi++;
		for (size_t i = hi - 1; i > lo; i--) {
			size_t j = lo + (size_t)(xorshift(&s) % (i - lo + 1));
			struct entry tmp = t->e[i];
			t->e[i] = t->e[j];
			t->e[j] = tmp;
		}
		lo = hi;
	}
	if (t->cfg.key == 0 && RAND_bytes((unsigned char *)&t->cfg.key, sizeof(t->cfg.key)) != 1)
		t->cfg.key = (uint32_t)xorshift(&s);
	if (base)
		t->timer = evtimer_new(base, timer_cb, t);
	return t;
}

struct tl_tracker *tl_tracker_new_tiers(struct event_base *base, const struct tl_tracker_io *io,
    const struct tl_tracker_cfg *cfg, const struct tl_tracker_tier *tiers, size_t ntiers,
    tl_tracker_peers_fn peers_cb, void *arg)
{
	const char *urls[TL_MAX_TRACKERS];
	unsigned tier_of[TL_MAX_TRACKERS];
	size_t n = 0;
	for (size_t i = 0; i < ntiers; i++)
		for (size_t k = 0; k < tiers[i].nurls && n < TL_MAX_TRACKERS; k++) {
			urls[n] = tiers[i].urls[k];
			tier_of[n++] = (unsigned)i;
		}
	return tl_tracker_new(base, io, cfg, urls, tier_of, n, peers_cb, arg);
}

void tl_tracker_free(struct tl_tracker *t)
{
	if (!t)
		return;
	if (t->handle)
		t->io.cancel(t->io.ctx, t->handle);
	if (t->timer)
		event_free(t->timer);
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].url);
		free(t->e[i].tracker_id);
	}
	free(t->e);
	free(t);
}

/* ---- owner inputs ---- */

void tl_tracker_set_progress(struct tl_tracker *t, uint64_t uploaded, uint64_t downloaded,
    uint64_t left)
{
	t->uploaded = uploaded;
	t->downloaded = downloaded;
	t->left = left;
}

void tl_tracker_event(struct tl_tracker *t, enum tl_tracker_event ev, uint64_t now_ms)
{
	if (t->is_done)
		return;
	t->is_started = true;
	if (ev == TL_TRACKER_EV_STOPPED) {
		/* Whatever was in flight no longer matters. */
		if (t->handle)
			t->io.cancel(t->io.ctx, t->handle);
		t->handle = NULL;
		t->busy = -1;
		for (size_t i = 0; i < t->n; i++)
			t->e[i].stop_sent = false;
	}
	if (ev != TL_TRACKER_EV_NONE && t->pending != TL_TRACKER_EV_STOPPED)
		t->pending = ev;
	t->next_announce_ms = now_ms;
	kick(t);
}

void tl_tracker_announce_soon(struct tl_tracker *t, uint64_t now_ms)
{
	int64_t mi = t->last_min_interval >= 0 ? t->last_min_interval : MIN_INTERVAL_DEFAULT_S;
	uint64_t earliest = t->last_ok_ms ? t->last_ok_ms + (uint64_t)mi * 1000 : now_ms;
	t->next_announce_ms = earliest > now_ms ? earliest : now_ms;
	kick(t);
}

/* ---- completion ---- */

static void move_to_front(struct tl_tracker *t, size_t i)
{
	size_t first = i;
	while (first > 0 && t->e[first - 1].tier == t->e[i].tier)
		first--;
	struct entry e = t->e[i];
	memmove(&t->e[first + 1], &t->e[first], (i - first) * sizeof(e));
	t->e[first] = e;
}

static void done_cb(void *arg, const char *error, const struct tl_tracker_reply *r)
{
	struct tl_tracker *t = arg;
	uint64_t now = now_of(t);
	size_t i = (size_t)t->busy;
	struct entry *e = &t->e[i];
	t->busy = -1;
	t->handle = NULL;
	if (!error && r->failure)
		error = r->failure;
	if (t->pending == TL_TRACKER_EV_STOPPED) {
		e->stop_sent = true;
		if (!error)
			t->is_done = true;
	}
	if (error) {
		e->is_ok = false;
		e->fails++;
		unsigned sh = e->fails - 1 < 6 ? e->fails - 1 : 6;
		uint64_t wait = (uint64_t)BACKOFF_BASE_MS << sh;
		e->retry_ms = now + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
		snprintf(e->error, sizeof(e->error), "%s", error);
		tl_info("tracker %s: %s (retry in %llu s)", e->url, error,
		    (unsigned long long)((e->retry_ms - now) / 1000));
		kick(t);
		return;
	}
	e->is_ok = true;
	e->fails = 0;
	e->retry_ms = 0;
	e->error[0] = '\0';
	e->npeers = r->npeers;
	e->seeders = r->complete;
	e->leechers = r->incomplete;
	e->min_interval = r->min_interval;
	if (r->tracker_id) {
		free(e->tracker_id);
		e->tracker_id = tl_strdup(r->tracker_id);
	}
	if (r->warning)
		tl_warn("tracker %s: warning: %s", e->url, r->warning);
	int64_t iv = r->interval >= 0 ? r->interval : INTERVAL_DEFAULT_S;
	if (r->min_interval > iv)
		iv = r->min_interval;
	iv = iv < INTERVAL_MIN_S ? INTERVAL_MIN_S : iv > INTERVAL_MAX_S ? INTERVAL_MAX_S : iv;
	t->next_announce_ms = now + (uint64_t)iv * 1000;
	e->next_ms = t->next_announce_ms;
	t->last_ok_ms = now;
	t->last_min_interval = r->min_interval;
	if (r->has_external_ip) {
		t->has_external_ip = true;
		t->external_ip = r->external_ip;
	}
	if (t->pending == t->sent && t->pending != TL_TRACKER_EV_STOPPED)
		t->pending = TL_TRACKER_EV_NONE;
	move_to_front(t, i);
	kick(t);
	/* Last, so nothing here touches t after the owner has seen the peers. */
	if (r->npeers && t->peers_cb && !t->is_done)
		t->peers_cb(t->arg, r->peers, r->npeers);
}

/* ---- the policy ---- */

static void send_to(struct tl_tracker *t, size_t i, uint64_t now)
{
	struct entry *e = &t->e[i];
	struct tl_announce_req req = {
		.info_hash = t->cfg.info_hash,
		.peer_id = t->cfg.peer_id,
		.port = t->cfg.port,
		.uploaded = t->uploaded,
		.downloaded = t->downloaded,
		.left = t->left,
		.event = t->pending,
		.numwant = t->pending == TL_TRACKER_EV_STOPPED ? 0 : t->cfg.numwant,
		.key = t->cfg.key,
		.tracker_id = e->tracker_id,
	};
	char err[160] = "";
	t->busy = (long)i;
	t->sent = t->pending;
	tl_debug("tracker %s: announce%s%s", e->url, t->pending ? " " : "",
	    tl_tracker_event_name(t->pending));
	t->handle = t->io.announce(t->io.ctx, e->url, &req, done_cb, t, err, sizeof(err));
	if (!t->handle) {
		/* Reported as a failure of this tracker; the timer moves on. */
		t->last_tick_ms = now;
		struct tl_tracker_reply none;
		tl_tracker_reply_init(&none);
		done_cb(t, err[0] ? err : "cannot send", &none);
	}
}

uint64_t tl_tracker_tick(struct tl_tracker *t, uint64_t now_ms)
{
	t->last_tick_ms = now_ms;
	if (!t->is_started || t->is_done || t->busy >= 0)
		return UINT64_MAX;
	if (t->pending == TL_TRACKER_EV_STOPPED) {
		/* Tell each tracker that knew us, once, then go quiet. */
		for (size_t i = 0; i < t->n; i++)
			if (t->e[i].is_ok && !t->e[i].stop_sent) {
				send_to(t, i, now_ms);
				return t->is_done || t->busy >= 0 ? UINT64_MAX : now_ms;
			}
		t->is_done = true;
		return UINT64_MAX;
	}
	if (t->next_announce_ms > now_ms)
		return t->next_announce_ms;
	uint64_t soonest = UINT64_MAX;
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].retry_ms <= now_ms) {
			send_to(t, i, now_ms);
			return t->busy >= 0 ? UINT64_MAX : now_ms;
		}
		if (t->e[i].retry_ms < soonest)
			soonest = t->e[i].retry_ms;
	}
	return soonest;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_tracker *t = arg;
	uint64_t now = tl_tracker_now_ms();
	uint64_t wake = tl_tracker_tick(t, now);
	if (wake == UINT64_MAX)
		return;
	uint64_t d = wake > now ? wake - now : 0;
	struct timeval tv = { (time_t)(d / 1000), (suseconds_t)(d % 1000) * 1000 };
	evtimer_add(t->timer, &tv);
}

/* ---- status ---- */

bool tl_tracker_is_private(const struct tl_tracker *t)
{
	return t->cfg.is_private;
}

bool tl_tracker_external_ip(const struct tl_tracker *t, struct sockaddr_storage *out)
{
	if (t->has_external_ip)
		*out = t->external_ip;
	return t->has_external_ip;
}

bool tl_tracker_is_done(const struct tl_tracker *t)
{
	return t->is_done;
}

size_t tl_tracker_count(const struct tl_tracker *t)
{
	return t->n;
}

void tl_tracker_status(const struct tl_tracker *t, size_t i, struct tl_tracker_status *out)
{
	const struct entry *e = &t->e[i];
	out->url = e->url;
	out->tier = e->tier;
	out->is_updating = t->busy == (long)i;
	out->is_ok = e->is_ok;
	out->npeers = e->npeers;
	out->seeders = e->seeders;
	out->leechers = e->leechers;
	out->error = e->error[0] ? e->error : NULL;
	out->fails = e->fails;
	out->next_ms = e->fails ? e->retry_ms : e->is_ok ? e->next_ms : 0;
}

/* ---- the network io ---- */

struct net_req {
	struct tl_tracker_http_req *http;
	struct tl_tracker_udp_req *udp;
	tl_tracker_done_fn done;
	void *arg;
};

static void net_http_cb(void *arg, const char *error, const uint8_t *body, size_t len)
{
	struct net_req *q = arg;
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	char why[160];
	if (!error) {
		const char *w = NULL;
		if (tl_tracker_parse_announce(body, len, &r, &w) != 0) {
			snprintf(why, sizeof(why), "bad reply: %s", w);
			error = why;
		}
	}
	q->done(q->arg, error, &r);
	tl_tracker_reply_clear(&r);
	free(q);
}

static void net_udp_cb(void *arg, const char *error, const struct tl_tracker_reply *reply)
{
	struct net_req *q = arg;
	struct tl_tracker_reply none;
	tl_tracker_reply_init(&none);
	q->done(q->arg, error, reply ? reply : &none);
	free(q);
}

static void *net_announce(void *ctx, const char *url, const struct tl_announce_req *req,
    tl_tracker_done_fn done, void *done_arg, char *err, size_t cap)
{
	struct tl_tracker_net *net = ctx;
	struct net_req *q = tl_calloc(1, sizeof(*q));
	q->done = done;
	q->arg = done_arg;
	if (strncasecmp(url, "udp://", 6) == 0 && net->udp) {
		q->udp = tl_tracker_udp_announce(net->udp, url, req, net->timeout_ms, net_udp_cb, q,
		    err, cap);
	} else if (strncasecmp(url, "udp://", 6) != 0 && net->http) {
		char *get = NULL;
		if (tl_tracker_announce_url(url, req, &get) == 0)
			q->http = tl_tracker_http_get(net->http, get, net->timeout_ms, net_http_cb, q,
			    err, cap);
		else
			snprintf(err, cap, "unusable announce URL");
		free(get);
	} else {
		snprintf(err, cap, "no client for this kind of tracker");
	}
	if (!q->udp && !q->http) {
		free(q);
		return NULL;
	}
	return q;
}

static void net_cancel(void *ctx, void *handle)
{
	(void)ctx;
	struct net_req *q = handle;
	tl_tracker_http_cancel(q->http);
	tl_tracker_udp_cancel(q->udp);
	free(q);
}

void tl_tracker_net_io(struct tl_tracker_net *net, struct tl_tracker_io *io_out)
{
	io_out->announce = net_announce;
	io_out->cancel = net_cancel;
	io_out->ctx = net;
}
