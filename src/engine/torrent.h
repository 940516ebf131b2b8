/*
 * torrent.h: one torrent being downloaded or seeded (BEP 3, BEP 6).
 *
 * A torrent owns its metainfo, layout, disk store, piece state, peers, the
 * addresses it dials and its resume checkpoints. Policy lives here: which
 * blocks to request from whom (rarest first, or in order with
 * sequential; endgame duplicates with cancels at the end), whom to unchoke
 * (every 10 s the best four interested peers by rate, plus one optimistic
 * unchoke rotated every 30 s), what to upload, whom to ban.
 *
 * Memory: piece buffers (whole pieces being assembled or waiting for their
 * hashed write) are bounded by max_inflight bytes; once reached no new
 * piece is started, so a fast peer cannot make us buffer without limit.
 *
 * Peers: dialed from known addresses, taken from the listener, or
 * handed over ACTIVE by the magnet metadata fetch (tl_torrent_adopt).
 *
 * Data path: a block moves from the socket buffer into its piece buffer
 * (one copy); a complete piece goes to a disk worker that hashes it and
 * writes it only when it matches; the loop then marks it verified, sends
 * HAVE to every peer and checkpoints the resume file every few seconds.
 *
 * Reports up through one callback (tl_torrent_event_fn); never holds a
 * pointer to its owner beyond the shared context it borrows.
 *
 * Thread: the loop thread only.
 */
#ifndef TL_TORRENT_H
#define TL_TORRENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"

struct event_base;
struct tl_rate_group;
struct tl_disk;
struct tl_early_have;
struct tl_fdlimit;
struct tl_metainfo;
struct tl_peer;
struct tl_peer_closeq;
struct tl_torrent;

/* What a session lends to its torrents (borrowed for the torrent's life). */
struct tl_torrent_ctx {
	struct event_base *base;
	struct tl_disk *disk;
	struct tl_peer_closeq *closeq;
	struct tl_rate_group *const *rate_group; /* the session's; *rate_group NULL: no limit
	                                          * (one may come while running) */
	struct tl_peer_id peer_id;
	const struct sockaddr *bind_addr; /* source address for dialing; may be NULL */
	socklen_t bind_len;
	uint16_t listen_port;             /* told to peers (BEP 10 "p"); 0: unknown */
	unsigned *total_peers;            /* peers of the whole session */
	unsigned max_total_peers;
	struct tl_fdlimit *fds;           /* dial only when it grants a socket; NULL: no check */
	/* At the session's peer limit: close the idlest peer of any torrent;
	 * false when none is idle. NULL: the limit is final. */
	bool (*make_room)(void *arg);
	void *make_room_arg;
	/* BEP 5 (torrent_ext.c) */
	uint16_t dht_port;                /* our DHT UDP port for PORT messages; 0: no DHT */
	void (*on_dht_node)(void *arg, const struct sockaddr *sa, socklen_t len); /* a PORT message */
	void *dht_arg;
};

struct tl_torrent_opts {
	const char *dir;       /* download directory */
	const char *state_dir; /* resume files go to STATE_DIR/resume; NULL: none */
	bool is_read_only;     /* seeding existing data: never write */
	bool is_sequential;    /* pieces in order (streaming) instead of rarest first */
	bool is_buffered_io;   /* no O_DIRECT writes (tl_disk_store_set_direct) */
	/* Seed mode (read-only torrents): no startup check. When every file has
	 * its full size the torrent starts complete; each piece the resume file
	 * does not vouch for is verified the first time it is read for a peer
	 * (hashed on the disk worker from the upload read), and a piece whose
	 * hash fails is never sent: it becomes missing (damaged). Meanwhile
	 * a background pass verifies the others, one piece at a time while no
	 * upload read is in flight. A file missing or short stops the torrent
	 * with TL_TEV_ERROR. Ignored unless is_read_only. */
	bool is_no_check;
	const char *only;      /* file selection (layout.h); NULL: all */
	const char *skip;
	unsigned max_peers;    /* per torrent; 0: 50 */
	uint64_t max_inflight; /* bytes of piece buffers; 0: 32 MiB */
};

enum tl_torrent_event {
	TL_TEV_CHECKED,  /* the startup check finished; peers are dialed */
	TL_TEV_COMPLETE, /* every wanted piece is verified and on disk */
	TL_TEV_STOPPED,  /* tl_torrent_stop finished: peers closed, resume saved */
	TL_TEV_ERROR,    /* a disk error stopped the download (stats: error says why);
	                  * reported once */
	TL_TEV_DAMAGED,  /* opts.is_no_check: a piece failed its hash when read (stats) */
};

typedef void (*tl_torrent_event_fn)(struct tl_torrent *t, enum tl_torrent_event ev, void *arg);

/* Where a torrent is in its life. The last two are its entry's
 * (entry.h), before a torrent runs. */
enum tl_torrent_state {
	TL_TSTATE_CHECKING,    /* verifying the data already on disk */
	TL_TSTATE_DOWNLOADING,
	TL_TSTATE_SEEDING,     /* every wanted piece is verified */
	TL_TSTATE_STOPPING,    /* saying goodbye: the last resume save, trackers */
	TL_TSTATE_STOPPED,
	TL_TSTATE_ERROR,       /* failed: see error */
	TL_TSTATE_METADATA,    /* a magnet link: fetching the metadata from peers */
	TL_TSTATE_QUEUED,      /* waiting for a slot of the session's queue */
};
/* "checking", "downloading", ... (static). */
const char *tl_torrent_state_name(enum tl_torrent_state st);

