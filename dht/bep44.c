/*
 * bep44.c: BEP 44 get/put arguments, signatures, item store and get
 * replies. See bep44.h.
 */
#include "dht/bep44.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dht/addr.h"
#include "dht/benc.h"

_Static_assert(KRPC_MAX_OUT_ITEM <= KRPC_MAX_IN, "we accept the largest datagram we send");

/* v may nest one level below the argument dictionary (krpc_decode's depth
 * cap lets nothing deeper through anyway). */
#define BEP44_MAX_DEPTH KRPC_MAX_DEPTH

int bep44_method(const uint8_t *p, size_t len)
{
	struct benc_tok toks[KRPC_MAX_TOKENS];
	struct benc_doc d;
	if (benc_parse(p, len, toks, KRPC_MAX_TOKENS, BEP44_MAX_DEPTH, 0, &d, NULL) != 0)
		return 0;
	long q = benc_dict_get(&d, 0, "q");
	if (benc_str_eq(&d, q, "get"))
		return 1;
	if (benc_str_eq(&d, q, "put"))
		return 2;
	return 0;
}

/* A string of exactly n bytes at key: 1 present, 0 absent, -1 wrong. */
static int get_fixed(const struct benc_doc *d, size_t dict, const char *key, size_t n,
    const uint8_t **out)
{
	long i = benc_dict_get(d, dict, key);
	size_t len;
	*out = NULL;
	if (i < 0)
		return 0;
	return benc_get_str(d, i, out, &len) && len == n ? 1 : -1;
}

/* An integer at key: 1 present, 0 absent, -1 not an integer. */
static int get_int(const struct benc_doc *d, size_t dict, const char *key, int64_t *out)
{
	long i = benc_dict_get(d, dict, key);
	if (i < 0)
		return 0;
	return benc_get_int(d, i, out) ? 1 : -1;
}

static int decode_get(const struct benc_doc *d, size_t a, struct bep44_query *q,
    const char **why)
{
	const uint8_t *t;
	if (get_fixed(d, a, "target", 20, &t) != 1) {
		*why = "get without a 20-byte target";
		return BEP44_E_PROTOCOL;
	}
	memcpy(q->target.b, t, 20);
	int r = get_int(d, a, "seq", &q->seq);
	if (r < 0 || (r == 1 && q->seq < 0)) {
		*why = "seq is not a non-negative integer";
		return BEP44_E_PROTOCOL;
	}
	q->has_seq = r == 1;
	long w = benc_dict_get(d, a, "want");
	if (benc_is(d, w, BENC_LIST)) {
		size_t it = (size_t)w + 1;
		for (size_t k = 0; k < d->toks[w].count; k++, it = benc_next(d, it)) {
			if (benc_str_eq(d, (long)it, "n4"))
				q->want |= KRPC_WANT_N4;
			else if (benc_str_eq(d, (long)it, "n6"))
				q->want |= KRPC_WANT_N6;
		}
	}
	return BEP44_OK;
}

