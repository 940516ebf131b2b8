/*
 * pool.h: the node pool of the bootstrap router (trackless-node, router
 * mode). A large, memory-bounded set of DHT nodes per address family,
 * each verified (it answered a query of ours carrying a stateless cookie,
 * cookie.h) before it is ever handed out.
 *
 * Layout: one flat array of fixed-size entries per family, cut into 2^B
 * buckets of S slots (16 <= S < 32) by the top B bits of the node id. An
 * entry starts with the compact node info (BEP 5: id then address, 26 or
 * 38 bytes), so a reply copies it with one memcpy, then 4 bytes of state
 * and time last seen and 2 bytes of time last pinged: 32 bytes per IPv4
 * node, 44 per IPv6 node. The arrays are allocated once from the memory
 * budget and never grow. Counts of verified entries per bucket and per
 * group of buckets let "closest to a target" visit buckets in XOR order
 * and stop as soon as it has enough (O(S) in a filled pool, O(sqrt 2^B)
 * at worst in an empty one).
 *
 * Admission: a node that queried us or was named in a reply is noted as
 * unverified; dht_pool_due() hands it to the caller to ping (a node that
 * queried us only after ping_delay_s, so that NAT pinholes have closed);
 * dht_pool_confirm() marks it verified when the answer comes. Verified
 * nodes are re-pinged after refresh_s; an entry whose ping stays
 * unanswered for ping_timeout_s is dropped. A full bucket takes a new
 * unverified node only in place of an older unverified one, and a newly
 * verified node in place of an unverified one, else of the verified one
 * seen longest ago, so spoofed queries can never push out verified nodes.
 * One entry per IP per bucket (per IP and port for local addresses); with
 * BEP 42 checked that is at most 8 entries per public IP in the pool.
 * BEP 42: ids that do not match a non-local address are refused when
 * check_bep42 is set (BEP 43 `ro` nodes are the caller's to refuse).
 *
 * Threads: with is_shared, every call may come from any thread; buckets
 * are guarded by DHT_POOL_STRIPES striped mutexes (a bucket's stripe is
 * chosen by its group), so answering threads rarely meet. dht_pool_due()
 * keeps a cursor and must have one caller at a time. Without is_shared
 * the pool is single-threaded and takes no locks.
 */
#ifndef DHT_POOL_H
#define DHT_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

/* Most nodes one closest/sample call returns. */
#define DHT_POOL_MAX_REPLY 16u
/* Minimum slots per bucket. */
#define DHT_POOL_MIN_SLOTS 16u
/* Bytes of one entry per family (index 0 = IPv4, 1 = IPv6). */
#define DHT_POOL_ENTRY4 32u
#define DHT_POOL_ENTRY6 44u
/* Lock stripes of a shared pool. */
#define DHT_POOL_STRIPES 64u
/* Records per block of the saved file (see dht_pool_save). */
#define DHT_POOL_FILE_BLOCK 1024u

/* Where a noted node came from: it queried us, or a reply named it. */
enum dht_pool_src {
	DHT_POOL_FROM_QUERY = 1,
	DHT_POOL_FROM_REPLY = 2,
};

/* Outcome of dht_pool_note() and dht_pool_confirm(). */
enum dht_pool_result {
	DHT_POOL_ADDED = 0,   /* a new entry (note) or a newly verified one (confirm) */
	DHT_POOL_KNOWN,       /* already there; refreshed when confirmed */
	DHT_POOL_KNOWN_VERIFIED, /* note only: there and verified at this very
	                            address, so the sender is not spoofed
	                            unless it forges a verified node's source */
	DHT_POOL_FULL,        /* its bucket had no room it may take */
	DHT_POOL_REFUSED,     /* id fails BEP 42, or the address is a martian */
};

struct dht_pool_config {
	size_t max_bytes;        /* entries of both families: 3/4 IPv4, 1/4 IPv6 */
	uint32_t ping_delay_s;   /* before pinging a node that queried us; 0 = at once */
	uint32_t refresh_s;      /* re-ping verified nodes not seen for this long */
	uint32_t ping_timeout_s; /* an unanswered ping drops its entry after this */
	bool check_bep42;        /* refuse ids not valid for their address */
	bool is_shared;          /* several threads: take the striped locks */
};

