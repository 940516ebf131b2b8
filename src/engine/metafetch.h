/*
 * metafetch.h: fetching a magnet link's metadata from peers (BEP 9 over
 * BEP 10). Peer addresses come from the DHT, x.pe and PEX, and peers
 * connect to us; the fetcher keeps up to TL_MF_MAX_CONNS connections, asks each for 16 KiB pieces of the
 * info dictionary in parallel (several requests in flight per peer),
 * re-assigns a piece whose request timed out or was rejected, and hands
 * the metadata up only once its SHA-1 equals the infohash.
 *
 * Hostile peers: a data message that does not fit the size or the piece
 * closes and bans its sender; when the whole does not hash right, a single
 * contributor is banned, several lead to fetching from one peer at a time
 * so the next failure names the culprit. A size over TL_MAX_METADATA_SIZE
 * is refused by the extension handshake parser.
 *
 * The scheduling rules (which peer gets which piece, what a timeout does)
 * are the assembler's (ut_metadata.h) plus the pure tl_mf_pick_dial().
 *
 * Handover: we send HAVE_NONE first (BEP 6, the same handshake bits as a
 * torrent) and keep what each peer says it has before the piece count is
 * known (early_have.h) and its choke/interest state, so that once the
 * metadata is in its connection goes to the torrent as it stands
 * (tl_mf_handover) rather than being closed and dialed again: a peer
 * that reached us from behind a NAT stays, and no source costs a second
 * handshake.
 *
 * Owns its peers (through their ops) until they are handed over, and the
 * assembler; the done callback must not free the fetcher (defer it).
 * Thread: the loop thread.
 */
#ifndef TL_METAFETCH_H
#define TL_METAFETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"

struct tl_metafetch;
struct tl_peer;
struct tl_torrent;
struct tl_torrent_ctx;

/* Connections at once, requests in flight per peer, request timeout. */
#define TL_MF_MAX_CONNS 8u
#define TL_MF_PEER_REQS 4u
#define TL_MF_REQ_TIMEOUT_MS 8000u
/* Candidates kept (further addresses are dropped). */
#define TL_MF_MAX_CANDIDATES 500u

/* The verified info dictionary (len bytes, valid during the call). */
typedef void (*tl_mf_done_fn)(void *arg, const uint8_t *info, size_t len);

/* A fetcher for ih over the session's context (borrowed for its life). */
struct tl_metafetch *tl_mf_new(const struct tl_torrent_ctx *ctx, const struct tl_infohash *ih, tl_mf_done_fn fn,
    void *arg);
/* Close every connection and free. NULL is a no-op. */
void tl_mf_free(struct tl_metafetch *mf);
/* A candidate peer (repeats are merged). */
void tl_mf_add_peer(struct tl_metafetch *mf, const struct sockaddr *sa, socklen_t len);
/*
 * An incoming connection for our infohash, from tl_peer_ops.on_infohash:
 * attach it as one more source. Its address is not dialed later unless
 * its extension handshake names its listen port. Returns 0 when taken,
 * -1 (the caller closes it) when the fetch is done or has
 * TL_MF_MAX_CONNS incoming connections (dialed ones count apart), or the
 * address was banned.
 */
int tl_mf_take_incoming(struct tl_metafetch *mf, struct tl_peer *p);
/* Once a second: timeouts, dialing. */
void tl_mf_tick(struct tl_metafetch *mf, uint64_t now_ms);

struct tl_mf_stats {
	size_t candidates, connecting, connected; /* addresses known / dialing / talking */
	size_t unreachable, no_utm, banned;       /* failures by kind */
	uint32_t pieces_have, pieces_total;       /* of the metadata (0 before a size is known) */
	unsigned hash_fails;
};
void tl_mf_stats(const struct tl_metafetch *mf, struct tl_mf_stats *out);

/*
 * Why nothing is arriving, for the status line: "no DHT nodes", "no peers
 * found yet", "peers do not support ut_metadata", "peers unreachable", or
 * NULL while the fetch is moving. dht_nodes is the DHT's good node count,
 * or -1 without a DHT.
 */
const char *tl_mf_stuck_reason(const struct tl_mf_stats *st, long dht_nodes);

/*
 * The metadata is verified and t is the torrent made of it (started):
 * hand t every ACTIVE connection (dialed or incoming) through
 * tl_torrent_adopt, with what each peer said it has so far, instead of
 * closing them; a connection the torrent refuses is closed with its
 * reason. Connections still connecting or in the handshake stay here
 * (tl_mf_free closes them; tl_mf_good_peers still names their
 * addresses). None on the host of a peer banned for bad metadata is
 * handed over. Call it outside the fetcher's callbacks, before
 * tl_mf_good_peers (so the torrent knows which addresses it holds).
 * Returns how many connections t took.
 */
size_t tl_mf_handover(struct tl_metafetch *mf, struct tl_torrent *t);

/* Copy up to max candidate addresses that were not banned (for the
 * torrent once the metadata is in). Returns how many. */
size_t tl_mf_good_peers(const struct tl_metafetch *mf, struct sockaddr_storage *out, socklen_t *lens, size_t max);

/*
 * Pure dialing rule: among n candidates with next_try[i] (0: never
 * tried) and is_dialable[i], the index to dial at now, preferring never
 * tried ones, or n when none is due.
 */
size_t tl_mf_pick_dial(const uint64_t *next_try, const bool *is_dialable, size_t n, uint64_t now_ms);

#endif
