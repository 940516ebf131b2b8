/* peer.c: see peer.h. */
#include "io/peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/conn.h"
#include "proto/ut_pex.h"

/* Input we buffer per peer: a few blocks, and always the largest message. */
#define READ_HIGH_WM (TL_WIRE_MAX_MSG_LEN + 256u * 1024)
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

/* A peer as peer.c sees it: the owners' part, then the transport and the
 * timers they never touch. */
struct peer_io {
	struct tl_peer p;         /* first: owners hold &io->p */
	struct tl_conn *conn;
	struct event *dl_ev;      /* the handshake's or the current message's deadline */
	bool is_msg_timed;        /* dl_ev runs for a message begun */
	bool is_limited;          /* in a rate group */
	uint64_t nframes;         /* messages framed and consumed */
	struct tl_peer_closeq *closeq;
	struct peer_io *close_next;
};

static struct peer_io *io_of(struct tl_peer *p)
{
	return (struct peer_io *)p;
}

static const struct peer_io *cio_of(const struct tl_peer *p)
{
	return (const struct peer_io *)p;
}

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

/* ---- close queue ---- */

static void peer_free(struct peer_io *io)
{
	struct tl_peer *p = &io->p;
	tl_conn_free(io->conn);
	if (io->dl_ev)
		event_free(io->dl_ev);
	tl_bitfield_clear(&p->have);
	free(p->reqs);
	free(p->in_reqs);
	tl_pex_state_clear(p->pex);
	free(p->pex);
	free(io);
}

static void closeq_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_peer_closeq *q = arg;
	while (q->head) {
		struct peer_io *io = io_of(q->head);
		q->head = io->close_next ? &io->close_next->p : NULL;
		peer_free(io);
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
	struct peer_io *io = io_of(p);
	tl_info("peer %s: closed: %s", p->name, reason);
	set_state(p, TL_PEER_ST_CLOSING);
	tl_conn_stop(io->conn);
	event_del(io->dl_ev);
	if (p->ops->on_close)
		p->ops->on_close(p, reason);
	io->close_next = io->closeq->head ? io_of(io->closeq->head) : NULL;
	io->closeq->head = p;
	event_active(io->closeq->ev, EV_READ, 0);
}

/* ---- sending ---- */

