/* peer.c: see peer.h. */
#include "io/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "proto/ut_pex.h"

/* Input we buffer per peer: a few blocks, and always the largest message. */
#define READ_HIGH_WM (TL_WIRE_MAX_MSG_LEN + 256u * 1024)
/* Bytes one read or write system call may move. libevent's bufferevent
 * writes at most 16 KiB a call, and evbuffer_read (libevent 2.1) reads at
 * most 4 KiB: a read, an ioctl and an epoll_wait per 4 KiB of blocks. So
 * the peer reads its socket itself (sock_read_cb) into the bufferevent's
 * input, and raises the write size. Under a download limit the
 * bufferevent reads instead: its rate-limit group meters only its own
 * reads. */
#define MAX_SINGLE_IO (256u * 1024)
/* Ask the owner for more uploads below this much queued output. */
#define WRITE_LOW_WM (256u * 1024)
/* Seconds: connect and handshake, then idle (BEP 3 keep-alives come every
 * two minutes), and stalled writes. The handshake timeout is a deadline
 * from the connection's start, not restarted by each byte; so is
 * MSG_TIMEOUT, counted from the first byte of each message, so a peer
 * that sends a byte now and then cannot hold a slot (a 16 KiB block in
 * 40 s is 410 B/s; under a download limit its share may be smaller, and
 * the deadline is longer). */
#define HANDSHAKE_TIMEOUT 20
#define IDLE_TIMEOUT 180
#define WRITE_TIMEOUT 60
#define MSG_TIMEOUT 40
#define MSG_TIMEOUT_LIMITED 160

static uint64_t next_serial = 1;

static const char *const state_names[] = { "connecting", "handshake", "active", "closing" };

uint64_t tl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void set_state(struct tl_peer *p, enum tl_peer_state st)
{
	tl_debug("peer %s: %s -> %s", p->name, state_names[p->state], state_names[st]);
	p->state = st;
}

static void set_timeouts(struct tl_peer *p, int read_s, int write_s)
{
	struct timeval r = { read_s, 0 }, w = { write_s, 0 };
	p->read_timeout_s = read_s;
	bufferevent_set_timeouts(p->bev, p->is_bev_read ? &r : NULL, &w);
	if (!p->is_bev_read && event_pending(p->rev, EV_READ, NULL))
		event_add(p->rev, &r);
}

static void set_read_max(struct tl_peer *p, size_t max)
{
	p->read_max = max;
	bufferevent_setwatermark(p->bev, EV_READ, 0, max);
}

/* Start reading the socket (connected, or accepted). */
static void reading_start(struct tl_peer *p)
{
	if (p->is_bev_read) {
		bufferevent_enable(p->bev, EV_READ);
	} else {
		struct timeval r = { p->read_timeout_s, 0 };
		event_add(p->rev, &r);
	}
}

/* ---- close queue ---- */

static void out_drained_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);

static void peer_free(struct tl_peer *p)
{
	if (p->bev) {
		evbuffer_remove_cb(bufferevent_get_output(p->bev), out_drained_cb, p);
		bufferevent_free(p->bev);
	}
	if (p->rev)
		event_free(p->rev);
	if (p->dl_ev)
		event_free(p->dl_ev);
	tl_bitfield_clear(&p->have);
	free(p->reqs);
	free(p->in_reqs);
	tl_pex_state_clear(p->pex);
	free(p->pex);
	free(p);
}

static void closeq_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_peer_closeq *q = arg;
	while (q->head) {
		struct tl_peer *p = q->head;
		q->head = p->close_next;
		peer_free(p);
	}
}

void tl_peer_closeq_init(struct tl_peer_closeq *q, struct event_base *base)
{
	q->head = NULL;
	q->ev = event_new(base, -1, 0, closeq_cb, q);
	if (!q->ev)
		abort();
}

void tl_peer_closeq_clear(struct tl_peer_closeq *q)
{
	if (!q->ev)
		return;
	closeq_cb(-1, 0, q);
	event_free(q->ev);
	q->ev = NULL;
}

void tl_peer_close(struct tl_peer *p, const char *reason)
{
	if (p->state == TL_PEER_ST_CLOSING)
		return;
	tl_info("peer %s: closed: %s", p->name, reason);
	set_state(p, TL_PEER_ST_CLOSING);
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(p->bev, NULL, NULL, NULL, NULL);
	event_del(p->rev);
	event_del(p->dl_ev);
	if (p->ops->on_close)
		p->ops->on_close(p, reason);
	p->close_next = p->closeq->head;
	p->closeq->head = p;
	event_active(p->closeq->ev, EV_READ, 0);
}

