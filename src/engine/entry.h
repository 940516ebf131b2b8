/*
 * entry.h: one torrent in the session, from the moment it is added until
 * it is removed: its settings, its state (metadata → checking →
 * downloading → seeding, or queued, stopped, error with a reason), its
 * peer sources (announce.h) and its goals (stop when complete, at a seed
 * ratio or after a seed time). Front ends (the CLI, the daemon) hold
 * entries and read their status as data (struct tl_entry_stat); they
 * hold no per-torrent logic.
 *
 * Inside, an entry runs a tl_torrent (torrent.h: peers, pieces, disk)
 * once its metadata is known. A magnet link's entry first fetches the
 * metadata (metafetch.h) over connections that become the torrent's
 * peers; the metadata is kept in the state directory
 * (STATE/torrents/HEX.torrent) so it is fetched once.
 *
 * Paused, an entry keeps its metadata and settings but no torrent, no
 * peers and no lookups. Removal stops it, waits for its trackers'
 * goodbye (bounded), then frees it; with_data also deletes its files and
 * resume file.
 *
 * Ownership: the session owns its entries (session.h). Events go up
 * through the session's event callback. Thread: the loop thread.
 */
#ifndef TL_ENGINE_ENTRY_H
#define TL_ENGINE_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "engine/announce.h"
#include "engine/torrent.h"

struct tl_entry;
struct tl_magnet;
struct tl_metainfo;

/* How a torrent runs; copied when added (strings too). */
struct tl_entry_settings {
	const char *dir;          /* download directory (or the data of a seed) */
	const char *only, *skip;  /* file selection (layout.h); NULL: all */
	bool is_read_only;        /* seeding existing data: never write */
	bool is_no_check;         /* read-only: serve at once, verify as read */
	bool is_sequential;
	bool is_buffered_io;
	bool is_paused;           /* added (or kept) stopped */
	bool is_no_seed;          /* stop once complete */
	bool is_self_check;       /* a seed: say whether the DHT finds us (TL_EEV_SELF_CHECK) */
	double seed_ratio;        /* stop seeding at uploaded/size >= this; 0: never */
	uint64_t seed_time_s;     /* stop seeding this long after completion; 0: never */
	unsigned max_peers;       /* 0: the torrent's default */
	bool is_no_trackers;      /* never contact a tracker */
	const char *const *trackers; /* more trackers, a tier each */
	size_t ntrackers;
	const char *const *peers; /* "host:port" to dial */
	size_t npeers;
};

enum tl_entry_event {
	TL_EEV_STARTED,    /* a torrent runs (from the metadata): tl_entry_metainfo is set */
	TL_EEV_METADATA,   /* a magnet link's metadata arrived (STARTED follows) */
	TL_EEV_CHECKED,    /* the startup check is done */
	TL_EEV_COMPLETE,   /* every wanted piece is verified and on disk */
	TL_EEV_DAMAGED,    /* no-check seed: a piece failed its hash when read */
	TL_EEV_ERROR,      /* failed (stat: error); it stops */
	TL_EEV_SELF_CHECK, /* the self-check's answer is in (stat: is_findable) */
	TL_EEV_STOPPED,    /* the torrent stopped, its resume file saved */
	TL_EEV_IDLE,       /* stopped and every goodbye said (trackers): nothing runs */
};

typedef void (*tl_entry_event_fn)(struct tl_entry *e, enum tl_entry_event ev, void *arg);

/* The status of an entry, filled by the engine. */
struct tl_entry_stat {
	enum tl_torrent_state state;
	const char *name;              /* the torrent's, the magnet link's dn, or NULL */
	struct tl_torrent_stats t;     /* the torrent's (zero before its metadata) */
	bool has_torrent;              /* t is filled */
	bool is_paused;
	int64_t eta_s;                 /* seconds to completion at the current rate; -1: unknown */
	/* magnet phase */
	size_t meta_connected, meta_connecting, meta_known;
	bool is_meta_size_known;
	const char *meta_stuck;        /* why no metadata comes (static), or NULL */
	/* announces */
	bool has_dht;                  /* dht is filled */
	struct tl_sdht_watch_stat dht;
	const struct tl_tracker *trackers; /* NULL: none (borrowed until the next return to the loop) */
	bool has_self_check, is_findable;
	const char *error;             /* why it failed, or NULL */
};