static int decode_put(const struct benc_doc *d, size_t a, bep44_sha1_fn sha1, void *ud,
    struct bep44_query *q, const char **why)
{
	q->is_put = true;
	long v = benc_dict_get(d, a, "v");
	long tk = benc_dict_get(d, a, "token");
	if (v < 0) {
		*why = "put without v";
		return BEP44_E_PROTOCOL;
	}
	if (!benc_get_str(d, tk, &q->token, &q->token_len) || q->token_len == 0 ||
	    q->token_len > KRPC_MAX_TOKEN) {
		*why = "put without a valid token";
		return BEP44_E_PROTOCOL;
	}
	benc_raw(d, (size_t)v, &q->v, &q->v_len);
	if (q->v_len > BEP44_MAX_V) {
		*why = "Message (v field) too big.";
		return BEP44_E_TOO_BIG;
	}
	struct benc_tok vt[KRPC_MAX_TOKENS];
	struct benc_doc vd;
	if (benc_parse(q->v, q->v_len, vt, KRPC_MAX_TOKENS, BEP44_MAX_DEPTH, BENC_F_SORTED, &vd,
	    NULL) != 0) {
		*why = "v is not canonical bencode with sorted keys";
		return BEP44_E_PROTOCOL;
	}
	int hk = get_fixed(d, a, "k", BEP44_KEY_LEN, &q->k);
	int hs = get_fixed(d, a, "sig", BEP44_SIG_LEN, &q->sig);
	if (hk < 0 || hs < 0 || hk != hs) {
		*why = "k and sig must both be there, 32 and 64 bytes";
		return BEP44_E_PROTOCOL;
	}
	if (hk == 0) {
		bep44_target_immutable(sha1, ud, q->v, q->v_len, &q->target);
		return BEP44_OK;
	}
	q->is_mutable = true;
	long s = benc_dict_get(d, a, "salt");
	if (s >= 0 && !benc_get_str(d, s, &q->salt, &q->salt_len)) {
		*why = "salt is not a string";
		return BEP44_E_PROTOCOL;
	}
	if (q->salt_len > BEP44_MAX_SALT) {
		*why = "salt (salt field) too big.";
		return BEP44_E_SALT;
	}
	if (q->salt_len == 0)
		q->salt = NULL; /* an empty salt is no salt */
	if (get_int(d, a, "seq", &q->seq) != 1 || q->seq < 0) {
		*why = "mutable put without a non-negative seq";
		return BEP44_E_PROTOCOL;
	}
	q->has_seq = true;
	int c = get_int(d, a, "cas", &q->cas);
	if (c < 0) {
		*why = "cas is not an integer";
		return BEP44_E_PROTOCOL;
	}
	q->has_cas = c == 1;
	if (!bep44_verify(q->k, q->sig, q->salt, q->salt_len, q->seq, q->v, q->v_len)) {
		*why = "invalid signature";
		return BEP44_E_SIG;
	}
	bep44_target_mutable(sha1, ud, q->k, q->salt, q->salt_len, &q->target);
	return BEP44_OK;
}

int bep44_decode(const uint8_t *p, size_t len, bep44_sha1_fn sha1, void *ud,
    struct bep44_query *out, const char **why_out)
{
	struct benc_tok toks[KRPC_MAX_TOKENS];
	struct benc_doc d;
	int code = BEP44_E_PROTOCOL;
	*why_out = "not a get or put query";
	memset(out, 0, sizeof(*out));
	if (benc_parse(p, len, toks, KRPC_MAX_TOKENS, BEP44_MAX_DEPTH, 0, &d, NULL) != 0 ||
	    !benc_is(&d, 0, BENC_DICT))
		return code;
	long a = benc_dict_get(&d, 0, "a");
	long q = benc_dict_get(&d, 0, "q");
	if (!benc_is(&d, a, BENC_DICT))
		return code;
	if (benc_str_eq(&d, q, "get"))
		code = decode_get(&d, (size_t)a, out, why_out);
	else if (benc_str_eq(&d, q, "put"))
		code = decode_put(&d, (size_t)a, sha1, ud, out, why_out);
	if (code == BEP44_OK)
		*why_out = NULL;
	return code;
}

/* ---- signatures ---- */

/* Append the decimal of v (>= 0) and terminator c. */
static size_t put_num(uint8_t *out, uint64_t v, char c)
{
	char t[24];
	size_t n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)t[n - 1 - i];
	out[n] = (uint8_t)c;
	return n + 1;
}

size_t bep44_sig_buf(const uint8_t *salt, size_t salt_len, int64_t seq, const uint8_t *v,
    size_t v_len, uint8_t *out, size_t cap)
{
	uint8_t tmp[BEP44_SIG_BUF_MAX];
	size_t n = 0;
	if (salt_len > BEP44_MAX_SALT || v_len > BEP44_MAX_V || seq < 0)
		return 0;
	if (salt_len > 0) {
		memcpy(tmp, "4:salt", 6);
		n = 6 + put_num(tmp + 6, salt_len, ':');
		memcpy(tmp + n, salt, salt_len);
		n += salt_len;
	}
	memcpy(tmp + n, "3:seqi", 6);
	n += 6;
	n += put_num(tmp + n, (uint64_t)seq, 'e');
	memcpy(tmp + n, "1:v", 3);
	n += 3;
	memcpy(tmp + n, v, v_len);
	n += v_len;
	if (n > cap)
		return 0;
	memcpy(out, tmp, n);
	return n;
}

