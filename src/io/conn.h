/*
 * conn.h: a byte-stream connection to a peer, the transport under the
 * peer wire protocol.
 *
 * The peer adapter (peer.c) frames messages out of a struct tl_conn and
 * writes them into it; it never sees how the bytes travel. TCP over a
 * libevent bufferevent (conn_tcp.c) is the one transport today. The
 * interface is shaped so that two more can sit behind the same calls:
 *
 * - an MSE/PE stream (BEP 8 message stream encryption) wraps another
 *   conn: it decrypts received bytes in place in the inner input (RC4 is a
 *   stream cipher, so the bytes do not move) before on_read reaches the
 *   framing, and encrypts what it writes. tl_conn_take then still moves a
 *   block once, from the socket buffer into the piece buffer; only
 *   tl_conn_write_ref must become a copy (it encrypts into the output).
 * - a uTP socket (BEP 29) keeps its in-order received bytes in its own
 *   queue and answers peek/take/drain from it; out_len counts what is not
 *   yet acknowledged, so back-pressure and the choker's "output not
 *   drained" test mean the same thing on both transports.
 *
 * Reading: the owner sees received bytes through tl_conn_in_len,
 * tl_conn_peek (a contiguous view of the first n bytes, for headers),
 * tl_conn_take (move n bytes into the caller's memory: one copy, no
 * allocation) and tl_conn_drain. The transport buffers at most read_max
 * bytes of input (tl_conn_set_read_max). Writing: tl_conn_write copies,
 * tl_conn_write_ref references the caller's bytes until they are sent.
 *
 * Ownership: a conn is owned by one peer and freed with tl_conn_free; the
 * socket belongs to the conn. Callbacks go to one owner (tl_conn_set_cbs)
 * and never free the conn themselves. A struct tl_rate_group is owned by
 * the session and must outlive the conns put in it.
 *
 * Thread: the loop thread only.
 */
#ifndef TL_CONN_H
#define TL_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct tl_conn;
struct tl_rate_group;

enum tl_conn_event {
	TL_CONN_EV_CONNECTED = 0, /* an outgoing connect completed */
	TL_CONN_EV_EOF,           /* the remote end closed */
	TL_CONN_EV_ERROR,         /* the transport failed (reason says why) */
	TL_CONN_EV_TIMEOUT,       /* no input within the read timeout, or output stuck */
};

/* The owner's callbacks; arg is the one given to tl_conn_set_cbs. Each
 * may be NULL. */
struct tl_conn_cbs {
	/* New input arrived (tl_conn_in_len grew). */
	void (*on_read)(struct tl_conn *c, void *arg);
	/* The output fell to the low watermark or below. */
	void (*on_writable)(struct tl_conn *c, void *arg);
	/* n bytes of output left for the network. */
	void (*on_sent)(struct tl_conn *c, size_t n, void *arg);
	/* Connected, or the end: after EOF, ERROR or TIMEOUT the stream is
	 * unusable and the owner stops (tl_conn_stop) or frees the conn; a
	 * transport left running may report again. reason is a static string
	 * (or strerror's) for the log, valid during the call. */
	void (*on_event)(struct tl_conn *c, enum tl_conn_event ev, const char *reason, void *arg);
};

/* Called once the len bytes at data given to tl_conn_write_ref are sent or
 * dropped (the conn freed). Loop thread. */
typedef void (*tl_conn_unref_fn)(const void *data, size_t len, void *arg);

/*
 * TCP. Connect out to addr (from bind_addr when it is of addr's family):
 * a non-blocking connect whose end is on_event CONNECTED (or ERROR).
 * Returns NULL and a static reason in *why_out when no socket could be
 * made.
 */
struct tl_conn *tl_conn_tcp_connect(struct event_base *base, const struct sockaddr *addr,
    socklen_t addrlen, const struct sockaddr *bind_addr, socklen_t bind_len,
    const char **why_out);
/* TCP: wrap an accepted socket fd (taken, closed on failure) whose remote
 * address is addr. Returns NULL only when libevent cannot wrap it. */
struct tl_conn *tl_conn_tcp_accept(struct event_base *base, int fd, const struct sockaddr *addr,
    socklen_t addrlen);

/* Close the transport and free c (NULL: nothing). Bytes still queued are
 * dropped and their unref callbacks run; no callback reaches the owner. */
void tl_conn_free(struct tl_conn *c);

/* Route callbacks to cbs/arg (both borrowed; cbs NULL: none). */
void tl_conn_set_cbs(struct tl_conn *c, const struct tl_conn_cbs *cbs, void *arg);
/* Stop: no more reading, writing or callbacks, the conn still to be freed. */
void tl_conn_stop(struct tl_conn *c);

/* The remote address (borrowed, valid while c lives); *len_out its size. */
const struct sockaddr *tl_conn_remote(const struct tl_conn *c, socklen_t *len_out);

/* ---- input ---- */

/* Bytes received and not yet consumed. */
size_t tl_conn_in_len(const struct tl_conn *c);
/* The first n bytes (n <= tl_conn_in_len) made contiguous; the view is
 * valid until the next call that consumes or reads input. */
const uint8_t *tl_conn_peek(struct tl_conn *c, size_t n);
/* Move the first n bytes (n <= tl_conn_in_len) into dst. */
void tl_conn_take(struct tl_conn *c, void *dst, size_t n);
/* Discard the first n bytes (n <= tl_conn_in_len). */
void tl_conn_drain(struct tl_conn *c, size_t n);

/* ---- output ---- */

/* Queue a copy of b[0..n). */
void tl_conn_write(struct tl_conn *c, const void *b, size_t n);
/* Queue b[0..n) by reference: b stays valid until unref(b, n, arg) runs. */
void tl_conn_write_ref(struct tl_conn *c, const void *b, size_t n, tl_conn_unref_fn unref,
    void *arg);
/* Bytes queued and not yet sent. */
size_t tl_conn_out_len(const struct tl_conn *c);

/* ---- flow control ---- */

/* Buffer at most max bytes of input. When the input is full and reading
 * is on, the conn reads nothing more and reports ERROR ("input buffer
 * full") unless it is rate limited (then it waits). */
void tl_conn_set_read_max(struct tl_conn *c, size_t max);
/* on_writable fires when the output falls to low bytes or below. */
void tl_conn_set_write_low(struct tl_conn *c, size_t low);
/* Start or stop reading the transport. */
void tl_conn_set_reading(struct tl_conn *c, bool is_on);
/* Seconds without input while reading (read_s), and with output stuck
 * (write_s), before on_event TIMEOUT; 0: none. */
void tl_conn_set_timeouts(struct tl_conn *c, int read_s, int write_s);
/* Meter c's reads and writes by g (not NULL; borrowed). A conn stays in
 * its group until freed. */
void tl_conn_set_rate_group(struct tl_conn *c, struct tl_rate_group *g);

/* ---- rate limiting ---- */

/* A session-wide budget shared by its conns, both directions: down_bps
 * bytes/s read, up_bps written (0: unlimited), with a burst of one
 * second. Aborts when out of memory. */
struct tl_rate_group *tl_rate_group_new(struct event_base *base, uint64_t down_bps,
    uint64_t up_bps);
/* Free g (NULL: nothing). A freed TCP conn leaves its group only when the
 * loop next runs: free the group after the loop ran past the last
 * tl_conn_free of its members. */
void tl_rate_group_free(struct tl_rate_group *g);
/* New rates for the group, at once (0 = unlimited). */
void tl_rate_group_set(struct tl_rate_group *g, uint64_t down_bps, uint64_t up_bps);

#endif
