/*
 * swarm.h: a torrent's address book: the addresses it knows peers at (from
 * the DHT, PEX, trackers, the command line and adopted connections), when
 * each may be dialed again, which connection holds it, and the hosts it
 * banned.
 *
 * Pure data: no sockets, no clock of its own (the caller passes now_ms),
 * no peers. A connection is known here only by its serial (tl_peer's
 * serial, never 0); the torrent says when one is dialed, answers, closes.
 * So every rule (one entry per address, backoff after failures, seeds
 * skipped once complete, bans by host) is unit tested without a socket
 * (tests/unit/test_swarm.c).
 *
 * Invariants: one entry per address (tl_sockaddr_same: family, address and
 * port); an entry with serial != 0 is held by that connection and is not
 * offered for dialing; a banned host (any port) is never offered.
 *
 * Owns its arrays; embedded in struct tl_torrent. Thread: the loop thread.
 */
#ifndef TL_SWARM_H
#define TL_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/digest.h"

/* Backoff of an address: 1 s << min(fails, 6) after a connection ends;
 * a dial that could not even start waits TL_SWARM_RETRY_MS. */
#define TL_SWARM_BACKOFF_MAX_SHIFT 6u
#define TL_SWARM_RETRY_MS 5000u

/* One address a peer may be reached at. */
struct tl_swarm_addr {
	struct sockaddr_storage addr;
	socklen_t len;
	uint64_t serial;      /* the connection dialed from it (or holding it); 0: none */
	uint64_t next_try_ms; /* not dialed before this */
	unsigned fails;       /* connections in a row that never became active */
	bool has_id;
	struct tl_peer_id id; /* who answered last time */
	bool is_seed;         /* it had every piece when its connection closed */
};

struct tl_swarm {
	struct tl_swarm_addr *known;
	size_t nknown, known_cap;
	struct sockaddr_storage *banned;
	size_t nbanned;
};

void tl_swarm_init(struct tl_swarm *sw);
/* Free the arrays; the swarm is empty after. */
void tl_swarm_clear(struct tl_swarm *sw);

/* The entry of addr (len <= sizeof(struct sockaddr_storage)), added when
 * absent (*is_new_out says which). The pointer is valid until the next
 * addition. */
struct tl_swarm_addr *tl_swarm_get(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len,
    bool *is_new_out);
/*
 * addr was reported (DHT, PEX, tracker, given). Every report names the
 * same peers again: one entry each. True when a dial pass is worth
 * running: the address is new, or it failed before and no connection holds
 * it (a fresh report of it is worth a try now: due at once). False for a
 * len too large for an address.
 */
bool tl_swarm_offer(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len);
/* A connection that was not dialed from the book (handed over) listens at
 * addr: the entry is held by serial and answers with id. */
void tl_swarm_hold(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len, uint64_t serial,
    const struct tl_peer_id *id);

/*
 * The next entry due for a dial at or after *pos (advanced past it), or
 * NULL: not held by a connection, due by now_ms, its host not banned, and
 * not a seed when skip_seeds (we are complete).
 */
struct tl_swarm_addr *tl_swarm_next_due(struct tl_swarm *sw, size_t *pos, uint64_t now_ms,
    bool skip_seeds);
/* a is dialed by connection serial (not 0). */
void tl_swarm_dialed(struct tl_swarm_addr *a, uint64_t serial);
/* A dial of a could not start: a failure, tried again TL_SWARM_RETRY_MS later. */
void tl_swarm_dial_failed(struct tl_swarm_addr *a, uint64_t now_ms);
/* Connection serial finished its handshake with a peer of this id: its
 * entries forget their failures. */
void tl_swarm_answered(struct tl_swarm *sw, uint64_t serial, const struct tl_peer_id *id);
/* Connection serial closed (was_active: its handshake had finished;
 * was_seed: it had every piece): its entries are free again, due after
 * the backoff. */
void tl_swarm_closed(struct tl_swarm *sw, uint64_t serial, bool was_active, bool was_seed,
    uint64_t now_ms);

/* Ban the host of a (every port of it). */
void tl_swarm_ban(struct tl_swarm *sw, const struct sockaddr_storage *a);
/* a's host is banned. */
bool tl_swarm_is_banned(const struct tl_swarm *sw, const struct sockaddr_storage *a);

#endif
