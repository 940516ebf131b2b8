/*
 * rtable.h: the routing table of one address family (BEP 5 Kademlia).
 *
 * Buckets are indexed by the length of the prefix an id shares with ours:
 * bucket i holds ids sharing exactly i bits, the last bucket holds every
 * id sharing at least that many, and only the last bucket splits (up to
 * RT_MAX_BUCKETS). The far buckets are larger (128, 64, 32, 16, then
 * RT_K = 8) so the first hop of a lookup resolves about 7 bits.
 *
 * Admission rules: a node enters only after it answered one of our
 * queries (RT_REPLIED); one entry per IP in the whole table; at most one
 * per /24 (/64) per bucket unless allow_same_subnet; an endpoint whose id
 * changes is dropped; with enforce_bep42, ids that do not match their IP
 * (BEP 42) never enter. Read-only nodes (BEP 43) must not be passed in.
 * A full bucket keeps an RT_CACHE-entry replacement cache; a member that
 * failed RT_MAX_FAILS queries in a row is bad and gives way to a cached
 * node that answered; a questionable member whose id does not match its
 * address gives way to a newcomer whose id does (BEP 42 preference).
 *
 * States (BEP 5): good = answered within 15 minutes, or answered once and
 * queried us within 15 minutes; bad = RT_MAX_FAILS failures in a row;
 * questionable otherwise.
 *
 * Reachability: a member is reachable once it answered a query of ours
 * at a time when it had sent us nothing for RT_PINHOLE_MS. A node behind
 * NAT answers whoever it contacted recently (its NAT keeps a mapping open
 * for that peer) and nobody else: it queries us, answers our verifying
 * ping through that pinhole, and is good by BEP 5, yet handed out to
 * others in "nodes" it would cost each of them a timeout. Reachable
 * members are handed out first (rtable_closest_reachable); maintenance
 * pings the others once they have been silent for RT_PINHOLE_MS, which
 * proves them or, after RT_MAX_FAILS, drops them.
 * bootstrap-dht applies the same idea by pinging nodes 15 minutes after
 * they contacted it.
 *
 * Memory: bucket arrays grow on demand to their capacity; the whole table
 * is bounded by the capacities (about 530 entries). Owned by its instance;
 * single thread.
 */
#ifndef DHT_RTABLE_H
#define DHT_RTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

#define RT_K 8u
#define RT_MAX_BUCKETS 40u
#define RT_CACHE 8u
#define RT_MAX_FAILS 2u
#define RT_GOOD_MS (15 * 60 * 1000)
/* A bucket with fewer than RT_K members is refreshed this often (and at
 * once when it is created), so that a young table fills in minutes. */
#define RT_UNDERFULL_MS (5 * 60 * 1000)
/* Prefix levels inside the last bucket that are kept populated: while
 * the table has not split (a network of up to ~128 nodes) the last
 * bucket is the whole table, and a level nobody in it covers would leave
 * part of the id space unreachable. */
#define RT_LEVELS 8u
/* A node we pinged is not pinged again for this long. */
#define RT_PING_GAP_MS (10 * 1000)
/* An answer proves a node reachable only if it had sent us nothing for
 * this long before: by then a NAT mapping it opened towards us has
 * expired. RFC 4787 REQ-5 lets a NAT close an idle UDP mapping after 2
 * minutes (many home gateways close it sooner); a NAT keeping it longer
 * than this can still pass a node off as reachable. */
#define RT_PINHOLE_MS (2 * 60 * 1000)

struct rt_node {
	struct dht_id id;
	struct dht_addr addr;
	int64_t last_reply_ms; /* 0 = never answered */
	int64_t last_query_ms; /* last query it sent us */
	int64_t pinged_ms;     /* our last ping to it, 0 = none */
	int64_t last_heard_ms; /* last datagram it sent us, 0 = never */
	uint8_t fails;         /* consecutive unanswered queries */
	bool is_bep42;         /* id matches its address */
	bool is_reachable;     /* answered us after RT_PINHOLE_MS of silence */
};

struct rt_bucket {
	struct rt_node *nodes; /* n used, grown up to cap */
	uint16_t n, alloc, cap;
	uint16_t ncache;
	struct rt_node *cache; /* RT_CACHE entries, allocated on first use */
	int64_t last_changed_ms;
	int64_t last_refresh_ms;
};

