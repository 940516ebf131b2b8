/*
 * tracker_msg.h: the tracker protocols as bytes in, bytes out (L2, sans-I/O).
 *
 * HTTP (BEP 3, 7, 23, 24, 48): builds announce and scrape URLs and parses
 * their bencoded replies. UDP (BEP 15): builds connect, announce and scrape
 * packets and parses the replies, checking action, transaction id and
 * lengths. Every reply lands in one struct tl_tracker_reply whatever the
 * transport, so the tier logic above does not care how a tracker was asked.
 *
 * Owns nothing beyond the heap strings and arrays inside a reply, released
 * by tl_tracker_reply_clear(). Every length from the network is checked
 * against bounds.h before use; text from a tracker is made printable.
 * No global state; any thread.
 */
#ifndef TL_TRACKER_MSG_H
#define TL_TRACKER_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"

/* Announce events; the numbers are BEP 15's on the wire. */
enum tl_tracker_event {
	TL_TRACKER_EV_NONE = 0,
	TL_TRACKER_EV_COMPLETED = 1,
	TL_TRACKER_EV_STARTED = 2,
	TL_TRACKER_EV_STOPPED = 3,
};

/* "started", "completed", "stopped" or "" for NONE. */
const char *tl_tracker_event_name(enum tl_tracker_event ev);
/* Parse an event name ("none" or "" is NONE); returns 0 or -1. */
int tl_tracker_event_parse(const char *s, enum tl_tracker_event *ev_out);

/* What an announce says about us. Strings are borrowed for the call. */
struct tl_announce_req {
	struct tl_infohash info_hash;
	struct tl_peer_id peer_id;
	uint16_t port;
	uint64_t uploaded;
	uint64_t downloaded;
	uint64_t left;
	enum tl_tracker_event event;
	int32_t numwant;        /* < 0: let the tracker choose */
	uint32_t key;           /* BEP 15 / de facto HTTP `key` */
	const char *tracker_id; /* HTTP only; NULL when none was given */
};

/* One infohash of a scrape reply (BEP 48 / BEP 15). */
struct tl_scrape_entry {
	struct tl_infohash info_hash;
	int64_t complete;   /* seeders */
	int64_t downloaded; /* completed downloads ever */
	int64_t incomplete; /* leechers */
};

/*
 * A parsed tracker reply. Numbers are -1 when the reply did not carry
 * them. `failure` set means the tracker refused (HTTP `failure reason`,
 * UDP error packet): the other fields are then unset. Strings are
 * NUL-terminated, printable ASCII (other bytes became '?'), at most
 * TL_MAX_TRACKER_MSG long, owned by the reply.
 */
struct tl_tracker_reply {
	char *failure;
	char *warning;
	char *tracker_id;
	int64_t interval;
	int64_t min_interval;
	int64_t complete;
	int64_t incomplete;
	struct sockaddr_storage *peers; /* AF_INET / AF_INET6, port set */
	size_t npeers;
	bool has_external_ip; /* BEP 24 */
	struct sockaddr_storage external_ip;
	struct tl_scrape_entry *files; /* scrape replies */
	size_t nfiles;
	uint64_t connection_id; /* UDP connect replies */
};

/* An empty reply (all numbers -1). */
void tl_tracker_reply_init(struct tl_tracker_reply *r);
/* Free what the reply owns and re-init it; accepts NULL. */
void tl_tracker_reply_clear(struct tl_tracker_reply *r);

/* ---- HTTP (BEP 3, 48) ---- */

/*
 * The GET URL for an announce to `announce` (an http:// or https:// URL;
 * a query string in it is kept and ours appended with '&', a fragment is
 * dropped). info_hash and peer_id are percent-encoded byte by byte.
 * *url_out is a heap string for the caller. Returns TL_OK, TL_EINVAL (not
 * an HTTP URL) or TL_ELIMIT (longer than TL_MAX_TRACKER_URL).
 */
int tl_tracker_announce_url(const char *announce, const struct tl_announce_req *req,
    char **url_out);

/*
 * The scrape URL for n infohashes (1..TL_MAX_SCRAPE_HASHES) per BEP 48:
 * the last path component of the announce URL must begin with "announce",
 * which becomes "scrape". TL_ENOTSUP when it does not.
 */
int tl_tracker_scrape_url(const char *announce, const struct tl_infohash *ih, size_t n,
    char **url_out);

/*
 * Parse an HTTP announce reply body into *out (which it initializes).
 * Returns TL_OK (check out->failure), TL_EINVAL with *why_out a static
 * reason, or TL_ELIMIT when len > TL_MAX_TRACKER_BODY. Peers beyond
 * TL_MAX_TRACKER_PEERS, with port 0 or with a host name are skipped.
 */
int tl_tracker_parse_announce(const uint8_t *p, size_t len, struct tl_tracker_reply *out,
    const char **why_out);

/* Parse an HTTP scrape reply body (BEP 48) into out->files; same returns. */
int tl_tracker_parse_scrape(const uint8_t *p, size_t len, struct tl_tracker_reply *out,
    const char **why_out);

/* ---- UDP (BEP 15) ---- */

enum tl_udp_action {
	TL_UDP_CONNECT = 0,
	TL_UDP_ANNOUNCE = 1,
	TL_UDP_SCRAPE = 2,
	TL_UDP_ERROR = 3,
};

#define TL_UDP_CONNECT_LEN 16u
#define TL_UDP_ANNOUNCE_LEN 98u
#define TL_UDP_SCRAPE_LEN(n) (16u + 20u * (n))

/* The 16-byte connect request. */
void tl_udp_build_connect(uint32_t tid, uint8_t out[TL_UDP_CONNECT_LEN]);
/* The 98-byte announce request (IP field 0: the tracker uses the source). */
void tl_udp_build_announce(uint64_t connection_id, uint32_t tid,
    const struct tl_announce_req *req, uint8_t out[TL_UDP_ANNOUNCE_LEN]);
/* A scrape request for n hashes into out[0..cap); returns its length, or 0
 * when n is 0, above TL_MAX_SCRAPE_HASHES or cap is too small. */
size_t tl_udp_build_scrape(uint64_t connection_id, uint32_t tid, const struct tl_infohash *ih,
    size_t n, uint8_t *out, size_t cap);

/*
 * Parse a UDP tracker packet that should answer request `expect` with
 * transaction id `tid`. family (AF_INET/AF_INET6) is the socket's, which
 * sets the peer stride of an announce reply (6 or 18 bytes). For scrape,
 * ih[0..nih) are the hashes asked, in order. Fills *out (initialized here):
 * connection_id for CONNECT, interval/complete/incomplete/peers for
 * ANNOUNCE, files for SCRAPE, failure for an error packet. Returns TL_OK or
 * TL_EINVAL with *why_out (wrong length, action or transaction id).
 */
int tl_udp_parse_reply(const uint8_t *p, size_t len, uint32_t tid, enum tl_udp_action expect,
    int family, const struct tl_infohash *ih, size_t nih, struct tl_tracker_reply *out,
    const char **why_out);

/* Format a peer as "1.2.3.4:5" or "[::1]:5" into buf (>= 64 bytes). */
void tl_tracker_addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap);

#endif
