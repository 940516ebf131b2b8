/*
 * dht.h: libdht, a Mainline DHT node (BEP 5, 32, 42, 43, 51) as a sans-I/O
 * library. This is the one installed header of the core.
 *
 * The caller owns the socket(s) and the clock. It feeds every datagram it
 * receives to dht_input(), calls dht_periodic() when the time it returned
 * has come, and sends what the library hands to the send hook. Time is
 * always passed in as milliseconds on a monotonic clock; randomness, SHA-1
 * and sending are hooks, so the same code runs under libevent, in a
 * deterministic simulator and under unit tests and fuzzers.
 *
 * There is no global state: a process may run many instances (one per
 * simulated node, for example). An instance is not thread-safe; run all
 * calls on one instance from one thread. Hooks are called synchronously
 * from inside the API calls; a hook must not call back into the same
 * instance (except dht_get_stats, dht_my_id, dht_is_ready).
 *
 * Memory is bounded by the configuration: routing tables, searches, peer
 * storage and the per-source limiter all have fixed caps, so a hostile
 * network cannot grow an instance. Out of memory is reported as
 * DHT_ENOMEM; the library never aborts.
 *
 * Addresses are struct sockaddr_in / sockaddr_in6 passed as struct
 * sockaddr with their length. IPv4-mapped IPv6 addresses are not accepted:
 * use one socket per family.
 */
#ifndef DHT_DHT_H
#define DHT_DHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Symbols of the public API; everything else is hidden. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define DHT_API __attribute__((visibility("default")))
#else
#define DHT_API
#endif

/* A node id or an infohash: 20 bytes, compared as a big-endian number. */
struct dht_id {
	uint8_t b[20];
};

/* Errors. 0 is success; every failing call returns one of these. */
enum dht_err {
	DHT_OK = 0,
	DHT_EINVAL,      /* bad argument (address family, length, NULL) */
	DHT_ENOMEM,      /* allocation failed; the instance is unchanged */
	DHT_EFULL,       /* a fixed table is full (searches, storage) */
	DHT_ENOTFOUND,   /* no such search id */
	DHT_EMALFORMED,  /* input could not be decoded (dht_load) */
	DHT_EIO,         /* a file operation failed (dht_save_file, dht_load_file) */
	DHT_EREADONLY,   /* the call makes no sense in read-only mode */
};

/* A static English string for an error code (never NULL). */
DHT_API const char *dht_strerror(enum dht_err err);

/* Address families an instance serves (config.family_mask). */
#define DHT_F_INET 0x1
#define DHT_F_INET6 0x2

/* Kinds of event reported through the event hook. */
enum dht_event_type {
	DHT_EV_LOG = 1,      /* a log line: level and msg are set */
	DHT_EV_NEW_ID,       /* our id for ev->af changed (BEP 42 external IP) */
	DHT_EV_EXTERNAL_IP,  /* the external-IP vote settled; addr is set */
	DHT_EV_READY,        /* the table for ev->af has enough good nodes */
	DHT_EV_ANNOUNCED,    /* a search's announce_peer went to ev->count nodes
	                        (ev->search_id; just before its done callback) */
	DHT_EV_NO_NODES,     /* a search ended with no node to ask: the table of
	                        ev->af stayed empty (ev->search_id; just before
	                        its done callback; nothing was announced) */
	DHT_EV_ANNOUNCE_DONE, /* every node a search's announce_peer went to
	                        answered or timed out: ev->count of them stored
	                        it (ev->search_id, ev->af; after its done
	                        callback, not at all after dht_search_cancel) */
};

/* Severity of a DHT_EV_LOG event. */
enum dht_log_level {
	DHT_LOG_DEBUG = 0,
	DHT_LOG_INFO,
	DHT_LOG_WARN,
};

/* One event. Every pointer is only valid during the hook call. */
struct dht_event {
	enum dht_event_type type;
	enum dht_log_level level; /* DHT_EV_LOG */
	const char *msg;          /* DHT_EV_LOG: NUL-terminated line, no newline */
	int af;                   /* AF_INET or AF_INET6, or 0 */
	const struct sockaddr *addr; /* DHT_EV_EXTERNAL_IP: the new address (port 0) */
	socklen_t addrlen;
	uint32_t search_id;       /* DHT_EV_ANNOUNCED, DHT_EV_NO_NODES, DHT_EV_ANNOUNCE_DONE */
	size_t count;             /* DHT_EV_ANNOUNCED: nodes sent announce_peer;
	                             DHT_EV_ANNOUNCE_DONE: nodes that stored it */
};