bool bep44_verify(const uint8_t k[BEP44_KEY_LEN], const uint8_t sig[BEP44_SIG_LEN],
    const uint8_t *salt, size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len)
{
	uint8_t buf[BEP44_SIG_BUF_MAX];
	size_t n = bep44_sig_buf(salt, salt_len, seq, v, v_len, buf, sizeof(buf));
	return n > 0 && crypto_sign_verify_detached(sig, buf, n, k) == 0;
}

int bep44_sign(const uint8_t sk[64], const uint8_t *salt, size_t salt_len, int64_t seq,
    const uint8_t *v, size_t v_len, uint8_t sig_out[BEP44_SIG_LEN])
{
	uint8_t buf[BEP44_SIG_BUF_MAX];
	size_t n = bep44_sig_buf(salt, salt_len, seq, v, v_len, buf, sizeof(buf));
	if (n == 0)
		return -1;
	return crypto_sign_detached(sig_out, NULL, buf, n, sk) == 0 ? 0 : -1;
}

/* SHA-512(a || b || m) reduced mod L into out (a or b may be NULL). */
static void hash_reduce(const uint8_t *a, const uint8_t *b, const uint8_t *m, size_t n,
    uint8_t out[32])
{
	crypto_hash_sha512_state st;
	uint8_t h[64];
	crypto_hash_sha512_init(&st);
	if (a)
		crypto_hash_sha512_update(&st, a, 32);
	if (b)
		crypto_hash_sha512_update(&st, b, 32);
	crypto_hash_sha512_update(&st, m, n);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ed25519_scalar_reduce(out, h);
	sodium_memzero(h, sizeof(h));
}

int bep44_sign_expanded(const uint8_t esk[64], const uint8_t *m, size_t n,
    uint8_t sig_out[BEP44_SIG_LEN])
{
	uint8_t r[32], pk[32], hram[32], s[32];
	int rc = -1;
	/* Standard ed25519 over the expanded key: r = H(prefix || M),
	 * R = rB, S = r + H(R || A || M) a (mod L). */
	if (crypto_scalarmult_ed25519_base_noclamp(pk, esk) != 0)
		goto out;
	hash_reduce(esk + 32, NULL, m, n, r);
	if (crypto_scalarmult_ed25519_base_noclamp(sig_out, r) != 0)
		goto out;
	hash_reduce(sig_out, pk, m, n, hram);
	crypto_core_ed25519_scalar_mul(s, hram, esk);
	crypto_core_ed25519_scalar_add(sig_out + 32, s, r);
	rc = 0;
out:
	sodium_memzero(r, sizeof(r));
	sodium_memzero(s, sizeof(s));
	return rc;
}

void bep44_target_mutable(bep44_sha1_fn sha1, void *ud, const uint8_t k[BEP44_KEY_LEN],
    const uint8_t *salt, size_t salt_len, struct dht_id *out)
{
	uint8_t buf[BEP44_KEY_LEN + BEP44_MAX_SALT];
	if (salt_len > BEP44_MAX_SALT)
		salt_len = BEP44_MAX_SALT;
	memcpy(buf, k, BEP44_KEY_LEN);
	if (salt_len)
		memcpy(buf + BEP44_KEY_LEN, salt, salt_len);
	sha1(ud, out->b, buf, BEP44_KEY_LEN + salt_len);
}

void bep44_target_immutable(bep44_sha1_fn sha1, void *ud, const uint8_t *v, size_t v_len,
    struct dht_id *out)
{
	sha1(ud, out->b, v, v_len);
}

/* ---- store ---- */

void bep44_store_init(struct bep44_store *s, size_t max_items, size_t max_bytes)
{
	memset(s, 0, sizeof(*s));
	s->max_items = max_items ? max_items : BEP44_DEFAULT_ITEMS;
	s->max_bytes = max_bytes ? max_bytes : BEP44_DEFAULT_BYTES;
}

