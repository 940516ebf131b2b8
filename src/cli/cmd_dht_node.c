/*
 * cmd_dht_node.c: the `trackless dht` commands that run a node (BEP 5/32):
 *   get-peers INFOHASH          an iterative lookup, prints peers
 *   announce INFOHASH PORT      a lookup, then announce_peer to the closest;
 *                               waits for their answers (how many stored it)
 *   stats                       runs a node for --duration s, prints counters
 *   node                        runs a node until SIGINT/SIGTERM
 * Each runs a libdht instance under its libevent adapter (dht/dht_event.h)
 * on an event_base of its own, both owned for the call; get-peers and
 * announce run it read-only (BEP 43), being gone within seconds. Main
 * thread only.
 */
#include "cli/cmd_dht_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>
#include <sodium.h>

#include "engine/session_dht.h"
#include "dht/dht.h"
#include "dht/dht_event.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/log.h"

/* What the search of one family came to (get-peers, announce). */
struct fam_result {
	bool is_started, is_done;
	bool is_no_nodes;        /* DHT_EV_NO_NODES: its table stayed empty */
	size_t announced;        /* DHT_EV_ANNOUNCED: nodes sent announce_peer */
	bool has_stored;         /* DHT_EV_ANNOUNCE_DONE came: they all answered */
	size_t stored;           /* ... and this many of them stored it */
};

struct run {
	const struct tl_cmd_dht_opts *o;
	struct event_base *base;
	struct dht_ev *ev;
	struct fam_result fam[2]; /* IPv4, IPv6 */
	size_t npeers;
	bool is_start_failed; /* a search did not start: nothing to report */
	bool is_timed_out;
	struct event *ready_timer;
	double t0;
	char state_path[4096];
	/* peers seen, to print each once across families and replies */
	uint8_t (*seen)[18];
	size_t nseen, capseen;
};

/* Ends the run once every family's search is done and, for an announce
 * that went out, every node it went to answered or timed out. */
static void stop_if_finished(struct run *r)
{
	for (int i = 0; i < 2; i++) {
		const struct fam_result *f = &r->fam[i];
		if (f->is_started && (!f->is_done || (f->announced && !f->has_stored)))
			return;
	}
	event_base_loopbreak(r->base);
}

static void log_hook(void *ud, const struct dht_event *e)
{
	struct run *r = ud;
	if (e->type == DHT_EV_ANNOUNCED) {
		r->fam[e->af == AF_INET6].announced = e->count;
	} else if (e->type == DHT_EV_ANNOUNCE_DONE) {
		r->fam[e->af == AF_INET6].has_stored = true;
		r->fam[e->af == AF_INET6].stored = e->count;
		stop_if_finished(r);
	} else if (e->type == DHT_EV_NO_NODES) {
		r->fam[e->af == AF_INET6].is_no_nodes = true;
	} else if (e->type == DHT_EV_LOG) {
		if (e->level >= DHT_LOG_WARN)
			tl_warn("%s", e->msg);
		else if (r->o->is_verbose)
			tl_info("%s", e->msg);
	} else if (e->type == DHT_EV_EXTERNAL_IP && e->addr) {
		char a[80];
		tl_cmd_dht_format_addr(e->addr, a, sizeof(a));
		tl_info("dht: external address %s", a);
	}
}

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

static bool is_new_peer(struct run *r, const uint8_t *p, size_t len)
{
	uint8_t key[18] = { 0 };
	memcpy(key, p, len);
	for (size_t i = 0; i < r->nseen; i++)
		if (memcmp(r->seen[i], key, sizeof(key)) == 0)
			return false;
	if (r->nseen == r->capseen) {
		size_t ncap = r->capseen ? r->capseen * 2 : 64;
		uint8_t (*nv)[18] = realloc(r->seen, ncap * sizeof(*nv));
		if (!nv)
			return true;
		r->seen = nv;
		r->capseen = ncap;
	}
	memcpy(r->seen[r->nseen++], key, sizeof(key));
	return true;
}

