/*
 * node_stats.c: trackless-node's counters as a log line every minute and
 * as Prometheus text on GET /metrics (evhttp, --stats-addr).
 *
 * Per-thread counters are summed with relaxed loads: a scrape may be a few
 * packets behind, never torn. Pool figures come from dht_pool_get_stats(),
 * full-mode figures from dht_get_stats(). The HTTP server runs on the main
 * thread's event_base, answers only GET /metrics, and has small header
 * and body caps and a timeout.
 */
#include "dht/node.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "dht/dht_event.h"

/* Prometheus name and label of each counter (node.h enum node_ctr). */
static const struct {
	const char *metric;
	const char *label;
} ctr_names[NODE_NCTR] = {
	[C_Q_PING] = { "queries_total", "type=\"ping\"" },
	[C_Q_FIND_NODE] = { "queries_total", "type=\"find_node\"" },
	[C_Q_GET_PEERS] = { "queries_total", "type=\"get_peers\"" },
	[C_Q_ANNOUNCE] = { "queries_total", "type=\"announce_peer\"" },
	[C_Q_OTHER] = { "queries_total", "type=\"other\"" },
	[C_PACKETS_IN] = { "packets_in_total", NULL },
	[C_BYTES_IN] = { "bytes_in_total", NULL },
	[C_PACKETS_OUT] = { "packets_out_total", NULL },
	[C_BYTES_OUT] = { "bytes_out_total", NULL },
	[C_REPLIES_OUT] = { "replies_out_total", NULL },
	[C_ERRORS_OUT] = { "errors_out_total", NULL },
	[C_SHORT_ANSWERS] = { "repeat_askers_total", NULL },
	[C_REPLIES_IN] = { "replies_in_total", NULL },
	[C_ERRORS_IN] = { "errors_in_total", NULL },
	[C_PINGS_OUT] = { "pings_out_total", NULL },
	[C_CRAWLS_OUT] = { "crawls_out_total", NULL },
	[C_COOKIES_OK] = { "cookie_replies_total", NULL },
	[C_RO_SEEN] = { "read_only_queries_total", NULL },
	[C_DROP_MALFORMED] = { "drops_total", "reason=\"malformed\"" },
	[C_DROP_MARTIAN] = { "drops_total", "reason=\"martian\"" },
	[C_DROP_RATE_LIMITED] = { "drops_total", "reason=\"rate_limited\"" },
	[C_DROP_BANNED] = { "drops_total", "reason=\"banned\"" },
	[C_DROP_BUDGET] = { "drops_total", "reason=\"reply_budget\"" },
	[C_DROP_BAD_COOKIE] = { "drops_total", "reason=\"bad_cookie\"" },
	[C_DROP_SEND_FAILED] = { "drops_total", "reason=\"send_failed\"" },
};

static struct evhttp *http;

uint64_t node_total(struct node *n, enum node_ctr c)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n->nthreads; i++)
		s += atomic_load_explicit(&n->t[i].c[c], memory_order_relaxed);
	return s;
}

uint64_t node_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

