/*
 * dht_event.c: libevent adapter of libdht (see dht_event.h).
 *
 * Owns: the UDP sockets (one per family, non-blocking, IPV6_V6ONLY on the
 * IPv6 one) and their read events unless the caller owns the sockets
 * (cfg.dht.send set: datagrams come in through dht_ev_input and go out
 * through that hook), the periodic timer, the bootstrap timer,
 * the pending evdns requests, the evdns base when it made it, and the dht
 * instance. Every datagram is read into one static-size batch buffer and
 * handed to dht_input() before the next read, so no datagram is ever
 * buffered past its callback. Datagrams larger than DHT_EV_MAX_DATAGRAM
 * are truncated by the kernel and dropped here (MSG_TRUNC).
 */
#include "dht/dht_event.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <sodium.h>

#include "dht/krpc.h"

/* BEP 32 caps what nodes send at 1024 bytes but asks receivers to accept
 * more (BEP 44 values make up to KRPC_MAX_OUT_ITEM = 1452 bytes, ours and
 * libtorrent's); anything past a full Ethernet frame is not a DHT
 * message. */
#define DHT_EV_MAX_DATAGRAM KRPC_MAX_IN
/* Socket buffers. With the default (about 200 KiB) a node under load
 * answered 53k queries/s on loopback at 31 % of a core, each reply batch
 * waiting on a full send buffer; with 4 MiB it answered 174k/s at 93 %
 * (tests/bench/dht_load, window 256), as trackless-node does. */
#define DHT_EV_SOCKBUF (4 << 20)
/* Datagrams read per recvmmsg call, and per read callback (so one busy
 * socket cannot starve the timer and the other socket). */
#define DHT_EV_BATCH 32
/* The core sends at most 1024 bytes (BEP 32), or KRPC_MAX_OUT_ITEM for a
 * BEP 44 value (krpc.h); a larger datagram would bypass the send queue. */
#define DHT_EV_MAX_OUT KRPC_MAX_OUT_ITEM
#define DHT_EV_READS_PER_CB 256
/* Saved nodes get this long to fill the table before the built-in
 * routers are asked. A table that is not ready (fewer than 8 good nodes:
 * empty, or stuck in a small group that knows only itself) contacts the
 * bootstrap list again after DHT_EV_RETRY_MIN_MS, doubling up to
 * DHT_EV_RECHECK_MS (a lost bootstrap datagram must not leave a node
 * alone for a minute); a ready table is checked every DHT_EV_RECHECK_MS. */
#define DHT_EV_SAVED_GRACE_MS 5000
#define DHT_EV_RETRY_MIN_MS 1000
#define DHT_EV_RECHECK_MS 60000
/* Good nodes below which the saved state is not enough (notes §6.1.10). */
#define DHT_EV_MIN_GOOD 30
#define DHT_EV_DEFAULT_SAVE_MS 300000
/* Join refresh: once a family's table is ready, one find_node toward
 * each of the first DHT_EV_JOIN_BITS regions of the id space that differ
 * from our id (our id with bit i flipped, the rest random). The core's
 * own join is a lookup of our id, which only fills our neighbourhood;
 * without this a new node knows no far nodes until they happen to query
 * it, and lookups through it stall (tests/sim, doc/BENCHMARKS.md). */
#define DHT_EV_JOIN_BITS 16
#define DHT_EV_DEFAULT_PORT 6881

static const char *const default_routers[] = {
	"router.bittorrent.com:6881",
	"dht.transmissionbt.com:6881",
	"router.utorrent.com:6881",
	"dht.libtorrent.org:25401",
};

struct resolve_req {
	struct dht_ev *ev;
	struct evdns_getaddrinfo_request *req; /* NULL once answered */
	struct resolve_req *next;
	char host[256];
};