static void print_peer(struct run *r, int af, const uint8_t *p)
{
	char ip[INET6_ADDRSTRLEN];
	size_t alen = af == AF_INET ? 4 : 16;
	inet_ntop(af, p, ip, sizeof(ip));
	unsigned port = (unsigned)p[alen] << 8 | p[alen + 1];
	if (r->o->is_json)
		printf("%s\"%s%s%s:%u\"", r->npeers ? "," : "", af == AF_INET6 ? "[" : "", ip,
		    af == AF_INET6 ? "]" : "", port);
	else
		printf("peer %s%s%s:%u\n", af == AF_INET6 ? "[" : "", ip, af == AF_INET6 ? "]" : "", port);
	fflush(stdout);
	r->npeers++;
}

static void peers_cb(void *ud, uint32_t search_id, const struct dht_id *infohash, int af,
    const uint8_t *peers, size_t npeers, bool is_done)
{
	(void)search_id, (void)infohash;
	struct run *r = ud;
	size_t plen = af == AF_INET ? 6 : 18;
	for (size_t i = 0; i < npeers; i++)
		if (is_new_peer(r, peers + i * plen, plen))
			print_peer(r, af, peers + i * plen);
	if (!is_done)
		return;
	r->fam[af == AF_INET6].is_done = true;
	stop_if_finished(r);
}

static void timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct run *r = arg;
	r->is_timed_out = true;
	event_base_loopbreak(r->base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct run *r = arg;
	tl_info("dht: signal %d, stopping", (int)sig);
	event_base_loopbreak(r->base);
}

static int make_state_path(struct run *r)
{
	const char *dir = r->o->state_dir;
	if (!dir)
		return 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "trackless dht: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int n = snprintf(r->state_path, sizeof(r->state_path), "%s/%s", dir, TL_CMD_DHT_STATE_FILE);
	if (n < 0 || (size_t)n >= sizeof(r->state_path)) {
		fprintf(stderr, "trackless dht: --state-dir too long\n");
		return -1;
	}
	return 0;
}

static int start_node(struct run *r)
{
	const struct tl_cmd_dht_opts *o = r->o;
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	tl_sdht_config_bind(&c, o->bind);
	c.dht.allow_same_subnet |= o->is_same_subnet;
	c.dht.max_infohashes = o->max_infohashes;
	c.dht.sha1 = sha1_hook;
	c.dht.event = log_hook;
	c.dht.ud = r;
	/* A one-shot lookup is gone in seconds: it asks, but joins read-only
	 * (BEP 43) so that no node keeps it in its routing table. */
	c.dht.is_read_only = o->cmd == TL_CMD_DHT_GET_PEERS || o->cmd == TL_CMD_DHT_ANNOUNCE;
	c.port = o->port;
	c.bootstrap = o->bootstrap;
	c.n_bootstrap = o->n_bootstrap;
	c.no_default_routers = o->is_no_bootstrap;
	c.state_path = r->state_path[0] ? r->state_path : NULL;
	enum dht_err err;
	r->ev = dht_ev_new(r->base, &c, &err);
	if (!r->ev) {
		fprintf(stderr, "trackless dht: cannot start a DHT node: %s\n", dht_strerror(err));
		return -1;
	}
	return 0;
}

