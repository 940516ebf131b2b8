/* session_dht.c: see session_dht.h. */
#include "engine/session_dht.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>

#include "dht/dht.h"
#include "dht/dht_event.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/udp.h"

/* The rounds of one family of a watch. Each family keeps its own, so
 * that a lookup that is slow or has no node in one family never holds up
 * the other's re-announces. */
struct watch_fam {
	uint64_t next_ms;        /* loop time of the next lookup */
	uint32_t search_id;      /* the running lookup (0: none) */
	unsigned found;          /* peers of the running or the last round */
	bool is_no_nodes;        /* the last lookup had no node to ask */
	uint32_t last_search_id; /* the running or last lookup */
	/* the last announce whose answers are all in (DHT_EV_ANNOUNCE_DONE) */
	bool has_announce;
	unsigned stored;         /* nodes that stored it */
	uint64_t announce_ms;    /* when */
};

struct tl_sdht_watch {
	struct tl_sdht *d;
	struct tl_infohash ih;
	uint16_t announce_port;
	bool is_seed;
	tl_sdht_peer_fn fn;
	void *arg;
	struct watch_fam fam[2]; /* IPv4, IPv6 */
	unsigned lookups, peers; /* totals */
	struct tl_sdht_watch *next;
};

struct tl_sdht {
	struct event_base *base;
	struct tl_udp *udp;      /* the session's port (borrowed) */
	struct dht_ev *ev;
	struct event *pace_ev;   /* the pacing tick: refills the start budget */
	struct event *now_ev;    /* one-shot: start due lookups without waiting for the tick */
	unsigned budget;         /* lookups that may still start in this tick */
	uint32_t announce_ms;    /* the re-announce period */
	struct tl_sdht_watch *watches;
	int self_af;             /* the --bind address (0: none): our own announces */
	uint8_t self_ip[16];
};

static const int families[2] = { AF_INET, AF_INET6 };

