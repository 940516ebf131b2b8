/*
 * choker.h: who gets an upload slot, a pure policy (BEP 3 "Choking and
 * Optimistic Unchoking").
 *
 * Called every ~10 s by the caller's timer with the state of each peer:
 *   - leeching: tit-for-tat, the peers that upload to us fastest get the
 *     regular slots (snubbed peers, who stopped sending to us, do not);
 *   - seeding: the peers we upload to fastest keep their slots for up to
 *     TL_CHOKER_SEED_ROTATE_MS, then those that waited longest get a turn;
 *     one that takes nothing (a peer that never reads its socket or never
 *     asks) loses its slot after TL_CHOKER_TAKE_GRACE_MS, one whose output
 *     is stalled at once;
 *   - one more slot is optimistic: a random interested peer (newcomers
 *     three times as likely), changed every TL_CHOKER_OPTIMISTIC_MS.
 * Peers not interested in us are choked: they would not request anyway.
 *
 * Owns nothing but the optimistic choice and its random state.
 * Thread: the event loop's.
 */
#ifndef TL_CHOKER_H
#define TL_CHOKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* BEP 3: rotate the optimistic unchoke every 30 seconds. */
#define TL_CHOKER_OPTIMISTIC_MS 30000u
/* Seeding: how long a peer keeps a slot before others get a turn. */
#define TL_CHOKER_SEED_ROTATE_MS 60000u
/* Seeding: how long an unchoked peer may take nothing and keep its slot
 * (more than one 10 s rechoke, so a new peer's rate has been measured). */
#define TL_CHOKER_TAKE_GRACE_MS 15000u
/* Output queued and not a byte of it sent for this long: stalled. */
#define TL_CHOKER_STALL_MS 5000u

struct tl_choker_peer {
	uint64_t key;           /* the caller's id for the peer */
	bool is_interested;     /* the peer is interested in our pieces */
	bool is_snubbed;        /* it sent us no block for a while though we asked */
	bool is_unchoked;       /* we unchoke it now */
	uint64_t rate_down;     /* bytes/s we receive from it */
	uint64_t rate_up;       /* bytes/s we send to it */
	uint64_t last_unchoked; /* ms when its current/last unchoke began; 0 never */
	bool is_stalled;        /* what we send it has not moved for TL_CHOKER_STALL_MS:
	                         * it does not read (a slot given to it is wasted) */
};

struct tl_choker {
	uint64_t optimistic;       /* key of the optimistic peer */
	uint64_t optimistic_since; /* ms */
	bool has_optimistic;
	uint64_t rng;
};

void tl_choker_init(struct tl_choker *c, uint64_t seed);

/*
 * Decide which of peers[0..n) to unchoke with `slots` upload slots (the
 * last of them optimistic) at time now_ms. Writes
 * unchoke_out[i] for every peer and returns how many are unchoked. The
 * caller sends CHOKE/UNCHOKE for the changes and keeps is_unchoked and
 * last_unchoked up to date.
 */
size_t tl_choker_run(struct tl_choker *c, const struct tl_choker_peer *peers, size_t n, unsigned slots,
    bool is_seeding, uint64_t now_ms, bool *unchoke_out);

/*
 * Connection slots. A torrent at its peer limit makes room for a new peer
 * by dropping one that neither wants anything from us nor gives us
 * anything (as mature clients do), so idle connections cannot keep every
 * slot. A peer counts as idle once TL_CHOKER_IDLE_MS passed without
 * either side interested or a block either way (its connection's age
 * counts as such a time: a new peer has that long to show interest).
 */
#define TL_CHOKER_IDLE_MS 10000u

struct tl_slot_peer {
	bool is_interested;     /* it is interested in our pieces */
	bool am_interested;     /* we are in its */
	uint64_t active_ms;     /* when its handshakes completed */
	uint64_t last_data_ms;  /* its last block either way; 0 none */
};

/* The index in peers[0..n) of the peer to drop for a newcomer at now_ms:
 * the idle one quiet longest; n when none is idle. */
size_t tl_choker_pick_idle(const struct tl_slot_peer *peers, size_t n, uint64_t now_ms);

#endif
