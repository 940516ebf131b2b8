/*
 * udp.h: the session's UDP port. One socket per address family (IPv4,
 * IPv6 v6-only), both on one port number, shared by every protocol that
 * speaks UDP: the DHT (BEP 5), and next uTP (BEP 29) and UDP tracker
 * replies (BEP 15).
 *
 * Each datagram read is classified by tl_udp_classify() from its first
 * bytes and handed to the consumer registered for its kind; a kind with
 * no consumer, and a datagram of no kind, are dropped and counted. The
 * kinds cannot be confused by their first byte:
 *
 *   KRPC (BEP 5)          'd' (0x64): a bencoded dictionary
 *   uTP (BEP 29)          version 1 in the low nibble of byte 0, type
 *                         (ST_DATA .. ST_SYN, 0..4) in the high nibble,
 *                         at least the 20-byte header
 *   UDP tracker (BEP 15)  a reply: 32-bit big-endian action 0..3
 *                         (connect, announce, scrape, error), so bytes
 *                         0..2 are zero, then the transaction id: at
 *                         least 8 bytes
 *
 * Adding a protocol is one tl_udp_set_consumer() call for its kind; the
 * consumer checks the rest (a uTP connection id, a tracker transaction
 * id) itself.
 *
 * Reading: the sockets are non-blocking; each wakeup reads at most
 * TL_UDP_READS_PER_CB datagrams per socket (recvmmsg batches of
 * TL_UDP_BATCH on Linux), so one busy socket cannot starve the loop, and
 * no datagram is kept past its consumer's call. Sending never blocks and
 * never retries: a full socket buffer (EAGAIN) drops the datagram and
 * counts it, as a loss on the way would; the protocols' own timeouts are
 * the retry.
 *
 * Owns the sockets, their read events and one receive batch. Consumers
 * are borrowed. Thread: the loop thread only.
 */
#ifndef TL_UDP_H
#define TL_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct event_base;
struct tl_udp;

/* What a datagram is, by tl_udp_classify(). */
enum tl_udp_kind {
	TL_UDP_OTHER,   /* none of the below (empty, short, unknown): dropped */
	TL_UDP_DHT,     /* KRPC */
	TL_UDP_UTP,     /* uTP packet */
	TL_UDP_TRACKER, /* UDP tracker reply */
	TL_UDP_NKINDS
};

/* BEP 29: the uTP header; BEP 15: action and transaction id. */
#define TL_UDP_UTP_HEADER 20u
#define TL_UDP_TRACKER_MIN 8u
/* Datagrams read per recvmmsg call, and per socket per wakeup. */
#define TL_UDP_BATCH 8
#define TL_UDP_READS_PER_CB 64
/* Socket buffer sizes asked for (the kernel caps them at
 * net.core.[rw]mem_max). */
#define TL_UDP_SOCKBUF (4 << 20)

/* The kind of the datagram p[0..len). Pure; reads at most p[0..3]. */
enum tl_udp_kind tl_udp_classify(const uint8_t *p, size_t len);
/* The kind's name for logs and status ("dht", "utp", "tracker", "other"). */
const char *tl_udp_kind_name(enum tl_udp_kind kind);

/* A datagram for a consumer: buf and from are borrowed for the call. The
 * consumer may send (tl_udp_send) and may change consumers from here. */
typedef void (*tl_udp_input_fn)(void *arg, const uint8_t *buf, size_t len,
    const struct sockaddr *from, socklen_t fromlen);
/* sendto(2) with its flags; replaceable for tests (tl_udp_opts). */
typedef ssize_t (*tl_udp_sendto_fn)(int fd, const void *buf, size_t len, int flags,
    const struct sockaddr *to, socklen_t tolen);

struct tl_udp_opts {
	const char *bind;   /* numeric address: only its family; NULL: IPv4 and IPv6, any */
	uint16_t port;      /* both sockets; 0: the kernel picks (the IPv6 socket takes
	                       the IPv4 one's) */
	tl_udp_sendto_fn sendto_fn; /* NULL: sendto(2) */
};

/* Per kind. in: handed to a consumer; in_dropped: received but not handed
 * (no consumer, truncated, TL_UDP_OTHER); out: sent; out_dropped: refused
 * by the kernel (full buffer, unreachable). */
struct tl_udp_count {
	uint64_t in, in_dropped, out, out_dropped;
};
struct tl_udp_stats {
	struct tl_udp_count kind[TL_UDP_NKINDS];
};

/*
 * Open the sockets on base. Without a bind address both families are
 * tried on one port and either alone will do (the missing one is
 * logged). Returns NULL with *why_out (static) when the bind address is
 * not numeric or no socket could be bound (logged with the system's
 * reason).
 */
struct tl_udp *tl_udp_new(struct event_base *base, const struct tl_udp_opts *o, const char **why_out);
/* Close the sockets. The consumers are not called again. NULL is a no-op. */
void tl_udp_free(struct tl_udp *u);

/* Datagrams of kind go to fn(arg, ...) from now on; fn NULL: none (they
 * are dropped and counted). One consumer per kind: a second call
 * replaces the first. kind must not be TL_UDP_OTHER. */
void tl_udp_set_consumer(struct tl_udp *u, enum tl_udp_kind kind, tl_udp_input_fn fn, void *arg);

/*
 * Send buf to `to` from the socket of its family, counted under kind.
 * Never blocks and never retries. Returns 0 when the kernel took it, -1
 * when it was dropped (no socket of that family, full socket buffer, an
 * error the kernel reported), counted as out_dropped.
 */
int tl_udp_send(struct tl_udp *u, enum tl_udp_kind kind, const uint8_t *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen);

/* Classify one datagram and hand it to its consumer, or count it
 * dropped: what the read callback does with each datagram. */
void tl_udp_dispatch(struct tl_udp *u, const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen);

/* The bound port of af's socket (host order), or 0 when af has none. */
uint16_t tl_udp_port(const struct tl_udp *u, int af);
/* Whether af has a socket. */
bool tl_udp_has_family(const struct tl_udp *u, int af);
/* The counters since tl_udp_new. */
void tl_udp_stats(const struct tl_udp *u, struct tl_udp_stats *out);

#endif