uint32_t tl_sdht_next_delay(unsigned npeers, uint32_t announce_ms, uint32_t rnd)
{
	if (npeers == 0) {
		uint32_t retry = announce_ms < TL_SDHT_RETRY_MS ? announce_ms : TL_SDHT_RETRY_MS;
		uint32_t span = retry / 2;
		return retry - span / 2 + rnd % (span + 1);
	}
	uint32_t jitter = (uint32_t)((uint64_t)announce_ms * TL_SDHT_JITTER_MS / TL_SDHT_ANNOUNCE_MS);
	return announce_ms - jitter + rnd % (2 * jitter + 1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The family whose running lookup (or, with is_last, whose last lookup)
 * is search_id. */
static struct watch_fam *fam_of_search(struct tl_sdht *d, uint32_t search_id, bool is_last)
{
	for (struct tl_sdht_watch *w = d->watches; w; w = w->next)
		for (int i = 0; i < 2; i++)
			if ((is_last ? w->fam[i].last_search_id : w->fam[i].search_id) == search_id)
				return &w->fam[i];
	return NULL;
}

static void log_hook(void *ud, const struct dht_event *e)
{
	struct tl_sdht *d = ud;
	if (e->type == DHT_EV_ANNOUNCE_DONE) {
		struct watch_fam *f = fam_of_search(d, e->search_id, true);
		if (f) {
			f->has_announce = true;
			f->stored = (unsigned)e->count;
			f->announce_ms = now_ms();
		}
	} else if (e->type == DHT_EV_NO_NODES) {
		struct watch_fam *f = fam_of_search(d, e->search_id, false);
		if (f)
			f->is_no_nodes = true;
	} else if (e->type == DHT_EV_LOG) {
		/* the adapter's lines carry the prefix already, the core's do not */
		const char *pre = strncmp(e->msg, "dht: ", 5) == 0 ? "" : "dht: ";
		if (e->level >= DHT_LOG_WARN)
			tl_warn("%s%s", pre, e->msg);
		else
			tl_debug("%s%s", pre, e->msg);
	} else if (e->type == DHT_EV_READY) {
		tl_info("dht: routing table ready (%s)", e->af == AF_INET6 ? "IPv6" : "IPv4");
	}
}

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

/* The adapter's datagrams go out through the session's port. */
static int send_hook(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	struct tl_sdht *d = ud;
	return tl_udp_send(d->udp, TL_UDP_DHT, buf, len, to, tolen);
}

/* A KRPC datagram the port read (tl_udp_input_fn). */
static void input_cb(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen)
{
	struct tl_sdht *d = arg;
	dht_ev_input(d->ev, buf, len, from, fromlen);
}

static bool is_loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (!addr)
		return false;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

bool tl_sdht_config_bind(struct dht_ev_config *c, const char *bind)
{
	if (bind) {
		bool is_v6 = strchr(bind, ':') != NULL;
		c->dht.family_mask = is_v6 ? DHT_F_INET6 : DHT_F_INET;
		if (is_v6)
			c->bind_v6 = bind;
		else
			c->bind_v4 = bind;
	}
	c->dht.allow_same_subnet = is_loopback(bind);
	return c->dht.allow_same_subnet;
}

/* Our own announce, handed back: the bound address and our port. */
static bool is_self(const struct tl_sdht_watch *w, int af, const uint8_t *c)
{
	size_t alen = af == AF_INET ? 4 : 16;
	uint16_t port = (uint16_t)(c[alen] << 8 | c[alen + 1]);
	return w->announce_port && port == w->announce_port && w->d->self_af == af &&
	    memcmp(c, w->d->self_ip, alen) == 0;
}

static void peers_cb(void *ud, uint32_t search_id, const struct dht_id *infohash, int af,
    const uint8_t *peers, size_t npeers, bool is_done)
{
	(void)infohash;
	struct tl_sdht_watch *w = ud;
	size_t plen = af == AF_INET ? 6 : 18;
	for (size_t i = 0; i < npeers; i++) {
		const uint8_t *c = peers + i * plen;
		if (is_self(w, af, c))
			continue;
		struct sockaddr_storage ss;
		memset(&ss, 0, sizeof(ss));
		socklen_t len;
		if (af == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			a->sin_family = AF_INET;
			memcpy(&a->sin_addr, c, 4);
			memcpy(&a->sin_port, c + 4, 2);
			len = sizeof(*a);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			a->sin6_family = AF_INET6;
			memcpy(&a->sin6_addr, c, 16);
			memcpy(&a->sin6_port, c + 16, 2);
			len = sizeof(*a);
		}
		w->fam[af == AF_INET6].found++;
		w->peers++;
		w->fn(w->arg, (struct sockaddr *)&ss, len);
	}
	if (!is_done)
		return;
	struct watch_fam *f = &w->fam[af == AF_INET6];
	if (f->search_id != search_id)
		return;
	f->search_id = 0;
	/* Peers found in either family count: the other family's last round
	 * may have found the swarm. A family with no node at all looks again
	 * soon, but only once its table has nodes (start_due). */
	unsigned found = w->fam[0].found + w->fam[1].found;
	/* A seed wants no peers, only its announce: no sooner retry for it
	 * when the swarm is empty, or a seeder of many torrents would ask the
	 * same nodes every TL_SDHT_RETRY_MS for each of them. */
	if (found == 0 && w->is_seed)
		found = 1;
	uint32_t delay = tl_sdht_next_delay(f->is_no_nodes ? 0 : found, w->d->announce_ms,
	    randombytes_random());
	f->next_ms = now_ms() + delay;
	tl_debug("dht: IPv%c lookup done, %s%u peers, next in %u s", af == AF_INET6 ? '6' : '4',
	    f->is_no_nodes ? "no node to ask, " : "", f->found, delay / 1000);
}

/* Start the lookup of family i of w. */
static void start_lookup(struct tl_sdht_watch *w, int i)
{
	struct tl_sdht *d = w->d;
	struct watch_fam *f = &w->fam[i];
	f->found = 0;
	f->is_no_nodes = false;
	w->lookups++;
	/* A failed start (too many searches) is retried at the next round. */
	f->next_ms = now_ms() + tl_sdht_next_delay(0, d->announce_ms, randombytes_random());
	uint32_t id = 0;
	struct dht_id target;
	memcpy(target.b, w->ih.b, sizeof(target.b));
	int rc = dht_search(dht_ev_dht(d->ev), &target, families[i], w->announce_port, w->is_seed,
	    peers_cb, w, dht_ev_now(d->ev), &id);
	if (rc == DHT_OK)
		f->search_id = f->last_search_id = id;
	else
		tl_debug("dht: lookup not started: %s", dht_strerror((enum dht_err)rc));
	dht_ev_kick(d->ev);
}

/* Start the lookups that are due, as many as the tick's budget allows.
 * A family whose last lookup had no node to ask waits, outside the
 * budget, until its table has one (an IPv6 socket on a host without
 * IPv6 routes, IPv4-only bootstrap nodes). */
static void start_due(struct tl_sdht *d)
{
	uint64_t now = now_ms();
	struct dht_stats st;
	bool has_st = false;
	for (struct tl_sdht_watch *w = d->watches; w && d->budget > 0; w = w->next)
		for (int i = 0; i < 2 && d->budget > 0; i++) {
			struct watch_fam *f = &w->fam[i];
			if (!dht_ev_port(d->ev, families[i]) || f->search_id || now < f->next_ms)
				continue;
			if (f->is_no_nodes && !has_st) {
				dht_get_stats(dht_ev_dht(d->ev), &st);
				has_st = true;
			}
			if (f->is_no_nodes && st.nodes_good[i] + st.nodes_dubious[i] == 0) {
				f->next_ms = now + tl_sdht_next_delay(0, d->announce_ms, randombytes_random());
				continue;
			}
			start_lookup(w, i);
			d->budget--;
		}
}

static void pace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_sdht *d = arg;
	d->budget = TL_SDHT_STARTS_PER_TICK;
	start_due(d);
}

static void now_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	start_due(arg);
}

