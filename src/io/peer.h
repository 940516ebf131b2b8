/*
 * peer.h: one peer connection (BEP 3 wire protocol, BEP 6 fast extension)
 * over a transport of conn.h.
 *
 * The peer adapter does the I/O: connecting, the handshake, framing (only
 * headers are peeked; a block moves from the transport's input straight
 * into the piece buffer through tl_peer_take_block), keep-alives,
 * timeouts and watermarks. Policy (what to request, whom to unchoke, what
 * to upload) belongs to the owner, which gets decoded messages through
 * struct tl_peer_ops. Owners see the protocol state in struct tl_peer and
 * nothing of the transport: no socket, no libevent buffer.
 *
 * Ownership: the socket belongs to the conn, the conn to the peer, the
 * peer to its owner (the session before an incoming handshake names a
 * torrent, the torrent after). A peer is
 * never freed inside its own callbacks: tl_peer_close() marks it CLOSING,
 * calls ops->on_close so the owner unlinks it, and queues it on the
 * session's close queue, which frees it from a fresh event.
 *
 * Thread: the loop thread only.
 */
#ifndef TL_PEER_H
#define TL_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "codec/bitfield.h"
#include "base/digest.h"
#include "proto/ext.h"
#include "proto/handshake.h"
#include "proto/wire.h"

struct event;
struct event_base;
struct tl_peer;
struct tl_rate_group;
struct tl_pex_state;

enum tl_peer_state {
	TL_PEER_ST_CONNECTING = 0, /* outgoing TCP connect in progress */
	TL_PEER_ST_HANDSHAKE,      /* waiting for the remote handshake */
	TL_PEER_ST_ACTIVE,         /* handshakes done: messages flow */
	TL_PEER_ST_CLOSING,        /* queued for freeing; no more callbacks */
};

/* A block we asked for and have not received. */
struct tl_peer_req {
	uint32_t index;
	uint32_t begin;
	uint32_t len;
};

/* Callbacks into the owner; all run on the loop thread. */
struct tl_peer_ops {
	/* Incoming peers only: the handshake prefix named ih. Return 0 when
	 * the owner took the peer (tl_peer_attach), -1 to drop it. */
	int (*on_infohash)(struct tl_peer *p, const struct tl_infohash *ih);
	/* Both handshakes done (our handshake went out). */
	void (*on_ready)(struct tl_peer *p);
	/* A message other than PIECE; payload points at m->payload_len bytes
	 * (valid during the call). */
	void (*on_msg)(struct tl_peer *p, const struct tl_wire_msg *m, const uint8_t *payload);
	/* A PIECE message whose header was consumed; its m->payload_len
	 * block bytes are next in the input. Before returning, the owner
	 * takes them all with tl_peer_take_block or drops them all with
	 * tl_peer_skip_block (once; unless it closed the peer). */
	void (*on_block)(struct tl_peer *p, const struct tl_wire_msg *m);
	/* The output buffer drained below the low watermark. */
	void (*on_writable)(struct tl_peer *p);
	/* The peer is closing (reason is static); unlink it. */
	void (*on_close)(struct tl_peer *p, const char *reason);
};

/* The session's deferred-free list. */
struct tl_peer_closeq {
	struct tl_peer *head;
	struct event *ev; /* activated when something is queued */
};

/* Initialise / drain-and-release a close queue on base. */
void tl_peer_closeq_init(struct tl_peer_closeq *q, struct event_base *base);
void tl_peer_closeq_clear(struct tl_peer_closeq *q);

/* What owners see of a peer; peer.c keeps the transport and its timers
 * beside it. */
struct tl_peer {
	enum tl_peer_state state;
	uint64_t active_ms;       /* when the handshakes completed */
	uint64_t last_data_ms;    /* the owner's: its last block either way; 0 none */
	const struct tl_peer_ops *ops;
	void *owner;              /* the torrent (or the session before attach) */
	uint64_t serial;          /* unique per process; disk jobs refer to peers by it */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[64];            /* "ip:port" for logs */
	bool is_incoming;
	struct tl_handshake local;  /* what we send */
	struct tl_handshake remote; /* what they sent (peer_id once ACTIVE) */
	unsigned features;        /* TL_HS_F_* both sides set */
	struct tl_wire_limits lim;
	/* protocol state (BEP 3) */
	bool am_choking, am_interested, peer_choking, peer_interested;
	bool is_snubbed;
	bool was_active;          /* the handshakes completed at some point */
	uint64_t nmsgs;           /* messages received (BITFIELD must be the first) */
	struct tl_bitfield have;  /* pieces the peer has */
	/* our outstanding requests to the peer */
	struct tl_peer_req *reqs;
	size_t nreqs, reqs_cap;
	size_t max_reqs;          /* current pipeline depth */
	uint32_t peer_reqq;       /* BEP 10 reqq the peer gave; 0: not told */
	/* requests the peer made of us, served in order */
	struct tl_peer_req *in_reqs;
	size_t nin_reqs;
	/* counters and rates (bytes, bytes/s) */
	uint64_t down_bytes, up_bytes;
	uint64_t down_tick, up_tick; /* bytes since the last rate tick (up: sent) */
	double down_rate, up_rate;
	uint64_t last_block_ms;   /* loop time of the last block received */
	uint64_t last_send_ms;
	uint64_t last_drain_ms;   /* output bytes last left for the socket */
	uint64_t last_unchoked_ms; /* when our current/last unchoke of it began */
	unsigned hash_fails;      /* pieces with its data that failed */
	/* BEP 10 extensions (torrent_ext.c, metafetch.c) */
	uint8_t ext_ids[TL_EXT_COUNT]; /* the peer's ids for our extensions; 0: none */
	uint32_t ext_metadata_size;    /* BEP 9 metadata_size it announced; 0: none */
	uint16_t ext_port;             /* its listen port ("p"); 0: unknown */
	bool has_ext_hs;               /* its extension handshake arrived */
	uint64_t pex_next_ms;          /* BEP 11: earliest time of our next ut_pex */
	struct tl_pex_state *pex;      /* what it was told by PEX (owned); NULL: nothing */
	struct tl_peer *next;     /* in the owner's list */
};