/* What the session lends an entry (borrowed for its life). */
struct tl_entry_env {
	struct tl_torrent_ctx ctx;
	struct tl_announce_env ann;
	const char *state_dir;   /* NULL: nothing kept */
	tl_entry_event_fn fn;
	void *arg;
};

/* A torrent from mi (taken), or from a magnet link (mg, copied) whose
 * metadata is loaded from the state directory or fetched. Nothing runs
 * until tl_entry_start. NULL with *why_out when a setting is unusable. */
struct tl_entry *tl_entry_new(const struct tl_entry_env *env, struct tl_metainfo *mi_take,
    const struct tl_magnet *mg, const struct tl_entry_settings *set, const char **why_out);
/* Free at once (nothing is told; no disk job of its torrent may be in
 * flight: the entry is idle, or the pool was flushed). NULL ok. */
void tl_entry_free(struct tl_entry *e);
/* The session is going away: stop the torrent without an event (its last
 * resume save is a disk job the session waits for), then tl_entry_free. */
void tl_entry_halt(struct tl_entry *e);

/* Run: fetch the metadata or start the torrent, announce. false with
 * *why_out when the torrent cannot start (the entry is then in ERROR). */
bool tl_entry_start(struct tl_entry *e, const char **why_out);
/* Stop: the torrent saves its resume file and closes its peers, the
 * trackers hear "stopped"; TL_EEV_STOPPED, then TL_EEV_IDLE. The entry
 * keeps its metadata; tl_entry_start runs it again. */
void tl_entry_stop(struct tl_entry *e);
/* Once a second: goals, the self-check, tracker progress. */
void tl_entry_tick(struct tl_entry *e, uint64_t now_ms);
/* An incoming peer whose handshake named this entry's infohash: 0 when
 * taken, -1 when refused (the caller closes it). */
int tl_entry_take_incoming(struct tl_entry *e, struct tl_peer *p);

/* Delete the entry's data files (those of its metainfo under its
 * directory) and its resume file; the entry must not run. Returns how
 * many files could not be deleted (logged). */
size_t tl_entry_delete_data(struct tl_entry *e);

bool tl_entry_is_running(const struct tl_entry *e); /* started and not yet idle */
bool tl_entry_is_idle(const struct tl_entry *e);
/* Every wanted piece is there (or it seeds existing data), as far as
 * known: a stopped entry answers from its last run. */
bool tl_entry_is_complete(const struct tl_entry *e);
/* The settings to keep for a restart: trackers are the torrent's (each a
 * tier of its own), the magnet link's and the added ones; peers the magnet
 * link's and the added ones. Strings borrowed from e; the returned
 * array (out->trackers) is the caller's to free. */
const char **tl_entry_saved_settings(const struct tl_entry *e, struct tl_entry_settings *out);
/* The session's queue holds it back (its state reads "queued"). */
void tl_entry_set_queued(struct tl_entry *e, bool is_queued);
const struct tl_infohash *tl_entry_infohash(const struct tl_entry *e);
/* The torrent (NULL before the metadata, or when stopped). */
struct tl_torrent *tl_entry_torrent(struct tl_entry *e);
/* The metadata (NULL before it is known). */
const struct tl_metainfo *tl_entry_metainfo(const struct tl_entry *e);
const struct tl_entry_settings *tl_entry_settings(const struct tl_entry *e);
void tl_entry_stat(const struct tl_entry *e, struct tl_entry_stat *out);
/* For the front end: its own pointer, kept with the entry. */
void tl_entry_set_user(struct tl_entry *e, void *user);
void *tl_entry_user(const struct tl_entry *e);

#endif
