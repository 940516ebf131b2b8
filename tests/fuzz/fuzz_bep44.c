/* fuzz_bep44.c: BEP 44 get/put argument decoding, the signature buffer,
 * the item store and get replies, and the client's reading of get
 * replies. Every accepted put must respect the caps, point inside the
 * input and carry a signature that verifies again; every reply built
 * from the store must parse as sorted bencode and fit 1024 bytes, or 1452
 * when it does not fit 1024 (a value near the 1000-byte maximum). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dht/bep44.h"
#include "dht/benc.h"
#include "fuzz.h"

/* SHA-1 is not in libdht; any 20-byte hash exercises the same paths. */
static void hash20(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	crypto_generichash(out, 20, p, n, NULL, 0);
}

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
	if (len && (!p || p < data || p + len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bep44_store st;
	static bool is_init;
	static struct bep44_op op;
	struct bep44_query q;
	const char *why = NULL;
	uint8_t out[KRPC_MAX_OUT_ITEM];

	if (!is_init) {
		if (sodium_init() < 0)
			abort();
		bep44_store_init(&st, 16, 4096);
		is_init = true;
	}
	(void)bep44_method(data, size);
	int code = bep44_decode(data, size, hash20, NULL, &q, &why);
	if (code != BEP44_OK) {
		if (!why || (code != BEP44_E_PROTOCOL && code != BEP44_E_TOO_BIG &&
		    code != BEP44_E_SIG && code != BEP44_E_SALT))
			abort();
	} else if (q.is_put) {
		if (q.v_len > BEP44_MAX_V || q.salt_len > BEP44_MAX_SALT || !q.token_len)
			abort();
		inside(data, size, q.v, q.v_len);
		inside(data, size, q.salt, q.salt_len);
		inside(data, size, q.token, q.token_len);
		if (q.is_mutable && !bep44_verify(q.k, q.sig, q.salt, q.salt_len, q.seq, q.v, q.v_len))
			abort();
		if (bep44_store_put(&st, &q, 1000, &why) > 0 && !why)
			abort();
		const struct bep44_item *it = bep44_store_get(&st, &q.target, 1000);
		struct dht_id id = { { 1 } };
		uint8_t tid[2] = { 'a', 'a' };
		struct krpc_hdr h = { .tid = tid, .tid_len = 2 };
		struct bep44_reply r = { .id = &id, .item = it };
		size_t n = bep44_encode_get_reply(&h, &r, out, sizeof(out));
		struct benc_tok toks[KRPC_MAX_TOKENS];
		struct benc_doc d;
		if (it && (n == 0 || n > KRPC_MAX_OUT_ITEM ||
		    benc_parse(out, n, toks, KRPC_MAX_TOKENS, KRPC_MAX_DEPTH, BENC_F_SORTED, &d,
		        NULL) != 0))
			abort();
		if (n > KRPC_MAX_OUT && bep44_encode_get_reply(&h, &r, out, KRPC_MAX_OUT) != 0)
			abort(); /* over 1024 only when it does not fit 1024 */
	}
	/* the same bytes as a get reply to a client looking for target 0 */
	memset(&op, 0, sizeof(op));
	if (bep44_op_offer(&op, data, size, hash20, NULL) &&
	    (!op.has_item || op.v_len > BEP44_MAX_V))
		abort();
	if (st.n >= 16)
		bep44_store_clear(&st), bep44_store_init(&st, 16, 4096);
	return 0;
}
