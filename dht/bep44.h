/*
 * bep44.h: arbitrary data in the DHT (BEP 44): immutable items (target =
 * SHA-1 of the bencoded value) and mutable items (an ed25519 public key
 * `k`, optional `salt`, a sequence number `seq` and a signature `sig`
 * over "4:salt<len>:<salt>3:seqi<seq>e1:v<bencoded v>").
 *
 * Three parts, all sans-I/O:
 *  - the argument decoder of `get` and `put` queries, which applies every
 *    size, shape and signature rule of the BEP and reports the BEP's error
 *    code (203, 205, 206, 207) with a static reason;
 *  - the item store a node keeps for others: bounded in item count and
 *    bytes, items expire BEP44_EXPIRE_MS after their last put, and the
 *    sequence rules (301 cas mismatch, 302 seq not newer) are applied here;
 *  - the reply encoder of `get` and the signing helpers a client needs
 *    (libsodium seed keys, and the BEP's own expanded test key).
 *
 * SHA-1 is not linked into libdht: callers pass the instance's sha1 hook.
 * Owned by its instance (the store); single thread.
 */
#ifndef DHT_BEP44_H
#define DHT_BEP44_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/dht.h"
#include "dht/krpc.h"

/* BEP 44: the bencoded v is at most 1000 bytes, the salt at most 64. */
#define BEP44_MAX_V 1000u
#define BEP44_MAX_SALT 64u
/* BEP 44: items may expire after 2 hours; owners re-put every hour. */
#define BEP44_EXPIRE_MS (2 * 60 * 60 * 1000)
#define BEP44_REPUT_MS (60 * 60 * 1000)
#define BEP44_KEY_LEN 32u
#define BEP44_SIG_LEN 64u
/* "4:salt64:<64>3:seqi<19 digits>e1:v<1000>" fits in this. */
#define BEP44_SIG_BUF_MAX 1120u
/* Store defaults when the configuration leaves them 0. */
#define BEP44_DEFAULT_ITEMS 1000u
#define BEP44_DEFAULT_BYTES (1024u * 1024u)

/* BEP 44 error codes (203 is BEP 5's protocol error). */
enum bep44_code {
	BEP44_OK = 0,
	BEP44_E_PROTOCOL = 203,
	BEP44_E_TOO_BIG = 205,
	BEP44_E_SIG = 206,
	BEP44_E_SALT = 207,
	BEP44_E_CAS = 301,
	BEP44_E_SEQ = 302,
};

/* The SHA-1 hook of struct dht_config. */
typedef void (*bep44_sha1_fn)(void *ud, uint8_t out[20], const void *p, size_t n);

/* Decoded arguments of a get or put query; pointers borrow the datagram. */
struct bep44_query {
	bool is_put;
	bool is_mutable;         /* put: k and sig present */
	struct dht_id target;    /* get: as sent; put: computed from k+salt or v */
	bool has_seq;            /* get: optional; mutable put: always */
	int64_t seq;
	bool has_cas;
	int64_t cas;
	const uint8_t *k;        /* 32 bytes */
	const uint8_t *sig;      /* 64 bytes */
	const uint8_t *salt;     /* NULL when absent or empty */
	size_t salt_len;
	const uint8_t *v;        /* raw bencoded value */
	size_t v_len;
	const uint8_t *token;
	size_t token_len;
	int want;                /* KRPC_WANT_* of a get; 0 = absent */
};

/* Which BEP 44 method a query is: 1 get, 2 put, 0 neither. */
int bep44_method(const uint8_t *p, size_t len);

/*
 * Decode the arguments of a get or put query in datagram p[0..len) (a
 * query krpc_decode accepted). Put: checks the sizes, that v is canonical
 * bencode with sorted keys, and verifies a mutable item's signature; the
 * target is computed with sha1. Returns BEP44_OK or the error code to send
 * back, with a static reason in *why_out.
 */
int bep44_decode(const uint8_t *p, size_t len, bep44_sha1_fn sha1, void *ud,
    struct bep44_query *out, const char **why_out);

/*
 * The buffer a mutable item's signature covers, into out[0..cap). Returns
 * its length, or 0 when it does not fit (salt or v over their caps).
 */
size_t bep44_sig_buf(const uint8_t *salt, size_t salt_len, int64_t seq, const uint8_t *v,
    size_t v_len, uint8_t *out, size_t cap);

/* True when sig is k's ed25519 signature of the item (salt, seq, v). */
bool bep44_verify(const uint8_t k[BEP44_KEY_LEN], const uint8_t sig[BEP44_SIG_LEN],
    const uint8_t *salt, size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len);

/* Sign an item with a libsodium secret key (seed || public key, 64 bytes).
 * Returns 0, or -1 when the item is over its caps. */
int bep44_sign(const uint8_t sk[64], const uint8_t *salt, size_t salt_len, int64_t seq,
    const uint8_t *v, size_t v_len, uint8_t sig_out[BEP44_SIG_LEN]);

/*
 * Sign m with an expanded ed25519 key: the clamped scalar a (32 bytes)
 * then the nonce prefix (32 bytes), the form of the BEP 44 test key.
 * Returns 0, or -1 on a degenerate nonce.
 */
int bep44_sign_expanded(const uint8_t esk[64], const uint8_t *m, size_t n,
    uint8_t sig_out[BEP44_SIG_LEN]);

