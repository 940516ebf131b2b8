/*
 * store.h: peers announced to us (BEP 5 announce_peer, BEP 33 seed flag),
 * served back in get_peers replies.
 *
 * Layout, sized for <= 64 bytes per infohash plus <= 12 per IPv4 peer and
 * <= 24 per IPv6 peer with every slack counted (store_bytes):
 *
 * - Infohash records (struct store_ih, 32 bytes) sit densely in chunks of
 *   STORE_REC_CHUNK; growth adds a chunk, records never move on growth.
 *   A removed record is replaced by the last one.
 * - An open-addressing index of 32-bit slots (linear probing, backward-
 *   shift deletion, load <= 0.7) keyed by a SipHash of the infohash under
 *   a random key, so chosen infohashes cannot pile into one probe chain.
 *   A slot holds the record number + 1 (low 24 bits) and 8 bits of the
 *   hash, which turn away most mismatches without reading the record.
 *   Average 7.6 bytes per infohash (4 bytes at a load of 0.35 to 0.7).
 *   The index doubles incrementally: the old table's slots move a few per
 *   new infohash (lookups try both meanwhile), so no announce stalls on
 *   a rehash; both tables together are at most 17 bytes per infohash.
 * - The peers of one infohash and family live in one block of a size
 *   class: 1..16 peers, then 8 classes per doubling, so a block is at
 *   least 8/9 full. Blocks of a class and family come from an arena of
 *   STORE_ARENA_BYTES chunks with a free list (no malloc per infohash);
 *   an arena whose blocks are all free gives its chunks back. A record
 *   names its blocks as class << 24 | block number.
 * - A peer is its compact address (6 or 18 bytes) and a 16-bit stamp:
 *   seconds since base_ms << 1 | seed flag, i.e. 8 bytes per IPv4 peer
 *   (<= 9 with class slack) and 20 per IPv6 peer (<= 22.5). base_ms moves
 *   forward in store_expire (stamps are rewritten as it sweeps), so a
 *   stamp never wraps and every age is exact.
 *
 * Peers are unique per (infohash, IP); a re-announce updates port, time
 * and seed flag. Peers expire STORE_EXPIRE_MS after their announce. The
 * number of infohashes and of peers per infohash are capped; announces
 * beyond a cap are refused (DHT_EFULL) rather than evicting live peers.
 *
 * Owned by its instance; single thread.
 */
#ifndef DHT_STORE_H
#define DHT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

#define STORE_EXPIRE_MS (30 * 60 * 1000)
#define STORE_KEY_LEN 16u
/* Caps the store accepts: n is 16 bits, record and block numbers 24. */
#define STORE_MAX_PEERS 65535u
#define STORE_MAX_IH ((1u << 24) - 2u)
#define STORE_REC_CHUNK 1024u      /* records per chunk (32 KiB) */
#define STORE_ARENA_BYTES 16384u   /* bytes per arena chunk (at least one block) */
#define STORE_NCLASS 112           /* size classes up to STORE_MAX_PEERS + 1 */

struct store_ih {
	struct dht_id ih;
	uint32_t blk[2];   /* per family (0 = IPv4, 1 = IPv6): class << 24 | block */
	uint16_t n[2];     /* peers per family; 0 = no block */
};

/* Blocks of one size class and family. */
struct store_arena {
	uint8_t **chunk;
	uint32_t nchunk, achunk;
	uint32_t used;     /* blocks carved from the chunks so far */
	uint32_t nfree;
	uint32_t free;     /* first free block + 1 (a list through the blocks); 0 = none */
	uint8_t shift;     /* log2 of blocks per chunk */
};

struct store_index {
	uint32_t *slot;        /* tag << 24 | record + 1; 0 = empty */
	size_t nslot;          /* power of two, or 0 */
};

struct dht_store {
	struct store_ih **rec; /* nih records in chunks of STORE_REC_CHUNK */
	size_t nih, nrec_chunk, arec_chunk;
	struct store_index idx; /* where new infohashes go */
	struct store_index old; /* while growing: the rest, moving into idx */
	size_t old_at;          /* next slot of old to move */
	size_t old_left;        /* slots of old not yet visited */
	size_t max_ih, max_peers;
	size_t npeers;
	int64_t base_ms;       /* time 0 of the stamps */
	uint64_t rng;          /* reply sampling */
	uint8_t key[STORE_KEY_LEN];
	struct store_arena arena[2][STORE_NCLASS];
};

/* Empty store with caps (clamped to STORE_MAX_IH and STORE_MAX_PEERS);
 * key seeds the index hash and the sampler. */
void store_init(struct dht_store *s, size_t max_ih, size_t max_peers,
    const uint8_t key[STORE_KEY_LEN], int64_t now_ms);
void store_clear(struct dht_store *s);

/* Record peer (its address and port) for ih. Returns DHT_OK, DHT_EFULL
 * (a cap is reached) or DHT_ENOMEM. */
int store_announce(struct dht_store *s, const struct dht_id *ih, const struct dht_addr *peer,
    bool is_seed, int64_t now_ms);

/*
 * A uniform random sample of at most max live peers of family af for ih,
 * as compact peers (6 or 18 bytes each) into out (room for max of them).
 * With noseed, seeds are left out (BEP 33). Returns how many.
 */
size_t store_get(struct dht_store *s, const struct dht_id *ih, int af, bool noseed, size_t max,
    int64_t now_ms, uint8_t *out);

/* Peers stored for ih in family af (before sampling; expired ones count
 * until store_expire drops them). */
size_t store_count_peers(const struct dht_store *s, const struct dht_id *ih, int af);

/* BEP 51: up to max stored infohashes (20 bytes each) into out, a
 * consecutive run from a random place in the table. Returns how many. */
size_t store_sample(struct dht_store *s, size_t max, uint8_t *out);

/* BEP 33: call fn with the raw address (4 or 16 bytes) and seed flag of
 * every live peer stored for ih; returns how many. */
typedef void (*store_peer_fn)(void *ud, const uint8_t *ip, size_t iplen, bool is_seed);
size_t store_each(const struct dht_store *s, const struct dht_id *ih, int64_t now_ms,
    store_peer_fn fn, void *ud);

/* Drop expired peers and empty infohashes, move blocks that became too
 * big to their class, and move base_ms forward. */
void store_expire(struct dht_store *s, int64_t now_ms);

/* Bytes the store holds: its struct, index, record chunks, arena chunks
 * and chunk tables at their allocated size (free blocks and the unused
 * tails of chunks included), plus STORE_MALLOC_OVERHEAD per allocation. */
#define STORE_MALLOC_OVERHEAD 16u
size_t store_bytes(const struct dht_store *s);

/* Peer capacity of size class c (0 <= c < STORE_NCLASS), and the
 * smallest class that holds n >= 1 peers. */
uint32_t store_class_cap(unsigned c);
unsigned store_class_of(uint32_t n);

#endif