static void print_stats(const struct run *r, double elapsed)
{
	struct dht_stats st;
	struct dht *d = dht_ev_dht(r->ev);
	dht_get_stats(d, &st);
	char id4[41] = "", id6[41] = "";
	if (dht_ev_port(r->ev, AF_INET))
		dht_id_hex(dht_my_id(d, AF_INET), id4);
	if (dht_ev_port(r->ev, AF_INET6))
		dht_id_hex(dht_my_id(d, AF_INET6), id6);
	if (r->o->is_json) {
		printf("{\"elapsed_s\":%.1f,\"id4\":\"%s\",\"id6\":\"%s\",\"port4\":%u,\"port6\":%u,"
		       "\"nodes_good\":[%zu,%zu],\"nodes_dubious\":[%zu,%zu],\"buckets\":[%zu,%zu],"
		       "\"packets_in\":%llu,\"packets_out\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
		       "\"queries_in\":[%llu,%llu,%llu,%llu,%llu],\"replies_in\":%llu,"
		       "\"queries_out\":%llu,\"timeouts\":%llu,\"infohashes\":%zu,\"peers\":%zu,"
		       "\"drop_malformed\":%llu,\"drop_rate_limited\":%llu}\n",
		    elapsed, id4, id6, dht_ev_port(r->ev, AF_INET), dht_ev_port(r->ev, AF_INET6),
		    st.nodes_good[0], st.nodes_good[1], st.nodes_dubious[0], st.nodes_dubious[1],
		    st.buckets[0], st.buckets[1], (unsigned long long)st.packets_in,
		    (unsigned long long)st.packets_out, (unsigned long long)st.bytes_in,
		    (unsigned long long)st.bytes_out, (unsigned long long)st.queries_in[0],
		    (unsigned long long)st.queries_in[1], (unsigned long long)st.queries_in[2],
		    (unsigned long long)st.queries_in[3], (unsigned long long)st.queries_in[4],
		    (unsigned long long)st.replies_in, (unsigned long long)st.queries_out,
		    (unsigned long long)st.timeouts, st.infohashes, st.peers,
		    (unsigned long long)st.drop_malformed, (unsigned long long)st.drop_rate_limited);
		return;
	}
	printf("ran %.1f s\n", elapsed);
	if (id4[0])
		printf("IPv4: id %s, port %u, %zu good + %zu dubious nodes in %zu buckets\n", id4,
		    dht_ev_port(r->ev, AF_INET), st.nodes_good[0], st.nodes_dubious[0], st.buckets[0]);
	if (id6[0])
		printf("IPv6: id %s, port %u, %zu good + %zu dubious nodes in %zu buckets\n", id6,
		    dht_ev_port(r->ev, AF_INET6), st.nodes_good[1], st.nodes_dubious[1], st.buckets[1]);
	printf("packets: %llu in (%llu B), %llu out (%llu B)\n", (unsigned long long)st.packets_in,
	    (unsigned long long)st.bytes_in, (unsigned long long)st.packets_out,
	    (unsigned long long)st.bytes_out);
	printf("queries in: ping %llu, find_node %llu, get_peers %llu, announce_peer %llu, other %llu\n",
	    (unsigned long long)st.queries_in[0], (unsigned long long)st.queries_in[1],
	    (unsigned long long)st.queries_in[2], (unsigned long long)st.queries_in[3],
	    (unsigned long long)st.queries_in[4]);
	printf("queries out: %llu, replies in %llu, timeouts %llu\n", (unsigned long long)st.queries_out,
	    (unsigned long long)st.replies_in, (unsigned long long)st.timeouts);
	printf("storage: %zu infohashes, %zu peers\n", st.infohashes, st.peers);
	printf("dropped: %llu malformed, %llu rate-limited, %llu unexpected\n",
	    (unsigned long long)st.drop_malformed, (unsigned long long)st.drop_rate_limited,
	    (unsigned long long)st.drop_unexpected);
}

static int start_searches(struct run *r)
{
	const struct tl_cmd_dht_opts *o = r->o;
	struct dht *d = dht_ev_dht(r->ev);
	static const int fams[] = { AF_INET, AF_INET6 };
	for (size_t i = 0; i < 2; i++) {
		if (!dht_ev_port(r->ev, fams[i]))
			continue;
		uint16_t port = o->cmd == TL_CMD_DHT_ANNOUNCE ? o->announce_port : 0;
		int rc = dht_search(d, &o->infohash, fams[i], port, false, peers_cb, r, dht_ev_now(r->ev), NULL);
		if (rc != DHT_OK) {
			fprintf(stderr, "trackless dht: search: %s\n", dht_strerror(rc));
			return -1;
		}
		r->fam[i].is_started = true;
	}
	dht_ev_kick(r->ev);
	return 0;
}