/*
 * Configuration of an instance, copied by dht_new(). Zero fields take the
 * documented default, so `struct dht_config c = { 0 }` plus the hooks is a
 * valid configuration.
 */
struct dht_config {
	int family_mask;              /* DHT_F_INET | DHT_F_INET6; 0 = both */
	bool is_read_only;            /* BEP 43: send ro=1 and answer no queries */
	bool enforce_bep42;           /* answer queries from mismatched ids with error 203
	                                 and never add such nodes (default: prefer only) */
	bool is_router;               /* reserved for the bootstrap-node mode */
	bool allow_same_subnet;       /* drop the one-node-per-/24 (/64) rule of the
	                                 buckets and of lookup candidates: for a DHT
	                                 inside one LAN or on loopback (127.0.0.x) */
	bool no_rate_limit;           /* disable the per-source query budget (tests, load) */
	size_t max_infohashes;        /* stored infohashes; 0 = 10000 */
	size_t max_peers_per_infohash;/* peers per infohash; 0 = 2000 */
	size_t max_searches;          /* concurrent searches; 0 = 128 */
	size_t max_items;             /* BEP 44 items stored for others; 0 = 1000 */
	size_t max_item_bytes;        /* their bencoded values in bytes; 0 = 1 MiB */
	uint8_t version[4];           /* "v" field; all zero = "TL" 0 1 */

	/*
	 * Send one datagram to `to`: len ≤ 1024 (BEP 32), except a BEP 44
	 * get reply carrying a value or a BEP 44 put query whose value does
	 * not fit 1024 bytes, which may be up to 1452 (KRPC_MAX_OUT_ITEM:
	 * one datagram at a 1500-byte MTU over IPv6). Returns 0 on success or -1
	 * when the datagram was dropped; the library does not retry a failed
	 * send other than by its own timeouts. Required.
	 */
	int (*send)(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
	    size_t len);
	/* Fill buf with n unpredictable bytes (ids, transaction ids, token
	 * secrets). Required. */
	void (*random)(void *ud, void *buf, size_t n);
	/* SHA-1 of p[0..n) into out. Optional: the BEP 5/32/42/43 core does
	 * not hash with SHA-1 (tokens use libsodium, BEP 42 uses CRC32C); it
	 * is reserved for BEP 33 and BEP 44. */
	void (*sha1)(void *ud, uint8_t out[20], const void *p, size_t n);
	/* Log lines and state changes. Optional. */
	void (*event)(void *ud, const struct dht_event *ev);
	/* Passed to every hook. */
	void *ud;
};

/* Counters, all since dht_new(). */
struct dht_stats {
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	uint64_t queries_in[5];       /* ping, find_node, get_peers, announce_peer,
	                                 other (sample_infohashes and unknown) */
	uint64_t replies_in, errors_in;
	uint64_t queries_out, timeouts;
	uint64_t drop_malformed;      /* undecodable or ill-shaped messages */
	uint64_t drop_rate_limited;   /* per-source budget exceeded */
	uint64_t drop_blacklisted;    /* sender on the short blacklist */
	uint64_t drop_unexpected;     /* replies we did not ask for (tid/endpoint) */
	uint64_t drop_martian;        /* source address that cannot be a peer */
	uint64_t drop_read_only;      /* queries not answered in read-only mode */
	uint64_t bad_tokens;          /* announce_peer refused with 203 */
	uint64_t announces_stored;
	uint64_t announces_sent;      /* announce_peer queries our searches sent */
	size_t nodes_good[2];         /* index 0 = IPv4, 1 = IPv6 */
	size_t nodes_dubious[2];
	size_t nodes_cached[2];       /* replacement-cache entries */
	size_t buckets[2];
	size_t infohashes, peers;     /* storage */
	size_t searches;              /* running */
	size_t searches_queued;       /* waiting for the table to have nodes */
};