struct dht_pool_stats {
	size_t capacity[2];      /* slots per family */
	size_t verified[2];      /* entries that may be handed out */
	size_t unverified[2];    /* waiting for or answering a ping */
	uint64_t added[2];       /* new unverified entries */
	uint64_t confirmed[2];   /* entries that became verified */
	uint64_t evicted[2];     /* entries replaced by a better one */
	uint64_t expired[2];     /* entries dropped after an unanswered ping */
	uint64_t full[2];        /* notes dropped because the bucket was full */
	uint64_t refused_bep42;  /* ids refused under check_bep42 */
};

/* An endpoint dht_pool_due() wants pinged. */
struct dht_pool_ping {
	struct dht_addr addr;
	struct dht_id id;
};

struct dht_pool;

/* A pool within cfg->max_bytes (at least one bucket per family). Returns
 * NULL when memory cannot be had. The caller owns it: dht_pool_free(). */
struct dht_pool *dht_pool_new(const struct dht_pool_config *cfg);
void dht_pool_free(struct dht_pool *p);

/* Note a node that queried us or was named in a reply (unverified).
 * now_s is seconds on any monotonic clock, the same for every call. */
enum dht_pool_result dht_pool_note(struct dht_pool *p, const struct dht_id *id,
    const struct dht_addr *a, enum dht_pool_src src, uint32_t now_s);

/* The node answered a query that carried our cookie: make it verified. */
enum dht_pool_result dht_pool_confirm(struct dht_pool *p, const struct dht_id *id,
    const struct dht_addr *a, uint32_t now_s);

/* Drop the entry of this id at this address (e.g. it said ro=1). Returns
 * true when there was one. */
bool dht_pool_remove(struct dht_pool *p, const struct dht_id *id, const struct dht_addr *a);

/*
 * Write into out the compact node infos (26 or 38 bytes each, af's form)
 * of the n (<= DHT_POOL_MAX_REPLY) verified nodes of family af closest to
 * target by XOR distance, closest first, leaving out `exclude` (may be
 * NULL). Returns how many were written.
 */
size_t dht_pool_closest(struct dht_pool *p, int af, const struct dht_id *target, size_t n,
    const struct dht_addr *exclude, uint8_t *out);

/*
 * Append up to n random verified nodes of family af to out, which already
 * holds `have` compact node infos; a node already there or equal to
 * `exclude` is not repeated. rng is the caller's dht_pool_rand() state.
 * Returns the new total.
 */
size_t dht_pool_sample(struct dht_pool *p, int af, size_t have, size_t n,
    const struct dht_addr *exclude, uint64_t *rng, uint8_t *out);

/*
 * Walk at most max_scan slots (an empty bucket counts as one) of family
 * af from where the last call stopped: drop entries whose ping went
 * unanswered, and return in out (up to max) the nodes to ping now,
 * marking them pinged. One caller at a time.
 */
size_t dht_pool_due(struct dht_pool *p, int af, uint32_t now_s, size_t max_scan,
    struct dht_pool_ping *out, size_t max);

void dht_pool_get_stats(struct dht_pool *p, struct dht_pool_stats *out);

/*
 * The saved form: "TLNP" 0x01 then blocks of [family byte (4 or 6),
 * count (2 bytes, big endian, 1..DHT_POOL_FILE_BLOCK)] each followed by
 * count records of [compact node info, 4-byte age in seconds], ended by a
 * zero byte. Only verified nodes are saved. write_fn returns 0 or -1.
 */
typedef int (*dht_pool_write_fn)(void *ud, const void *buf, size_t len);
/* Read exactly len bytes; return 0, or -1 at end of input or on error. */
typedef int (*dht_pool_read_fn)(void *ud, void *buf, size_t len);

/* Returns 0, or -1 when write_fn failed. */
int dht_pool_save(struct dht_pool *p, uint32_t now_s, dht_pool_write_fn write_fn, void *ud);

/*
 * Load a saved pool: every record becomes a verified entry seen `age`
 * seconds before now_s (ids are checked as for dht_pool_confirm).
 * Returns 0, or -1 for input that is not a well-formed saved pool (the
 * records read before the fault stay). *loaded_out (may be NULL) gets
 * the number of records accepted.
 */
int dht_pool_load(struct dht_pool *p, uint32_t now_s, dht_pool_read_fn read_fn, void *ud,
    size_t *loaded_out);

/* xorshift64*: a fast per-thread generator for sampling (seed it with
 * random bytes; a zero state is replaced by a constant). */
static inline uint64_t dht_pool_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15u;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1du;
}

#endif