/* A one-shot lookup first lets the node join: seeded from a table of one
 * bootstrap node it would see only that node's corner of the id space.
 * Searches start once a table is ready (8 good nodes) or after
 * JOIN_WAIT_S, whichever comes first. */
#define JOIN_WAIT_S 3.0

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct run *r = arg;
	struct dht *d = dht_ev_dht(r->ev);
	bool is_ready = (dht_ev_port(r->ev, AF_INET) && dht_is_ready(d, AF_INET)) ||
	    (dht_ev_port(r->ev, AF_INET6) && dht_is_ready(d, AF_INET6));
	double waited = tl_cmd_dht_now_s() - r->t0;
	if (!is_ready && waited < JOIN_WAIT_S && waited < r->o->timeout_s / 2)
		return;
	event_del(r->ready_timer);
	if (start_searches(r) != 0) {
		r->is_start_failed = true;
		event_base_loopbreak(r->base);
	}
}

/* What the search of one family came to, as a JSON string value: "off"
 * (no socket of that family), "no_nodes" (its table stayed empty),
 * "timeout" (cut off by --timeout), "announced" (to f->announced nodes,
 * f->stored of which stored it once they all answered),
 * "no_token" (an announce no node took) or "done". */
static const char *fam_state(const struct run *r, const struct fam_result *f)
{
	if (!f->is_started)
		return "off";
	if (f->is_no_nodes)
		return "no_nodes";
	if (!f->is_done)
		return "timeout";
	if (r->o->cmd != TL_CMD_DHT_ANNOUNCE)
		return "done";
	return f->announced ? "announced" : "no_token";
}

/* The same for people: "IPv4: 3 nodes, 2 stored; IPv6: no node to ask". */
static void fam_text(const struct run *r, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < 2 && n < cap; i++) {
		const struct fam_result *f = &r->fam[i];
		if (!f->is_started)
			continue;
		const char *st = fam_state(r, f);
		char what[48];
		if (strcmp(st, "announced") == 0 && f->has_stored)
			snprintf(what, sizeof(what), "%zu node%s, %zu stored", f->announced,
			    f->announced == 1 ? "" : "s", f->stored);
		else if (strcmp(st, "announced") == 0)
			snprintf(what, sizeof(what), "%zu node%s", f->announced, f->announced == 1 ? "" : "s");
		else
			snprintf(what, sizeof(what), "%s",
			    strcmp(st, "no_nodes") == 0 ? "no node to ask" :
			    strcmp(st, "timeout") == 0 ? "cut off by --timeout" :
			    strcmp(st, "no_token") == 0 ? "no node gave a token" : "done");
		int k = snprintf(out + n, cap - n, "%sIPv%c: %s", n ? "; " : "", i ? '6' : '4', what);
		n = k < 0 ? cap : n + (size_t)k;
	}
}

