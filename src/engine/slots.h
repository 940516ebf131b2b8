/*
 * slots.h: who of a torrent's peers may download from us (BEP 3
 * choking), and which idle peer gives its connection to a newcomer.
 *
 * The policy is the choker's (proto/choker.h, pure): every
 * TL_SLOTS_INTERVAL_S the best TL_SLOTS_REGULAR interested peers by rate
 * plus one optimistic unchoke. This part feeds it the peers' state, sends
 * CHOKE/UNCHOKE (a choke drops the peer's queued requests, upload.h), and
 * brings a run forward (at most once a second) when an interested peer
 * waits while a slot is held by a peer that does not read.
 *
 * Takes the torrent's peer list (linked by next) as an argument; never
 * calls the torrent. Embedded in struct tl_torrent. Thread: the loop.
 */
#ifndef TL_SLOTS_H
#define TL_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/choker.h"

struct tl_peer;

/* BEP 3 choking: four regular unchokes plus one optimistic. */
#define TL_SLOTS_REGULAR 4u
#define TL_SLOTS_INTERVAL_S 10u

struct tl_slots {
	struct tl_choker choker;
	uint64_t rechoke_ms; /* the last choker run */
};

void tl_slots_init(struct tl_slots *s, uint64_t seed);
/* Choke or unchoke p (ACTIVE) unless it already is. */
void tl_slots_set(struct tl_peer *p, bool choke);
/* Fewer peers of the list are unchoked than there are slots. */
bool tl_slots_has_free(const struct tl_peer *peers);
/* Run the choker over the ACTIVE peers of the list (is_complete: seeding). */
void tl_slots_run(struct tl_slots *s, struct tl_peer *peers, bool is_complete);
/* p (choked) became interested: unchoked when a slot is free; else a
 * slot held by a peer that does not read is taken back now. */
void tl_slots_interested(struct tl_slots *s, struct tl_peer *peers, struct tl_peer *p,
    bool is_complete);
/* The ACTIVE peer of the list (npeers long at most) that has been idle
 * longest (tl_choker_pick_idle) and since when (*since_out), or NULL. */
struct tl_peer *tl_slots_idle_peer(struct tl_peer *peers, unsigned npeers, uint64_t now_ms,
    uint64_t *since_out);

#endif
