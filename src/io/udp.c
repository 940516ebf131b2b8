/*
 * udp.c: the session's UDP port (see udp.h).
 *
 * Invariants: fd[i] >= 0 exactly when rd[i] watches it; rbuf holds one
 * read batch and nothing in it outlives the consumer calls of that batch;
 * consumers[TL_UDP_OTHER] is never set.
 */
#include "io/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"

/* An unexpected receive error is logged at most this often. */
#define RECV_LOG_INTERVAL_MS 60000u

struct consumer {
	tl_udp_input_fn fn;
	void *arg;
};

struct tl_udp {
	struct event_base *base;
	int fd[2];              /* [0] IPv4, [1] IPv6; -1 when absent */
	uint16_t port[2];
	struct event *rd[2];
	tl_udp_sendto_fn sendto_fn;
	struct consumer consumers[TL_UDP_NKINDS];
	struct tl_udp_stats st;
	struct tl_log_limit recv_log;
	uint8_t rbuf[TL_UDP_BATCH][TL_MAX_UDP_DATAGRAM];
};

enum tl_udp_kind tl_udp_classify(const uint8_t *p, size_t len)
{
	if (len == 0)
		return TL_UDP_OTHER;
	if (p[0] == 'd')
		return TL_UDP_DHT;
	if ((p[0] & 0x0f) == 1 && (p[0] >> 4) <= 4)
		return len >= TL_UDP_UTP_HEADER ? TL_UDP_UTP : TL_UDP_OTHER;
	if (len >= TL_UDP_TRACKER_MIN && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] <= 3)
		return TL_UDP_TRACKER;
	return TL_UDP_OTHER;
}

const char *tl_udp_kind_name(enum tl_udp_kind kind)
{
	static const char *const names[TL_UDP_NKINDS] = { "other", "dht", "utp", "tracker" };
	return (unsigned)kind < TL_UDP_NKINDS ? names[kind] : "other";
}

static int family_index(int af)
{
	return af == AF_INET ? 0 : af == AF_INET6 ? 1 : -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- receiving ---- */

void tl_udp_dispatch(struct tl_udp *u, const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen)
{
	enum tl_udp_kind k = tl_udp_classify(buf, len);
	const struct consumer *c = &u->consumers[k];
	if (!c->fn) {
		u->st.kind[k].in_dropped++;
		return;
	}
	u->st.kind[k].in++;
	c->fn(c->arg, buf, len, from, fromlen);
}

static void deliver(struct tl_udp *u, const uint8_t *buf, size_t len, int flags,
    const struct sockaddr_storage *from, socklen_t fromlen)
{
	if (flags & MSG_TRUNC) {
		/* longer than any protocol here accepts: never hand it on cut */
		u->st.kind[tl_udp_classify(buf, len)].in_dropped++;
		return;
	}
	tl_udp_dispatch(u, buf, len, (const struct sockaddr *)from, fromlen);
}

/* A failed read: ICMP errors (port unreachable after one of our sends)
 * surface here on Linux; they concern one datagram, not the socket. */
static void recv_error(struct tl_udp *u)
{
	int e = errno;
	if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR || e == ECONNREFUSED || e == EHOSTUNREACH ||
	    e == ENETUNREACH)
		return;
	uint64_t dropped;
	char more[TL_LOG_MORE_LEN];
	if (tl_log_limit_pass(&u->recv_log, mono_ms(), RECV_LOG_INTERVAL_MS, &dropped))
		tl_warn("udp: recv: %s%s", strerror(e), tl_log_more(dropped, more));
}

#if defined(__linux__)
/* Reads one batch with recvmmsg. Returns the datagrams read, 0 when the
 * socket is drained or failed. */
static int read_batch(struct tl_udp *u, int fd)
{
	struct sockaddr_storage from[TL_UDP_BATCH];
	struct iovec iov[TL_UDP_BATCH];
	struct mmsghdr m[TL_UDP_BATCH];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < TL_UDP_BATCH; i++) {
		iov[i].iov_base = u->rbuf[i];
		iov[i].iov_len = sizeof(u->rbuf[i]);
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		m[i].msg_hdr.msg_name = &from[i];
		m[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	int n = recvmmsg(fd, m, TL_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		recv_error(u);
		return 0;
	}
	for (int i = 0; i < n; i++)
		deliver(u, u->rbuf[i], m[i].msg_len, m[i].msg_hdr.msg_flags, &from[i],
		    m[i].msg_hdr.msg_namelen);
	return n;
}
#else
static int read_batch(struct tl_udp *u, int fd)
{
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = u->rbuf[0], .iov_len = sizeof(u->rbuf[0]) };
	struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
		.msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		recv_error(u);
		return 0;
	}
	deliver(u, u->rbuf[0], (size_t)n, msg.msg_flags, &from, msg.msg_namelen);
	return 1;
}
#endif

/* Bounded: what is left after TL_UDP_READS_PER_CB waits for the next
 * wakeup (the socket stays readable), so timers and the other socket get
 * their turn. */
static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct tl_udp *u = arg;
	for (int total = 0; total < TL_UDP_READS_PER_CB;) {
		int n = read_batch(u, fd);
		if (n == 0)
			break;
		total += n;
	}
}

/* ---- sending ---- */

