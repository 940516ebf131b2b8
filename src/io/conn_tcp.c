/*
 * conn_tcp.c: the TCP transport of conn.h over a libevent bufferevent.
 *
 * The bufferevent owns the socket (BEV_OPT_CLOSE_ON_FREE) and does the
 * writing and connecting. Reading is the conn's own unless it is rate
 * limited: libevent 2.1's evbuffer_read moves at most 4 KiB a call (a
 * read, an ioctl and an epoll_wait per 4 KiB of blocks), so sock_read_cb
 * reads up to MAX_SINGLE_IO bytes with one readv into the bufferevent's
 * input. In a rate group the bufferevent reads instead, since the group
 * meters only the bufferevent's own reads.
 *
 * Thread: the loop thread only.
 */
#include "io/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "io/conn_impl.h"
#include "base/log.h"
#include "base/mem.h"

/* Bytes one read or write system call may move (bufferevent writes 16
 * KiB a call by default). */
#define MAX_SINGLE_IO (256u * 1024)

struct conn_tcp {
	struct tl_conn c; /* first: the conn.h handle */
	struct bufferevent *bev;
	struct evbuffer *in, *out; /* the bufferevent's */
	struct event *rev;         /* own reads of the socket */
	size_t read_max;
	int read_timeout_s, write_timeout_s;
	bool is_bev_read;          /* in a rate group: the bufferevent reads */
	bool is_reading;
};

static struct conn_tcp *tcp_of(struct tl_conn *c)
{
	return (struct conn_tcp *)c;
}

static const struct conn_tcp *ctcp_of(const struct tl_conn *c)
{
	return (const struct conn_tcp *)c;
}

static void read_timeout(const struct conn_tcp *t, struct timeval *tv)
{
	tv->tv_sec = t->read_timeout_s;
	tv->tv_usec = 0;
}

/* ---- libevent callbacks ---- */

/* The socket is readable (or idle too long): read up to MAX_SINGLE_IO
 * bytes, within read_max, into the input. */
static void sock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn_tcp *t = arg;
	if (what & EV_TIMEOUT) {
		conn_cb_event(&t->c, TL_CONN_EV_TIMEOUT, "read timeout");
		return;
	}
	size_t have = evbuffer_get_length(t->in);
	if (have >= t->read_max) {
		conn_cb_event(&t->c, TL_CONN_EV_ERROR, "input buffer full");
		return;
	}
	size_t want = t->read_max - have;
	if (want > MAX_SINGLE_IO)
		want = MAX_SINGLE_IO;
	/* The bufferevent keeps its input's end frozen outside its own reads. */
	evbuffer_unfreeze(t->in, 0);
	struct evbuffer_iovec v[2];
	int nv = evbuffer_reserve_space(t->in, (ev_ssize_t)want, v, 2);
	if (nv <= 0)
		abort(); /* out of memory */
	struct iovec iov[2];
	size_t room = want;
	int niov = 0;
	for (int i = 0; i < nv && room > 0; i++, niov++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len < room ? v[i].iov_len : room;
		room -= iov[i].iov_len;
	}
	ssize_t n = readv(fd, iov, niov);
	int saved = errno;
	if (n <= 0) {
		evbuffer_commit_space(t->in, v, 0);
		evbuffer_freeze(t->in, 0);
		if (n == 0)
			conn_cb_event(&t->c, TL_CONN_EV_EOF, "connection closed by peer");
		else if (saved != EAGAIN && saved != EWOULDBLOCK && saved != EINTR)
			conn_cb_event(&t->c, TL_CONN_EV_ERROR, strerror(saved));
		return;
	}
	size_t left = (size_t)n;
	int used = 0;
	for (; used < niov && left > 0; used++) {
		v[used].iov_len = iov[used].iov_len < left ? iov[used].iov_len : left;
		left -= v[used].iov_len;
	}
	evbuffer_commit_space(t->in, v, used);
	evbuffer_freeze(t->in, 0);
	conn_cb_read(&t->c);
}

static void bev_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct conn_tcp *t = arg;
	conn_cb_read(&t->c);
}

static void bev_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct conn_tcp *t = arg;
	conn_cb_writable(&t->c);
}

