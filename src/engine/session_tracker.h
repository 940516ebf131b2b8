/*
 * session_tracker.h: trackers as a second source of peers next to the DHT
 * (L4). One HTTP(S) client and one UDP client (BEP 3, BEP 15) per session
 * lent to every torrent's BEP 12 tier set (tracker.h); the tracker list
 * of a transfer built from the torrent's announce-list, the magnet link's
 * `tr` parameters and the user's extra URLs; the stopped announce on exit
 * with a bounded wait; and the status of each tracker for the JSON and
 * terminal status lines. Also one-off scrapes (BEP 48, BEP 15) of a
 * torrent's trackers for `trackless info --scrape`.
 *
 * Owns the two clients and the stop timer; the tl_tracker sets it makes
 * belong to the caller (tl_tracker_free) and must be freed before the
 * tl_strk. Thread: the loop.
 */
#ifndef TL_SESSION_TRACKER_H
#define TL_SESSION_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/tracker.h"

struct event_base;
struct tl_json;
struct tl_strk;

/* One announce is abandoned after this long (HTTP and UDP). */
#define TL_STRK_TIMEOUT_MS 15000u
/* How long the stopped announce may hold up the exit (BEP 3 "stopped"). */
#define TL_STRK_STOP_GRACE_MS 2000u

/*
 * A tracker list under construction: urls[i] in BEP 12 tier tiers[i].
 * Zero-initialise; every string is owned. Duplicates are skipped.
 */
struct tl_strk_urls {
	char **urls;
	unsigned *tiers;
	size_t n;
};
/* Append a torrent's announce-list (borrowed), keeping its tiers. */
void tl_strk_urls_add_tiers(struct tl_strk_urls *u, const struct tl_tracker_tier *tiers, size_t ntiers);
/* Append url (copied) as a tier of its own after the last one; urls that
 * are empty or longer than TL_MAX_TRACKER_URL are ignored. */
void tl_strk_urls_add(struct tl_strk_urls *u, const char *url);
void tl_strk_urls_clear(struct tl_strk_urls *u);

/*
 * The clients on base, sending from the numeric address bind (NULL: any)
 * so that trackers record the address we listen on; ca_file (may be
 * NULL) adds trusted CAs for HTTPS.
 * NULL with a message in err_out[0..err_cap) when the CA file or TLS
 * context cannot be loaded. Host names are resolved with a private
 * evdns base. The caller must ignore SIGPIPE (evhttp writes to sockets).
 */
struct tl_strk *tl_strk_new(struct event_base *base, const char *bind, const char *ca_file,
    char *err_out, size_t err_cap);
/* Free; every tracker set made by it must be gone. NULL is a no-op. */
void tl_strk_free(struct tl_strk *s);

/* A tracker set over urls (copied) announcing through s; NULL when no
 * usable URL is left. Peers go to fn(arg). Nothing is sent before a
 * tl_tracker_event(STARTED) or tl_tracker_announce_soon. */
struct tl_tracker *tl_strk_tracker_new(struct tl_strk *s, const struct tl_tracker_cfg *cfg,
    const struct tl_strk_urls *urls, tl_tracker_peers_fn fn, void *arg);

/* Progress for the next announce from the torrent's byte counts: left is
 * what is still wanted (0 when have >= wanted). */
void tl_strk_progress(struct tl_tracker *t, uint64_t uploaded, uint64_t downloaded,
    uint64_t wanted, uint64_t have);

/*
 * Send STOPPED on t (once the announce in flight, if any, finished, or
 * after grace_ms / 2) and call done(arg) from the loop once every tracker
 * answered or failed, or after grace_ms at the latest. t stays the
 * caller's (free it after done ran). One stop at a time per tl_strk; a
 * second call replaces the first's callback.
 */
void tl_strk_stop(struct tl_strk *s, struct tl_tracker *t, unsigned grace_ms,
    void (*done)(void *arg), void *arg);

/*
 * Write the trackers of t (may be NULL: an empty array) as a JSON array
 * of {url, tier, status: "ok"|"error"|"updating"|"waiting", error,
 * peers, seeders, leechers, next_s} at now_ms.
 */
void tl_strk_json(struct tl_json *j, const struct tl_tracker *t, uint64_t now_ms);

/* A short summary for the terminal line, e.g. "trackers 1/2 ok" or
 * "tracker: timed out"; "" when t is NULL or has no tracker. */
void tl_strk_summary(const struct tl_tracker *t, char *out, size_t n);

/* The outcome of one scrape: error NULL and e the torrent's counts, or
 * an error ("timed out", "not in the reply", the tracker's failure
 * reason...) and e NULL. Both valid during the call only. */
typedef void (*tl_strk_scrape_fn)(void *arg, const char *error, const struct tl_scrape_entry *e);

/*
 * Scrape ih at the tracker whose announce URL is url (http(s): the BEP 48
 * scrape URL; udp: BEP 15). fn runs once, from the loop, unless s is
 * freed first. false with err_out set when it cannot start (fn is then
 * not called).
 */
bool tl_strk_scrape(struct tl_strk *s, const char *url, const struct tl_infohash *ih,
    tl_strk_scrape_fn fn, void *arg, char *err_out, size_t err_cap);

#endif
