/* test_bep44.c: BEP 44 vectors (signature buffers, signatures made with
 * the BEP's expanded key, targets), every error code of put, the store's
 * seq/cas/expiry/capacity rules, the get reply's omissions, get replies
 * and put queries with 1000-byte values (within 1452 bytes, nodes dropped
 * first, everything else kept), and the tally of put answers. */
#include "cutest.h"

#include <sodium.h>

#include "dht/addr.h"
#include "dht/bep44.h"
#include "dht/benc.h"
#include "base/digest.h"

/* BEP 44 test vectors (also in notes/dht.md section 3.2). */
static const char *const PK_HEX = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
static const char *const SK_HEX =
    "e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74d"
    "b7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d";
static const struct {
	const char *salt;
	const char *buf;
	const char *target;
	const char *sig;
} VEC[] = {
	{ "", "3:seqi1e1:v12:Hello World!", "4a533d47ec9c7d95b1ad75f576cffc641853b750",
	    "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
	    "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01" },
	{ "foobar", "4:salt6:foobar3:seqi1e1:v12:Hello World!",
	    "411eba73b6f087ca51a3795d9c8c938d365e32c1",
	    "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"
	    "df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08" },
};
static const char *const IMMUTABLE_TARGET = "e5f96f6f38320f0f33959cb4d3d656452117aadb";
static const uint8_t HELLO[] = "12:Hello World!";
#define HELLO_LEN (sizeof(HELLO) - 1)

static uint8_t pk[32], esk[64];