static void set_nodelay(struct conn_tcp *t)
{
	int one = 1;
	setsockopt(bufferevent_getfd(t->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void bev_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct conn_tcp *t = arg;
	if (what & BEV_EVENT_CONNECTED) {
		set_nodelay(t);
		conn_cb_event(&t->c, TL_CONN_EV_CONNECTED, "connected");
	} else if (what & BEV_EVENT_TIMEOUT) {
		conn_cb_event(&t->c, TL_CONN_EV_TIMEOUT,
		    what & BEV_EVENT_READING ? "read timeout" : "write timeout");
	} else if (what & BEV_EVENT_EOF) {
		conn_cb_event(&t->c, TL_CONN_EV_EOF, "connection closed by peer");
	} else if (what & BEV_EVENT_ERROR) {
		conn_cb_event(&t->c, TL_CONN_EV_ERROR,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
}

/* Output bytes leaving for the socket. */
static void out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	struct conn_tcp *t = arg;
	if (info->n_deleted)
		conn_cb_sent(&t->c, info->n_deleted);
}

/* ---- the vtable ---- */

static void tcp_free(struct tl_conn *c)
{
	struct conn_tcp *t = tcp_of(c);
	evbuffer_remove_cb(t->out, out_cb, t);
	bufferevent_free(t->bev);
	event_free(t->rev);
	free(t);
}

static void tcp_stop(struct tl_conn *c)
{
	struct conn_tcp *t = tcp_of(c);
	bufferevent_disable(t->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(t->bev, NULL, NULL, NULL, NULL);
	event_del(t->rev);
	t->is_reading = false;
}

static size_t tcp_in_len(const struct tl_conn *c)
{
	return evbuffer_get_length(ctcp_of(c)->in);
}

static const uint8_t *tcp_peek(struct tl_conn *c, size_t n)
{
	return evbuffer_pullup(tcp_of(c)->in, (ev_ssize_t)n);
}

static void tcp_take(struct tl_conn *c, void *dst, size_t n)
{
	if (evbuffer_remove(tcp_of(c)->in, dst, n) != (int)n)
		abort(); /* the caller asked for more than tl_conn_in_len */
}

static void tcp_drain(struct tl_conn *c, size_t n)
{
	evbuffer_drain(tcp_of(c)->in, n);
}

static void tcp_write(struct tl_conn *c, const void *b, size_t n)
{
	if (bufferevent_write(tcp_of(c)->bev, b, n) != 0)
		abort(); /* out of memory */
}

static void tcp_write_ref(struct tl_conn *c, const void *b, size_t n, tl_conn_unref_fn unref,
    void *arg)
{
	/* Zero copy: the output references the bytes until they are written. */
	if (evbuffer_add_reference(tcp_of(c)->out, b, n, unref, arg) != 0)
		abort(); /* out of memory */
}

static size_t tcp_out_len(const struct tl_conn *c)
{
	return evbuffer_get_length(ctcp_of(c)->out);
}

static void tcp_set_read_max(struct tl_conn *c, size_t max)
{
	struct conn_tcp *t = tcp_of(c);
	t->read_max = max;
	bufferevent_setwatermark(t->bev, EV_READ, 0, max);
}

static void tcp_set_write_low(struct tl_conn *c, size_t low)
{
	bufferevent_setwatermark(tcp_of(c)->bev, EV_WRITE, low, 0);
}

static void tcp_set_reading(struct tl_conn *c, bool is_on)
{
	struct conn_tcp *t = tcp_of(c);
	t->is_reading = is_on;
	if (t->is_bev_read) {
		if (is_on)
			bufferevent_enable(t->bev, EV_READ);
		else
			bufferevent_disable(t->bev, EV_READ);
	} else if (is_on) {
		struct timeval r;
		read_timeout(t, &r);
		event_add(t->rev, t->read_timeout_s ? &r : NULL);
	} else {
		event_del(t->rev);
	}
}

static void tcp_set_timeouts(struct tl_conn *c, int read_s, int write_s)
{
	struct conn_tcp *t = tcp_of(c);
	struct timeval r = { read_s, 0 }, w = { write_s, 0 };
	t->read_timeout_s = read_s;
	t->write_timeout_s = write_s;
	bufferevent_set_timeouts(t->bev, t->is_bev_read && read_s ? &r : NULL, write_s ? &w : NULL);
	if (!t->is_bev_read && t->is_reading)
		event_add(t->rev, read_s ? &r : NULL);
}

static void tcp_set_rate_group(struct tl_conn *c, struct tl_rate_group *g)
{
	struct conn_tcp *t = tcp_of(c);
	bufferevent_add_to_rate_limit_group(t->bev, g->bev_group);
	if (t->is_bev_read)
		return;
	event_del(t->rev);
	t->is_bev_read = true;
	/* The read timeout moves to the bufferevent. */
	tcp_set_timeouts(c, t->read_timeout_s, t->write_timeout_s);
	if (t->is_reading)
		bufferevent_enable(t->bev, EV_READ);
}

static const struct tl_conn_vt tcp_vt = {
	.free = tcp_free,
	.stop = tcp_stop,
	.in_len = tcp_in_len,
	.peek = tcp_peek,
	.take = tcp_take,
	.drain = tcp_drain,
	.write = tcp_write,
	.write_ref = tcp_write_ref,
	.out_len = tcp_out_len,
	.set_read_max = tcp_set_read_max,
	.set_write_low = tcp_set_write_low,
	.set_reading = tcp_set_reading,
	.set_timeouts = tcp_set_timeouts,
	.set_rate_group = tcp_set_rate_group,
};

/* ---- constructors ---- */

static struct conn_tcp *tcp_new(struct event_base *base, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	if (addrlen > sizeof(struct sockaddr_storage)) {
		close(fd);
		return NULL;
	}
	struct conn_tcp *t = tl_calloc(1, sizeof(*t));
	t->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!t->bev) {
		close(fd);
		free(t);
		return NULL;
	}
	t->c.vt = &tcp_vt;
	memcpy(&t->c.remote, addr, addrlen);
	t->c.remote_len = addrlen;
	t->in = bufferevent_get_input(t->bev);
	t->out = bufferevent_get_output(t->bev);
	t->rev = event_new(base, fd, EV_READ | EV_PERSIST, sock_read_cb, t);
	if (!t->rev)
		abort();
	tcp_set_read_max(&t->c, MAX_SINGLE_IO);
	bufferevent_setcb(t->bev, bev_read_cb, bev_write_cb, bev_event_cb, t);
	evbuffer_add_cb(t->out, out_cb, t);
	bufferevent_set_max_single_read(t->bev, MAX_SINGLE_IO);
	bufferevent_set_max_single_write(t->bev, MAX_SINGLE_IO);
	bufferevent_enable(t->bev, EV_WRITE);
	return t;
}

struct tl_conn *tl_conn_tcp_connect(struct event_base *base, const struct sockaddr *addr,
    socklen_t addrlen, const struct sockaddr *bind_addr, socklen_t bind_len,
    const char **why_out)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*why_out = "socket failed";
		tl_warn("conn: socket: %s", strerror(errno));
		return NULL;
	}
#ifdef IP_BIND_ADDRESS_NO_PORT
	/* With --bind, each outgoing socket would otherwise hold an ephemeral
	 * port of that address from bind() on; let connect() pick it against
	 * the full 4-tuple so reconnects cannot run the address out of ports. */
	if (bind_addr && bind_addr->sa_family == addr->sa_family) {
		int one = 1;
		(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	}
#endif
	if (bind_addr && bind_addr->sa_family == addr->sa_family &&
	    bind(fd, bind_addr, bind_len) != 0) {
		*why_out = "bind failed";
		tl_warn("conn: bind for an outgoing connection: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct conn_tcp *t = tcp_new(base, fd, addr, addrlen);
	if (!t) {
		*why_out = "cannot wrap the socket";
		return NULL;
	}
	if (bufferevent_socket_connect(t->bev, addr, (int)addrlen) != 0) {
		*why_out = "connect failed";
		tcp_free(&t->c);
		return NULL;
	}
	return &t->c;
}

struct tl_conn *tl_conn_tcp_accept(struct event_base *base, int fd, const struct sockaddr *addr,
    socklen_t addrlen)
{
	evutil_make_socket_nonblocking(fd);
	struct conn_tcp *t = tcp_new(base, fd, addr, addrlen);
	if (!t)
		return NULL;
	set_nodelay(t);
	return &t->c;
}