void node_stats_log(struct node *n)
{
	if (n->o.mode == NODE_MODE_FULL) {
		struct dht_stats s;
		dht_get_stats(dht_ev_dht(n->ev), &s);
		node_log(n, NODE_LOG_INFO,
		    "stats: in %llu out %llu good v4 %zu v6 %zu peers %zu malformed %llu limited %llu rss %llu KiB",
		    (unsigned long long)s.packets_in, (unsigned long long)s.packets_out,
		    s.nodes_good[0], s.nodes_good[1], s.peers, (unsigned long long)s.drop_malformed,
		    (unsigned long long)s.drop_rate_limited,
		    (unsigned long long)(node_rss_bytes() >> 10));
		return;
	}
	struct dht_pool_stats p;
	dht_pool_get_stats(n->pool, &p);
	uint64_t q = 0, drops = 0;
	for (int c = C_Q_PING; c <= C_Q_OTHER; c++)
		q += node_total(n, (enum node_ctr)c);
	for (int c = C_FIRST_DROP; c < NODE_NCTR; c++)
		drops += node_total(n, (enum node_ctr)c);
	uint64_t pings = node_total(n, C_PINGS_OUT) + node_total(n, C_CRAWLS_OUT);
	uint64_t ok = node_total(n, C_COOKIES_OK);
	uint64_t dp = pings - n->last_pings_out, dk = ok - n->last_cookies_ok;
	n->last_pings_out = pings;
	n->last_cookies_ok = ok;
	node_log(n, NODE_LOG_INFO,
	    "stats: queries %llu drops %llu pool v4 %zu+%zu v6 %zu+%zu (verified+pending) "
	    "pings %llu answered %llu (%.0f%%) turnover %llu rss %llu KiB",
	    (unsigned long long)q, (unsigned long long)drops, p.verified[0], p.unverified[0],
	    p.verified[1], p.unverified[1], (unsigned long long)dp, (unsigned long long)dk,
	    dp ? 100.0 * (double)dk / (double)dp : 0.0,
	    (unsigned long long)(p.evicted[0] + p.evicted[1] + p.expired[0] + p.expired[1]),
	    (unsigned long long)(node_rss_bytes() >> 10));
}

static void put_metric(struct evbuffer *b, const char *name, const char *label, uint64_t v)
{
	if (label)
		evbuffer_add_printf(b, "trackless_node_%s{%s} %llu\n", name, label,
		    (unsigned long long)v);
	else
		evbuffer_add_printf(b, "trackless_node_%s %llu\n", name, (unsigned long long)v);
}

static void metrics_router(struct node *n, struct evbuffer *b)
{
	const char *last = NULL;
	for (int c = 0; c < NODE_NCTR; c++) {
		if (!last || strcmp(last, ctr_names[c].metric) != 0)
			evbuffer_add_printf(b, "# TYPE trackless_node_%s counter\n", ctr_names[c].metric);
		last = ctr_names[c].metric;
		put_metric(b, ctr_names[c].metric, ctr_names[c].label, node_total(n, (enum node_ctr)c));
	}
	struct dht_pool_stats p;
	dht_pool_get_stats(n->pool, &p);
	static const char *const fam[2] = { "family=\"v4\"", "family=\"v6\"" };
	evbuffer_add_printf(b, "# TYPE trackless_node_pool_nodes gauge\n");
	for (int i = 0; i < 2; i++)
		put_metric(b, "pool_nodes", fam[i], p.verified[i]);
	evbuffer_add_printf(b, "# TYPE trackless_node_pool_pending gauge\n");
	for (int i = 0; i < 2; i++)
		put_metric(b, "pool_pending", fam[i], p.unverified[i]);
	evbuffer_add_printf(b, "# TYPE trackless_node_pool_capacity gauge\n");
	for (int i = 0; i < 2; i++)
		put_metric(b, "pool_capacity", fam[i], p.capacity[i]);
	static const char *const what[4] = { "added", "confirmed", "evicted", "expired" };
	evbuffer_add_printf(b, "# TYPE trackless_node_pool_changes_total counter\n");
	for (int i = 0; i < 2; i++) {
		uint64_t v[4] = { p.added[i], p.confirmed[i], p.evicted[i], p.expired[i] };
		for (int k = 0; k < 4; k++) {
			char label[64];
			snprintf(label, sizeof(label), "%s,change=\"%s\"", fam[i], what[k]);
			put_metric(b, "pool_changes_total", label, v[k]);
		}
	}
	evbuffer_add_printf(b, "# TYPE trackless_node_pool_refused_total counter\n");
	put_metric(b, "pool_refused_total", "reason=\"bep42\"", p.refused_bep42);
	put_metric(b, "pool_refused_total", "reason=\"full\"", p.full[0] + p.full[1]);
}