/* Opaque instance. */
struct dht;

/*
 * Create an instance. cfg is copied; cfg->send and cfg->random are
 * required. Ids for each enabled family are drawn at random (and replaced
 * by BEP 42 ids once the external address is known, or by dht_load).
 * Returns NULL and sets *err_out (may be NULL) on failure.
 */
DHT_API struct dht *dht_new(const struct dht_config *cfg, int64_t now_ms, enum dht_err *err_out);

/* Free an instance and everything it owns; searches end without their
 * done callback. NULL is a no-op. */
DHT_API void dht_free(struct dht *dht);

/*
 * Feed one received datagram. Never fails on hostile input: malformed,
 * unexpected or rate-limited packets are counted and dropped. May call the
 * send hook (replies, follow-up queries) and search callbacks. Returns
 * DHT_OK, or DHT_EINVAL for a bad from/buf argument (not for bad content).
 */
DHT_API int dht_input(struct dht *dht, const struct sockaddr *from, socklen_t fromlen,
    const uint8_t *buf, size_t len, int64_t now_ms);

/*
 * Run timers (timeouts, retransmits, lookups, maintenance, expiry). Returns
 * the absolute time in ms at which it wants to be called next (never more
 * than a few seconds ahead). Calling it earlier is harmless.
 */
DHT_API int64_t dht_periodic(struct dht *dht, int64_t now_ms);

/*
 * Offer a candidate node (bootstrap address, saved node): it is pinged and
 * added to the table if it answers. Returns DHT_OK, or DHT_EINVAL for an
 * address of a family the instance does not serve.
 */
DHT_API int dht_add_node(struct dht *dht, const struct sockaddr *sa, socklen_t salen,
    int64_t now_ms);

/*
 * Search callback. peers is `npeers` compact peers of the family af
 * (6 bytes for AF_INET: address then port, 18 for AF_INET6), valid only
 * during the call; they arrive as replies come in (duplicates within one
 * search are filtered). When is_done is true (called exactly once, last,
 * with npeers == 0) the search is over and its id is no longer valid.
 */
typedef void (*dht_peers_fn)(void *ud, uint32_t search_id, const struct dht_id *infohash,
    int af, const uint8_t *peers, size_t npeers, bool is_done);

/*
 * Start an iterative get_peers for infohash in family af (AF_INET or
 * AF_INET6). When announce_port is not 0, the 8 closest nodes that gave a
 * token are then sent announce_peer for that port (or with implied_port=1
 * when announce_port is DHT_IMPLIED_PORT), with seed=1 when is_seed. If the
 * table has no nodes yet, the search waits for some while one may still
 * come (the first 5 s of the instance, or a query to that family is out;
 * at most 60 s), else it ends with DHT_EV_NO_NODES at a dht_periodic (not
 * inside this call). cb may be NULL (announce only). On success
 * *search_id_out (may be NULL) is set.
 * Returns DHT_OK, DHT_EINVAL, DHT_EFULL (too many searches) or DHT_ENOMEM.
 * A read-only node (BEP 43) announces too: the peers it names are reached
 * over TCP, and the storing nodes answer its queries as anyone's.
 */
DHT_API int dht_search(struct dht *dht, const struct dht_id *infohash, int af,
    uint16_t announce_port, bool is_seed, dht_peers_fn cb, void *ud, int64_t now_ms,
    uint32_t *search_id_out);

/* announce_port value meaning "use the port my datagrams come from"
 * (announce_peer with implied_port=1; the port field carries 1). */
#define DHT_IMPLIED_PORT 0xffffu

/*
 * Start an iterative find_node for target (a table refresh or a
 * diagnostic). The callback gets is_done once with no peers. Same returns
 * as dht_search.
 */
DHT_API int dht_find_node(struct dht *dht, const struct dht_id *target, int af, dht_peers_fn cb,
    void *ud, int64_t now_ms, uint32_t *search_id_out);

/* Stop a search without calling its callback again. Returns DHT_OK or
 * DHT_ENOTFOUND. */
DHT_API int dht_search_cancel(struct dht *dht, uint32_t search_id);

/* Fill *out with the counters and current sizes. */
DHT_API void dht_get_stats(const struct dht *dht, struct dht_stats *out);

