/*
 * session.h: the top of the engine. A session owns the event_base, the
 * listeners, the UDP port (io/udp: the DHT's sockets), the DHT node, the tracker client, the disk pool, the close
 * queue, the rate limits, the state directory (locked for the process:
 * resume files, fetched metadata, DHT nodes, the listen port) and any
 * number of torrents (entry.h), kept in a hash table by infohash. It
 * matches incoming connections to torrents, ticks every torrent once a
 * second, and shares its peer budget among them.
 *
 * Ownership: session -> entries -> torrent -> peers. Torrents are added,
 * stopped, started again and removed while the session runs; the front
 * end hears of them through one event callback.
 *
 * Thread: the loop thread (the one that calls tl_session_run).
 */
#ifndef TL_SESSION_H
#define TL_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/entry.h"
#include "engine/torrent.h"

struct event_base;
struct tl_session;
struct tl_sdht;
struct tl_peer;

struct tl_session_opts {
	const char *bind;      /* listen and dial from this address; NULL: any (v4 and v6) */
	uint16_t port;         /* listen port; 0: the last run's (saved in the state
	                        * directory) when free, else any */
	bool is_port_fixed;    /* port as given, even 0 (any): the saved one is not used
	                        * and this run's is not saved */
	const char *state_dir; /* NULL: $XDG_STATE_HOME/trackless (statedir.h) */
	bool is_stateless;     /* no state directory at all */
	bool is_persistent;    /* keep the list of torrents and their settings in the
	                        * state directory (catalog.h; tl_session_restore) */
	const char *tracker_ca; /* extra CAs trusted for HTTPS trackers (PEM file) */
	unsigned max_downloads; /* torrents downloading at once (queue.h); 0: no limit */
	unsigned max_seeds;     /* torrents seeding at once; 0: no limit */
	tl_entry_event_fn event_fn; /* what happens to the torrents */
	void *event_arg;
	unsigned max_peers;    /* over all torrents; 0: 200 */
	uint64_t up_limit;     /* bytes/s; 0: unlimited */
	uint64_t down_limit;
	unsigned disk_threads; /* 0: 2 */
	/* DHT (session_dht.h) */
	bool want_dht;         /* run a DHT node and look every torrent up in it */
	uint16_t dht_port;     /* UDP port; 0: the same number as the TCP port */
	const char *const *bootstrap; /* "host:port"; replace the built-in routers */
	size_t nbootstrap;
	bool is_no_bootstrap;         /* never contact the built-in routers */
	bool is_dht_same_subnet;      /* DHT: no one-node-per-/24 (/64) rule */
	uint32_t dht_announce_ms;     /* re-announce period; 0: TL_SDHT_ANNOUNCE_MS */
};

/* A session, listening already, its state directory locked. NULL with
 * *why_out when it cannot bind or another process holds the directory. */
struct tl_session *tl_session_new(const struct tl_session_opts *opts, const char **why_out);
/* Closes everything (waits for disk jobs). NULL is a no-op. */
void tl_session_free(struct tl_session *s);
struct event_base *tl_session_base(struct tl_session *s);
/* The port we listen on. */
uint16_t tl_session_port(const struct tl_session *s);
/* Download and upload limits of the whole session, in bytes/s (0 =
 * unlimited), from now on: every connection counts, running ones too. A
 * magnet link's metadata connections are not limited. */
void tl_session_set_limits(struct tl_session *s, uint64_t down_bps, uint64_t up_bps);
/* The state directory, or NULL. */
const char *tl_session_state_dir(const struct tl_session *s);

/*
 * Add a torrent: from mi (taken), or from a magnet link (mg, borrowed)
 * whose metadata comes from the state directory or from peers. It starts
 * at once unless set->is_paused or the queue is full (a start that fails leaves it in the
 * error state, with the reason in its status). user is the front end's
 * (tl_entry_user), set before any event. NULL with *why_out when it is
 * there already, a setting is unusable or the trackers cannot be set up.
 */
struct tl_entry *tl_session_add(struct tl_session *s, struct tl_metainfo *mi_take, const struct tl_magnet *mg,
    const struct tl_entry_settings *set, void *user, const char **why_out);
/* opts.is_persistent: add the torrents the state directory lists, as
 * they were (stopped ones stay stopped); their user pointer is NULL.
 * Returns how many. A list that cannot be read is set aside (renamed
 * .bad, logged) and the session starts empty. */
size_t tl_session_restore(struct tl_session *s);
/* Stop e (when it runs), then free it and forget its resume file and
 * saved metadata; with_data deletes its files too. No event of e reaches
 * the front end after this call; e is freed from a later event. */
void tl_session_remove(struct tl_session *s, struct tl_entry *e, bool with_data);
/* Start e (a stopped one again) when the queue has a place for it, now
 * or later; its state reads "queued" meanwhile. */
void tl_session_start(struct tl_session *s, struct tl_entry *e);
/* Stop e (it saves its resume file, says goodbye to its trackers) and
 * keep it stopped until tl_session_start. */
void tl_session_stop(struct tl_session *s, struct tl_entry *e);
/* The torrent of ih, or NULL. */
struct tl_entry *tl_session_find(const struct tl_session *s, const struct tl_infohash *ih);
/* Torrents in the order added (a removal closes the gap). */
size_t tl_session_count(const struct tl_session *s);
struct tl_entry *tl_session_entry(struct tl_session *s, size_t i);

/* The session's DHT, or NULL when it runs without one. */
struct tl_sdht *tl_session_dht(struct tl_session *s);
/* The session's UDP port (io/udp.h: its counters), or NULL when it has
 * none (no DHT). */
struct tl_udp;
struct tl_udp *tl_session_udp(struct tl_session *s);
/* What the session lends torrents: base, disk, close queue, peer id, bind
 * address, ports. Valid for the session's life. */
void tl_session_context(struct tl_session *s, struct tl_torrent_ctx *out);

/* Run the loop until tl_session_break. */
void tl_session_run(struct tl_session *s);
void tl_session_break(struct tl_session *s);

#endif
