/*
 * node.c: trackless-node, a long-lived Mainline DHT node made to serve as
 * a bootstrap router (BEP 5, 32, 42, 43). Options, logging, threads,
 * signals and the state directory; the packet path is in node_router.c,
 * the counters in node_stats.c, the pool in pool.c. See node.h for the
 * threads and doc/trackless-node.8 for the manual.
 *
 * State (router mode), in --state-dir: `pool` (dht_pool_save format) and
 * `ids` (our two 20-byte node ids), each written atomically (temp file,
 * fsync, rename, fsync of the directory) every --save-interval seconds
 * and at shutdown, and loaded at start so that a restarted node answers
 * with its full pool at once. Full mode keeps `dht.state` through the
 * libdht adapter (dht_event.h).
 *
 * Signals (main thread): SIGTERM/SIGINT stop every loop, join the
 * threads and save; SIGHUP reopens --log-file (for logrotate).
 */
#include "dht/node.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <netdb.h>
#include <sodium.h>

#include "dht/dht_event.h"

#define NODE_DEFAULT_PORT 6881
#define NODE_DEFAULT_MEMORY_MB 128
#define NODE_STATS_EVERY_S 60

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless-node [options]\n"
	    "  -p, --port N            UDP port (default 6881)\n"
	    "  -b, --bind ADDR         address to listen on (repeatable; default 0.0.0.0 and ::)\n"
	    "  -d, --state-dir DIR     keep the node pool and ids here across restarts\n"
	    "  -m, --mode router|full  bootstrap router (default) or a full DHT node\n"
	    "  -t, --threads N         threads sharing the port (default: number of cores)\n"
	    "  -M, --max-memory MB     memory bound (default 128); half of it holds the pool\n"
	    "  -s, --stats-addr A:P    serve Prometheus text on http://A:P/metrics\n"
	    "  -f, --foreground        do not detach\n"
	    "  -l, --log-level L       error, warn, info (default) or debug\n"
	    "  -L, --log-file FILE     log here instead of stderr (reopened on SIGHUP)\n"
	    "  -B, --bootstrap H:P     seed to crawl while the pool is thin (repeatable)\n"
	    "      --no-bootstrap      full mode: never contact the built-in routers (the\n"
	    "                          first node of a private or test DHT)\n"
	    "      --dht-same-subnet   full mode: let nodes of one /24 (IPv6 /64) fill the\n"
	    "                          routing table and lookups (a DHT inside one LAN)\n"
	    "      --ping-delay S      wait before pinging a node that queried us (default 900)\n"
	    "      --ping-rate N       pings per second (default 2000)\n"
	    "      --crawl-rate N      find_node queries per second (default 5)\n"
	    "      --reply-nodes N     nodes per family in an answer, 1..16 (default 8)\n"
	    "      --reply-budget KB   reply kilobytes per second, all sources (default 65536)\n"
	    "      --save-interval S   seconds between saves of the state (default 600)\n"
	    "      --no-bep42          accept node ids that do not match their address\n"
	    "  -h, --help              this text\n"
	    "  -V, --version           the version\n");
}

/* ---- logging ---- */

static struct node the_node;
static const char *const level_name[] = { "error", "warn", "info", "debug" };

void node_log(struct node *n, enum node_log_level level, const char *fmt, ...)
{
	if (level > n->o.log_level)
		return;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&n->log_lock);
	FILE *f = n->log ? n->log : stderr;
	fprintf(f, "%s trackless-node %s: ", ts, level_name[level]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
	pthread_mutex_unlock(&n->log_lock);
	va_end(ap);
}

static int open_log(struct node *n)
{
	if (!n->o.log_file)
		return 0;
	FILE *f = fopen(n->o.log_file, "a");
	if (!f) {
		node_log(n, NODE_LOG_ERROR, "cannot open log %s: %s", n->o.log_file, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&n->log_lock);
	FILE *old = n->log;
	n->log = f;
	pthread_mutex_unlock(&n->log_lock);
	if (old)
		fclose(old);
	return 0;
}

/* ---- options ---- */

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_PING_DELAY = 1000,
	OPT_PING_RATE,
	OPT_CRAWL_RATE,
	OPT_REPLY_NODES,
	OPT_REPLY_BUDGET,
	OPT_SAVE_INTERVAL,
	OPT_NO_BEP42,
	OPT_NO_BOOTSTRAP,
	OPT_SAME_SUBNET,
};