/*
 * Copy up to max good nodes of family af into out: first those proven
 * reachable (they answered a query of ours at a time they had not
 * contacted us for 2 minutes, so no NAT pinhole carried the answer),
 * then the others, each group closest to our id first. Returns how many
 * were written.
 */
DHT_API size_t dht_nodes(const struct dht *dht, int af, struct sockaddr_storage *out, size_t max);

/* Our node id for af, or NULL when af is not served. Valid until the next
 * call into the instance that may change it (dht_input, dht_periodic,
 * dht_load, dht_set_external_ip). */
DHT_API const struct dht_id *dht_my_id(const struct dht *dht, int af);

/* True when the table for af has at least 8 good nodes. */
DHT_API bool dht_is_ready(const struct dht *dht, int af);

/*
 * Tell the instance its external address (port ignored), as if the BEP 42
 * vote had settled on it: the id for that family is regenerated to match
 * (unless the address is local, BEP 42 exempt). Returns DHT_OK or
 * DHT_EINVAL.
 */
DHT_API int dht_set_external_ip(struct dht *dht, const struct sockaddr *sa, socklen_t salen,
    int64_t now_ms);

/*
 * Persistence. dht_save encodes the ids, the external addresses and up to
 * DHT_SAVE_MAX_NODES good nodes per family into a bencoded blob that the
 * caller frees with free(). dht_load restores it into a fresh instance:
 * the ids are taken over and every saved node is pinged. Returns DHT_OK,
 * DHT_ENOMEM, or DHT_EMALFORMED for a blob it cannot use (nothing changed).
 */
#define DHT_SAVE_MAX_NODES 300
DHT_API int dht_save(const struct dht *dht, uint8_t **buf_out, size_t *len_out);
DHT_API int dht_load(struct dht *dht, const uint8_t *buf, size_t len, int64_t now_ms);

/* The same to a file, written atomically (temporary file, fsync, rename).
 * A missing file on load returns DHT_EIO with errno ENOENT. */
DHT_API int dht_save_file(const struct dht *dht, const char *path);
DHT_API int dht_load_file(struct dht *dht, const char *path, int64_t now_ms);

/*
 * BEP 44: items stored in the DHT. An immutable item is a bencoded value
 * v (at most DHT_ITEM_MAX_V bytes) stored under SHA-1(v); a mutable one is
 * signed by an ed25519 key k and stored under SHA-1(k || salt), with a
 * sequence number that only grows. Pointers are borrowed for the call.
 */
#define DHT_ITEM_MAX_V 1000u
#define DHT_ITEM_MAX_SALT 64u
struct dht_item {
	bool is_mutable;
	const uint8_t *v;        /* bencoded value */
	size_t v_len;
	const uint8_t *k;        /* mutable: 32-byte public key */
	const uint8_t *sig;      /* mutable: 64-byte signature */
	const uint8_t *salt;     /* mutable: optional, at most 64 bytes */
	size_t salt_len;
	int64_t seq;             /* mutable: >= 0 */
	bool has_cas;            /* put: only replace the stored item of seq cas */
	int64_t cas;
};

/*
 * The outcome of a put: of the `sent` closest nodes that gave a write
 * token and were sent the put, `stored` answered with a reply and
 * `errors` with a KRPC error; the rest did not answer within 5 s. codes
 * holds the distinct error codes seen (the first DHT_PUT_MAX_CODES) with
 * how many nodes sent each: 301 cas mismatch, 302 seq not newer than the
 * stored one, 205 v too big, 206 bad signature, 207 salt too big, 203
 * protocol error (e.g. a bad token), 202 server error.
 */
#define DHT_PUT_MAX_CODES 8u
struct dht_put_report {
	size_t sent;
	size_t stored;
	size_t errors;
	size_t ncodes;
	struct {
		int code;
		size_t count;
	} codes[DHT_PUT_MAX_CODES];
};

/*
 * Item callback, called exactly once when the get or put is over. get:
 * item is the verified item with the highest seq (immutable: the value
 * whose hash is the target), or NULL when none was found; put is NULL.
 * put: item is what was put and put the report, given once every node
 * sent the put has answered or timed out (sent == 0: none gave a token).
 * Pointers are valid during the call only.
 */