static void sha1_hook(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

static void unhex(const char *s, uint8_t *out, size_t n)
{
	CU_ASSERT_EQUAL_FATAL(tl_unhex(s, strlen(s), out, n), 0);
}

static void test_vectors(void)
{
	unhex(PK_HEX, pk, 32);
	unhex(SK_HEX, esk, 64);
	for (size_t i = 0; i < sizeof(VEC) / sizeof(VEC[0]); i++) {
		uint8_t buf[BEP44_SIG_BUF_MAX], sig[64], want[64];
		const uint8_t *salt = (const uint8_t *)VEC[i].salt;
		size_t sl = strlen(VEC[i].salt);
		size_t n = bep44_sig_buf(salt, sl, 1, HELLO, HELLO_LEN, buf, sizeof(buf));
		CU_ASSERT_EQUAL(n, strlen(VEC[i].buf));
		CU_ASSERT_EQUAL(memcmp(buf, VEC[i].buf, n), 0);
		/* signing with the BEP's expanded key gives the BEP's bytes */
		CU_ASSERT_EQUAL(bep44_sign_expanded(esk, buf, n, sig), 0);
		unhex(VEC[i].sig, want, 64);
		CU_ASSERT_EQUAL(memcmp(sig, want, 64), 0);
		CU_ASSERT_TRUE(bep44_verify(pk, want, salt, sl, 1, HELLO, HELLO_LEN));
		CU_ASSERT_FALSE(bep44_verify(pk, want, salt, sl, 2, HELLO, HELLO_LEN));
		want[17] ^= 0x04;
		CU_ASSERT_FALSE(bep44_verify(pk, want, salt, sl, 1, HELLO, HELLO_LEN));
		struct dht_id t, wt;
		bep44_target_mutable(sha1_hook, NULL, pk, salt, sl, &t);
		unhex(VEC[i].target, wt.b, 20);
		CU_ASSERT_EQUAL(memcmp(t.b, wt.b, 20), 0);
	}
	struct dht_id t, wt;
	bep44_target_immutable(sha1_hook, NULL, HELLO, HELLO_LEN, &t);
	unhex(IMMUTABLE_TARGET, wt.b, 20);
	CU_ASSERT_EQUAL(memcmp(t.b, wt.b, 20), 0);
	/* the trap: the raw text is not what is hashed */
	tl_sha1("Hello World!", 12, t.b);
	CU_ASSERT_NOT_EQUAL(memcmp(t.b, wt.b, 20), 0);
}

static void test_sig_buf_bounds(void)
{
	uint8_t buf[BEP44_SIG_BUF_MAX], big[BEP44_MAX_V + 1];
	memset(big, 'x', sizeof(big));
	CU_ASSERT_EQUAL(bep44_sig_buf(big, BEP44_MAX_SALT + 1, 1, HELLO, HELLO_LEN, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(bep44_sig_buf(NULL, 0, 1, big, sizeof(big), buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(bep44_sig_buf(NULL, 0, -1, HELLO, HELLO_LEN, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(bep44_sig_buf(NULL, 0, 1, HELLO, HELLO_LEN, buf, 10), 0);
	/* the largest item fits */
	size_t n = bep44_sig_buf(big, BEP44_MAX_SALT, INT64_MAX, big, BEP44_MAX_V, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 6 + 3 + 64 + 6 + 19 + 1 + 3 + 1000);
}

static void test_seed_keys(void)
{
	uint8_t seed[32], kpk[32], ksk[64], sig[64];
	memset(seed, 7, sizeof(seed));
	crypto_sign_seed_keypair(kpk, ksk, seed);
	CU_ASSERT_EQUAL(bep44_sign(ksk, (const uint8_t *)"s", 1, 5, HELLO, HELLO_LEN, sig), 0);
	CU_ASSERT_TRUE(bep44_verify(kpk, sig, (const uint8_t *)"s", 1, 5, HELLO, HELLO_LEN));
	CU_ASSERT_FALSE(bep44_verify(kpk, sig, NULL, 0, 5, HELLO, HELLO_LEN));
	CU_ASSERT_EQUAL(bep44_sign(ksk, NULL, 0, -1, HELLO, HELLO_LEN, sig), -1);
}

/* A put query. salt/k/sig may be NULL; seq < 0 leaves it out; v raw. */
struct put_args {
	const uint8_t *k, *sig;
	const char *salt;
	size_t salt_len;
	int64_t seq;
	bool has_cas;
	int64_t cas;
	const void *v;
	size_t v_len;
	const char *token;
};

static size_t make_put(const struct put_args *a, uint8_t *out, size_t cap)
{
	struct benc_w w;
	uint8_t id[20] = { 0 };
	benc_w_init_fixed(&w, out, cap);
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_dict(&w);
	if (a->has_cas) {
		benc_w_cstr(&w, "cas");
		benc_w_int(&w, a->cas);
	}
	benc_w_cstr(&w, "id");
	benc_w_str(&w, id, 20);
	if (a->k) {
		benc_w_cstr(&w, "k");
		benc_w_str(&w, a->k, 32);
	}
	if (a->salt) {
		benc_w_cstr(&w, "salt");
		benc_w_str(&w, a->salt, a->salt_len);
	}
	if (a->seq >= 0) {
		benc_w_cstr(&w, "seq");
		benc_w_int(&w, a->seq);
	}
	if (a->sig) {
		benc_w_cstr(&w, "sig");
		benc_w_str(&w, a->sig, 64);
	}
	if (a->token) {
		benc_w_cstr(&w, "token");
		benc_w_cstr(&w, a->token);
	}
	if (a->v) {
		benc_w_cstr(&w, "v");
		benc_w_raw(&w, a->v, a->v_len);
	}
	benc_w_end(&w);
	benc_w_cstr(&w, "q");
	benc_w_cstr(&w, "put");
	benc_w_cstr(&w, "t");
	benc_w_cstr(&w, "aa");
	benc_w_cstr(&w, "y");
	benc_w_cstr(&w, "q");
	benc_w_end(&w);
	CU_ASSERT_FALSE_FATAL(w.err);
	return w.len;
}

static int decode_put(const struct put_args *a, struct bep44_query *q)
{
	uint8_t buf[1500];
	const char *why;
	size_t n = make_put(a, buf, sizeof(buf));
	CU_ASSERT_EQUAL(bep44_method(buf, n), 2);
	int code = bep44_decode(buf, n, sha1_hook, NULL, q, &why);
	CU_ASSERT_TRUE(code == BEP44_OK ? why == NULL : why != NULL);
	return code;
}

/* A signed mutable put of v (bencoded) with seq under the seed-7 key. */
static struct put_args signed_put(const uint8_t *kpk, const uint8_t *ksk, uint8_t *sig,
    const char *v, int64_t seq)
{
	struct put_args a = { .k = kpk, .sig = sig, .seq = seq, .v = v, .v_len = strlen(v),
		.token = "tok" };
	CU_ASSERT_EQUAL(bep44_sign(ksk, NULL, 0, seq, (const uint8_t *)v, strlen(v), sig), 0);
	return a;
}

static void test_put_errors(void)
{
	uint8_t sig[64], big[BEP44_MAX_V + 8];
	struct bep44_query q;
	unhex(VEC[1].sig, sig, 64);
	struct put_args a = { .k = pk, .sig = sig, .salt = "foobar", .salt_len = 6, .seq = 1,
		.v = HELLO, .v_len = HELLO_LEN, .token = "tok" };
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_OK);
	CU_ASSERT_TRUE(q.is_put && q.is_mutable && q.has_seq && q.seq == 1 && !q.has_cas);
	CU_ASSERT_EQUAL(q.salt_len, 6);
	struct dht_id wt;
	unhex(VEC[1].target, wt.b, 20);
	CU_ASSERT_EQUAL(memcmp(q.target.b, wt.b, 20), 0);

	a.seq = 2; /* 206: signature of seq 1 */
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_SIG);
	a.seq = 1;
	a.salt = "foobaz";
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_SIG);
	char salt[BEP44_MAX_SALT + 1];
	memset(salt, 's', sizeof(salt));
	a.salt = salt; /* 207 */
	a.salt_len = sizeof(salt);
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_SALT);
	a.salt = "foobar";
	a.salt_len = 6;
	/* 205: 1001 bytes of bencoded v */
	memcpy(big, "997:", 4);
	memset(big + 4, 'x', 997);
	a.v = big;
	a.v_len = 1001;
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_TOO_BIG);
	a.v_len = 1000; /* 1000 bytes is allowed, it is then only a bad signature */
	memcpy(big, "996:", 4);
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_SIG);
	/* 203: unsorted keys in v, bad seq, k without sig, no token, no v */
	struct put_args b = { .v = "d1:bi1e1:ai2ee", .v_len = 14, .token = "tok", .seq = -1 };
	CU_ASSERT_EQUAL(decode_put(&b, &q), BEP44_E_PROTOCOL);
	b.v = "d1:ai1e1:bi2ee";
	CU_ASSERT_EQUAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_FALSE(q.is_mutable);
	b.token = NULL;
	CU_ASSERT_EQUAL(decode_put(&b, &q), BEP44_E_PROTOCOL);
	b.token = "tok";
	b.v = NULL;
	CU_ASSERT_EQUAL(decode_put(&b, &q), BEP44_E_PROTOCOL);
	a.sig = NULL;
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_PROTOCOL);
	a.sig = sig;
	a.v = HELLO;
	a.v_len = HELLO_LEN;
	a.seq = -1; /* mutable without seq */
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_E_PROTOCOL);
	/* an empty salt is no salt: vector 1's signature holds */
	unhex(VEC[0].sig, sig, 64);
	a.seq = 1;
	a.salt = "";
	a.salt_len = 0;
	CU_ASSERT_EQUAL(decode_put(&a, &q), BEP44_OK);
	CU_ASSERT_PTR_NULL(q.salt);
	unhex(VEC[0].target, wt.b, 20);
	CU_ASSERT_EQUAL(memcmp(q.target.b, wt.b, 20), 0);
}