/* Target of a mutable item, SHA-1(k || salt), and of an immutable one,
 * SHA-1(v) over its bencoded bytes. */
void bep44_target_mutable(bep44_sha1_fn sha1, void *ud, const uint8_t k[BEP44_KEY_LEN],
    const uint8_t *salt, size_t salt_len, struct dht_id *out);
void bep44_target_immutable(bep44_sha1_fn sha1, void *ud, const uint8_t *v, size_t v_len,
    struct dht_id *out);

/* One stored item. */
struct bep44_item {
	struct dht_id target;
	bool is_mutable;
	uint8_t k[BEP44_KEY_LEN];
	uint8_t sig[BEP44_SIG_LEN];
	int64_t seq;
	int64_t put_ms;          /* last put; expires BEP44_EXPIRE_MS later */
	size_t v_len;
	uint8_t *v;              /* owned, v_len bytes of bencode */
};

/* Items stored for others: a dense array, oldest evicted when full. */
struct bep44_store {
	struct bep44_item *it;
	size_t n, alloc;
	size_t max_items, max_bytes;
	size_t bytes;            /* sum of v_len */
};

/* Empty store (caps of 0 take the defaults). */
void bep44_store_init(struct bep44_store *s, size_t max_items, size_t max_bytes);
void bep44_store_clear(struct bep44_store *s);

/*
 * Apply a decoded put (q->is_put). Enforces cas (301) and seq (302: a seq
 * not newer than the stored one, unless equal with the same value, which
 * only refreshes the item). When full, the oldest items are evicted.
 * Returns BEP44_OK, an error code with *why_out set, or -1 when out of
 * memory.
 */
int bep44_store_put(struct bep44_store *s, const struct bep44_query *q, int64_t now_ms,
    const char **why_out);

/* The live item for target, or NULL. Valid until the next store call. */
const struct bep44_item *bep44_store_get(const struct bep44_store *s, const struct dht_id *target,
    int64_t now_ms);

/* Drop expired items. */
void bep44_store_expire(struct bep44_store *s, int64_t now_ms);

/* Contents of a get reply besides the KRPC header. */
struct bep44_reply {
	const struct dht_id *id;
	const uint8_t *nodes, *nodes6;
	size_t nodes_len, nodes6_len;
	const uint8_t *token;
	size_t token_len;
	const struct bep44_item *item; /* NULL: nodes only */
	bool has_seq;                  /* the get's seq: omit k, v, sig when stored <= it */
	int64_t seq;
};

/*
 * Encode a get reply (keys sorted) into out[0..cap). It is kept within
 * KRPC_MAX_OUT, dropping the farthest entries of nodes and nodes6 when
 * they and the value do not fit together; only a reply whose value alone
 * does not fit 1024 bytes may take up to KRPC_MAX_OUT_ITEM (and cap),
 * again with as many of the closest nodes as fit. Returns the length, or
 * 0 when it does not fit.
 */
size_t bep44_encode_get_reply(const struct krpc_hdr *h, const struct bep44_reply *r, uint8_t *out,
    size_t cap);

/* ---- client ---- */

/* The state of one get or put (owned by its lookup). For a put, the item
 * to store; for a get, the best verified item seen so far. */
struct bep44_op {
	bool is_put;
	struct dht_id target;
	uint8_t salt[BEP44_MAX_SALT];
	size_t salt_len;
	bool has_item;
	bool is_mutable;
	uint8_t k[BEP44_KEY_LEN];
	uint8_t sig[BEP44_SIG_LEN];
	int64_t seq;
	bool has_cas;            /* put: compare-and-swap on the stored seq */
	int64_t cas;
	size_t v_len;
	uint8_t v[BEP44_MAX_V];
	dht_item_fn cb;
	void *ud;
};

/* Copy item into op as the thing to put (op->is_put, has_item). Returns
 * 0, or -1 when it is over the caps or a mutable item's signature fails. */
int bep44_op_set(struct bep44_op *op, const struct dht_item *item);

/* A view of op's item (valid while op lives). */
void bep44_op_item(const struct bep44_op *op, struct dht_item *out);

/*
 * Offer the get reply in datagram p[0..len) to a get: the item in it is
 * verified against op->target (and op->salt) and kept when it is the
 * first or has a higher seq. Returns true when it was kept.
 */
bool bep44_op_offer(struct bep44_op *op, const uint8_t *p, size_t len, bep44_sha1_fn sha1,
    void *ud);

/* Encode our get query (id, target; within KRPC_MAX_OUT) and put query
 * (id, op's item, token: within KRPC_MAX_OUT when it fits, else within
 * KRPC_MAX_OUT_ITEM). Return the length, or 0 when it does not fit cap. */
size_t bep44_encode_get(const struct krpc_hdr *h, const struct dht_id *id,
    const struct dht_id *target, uint8_t *out, size_t cap);
size_t bep44_encode_put(const struct krpc_hdr *h, const struct dht_id *id,
    const struct bep44_op *op, const uint8_t *token, size_t token_len, uint8_t *out, size_t cap);

/*
 * Count one answer to a put in r: code 0 is a reply (stored), a BEP 5/44
 * error code an error (kept per code, the first DHT_PUT_MAX_CODES distinct
 * codes), -1 no answer (counted in neither).
 */
void bep44_report_add(struct dht_put_report *r, int64_t code);

#endif
