/*
 * cmd_dht.c: `trackless dht`, diagnostics of the Mainline DHT (BEP 5/32):
 *   ping HOST:PORT              one KRPC ping, prints the node id and RTT
 *   get-peers INFOHASH          an iterative lookup, prints peers
 *   announce INFOHASH PORT      a lookup, then announce_peer to the closest
 *   stats                       runs a node for --duration s, prints counters
 *   node                        runs a node until SIGINT/SIGTERM
 * Everything except ping runs a libdht instance under its libevent adapter
 * (dht/dht_event.h) on one event_base; get-peers and announce run it
 * read-only (BEP 43), being gone within seconds. Exit codes: 0 something was found
 * or answered, 1 nothing within --timeout (or a run-time failure), 2 usage.
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "engine/session_dht.h"
#include "dht/benc.h"
#include "dht/dht.h"
#include "dht/dht_event.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/log.h"

#define DHT_CLI_MAX_BOOTSTRAP 16
#define DHT_CLI_STATE_FILE "dht.dat"

enum dht_cmd {
	CMD_PING,
	CMD_GET_PEERS,
	CMD_ANNOUNCE,
	CMD_STATS,
	CMD_NODE,
};

struct dht_opts {
	enum dht_cmd cmd;
	const char *bind;
	uint16_t port;
	const char *state_dir;
	bool is_json;
	bool is_verbose;
	double timeout_s;
	double duration_s;
	const char *bootstrap[DHT_CLI_MAX_BOOTSTRAP];
	size_t n_bootstrap;
	bool is_no_bootstrap;    /* never the built-in routers */
	bool is_same_subnet;     /* no one-node-per-/24 (/64) rule */
	const char *target;      /* ping: HOST:PORT */
	struct dht_id infohash;
	uint16_t announce_port;
	size_t max_infohashes; /* 0 = the library default */
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless dht ping HOST:PORT [options]\n"
	    "       trackless dht get-peers INFOHASH [options]\n"
	    "       trackless dht announce INFOHASH PORT [options]\n"
	    "       trackless dht stats [--duration SEC] [options]\n"
	    "       trackless dht node [options]\n"
	    "       trackless dht keygen|put|get|scrape|sample ... (BEP 44/33/51; put --help)\n"
	    "options:\n"
	    "  --bind ADDR          local IPv4 or IPv6 address (default: both families, any)\n"
	    "  --port PORT          local UDP port (default: chosen by the system)\n"
	    "  --bootstrap HOST:PORT  contact this node first (repeatable); replaces the\n"
	    "                       built-in routers\n"
	    "  --no-bootstrap       never contact the built-in routers (the first node of a\n"
	    "                       private or test DHT; saved nodes and --bootstrap still used)\n"
	    "  --dht-same-subnet    let nodes of one /24 (IPv6 /64) fill the routing table and\n"
	    "                       lookups (a DHT inside one LAN; on with a loopback --bind)\n"
	    "  --state-dir DIR      load and save the node state in DIR/" DHT_CLI_STATE_FILE "\n"
	    "  --timeout SEC        give up after SEC seconds (default 5 for ping, 30 otherwise)\n"
	    "  --duration SEC       how long `stats` runs (default 60)\n"
	    "  --max-infohashes N   how many infohashes the node stores (default 10000)\n"
	    "  --json               machine-readable output\n"
	    "  -v, --verbose        log what the DHT does on stderr\n"
	    "INFOHASH is 40 hex digits. Exit: 0 found/answered (announce: taken by the\n"
	    "closest nodes of either family), 1 nothing before the timeout, 2 usage error.\n");
}

/* A positive number (seconds, or a count). */
static bool parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400 * 365)
		return false;
	*out = v;
	return true;
}

static bool parse_port(const char *s, uint16_t *out, bool allow_zero)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 65535 || (v == 0 && !allow_zero))
		return false;
	*out = (uint16_t)v;
	return true;
}