struct rtable {
	int af;
	struct dht_id my;
	bool allow_same_subnet;
	bool enforce_bep42;
	size_t nb;
	struct rt_bucket b[RT_MAX_BUCKETS];
	/* Last refresh of each of the first RT_LEVELS prefix levels inside
	 * the last bucket (level j = ids sharing exactly j bits with ours). */
	int64_t level_refresh_ms[RT_LEVELS];
};

enum rt_kind {
	RT_REPLIED = 1, /* it answered a query of ours */
	RT_QUERIED,     /* it sent us a query */
};

/* Set up an empty table for af with our id. */
void rtable_init(struct rtable *t, int af, const struct dht_id *my, bool allow_same_subnet,
    bool enforce_bep42, int64_t now_ms);
/* Free the bucket arrays. */
void rtable_clear(struct rtable *t);

/*
 * Record that (id, addr) answered us or queried us. Returns 1 and fills
 * *ping_out when a node should be pinged as a consequence (a questionable
 * member of the full bucket it wanted, or the newcomer itself so that it
 * can enter after answering), 0 otherwise, -1 when out of memory.
 */
int rtable_heard(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr,
    enum rt_kind kind, int64_t now_ms, struct rt_node *ping_out);

/* (id, addr) was named in a reply's node list: kept as an unverified
 * candidate when its bucket has room, so that maintenance can ping it
 * (it enters only once it answers). */
void rtable_learned(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr);

/* A query to addr (with id, may be NULL) went unanswered. Returns 1 and
 * fills *ping_out with a cached candidate to verify when the node became
 * bad and no verified replacement was waiting. */
int rtable_failed(struct rtable *t, const struct dht_id *id, const struct dht_addr *addr,
    int64_t now_ms, struct rt_node *ping_out);

/* We just sent a ping to addr (a member or a cached candidate). */
void rtable_pinged(struct rtable *t, const struct dht_addr *addr, int64_t now_ms);

/* Up to k non-bad nodes closest to target, nearest first, copied to
 * out[]. With only_good, questionable nodes are left out too. */
size_t rtable_closest(const struct rtable *t, const struct dht_id *target, size_t k,
    bool only_good, int64_t now_ms, struct rt_node *out);

/* The same for handing out to other nodes: for k <= RT_K, the reachable
 * members among the 2k closest, topped up with the closest others of
 * them; for larger k, the k closest reachable, topped up with the closest
 * others (a young table). Reachable ones come first in out[]. */
size_t rtable_closest_reachable(const struct rtable *t, const struct dht_id *target, size_t k,
    bool only_good, int64_t now_ms, struct rt_node *out);

/* Node states. */
bool rtable_is_good(const struct rt_node *n, int64_t now_ms);
static inline bool rtable_is_bad(const struct rt_node *n)
{
	return n->fails >= RT_MAX_FAILS;
}

/* Counts: good and questionable members, cached candidates. */
void rtable_count(const struct rtable *t, int64_t now_ms, size_t *good_out, size_t *dubious_out,
    size_t *cached_out);

/* A member to ping for maintenance: the questionable one heard from
 * longest ago that was not pinged within RT_PING_GAP_MS, else an
 * unverified candidate of a bucket with room. Returns 1 and fills *out. */
int rtable_next_ping(const struct rtable *t, int64_t now_ms, struct rt_node *out);

/* A member not known reachable that has been silent for RT_PINHOLE_MS
 * and was not pinged within RT_PING_GAP_MS: its answer to a ping now
 * would prove it reachable. Returns 1 and fills *out. */
int rtable_next_proof(const struct rtable *t, int64_t now_ms, struct rt_node *out);

/* A bucket not changed for RT_GOOD_MS, or with fewer than RT_K members
 * and not refreshed for RT_UNDERFULL_MS, or a prefix level of the last
 * bucket with no member while deeper levels have some (refreshed at most
 * every RT_UNDERFULL_MS): returns 1 and a random id inside it in
 * *target_out (rnd supplies the random bits) and marks it refreshed. */
int rtable_refresh_target(struct rtable *t, int64_t now_ms, const uint8_t rnd[20],
    struct dht_id *target_out);

/* Change our id (BEP 42): every member and candidate is re-filed. Returns
 * 0 or -1 (out of memory; the table is then empty but valid). */
int rtable_set_id(struct rtable *t, const struct dht_id *my, int64_t now_ms);

/* Bits id shares with our id (0..160). */
unsigned rtable_cpl(const struct dht_id *a, const struct dht_id *b);

#endif