static int parse_opts(int argc, char **argv, struct node_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'b' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "mode", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-memory", required_argument, NULL, 'M' },
		{ "stats-addr", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "log-file", required_argument, NULL, 'L' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "ping-delay", required_argument, NULL, OPT_PING_DELAY },
		{ "ping-rate", required_argument, NULL, OPT_PING_RATE },
		{ "crawl-rate", required_argument, NULL, OPT_CRAWL_RATE },
		{ "reply-nodes", required_argument, NULL, OPT_REPLY_NODES },
		{ "reply-budget", required_argument, NULL, OPT_REPLY_BUDGET },
		{ "save-interval", required_argument, NULL, OPT_SAVE_INTERVAL },
		{ "no-bep42", no_argument, NULL, OPT_NO_BEP42 },
		{ "no-bootstrap", no_argument, NULL, OPT_NO_BOOTSTRAP },
		{ "dht-same-subnet", no_argument, NULL, OPT_SAME_SUBNET },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	*o = (struct node_opts){
		.port = NODE_DEFAULT_PORT, .threads = ncpu > 0 ? (size_t)ncpu : 1,
		.max_memory_mb = NODE_DEFAULT_MEMORY_MB, .log_level = NODE_LOG_INFO,
		.ping_delay_s = 900, .ping_rate = 2000, .crawl_rate = 5, .reply_nodes = 8,
		.reply_budget = 65536ull * 1024, .check_bep42 = true, .save_interval_s = 600,
	};
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "p:b:d:m:t:M:s:fl:L:B:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 1, 65535, &v) < 0)
				goto bad;
			o->port = (uint16_t)v;
			break;
		case 'b':
			if (o->nbind == NODE_MAX_BIND)
				goto bad;
			o->bind[o->nbind++] = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "router") == 0)
				o->mode = NODE_MODE_ROUTER;
			else if (strcmp(optarg, "full") == 0)
				o->mode = NODE_MODE_FULL;
			else
				goto bad;
			break;
		case 't':
			if (parse_u64(optarg, 1, NODE_MAX_THREADS, &v) < 0)
				goto bad;
			o->threads = (size_t)v;
			break;
		case 'M':
			if (parse_u64(optarg, 8, 1 << 20, &v) < 0)
				goto bad;
			o->max_memory_mb = (size_t)v;
			break;
		case 's':
			o->stats_addr = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'l': {
			size_t i;
			for (i = 0; i < 4 && strcmp(optarg, level_name[i]) != 0; i++)
				;
			if (i == 4)
				goto bad;
			o->log_level = (enum node_log_level)i;
			break;
		}
		case 'L':
			o->log_file = optarg;
			break;
		case 'B':
			if (o->nbootstrap == NODE_MAX_BOOTSTRAP)
				goto bad;
			o->bootstrap[o->nbootstrap++] = optarg;
			break;
		case OPT_PING_DELAY:
			if (parse_u64(optarg, 0, 86400, &v) < 0)
				goto bad;
			o->ping_delay_s = (uint32_t)v;
			break;
		case OPT_PING_RATE:
			if (parse_u64(optarg, 1, 1000000, &v) < 0)
				goto bad;
			o->ping_rate = (uint32_t)v;
			break;
		case OPT_CRAWL_RATE:
			if (parse_u64(optarg, 0, 10000, &v) < 0)
				goto bad;
			o->crawl_rate = (uint32_t)v;
			break;
		case OPT_REPLY_NODES:
			if (parse_u64(optarg, 1, DHT_POOL_MAX_REPLY, &v) < 0)
				goto bad;
			o->reply_nodes = (size_t)v;
			break;
		case OPT_REPLY_BUDGET:
			if (parse_u64(optarg, 0, 1ull << 30, &v) < 0)
				goto bad;
			o->reply_budget = v * 1024;
			break;
		case OPT_SAVE_INTERVAL:
			if (parse_u64(optarg, 1, 86400, &v) < 0)
				goto bad;
			o->save_interval_s = (uint32_t)v;
			break;
		case OPT_NO_BEP42:
			o->check_bep42 = false;
			break;
		case OPT_NO_BOOTSTRAP:
			o->is_no_bootstrap = true;
			break;
		case OPT_SAME_SUBNET:
			o->is_same_subnet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("trackless-node %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "trackless-node: unexpected argument %s\n", argv[optind]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "trackless-node: bad value for -%c%s: %s\n", c < 256 ? c : '-',
	    c < 256 ? "" : "-", optarg ? optarg : "");
	return -1;
}