static void metrics_full(struct node *n, struct evbuffer *b)
{
	struct dht_stats s;
	dht_get_stats(dht_ev_dht(n->ev), &s);
	static const char *const q[5] = { "ping", "find_node", "get_peers", "announce_peer",
		"other" };
	evbuffer_add_printf(b, "# TYPE trackless_node_queries_total counter\n");
	for (int i = 0; i < 5; i++) {
		char label[32];
		snprintf(label, sizeof(label), "type=\"%s\"", q[i]);
		put_metric(b, "queries_total", label, s.queries_in[i]);
	}
	put_metric(b, "packets_in_total", NULL, s.packets_in);
	put_metric(b, "packets_out_total", NULL, s.packets_out);
	put_metric(b, "bytes_in_total", NULL, s.bytes_in);
	put_metric(b, "bytes_out_total", NULL, s.bytes_out);
	evbuffer_add_printf(b, "# TYPE trackless_node_drops_total counter\n");
	put_metric(b, "drops_total", "reason=\"malformed\"", s.drop_malformed);
	put_metric(b, "drops_total", "reason=\"rate_limited\"", s.drop_rate_limited);
	put_metric(b, "drops_total", "reason=\"blacklisted\"", s.drop_blacklisted);
	put_metric(b, "drops_total", "reason=\"unexpected\"", s.drop_unexpected);
	put_metric(b, "drops_total", "reason=\"martian\"", s.drop_martian);
	put_metric(b, "table_nodes", "family=\"v4\"", s.nodes_good[0]);
	put_metric(b, "table_nodes", "family=\"v6\"", s.nodes_good[1]);
	put_metric(b, "stored_infohashes", NULL, s.infohashes);
	put_metric(b, "stored_peers", NULL, s.peers);
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct node *n = arg;
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, "Internal Error");
		return;
	}
	if (n->o.mode == NODE_MODE_FULL)
		metrics_full(n, b);
	else
		metrics_router(n, b);
	evbuffer_add_printf(b, "# TYPE trackless_node_threads gauge\n");
	put_metric(b, "threads", NULL, n->nthreads);
	evbuffer_add_printf(b, "# TYPE trackless_node_uptime_seconds gauge\n");
	put_metric(b, "uptime_seconds", NULL, (uint64_t)(node_now_ms() - n->start_ms) / 1000);
	evbuffer_add_printf(b, "# TYPE trackless_node_rss_bytes gauge\n");
	put_metric(b, "rss_bytes", NULL, node_rss_bytes());
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, 404, "Not Found");
}

int node_stats_listen(struct node *n, struct event_base *base)
{
	char host[64];
	const char *s = n->o.stats_addr, *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host)) {
		node_log(n, NODE_LOG_ERROR, "bad --stats-addr %s (want ADDR:PORT)", s);
		return -1;
	}
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[' && s[hl - 1] == ']') {
		memcpy(host, s + 1, hl - 2);
		host[hl - 2] = 0;
	} else {
		memcpy(host, s, hl);
		host[hl] = 0;
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535) {
		node_log(n, NODE_LOG_ERROR, "bad --stats-addr port in %s", s);
		return -1;
	}
	http = evhttp_new(base);
	if (!http)
		return -1;
	/* a scrape is one small request; anything bigger is not one */
	evhttp_set_max_headers_size(http, 8192);
	evhttp_set_max_body_size(http, 0);
	evhttp_set_timeout(http, 10);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET);
	evhttp_set_cb(http, "/metrics", metrics_cb, n);
	evhttp_set_gencb(http, other_cb, n);
	if (evhttp_bind_socket(http, host, (uint16_t)port) < 0) {
		node_log(n, NODE_LOG_ERROR, "cannot listen for stats on %s", s);
		evhttp_free(http);
		http = NULL;
		return -1;
	}
	return 0;
}

void node_stats_close(void)
{
	if (http)
		evhttp_free(http);
	http = NULL;
}