static void test_get_decode(void)
{
	const char *why;
	struct bep44_query q;
	static const char g1[] = "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa3:seqi4e6:target20:"
				 "bbbbbbbbbbbbbbbbbbbbe1:q3:get1:t2:aa1:y1:qe";
	static const char g2[] = "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa6:target19:"
				 "bbbbbbbbbbbbbbbbbbbe1:q3:get1:t2:aa1:y1:qe";
	static const char g3[] = "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa3:seqi-1e6:target20:"
				 "bbbbbbbbbbbbbbbbbbbbe1:q3:get1:t2:aa1:y1:qe";
	CU_ASSERT_EQUAL(bep44_method((const uint8_t *)g1, sizeof(g1) - 1), 1);
	CU_ASSERT_EQUAL(bep44_decode((const uint8_t *)g1, sizeof(g1) - 1, sha1_hook, NULL, &q, &why),
	    BEP44_OK);
	CU_ASSERT_TRUE(!q.is_put && q.has_seq && q.seq == 4 && q.target.b[0] == 'b');
	CU_ASSERT_EQUAL(bep44_decode((const uint8_t *)g2, sizeof(g2) - 1, sha1_hook, NULL, &q, &why),
	    BEP44_E_PROTOCOL);
	CU_ASSERT_EQUAL(bep44_decode((const uint8_t *)g3, sizeof(g3) - 1, sha1_hook, NULL, &q, &why),
	    BEP44_E_PROTOCOL);
	CU_ASSERT_EQUAL(bep44_method((const uint8_t *)"d1:q4:ping", 10), 0);
}