struct dht_ev {
	struct event_base *base;
	struct evdns_base *dns;
	bool is_own_dns;
	struct dht *dht;
	struct dht_config user; /* the caller's hooks (event, sha1, ud) */
	int fd[2];              /* [0] IPv4, [1] IPv6; -1 when absent */
	int family_mask;        /* the families with a socket, ours or the caller's */
	uint16_t port[2];
	struct event *rd[2];
	struct event *timer;
	struct event *boot_timer;
	int64_t boot_retry_ms; /* next delay while the table is empty */
	bool is_refreshed[2];  /* join refresh done, per family */
	char *bootstrap[DHT_EV_MAX_BOOTSTRAP];
	size_t n_bootstrap;
	bool has_saved_state;
	bool no_default_routers;
	char *state_path;
	uint32_t save_interval_ms;
	int64_t next_save_ms;
	struct resolve_req *resolving;
	uint8_t rbuf[DHT_EV_BATCH][DHT_EV_MAX_DATAGRAM]; /* one read batch */
	/* Replies produced while a read batch is handed to the core are
	 * queued and sent with one sendmmsg per batch (Linux). */
	bool is_batching;
	int nout;
	int out_fd[DHT_EV_BATCH];
	size_t out_len[DHT_EV_BATCH];
	socklen_t out_tolen[DHT_EV_BATCH];
	struct sockaddr_storage out_to[DHT_EV_BATCH];
	uint8_t out_buf[DHT_EV_BATCH][DHT_EV_MAX_OUT];
};

static void ev_log(struct dht_ev *ev, enum dht_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ev_log(struct dht_ev *ev, enum dht_log_level level, const char *fmt, ...)
{
	if (!ev->user.event)
		return;
	char line[512]; /* room for a path */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct dht_event e = { .type = DHT_EV_LOG, .level = level, .msg = line };
	ev->user.event(ev->user.ud, &e);
}

int64_t dht_ev_now(const struct dht_ev *ev)
{
	(void)ev;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int family_index(int af)
{
	return af == AF_INET6 ? 1 : 0;
}

/* A socket of family index fi exists, the adapter's or the caller's. */
static bool has_family(const struct dht_ev *ev, int fi)
{
	return (ev->family_mask & (fi ? DHT_F_INET6 : DHT_F_INET)) != 0;
}

/* ---- hooks given to the core ---- */

/* Sends the queued replies. A full socket buffer drops datagrams: the
 * core's timeouts are the retry, as for any datagram lost on the way. */
static void flush_out(struct dht_ev *ev)
{
#if defined(__linux__)
	struct mmsghdr m[DHT_EV_BATCH];
	struct iovec iov[DHT_EV_BATCH];
	int i = 0;
	while (i < ev->nout) {
		/* a run of datagrams for the same socket goes in one call */
		int j = i, n = 0;
		for (; j < ev->nout && ev->out_fd[j] == ev->out_fd[i]; j++, n++) {
			iov[n].iov_base = ev->out_buf[j];
			iov[n].iov_len = ev->out_len[j];
			memset(&m[n], 0, sizeof(m[n]));
			m[n].msg_hdr.msg_name = &ev->out_to[j];
			m[n].msg_hdr.msg_namelen = ev->out_tolen[j];
			m[n].msg_hdr.msg_iov = &iov[n];
			m[n].msg_hdr.msg_iovlen = 1;
		}
		for (int off = 0; off < n;) {
			int r = sendmmsg(ev->out_fd[i], m + off, (unsigned)(n - off), 0);
			if (r <= 0) {
				off++; /* skip the datagram the kernel refused */
				continue;
			}
			off += r;
		}
		i = j;
	}
#endif
	ev->nout = 0;
}

static int send_hook(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	struct dht_ev *ev = ud;
	int fd = ev->fd[family_index(to->sa_family)];
	if (fd < 0)
		return -1;
#if defined(__linux__)
	if (ev->is_batching && len <= DHT_EV_MAX_OUT && tolen <= sizeof(ev->out_to[0])) {
		int i = ev->nout++;
		ev->out_fd[i] = fd;
		ev->out_len[i] = len;
		ev->out_tolen[i] = tolen;
		memcpy(&ev->out_to[i], to, tolen);
		memcpy(ev->out_buf[i], buf, len);
		if (ev->nout == DHT_EV_BATCH)
			flush_out(ev);
		return 0;
	}
#endif
	if (sendto(fd, buf, len, 0, to, tolen) < 0)
		return -1;
	return 0;
}

/* The caller's sockets: its hook, with its ud. */
static int external_send_hook(void *ud, const struct sockaddr *to, socklen_t tolen,
    const uint8_t *buf, size_t len)
{
	struct dht_ev *ev = ud;
	return ev->user.send(ev->user.ud, to, tolen, buf, len);
}

static void random_hook(void *ud, void *buf, size_t n)
{
	(void)ud;
	randombytes_buf(buf, n);
}

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	struct dht_ev *ev = ud;
	ev->user.sha1(ev->user.ud, out, p, n);
}

static void event_hook(void *ud, const struct dht_event *e)
{
	struct dht_ev *ev = ud;
	ev->user.event(ev->user.ud, e);
}

/* ---- join refresh ---- */

static void refresh_region(struct dht_ev *ev, int af, unsigned bit)
{
	struct dht_id t = *dht_my_id(ev->dht, af);
	randombytes_buf(t.b + bit / 8 + 1, sizeof(t.b) - bit / 8 - 1);
	t.b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
	(void)dht_find_node(ev->dht, &t, af, NULL, NULL, dht_ev_now(ev), NULL);
}

static void join_refresh(struct dht_ev *ev)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	for (int i = 0; i < 2; i++) {
		if (ev->is_refreshed[i] || !has_family(ev, i) || !dht_is_ready(ev->dht, fams[i]))
			continue;
		ev->is_refreshed[i] = true;
		for (unsigned bit = 0; bit < DHT_EV_JOIN_BITS; bit++)
			refresh_region(ev, fams[i], bit);
	}
}