static int finish_search(struct run *r, double elapsed)
{
	const struct tl_cmd_dht_opts *o = r->o;
	char hex[41], fams[128];
	tl_hex(o->infohash.b, 20, hex);
	if (r->is_start_failed) {
		if (o->is_json)
			printf("],\"infohash\":\"%s\",\"complete\":false,"
			       "\"error\":\"the search did not start\"}\n", hex);
		return TL_EXIT_FAIL;
	}
	/* An announce succeeded when one family's closest nodes took it: on
	 * a host (or with bootstrap nodes) of one family the other has no
	 * node to ask. */
	bool ok = o->cmd == TL_CMD_DHT_ANNOUNCE ? r->fam[0].announced + r->fam[1].announced > 0 :
					   r->npeers > 0;
	fam_text(r, fams, sizeof(fams));
	if (o->is_json) {
		printf("],\"infohash\":\"%s\",\"elapsed_ms\":%.0f,\"complete\":%s", hex, elapsed * 1000,
		    r->is_timed_out ? "false" : "true");
		if (o->cmd == TL_CMD_DHT_ANNOUNCE)
			printf(",\"announced_port\":%u", o->announce_port);
		printf(",\"families\":{");
		for (int i = 0; i < 2; i++) {
			printf("%s\"ipv%c\":{\"state\":\"%s\"", i ? "," : "", i ? '6' : '4',
			    fam_state(r, &r->fam[i]));
			if (o->cmd == TL_CMD_DHT_ANNOUNCE && r->fam[i].is_done && !r->fam[i].is_no_nodes)
				printf(",\"nodes\":%zu", r->fam[i].announced);
			if (o->cmd == TL_CMD_DHT_ANNOUNCE && r->fam[i].has_stored)
				printf(",\"stored\":%zu", r->fam[i].stored);
			printf("}");
		}
		printf("}}\n");
	} else if (o->cmd == TL_CMD_DHT_ANNOUNCE) {
		if (ok)
			printf("announced %s port %u in %.1f s (%s)\n", hex, o->announce_port, elapsed, fams);
		else if (r->is_timed_out)
			printf("announce of %s did not complete within %.1f s (%s)\n", hex, o->timeout_s, fams);
		else
			printf("announce of %s failed after %.1f s (%s)\n", hex, elapsed, fams);
	} else if (r->npeers > 0) {
		printf("found %zu peer(s) for %s in %.1f s%s\n", r->npeers, hex, elapsed,
		    r->is_timed_out ? " (lookup cut off by --timeout)" : "");
	} else {
		printf("no peers for %s %s %.1f s\n", hex, r->is_timed_out ? "within" : "after", elapsed);
	}
	return ok ? TL_EXIT_OK : TL_EXIT_FAIL;
}

int tl_cmd_dht_node(const struct tl_cmd_dht_opts *o)
{
	struct run r = { .o = o, .t0 = tl_cmd_dht_now_s() };
	int rc = TL_EXIT_FAIL;
	struct event *timer = NULL, *sigint = NULL, *sigterm = NULL;
	if (make_state_path(&r) != 0)
		return TL_EXIT_USAGE;
	if (sodium_init() < 0)
		return TL_EXIT_FAIL;
	r.base = event_base_new();
	if (!r.base || start_node(&r) != 0)
		goto out;
	sigint = evsignal_new(r.base, SIGINT, signal_cb, &r);
	sigterm = evsignal_new(r.base, SIGTERM, signal_cb, &r);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) != 0 || evsignal_add(sigterm, NULL) != 0)
		goto out;
	double limit = o->cmd == TL_CMD_DHT_STATS ? o->duration_s : o->timeout_s;
	if (o->cmd != TL_CMD_DHT_NODE) {
		timer = evtimer_new(r.base, timeout_cb, &r);
		struct timeval tv = { .tv_sec = (time_t)limit,
			.tv_usec = (suseconds_t)((limit - (double)(time_t)limit) * 1e6) };
		if (!timer || evtimer_add(timer, &tv) != 0)
			goto out;
	}
	if (o->cmd == TL_CMD_DHT_NODE) {
		printf("dht node: IPv4 port %u, IPv6 port %u\n", dht_ev_port(r.ev, AF_INET),
		    dht_ev_port(r.ev, AF_INET6));
		fflush(stdout);
	}
	if (o->cmd == TL_CMD_DHT_GET_PEERS || o->cmd == TL_CMD_DHT_ANNOUNCE) {
		if (o->is_json)
			printf("{\"peers\":[");
		struct timeval tick = { 0, 100000 };
		r.ready_timer = event_new(r.base, -1, EV_PERSIST, ready_cb, &r);
		if (!r.ready_timer || event_add(r.ready_timer, &tick) != 0)
			goto out;
	}
	event_base_dispatch(r.base);
	double elapsed = tl_cmd_dht_now_s() - r.t0;
	if (o->cmd == TL_CMD_DHT_GET_PEERS || o->cmd == TL_CMD_DHT_ANNOUNCE)
		rc = finish_search(&r, elapsed);
	else {
		print_stats(&r, elapsed);
		rc = TL_EXIT_OK;
	}
out:
	if (timer)
		event_free(timer);
	if (r.ready_timer)
		event_free(r.ready_timer);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	dht_ev_free(r.ev);
	if (r.base)
		event_base_free(r.base);
	free(r.seen);
	return rc;
}