static bool has(const uint8_t *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

static void test_store_rules(void)
{
	uint8_t seed[32], kpk[32], ksk[64], s1[64], s2[64], s3[64];
	memset(seed, 9, sizeof(seed));
	crypto_sign_seed_keypair(kpk, ksk, seed);
	struct bep44_store st;
	struct bep44_query q;
	const char *why;
	bep44_store_init(&st, 0, 0);

	struct put_args a = signed_put(kpk, ksk, s1, "3:one", 5);
	CU_ASSERT_EQUAL_FATAL(decode_put(&a, &q), BEP44_OK);
	struct dht_id target = q.target;
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 1000, &why), BEP44_OK);
	/* same seq, same value: refresh; same seq, other value: 302 */
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 2000, &why), BEP44_OK);
	struct put_args b = signed_put(kpk, ksk, s2, "3:two", 5);
	CU_ASSERT_EQUAL_FATAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 2000, &why), BEP44_E_SEQ);
	b = signed_put(kpk, ksk, s2, "3:two", 4);
	CU_ASSERT_EQUAL_FATAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 2000, &why), BEP44_E_SEQ);
	CU_ASSERT_PTR_NOT_NULL(why);
	/* cas: must name the stored seq (5) */
	b = signed_put(kpk, ksk, s2, "3:two", 6);
	b.has_cas = true;
	b.cas = 4;
	CU_ASSERT_EQUAL_FATAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 2000, &why), BEP44_E_CAS);
	b.cas = 5;
	CU_ASSERT_EQUAL_FATAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 3000, &why), BEP44_OK);
	const struct bep44_item *it = bep44_store_get(&st, &target, 3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(it);
	CU_ASSERT_EQUAL(it->seq, 6);
	CU_ASSERT_TRUE(it->v_len == 5 && memcmp(it->v, "3:two", 5) == 0);
	CU_ASSERT_EQUAL(memcmp(it->sig, s2, 64), 0);

	/* get reply: seq 6 stored; a get with seq 6 gets no k/v/sig */
	struct dht_id id = { { 0 } };
	struct krpc_hdr h = { .tid = (const uint8_t *)"xy", .tid_len = 2 };
	struct bep44_reply r = { .id = &id, .token = (const uint8_t *)"tk", .token_len = 2,
		.item = it };
	uint8_t out[KRPC_MAX_OUT];
	size_t n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE(n > 0 && has(out, n, "1:k32:") && has(out, n, "3:seqi6e") &&
	    has(out, n, "3:sig64:") && has(out, n, "1:v3:two"));
	CU_ASSERT_FALSE(has(out, n, "salt"));
	struct benc_tok toks[64];
	struct benc_doc d;
	CU_ASSERT_EQUAL(benc_parse(out, n, toks, 64, 4, BENC_F_SORTED, &d, NULL), 0);
	r.has_seq = true;
	r.seq = 6;
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE(n > 0 && has(out, n, "3:seqi6e"));
	CU_ASSERT_FALSE(has(out, n, "1:k32:") || has(out, n, "3:sig") || has(out, n, "3:two"));
	r.seq = 5;
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE(has(out, n, "1:v3:two"));

	/* expiry: 2 h after the last put */
	CU_ASSERT_PTR_NOT_NULL(bep44_store_get(&st, &target, 3000 + BEP44_EXPIRE_MS - 1));
	CU_ASSERT_PTR_NULL(bep44_store_get(&st, &target, 3000 + BEP44_EXPIRE_MS));
	bep44_store_expire(&st, 3000 + BEP44_EXPIRE_MS);
	CU_ASSERT_EQUAL(st.n, 0);
	CU_ASSERT_EQUAL(st.bytes, 0);
	/* an expired item does not block a lower seq */
	b = signed_put(kpk, ksk, s3, "3:old", 1);
	CU_ASSERT_EQUAL_FATAL(decode_put(&b, &q), BEP44_OK);
	CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 4000 + BEP44_EXPIRE_MS, &why), BEP44_OK);
	bep44_store_clear(&st);
	bep44_store_clear(NULL);
}