/* ---- timer ---- */

static void arm(struct dht_ev *ev, int64_t at_ms)
{
	int64_t d = at_ms - dht_ev_now(ev);
	if (d < 0)
		d = 0;
	struct timeval tv = { .tv_sec = (time_t)(d / 1000), .tv_usec = (suseconds_t)(d % 1000) * 1000 };
	evtimer_add(ev->timer, &tv);
}

void dht_ev_kick(struct dht_ev *ev)
{
	int64_t now = dht_ev_now(ev);
	int64_t next = dht_periodic(ev->dht, now);
	if (ev->state_path && next > ev->next_save_ms)
		next = ev->next_save_ms;
	arm(ev, next);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dht_ev *ev = arg;
	if (!ev->is_refreshed[0] || !ev->is_refreshed[1])
		join_refresh(ev);
	if (ev->state_path && dht_ev_now(ev) >= ev->next_save_ms) {
		dht_ev_save(ev);
		ev->next_save_ms = dht_ev_now(ev) + ev->save_interval_ms;
	}
	dht_ev_kick(ev);
}

/* ---- reading ---- */

static void input_one(struct dht_ev *ev, const struct sockaddr_storage *from, socklen_t fromlen,
    const uint8_t *buf, size_t len, int flags, int64_t now)
{
	if (flags & MSG_TRUNC)
		return;
	dht_input(ev->dht, (const struct sockaddr *)from, fromlen, buf, len, now);
}

#if defined(__linux__)
/* Linux: recvmmsg reads a batch per system call. Returns datagrams read,
 * 0 when the socket is drained, -1 on error. */