void bep44_store_clear(struct bep44_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->it[i].v);
	free(s->it);
	memset(s, 0, sizeof(*s));
}

static long find(const struct bep44_store *s, const struct dht_id *target)
{
	for (size_t i = 0; i < s->n; i++) {
		if (memcmp(s->it[i].target.b, target->b, 20) == 0)
			return (long)i;
	}
	return -1;
}

static void drop(struct bep44_store *s, size_t i)
{
	s->bytes -= s->it[i].v_len;
	free(s->it[i].v);
	s->it[i] = s->it[--s->n];
}

/* Evict the oldest item other than keep (SIZE_MAX: any); returns where
 * keep is afterwards (drop moves the last item into the hole). */
static size_t evict_oldest(struct bep44_store *s, size_t keep)
{
	size_t old = SIZE_MAX;
	for (size_t i = 0; i < s->n; i++) {
		if (i != keep && (old == SIZE_MAX || s->it[i].put_ms < s->it[old].put_ms))
			old = i;
	}
	if (old == SIZE_MAX)
		return keep;
	bool moves = keep == s->n - 1;
	drop(s, old);
	return moves ? old : keep;
}

/* Replace the value of item it with q's (v, seq, sig). */
static int set_value(struct bep44_store *s, struct bep44_item *it, const struct bep44_query *q,
    int64_t now_ms)
{
	uint8_t *v = malloc(q->v_len ? q->v_len : 1);
	if (!v)
		return -1;
	memcpy(v, q->v, q->v_len);
	s->bytes -= it->v_len;
	free(it->v);
	it->v = v;
	it->v_len = q->v_len;
	s->bytes += q->v_len;
	it->seq = q->seq;
	if (q->is_mutable) {
		memcpy(it->k, q->k, BEP44_KEY_LEN);
		memcpy(it->sig, q->sig, BEP44_SIG_LEN);
	}
	it->put_ms = now_ms;
	return BEP44_OK;
}

int bep44_store_put(struct bep44_store *s, const struct bep44_query *q, int64_t now_ms,
    const char **why_out)
{
	*why_out = NULL;
	long i = find(s, &q->target);
	if (i >= 0 && s->it[i].put_ms + BEP44_EXPIRE_MS <= now_ms) {
		drop(s, (size_t)i);
		i = -1;
	}
	if (i >= 0) {
		struct bep44_item *it = &s->it[i];
		if (!q->is_mutable || !it->is_mutable) {
			it->put_ms = now_ms; /* immutable: same bytes, same target */
			return BEP44_OK;
		}
		if (q->has_cas && q->cas != it->seq) {
			*why_out = "CAS mismatch, re-read value and try again.";
			return BEP44_E_CAS;
		}
		if (q->seq < it->seq) {
			*why_out = "sequence number less than current";
			return BEP44_E_SEQ;
		}
		if (q->seq == it->seq) {
			if (q->v_len == it->v_len && memcmp(q->v, it->v, q->v_len) == 0) {
				it->put_ms = now_ms;
				return BEP44_OK;
			}
			*why_out = "sequence number not newer than current";
			return BEP44_E_SEQ;
		}
		size_t keep = (size_t)i;
		size_t grow = q->v_len > it->v_len ? q->v_len - it->v_len : 0;
		while (s->bytes + grow > s->max_bytes && s->n > 1)
			keep = evict_oldest(s, keep);
		it = &s->it[keep];
		return set_value(s, it, q, now_ms);
	}
	while (s->n > 0 && (s->n >= s->max_items || s->bytes + q->v_len > s->max_bytes))
		evict_oldest(s, SIZE_MAX);
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 16;
		if (na > s->max_items)
			na = s->max_items;
		struct bep44_item *n = realloc(s->it, na * sizeof(*n));
		if (!n)
			return -1;
		s->it = n;
		s->alloc = na;
	}
	struct bep44_item *it = &s->it[s->n];
	memset(it, 0, sizeof(*it));
	it->target = q->target;
	it->is_mutable = q->is_mutable;
	if (set_value(s, it, q, now_ms) != BEP44_OK)
		return -1;
	s->n++;
	return BEP44_OK;
}