struct tl_sdht *tl_sdht_new(struct event_base *base, struct tl_udp *udp, const struct tl_sdht_opts *o,
    const char **why_out)
{
	struct tl_sdht *d = tl_calloc(1, sizeof(*d));
	d->udp = udp; /* before dht_ev_new: it may send at once */
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	bool is_lo = tl_sdht_config_bind(&c, o->bind);
	c.dht.allow_same_subnet |= o->is_same_subnet;
	/* the families the port has, on its port number (one for both) */
	c.dht.family_mask = (tl_udp_has_family(udp, AF_INET) ? DHT_F_INET : 0) |
	    (tl_udp_has_family(udp, AF_INET6) ? DHT_F_INET6 : 0);
	c.dht.send = send_hook;
	c.dht.sha1 = sha1_hook;
	c.dht.event = log_hook;
	c.dht.ud = d;
	c.port = tl_udp_has_family(udp, AF_INET) ? tl_udp_port(udp, AF_INET) : tl_udp_port(udp, AF_INET6);
	c.bootstrap = o->bootstrap;
	c.n_bootstrap = o->nbootstrap;
	/* A loopback-bound node cannot reach the public routers anyway (and
	 * tests must never try). */
	c.no_default_routers = o->nbootstrap > 0 || is_lo || o->is_no_bootstrap;
	c.state_path = o->state_path;
	enum dht_err err = DHT_OK;
	struct dht_ev *ev = dht_ev_new(base, &c, &err);
	if (!ev) {
		*why_out = err == DHT_EINVAL ? "bad --bootstrap or --bind address for the DHT"
		                             : "cannot start the DHT";
		free(d);
		return NULL;
	}
	d->base = base;
	d->ev = ev;
	tl_udp_set_consumer(udp, TL_UDP_DHT, input_cb, d);
	d->announce_ms = o->announce_ms ? o->announce_ms : TL_SDHT_ANNOUNCE_MS;
	d->pace_ev = event_new(base, -1, EV_PERSIST, pace_cb, d);
	d->now_ev = event_new(base, -1, 0, now_cb, d);
	d->budget = TL_SDHT_STARTS_PER_TICK;
	if (o->bind && inet_pton(AF_INET, o->bind, d->self_ip) == 1)
		d->self_af = AF_INET;
	else if (o->bind && inet_pton(AF_INET6, o->bind, d->self_ip) == 1)
		d->self_af = AF_INET6;
	struct timeval tv = { 0, TL_SDHT_TICK_MS * 1000 };
	event_add(d->pace_ev, &tv);
	return d;
}