typedef void (*dht_item_fn)(void *ud, uint32_t search_id, const struct dht_id *target,
    const struct dht_item *item, const struct dht_put_report *put);

/*
 * Sign a mutable item with a libsodium ed25519 secret key (seed || public
 * key, 64 bytes, as crypto_sign_seed_keypair makes it): item->k must be
 * its public key, item->sig is pointed at sig_out. Returns DHT_OK or
 * DHT_EINVAL (sizes over the BEP 44 caps, negative seq).
 */
DHT_API int dht_item_sign(struct dht_item *item, const uint8_t sk[64], uint8_t sig_out[64]);

/* The target an item is stored under. DHT_EINVAL without a sha1 hook. */
DHT_API int dht_item_target(const struct dht *dht, const struct dht_item *item,
    struct dht_id *target_out);

/*
 * Iterative BEP 44 get of target in family af: every reply is checked
 * (signature and SHA-1(k || salt) == target for mutable items, with salt
 * as given here; SHA-1(v) == target for immutable ones) and the highest
 * seq wins. Needs the sha1 hook. Same returns as dht_search.
 */
DHT_API int dht_get_item(struct dht *dht, const struct dht_id *target, const uint8_t *salt,
    size_t salt_len, int af, dht_item_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out);

/*
 * Put an item (signed already when mutable) to the 8 closest nodes of its
 * target that gave a write token, found by an iterative get. The item is
 * copied and re-put every hour while the instance runs (up to
 * DHT_MAX_OWN_ITEMS items; a new seq of the same target replaces the
 * old). The callback comes when every node the put was sent to has
 * answered or timed out, with the count of nodes that stored it and the
 * error codes of those that refused (struct dht_put_report);
 * dht_search_cancel of search_id until then drops the callback. Same
 * returns as dht_search, plus DHT_EINVAL for an item over the caps or with
 * a bad signature.
 */
#define DHT_MAX_OWN_ITEMS 64u
DHT_API int dht_put_item(struct dht *dht, const struct dht_item *item, int af, dht_item_fn cb,
    void *ud, int64_t now_ms, uint32_t *search_id_out);

/*
 * BEP 33 scrape callback, called once when the lookup is over: seeds and
 * peers are the estimated counts from the union of the bloom filters the
 * closest nodes returned (both 0 and nodes 0 when none had any).
 */
typedef void (*dht_scrape_fn)(void *ud, uint32_t search_id, const struct dht_id *infohash,
    double seeds, double peers, size_t nodes);

/*
 * Iterative get_peers with scrape=1 for infohash in family af: the BFsd
 * and BFpe filters of every node that answers with them are ORed, then
 * estimated (BEP 33). Needs no sha1 hook. Same returns as dht_search.
 */
DHT_API int dht_scrape(struct dht *dht, const struct dht_id *infohash, int af, dht_scrape_fn cb,
    void *ud, int64_t now_ms, uint32_t *search_id_out);

/*
 * BEP 51 sample callback: n infohashes (20 bytes each) sampled by one node
 * that stores num in all, valid during the call; called as replies come
 * in, then once with is_done (n == 0) when the walk is over.
 */
typedef void (*dht_samples_fn)(void *ud, uint32_t search_id, const uint8_t *samples, size_t n,
    uint64_t num, bool is_done);

/*
 * A BEP 51 sampling walk toward target in family af: nodes are sent
 * sample_infohashes (find_node instead while the interval a node asked
 * for has not passed since we last sampled it), their nodes are followed
 * as in a lookup, and the walk stops after max_queries queries (0 = 64)
 * or when the closest nodes have answered. Same returns as dht_search.
 */
DHT_API int dht_sample(struct dht *dht, const struct dht_id *target, int af, size_t max_queries,
    dht_samples_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out);

/* Helpers for callers: hex of an id into out[41] (NUL-terminated), and
 * the XOR-distance comparison of a and b to target (<0: a closer). */
DHT_API void dht_id_hex(const struct dht_id *id, char out[41]);
DHT_API int dht_id_cmp_dist(const struct dht_id *target, const struct dht_id *a,
    const struct dht_id *b);

#ifdef __cplusplus
}
#endif

#endif