struct tl_torrent_stats {
	enum tl_torrent_state state;
	uint64_t wanted_bytes;   /* bytes of the wanted pieces */
	uint64_t have_bytes;     /* of those, verified */
	uint64_t downloaded;     /* payload bytes received (including discarded) */
	uint64_t uploaded;       /* payload bytes sent */
	uint64_t hash_fails;
	double down_rate, up_rate; /* bytes/s, smoothed */
	unsigned npeers;
	uint32_t pieces_have, pieces_wanted;
	bool is_checking;
	uint32_t check_done, check_total;
	bool is_complete;
	uint32_t unverified_pieces; /* is_no_check: pieces served unless damaged, not yet hashed */
	uint32_t damaged_pieces;    /* is_no_check: pieces whose data failed its hash when read */
	uint32_t last_damaged;      /* the last of them (when damaged_pieces > 0) */
	const char *last_damaged_file; /* its first file's path (borrowed from the torrent) */
	unsigned peers_from[4]; /* addresses handed in, by enum tl_peer_src (repeats counted) */
	const char *error;      /* why the torrent failed ("disk full: No space left on
	                         * device"), or NULL; borrowed from the torrent */
};

/*
 * A torrent over mi (taken). Returns NULL with *why_out set when the file
 * selection or the download directory is unusable; mi is freed then.
 */
struct tl_torrent *tl_torrent_new(const struct tl_torrent_ctx *ctx, struct tl_metainfo *mi_take,
    const struct tl_torrent_opts *opts, tl_torrent_event_fn fn, void *arg, const char **why_out);
/* Free; no disk job of t may be pending (tl_torrent_has_jobs, or the
 * pool flushed). NULL ok. */
void tl_torrent_free(struct tl_torrent *t);
/* tl_torrent_free, handing the metainfo back (a stopped torrent of an
 * entry restarts from it). */
struct tl_metainfo *tl_torrent_free_take_metainfo(struct tl_torrent *t);
/* Disk jobs of t are in flight (a stopped torrent waits for them before
 * it is freed). */
bool tl_torrent_has_jobs(const struct tl_torrent *t);

/* The peer of t that has been idle longest (tl_choker_pick_idle) and since
 * when (*since_out), or NULL when none is idle. */
struct tl_peer *tl_torrent_idle_peer(struct tl_torrent *t, uint64_t now_ms, uint64_t *since_out);
/* Load the resume file and verify what must be verified, then dial. */
void tl_torrent_start(struct tl_torrent *t);
/* Remember addr and dial it (now, or when the startup check is done). */
void tl_torrent_add_peer(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len);
/* Where an address came from, counted for the status. */
enum tl_peer_src { TL_PSRC_GIVEN, TL_PSRC_DHT, TL_PSRC_PEX, TL_PSRC_TRACKER };
/* tl_torrent_add_peer, counting the address under src. */
void tl_torrent_add_peer_from(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len,
    enum tl_peer_src src);
/* An incoming peer whose handshake names this torrent: take it or refuse
 * (returns -1 when over the peer caps or the address is banned). */
int tl_torrent_take_incoming(struct tl_torrent *t, struct tl_peer *p);
/*
 * A connection of the magnet metadata fetch, ACTIVE, handed over
 * (metafetch.h tl_mf_handover) once t was made from the metadata and
 * started. eh is what the peer said it has before the piece count was
 * known; it is checked as a BITFIELD would be. The peer's extension
 * handshake was parsed into p already; ours is sent again with our
 * metadata_size (BEP 10 allows repeating it). No BITFIELD is sent (the
 * fetcher sent HAVE_NONE first): a HAVE for each piece we have, now or
 * once the startup check is done, then INTERESTED as the picker says.
 * Its listen address (where it was dialed, or its "p") becomes a known
 * address held by this connection, so it is not dialed again.
 * Returns 0 when taken (the torrent may still close it at once: a
 * duplicate, or both complete); -1 with a static *why_out when refused
 * (over the peer caps, stopping, banned, or eh does not fit the piece
 * count): the caller closes it.
 */
int tl_torrent_adopt(struct tl_torrent *t, struct tl_peer *p, const struct tl_early_have *eh, const char **why_out);
/* Close every peer, write a last checkpoint, then report TL_TEV_STOPPED. */
void tl_torrent_stop(struct tl_torrent *t);
/* Once a second from the session: rates, choker, dialing, checkpoints. */
void tl_torrent_tick(struct tl_torrent *t);

const struct tl_infohash *tl_torrent_infohash(const struct tl_torrent *t);
const struct tl_metainfo *tl_torrent_metainfo(const struct tl_torrent *t);
void tl_torrent_stats(const struct tl_torrent *t, struct tl_torrent_stats *out);

/* For the extension protocol (torrent_ext.c): what the session lent, and
 * the first of the torrent's peers (linked by next; valid until the next
 * return to the loop). */
const struct tl_torrent_ctx *tl_torrent_context(const struct tl_torrent *t);
struct tl_peer *tl_torrent_peer_list(struct tl_torrent *t);

#endif