const struct bep44_item *bep44_store_get(const struct bep44_store *s, const struct dht_id *target,
    int64_t now_ms)
{
	long i = find(s, target);
	if (i < 0 || s->it[i].put_ms + BEP44_EXPIRE_MS <= now_ms)
		return NULL;
	return &s->it[i];
}

void bep44_store_expire(struct bep44_store *s, int64_t now_ms)
{
	for (size_t i = 0; i < s->n;) {
		if (s->it[i].put_ms + BEP44_EXPIRE_MS <= now_ms)
			drop(s, i);
		else
			i++;
	}
}

/* ---- get reply ---- */

static size_t min_cap(size_t cap, size_t bound)
{
	return cap < bound ? cap : bound;
}

/* Whether a get reply carries the item's value (k, v, sig). */
static bool reply_has_value(const struct bep44_reply *r)
{
	const struct bep44_item *it = r->item;
	return it && !(it->is_mutable && r->has_seq && it->seq <= r->seq);
}

/* The get reply with at most k entries of nodes and of nodes6 into
 * out[0..cap). */
static size_t get_reply_at(const struct krpc_hdr *h, const struct bep44_reply *r, size_t k,
    uint8_t *out, size_t cap)
{
	size_t n4 = r->nodes_len < k * DHT_COMPACT_NODE4 ? r->nodes_len : k * DHT_COMPACT_NODE4;
	size_t n6 = r->nodes6_len < k * DHT_COMPACT_NODE6 ? r->nodes6_len : k * DHT_COMPACT_NODE6;
	struct benc_w w;
	const struct bep44_item *it = r->item;
	bool has_value = reply_has_value(r);
	benc_w_init_fixed(&w, out, cap);
	benc_w_dict(&w);
	if (h->ip) {
		uint8_t c[DHT_COMPACT_PEER6];
		benc_w_cstr(&w, "ip");
		benc_w_str(&w, c, dht_addr_put_compact(h->ip, c));
	}
	benc_w_cstr(&w, "r");
	benc_w_dict(&w);
	benc_w_cstr(&w, "id");
	benc_w_str(&w, r->id->b, 20);
	if (has_value && it->is_mutable) {
		benc_w_cstr(&w, "k");
		benc_w_str(&w, it->k, BEP44_KEY_LEN);
	}
	if (n4) {
		benc_w_cstr(&w, "nodes");
		benc_w_str(&w, r->nodes, n4);
	}
	if (n6) {
		benc_w_cstr(&w, "nodes6");
		benc_w_str(&w, r->nodes6, n6);
	}
	/* seq is always sent for a mutable item so that a reader holding
	 * a newer one can tell; k, v and sig only when it is news. */
	if (it && it->is_mutable) {
		benc_w_cstr(&w, "seq");
		benc_w_int(&w, it->seq);
	}
	if (has_value && it->is_mutable) {
		benc_w_cstr(&w, "sig");
		benc_w_str(&w, it->sig, BEP44_SIG_LEN);
	}
	if (r->token) {
		benc_w_cstr(&w, "token");
		benc_w_str(&w, r->token, r->token_len);
	}
	if (has_value) {
		benc_w_cstr(&w, "v");
		benc_w_raw(&w, it->v, it->v_len);
	}
	benc_w_end(&w);
	benc_w_cstr(&w, "t");
	benc_w_str(&w, h->tid, h->tid_len);
	if (h->v) {
		benc_w_cstr(&w, "v");
		benc_w_str(&w, h->v, 4);
	}
	benc_w_cstr(&w, "y");
	benc_w_cstr(&w, "r");
	benc_w_end(&w);
	return w.err ? 0 : w.len;
}

/* The get reply within cap with as many nodes as fit. A large value and
 * nodes do not fit together: the value is what the reader came for, so
 * the farthest nodes go first (the lists are closest first), but as many
 * as fit stay: without them a lookup cannot get past the nodes that hold
 * the value. */