/* ---- sending ---- */

static void send_bytes(struct tl_peer *p, const void *b, size_t n)
{
	if (p->state == TL_PEER_ST_CLOSING)
		return;
	bufferevent_write(p->bev, b, n);
	p->last_send_ms = tl_now_ms();
}

void tl_peer_send(struct tl_peer *p, const struct tl_wire_msg *m)
{
	uint8_t b[TL_WIRE_MAX_HEAD];
	size_t n = tl_wire_encode(m, b, sizeof(b));
	if (n > 0)
		send_bytes(p, b, n);
}

void tl_peer_send_ext(struct tl_peer *p, uint8_t ext_id, const void *a, size_t alen, const void *b, size_t blen)
{
	struct tl_wire_msg m = { .id = TL_WIRE_EXTENDED, .ext_id = ext_id, .payload_len = alen + blen };
	tl_peer_send(p, &m);
	send_bytes(p, a, alen);
	if (b && blen)
		send_bytes(p, b, blen);
}

void tl_peer_send_raw(struct tl_peer *p, const void *b, size_t n)
{
	send_bytes(p, b, n);
}

void tl_peer_send_simple(struct tl_peer *p, int id)
{
	struct tl_wire_msg m = { .id = id };
	tl_peer_send(p, &m);
}

void tl_peer_send_have(struct tl_peer *p, uint32_t index)
{
	struct tl_wire_msg m = { .id = TL_WIRE_HAVE, .index = index };
	tl_peer_send(p, &m);
}

void tl_peer_send_req(struct tl_peer *p, int id, uint32_t index, uint32_t begin, uint32_t len)
{
	struct tl_wire_msg m = { .id = id, .index = index, .begin = begin, .length = len };
	tl_peer_send(p, &m);
}

void tl_peer_send_bitfield(struct tl_peer *p, const struct tl_bitfield *bf)
{
	struct tl_wire_msg m = { .id = TL_WIRE_BITFIELD, .payload_len = tl_bitfield_nbytes(bf->n) };
	tl_peer_send(p, &m);
	send_bytes(p, tl_bitfield_bytes(bf), m.payload_len);
}

void tl_peer_send_block_ref(struct tl_peer *p, uint32_t index, uint32_t begin,
    const uint8_t *data, uint32_t len, tl_peer_unref_fn unref, void *arg)
{
	if (p->state == TL_PEER_ST_CLOSING) {
		unref(data, len, arg);
		return;
	}
	struct tl_wire_msg m = { .id = TL_WIRE_PIECE, .index = index, .begin = begin,
		.payload_len = len };
	tl_peer_send(p, &m);
	/* Zero copy: the output references the bytes until they are written. */
	if (evbuffer_add_reference(bufferevent_get_output(p->bev), data, len, unref, arg) != 0)
		abort(); /* out of memory */
	p->up_bytes += len;
}

void tl_peer_send_block(struct tl_peer *p, uint32_t index, uint32_t begin, const uint8_t *data,
    uint32_t len)
{
	struct tl_wire_msg m = { .id = TL_WIRE_PIECE, .index = index, .begin = begin,
		.payload_len = len };
	tl_peer_send(p, &m);
	send_bytes(p, data, len);
	if (p->state != TL_PEER_ST_CLOSING)
		p->up_bytes += len;
}

/* Upload rates count bytes as they leave for the socket, not as they are
 * queued, so they show what the rate limit lets through. */
static void out_drained_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	(void)buf;
	struct tl_peer *p = arg;
	p->up_tick += info->n_deleted;
	if (info->n_deleted)
		p->last_drain_ms = tl_now_ms();
}

size_t tl_peer_out_len(const struct tl_peer *p)
{
	return evbuffer_get_length(bufferevent_get_output(p->bev));
}

/* ---- receiving ---- */

static void become_active(struct tl_peer *p)
{
	p->features = tl_handshake_flags(p->local.reserved) & tl_handshake_flags(p->remote.reserved);
	p->lim.has_fast = (p->features & TL_HS_F_FAST) != 0;
	p->lim.has_extended = (p->features & TL_HS_F_EXTENDED) != 0;
	set_state(p, TL_PEER_ST_ACTIVE);
	p->was_active = true;
	p->active_ms = tl_now_ms();
	event_del(p->dl_ev);
	set_timeouts(p, IDLE_TIMEOUT, WRITE_TIMEOUT);
	set_read_max(p, READ_HIGH_WM);
	bufferevent_setwatermark(p->bev, EV_WRITE, WRITE_LOW_WM, 0);
	bufferevent_set_max_single_read(p->bev, MAX_SINGLE_IO);
	bufferevent_set_max_single_write(p->bev, MAX_SINGLE_IO);
	p->ops->on_ready(p);
}

