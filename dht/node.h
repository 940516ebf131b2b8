/*
 * node.h: internals shared by the parts of trackless-node, the long-lived
 * DHT bootstrap node (dht/node.c: options, threads, state, signals;
 * dht/node_router.c: the router-mode packet path and maintenance;
 * dht/node_stats.c: counters, the minute log line, GET /metrics).
 *
 * Threads (router mode): N threads each run one event_base with their own
 * UDP sockets bound to the same address and port (SO_REUSEPORT), so the
 * kernel spreads sources over them. Each thread owns its per-source
 * limiter, its repeat-asker table, its reply-byte budget and its counters
 * (written only by it; read by the stats code with relaxed atomics). The
 * node pool is shared by all threads through its striped locks
 * (dht/pool.h); the ping cookie key and the node ids are read-only once
 * the threads start. Thread 0 is the main thread: it also runs the
 * signals, the maintenance timer (pings, crawl, saves, the stats line)
 * and the stats HTTP server.
 */
#ifndef DHT_NODE_H
#define DHT_NODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dht/addr.h"
#include "dht/cookie.h"
#include "dht/dht.h"
#include "dht/limiter.h"
#include "dht/pool.h"

#define NODE_MAX_BIND 8
#define NODE_MAX_THREADS 64
#define NODE_MAX_BOOTSTRAP 32
/* Repeat askers: a source that asked within NODE_REPEAT_S gets fewer
 * nodes (router.utorrent.com's rule); a table of 2^NODE_REPEAT_BITS. */
#define NODE_REPEAT_BITS 16
#define NODE_REPEAT_S 600u
#define NODE_REPEAT_NODES 3u
/* recvmmsg batch and batches per wakeup (fairness between sockets). */
#define NODE_BATCH 32
#define NODE_BATCHES_PER_WAKE 8

enum node_mode {
	NODE_MODE_ROUTER = 0,
	NODE_MODE_FULL,
};

enum node_log_level {
	NODE_LOG_ERROR = 0,
	NODE_LOG_WARN,
	NODE_LOG_INFO,
	NODE_LOG_DEBUG,
};

/* Counters of one thread. Queries by method, then traffic, then drops. */
enum node_ctr {
	C_Q_PING = 0,
	C_Q_FIND_NODE,
	C_Q_GET_PEERS,
	C_Q_ANNOUNCE,
	C_Q_OTHER,
	C_PACKETS_IN,
	C_BYTES_IN,
	C_PACKETS_OUT,
	C_BYTES_OUT,
	C_REPLIES_OUT,
	C_ERRORS_OUT,
	C_SHORT_ANSWERS,
	C_REPLIES_IN,
	C_ERRORS_IN,
	C_PINGS_OUT,
	C_CRAWLS_OUT,
	C_COOKIES_OK,
	C_RO_SEEN,
	C_DROP_MALFORMED,
	C_DROP_MARTIAN,
	C_DROP_RATE_LIMITED,
	C_DROP_BANNED,
	C_DROP_BUDGET,
	C_DROP_BAD_COOKIE,
	C_DROP_SEND_FAILED,
	NODE_NCTR,
};
/* First drop counter: C_DROP_* run from here to NODE_NCTR. */
#define C_FIRST_DROP C_DROP_MALFORMED

struct node_opts {
	uint16_t port;
	const char *bind[NODE_MAX_BIND];
	size_t nbind;
	const char *state_dir;      /* NULL = no state */
	enum node_mode mode;
	size_t threads;
	size_t max_memory_mb;
	const char *stats_addr;     /* NULL = no HTTP */
	bool foreground;
	enum node_log_level log_level;
	const char *log_file;       /* NULL = stderr */
	const char *bootstrap[NODE_MAX_BOOTSTRAP];
	size_t nbootstrap;
	bool is_no_bootstrap;       /* full mode: never the built-in routers */
	bool is_same_subnet;        /* full mode: no one-node-per-/24 (/64) rule */
	uint32_t ping_delay_s;      /* before pinging a node that queried us */
	uint32_t ping_rate;         /* pings per second */
	uint32_t crawl_rate;        /* find_node queries per second */
	size_t reply_nodes;         /* nodes per family in an answer */
	uint64_t reply_budget;      /* reply bytes per second, all threads */
	bool check_bep42;
	uint32_t save_interval_s;
};

/* One slot of the repeat-asker table. */
struct node_asker {
	uint32_t tag;
	uint32_t when_s;
};

struct node;
struct node_thread;
struct node_io; /* receive and send batches (node_router.c) */

/* One UDP socket of a thread. */
struct node_sock {
	struct node_thread *t;
	int fd;
	int af;
	struct event *ev;
};

struct node_thread {
	struct node *n;
	size_t idx;
	pthread_t th;
	struct event_base *base;
	size_t nsock;
	struct node_sock sock[NODE_MAX_BIND];
	struct node_io *io;
	struct dht_limiter lim;
	struct node_asker *askers;
	uint64_t rng;
	int64_t budget;            /* reply bytes left */
	int64_t budget_ms;         /* last refill */
	_Atomic uint64_t c[NODE_NCTR];
};

struct node {
	struct node_opts o;
	struct dht_pool *pool;
	struct dht_cookie cookie;
	struct dht_id id[2];        /* our id per family */
	uint8_t asker_key[16];
	struct node_thread *t;
	size_t nthreads;
	struct dht_addr boot[NODE_MAX_BOOTSTRAP];
	size_t nboot, boot_next;
	int64_t start_ms;
	double crawl_credit;
	uint32_t last_stats_s, last_save_s;
	uint64_t last_pings_out, last_cookies_ok;
	FILE *log;
	pthread_mutex_t log_lock;
	struct dht_ev *ev;          /* full mode */
};

/* Milliseconds on the monotonic clock, and the pool's seconds. */
int64_t node_now_ms(void);
uint32_t node_now_s(const struct node *n);

/* A log line at level (dropped when above --log-level). */
void node_log(struct node *n, enum node_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Add v to counter c of thread t (only t's own thread writes it). */
static inline void node_count(struct node_thread *t, enum node_ctr c, uint64_t v)
{
	atomic_store_explicit(&t->c[c], atomic_load_explicit(&t->c[c], memory_order_relaxed) + v,
	    memory_order_relaxed);
}

/* Sum of counter c over all threads. */
uint64_t node_total(struct node *n, enum node_ctr c);

/* node_router.c: open thread t's sockets and read events on its base.
 * Returns 0 or -1 (logged). */
int node_router_open(struct node_thread *t);
/* Close them. */
void node_router_close(struct node_thread *t);
/* One maintenance step (thread 0, every NODE_TICK_MS): pings, crawl. */
void node_router_tick(struct node *n, struct node_thread *t0);
#define NODE_TICK_MS 100

/* node_stats.c: the stats line, and GET /metrics on evhttp. */
void node_stats_log(struct node *n);
/* Start the HTTP server on base at n->o.stats_addr. Returns 0 or -1. */
int node_stats_listen(struct node *n, struct event_base *base);
void node_stats_close(void);
/* Resident set size in bytes (0 when unknown). */
uint64_t node_rss_bytes(void);

#endif
