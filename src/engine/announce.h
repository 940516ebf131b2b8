/*
 * announce.h: every peer source of one torrent, driven in one place: its
 * DHT lookups and announces (session_dht.h: paced across the re-announce
 * interval), its trackers by tier with their started/completed/stopped
 * events (tracker.h through the session's tracker client), the peers of
 * the magnet link and of --peer, and the DHT self-check of a seed (a
 * lookup of our own infohash some seconds after start, which says
 * whether the DHT hands us out).
 *
 * Addresses found are handed to the owner through one callback, tagged
 * with where they came from; our own listening address, as a tracker may
 * return it, is left out. A private torrent (BEP 27) is never looked up
 * in the DHT.
 *
 * Ownership: the torrent's entry (entry.h) owns its announce; the DHT and
 * the tracker client are the session's, borrowed.
 *
 * Thread: the loop thread.
 */
#ifndef TL_ENGINE_ANNOUNCE_H
#define TL_ENGINE_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"
#include "engine/session_dht.h"
#include "engine/torrent.h"

struct tl_announce;
struct tl_strk;
struct tl_tracker;
struct tl_tracker_tier;
struct tl_node_addr;

/* What the session lends every announce (borrowed for its life). */
struct tl_announce_env {
	struct tl_sdht *dht;          /* NULL: no DHT */
	struct tl_strk *strk;         /* NULL: no tracker client (none configured) */
	struct tl_peer_id peer_id;
	uint16_t port;                /* our listening port */
	const char *bind;             /* numeric --bind address, or NULL */
};

struct tl_announce_cfg {
	struct tl_infohash ih;
	bool is_private;              /* BEP 27: trackers only */
	bool is_seed;                 /* BEP 5 seed flag on DHT announces; self-check */
	bool is_self_check;           /* look our own infohash up once, after 5 s */
	const struct tl_tracker_tier *tiers; /* the torrent's announce-list (borrowed) */
	size_t ntiers;
	const char *const *urls;      /* more trackers, a tier each (magnet tr, -t) */
	size_t nurls;
	const char *const *peers;     /* "host:port" to dial (x.pe, --peer) */
	size_t npeers;
	/* BEP 5 "nodes" of the torrent: numeric ones join the DHT table */
	const struct tl_node_addr *nodes;
	size_t nnodes;
};

/* An address found: dial it. */
typedef void (*tl_announce_peer_fn)(void *arg, const struct sockaddr *sa, socklen_t len,
    enum tl_peer_src src);

/* Start every source; the given peers are handed to fn at once (a bad
 * one is logged and skipped). NULL with *why_out when the trackers
 * cannot be set up. */
struct tl_announce *tl_announce_new(const struct tl_announce_env *env, const struct tl_announce_cfg *cfg,
    tl_announce_peer_fn fn, void *arg, const char **why_out);
/* Stop at once, without telling the trackers. NULL ok. */
void tl_announce_free(struct tl_announce *a);

/* The torrent's byte counts, for the next tracker announce. */
void tl_announce_progress(struct tl_announce *a, uint64_t uploaded, uint64_t downloaded, uint64_t wanted,
    uint64_t have);
/* The size is not known (a magnet link before its metadata). */
void tl_announce_size_unknown(struct tl_announce *a);
/* The startup check is done (is_full: nothing to download, so never a
 * "completed" event); the first call sends "started". */
void tl_announce_checked(struct tl_announce *a, bool is_full);
/* Every wanted piece arrived during this run: "completed". */
void tl_announce_completed(struct tl_announce *a);
/* Look up now rather than at the next round (a torrent resumed). */
void tl_announce_now(struct tl_announce *a);
/* Tell the trackers "stopped" (within TL_STRK_STOP_GRACE_MS), then call
 * done (from a later event, or at once when there
 * is nothing to tell). The DHT lookups end with tl_announce_free, which
 * may follow done. */
void tl_announce_stop(struct tl_announce *a, void (*done)(void *arg), void *arg);

/* Once a second from the owner: the self-check. Returns true once when
 * its answer is in (*is_findable_out). */
bool tl_announce_tick(struct tl_announce *a, uint64_t now_ms, bool *is_findable_out);

/* Where the announces stand: the DHT watch (false: no DHT lookups, e.g.
 * a private torrent or no DHT) and the tracker set (NULL: none). */
bool tl_announce_dht_stats(const struct tl_announce *a, struct tl_sdht_watch_stat *out);
const struct tl_tracker *tl_announce_trackers(const struct tl_announce *a);

#endif