static int read_batch(struct dht_ev *ev, int fd)
{
	uint8_t (*bufs)[DHT_EV_MAX_DATAGRAM] = ev->rbuf;
	struct sockaddr_storage from[DHT_EV_BATCH];
	struct iovec iov[DHT_EV_BATCH];
	struct mmsghdr msgs[DHT_EV_BATCH];
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < DHT_EV_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = DHT_EV_MAX_DATAGRAM;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	int n = recvmmsg(fd, msgs, DHT_EV_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	int64_t now = dht_ev_now(ev);
	for (int i = 0; i < n; i++)
		input_one(ev, &from[i], msgs[i].msg_hdr.msg_namelen, bufs[i], msgs[i].msg_len,
		    msgs[i].msg_hdr.msg_flags, now);
	return n;
}
#else
static int read_batch(struct dht_ev *ev, int fd)
{
	uint8_t *buf = ev->rbuf[0];
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = DHT_EV_MAX_DATAGRAM };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
		.msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
	input_one(ev, &from, msg.msg_namelen, buf, (size_t)n, msg.msg_flags, dht_ev_now(ev));
	return 1;
}
#endif

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct dht_ev *ev = arg;
	int total = 0;
	ev->is_batching = true;
	while (total < DHT_EV_READS_PER_CB) {
		int n = read_batch(ev, fd);
		flush_out(ev);
		if (n < 0) {
			/* ICMP errors (port unreachable) surface here on Linux;
			 * they are per-datagram and not fatal for the socket */
			if (errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH)
				ev_log(ev, DHT_LOG_WARN, "dht: recv: %s", strerror(errno));
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	ev->is_batching = false;
	/* No dht_periodic() here: input never needs an earlier wake-up than
	 * the armed timer (at most a second ahead; replies drive lookups
	 * from inside dht_input), and skipping it halves the per-datagram
	 * cost under load. */
	(void)total;
}

/* ---- sockets ---- */

static int open_socket(struct dht_ev *ev, int af, const char *addr, uint16_t port)
{
	int fi = family_index(af);
	struct sockaddr_storage ss;
	socklen_t sslen;
	memset(&ss, 0, sizeof(ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
			ev_log(ev, DHT_LOG_WARN, "dht: bad IPv4 bind address '%s'", addr);
			errno = EINVAL;
			return -2;
		}
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1) {
			ev_log(ev, DHT_LOG_WARN, "dht: bad IPv6 bind address '%s'", addr);
			errno = EINVAL;
			return -2;
		}
		sslen = sizeof(*sin6);
	}
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ev_log(ev, DHT_LOG_WARN, "dht: socket(%s): %s", af == AF_INET ? "IPv4" : "IPv6",
		    strerror(errno));
		return -1;
	}
	int one = 1, sockbuf = DHT_EV_SOCKBUF;
	/* hints: the kernel caps them at net.core.[rw]mem_max */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof(sockbuf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof(sockbuf));
	/* the v6 socket serves v6 only: v4 goes through its own socket and
	 * table, and the core refuses v4-mapped addresses */
	if (af == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
		ev_log(ev, DHT_LOG_WARN, "dht: IPV6_V6ONLY: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
		ev_log(ev, DHT_LOG_WARN, "dht: bind %s port %u: %s", addr, port, strerror(errno));
		close(fd);
		return -1;
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		ev->port[fi] = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
		                                   : ((struct sockaddr_in6 *)&ss)->sin6_port);
	ev->fd[fi] = fd;
	ev->rd[fi] = event_new(ev->base, fd, EV_READ | EV_PERSIST, read_cb, ev);
	if (!ev->rd[fi] || event_add(ev->rd[fi], NULL) != 0)
		return -3;
	return 0;
}

/* Opens the sockets asked for; returns the family mask that got one, or
 * -1 after a fatal failure (with *err_out set). */
static int open_sockets(struct dht_ev *ev, const struct dht_ev_config *cfg, enum dht_err *err_out)
{
	int want = cfg->dht.family_mask ? cfg->dht.family_mask : (DHT_F_INET | DHT_F_INET6);
	int got = 0;
	uint16_t port = cfg->port;
	if (want & DHT_F_INET) {
		int r = open_socket(ev, AF_INET, cfg->bind_v4 ? cfg->bind_v4 : "0.0.0.0", port);
		if (r == 0) {
			got |= DHT_F_INET;
			port = ev->port[0];
		} else if (r == -2 || r == -3 || want == DHT_F_INET) {
			*err_out = r == -2 ? DHT_EINVAL : r == -3 ? DHT_ENOMEM : DHT_EIO;
			return -1;
		}
	}
	if (want & DHT_F_INET6) {
		int r = open_socket(ev, AF_INET6, cfg->bind_v6 ? cfg->bind_v6 : "::", port);
		/* a host without IPv6 still runs the IPv4 DHT, unless the
		 * caller asked for this family explicitly */
		if (r == 0)
			got |= DHT_F_INET6;
		else if (r == -2 || r == -3 || cfg->bind_v6 || !got) {
			*err_out = r == -2 ? DHT_EINVAL : r == -3 ? DHT_ENOMEM : DHT_EIO;
			return -1;
		}
	}
	return got;
}