void tl_sdht_free(struct tl_sdht *d)
{
	if (!d)
		return;
	while (d->watches)
		tl_sdht_unwatch(d->watches);
	event_free(d->pace_ev);
	event_free(d->now_ev);
	tl_udp_set_consumer(d->udp, TL_UDP_DHT, NULL, NULL);
	dht_ev_free(d->ev);
	free(d);
}

uint16_t tl_sdht_port(const struct tl_sdht *d)
{
	uint16_t p = dht_ev_port(d->ev, AF_INET);
	return p ? p : dht_ev_port(d->ev, AF_INET6);
}

size_t tl_sdht_good_nodes(const struct tl_sdht *d)
{
	struct dht_stats st;
	dht_get_stats(dht_ev_dht(d->ev), &st);
	return st.nodes_good[0] + st.nodes_good[1];
}

void tl_sdht_add_node(struct tl_sdht *d, const struct sockaddr *sa, socklen_t len)
{
	if (!dht_ev_port(d->ev, sa->sa_family))
		return;
	dht_add_node(dht_ev_dht(d->ev), sa, len, dht_ev_now(d->ev));
	dht_ev_kick(d->ev);
}

struct tl_sdht_watch *tl_sdht_watch(struct tl_sdht *d, const struct tl_infohash *ih, uint16_t announce_port,
    bool is_seed, tl_sdht_peer_fn fn, void *arg)
{
	struct tl_sdht_watch *w = tl_calloc(1, sizeof(*w));
	w->d = d;
	w->ih = *ih;
	w->announce_port = announce_port;
	w->is_seed = is_seed;
	w->fn = fn;
	w->arg = arg;
	w->next = d->watches; /* both families due now (next_ms 0) */
	d->watches = w;
	/* From the loop, not from here: the caller may not be ready for
	 * peers yet (they can come from the very first reply). */
	event_active(d->now_ev, EV_TIMEOUT, 0);
	return w;
}

void tl_sdht_unwatch(struct tl_sdht_watch *w)
{
	if (!w)
		return;
	struct tl_sdht *d = w->d;
	for (int i = 0; i < 2; i++)
		if (w->fam[i].search_id)
			dht_search_cancel(dht_ev_dht(d->ev), w->fam[i].search_id);
	for (struct tl_sdht_watch **pp = &d->watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	free(w);
}

void tl_sdht_watch_now(struct tl_sdht_watch *w)
{
	for (int i = 0; i < 2; i++)
		if (!w->fam[i].search_id)
			w->fam[i].next_ms = 0;
	event_active(w->d->now_ev, EV_TIMEOUT, 0);
}

void tl_sdht_watch_stats(const struct tl_sdht_watch *w, struct tl_sdht_watch_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->lookups = w->lookups;
	out->peers = w->peers;
	for (int i = 0; i < 2; i++) {
		out->fam[i].has_announce = w->fam[i].has_announce;
		out->fam[i].stored = w->fam[i].stored;
		out->fam[i].announce_ms = w->fam[i].announce_ms;
		out->fam[i].is_no_nodes = w->fam[i].is_no_nodes;
	}
}