static void send_handshake(struct tl_peer *p)
{
	uint8_t b[TL_HANDSHAKE_LEN];
	tl_handshake_build(&p->local, b);
	send_bytes(p, b, sizeof(b));
}

/* Returns true while the handshake is still incomplete. */
static bool read_handshake(struct tl_peer *p, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	const char *why = NULL;
	if (p->is_incoming && !p->ops->on_ready) {
		/* No torrent yet: the prefix names one. */
		if (len < TL_HANDSHAKE_PREFIX_LEN) {
			uint8_t *b = evbuffer_pullup(in, -1);
			if (tl_handshake_parse_prefix(b, len, &p->remote, &why) == TL_EINVAL)
				tl_peer_close(p, why);
			return true;
		}
		uint8_t *b = evbuffer_pullup(in, TL_HANDSHAKE_PREFIX_LEN);
		if (tl_handshake_parse_prefix(b, TL_HANDSHAKE_PREFIX_LEN, &p->remote, &why) != TL_OK) {
			tl_peer_close(p, why);
			return true;
		}
		if (p->ops->on_infohash(p, &p->remote.infohash) != 0) {
			tl_peer_close(p, "unknown infohash");
			return true;
		}
		send_handshake(p);
	}
	if (len < TL_HANDSHAKE_LEN) {
		uint8_t *b = evbuffer_pullup(in, -1);
		if (tl_handshake_parse_prefix(b, len, &p->remote, &why) == TL_EINVAL)
			tl_peer_close(p, why);
		return true;
	}
	uint8_t *b = evbuffer_pullup(in, TL_HANDSHAKE_LEN);
	if (tl_handshake_parse(b, TL_HANDSHAKE_LEN, &p->remote, &why) != TL_OK) {
		tl_peer_close(p, why ? why : "bad handshake");
		return true;
	}
	if (memcmp(p->remote.infohash.b, p->local.infohash.b, 20) != 0) {
		tl_peer_close(p, "handshake for another torrent");
		return true;
	}
	evbuffer_drain(in, TL_HANDSHAKE_LEN);
	become_active(p);
	return p->state != TL_PEER_ST_ACTIVE;
}

/* BEP 10 handshakes and BEP 5 PORT may come before the BITFIELD (aria2,
 * libtorrent do so): they do not count for "BITFIELD first". */
static void count_msg(struct tl_peer *p, int id)
{
	if (id != TL_WIRE_EXTENDED && id != TL_WIRE_PORT)
		p->nmsgs++;
}

/* One message; false when more input is needed or the peer closed. */
static bool read_message(struct tl_peer *p, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in);
	if (len < 4)
		return false;
	size_t hlen = len < TL_WIRE_MAX_HEAD ? len : TL_WIRE_MAX_HEAD;
	uint8_t *h = evbuffer_pullup(in, (ssize_t)hlen);
	struct tl_wire_msg m;
	size_t used = 0;
	const char *why = "bad message";
	int rc = tl_wire_parse_head(h, hlen, &p->lim, &m, &used, &why);
	if (rc == TL_EINVAL) {
		tl_peer_close(p, why);
		return false;
	}
	if (rc == TL_EAGAIN) {
		if (used > len)
			return false;
		/* A whole message longer than the head buffer is in. */
		uint8_t *b = evbuffer_pullup(in, (ssize_t)used);
		rc = tl_wire_parse(b, used, &p->lim, &m, &used, &why);
		if (rc != TL_OK) {
			tl_peer_close(p, rc == TL_EINVAL ? why : "message framing");
			return false;
		}
		count_msg(p, m.id);
		tl_debug("peer %s: <- %s (%zu bytes)", p->name, tl_wire_name(m.id), used);
		p->ops->on_msg(p, &m, b + m.payload_off);
		if (p->state != TL_PEER_ST_ACTIVE)
			return false;
		evbuffer_drain(in, used);
		p->nframes++;
		return p->state == TL_PEER_ST_ACTIVE;
	}
	if (m.id == TL_WIRE_PIECE) {
		if (len - used < m.payload_len)
			return false;
		evbuffer_drain(in, used);
		p->nmsgs++;
		p->nframes++;
		size_t before = evbuffer_get_length(in);
		p->ops->on_block(p, &m, in);
		if (p->state == TL_PEER_ST_ACTIVE && before - evbuffer_get_length(in) != m.payload_len)
			abort(); /* the owner must consume exactly the block */
		return p->state == TL_PEER_ST_ACTIVE;
	}
	if (m.id != TL_WIRE_KEEPALIVE) {
		count_msg(p, m.id);
		tl_debug("peer %s: <- %s", p->name, tl_wire_name(m.id));
		p->ops->on_msg(p, &m, h + m.payload_off);
	}
	if (p->state != TL_PEER_ST_ACTIVE)
		return false;
	evbuffer_drain(in, used);
	p->nframes++;
	return true;
}