/* Requests we keep queued from a peer (our advertised reqq). */
#define TL_PEER_OUR_REQQ 500u
/* Pipeline depth bounds (blocks). */
#define TL_PEER_MIN_REQS 16u
/* Depth of a new connection, before any rate is measured: deep enough
 * that the first second is not spent waiting on round trips (2 MiB). */
#define TL_PEER_INIT_REQS 128u
#define TL_PEER_MAX_REQS 512u

/*
 * Connect out to addr. local is the handshake we send (infohash, our id,
 * reserved bits). Returns NULL when the socket cannot be created.
 */
struct tl_peer *tl_peer_connect(struct event_base *base, struct tl_peer_closeq *q,
    const struct sockaddr *addr, socklen_t addrlen, const struct sockaddr *bind_addr,
    socklen_t bind_len, const struct tl_handshake *local, const struct tl_peer_ops *ops,
    void *owner);
/* Wrap an accepted socket (taken). The handshake we send is set by
 * tl_peer_attach once on_infohash picks a torrent. */
struct tl_peer *tl_peer_accept(struct event_base *base, struct tl_peer_closeq *q, int fd,
    const struct sockaddr *addr, socklen_t addrlen, const struct tl_peer_ops *ops, void *owner);
/* From on_infohash: the peer now belongs to owner and answers with local. */
void tl_peer_attach(struct tl_peer *p, const struct tl_handshake *local,
    const struct tl_peer_ops *ops, void *owner);
/* Set the torrent shape once known (before ACTIVE). */
void tl_peer_set_limits(struct tl_peer *p, uint32_t npieces, uint32_t piece_len,
    uint32_t last_piece_len);

/* Put p in a rate group (a session's --upload/--download-limit; borrowed,
 * must outlive p). A limited peer gives each message a longer deadline. */
void tl_peer_set_rate_group(struct tl_peer *p, struct tl_rate_group *g);

/* From on_block only: move the block's len bytes (len == m->payload_len)
 * into dst, one copy from the transport's input. */
void tl_peer_take_block(struct tl_peer *p, void *dst, size_t len);
/* From on_block only: drop the block's len bytes (a duplicate, a late or
 * an unasked block). */
void tl_peer_skip_block(struct tl_peer *p, size_t len);

/* A message has begun arriving and is not complete (its deadline runs). */
bool tl_peer_is_mid_message(const struct tl_peer *p);

/* Close: mark CLOSING, call ops->on_close, queue for freeing. Idempotent;
 * reason is a static string for the log. */
void tl_peer_close(struct tl_peer *p, const char *reason);

/* Send a fixed message (no payload). */
void tl_peer_send(struct tl_peer *p, const struct tl_wire_msg *m);
void tl_peer_send_simple(struct tl_peer *p, int id);
void tl_peer_send_have(struct tl_peer *p, uint32_t index);
void tl_peer_send_req(struct tl_peer *p, int id, uint32_t index, uint32_t begin, uint32_t len);
/* Send bytes as they are (the payload after a header from tl_peer_send). */
void tl_peer_send_raw(struct tl_peer *p, const void *b, size_t n);
/* Send a bitfield (bits are copied). */
void tl_peer_send_bitfield(struct tl_peer *p, const struct tl_bitfield *bf);
/* Called once the len bytes at data given to tl_peer_send_block_ref have
 * left for the network (or the peer is freed); the shape of
 * tl_conn_unref_fn. Loop thread. */
typedef void (*tl_peer_unref_fn)(const void *data, size_t len, void *arg);
/* Send a PIECE message whose payload is referenced, not copied: data must
 * stay valid until unref(data, len, arg) runs. If the peer is closing,
 * unref runs at once. */
void tl_peer_send_block_ref(struct tl_peer *p, uint32_t index, uint32_t begin,
    const uint8_t *data, uint32_t len, tl_peer_unref_fn unref, void *arg);
/* Send a PIECE message with a copy of data[0..len). */
void tl_peer_send_block(struct tl_peer *p, uint32_t index, uint32_t begin, const uint8_t *data,
    uint32_t len);
/* Send a BEP 10 extended message: ext_id, then a[0..alen) and b[0..blen)
 * (both copied; b may be NULL). */
void tl_peer_send_ext(struct tl_peer *p, uint8_t ext_id, const void *a, size_t alen, const void *b, size_t blen);
/* Bytes waiting in the output buffer. */
size_t tl_peer_out_len(const struct tl_peer *p);

/* Milliseconds of a monotonic clock. */
uint64_t tl_now_ms(void);

#endif