static size_t get_reply_fit(const struct krpc_hdr *h, const struct bep44_reply *r, uint8_t *out,
    size_t cap)
{
	size_t most = r->nodes_len / DHT_COMPACT_NODE4;
	if (r->nodes6_len / DHT_COMPACT_NODE6 > most)
		most = r->nodes6_len / DHT_COMPACT_NODE6;
	for (size_t k = most + 1; k-- > 0;) {
		size_t n = get_reply_at(h, r, k, out, cap);
		if (n > 0)
			return n;
	}
	return 0;
}

size_t bep44_encode_get_reply(const struct krpc_hdr *h, const struct bep44_reply *r, uint8_t *out,
    size_t cap)
{
	size_t n = get_reply_fit(h, r, out, min_cap(cap, KRPC_MAX_OUT));
	if (n == 0 && reply_has_value(r))
		n = get_reply_fit(h, r, out, min_cap(cap, KRPC_MAX_OUT_ITEM));
	return n;
}

/* ---- client ---- */

int bep44_op_set(struct bep44_op *op, const struct dht_item *item)
{
	if (!item->v || item->v_len == 0 || item->v_len > BEP44_MAX_V ||
	    item->salt_len > BEP44_MAX_SALT)
		return -1;
	if (item->is_mutable &&
	    (!item->k || !item->sig || item->seq < 0 ||
	        !bep44_verify(item->k, item->sig, item->salt, item->salt_len, item->seq, item->v,
	            item->v_len)))
		return -1;
	op->is_put = true;
	op->has_item = true;
	op->is_mutable = item->is_mutable;
	op->v_len = item->v_len;
	memcpy(op->v, item->v, item->v_len);
	op->salt_len = item->is_mutable ? item->salt_len : 0;
	if (op->salt_len)
		memcpy(op->salt, item->salt, op->salt_len);
	if (item->is_mutable) {
		memcpy(op->k, item->k, BEP44_KEY_LEN);
		memcpy(op->sig, item->sig, BEP44_SIG_LEN);
		op->seq = item->seq;
		op->has_cas = item->has_cas;
		op->cas = item->cas;
	}
	return 0;
}

void bep44_op_item(const struct bep44_op *op, struct dht_item *out)
{
	memset(out, 0, sizeof(*out));
	out->is_mutable = op->is_mutable;
	out->v = op->v;
	out->v_len = op->v_len;
	if (op->is_mutable) {
		out->k = op->k;
		out->sig = op->sig;
		out->seq = op->seq;
		out->salt = op->salt_len ? op->salt : NULL;
		out->salt_len = op->salt_len;
	}
}

bool bep44_op_offer(struct bep44_op *op, const uint8_t *p, size_t len, bep44_sha1_fn sha1,
    void *ud)
{
	struct benc_tok toks[KRPC_MAX_TOKENS];
	struct benc_doc d;
	const uint8_t *v, *k, *sig;
	size_t v_len;
	int64_t seq;
	struct dht_id t;
	if (benc_parse(p, len, toks, KRPC_MAX_TOKENS, BEP44_MAX_DEPTH, 0, &d, NULL) != 0)
		return false;
	long r = benc_dict_get(&d, 0, "r");
	if (!benc_is(&d, r, BENC_DICT))
		return false;
	long vi = benc_dict_get(&d, (size_t)r, "v");
	if (vi < 0)
		return false;
	benc_raw(&d, (size_t)vi, &v, &v_len);
	if (v_len > BEP44_MAX_V)
		return false;
	int hk = get_fixed(&d, (size_t)r, "k", BEP44_KEY_LEN, &k);
	int hs = get_fixed(&d, (size_t)r, "sig", BEP44_SIG_LEN, &sig);
	if (hk == 0 && hs == 0) {
		bep44_target_immutable(sha1, ud, v, v_len, &t);
		if (op->has_item || memcmp(t.b, op->target.b, 20) != 0)
			return false;
		op->is_mutable = false;
	} else {
		if (hk != 1 || hs != 1 || get_int(&d, (size_t)r, "seq", &seq) != 1 || seq < 0)
			return false;
		if (op->has_item && (!op->is_mutable || seq <= op->seq))
			return false;
		bep44_target_mutable(sha1, ud, k, op->salt, op->salt_len, &t);
		if (memcmp(t.b, op->target.b, 20) != 0 ||
		    !bep44_verify(k, sig, op->salt_len ? op->salt : NULL, op->salt_len, seq, v, v_len))
			return false;
		op->is_mutable = true;
		memcpy(op->k, k, BEP44_KEY_LEN);
		memcpy(op->sig, sig, BEP44_SIG_LEN);
		op->seq = seq;
	}
	memcpy(op->v, v, v_len);
	op->v_len = v_len;
	op->has_item = true;
	return true;
}

