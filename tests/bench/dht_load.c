/*
 * dht_load.c: a KRPC load generator for one DHT node (scripts/bench-dht).
 *
 * It speaks from many source addresses without binding many sockets: one
 * UDP socket bound to 0.0.0.0 chooses the source of each datagram with
 * IP_PKTINFO, drawing from 127.(1..63).x.y, so per-source budgets and
 * one-entry-per-IP rules see a crowd. Replies to any of those addresses
 * come back to the same socket.
 *
 * Phases:
 *   prefill  get_peers then announce_peer (with the token of that reply,
 *            from the same source) for N distinct infohashes, P peers
 *            each (each peer its own source);
 *   load     a closed loop of W outstanding queries for D seconds, mixed
 *            ping / find_node / get_peers / announce_peer (valid tokens
 *            from the prefill); prints answered queries per second;
 *   latency  an open loop at a light fixed rate; prints the RTT p50/p99,
 *            which bounds the node's service time from above.
 * Reports the node's CPU time and RSS from /proc when --pid is given, its
 * service time (recv to send, inside the node) over the load phase when
 * --svc names the histogram of tests/bench/svc_shim.so, and its own CPU
 * per query (one core must drive the node past its target: ping,
 * find_node and get_peers are patched copies of pre-encoded queries, and
 * the socket is polled only when a non-blocking read finds nothing).
 * Single-threaded; Linux only (IP_PKTINFO, recvmmsg).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/svc_hist.h"
#include "tests/sim/krpc_msg.h"
#include "tests/sim/sim_rng.h"

#define LOAD_SLOTS 65536u /* outstanding-query table: tid = slot */
#define LOAD_BATCH 64
#define LOAD_TOKEN_MAX 20

struct slot {
	double sent;
	uint32_t op;    /* stored peer (infohash * peers + peer) */
	uint8_t kind;   /* 0 free, 1 ping, 2 find, 3 get, 4 announce, 5 prefill get, 6 prefill ann */
};

struct prefilled {
	uint8_t token[LOAD_TOKEN_MAX];
	uint8_t token_len;
	bool is_stored;
};

/* Queries are sent in batches with sendmmsg: one system call per
 * LOAD_BATCH datagrams, each with its own source address. */
