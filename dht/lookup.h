/*
 * lookup.h: the state of one iterative lookup (BEP 5 get_peers or
 * find_node), independent of sockets and of the instance.
 *
 * Candidates are kept sorted by XOR distance to the target (at most
 * LK_MAX_CAND). The driver (search.c) asks lookup_next() which candidate
 * to query; up to LK_ALPHA queries count as outstanding, all among the
 * LK_K closest candidates that are neither failed nor stalled, plus up to
 * LK_BURST more for candidates closer than every node that has replied
 * (the lookup just made progress: asking them at once, rather than one
 * per later reply, shortens the path to the values). A query
 * unanswered after the short timeout (adaptive, from observed RTTs) is
 * STALLED: it no longer counts toward alpha and leaves the query window,
 * so the next-closest candidate is asked in its place, but a late reply
 * is still used. A query unanswered after the longer give-up bound is
 * LATE: it no longer holds up completion either (a reply is still used
 * while the lookup runs). The hard timeout (the instance's table of
 * outstanding queries, txn.h) marks it FAILED. The lookup is done when
 * the LK_K closest candidates that are neither failed nor late have all
 * replied, or when nothing is left to ask. So a dead node among the
 * closest costs the give-up bound, not the hard timeout, and its
 * replacement is usually already asked.
 *
 * Candidates are diverse: one per IP, and unless allow_same_subnet one
 * per /24 (IPv4) or /64 (IPv6), so that one host or network handing out
 * many made-up ids close to the target cannot take over the K closest.
 *
 * Values are de-duplicated within a lookup (LK_SEEN remembered peers, in
 * a set allocated with the first value, so that find_node lookups carry
 * none).
 * Tokens are kept per candidate for the announce that follows a
 * get_peers. Plain struct, owned by the instance; single thread.
 */
#ifndef DHT_LOOKUP_H
#define DHT_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"
#include "dht/krpc.h"

struct bep44_op;
struct bep33_scrape;

#define LK_ALPHA 4u
#define LK_BURST 2u
#define LK_K 8u
#define LK_MAX_CAND 64u
#define LK_SEEN 512u
/* A lookup never runs longer than this. */
#define LK_MAX_MS (60 * 1000)

enum lk_state {
	LK_NEW = 0,
	LK_INFLIGHT,
	LK_STALLED,
	LK_REPLIED,
	LK_FAILED,
	LK_LATE,     /* stalled past the give-up bound: skipped for completion */
};

struct lk_cand {
	struct dht_id id;
	struct dht_addr addr;
	int64_t sent_ms;
	uint8_t state;       /* enum lk_state */
	uint8_t token_len;
	uint8_t token[KRPC_MAX_TOKEN];
};

struct lookup {
	uint32_t id;             /* search id given to the caller */
	int af;
	bool is_get_peers;
	bool is_internal;        /* maintenance lookup, not counted as a user search */
	bool allow_same_subnet;  /* one LAN or loopback: drop the /24 (/64) rule */
	struct dht_id target;
	uint16_t announce_port;  /* 0 = none; DHT_IMPLIED_PORT */
	bool is_seed;
	dht_peers_fn cb;
	void *ud;
	struct bep44_op *item;   /* BEP 44 get/put state (dht/bep44.c), or NULL */
	struct bep33_scrape *scrape; /* BEP 33 scrape state (dht/bep33.h), or NULL */
	dht_samples_fn sample_cb;    /* BEP 51 walk: set for a sampling walk */
	uint32_t max_queries;        /* BEP 51 walk: bound on queries */
	int64_t started_ms;
	size_t n;
	size_t inflight;         /* INFLIGHT candidates (not STALLED) */
	uint32_t queries;
	uint32_t nseen;
	uint64_t *seen;          /* LK_SEEN value hashes, open addressing, 0 = empty;
	                            NULL until the first value */
	struct lk_cand c[LK_MAX_CAND];
};

void lookup_init(struct lookup *lk, uint32_t id, int af, const struct dht_id *target,
    int64_t now_ms);
/* Free what the lookup allocated (lookup_init again after this). */
void lookup_clear(struct lookup *lk);

/* Offer a candidate. Ignored when it is already known (by id or by IP),
 * shares a /24 (/64) with a known one (see above), is farther than all
 * LK_MAX_CAND kept, or has another family. */
void lookup_add(struct lookup *lk, const struct dht_id *id, const struct dht_addr *addr);

/* Mark INFLIGHT queries older than short_ms as STALLED, and unanswered
 * ones older than late_ms (>= short_ms) as LATE. */
void lookup_tick(struct lookup *lk, int64_t now_ms, int64_t short_ms, int64_t late_ms);

/* The next candidate to query now, marked INFLIGHT; NULL when alpha
 * queries are outstanding (alpha + LK_BURST for progress, see above) or
 * none of the K closest candidates that are neither failed, stalled nor
 * late needs asking. */
struct lk_cand *lookup_next(struct lookup *lk, int64_t now_ms);

/* A reply from addr: REPLIED, with its token (token_len 0 = none).
 * Returns the candidate or NULL when addr is not one. */
struct lk_cand *lookup_replied(struct lookup *lk, const struct dht_addr *addr,
    const struct dht_id *id, const uint8_t *token, size_t token_len);

/* The query to addr failed (hard timeout, or an error reply). */
void lookup_failed(struct lookup *lk, const struct dht_addr *addr);

/* True when the lookup is complete (see above). */
bool lookup_is_done(const struct lookup *lk, int64_t now_ms);

/* True the first time this compact peer is seen in this lookup (also
 * when the set is full or cannot be allocated: deliver rather than
 * guess). */
bool lookup_first_seen(struct lookup *lk, const uint8_t *peer, size_t len);

/* Up to LK_K closest REPLIED candidates that gave a token (announce). */
size_t lookup_announce_targets(const struct lookup *lk, const struct lk_cand **out);

#endif