/* The top-level keys after "a": q, ro, t, v, y. */
static void query_tail(struct benc_w *w, const struct krpc_hdr *h, const char *q)
{
	benc_w_cstr(w, "q");
	benc_w_cstr(w, q);
	if (h->is_read_only) {
		benc_w_cstr(w, "ro");
		benc_w_int(w, 1);
	}
	benc_w_cstr(w, "t");
	benc_w_str(w, h->tid, h->tid_len);
	if (h->v) {
		benc_w_cstr(w, "v");
		benc_w_str(w, h->v, 4);
	}
	benc_w_cstr(w, "y");
	benc_w_cstr(w, "q");
	benc_w_end(w);
}

size_t bep44_encode_get(const struct krpc_hdr *h, const struct dht_id *id,
    const struct dht_id *target, uint8_t *out, size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, min_cap(cap, KRPC_MAX_OUT));
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_dict(&w);
	benc_w_cstr(&w, "id");
	benc_w_str(&w, id->b, 20);
	benc_w_cstr(&w, "target");
	benc_w_str(&w, target->b, 20);
	benc_w_end(&w);
	query_tail(&w, h, "get");
	return w.err ? 0 : w.len;
}

/* The put query into out[0..cap). */
static size_t put_at(const struct krpc_hdr *h, const struct dht_id *id, const struct bep44_op *op,
    const uint8_t *token, size_t token_len, uint8_t *out, size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap);
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_dict(&w);
	if (op->is_mutable && op->has_cas) {
		benc_w_cstr(&w, "cas");
		benc_w_int(&w, op->cas);
	}
	benc_w_cstr(&w, "id");
	benc_w_str(&w, id->b, 20);
	if (op->is_mutable) {
		benc_w_cstr(&w, "k");
		benc_w_str(&w, op->k, BEP44_KEY_LEN);
		if (op->salt_len) {
			benc_w_cstr(&w, "salt");
			benc_w_str(&w, op->salt, op->salt_len);
		}
		benc_w_cstr(&w, "seq");
		benc_w_int(&w, op->seq);
		benc_w_cstr(&w, "sig");
		benc_w_str(&w, op->sig, BEP44_SIG_LEN);
	}
	benc_w_cstr(&w, "token");
	benc_w_str(&w, token, token_len);
	benc_w_cstr(&w, "v");
	benc_w_raw(&w, op->v, op->v_len);
	benc_w_end(&w);
	query_tail(&w, h, "put");
	return w.err ? 0 : w.len;
}

size_t bep44_encode_put(const struct krpc_hdr *h, const struct dht_id *id,
    const struct bep44_op *op, const uint8_t *token, size_t token_len, uint8_t *out, size_t cap)
{
	size_t n = put_at(h, id, op, token, token_len, out, min_cap(cap, KRPC_MAX_OUT));
	if (n == 0)
		n = put_at(h, id, op, token, token_len, out, min_cap(cap, KRPC_MAX_OUT_ITEM));
	return n;
}

void bep44_report_add(struct dht_put_report *r, int64_t code)
{
	if (code < 0)
		return;
	if (code == 0) {
		r->stored++;
		return;
	}
	r->errors++;
	size_t i = 0;
	while (i < r->ncodes && r->codes[i].code != code)
		i++;
	if (i == DHT_PUT_MAX_CODES)
		return;
	if (i == r->ncodes) {
		r->codes[i].code = code > INT32_MAX ? INT32_MAX : (int)code;
		r->ncodes++;
	}
	r->codes[i].count++;
}