static void test_store_caps(void)
{
	struct bep44_store st;
	struct bep44_query q;
	const char *why;
	char v[64];
	bep44_store_init(&st, 4, 35);
	struct dht_id first;
	for (int i = 0; i < 10; i++) {
		int n = snprintf(v, sizeof(v), "8:value-%02d", i);
		struct put_args a = { .seq = -1, .v = v, .v_len = (size_t)n, .token = "t" };
		CU_ASSERT_EQUAL_FATAL(decode_put(&a, &q), BEP44_OK);
		if (i == 0)
			first = q.target;
		CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 1000 + i, &why), BEP44_OK);
		CU_ASSERT_TRUE(st.n == (i < 3 ? (size_t)i + 1 : 3) && st.bytes <= 35); /* 10 B each */
		CU_ASSERT_PTR_NOT_NULL(bep44_store_get(&st, &q.target, 1000 + i));
	}
	CU_ASSERT_PTR_NULL(bep44_store_get(&st, &first, 2000)); /* oldest evicted */
	bep44_store_clear(&st);
	bep44_store_init(&st, 3, 0);
	for (int i = 0; i < 5; i++) {
		int n = snprintf(v, sizeof(v), "1:%c", 'a' + i);
		struct put_args a = { .seq = -1, .v = v, .v_len = (size_t)n, .token = "t" };
		CU_ASSERT_EQUAL_FATAL(decode_put(&a, &q), BEP44_OK);
		CU_ASSERT_EQUAL(bep44_store_put(&st, &q, 1000 + i, &why), BEP44_OK);
	}
	CU_ASSERT_EQUAL(st.n, 3);
	bep44_store_clear(&st);
}

/* A bencoded string value of exactly len bytes ("<n>:" + text). */
static size_t text_value(uint8_t *v, size_t len)
{
	int h = snprintf((char *)v, 8, "%zu:", len - (len >= 104 ? 4 : len >= 13 ? 3 : 2));
	CU_ASSERT_TRUE_FATAL(h > 0);
	for (size_t i = (size_t)h; i < len; i++)
		v[i] = (uint8_t)('a' + i % 26);
	return len;
}