struct out_batch {
	struct mmsghdr m[LOAD_BATCH];
	struct iovec iov[LOAD_BATCH];
	uint8_t buf[LOAD_BATCH][512];
	char cbuf[LOAD_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
	int n;
};

/* A pre-encoded query of one kind: tid and target are patched in. */
struct tmpl {
	uint8_t buf[256];
	size_t len, tid_at, target_at;
};

struct load {
	int fd;
	double now;             /* the clock, read once per loop */
	struct tmpl tm[4];      /* by kind: ping, find_node, get_peers */
	struct out_batch ob;
	struct sockaddr_in target;
	uint32_t sources;
	size_t n_hashes;
	uint32_t peers;         /* stored peers per infohash */
	size_t n_pf;            /* n_hashes * peers */
	struct prefilled *pf;   /* by stored peer */
	struct slot slots[LOAD_SLOTS];
	uint32_t next_slot;
	size_t outstanding;
	struct sim_rng rng;
	uint8_t id[20];
	uint64_t sent, answered, errors;
	double *rtts;
	size_t n_rtts, cap_rtts;
	bool is_recording;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Source address i: 127.(1 + i / 65536).(i / 256 % 256).(i % 256). */
static uint32_t source_of(uint32_t i)
{
	return (127u << 24) | ((1u + (i >> 16)) << 16) | (i & 0xffffu);
}

/* Infohash i: a fixed function of i so prefill and load agree. */
static void hash_of(uint32_t i, uint8_t out[20])
{
	for (int k = 0; k < 20; k += 8) {
		uint64_t x = sim_mix64(((uint64_t)i << 8) | (uint64_t)k);
		memcpy(out + k, &x, k + 8 <= 20 ? 8 : 4);
	}
}

/* Sends the queued batch; datagrams the socket refuses are dropped (the
 * expiry frees their slots). */
static void flush(struct load *l)
{
	struct out_batch *b = &l->ob;
	int off = 0;
	while (off < b->n) {
		int r = sendmmsg(l->fd, b->m + off, (unsigned)(b->n - off), 0);
		if (r <= 0)
			break;
		off += r;
	}
	b->n = 0;
}

/* Queues buf[0..len) from source src; the caller built it in place. */
static void queue_from(struct load *l, uint32_t src, size_t len)
{
	struct out_batch *b = &l->ob;
	int i = b->n;
	memset(b->cbuf[i], 0, sizeof(b->cbuf[i]));
	b->iov[i].iov_base = b->buf[i];
	b->iov[i].iov_len = len;
	struct msghdr *m = &b->m[i].msg_hdr;
	memset(m, 0, sizeof(*m));
	m->msg_name = &l->target;
	m->msg_namelen = sizeof(l->target);
	m->msg_iov = &b->iov[i];
	m->msg_iovlen = 1;
	m->msg_control = b->cbuf[i];
	m->msg_controllen = sizeof(b->cbuf[i]);
	struct cmsghdr *c = CMSG_FIRSTHDR(m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi;
	memset(&pi, 0, sizeof(pi));
	pi.ipi_spec_dst.s_addr = htonl(src);
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (++b->n == LOAD_BATCH)
		flush(l);
}

/* Fills the templates of ping, find_node and get_peers: each built once
 * with a placeholder tid and target, whose places are then found. */
static int make_templates(struct load *l)
{
	static const uint8_t tid[4] = { 0xa5, 0x5a, 0x4c, 0x47 };
	uint8_t target[20];
	memset(target, 0xa5, sizeof(target));
	for (int kind = 1; kind <= 3; kind++) {
		struct tmpl *t = &l->tm[kind];
		const size_t cap = sizeof(t->buf);
		t->len = kind == 1 ? krpc_build_ping(t->buf, cap, tid, 4, l->id) :
		    kind == 2 ? krpc_build_find_node(t->buf, cap, tid, 4, l->id, target) :
			        krpc_build_get_peers(t->buf, cap, tid, 4, l->id, target);
		const uint8_t *at = memmem(t->buf, t->len, "1:t4:\xa5\x5a", 7);
		if (t->len == 0 || !at)
			return -1;
		t->tid_at = (size_t)(at - t->buf) + 5;
		if (kind > 1) {
			at = memmem(t->buf, t->len, target, sizeof(target));
			if (!at)
				return -1;
			t->target_at = (size_t)(at - t->buf);
		}
	}
	return 0;
}

/* Queues one query of kind: for ping and find_node op picks the target,
 * for the others it is a stored peer (infohash op / peers, from its own
 * source). Returns 0, or -1 when the slot table is full. */
static int issue(struct load *l, uint8_t kind, uint32_t op)
{
	uint32_t s = l->next_slot;
	if (l->slots[s].kind != 0 || kind < 1 || kind > 6)
		return -1;
	l->next_slot = (s + 1) % LOAD_SLOTS;
	uint8_t tid[4] = { (uint8_t)(s >> 8), (uint8_t)s, 0x4c, 0x47 };
	uint8_t *buf = l->ob.buf[l->ob.n], target[20];
	size_t len = 0;
	/* the source of an announce must be the one its token is for */
	uint32_t src = source_of(kind >= 3 ? op % l->sources : (uint32_t)sim_rng_below(&l->rng, l->sources));
	hash_of(kind >= 3 ? op / l->peers : op, target);
	if (kind == 4 || kind == 6) {
		len = krpc_build_announce(buf, sizeof(l->ob.buf[0]), tid, 4, l->id, target,
		    (uint16_t)(1024 + op % 60000), l->pf[op].token, l->pf[op].token_len);
		if (len == 0)
			return -1;
	} else {
		const struct tmpl *t = &l->tm[kind == 5 ? 3 : kind];
		memcpy(buf, t->buf, t->len);
		memcpy(buf + t->tid_at, tid, 4);
		if (t->target_at)
			memcpy(buf + t->target_at, target, 20);
		len = t->len;
	}
	l->slots[s] = (struct slot){ .sent = l->now, .op = op, .kind = kind };
	queue_from(l, src, len);
	l->outstanding++;
	l->sent++;
	return 0;
}

static void record_rtt(struct load *l, double rtt)
{
	if (!l->is_recording)
		return;
	if (l->n_rtts == l->cap_rtts) {
		size_t ncap = l->cap_rtts ? l->cap_rtts * 2 : 65536;
		double *nv = realloc(l->rtts, ncap * sizeof(*nv));
		if (!nv)
			return;
		l->rtts = nv;
		l->cap_rtts = ncap;
	}
	l->rtts[l->n_rtts++] = rtt;
}

static void on_reply(struct load *l, const uint8_t *p, size_t len, double now)
{
	struct krpc_info k;
	if (!krpc_inspect(p, len, &k) || k.tid_len != 4 || k.tid[2] != 0x4c || k.tid[3] != 0x47)
		return;
	uint32_t s = (uint32_t)k.tid[0] << 8 | k.tid[1];
	struct slot *sl = &l->slots[s];
	if (sl->kind == 0)
		return;
	if (k.kind == KRPC_ERROR)
		l->errors++;
	else
		l->answered++;
	record_rtt(l, now - sl->sent);
	if (sl->kind == 5 && k.kind == KRPC_REPLY && k.token && k.token_len <= LOAD_TOKEN_MAX) {
		memcpy(l->pf[sl->op].token, k.token, k.token_len);
		l->pf[sl->op].token_len = (uint8_t)k.token_len;
	} else if (sl->kind == 6 && k.kind == KRPC_REPLY) {
		l->pf[sl->op].is_stored = true;
	}
	sl->kind = 0;
	l->outstanding--;
}

/* Reads what has arrived. The socket is polled (up to wait_ms) only when
 * a non-blocking read finds nothing: most rounds of a busy loop cost one
 * recvmmsg and no poll. */
static void drain(struct load *l, int wait_ms)
{
	flush(l);
	static uint8_t bufs[LOAD_BATCH][1500];
	struct mmsghdr msgs[LOAD_BATCH];
	struct iovec iov[LOAD_BATCH];
	bool has_polled = false;
	for (;;) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < LOAD_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(l->fd, msgs, LOAD_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
			if (has_polled || poll(&pfd, 1, wait_ms) <= 0)
				return;
			has_polled = true;
			continue;
		}
		l->now = now_s();
		for (int i = 0; i < n; i++)
			on_reply(l, bufs[i], msgs[i].msg_len, l->now);
		if (n < LOAD_BATCH)
			return;
	}
}

/* Forget queries older than 1 s (lost or refused): frees their slots. */
static void expire(struct load *l, double now)
{
	for (uint32_t s = 0; s < LOAD_SLOTS; s++)
		if (l->slots[s].kind != 0 && now - l->slots[s].sent > 1.0) {
			l->slots[s].kind = 0;
			l->outstanding--;
		}
}

static void prefill(struct load *l, size_t window)
{
	double t0 = now_s(), last_expire = t0;
	for (int phase = 5; phase <= 6; phase++) {
		uint32_t next = 0;
		int rounds = 0;
		while (rounds < 3) {
			l->now = now_s();
			while (next < l->n_pf && l->outstanding < window) {
				bool done = phase == 5 ? l->pf[next].token_len > 0 : l->pf[next].is_stored;
				if (!done && (phase == 5 || l->pf[next].token_len > 0) && issue(l, (uint8_t)phase, next) != 0)
					break;
				next++;
			}
			drain(l, 10);
			double t = now_s();
			if (t - last_expire > 0.5) {
				expire(l, t);
				last_expire = t;
			}
			if (next >= l->n_pf && l->outstanding == 0) {
				next = 0; /* another pass for the lost ones */
				rounds++;
			}
		}
	}
	size_t stored = 0;
	for (size_t i = 0; i < l->n_pf; i++)
		stored += l->pf[i].is_stored;
	printf("prefill: %zu of %zu peers (%zu infohashes x %u) announced in %.1f s\n", stored, l->n_pf,
	    l->n_hashes, l->peers, now_s() - t0);
}

static uint8_t pick_kind(struct load *l)
{
	/* 20 % ping, 30 % find_node, 40 % get_peers, 10 % announce_peer */
	uint64_t r = sim_rng_below(&l->rng, 100);
	if (r < 20)
		return 1;
	if (r < 50)
		return 2;
	if (r < 90 || l->n_pf == 0)
		return 3;
	return 4;
}

/* Stored peer for the next query: a prefilled one when there are any (so
 * get_peers finds values and announces have tokens). */
static uint32_t pick_peer(struct load *l)
{
	if (l->n_pf == 0)
		return (uint32_t)sim_rng_below(&l->rng, 1u << 30);
	return (uint32_t)sim_rng_below(&l->rng, l->n_pf);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(double *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(size_t)(q * (double)(n - 1) + 0.5)];
}

static void run_closed(struct load *l, double secs, size_t window)
{
	uint64_t a0 = l->answered, s0 = l->sent;
	double t0 = now_s(), end = t0 + secs, last_expire = t0;
	while ((l->now = now_s()) < end) {
		while (l->outstanding < window) {
			uint8_t kind = pick_kind(l);
			uint32_t h = pick_peer(l);
			if (kind == 4 && (h >= l->n_pf || l->pf[h].token_len == 0))
				kind = 3;
			if (issue(l, kind, h) != 0)
				break;
		}
		drain(l, 1);
		double t = l->now;
		if (t - last_expire > 0.5) {
			expire(l, t);
			last_expire = t;
		}
	}
	double dt = now_s() - t0;
	printf("load: %.0f queries/s answered (%llu sent, %llu answered, window %zu, %.1f s)\n",
	    (double)(l->answered - a0) / dt, (unsigned long long)(l->sent - s0),
	    (unsigned long long)(l->answered - a0), window, dt);
}

static void run_open(struct load *l, double secs, double rate)
{
	l->n_rtts = 0;
	l->is_recording = true;
	double t0 = now_s(), end = t0 + secs, next = t0, last_expire = t0;
	while (now_s() < end) {
		double t = l->now = now_s();
		while (next <= t) {
			uint8_t kind = pick_kind(l);
			uint32_t h = pick_peer(l);
			if (kind == 4 && (h >= l->n_pf || l->pf[h].token_len == 0))
				kind = 3;
			issue(l, kind, h);
			next += 1.0 / rate;
		}
		drain(l, 0);
		if (t - last_expire > 0.5) {
			expire(l, t);
			last_expire = t;
		}
	}
	drain(l, 50);
	l->is_recording = false;
	printf("latency at %.0f queries/s: RTT p50 %.0f us, p99 %.0f us (%zu replies)\n", rate,
	    quantile(l->rtts, l->n_rtts, 0.5) * 1e6, quantile(l->rtts, l->n_rtts, 0.99) * 1e6, l->n_rtts);
}

/* utime + stime of pid in seconds, or -1. */
static double cpu_of(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	unsigned long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long rss_kib(int pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kib = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/* This process's CPU time (user + system) in seconds. */
static double own_cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* The node's service-time histogram (tests/bench/svc_shim.so), mapped
 * read-only, or NULL. */
static const struct svc_hist *svc_map(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	void *p = mmap(NULL, sizeof(struct svc_hist), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	const struct svc_hist *h = p;
	return h->magic == SVC_MAGIC ? h : NULL;
}

/* Quantile q of the samples in histogram b minus those in a, in
 * microseconds. */
static double svc_quantile(const uint64_t *a, const uint64_t *b, double q)
{
	uint64_t n = 0, seen = 0;
	for (unsigned i = 0; i < SVC_BUCKETS; i++)
		n += b[i] - a[i];
	uint64_t want = (uint64_t)(q * (double)n);
	for (unsigned i = 0; i < SVC_BUCKETS; i++) {
		seen += b[i] - a[i];
		if (n && seen > want)
			return (double)svc_bucket_floor(i) / 1e3;
	}
	return 0;
}

static void svc_report(const struct svc_hist *a, const struct svc_hist *b)
{
	uint64_t calls = b->recv_calls - a->recv_calls, dg = b->datagrams - a->datagrams;
	printf("service time in the node (recv to reply sent): p50 %.1f us, p99 %.1f us, p99.9 %.1f us"
	       " (%llu replies; %.1f datagrams per read)\n",
	    svc_quantile(a->b, b->b, 0.5), svc_quantile(a->b, b->b, 0.99), svc_quantile(a->b, b->b, 0.999),
	    (unsigned long long)(b->replies - a->replies), calls ? (double)dg / (double)calls : 0.0);
	printf("processing per datagram in the node (read to first send / datagrams read): "
	       "p50 %.2f us, p99 %.2f us\n", svc_quantile(a->per, b->per, 0.5), svc_quantile(a->per, b->per, 0.99));
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dht_load --target IP:PORT [--pid PID] [--prefill N] [--peers P]\n"
		   "                [--duration S] [--window W] [--sources N] [--rate R]\n"
		   "                [--seed S] [--svc FILE]\n"
		   "--duration 0 stops after the prefill.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' }, { "pid", required_argument, NULL, 'p' },
		{ "prefill", required_argument, NULL, 'f' }, { "duration", required_argument, NULL, 'd' },
		{ "window", required_argument, NULL, 'w' }, { "sources", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' }, { "seed", required_argument, NULL, 'S' },
		{ "peers", required_argument, NULL, 'P' }, { "svc", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static struct load l;
	const char *target = NULL, *svc_path = NULL;
	int pid = 0;
	double secs = 5, rate = 5000;
	size_t window = 256;
	uint64_t seed = 1;
	l.sources = 60000;
	l.peers = 1;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'p': pid = (int)strtol(optarg, NULL, 10); break;
		case 'f': l.n_hashes = strtoul(optarg, NULL, 10); break;
		case 'd': secs = strtod(optarg, NULL); break;
		case 'w': window = strtoul(optarg, NULL, 10); break;
		case 's': l.sources = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'P': l.peers = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'v': svc_path = optarg; break;
		default: usage(stderr); return 2;
		}
	}
	char host[64];
	const char *colon = target ? strrchr(target, ':') : NULL;
	if (!colon || (size_t)(colon - target) >= sizeof(host) || window == 0 || window >= LOAD_SLOTS ||
	    l.sources == 0 || l.sources > 63u * 65536 || secs < 0 || rate <= 0 || l.peers == 0 ||
	    l.peers > l.sources || l.n_hashes * l.peers >= (1u << 31)) {
		usage(stderr);
		return 2;
	}
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	l.target.sin_family = AF_INET;
	l.target.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &l.target.sin_addr) != 1) {
		usage(stderr);
		return 2;
	}
	sim_rng_seed(&l.rng, seed);
	sim_rng_bytes(&l.rng, l.id, 20);
	l.n_pf = l.n_hashes * l.peers;
	l.pf = calloc(l.n_pf ? l.n_pf : 1, sizeof(*l.pf));
	const struct svc_hist *svc = svc_path ? svc_map(svc_path) : NULL;
	if (svc_path && !svc)
		fprintf(stderr, "dht_load: no service-time histogram in %s\n", svc_path);
	l.fd = socket(AF_INET, SOCK_DGRAM, 0);
	int big = 8 << 20;
	setsockopt(l.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(l.fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	struct sockaddr_in any = { .sin_family = AF_INET };
	if (!l.pf || l.fd < 0 || bind(l.fd, (struct sockaddr *)&any, sizeof(any)) != 0 ||
	    make_templates(&l) != 0) {
		perror("dht_load: socket");
		return 1;
	}
	long rss0 = pid ? rss_kib(pid) : -1;
	if (l.n_pf)
		prefill(&l, window);
	long rss1 = pid ? rss_kib(pid) : -1;
	if (pid && rss0 > 0 && rss1 > 0)
		printf("rss: %ld KiB before prefill, %ld KiB after (%+.1f bytes per stored infohash, "
		       "%+.1f per stored peer)\n", rss0, rss1,
		    l.n_hashes ? (double)(rss1 - rss0) * 1024.0 / (double)l.n_hashes : 0.0,
		    l.n_pf ? (double)(rss1 - rss0) * 1024.0 / (double)l.n_pf : 0.0);
	if (secs > 0) {
		struct svc_hist s0, s1;
		if (svc)
			memcpy(&s0, svc, sizeof(s0));
		double cpu0 = pid ? cpu_of(pid) : -1, w0 = now_s(), g0 = own_cpu();
		uint64_t answered0 = l.answered, sent0 = l.sent;
		run_closed(&l, secs, window);
		double cpu1 = pid ? cpu_of(pid) : -1, w1 = now_s(), g1 = own_cpu();
		if (svc)
			memcpy(&s1, svc, sizeof(s1));
		if (cpu0 >= 0 && cpu1 > cpu0)
			printf("node cpu: %.2f s over %.2f s (%.0f%% of one core), %.0f queries per node CPU second\n",
			    cpu1 - cpu0, w1 - w0, 100 * (cpu1 - cpu0) / (w1 - w0),
			    (double)(l.answered - answered0) / (cpu1 - cpu0));
		if (g1 > g0)
			printf("generator cpu: %.2f s (%.0f%% of one core), %.0f queries sent per generator CPU second\n",
			    g1 - g0, 100 * (g1 - g0) / (w1 - w0), (double)(l.sent - sent0) / (g1 - g0));
		if (svc)
			svc_report(&s0, &s1);
		run_open(&l, secs < 3 ? secs : 3, rate);
	}
	printf("errors: %llu KRPC error replies\n", (unsigned long long)l.errors);
	free(l.pf);
	free(l.rtts);
	close(l.fd);
	return 0;
}