static int parse_args(int argc, char **argv, struct dht_opts *o)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "no-bootstrap", no_argument, NULL, 'N' },
		{ "dht-same-subnet", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-infohashes", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		enum dht_cmd cmd;
		int nargs;
	} cmds[] = {
		{ "ping", CMD_PING, 1 }, { "get-peers", CMD_GET_PEERS, 1 },
		{ "announce", CMD_ANNOUNCE, 2 }, { "stats", CMD_STATS, 0 }, { "node", CMD_NODE, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->duration_s = 60;
	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 1;
	}
	int nargs = -1;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			o->cmd = cmds[i].cmd;
			nargs = cmds[i].nargs;
		}
	if (nargs < 0) {
		fprintf(stderr, "trackless dht: unknown subcommand '%s'\n", argv[1]);
		usage(stderr);
		return -1;
	}
	argc--;
	argv++;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'b': o->bind = optarg; break;
		case 'p': ok = parse_port(optarg, &o->port, true); break;
		case 's': o->state_dir = optarg; break;
		case 'j': o->is_json = true; break;
		case 't': ok = parse_seconds(optarg, &o->timeout_s); break;
		case 'd': ok = parse_seconds(optarg, &o->duration_s); break;
		case 'v': o->is_verbose = true; break;
		case 'N': o->is_no_bootstrap = true; break;
		case 'S': o->is_same_subnet = true; break;
		case 'm': {
			double v;
			ok = parse_seconds(optarg, &v) && v >= 1 && v <= 1e8;
			o->max_infohashes = ok ? (size_t)v : 0;
			break;
		}
		case 'B':
			ok = o->n_bootstrap < DHT_CLI_MAX_BOOTSTRAP;
			if (ok)
				o->bootstrap[o->n_bootstrap++] = optarg;
			break;
		case 'h': usage(stdout); return 1;
		default: ok = false; break;
		}
		if (!ok) {
			if (c != '?')
				fprintf(stderr, "trackless dht: bad option value '%s'\n", optarg ? optarg : "");
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "trackless dht %s: expected %d argument(s)\n", argv[0], nargs);
		usage(stderr);
		return -1;
	}
	if (o->timeout_s == 0)
		o->timeout_s = o->cmd == CMD_PING ? 5 : 30;
	if (o->cmd == CMD_PING)
		o->target = argv[optind];
	if (o->cmd == CMD_GET_PEERS || o->cmd == CMD_ANNOUNCE) {
		const char *h = argv[optind];
		if (strlen(h) != 40 || tl_unhex(h, 40, o->infohash.b, 20) != 0) {
			fprintf(stderr, "trackless dht: INFOHASH must be 40 hex digits: '%s'\n", h);
			return -1;
		}
	}
	if (o->cmd == CMD_ANNOUNCE && !parse_port(argv[optind + 1], &o->announce_port, false)) {
		fprintf(stderr, "trackless dht: bad PORT '%s'\n", argv[optind + 1]);
		return -1;
	}
	for (size_t i = 0; i < o->n_bootstrap; i++) {
		char host[256];
		uint16_t p;
		if (dht_ev_parse_hostport(o->bootstrap[i], host, sizeof(host), &p) != 0) {
			fprintf(stderr, "trackless dht: bad --bootstrap '%s' (want HOST:PORT)\n", o->bootstrap[i]);
			return -1;
		}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void format_addr(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

/* ---- ping: one datagram on a private socket, no DHT instance ---- */

static int resolve(const char *hostport, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port_s[8];
	uint16_t port;
	if (dht_ev_parse_hostport(hostport, host, sizeof(host), &port) != 0)
		return -1;
	snprintf(port_s, sizeof(port_s), "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res;
	int rc = getaddrinfo(host, port_s, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "trackless dht ping: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = (socklen_t)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int bind_local(int fd, int af, const struct dht_opts *o)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	if (af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o->port);
		if (o->bind && inet_pton(AF_INET, o->bind, &s4->sin_addr) != 1)
			return -1;
		len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(o->port);
		if (o->bind && inet_pton(AF_INET6, o->bind, &s6->sin6_addr) != 1)
			return -1;
		len = sizeof(*s6);
	}
	return bind(fd, (struct sockaddr *)&ss, len);
}

/* Prints the reply of a ping; returns true when it is our answer. */
static bool show_pong(const uint8_t *buf, size_t n, const uint8_t tid[4], const char *who,
    double rtt_ms, bool is_json)
{
	struct benc_tok toks[64];
	struct benc_doc d;
	if (benc_parse(buf, n, toks, 64, 8, 0, &d, NULL) != 0 || !benc_is(&d, 0, BENC_DICT))
		return false;
	const uint8_t *t, *id = NULL;
	size_t tlen, idlen = 0;
	if (!benc_get_str(&d, benc_dict_get(&d, 0, "t"), &t, &tlen) || tlen != 4 || memcmp(t, tid, 4) != 0)
		return false;
	bool is_error = benc_str_eq(&d, benc_dict_get(&d, 0, "y"), "e");
	long r = benc_dict_get(&d, 0, "r");
	if (benc_is(&d, r, BENC_DICT))
		benc_get_str(&d, benc_dict_get(&d, (size_t)r, "id"), &id, &idlen);
	char hex[41] = "";
	if (id && idlen == 20)
		tl_hex(id, 20, hex);
	const uint8_t *v;
	size_t vlen;
	char ver[16] = "";
	if (benc_get_str(&d, benc_dict_get(&d, 0, "v"), &v, &vlen) && vlen == 4)
		snprintf(ver, sizeof(ver), "%c%c %u.%u", v[0] >= 32 && v[0] < 127 ? v[0] : '?',
		    v[1] >= 32 && v[1] < 127 ? v[1] : '?', v[2], v[3]);
	if (is_json)
		printf("{\"node\":\"%s\",\"rtt_ms\":%.1f,\"id\":\"%s\",\"version\":\"%s\",\"error\":%s}\n", who,
		    rtt_ms, hex, ver, is_error ? "true" : "false");
	else if (is_error)
		printf("%s answered with a KRPC error in %.1f ms\n", who, rtt_ms);
	else
		printf("%s answered in %.1f ms: id %s%s%s\n", who, rtt_ms, hex[0] ? hex : "(none)",
		    ver[0] ? ", version " : "", ver);
	return true;
}

static int run_ping(const struct dht_opts *o)
{
	struct sockaddr_storage to;
	socklen_t tolen;
	if (resolve(o->target, &to, &tolen) != 0)
		return TL_EXIT_FAIL;
	char who[80];
	format_addr((struct sockaddr *)&to, who, sizeof(who));
	errno = 0;
	int fd = socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind_local(fd, to.ss_family, o) != 0) {
		fprintf(stderr, "trackless dht ping: local socket%s%s: %s\n", o->bind ? " on " : "",
		    o->bind ? o->bind : "", fd < 0 || errno ? strerror(errno) : "address of another family");
		if (fd >= 0)
			close(fd);
		return TL_EXIT_FAIL;
	}
	uint8_t id[20], tid[4], buf[1500];
	randombytes_buf(id, sizeof(id));
	randombytes_buf(tid, sizeof(tid));
	struct benc_w w;
	benc_w_init_fixed(&w, buf, sizeof(buf));
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_dict(&w);
	benc_w_cstr(&w, "id");
	benc_w_str(&w, id, 20);
	benc_w_end(&w);
	benc_w_cstr(&w, "q");
	benc_w_cstr(&w, "ping");
	benc_w_cstr(&w, "t");
	benc_w_str(&w, tid, 4);
	benc_w_cstr(&w, "y");
	benc_w_cstr(&w, "q");
	benc_w_end(&w);
	double t0 = now_s(), deadline = t0 + o->timeout_s;
	int rc = TL_EXIT_FAIL;
	if (sendto(fd, buf, w.len, 0, (struct sockaddr *)&to, tolen) < 0) {
		fprintf(stderr, "trackless dht ping: send to %s: %s\n", who, strerror(errno));
		goto out;
	}
	for (double left; (left = deadline - now_s()) > 0;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
			continue;
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen);
		if (n <= 0)
			continue;
		if (show_pong(buf, (size_t)n, tid, who, (now_s() - t0) * 1000, o->is_json)) {
			rc = TL_EXIT_OK;
			goto out;
		}
	}
	if (o->is_json)
		printf("{\"node\":\"%s\",\"timeout\":true}\n", who);
	else
		printf("%s did not answer within %.1f s\n", who, o->timeout_s);
out:
	close(fd);
	return rc;
}

/* ---- commands that run a node ---- */

/* What the search of one family came to (get-peers, announce). */
struct fam_result {
	bool is_started, is_done;
	bool is_no_nodes;        /* DHT_EV_NO_NODES: its table stayed empty */
	size_t announced;        /* DHT_EV_ANNOUNCED: nodes sent announce_peer */
};

struct run {
	const struct dht_opts *o;
	struct event_base *base;
	struct dht_ev *ev;
	struct fam_result fam[2]; /* IPv4, IPv6 */
	int searches_left;
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

static void log_hook(void *ud, const struct dht_event *e)
{
	struct run *r = ud;
	if (e->type == DHT_EV_ANNOUNCED) {
		r->fam[e->af == AF_INET6].announced = e->count;
	} else if (e->type == DHT_EV_NO_NODES) {
		r->fam[e->af == AF_INET6].is_no_nodes = true;
	} else if (e->type == DHT_EV_LOG) {
		if (e->level >= DHT_LOG_WARN)
			tl_warn("%s", e->msg);
		else if (r->o->is_verbose)
			tl_info("%s", e->msg);
	} else if (e->type == DHT_EV_EXTERNAL_IP && e->addr) {
		char a[80];
		format_addr(e->addr, a, sizeof(a));
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
	if (--r->searches_left == 0)
		event_base_loopbreak(r->base);
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
	int n = snprintf(r->state_path, sizeof(r->state_path), "%s/%s", dir, DHT_CLI_STATE_FILE);
	if (n < 0 || (size_t)n >= sizeof(r->state_path)) {
		fprintf(stderr, "trackless dht: --state-dir too long\n");
		return -1;
	}
	return 0;
}

static int start_node(struct run *r)
{
	const struct dht_opts *o = r->o;
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
	c.dht.is_read_only = o->cmd == CMD_GET_PEERS || o->cmd == CMD_ANNOUNCE;
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
	const struct dht_opts *o = r->o;
	struct dht *d = dht_ev_dht(r->ev);
	static const int fams[] = { AF_INET, AF_INET6 };
	for (size_t i = 0; i < 2; i++) {
		if (!dht_ev_port(r->ev, fams[i]))
			continue;
		uint16_t port = o->cmd == CMD_ANNOUNCE ? o->announce_port : 0;
		int rc = dht_search(d, &o->infohash, fams[i], port, false, peers_cb, r, dht_ev_now(r->ev), NULL);
		if (rc != DHT_OK) {
			fprintf(stderr, "trackless dht: search: %s\n", dht_strerror(rc));
			return -1;
		}
		r->fam[i].is_started = true;
		r->searches_left++;
	}
	dht_ev_kick(r->ev);
	return 0;
}

/* A one-shot lookup first lets the node join: seeded from a table of one
 * bootstrap node it would see only that node's corner of the id space.
 * Searches start once a table is ready (8 good nodes) or after
 * DHT_CLI_JOIN_WAIT_S, whichever comes first. */
#define DHT_CLI_JOIN_WAIT_S 3.0

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct run *r = arg;
	struct dht *d = dht_ev_dht(r->ev);
	bool is_ready = (dht_ev_port(r->ev, AF_INET) && dht_is_ready(d, AF_INET)) ||
	    (dht_ev_port(r->ev, AF_INET6) && dht_is_ready(d, AF_INET6));
	if (!is_ready && now_s() - r->t0 < DHT_CLI_JOIN_WAIT_S && now_s() - r->t0 < r->o->timeout_s / 2)
		return;
	event_del(r->ready_timer);
	if (start_searches(r) != 0) {
		r->is_start_failed = true;
		event_base_loopbreak(r->base);
	}
}

/* What the search of one family came to, as a JSON string value: "off"
 * (no socket of that family), "no_nodes" (its table stayed empty),
 * "timeout" (cut off by --timeout), "announced" (to f->announced nodes),
 * "no_token" (an announce no node took) or "done". */
static const char *fam_state(const struct run *r, const struct fam_result *f)
{
	if (!f->is_started)
		return "off";
	if (f->is_no_nodes)
		return "no_nodes";
	if (!f->is_done)
		return "timeout";
	if (r->o->cmd != CMD_ANNOUNCE)
		return "done";
	return f->announced ? "announced" : "no_token";
}

/* The same for people: "IPv4: 3 nodes; IPv6: no node to ask". */
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
		if (strcmp(st, "announced") == 0)
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
	const struct dht_opts *o = r->o;
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
	bool ok = o->cmd == CMD_ANNOUNCE ? r->fam[0].announced + r->fam[1].announced > 0 :
					   r->npeers > 0;
	fam_text(r, fams, sizeof(fams));
	if (o->is_json) {
		printf("],\"infohash\":\"%s\",\"elapsed_ms\":%.0f,\"complete\":%s", hex, elapsed * 1000,
		    r->is_timed_out ? "false" : "true");
		if (o->cmd == CMD_ANNOUNCE)
			printf(",\"announced_port\":%u", o->announce_port);
		printf(",\"families\":{");
		for (int i = 0; i < 2; i++) {
			printf("%s\"ipv%c\":{\"state\":\"%s\"", i ? "," : "", i ? '6' : '4',
			    fam_state(r, &r->fam[i]));
			if (o->cmd == CMD_ANNOUNCE && r->fam[i].is_done && !r->fam[i].is_no_nodes)
				printf(",\"nodes\":%zu", r->fam[i].announced);
			printf("}");
		}
		printf("}}\n");
	} else if (o->cmd == CMD_ANNOUNCE) {
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

static int run_node(const struct dht_opts *o)
{
	struct run r = { .o = o, .t0 = now_s() };
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
	double limit = o->cmd == CMD_STATS ? o->duration_s : o->timeout_s;
	if (o->cmd != CMD_NODE) {
		timer = evtimer_new(r.base, timeout_cb, &r);
		struct timeval tv = { .tv_sec = (time_t)limit,
			.tv_usec = (suseconds_t)((limit - (double)(time_t)limit) * 1e6) };
		if (!timer || evtimer_add(timer, &tv) != 0)
			goto out;
	}
	if (o->cmd == CMD_NODE) {
		printf("dht node: IPv4 port %u, IPv6 port %u\n", dht_ev_port(r.ev, AF_INET),
		    dht_ev_port(r.ev, AF_INET6));
		fflush(stdout);
	}
	if (o->cmd == CMD_GET_PEERS || o->cmd == CMD_ANNOUNCE) {
		if (o->is_json)
			printf("{\"peers\":[");
		struct timeval tick = { 0, 100000 };
		r.ready_timer = event_new(r.base, -1, EV_PERSIST, ready_cb, &r);
		if (!r.ready_timer || event_add(r.ready_timer, &tick) != 0)
			goto out;
	}
	event_base_dispatch(r.base);
	double elapsed = now_s() - r.t0;
	if (o->cmd == CMD_GET_PEERS || o->cmd == CMD_ANNOUNCE)
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

int tl_cmd_dht(int argc, char **argv)
{
	struct dht_opts o;
	/* BEP 44 items: keygen, put, get (cmd_dht_item.c) */
	if (argc >= 2 && tl_dht_item_is_cmd(argv[1]))
		return tl_cmd_dht_item(argc, argv);
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? TL_EXIT_OK : TL_EXIT_USAGE;
	if (o.is_verbose)
		tl_log_set_level(TL_LOG_INFO);
	if (o.cmd == CMD_PING)
		return run_ping(&o);
	return run_node(&o);
}