static void send_bytes(struct tl_peer *p, const void *b, size_t n)
{
	if (p->state == TL_PEER_ST_CLOSING)
		return;
	tl_conn_write(io_of(p)->conn, b, n);
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
	tl_conn_write_ref(io_of(p)->conn, data, len, unref, arg);
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

size_t tl_peer_out_len(const struct tl_peer *p)
{
	return tl_conn_out_len(cio_of(p)->conn);
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
	struct peer_io *io = io_of(p);
	event_del(io->dl_ev);
	tl_conn_set_timeouts(io->conn, IDLE_TIMEOUT, WRITE_TIMEOUT);
	tl_conn_set_read_max(io->conn, READ_HIGH_WM);
	tl_conn_set_write_low(io->conn, WRITE_LOW_WM);
	p->ops->on_ready(p);
}

static void send_handshake(struct tl_peer *p)
{
	uint8_t b[TL_HANDSHAKE_LEN];
	tl_handshake_build(&p->local, b);
	send_bytes(p, b, sizeof(b));
}

/* Returns true while the handshake is still incomplete. */
static bool read_handshake(struct tl_peer *p, struct tl_conn *in)
{
	size_t len = tl_conn_in_len(in);
	const char *why = NULL;
	if (p->is_incoming && !p->ops->on_ready) {
		/* No torrent yet: the prefix names one. */
		if (len < TL_HANDSHAKE_PREFIX_LEN) {
			const uint8_t *b = tl_conn_peek(in, len);
			if (tl_handshake_parse_prefix(b, len, &p->remote, &why) == TL_EINVAL)
				tl_peer_close(p, why);
			return true;
		}
		const uint8_t *b = tl_conn_peek(in, TL_HANDSHAKE_PREFIX_LEN);
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
		const uint8_t *b = tl_conn_peek(in, len);
		if (tl_handshake_parse_prefix(b, len, &p->remote, &why) == TL_EINVAL)
			tl_peer_close(p, why);
		return true;
	}
	const uint8_t *b = tl_conn_peek(in, TL_HANDSHAKE_LEN);
	if (tl_handshake_parse(b, TL_HANDSHAKE_LEN, &p->remote, &why) != TL_OK) {
		tl_peer_close(p, why ? why : "bad handshake");
		return true;
	}
	if (memcmp(p->remote.infohash.b, p->local.infohash.b, 20) != 0) {
		tl_peer_close(p, "handshake for another torrent");
		return true;
	}
	tl_conn_drain(in, TL_HANDSHAKE_LEN);
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
static bool read_message(struct peer_io *io, struct tl_conn *in)
{
	struct tl_peer *p = &io->p;
	size_t len = tl_conn_in_len(in);
	if (len < 4)
		return false;
	size_t hlen = len < TL_WIRE_MAX_HEAD ? len : TL_WIRE_MAX_HEAD;
	const uint8_t *h = tl_conn_peek(in, hlen);
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
		const uint8_t *b = tl_conn_peek(in, used);
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
		tl_conn_drain(in, used);
		io->nframes++;
		return p->state == TL_PEER_ST_ACTIVE;
	}
	if (m.id == TL_WIRE_PIECE) {
		if (len - used < m.payload_len)
			return false;
		tl_conn_drain(in, used);
		p->nmsgs++;
		io->nframes++;
		size_t before = tl_conn_in_len(in);
		p->ops->on_block(p, &m);
		if (p->state == TL_PEER_ST_ACTIVE && before - tl_conn_in_len(in) != m.payload_len)
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
	tl_conn_drain(in, used);
	io->nframes++;
	return true;
}

/* After framing: a message begun and not complete must be complete by its
 * deadline, counted from when it became the first in the input. */
static void time_message(struct peer_io *io, bool is_new_head)
{
	if (tl_conn_in_len(io->conn) == 0) {
		if (io->is_msg_timed)
			event_del(io->dl_ev);
		io->is_msg_timed = false;
	} else if (is_new_head || !io->is_msg_timed) {
		struct timeval tv = { io->is_limited ? MSG_TIMEOUT_LIMITED : MSG_TIMEOUT, 0 };
		event_add(io->dl_ev, &tv);
		io->is_msg_timed = true;
	}
}

/* New input: loop parse -> dispatch until more is needed. */
static void conn_read_cb(struct tl_conn *c, void *arg)
{
	struct peer_io *io = arg;
	struct tl_peer *p = &io->p;
	if (p->state == TL_PEER_ST_HANDSHAKE && read_handshake(p, c))
		return;
	uint64_t frames = io->nframes;
	while (p->state == TL_PEER_ST_ACTIVE && read_message(io, c))
		;
	if (p->state == TL_PEER_ST_ACTIVE)
		time_message(io, io->nframes != frames);
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

static void conn_writable_cb(struct tl_conn *c, void *arg)
{
	(void)c;
	struct tl_peer *p = arg;
	if (p->state == TL_PEER_ST_ACTIVE && p->ops->on_writable)
		p->ops->on_writable(p);
}

/* Upload rates count bytes as they leave for the network, not as they are
 * queued, so they show what the rate limit lets through. */
static void conn_sent_cb(struct tl_conn *c, size_t n, void *arg)
{
	(void)c;
	struct tl_peer *p = arg;
	p->up_tick += n;
	p->last_drain_ms = tl_now_ms();
}

static void conn_event_cb(struct tl_conn *c, enum tl_conn_event ev, const char *reason, void *arg)
{
	struct tl_peer *p = arg;
	switch (ev) {
	case TL_CONN_EV_CONNECTED:
		set_state(p, TL_PEER_ST_HANDSHAKE);
		send_handshake(p);
		tl_conn_set_reading(c, true);
		break;
	case TL_CONN_EV_TIMEOUT:
		tl_peer_close(p, p->state == TL_PEER_ST_ACTIVE ? "idle timeout" : "handshake timeout");
		break;
	case TL_CONN_EV_EOF:
	case TL_CONN_EV_ERROR:
		tl_peer_close(p, reason);
		break;
	}
}

static const struct tl_conn_cbs peer_conn_cbs = {
	.on_read = conn_read_cb,
	.on_writable = conn_writable_cb,
	.on_sent = conn_sent_cb,
	.on_event = conn_event_cb,
};

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

/* A peer over conn (taken). */
static struct tl_peer *peer_new(struct event_base *base, struct tl_peer_closeq *q,
    struct tl_conn *conn, const struct tl_peer_ops *ops, void *owner)
{
	struct peer_io *io = tl_calloc(1, sizeof(*io));
	struct tl_peer *p = &io->p;
	io->conn = conn;
	io->dl_ev = evtimer_new(base, deadline_cb, p);
	if (!io->dl_ev)
		abort();
	io->closeq = q;
	p->ops = ops;
	p->owner = owner;
	p->serial = next_serial++;
	socklen_t addrlen;
	const struct sockaddr *addr = tl_conn_remote(conn, &addrlen);
	memcpy(&p->addr, addr, addrlen);
	p->addrlen = addrlen;
	name_addr(p);
	p->am_choking = p->peer_choking = true;
	p->max_reqs = TL_PEER_INIT_REQS;
	p->last_block_ms = p->last_send_ms = p->last_drain_ms = tl_now_ms();
	p->in_reqs = tl_calloc(TL_PEER_OUR_REQQ, sizeof(*p->in_reqs));
	tl_conn_set_cbs(conn, &peer_conn_cbs, p);
	tl_conn_set_timeouts(conn, HANDSHAKE_TIMEOUT, HANDSHAKE_TIMEOUT);
	struct timeval hs = { HANDSHAKE_TIMEOUT, 0 };
	event_add(io->dl_ev, &hs);
	/* Before the handshake only the handshake may be buffered. */
	tl_conn_set_read_max(conn, TL_HANDSHAKE_LEN);
	return p;
}

struct tl_peer *tl_peer_connect(struct event_base *base, struct tl_peer_closeq *q,
    const struct sockaddr *addr, socklen_t addrlen, const struct sockaddr *bind_addr,
    socklen_t bind_len, const struct tl_handshake *local, const struct tl_peer_ops *ops,
    void *owner)
{
	const char *why = NULL;
	struct tl_conn *conn = tl_conn_tcp_connect(base, addr, addrlen, bind_addr, bind_len, &why);
	if (!conn) {
		tl_info("peer: connect failed: %s", why);
		return NULL;
	}
	struct tl_peer *p = peer_new(base, q, conn, ops, owner);
	p->local = *local;
	p->state = TL_PEER_ST_CONNECTING;
	return p;
}

struct tl_peer *tl_peer_accept(struct event_base *base, struct tl_peer_closeq *q, int fd,
    const struct sockaddr *addr, socklen_t addrlen, const struct tl_peer_ops *ops, void *owner)
{
	struct tl_conn *conn = tl_conn_tcp_accept(base, fd, addr, addrlen);
	if (!conn)
		return NULL;
	struct tl_peer *p = peer_new(base, q, conn, ops, owner);
	p->is_incoming = true;
	p->state = TL_PEER_ST_HANDSHAKE;
	tl_conn_set_reading(conn, true);
	return p;
}

void tl_peer_set_rate_group(struct tl_peer *p, struct tl_rate_group *g)
{
	struct peer_io *io = io_of(p);
	tl_conn_set_rate_group(io->conn, g);
	io->is_limited = true;
}

void tl_peer_take_block(struct tl_peer *p, void *dst, size_t len)
{
	tl_conn_take(io_of(p)->conn, dst, len);
}

void tl_peer_skip_block(struct tl_peer *p, size_t len)
{
	tl_conn_drain(io_of(p)->conn, len);
}

bool tl_peer_is_mid_message(const struct tl_peer *p)
{
	return cio_of(p)->is_msg_timed;
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