/* sendto(2) behind the hook's type (glibc's own prototype may take a
 * transparent union). */
static ssize_t sys_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
    socklen_t tolen)
{
	return sendto(fd, buf, len, flags, to, tolen);
}

int tl_udp_send(struct tl_udp *u, enum tl_udp_kind kind, const uint8_t *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	struct tl_udp_count *c = &u->st.kind[(unsigned)kind < TL_UDP_NKINDS ? kind : TL_UDP_OTHER];
	int fi = family_index(to->sa_family);
	if (fi < 0 || u->fd[fi] < 0 || u->sendto_fn(u->fd[fi], buf, len, MSG_DONTWAIT, to, tolen) < 0) {
		c->out_dropped++;
		return -1;
	}
	c->out++;
	return 0;
}

/* ---- sockets ---- */

/* Binds family index fi's socket to sa. Returns 0, or -1 (logged). */
static int open_one(struct tl_udp *u, const struct sockaddr *sa, socklen_t salen)
{
	int fi = family_index(sa->sa_family);
	const char *fam = fi ? "IPv6" : "IPv4";
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tl_warn("udp: socket(%s): %s", fam, strerror(errno));
		return -1;
	}
	int one = 1, sockbuf = TL_UDP_SOCKBUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof(sockbuf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof(sockbuf));
	/* IPv4 has its own socket: the DHT keeps one table per family and
	 * refuses v4-mapped addresses */
	if (fi == 1 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
		tl_warn("udp: IPV6_V6ONLY: %s", strerror(errno));
		close(fd);
		return -1;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	if (bind(fd, sa, salen) != 0 || getsockname(fd, (struct sockaddr *)&bound, &blen) != 0) {
		tl_warn("udp: bind %s port %u: %s", fam,
		    ntohs(fi ? ((const struct sockaddr_in6 *)sa)->sin6_port : ((const struct sockaddr_in *)sa)->sin_port),
		    strerror(errno));
		close(fd);
		return -1;
	}
	u->port[fi] = ntohs(fi ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                       : ((struct sockaddr_in *)&bound)->sin_port);
	u->fd[fi] = fd;
	u->rd[fi] = event_new(u->base, fd, EV_READ | EV_PERSIST, read_cb, u);
	if (!u->rd[fi] || event_add(u->rd[fi], NULL) != 0)
		abort(); /* out of memory: see mem.h */
	return 0;
}

struct tl_udp *tl_udp_new(struct event_base *base, const struct tl_udp_opts *o, const char **why_out)
{
	struct tl_udp *u = tl_calloc(1, sizeof(*u));
	u->base = base;
	u->fd[0] = u->fd[1] = -1;
	u->sendto_fn = o->sendto_fn ? o->sendto_fn : sys_sendto;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(o->port) };
	a6.sin6_addr = in6addr_any;
	if (o->bind) {
		int r = -1;
		if (inet_pton(AF_INET, o->bind, &a4.sin_addr) == 1)
			r = open_one(u, (struct sockaddr *)&a4, sizeof(a4));
		else if (inet_pton(AF_INET6, o->bind, &a6.sin6_addr) == 1)
			r = open_one(u, (struct sockaddr *)&a6, sizeof(a6));
		else {
			*why_out = "the UDP bind address is not a numeric IPv4 or IPv6 address";
			goto fail;
		}
		if (r != 0)
			goto fail_bind;
		return u;
	}
	/* IPv6 takes the port IPv4 got; a host without one family runs on
	 * the other */
	if (open_one(u, (struct sockaddr *)&a4, sizeof(a4)) == 0)
		a6.sin6_port = htons(u->port[0]);
	if (open_one(u, (struct sockaddr *)&a6, sizeof(a6)) != 0 && u->fd[0] < 0)
		goto fail_bind;
	if (u->fd[0] < 0 || u->fd[1] < 0)
		tl_info("udp: no %s socket", u->fd[0] < 0 ? "IPv4" : "IPv6");
	return u;
fail_bind:
	*why_out = "cannot bind the UDP port";
fail:
	tl_udp_free(u);
	return NULL;
}

void tl_udp_free(struct tl_udp *u)
{
	if (!u)
		return;
	for (int i = 0; i < 2; i++) {
		if (u->rd[i])
			event_free(u->rd[i]);
		if (u->fd[i] >= 0)
			close(u->fd[i]);
	}
	free(u);
}

void tl_udp_set_consumer(struct tl_udp *u, enum tl_udp_kind kind, tl_udp_input_fn fn, void *arg)
{
	if (kind <= TL_UDP_OTHER || kind >= TL_UDP_NKINDS)
		abort(); /* a programmer error: OTHER is what nobody takes */
	u->consumers[kind] = (struct consumer){ fn, arg };
}

uint16_t tl_udp_port(const struct tl_udp *u, int af)
{
	int fi = family_index(af);
	return fi >= 0 && u->fd[fi] >= 0 ? u->port[fi] : 0;
}

bool tl_udp_has_family(const struct tl_udp *u, int af)
{
	int fi = family_index(af);
	return fi >= 0 && u->fd[fi] >= 0;
}

void tl_udp_stats(const struct tl_udp *u, struct tl_udp_stats *out)
{
	*out = u->st;
}
