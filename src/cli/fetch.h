/*
 * fetch.h: the magnet phase of `trackless get`: find peers of the
 * infohash (DHT watch, x.pe, --peer, PEX), fetch and verify the metadata
 * (metafetch.h), save it as STATE_DIR/torrents/HEX.torrent so a restart
 * does not fetch it again, then hand the metainfo and the peers found to
 * the caller, which starts the torrent and takes over the fetch's live
 * connections (tl_fetch_handover). Front-end code (L5).
 */
#ifndef TL_CLI_FETCH_H
#define TL_CLI_FETCH_H

#include <stddef.h>
#include <sys/socket.h>

struct tl_magnet;
struct tl_metainfo;
struct tl_session;
struct tl_fetch;
struct tl_torrent;

/* The metadata is in: mi (taken) and n peer addresses (borrowed during
 * the call). Called from a fresh event; the fetch may be freed in it. */
typedef void (*tl_fetch_done_fn)(void *arg, struct tl_metainfo *mi_take, const struct sockaddr_storage *peers,
    const socklen_t *lens, size_t n);

/* Load STATE_DIR/torrents/HEX.torrent when a previous run saved it and it
 * still hashes to ih; NULL otherwise. */
struct tl_metainfo *tl_fetch_load_saved(const char *state_dir, const struct tl_magnet *mg);

/* Start fetching; extra[0..nextra) are more peers ("host:port"). */
struct tl_fetch *tl_fetch_new(struct tl_session *s, const struct tl_magnet *mg, const char *state_dir,
    const char *const *extra, size_t nextra, tl_fetch_done_fn fn, void *arg);
void tl_fetch_free(struct tl_fetch *f);
/* From the done callback, once t was made from the metadata and
 * started: t takes the live connections of the fetch (metafetch.h
 * tl_mf_handover) instead of their being closed by tl_fetch_free. Call it
 * before adding the peer addresses to t. Returns how many it took. */
size_t tl_fetch_handover(struct tl_fetch *f, struct tl_torrent *t);
/* One more peer to ask for the metadata (a tracker's reply); borrowed. */
void tl_fetch_add_peer(struct tl_fetch *f, const struct sockaddr *sa, socklen_t len);
/* One status line ("metadata: ..."), into out[0..n). */
void tl_fetch_status(const struct tl_fetch *f, char *out, size_t n);
/* The reason the fetch is stuck, or NULL. */
const char *tl_fetch_stuck(const struct tl_fetch *f);

#endif
