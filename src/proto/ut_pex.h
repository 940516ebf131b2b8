/*
 * ut_pex.h: BEP 11 peer exchange, sans-I/O: the ut_pex message (build and
 * parse) and a per-peer helper that works out what to tell a peer next.
 *
 * A message is a bencoded dict of compact contact strings: added / added6
 * (6 / 18 bytes each) with optional one-flag-byte-per-contact added.f /
 * added6.f, and dropped / dropped6. We send at most TL_PEX_MAX_SEND added
 * and TL_PEX_MAX_SEND dropped contacts per message (v4 and v6 together) and
 * accept at most TL_PEX_MAX_RECV per list. Sending at most one message a
 * minute is the caller's timing.
 *
 * A parsed message holds views into its input. struct tl_pex_state owns
 * its array. Thread: any, one object per thread.
 */
#ifndef TL_UT_PEX_H
#define TL_UT_PEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* BEP 11 contact flags (added.f). */
#define TL_PEX_F_ENCRYPTION 0x01u
#define TL_PEX_F_SEED 0x02u
#define TL_PEX_F_UTP 0x04u
#define TL_PEX_F_HOLEPUNCH 0x08u
#define TL_PEX_F_REACHABLE 0x10u

/* A built message never exceeds this (2 x 50 contacts of up to 19 bytes). */
#define TL_PEX_MAX_MSG_LEN 2048u

struct tl_pex_peer {
	uint8_t family;   /* 4 or 6 */
	uint8_t flags;    /* TL_PEX_F_*; 0 for dropped contacts */
	uint16_t port;
	uint8_t addr[16]; /* network order; IPv4 uses the first 4, the rest zero */
};

enum tl_pex_list {
	TL_PEX_ADDED = 0,
	TL_PEX_ADDED6 = 1,
	TL_PEX_DROPPED = 2,
	TL_PEX_DROPPED6 = 3,
	TL_PEX_NLISTS = 4,
};

struct tl_pex_msg {
	const uint8_t *list[TL_PEX_NLISTS]; /* compact contacts in the input, or NULL */
	size_t count[TL_PEX_NLISTS];        /* contacts in each list */
	const uint8_t *flags[2];            /* added.f / added6.f (count bytes), or NULL */
};

/*
 * Parse a ut_pex payload p[0..len) (after the extended id byte). Checks:
 * a dict (BEP 11 wants at least one list in it, but aria2 1.36 sends an
 * empty "de", so none is accepted as no news); each list a string whose
 * length is a multiple of its contact size with at most TL_PEX_MAX_RECV
 * contacts; each flags string exactly one byte per contact. Returns TL_OK
 * or TL_EINVAL with *why_out.
 */
int tl_pex_parse(const uint8_t *p, size_t len, struct tl_pex_msg *out, const char **why_out);

/* Contact i (< m->count[l]) of list l, with its flags when present. */
void tl_pex_get(const struct tl_pex_msg *m, enum tl_pex_list l, size_t i, struct tl_pex_peer *out);

/*
 * Build a message from added[0..nadded) and dropped[0..ndropped) (each of
 * either family; at most TL_PEX_MAX_SEND each) into out[0..cap). Flags
 * strings are written for the added lists. Returns the length, or 0 when
 * a count is over TL_PEX_MAX_SEND or cap is too small
 * (TL_PEX_MAX_MSG_LEN always suffices).
 */
size_t tl_pex_build(const struct tl_pex_peer *added, size_t nadded, const struct tl_pex_peer *dropped,
    size_t ndropped, uint8_t *out, size_t cap);

/* What one peer has been told: the contacts it currently knows from us. */
struct tl_pex_state {
	struct tl_pex_peer *sent; /* sorted by family, address, port */
	size_t n;
	size_t cap;
};

/* An empty state (the peer was told nothing yet). */
void tl_pex_state_init(struct tl_pex_state *st);
/* Release the array; st may be NULL. */
void tl_pex_state_clear(struct tl_pex_state *st);

/*
 * The next message for a peer: cur[0..ncur) is the set of contacts we are
 * connected to now (any order; duplicates and the peer itself are the
 * caller's to leave out, duplicates are merged). added_out gets up to
 * max_added contacts of cur the peer has not been told of, dropped_out up
 * to max_dropped it was told of that are gone; st then records them as
 * sent. What does not fit waits for the next call. A contact is never in
 * both lists.
 */
void tl_pex_diff(struct tl_pex_state *st, const struct tl_pex_peer *cur, size_t ncur, struct tl_pex_peer *added_out,
    size_t max_added, size_t *nadded_out, struct tl_pex_peer *dropped_out, size_t max_dropped,
    size_t *ndropped_out);

#endif