/* Parse a message we encoded: canonical, sorted, within bounds. */
static void parse_ok(const uint8_t *p, size_t n, struct benc_doc *d, struct benc_tok *toks,
    size_t ntok)
{
	CU_ASSERT_EQUAL_FATAL(benc_parse(p, n, toks, ntok, KRPC_MAX_DEPTH, BENC_F_SORTED, d, NULL), 0);
}

static void test_big_get_reply(void)
{
	uint8_t seed[32], kpk[32], ksk[64], v[BEP44_MAX_V], out[KRPC_MAX_OUT_ITEM + 100];
	uint8_t n4[8 * 26], n6[8 * 38], tid[16];
	memset(seed, 3, sizeof(seed));
	crypto_sign_seed_keypair(kpk, ksk, seed);
	for (size_t i = 0; i < sizeof(n4); i++)
		n4[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(n6); i++)
		n6[i] = (uint8_t)(i * 7);
	memset(tid, 't', sizeof(tid));
	struct dht_addr ip6;
	uint8_t ip6c[18] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1, [16] = 0x1a, [17] = 0xe1 };
	CU_ASSERT_EQUAL_FATAL(dht_addr_get_compact(AF_INET6, ip6c, 18, &ip6), 0);
	/* the largest header: a 16-byte echoed tid, v, an IPv6 ip */
	struct krpc_hdr h = { .tid = tid, .tid_len = 16, .v = (const uint8_t *)"TL01", .ip = &ip6 };
	struct dht_id id;
	memset(id.b, 'i', 20);
	struct bep44_item it = { .is_mutable = true, .seq = INT64_MAX, .v = v };
	memcpy(it.k, kpk, 32);
	memset(it.sig, 's', 64);
	struct bep44_reply r = { .id = &id, .token = (const uint8_t *)"tokentok", .token_len = 8,
		.nodes = n4, .nodes_len = sizeof(n4), .nodes6 = n6, .nodes6_len = sizeof(n6),
		.item = &it };
	struct benc_tok toks[64];
	struct benc_doc d;
	const uint8_t *p;
	size_t len;

	/* 1000 bytes: over 1024 even alone; every field, within 1452, with
	 * the closest nodes that fit */
	it.v_len = text_value(v, BEP44_MAX_V);
	size_t n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > KRPC_MAX_OUT && n <= KRPC_MAX_OUT_ITEM);
	parse_ok(out, n, &d, toks, 64);
	long rr = benc_dict_get(&d, 0, "r");
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "nodes"), &p, &len) &&
	    len > 0 && len < sizeof(n4) && len % 26 == 0 && memcmp(p, n4, len) == 0);
	size_t k4 = len / 26;
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "nodes6"), &p, &len) &&
	    len == k4 * 38 && memcmp(p, n6, len) == 0);
	/* one more of each would not fit */
	CU_ASSERT_TRUE(n + 26 + 38 + 2 > KRPC_MAX_OUT_ITEM);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "k"), &p, &len) && len == 32 &&
	    memcmp(p, kpk, 32) == 0);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "sig"), &p, &len) && len == 64);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "token"), &p, &len) &&
	    len == 8);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "id"), &p, &len) && len == 20);
	int64_t seq;
	CU_ASSERT_TRUE(benc_get_int(&d, benc_dict_get(&d, (size_t)rr, "seq"), &seq) &&
	    seq == INT64_MAX);
	benc_raw(&d, (size_t)benc_dict_get(&d, (size_t)rr, "v"), &p, &len);
	CU_ASSERT_TRUE(len == BEP44_MAX_V && memcmp(p, v, BEP44_MAX_V) == 0);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, 0, "ip"), &p, &len) && len == 18);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, 0, "t"), &p, &len) && len == 16);
	/* the caller's buffer still bounds it */
	CU_ASSERT_EQUAL(bep44_encode_get_reply(&h, &r, out, KRPC_MAX_OUT), 0);
	CU_ASSERT_EQUAL(bep44_encode_get_reply(&h, &r, out, n), n);
	size_t fewer = bep44_encode_get_reply(&h, &r, out, n - 1);
	CU_ASSERT_TRUE(fewer > KRPC_MAX_OUT && fewer + 26 + 38 == n);

	/* 600 bytes fit 1024 with fewer nodes: the farthest are dropped,
	 * 1024 holds */
	it.v_len = text_value(v, 600);
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > 0 && n <= KRPC_MAX_OUT);
	parse_ok(out, n, &d, toks, 64);
	rr = benc_dict_get(&d, 0, "r");
	CU_ASSERT_TRUE(benc_dict_get(&d, (size_t)rr, "v") >= 0);
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)rr, "nodes"), &p, &len) &&
	    len > 0 && len < sizeof(n4) && memcmp(p, n4, len) == 0);
	CU_ASSERT_TRUE(n + 26 + 38 + 2 > KRPC_MAX_OUT);
	/* 750 bytes fit 1024 alone: no node at all, but not past 1024 */
	it.v_len = text_value(v, 750);
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > 0 && n <= KRPC_MAX_OUT);
	CU_ASSERT_FALSE(has(out, n, "5:nodes"));
	CU_ASSERT_TRUE(has(out, n, "1:v746:"));
	/* 100 bytes: value and nodes together, within 1024 */
	it.v_len = text_value(v, 100);
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > 0 && n <= KRPC_MAX_OUT);
	CU_ASSERT_TRUE(has(out, n, "5:nodes208:") && has(out, n, "6:nodes6304:"));
	/* no value sent (the reader has seq): never past 1024, nodes kept
	 * when they fit */
	it.v_len = text_value(v, BEP44_MAX_V);
	r.has_seq = true;
	r.seq = INT64_MAX;
	n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE(n > 0 && n <= KRPC_MAX_OUT && has(out, n, "5:nodes208:") &&
	    !has(out, n, "1:v1000:"));
}