uint16_t dht_ev_port(const struct dht_ev *ev, int af)
{
	int fi = family_index(af);
	return has_family(ev, fi) ? ev->port[fi] : 0;
}

/* ---- bootstrap ---- */

int dht_ev_parse_hostport(const char *s, char *host, size_t hostcap, uint16_t *port_out)
{
	const char *h = s, *colon = NULL;
	size_t hlen;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -1;
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1] != '\0')
			return -1;
	} else {
		colon = strrchr(s, ':');
		/* more than one colon without brackets: a bare IPv6 address */
		if (colon && strchr(s, ':') != colon)
			colon = NULL;
		hlen = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hlen == 0 || hlen >= hostcap)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port_out = DHT_EV_DEFAULT_PORT;
	if (colon) {
		char *end;
		errno = 0;
		unsigned long p = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 || p == 0 || p > 65535)
			return -1;
		*port_out = (uint16_t)p;
	}
	return 0;
}

static void resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve_req *rq = arg;
	struct dht_ev *ev = rq->ev;
	rq->req = NULL;
	if (result == EVUTIL_EAI_CANCEL) {
		/* the adapter is being freed; it unlinks and frees rq */
		return;
	}
	if (result != 0) {
		ev_log(ev, DHT_LOG_INFO, "dht: bootstrap %s: %s", rq->host, evutil_gai_strerror(result));
	} else {
		int n = 0;
		for (struct evutil_addrinfo *ai = res; ai; ai = ai->ai_next) {
			if (!has_family(ev, family_index(ai->ai_family)))
				continue;
			if (dht_add_node(ev->dht, ai->ai_addr, (socklen_t)ai->ai_addrlen, dht_ev_now(ev)) == DHT_OK)
				n++;
		}
		ev_log(ev, DHT_LOG_INFO, "dht: bootstrap %s: %d address(es)", rq->host, n);
		dht_ev_kick(ev);
	}
	if (res)
		evutil_freeaddrinfo(res);
	/* answered: rq is done whether this runs inside evdns_getaddrinfo()
	 * or later from the loop */
	for (struct resolve_req **pp = &ev->resolving; *pp; pp = &(*pp)->next) {
		if (*pp == rq) {
			*pp = rq->next;
			free(rq);
			return;
		}
	}
}