/* After framing: a message begun and not complete must be complete by its
 * deadline, counted from when it became the first in the input. */
static void time_message(struct tl_peer *p, struct evbuffer *in, bool is_new_head)
{
	if (evbuffer_get_length(in) == 0) {
		if (p->is_msg_timed)
			event_del(p->dl_ev);
		p->is_msg_timed = false;
	} else if (is_new_head || !p->is_msg_timed) {
		struct timeval tv = { p->is_bev_read ? MSG_TIMEOUT_LIMITED : MSG_TIMEOUT, 0 };
		event_add(p->dl_ev, &tv);
		p->is_msg_timed = true;
	}
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct tl_peer *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	if (p->state == TL_PEER_ST_HANDSHAKE && read_handshake(p, in))
		return;
	uint64_t frames = p->nframes;
	while (p->state == TL_PEER_ST_ACTIVE && read_message(p, in))
		;
	if (p->state == TL_PEER_ST_ACTIVE)
		time_message(p, in, p->nframes != frames);
}

/* The handshake's deadline, or a message's (time_message). */
static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_peer *p = arg;
	tl_peer_close(p, p->state == TL_PEER_ST_ACTIVE ? "a message took too long" :
	    "handshake timeout");
}

/* The socket is readable (or idle too long): read up to MAX_SINGLE_IO
 * bytes, within read_max, into the input, then frame as read_cb does. */
static void sock_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tl_peer *p = arg;
	if (what & EV_TIMEOUT) {
		tl_peer_close(p, p->state == TL_PEER_ST_ACTIVE ? "idle timeout" : "handshake timeout");
		return;
	}
	struct evbuffer *in = bufferevent_get_input(p->bev);
	size_t have = evbuffer_get_length(in);
	if (have >= p->read_max) {
		/* Framing consumes every whole message, and one fits. */
		tl_peer_close(p, "input buffer full");
		return;
	}
	size_t want = p->read_max - have;
	if (want > MAX_SINGLE_IO)
		want = MAX_SINGLE_IO;
	/* The bufferevent keeps its input's end frozen outside its own reads. */
	evbuffer_unfreeze(in, 0);
	struct evbuffer_iovec v[2];
	int nv = evbuffer_reserve_space(in, (ev_ssize_t)want, v, 2);
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
		evbuffer_commit_space(in, v, 0);
		evbuffer_freeze(in, 0);
		errno = saved;
		if (n == 0)
			tl_peer_close(p, "connection closed by peer");
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			tl_peer_close(p, strerror(errno));
		return;
	}
	size_t left = (size_t)n;
	int used = 0;
	for (; used < niov && left > 0; used++) {
		v[used].iov_len = iov[used].iov_len < left ? iov[used].iov_len : left;
		left -= v[used].iov_len;
	}
	evbuffer_commit_space(in, v, used);
	evbuffer_freeze(in, 0);
	read_cb(p->bev, p);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct tl_peer *p = arg;
	if (p->state == TL_PEER_ST_ACTIVE && p->ops->on_writable)
		p->ops->on_writable(p);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct tl_peer *p = arg;
	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;
		setsockopt(bufferevent_getfd(p->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_state(p, TL_PEER_ST_HANDSHAKE);
		send_handshake(p);
		reading_start(p);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		tl_peer_close(p, p->state == TL_PEER_ST_ACTIVE ? "idle timeout" : "handshake timeout");
	else if (what & BEV_EVENT_EOF)
		tl_peer_close(p, "connection closed by peer");
	else if (what & BEV_EVENT_ERROR)
		tl_peer_close(p, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void name_addr(struct tl_peer *p)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&p->addr;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
		snprintf(p->name, sizeof(p->name), "%s:%u", host, port);
	} else if (p->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p->addr;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
		snprintf(p->name, sizeof(p->name), "[%s]:%u", host, port);
	}
}

static struct tl_peer *peer_new(struct event_base *base, struct tl_peer_closeq *q, int fd,
    const struct sockaddr *addr, socklen_t addrlen, const struct tl_peer_ops *ops, void *owner)
{
	if (addrlen > sizeof(struct sockaddr_storage))
		return NULL;
	struct tl_peer *p = tl_calloc(1, sizeof(*p));
	p->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->bev) {
		if (fd >= 0)
			close(fd);
		free(p);
		return NULL;
	}
	p->rev = event_new(base, bufferevent_getfd(p->bev), EV_READ | EV_PERSIST, sock_read_cb, p);
	p->dl_ev = evtimer_new(base, deadline_cb, p);
	if (!p->rev || !p->dl_ev)
		abort();
	p->closeq = q;
	p->ops = ops;
	p->owner = owner;
	p->serial = next_serial++;
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	name_addr(p);
	p->am_choking = p->peer_choking = true;
	p->max_reqs = TL_PEER_INIT_REQS;
	p->last_block_ms = p->last_send_ms = p->last_drain_ms = tl_now_ms();
	p->in_reqs = tl_calloc(TL_PEER_OUR_REQQ, sizeof(*p->in_reqs));
	bufferevent_setcb(p->bev, read_cb, write_cb, event_cb, p);
	evbuffer_add_cb(bufferevent_get_output(p->bev), out_drained_cb, p);
	set_timeouts(p, HANDSHAKE_TIMEOUT, HANDSHAKE_TIMEOUT);
	struct timeval hs = { HANDSHAKE_TIMEOUT, 0 };
	event_add(p->dl_ev, &hs);
	/* Before the handshake only the handshake may be buffered. */
	set_read_max(p, TL_HANDSHAKE_LEN);
	return p;
}

