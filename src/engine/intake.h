/*
 * intake.h: a torrent's peer list and who joins it: connections taken
 * from the listener, dialed from the known addresses, or handed over by
 * the magnet metadata fetch with what they said they have; room made at
 * the limits; one connection per peer id; bans of peers whose data
 * failed the hash check.
 *
 * Limits: max_peers per torrent, the session's max_total_peers (a count
 * shared by its torrents), and descriptors (ctx fds: a dial only when a
 * socket is granted). At a limit an incoming peer takes the slot of the
 * peer idle longest (tl_slots_idle_peer), of this torrent or, through
 * the session's make_room hook, of any. Two ACTIVE connections to one
 * peer id: both sides keep the one dialed by the lower peer id (the older
 * one when the same side dialed both).
 *
 * The torrent says whether it takes peers at all (an is_open argument:
 * started, not checking, stopping or failed, as each path needs); the
 * connections get the ops and owner given at init, so their messages go
 * to the torrent, never here. The rules that need no connection (the
 * duplicate to close, a connection's listen address, a peer id already
 * connected, room under the caps) are pure and unit tested without
 * sockets (tests/unit/test_intake.c).
 *
 * Owns the list's links and count (each peer belongs to its connection
 * and the close queue); borrows the session's context, and the swarm,
 * layout and handshake of its torrent. Embedded in struct tl_torrent.
 * Thread: the loop thread.
 */
#ifndef TL_INTAKE_H
#define TL_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"
#include "codec/layout.h"
#include "engine/swarm.h"
#include "engine/torrent.h"

struct tl_early_have;
struct tl_handshake;
struct tl_peer;
struct tl_peer_ops;

/* A peer that sent data of this many failed pieces is banned. */
#define TL_INTAKE_BAN_HASH_FAILS 3u

struct tl_intake {
	struct tl_peer *peers; /* the torrent's peers, linked by next, newest first */
	unsigned npeers;
	unsigned max_peers;
	/* borrowed */
	const struct tl_torrent_ctx *ctx;
	struct tl_swarm *swarm;
	const struct tl_layout *l;
	const struct tl_handshake *hs; /* ours, sent to each peer */
	const struct tl_peer_ops *ops;
	void *owner;
};

void tl_intake_init(struct tl_intake *in, const struct tl_torrent_ctx *ctx, unsigned max_peers,
    struct tl_swarm *swarm, const struct tl_layout *l, const struct tl_handshake *hs,
    const struct tl_peer_ops *ops, void *owner);

/* An incoming peer whose handshake names the torrent: attached and linked,
 * making room at a limit; -1 when refused (!is_open, banned, no room): the
 * caller closes it. */
int tl_intake_take(struct tl_intake *in, struct tl_peer *p, bool is_open);
/* Dial the addresses due at now_ms (not seeds when is_complete) while
 * there is room and descriptors, skipping those whose peer id is
 * connected already. */
void tl_intake_dial(struct tl_intake *in, uint64_t now_ms, bool is_complete);
/*
 * A connection of the metadata fetch (ACTIVE): eh is checked as a
 * BITFIELD and becomes p->have; p is attached and linked, and its listen
 * address held in the swarm by it. Returns 0, or -1 with a static
 * *why_out (!is_open, no room, banned, eh does not fit): not linked, the
 * caller closes it. The caller then tells the picker of p->have and calls
 * tl_intake_dedup.
 */
int tl_intake_adopt(struct tl_intake *in, struct tl_peer *p, bool is_open,
    const struct tl_early_have *eh, const char **why_out);
/* p completed its handshakes: closed when it is ourselves or a duplicate
 * that loses. False when p was closed. */
bool tl_intake_ready(struct tl_intake *in, struct tl_peer *p);
/* Another ACTIVE connection to p's peer id: the loser is closed. True when
 * p was the one closed. */
bool tl_intake_dedup(struct tl_intake *in, struct tl_peer *p);
/* The connections of serials sent data of a piece that failed its hash:
 * each ACTIVE one is scored, and banned (its host, in the swarm) and
 * closed at TL_INTAKE_BAN_HASH_FAILS. */
void tl_intake_blame(struct tl_intake *in, const uint64_t *serials, size_t n);
/* p is closing (its on_close): unlinked and uncounted; the swarm learns
 * how its connection ended. p->have must still be what p had. */
void tl_intake_unlink(struct tl_intake *in, struct tl_peer *p, uint64_t now_ms);

/* ---- pure ---- */

/* Under both caps: the torrent's max_peers and the session's total. */
bool tl_intake_has_room(const struct tl_intake *in);
/* The connection to close of p and another ACTIVE one to p's peer id in
 * the list (either p or that one), or NULL when there is none. self is
 * our peer id. */
struct tl_peer *tl_intake_dup_loser(struct tl_peer *peers, struct tl_peer *p,
    const struct tl_peer_id *self);
/* The peer of the list with this serial, or NULL. */
struct tl_peer *tl_intake_find(struct tl_peer *peers, uint64_t serial);
/* An ACTIVE peer of the list answered with id. */
bool tl_intake_id_connected(const struct tl_peer *peers, const struct tl_peer_id *id);
/* The address p accepts connections on: where it was dialed, or an
 * incoming peer's IP with the "p" of its extension handshake. False when
 * unknown. */
bool tl_intake_listen_addr(const struct tl_peer *p, struct sockaddr_storage *out);

#endif