static void bootstrap_host(struct dht_ev *ev, const char *hostport)
{
	char port_s[8];
	uint16_t port;
	struct resolve_req *rq = calloc(1, sizeof(*rq));
	if (!rq)
		return;
	if (dht_ev_parse_hostport(hostport, rq->host, sizeof(rq->host), &port) != 0) {
		free(rq);
		return;
	}
	snprintf(port_s, sizeof(port_s), "%u", port);
	if (!ev->dns) {
		ev->dns = evdns_base_new(ev->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
		ev->is_own_dns = true;
		if (!ev->dns) {
			/* no resolv.conf: numeric hosts still work through a bare base */
			ev->dns = evdns_base_new(ev->base, 0);
			if (!ev->dns) {
				free(rq);
				return;
			}
		}
	}
	struct evutil_addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	rq->ev = ev;
	rq->next = ev->resolving;
	ev->resolving = rq;
	/* an immediate answer (numeric host, error) runs resolved_cb inside
	 * this call, which frees rq: only a pending request may be stored */
	struct evdns_getaddrinfo_request *pending =
	    evdns_getaddrinfo(ev->dns, rq->host, port_s, &hints, resolved_cb, rq);
	if (pending)
		rq->req = pending;
}

static void bootstrap_all(struct dht_ev *ev, bool use_defaults)
{
	if (ev->n_bootstrap > 0) {
		for (size_t i = 0; i < ev->n_bootstrap; i++)
			bootstrap_host(ev, ev->bootstrap[i]);
	} else if (use_defaults && !ev->no_default_routers) {
		for (size_t i = 0; i < sizeof(default_routers) / sizeof(default_routers[0]); i++)
			bootstrap_host(ev, default_routers[i]);
	}
}

static size_t good_nodes(const struct dht_ev *ev)
{
	struct dht_stats st;
	dht_get_stats(ev->dht, &st);
	return st.nodes_good[0] + st.nodes_good[1];
}

static bool is_ready(const struct dht_ev *ev)
{
	return (has_family(ev, 0) && dht_is_ready(ev->dht, AF_INET)) ||
	    (has_family(ev, 1) && dht_is_ready(ev->dht, AF_INET6));
}

static void boot_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dht_ev *ev = arg;
	size_t good = good_nodes(ev);
	int64_t next = DHT_EV_RECHECK_MS;
	if (ev->has_saved_state && good < DHT_EV_MIN_GOOD) {
		/* the saved nodes were not enough: ask the routers once */
		ev->has_saved_state = false;
		bootstrap_all(ev, true);
	} else if (!is_ready(ev)) {
		bootstrap_all(ev, true);
		next = ev->boot_retry_ms;
		ev->boot_retry_ms = next * 2 < DHT_EV_RECHECK_MS ? next * 2 : DHT_EV_RECHECK_MS;
	} else {
		ev->boot_retry_ms = DHT_EV_RETRY_MIN_MS;
	}
	struct timeval tv = { .tv_sec = (time_t)(next / 1000), .tv_usec = (suseconds_t)(next % 1000) * 1000 };
	evtimer_add(ev->boot_timer, &tv);
}

/* ---- life cycle ---- */

int dht_ev_save(struct dht_ev *ev)
{
	if (!ev->state_path)
		return DHT_EINVAL;
	int r = dht_save_file(ev->dht, ev->state_path);
	if (r != DHT_OK)
		ev_log(ev, DHT_LOG_WARN, "dht: saving %s: %s", ev->state_path, dht_strerror(r));
	return r;
}

static void load_state(struct dht_ev *ev)
{
	if (!ev->state_path)
		return;
	int r = dht_load_file(ev->dht, ev->state_path, dht_ev_now(ev));
	if (r == DHT_OK) {
		ev->has_saved_state = true;
		ev_log(ev, DHT_LOG_INFO, "dht: loaded state from %s", ev->state_path);
	} else if (!(r == DHT_EIO && errno == ENOENT)) {
		/* A missing file is a first start; anything else costs the
		 * saved id and nodes, which the user should hear about once. */
		const char *why = r == DHT_EIO ? strerror(errno) :
		    r == DHT_EMALFORMED ? "damaged or not a DHT state file" : dht_strerror(r);
		ev_log(ev, DHT_LOG_WARN, "dht: state file %s ignored (%s); starting without it, "
		    "it will be replaced at the next save", ev->state_path, why);
	}
}

static int copy_config(struct dht_ev *ev, const struct dht_ev_config *cfg)
{
	if (cfg->n_bootstrap > DHT_EV_MAX_BOOTSTRAP)
		return DHT_EINVAL;
	for (size_t i = 0; i < cfg->n_bootstrap; i++) {
		char host[256];
		uint16_t port;
		if (dht_ev_parse_hostport(cfg->bootstrap[i], host, sizeof(host), &port) != 0) {
			ev_log(ev, DHT_LOG_WARN, "dht: bad bootstrap '%s' (want HOST:PORT)", cfg->bootstrap[i]);
			return DHT_EINVAL;
		}
		if (!(ev->bootstrap[i] = strdup(cfg->bootstrap[i])))
			return DHT_ENOMEM;
		ev->n_bootstrap = i + 1;
	}
	if (cfg->state_path && !(ev->state_path = strdup(cfg->state_path)))
		return DHT_ENOMEM;
	ev->no_default_routers = cfg->no_default_routers;
	ev->save_interval_ms = cfg->save_interval_ms ? cfg->save_interval_ms : DHT_EV_DEFAULT_SAVE_MS;
	return DHT_OK;
}