/* Resolve the --bootstrap seeds once at start (numeric or by name). */
static void resolve_seeds(struct node *n)
{
	for (size_t i = 0; i < n->o.nbootstrap; i++) {
		char host[256];
		uint16_t port;
		if (dht_ev_parse_hostport(n->o.bootstrap[i], host, sizeof(host), &port) < 0) {
			node_log(n, NODE_LOG_WARN, "bad --bootstrap %s", n->o.bootstrap[i]);
			continue;
		}
		struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL, *r;
		int rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc != 0) {
			node_log(n, NODE_LOG_WARN, "cannot resolve %s: %s", host, gai_strerror(rc));
			continue;
		}
		for (r = res; r && n->nboot < NODE_MAX_BOOTSTRAP; r = r->ai_next) {
			struct dht_addr a;
			if (dht_addr_from_sa(r->ai_addr, r->ai_addrlen, &a) < 0)
				continue;
			a.port = port;
			n->boot[n->nboot++] = a;
		}
		freeaddrinfo(res);
	}
}

/* ---- state files ---- */

static int file_write(void *ud, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, ud) == len ? 0 : -1;
}

static int file_read(void *ud, void *buf, size_t len)
{
	return fread(buf, 1, len, ud) == len ? 0 : -1;
}

/* Write path atomically through fill(). Returns 0 or -1 (logged). */
static int save_atomic(struct node *n, const char *name, int (*fill)(struct node *, FILE *))
{
	char path[4096], tmp[4096];
	if (snprintf(path, sizeof(path), "%s/%s", n->o.state_dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		node_log(n, NODE_LOG_ERROR, "cannot write %s: %s", tmp, strerror(errno));
		return -1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	int rc = fill(n, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		node_log(n, NODE_LOG_ERROR, "saving %s failed: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	int dfd = open(n->o.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
}

static int fill_pool(struct node *n, FILE *f)
{
	return dht_pool_save(n->pool, node_now_s(n), file_write, f);
}

static int fill_ids(struct node *n, FILE *f)
{
	return fwrite(n->id, sizeof(n->id[0]), 2, f) == 2 ? 0 : -1;
}

static void save_state(struct node *n)
{
	if (!n->o.state_dir || n->o.mode != NODE_MODE_ROUTER)
		return;
	int64_t t0 = node_now_ms();
	if (save_atomic(n, "ids", fill_ids) == 0 && save_atomic(n, "pool", fill_pool) == 0) {
		struct dht_pool_stats st;
		dht_pool_get_stats(n->pool, &st);
		node_log(n, NODE_LOG_INFO, "saved %zu+%zu nodes in %lld ms", st.verified[0],
		    st.verified[1], (long long)(node_now_ms() - t0));
	}
}

static void load_state(struct node *n)
{
	char path[4096];
	if (!n->o.state_dir)
		return;
	snprintf(path, sizeof(path), "%s/ids", n->o.state_dir);
	FILE *f = fopen(path, "rb");
	if (f) {
		/* exactly two ids; one byte more is read to see a longer file */
		uint8_t ids[2 * sizeof(struct dht_id) + 1];
		size_t got = fread(ids, 1, sizeof(ids), f);
		if (got == 2 * sizeof(struct dht_id))
			memcpy(n->id, ids, sizeof(n->id));
		else if (ferror(f))
			node_log(n, NODE_LOG_WARN, "cannot read %s: %s; new node ids", path,
			    strerror(errno));
		else
			node_log(n, NODE_LOG_WARN, "%s is damaged (%s%zu bytes, not %zu); new node ids",
			    path, got == sizeof(ids) ? "over " : "", got == sizeof(ids) ? got - 1 : got,
			    2 * sizeof(struct dht_id));
		fclose(f);
	} else if (errno != ENOENT) {
		node_log(n, NODE_LOG_WARN, "cannot read %s: %s; new node ids", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/pool", n->o.state_dir);
	f = fopen(path, "rb");
	if (!f) {
		if (errno != ENOENT)
			node_log(n, NODE_LOG_WARN, "cannot read %s: %s", path, strerror(errno));
		return;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 16);
	size_t loaded = 0;
	int64_t t0 = node_now_ms();
	if (dht_pool_load(n->pool, node_now_s(n), file_read, f, &loaded) < 0)
		node_log(n, NODE_LOG_WARN, "%s is damaged; kept the %zu nodes before the fault", path,
		    loaded);
	fclose(f);
	node_log(n, NODE_LOG_INFO, "loaded %zu nodes from %s in %lld ms", loaded, path,
	    (long long)(node_now_ms() - t0));
}

/* ---- threads and signals ---- */

static struct event *ev_sig[3], *ev_tick;

static void *thread_main(void *arg)
{
	struct node_thread *t = arg;
	event_base_dispatch(t->base);
	return NULL;
}

static void stop_all(struct node *n)
{
	for (size_t i = 0; i < n->nthreads; i++)
		if (n->t[i].base)
			event_base_loopbreak(n->t[i].base);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct node *n = arg;
	(void)what;
	if (sig == SIGHUP) {
		node_log(n, NODE_LOG_INFO, "SIGHUP: reopening the log");
		if (open_log(n) == 0)
			node_log(n, NODE_LOG_INFO, "log reopened");
		return;
	}
	node_log(n, NODE_LOG_INFO, "signal %d: stopping", (int)sig);
	stop_all(n);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	(void)fd;
	(void)what;
	uint32_t now_s = node_now_s(n);
	if (n->o.mode == NODE_MODE_ROUTER)
		node_router_tick(n, &n->t[0]);
	if (now_s - n->last_stats_s >= NODE_STATS_EVERY_S) {
		n->last_stats_s = now_s;
		node_stats_log(n);
	}
	if (now_s - n->last_save_s >= n->o.save_interval_s) {
		n->last_save_s = now_s;
		save_state(n);
	}
}

/* libdht's log lines and state changes, into our log. */
static void full_event(void *ud, const struct dht_event *ev)
{
	struct node *n = ud;
	if (ev->type == DHT_EV_LOG) {
		enum node_log_level l = ev->level == DHT_LOG_WARN ? NODE_LOG_WARN :
		    ev->level == DHT_LOG_INFO ? NODE_LOG_INFO : NODE_LOG_DEBUG;
		node_log(n, l, "dht: %s", ev->msg);
	} else if (ev->type == DHT_EV_READY) {
		node_log(n, NODE_LOG_INFO, "dht: the IPv%d table is ready", ev->af == AF_INET6 ? 6 : 4);
	}
}

static int start_full(struct node *n, struct event_base *base)
{
	char state[4096];
	struct dht_ev_config c = { .port = n->o.port };
	c.dht.family_mask = 0;
	for (size_t i = 0; i < n->o.nbind; i++) {
		if (strchr(n->o.bind[i], ':'))
			c.bind_v6 = n->o.bind[i];
		else
			c.bind_v4 = n->o.bind[i];
	}
	if (n->o.nbind && !c.bind_v6)
		c.dht.family_mask = DHT_F_INET;
	if (n->o.nbind && !c.bind_v4)
		c.dht.family_mask = DHT_F_INET6;
	c.dht.enforce_bep42 = false;
	c.dht.allow_same_subnet = n->o.is_same_subnet;
	c.dht.event = full_event;
	c.dht.ud = n;
	/* stored peers take at most about half the memory bound (8 bytes each) */
	c.dht.max_peers_per_infohash = 2000;
	c.dht.max_infohashes = n->o.max_memory_mb * (size_t)(1 << 20) / 2 / (2000 * 8);
	c.bootstrap = n->o.bootstrap;
	c.n_bootstrap = n->o.nbootstrap;
	c.no_default_routers = n->o.nbootstrap > 0 || n->o.is_no_bootstrap;
	if (n->o.state_dir) {
		snprintf(state, sizeof(state), "%s/dht.state", n->o.state_dir);
		c.state_path = state;
		c.save_interval_ms = n->o.save_interval_s * 1000u;
	}
	enum dht_err err = DHT_OK;
	n->ev = dht_ev_new(base, &c, &err);
	if (!n->ev) {
		node_log(n, NODE_LOG_ERROR, "full mode cannot start: %s", dht_strerror(err));
		return -1;
	}
	if (n->o.threads > 1)
		node_log(n, NODE_LOG_INFO, "full mode runs on one thread");
	n->nthreads = 1;
	return 0;
}

static int start_router(struct node *n)
{
	struct dht_pool_config pc = {
		.max_bytes = n->o.max_memory_mb * (size_t)(1 << 20) / 2,
		.ping_delay_s = n->o.ping_delay_s,
		.refresh_s = 3600,
		.ping_timeout_s = 2 * DHT_COOKIE_SLICE_S,
		.check_bep42 = n->o.check_bep42,
		.is_shared = n->o.threads > 1,
	};
	n->pool = dht_pool_new(&pc);
	if (!n->pool) {
		node_log(n, NODE_LOG_ERROR, "cannot allocate the pool (%zu MB)", n->o.max_memory_mb / 2);
		return -1;
	}
	load_state(n);
	resolve_seeds(n);
	for (size_t i = 0; i < n->nthreads; i++)
		if (node_router_open(&n->t[i]) < 0)
			return -1;
	return 0;
}

/* The soft open-files limit up to the hard one: the stats listener and
 * the state files must not run short under many HTTP scrapes. An
 * unlimited hard limit is left alone (setrlimit refuses it as a soft one). */
static void raise_nofile(struct node *n)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY || rl.rlim_cur >= rl.rlim_max)
		return;
	unsigned long long old = (unsigned long long)rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		node_log(n, NODE_LOG_INFO, "open files: cannot raise the limit from %llu: %s", old, strerror(errno));
	else
		node_log(n, NODE_LOG_INFO, "open files: limit raised from %llu to %llu", old,
		    (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
	struct node *n = &the_node;
	int rc = 1;
	pthread_mutex_init(&n->log_lock, NULL);
	if (parse_opts(argc, argv, &n->o) < 0)
		return 2;
	if (sodium_init() < 0 || evthread_use_pthreads() < 0) {
		fprintf(stderr, "trackless-node: cannot initialise libsodium or libevent threads\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (open_log(n) < 0)
		return 1;
	raise_nofile(n);
	if (n->o.state_dir && mkdir(n->o.state_dir, 0700) < 0 && errno != EEXIST) {
		node_log(n, NODE_LOG_ERROR, "cannot create %s: %s", n->o.state_dir, strerror(errno));
		return 1;
	}
	if (!n->o.foreground && daemon(1, n->o.log_file ? 0 : 1) < 0) {
		node_log(n, NODE_LOG_ERROR, "cannot detach: %s", strerror(errno));
		return 1;
	}
	n->start_ms = node_now_ms();
	randombytes_buf(n->id, sizeof(n->id));
	randombytes_buf(n->asker_key, sizeof(n->asker_key));
	uint8_t ck[DHT_COOKIE_KEY_LEN];
	randombytes_buf(ck, sizeof(ck));
	dht_cookie_init(&n->cookie, ck);
	n->nthreads = n->o.mode == NODE_MODE_FULL ? 1 : n->o.threads;
	n->t = calloc(n->nthreads, sizeof(*n->t));
	if (!n->t)
		goto out;
	for (size_t i = 0; i < n->nthreads; i++) {
		n->t[i].n = n;
		n->t[i].idx = i;
		n->t[i].base = event_base_new();
		if (!n->t[i].base)
			goto out;
	}
	struct event_base *base = n->t[0].base;
	if (n->o.mode == NODE_MODE_FULL ? start_full(n, base) < 0 : start_router(n) < 0)
		goto out;
	if (n->o.stats_addr && node_stats_listen(n, base) < 0)
		goto out;
	static const int sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	for (int i = 0; i < 3; i++) {
		ev_sig[i] = evsignal_new(base, sigs[i], signal_cb, n);
		if (!ev_sig[i] || event_add(ev_sig[i], NULL) < 0)
			goto out;
	}
	ev_tick = event_new(base, -1, EV_PERSIST, tick_cb, n);
	struct timeval tv = { 0, NODE_TICK_MS * 1000 };
	if (!ev_tick || event_add(ev_tick, &tv) < 0)
		goto out;
	n->last_stats_s = n->last_save_s = node_now_s(n);
	node_log(n, NODE_LOG_INFO, "listening on port %u, %s mode, %zu thread%s",
	    (unsigned)n->o.port, n->o.mode == NODE_MODE_FULL ? "full" : "router", n->nthreads,
	    n->nthreads == 1 ? "" : "s");
	size_t started = 1;
	for (; started < n->nthreads; started++)
		if (pthread_create(&n->t[started].th, NULL, thread_main, &n->t[started]) != 0)
			break;
	if (started == n->nthreads)
		event_base_dispatch(base);
	stop_all(n);
	for (size_t i = 1; i < started; i++)
		pthread_join(n->t[i].th, NULL);
	save_state(n);
	node_stats_log(n);
	rc = started == n->nthreads ? 0 : 1;
out:
	if (rc)
		node_log(n, NODE_LOG_ERROR, "exiting on error");
	node_stats_close();
	for (int i = 0; i < 3; i++)
		if (ev_sig[i])
			event_free(ev_sig[i]);
	if (ev_tick)
		event_free(ev_tick);
	dht_ev_free(n->ev);
	for (size_t i = 0; n->t && i < n->nthreads; i++) {
		node_router_close(&n->t[i]);
		if (n->t[i].base)
			event_base_free(n->t[i].base);
	}
	free(n->t);
	dht_pool_free(n->pool);
	if (n->log)
		fclose(n->log);
	return rc;
}