struct tl_peer *tl_peer_connect(struct event_base *base, struct tl_peer_closeq *q,
    const struct sockaddr *addr, socklen_t addrlen, const struct sockaddr *bind_addr,
    socklen_t bind_len, const struct tl_handshake *local, const struct tl_peer_ops *ops,
    void *owner)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tl_warn("peer: socket: %s", strerror(errno));
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
		tl_warn("peer: bind for an outgoing connection: %s", strerror(errno));
		close(fd);
		return NULL;
	}
	struct tl_peer *p = peer_new(base, q, fd, addr, addrlen, ops, owner);
	if (!p)
		return NULL;
	p->local = *local;
	p->state = TL_PEER_ST_CONNECTING;
	bufferevent_enable(p->bev, EV_WRITE);
	if (bufferevent_socket_connect(p->bev, addr, (int)addrlen) != 0) {
		tl_info("peer %s: connect failed", p->name);
		peer_free(p);
		return NULL;
	}
	return p;
}

struct tl_peer *tl_peer_accept(struct event_base *base, struct tl_peer_closeq *q, int fd,
    const struct sockaddr *addr, socklen_t addrlen, const struct tl_peer_ops *ops, void *owner)
{
	evutil_make_socket_nonblocking(fd);
	struct tl_peer *p = peer_new(base, q, fd, addr, addrlen, ops, owner);
	if (!p)
		return NULL;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p->is_incoming = true;
	p->state = TL_PEER_ST_HANDSHAKE;
	bufferevent_enable(p->bev, EV_WRITE);
	reading_start(p);
	return p;
}

void tl_peer_set_rate_group(struct tl_peer *p, struct bufferevent_rate_limit_group *g)
{
	bufferevent_add_to_rate_limit_group(p->bev, g);
	if (p->is_bev_read)
		return;
	bool was_reading = event_pending(p->rev, EV_READ, NULL);
	event_del(p->rev);
	p->is_bev_read = true;
	set_timeouts(p, p->read_timeout_s, p->state == TL_PEER_ST_ACTIVE ? WRITE_TIMEOUT :
	    HANDSHAKE_TIMEOUT);
	if (was_reading)
		bufferevent_enable(p->bev, EV_READ);
}

void tl_peer_attach(struct tl_peer *p, const struct tl_handshake *local,
    const struct tl_peer_ops *ops, void *owner)
{
	p->local = *local;
	p->ops = ops;
	p->owner = owner;
}

void tl_peer_set_limits(struct tl_peer *p, uint32_t npieces, uint32_t piece_len,
    uint32_t last_piece_len)
{
	p->lim.npieces = npieces;
	p->lim.piece_len = piece_len;
	p->lim.last_piece_len = last_piece_len;
	tl_bitfield_clear(&p->have);
	tl_bitfield_init(&p->have, npieces);
}