static void test_big_put(void)
{
	uint8_t seed[32], kpk[32], ksk[64], v[BEP44_MAX_V], out[KRPC_MAX_OUT_ITEM + 100];
	uint8_t token[KRPC_MAX_TOKEN], tid[4] = { 1, 2, 3, 4 };
	memset(seed, 5, sizeof(seed));
	memset(token, 'k', sizeof(token));
	crypto_sign_seed_keypair(kpk, ksk, seed);
	struct dht_id id;
	memset(id.b, 'i', 20);
	struct krpc_hdr h = { .tid = tid, .tid_len = 4, .v = (const uint8_t *)"TL01",
		.is_read_only = true };
	struct bep44_op *op = calloc(1, sizeof(*op));
	CU_ASSERT_PTR_NOT_NULL_FATAL(op);
	uint8_t salt[BEP44_MAX_SALT], sig[64];
	memset(salt, 'z', sizeof(salt));
	struct dht_item item = { .is_mutable = true, .v = v, .v_len = text_value(v, BEP44_MAX_V),
		.k = kpk, .sig = sig, .salt = salt, .salt_len = sizeof(salt), .seq = INT64_MAX,
		.has_cas = true, .cas = INT64_MAX - 1 };
	CU_ASSERT_EQUAL_FATAL(bep44_sign(ksk, salt, sizeof(salt), item.seq, v, item.v_len, sig), 0);
	CU_ASSERT_EQUAL_FATAL(bep44_op_set(op, &item), 0);
	/* the largest put: every field, a 40-byte token */
	size_t n = bep44_encode_put(&h, &id, op, token, sizeof(token), out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > KRPC_MAX_OUT && n <= KRPC_MAX_OUT_ITEM);
	CU_ASSERT_EQUAL(n, 1361); /* the figure krpc.h gives */
	struct benc_tok toks[64];
	struct benc_doc d;
	parse_ok(out, n, &d, toks, 64);
	struct krpc_msg *m = malloc(sizeof(*m));
	const char *why;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(krpc_decode(out, n, m, &why), 0);
	free(m);
	/* what a storing node decodes: every field, a valid signature */
	struct bep44_query q;
	CU_ASSERT_EQUAL(bep44_method(out, n), 2);
	CU_ASSERT_EQUAL_FATAL(bep44_decode(out, n, sha1_hook, NULL, &q, &why), BEP44_OK);
	CU_ASSERT_TRUE(q.is_mutable && q.seq == INT64_MAX && q.has_cas && q.cas == INT64_MAX - 1);
	CU_ASSERT_TRUE(q.salt_len == sizeof(salt) && memcmp(q.salt, salt, sizeof(salt)) == 0);
	CU_ASSERT_TRUE(q.v_len == BEP44_MAX_V && memcmp(q.v, v, BEP44_MAX_V) == 0);
	CU_ASSERT_TRUE(q.token_len == sizeof(token) && memcmp(q.k, kpk, 32) == 0);
	CU_ASSERT_TRUE(has(out, n, "2:roi1e"));
	CU_ASSERT_EQUAL(bep44_encode_put(&h, &id, op, token, sizeof(token), out, KRPC_MAX_OUT), 0);
	/* a small item stays within 1024 */
	struct dht_item small = { .v = HELLO, .v_len = HELLO_LEN };
	memset(op, 0, sizeof(*op));
	CU_ASSERT_EQUAL_FATAL(bep44_op_set(op, &small), 0);
	n = bep44_encode_put(&h, &id, op, token, sizeof(token), out, sizeof(out));
	CU_ASSERT_TRUE(n > 0 && n <= KRPC_MAX_OUT);
	CU_ASSERT_EQUAL_FATAL(bep44_decode(out, n, sha1_hook, NULL, &q, &why), BEP44_OK);
	CU_ASSERT_FALSE(q.is_mutable);
	free(op);
}