struct dht_ev *dht_ev_new(struct event_base *base, const struct dht_ev_config *cfg,
    enum dht_err *err_out)
{
	enum dht_err err = DHT_ENOMEM;
	if (sodium_init() < 0) {
		err = DHT_EIO;
		goto out_early;
	}
	struct dht_ev *ev = calloc(1, sizeof(*ev));
	if (!ev)
		goto out_early;
	ev->base = base;
	ev->fd[0] = ev->fd[1] = -1;
	ev->user = cfg->dht;
	ev->dns = cfg->dns;
	if ((err = copy_config(ev, cfg)) != DHT_OK)
		goto out;
	err = DHT_ENOMEM;
	if (!(ev->timer = evtimer_new(base, timer_cb, ev)) ||
	    !(ev->boot_timer = evtimer_new(base, boot_timer_cb, ev)))
		goto out;
	bool is_external = cfg->dht.send != NULL;
	int got;
	if (is_external) {
		got = cfg->dht.family_mask ? cfg->dht.family_mask : (DHT_F_INET | DHT_F_INET6);
		ev->port[0] = ev->port[1] = cfg->port;
	} else if ((got = open_sockets(ev, cfg, &err)) < 0) {
		goto out;
	}
	ev->family_mask = got;
	struct dht_config dc = cfg->dht;
	dc.family_mask = got;
	dc.send = is_external ? external_send_hook : send_hook;
	dc.random = random_hook;
	dc.sha1 = cfg->dht.sha1 ? sha1_hook : NULL;
	dc.event = cfg->dht.event ? event_hook : NULL;
	dc.ud = ev;
	int64_t now = dht_ev_now(ev);
	if (!(ev->dht = dht_new(&dc, now, &err)))
		goto out;
	load_state(ev);
	ev->next_save_ms = now + ev->save_interval_ms;
	bootstrap_all(ev, !ev->has_saved_state);
	ev->boot_retry_ms = 2 * DHT_EV_RETRY_MIN_MS;
	struct timeval tv = { .tv_sec = ev->has_saved_state ? DHT_EV_SAVED_GRACE_MS / 1000
	                                                    : DHT_EV_RETRY_MIN_MS / 1000 };
	evtimer_add(ev->boot_timer, &tv);
	dht_ev_kick(ev);
	if (err_out)
		*err_out = DHT_OK;
	return ev;
out:
	dht_ev_free(ev);
out_early:
	if (err_out)
		*err_out = err;
	return NULL;
}

void dht_ev_free(struct dht_ev *ev)
{
	if (!ev)
		return;
	if (ev->dht && ev->state_path)
		dht_ev_save(ev);
	while (ev->resolving) {
		struct resolve_req *rq = ev->resolving;
		ev->resolving = rq->next;
		if (rq->req)
			evdns_getaddrinfo_cancel(rq->req);
		free(rq);
	}
	for (int i = 0; i < 2; i++) {
		if (ev->rd[i])
			event_free(ev->rd[i]);
		if (ev->fd[i] >= 0)
			close(ev->fd[i]);
	}
	if (ev->timer)
		event_free(ev->timer);
	if (ev->boot_timer)
		event_free(ev->boot_timer);
	if (ev->is_own_dns)
		evdns_base_free(ev->dns, 0);
	dht_free(ev->dht);
	for (size_t i = 0; i < ev->n_bootstrap; i++)
		free(ev->bootstrap[i]);
	free(ev->state_path);
	free(ev);
}

struct dht *dht_ev_dht(struct dht_ev *ev)
{
	return ev->dht;
}

int dht_ev_input(struct dht_ev *ev, const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen)
{
	return dht_input(ev->dht, from, fromlen, buf, len, dht_ev_now(ev));
}