static void test_put_report(void)
{
	struct dht_put_report r = { .sent = 8 };
	bep44_report_add(&r, 0);
	bep44_report_add(&r, 0);
	bep44_report_add(&r, -1); /* no answer */
	bep44_report_add(&r, BEP44_E_SEQ);
	bep44_report_add(&r, BEP44_E_CAS);
	bep44_report_add(&r, BEP44_E_SEQ);
	CU_ASSERT_TRUE(r.stored == 2 && r.errors == 3 && r.ncodes == 2);
	CU_ASSERT_TRUE(r.codes[0].code == 302 && r.codes[0].count == 2);
	CU_ASSERT_TRUE(r.codes[1].code == 301 && r.codes[1].count == 1);
	/* distinct codes past DHT_PUT_MAX_CODES are counted, not listed */
	for (int c = 0; c < 20; c++)
		bep44_report_add(&r, 400 + c);
	CU_ASSERT_EQUAL(r.ncodes, DHT_PUT_MAX_CODES);
	CU_ASSERT_EQUAL(r.errors, 23);
	size_t listed = 0;
	for (size_t i = 0; i < r.ncodes; i++)
		listed += r.codes[i].count;
	CU_ASSERT_EQUAL(listed, 3 + DHT_PUT_MAX_CODES - 2);
	bep44_report_add(&r, INT64_MAX);
	CU_ASSERT_EQUAL(r.errors, 24);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	CU_TestInfo tests[] = {
		TL_TEST(test_vectors),
		TL_TEST(test_sig_buf_bounds),
		TL_TEST(test_seed_keys),
		TL_TEST(test_put_errors),
		TL_TEST(test_get_decode),
		TL_TEST(test_store_rules),
		TL_TEST(test_store_caps),
		TL_TEST(test_big_get_reply),
		TL_TEST(test_big_put),
		TL_TEST(test_put_report),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("bep44", tests);
}
