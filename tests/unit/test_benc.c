/* test_benc.c: the bencode codec against BEP 3/5 examples, malformed
 * inputs, limits and a round-trip property test. */
#include "cutest.h"

#include "dht/benc.h"

static struct benc_tok toks[1024];

static int parse(const char *s, unsigned flags, struct benc_doc *d, struct benc_err *e)
{
	return benc_parse((const uint8_t *)s, strlen(s), toks, 1024, 32, flags, d, e);
}

static void test_bep5_ping(void)
{
	struct benc_doc d;
	struct benc_err e;
	const char *s = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	CU_ASSERT_EQUAL_FATAL(parse(s, BENC_F_SORTED, &d, &e), 0);
	CU_ASSERT_EQUAL(d.toks[0].type, BENC_DICT);
	CU_ASSERT_EQUAL(d.toks[0].count, 4);
	CU_ASSERT_EQUAL(d.consumed, strlen(s));
	CU_ASSERT_TRUE(benc_str_eq(&d, benc_dict_get(&d, 0, "q"), "ping"));
	CU_ASSERT_TRUE(benc_str_eq(&d, benc_dict_get(&d, 0, "y"), "q"));
	long a = benc_dict_get(&d, 0, "a");
	CU_ASSERT_TRUE(benc_is(&d, a, BENC_DICT));
	const uint8_t *id;
	size_t n;
	CU_ASSERT_TRUE(benc_get_str(&d, benc_dict_get(&d, (size_t)a, "id"), &id, &n));
	CU_ASSERT_EQUAL(n, 20);
	CU_ASSERT_EQUAL(memcmp(id, "abcdefghij0123456789", 20), 0);
	CU_ASSERT_EQUAL(benc_dict_get(&d, 0, "zz"), -1);
	CU_ASSERT_FALSE(d.is_unsorted);
}

static void test_ints(void)
{
	struct benc_doc d;
	struct benc_err e;
	int64_t v;
	CU_ASSERT_EQUAL(parse("i0e", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_int(&d, 0, &v) && v == 0);
	CU_ASSERT_EQUAL(parse("i-42e", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_int(&d, 0, &v) && v == -42);
	CU_ASSERT_EQUAL(parse("i9223372036854775807e", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_int(&d, 0, &v) && v == INT64_MAX);
	CU_ASSERT_EQUAL(parse("i-9223372036854775808e", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_int(&d, 0, &v) && v == INT64_MIN);

	static const char *const bad[] = { "i03e", "i-0e", "ie", "i-e", "i1", "i9223372036854775808e",
		"i-9223372036854775809e", "i1.5e", "i 1e", "i99999999999999999999999e" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.what = NULL;
		CU_ASSERT_EQUAL(parse(bad[i], 0, &d, &e), -1);
		CU_ASSERT_PTR_NOT_NULL(e.what);
	}
}

static void test_strings(void)
{
	struct benc_doc d;
	struct benc_err e;
	const uint8_t *s;
	size_t n;
	CU_ASSERT_EQUAL(parse("0:", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_str(&d, 0, &s, &n) && n == 0);
	CU_ASSERT_EQUAL(parse("4:spam", 0, &d, &e), 0);
	CU_ASSERT_TRUE(benc_get_str(&d, 0, &s, &n) && n == 4 && memcmp(s, "spam", 4) == 0);
	CU_ASSERT_EQUAL(parse("5:spam", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "string runs past the end of input");
	CU_ASSERT_EQUAL(parse("04:spam", 0, &d, &e), -1);
	CU_ASSERT_EQUAL(parse("4spam", 0, &d, &e), -1);
	CU_ASSERT_EQUAL(parse("99999999999999999999999:x", 0, &d, &e), -1);
	/* a NUL inside a string is data, not a terminator */
	static const uint8_t nul[] = { '3', ':', 'a', 0, 'b' };
	CU_ASSERT_EQUAL(benc_parse(nul, 5, toks, 1024, 32, 0, &d, &e), 0);
}

static void test_containers_and_errors(void)
{
	struct benc_doc d;
	struct benc_err e;
	CU_ASSERT_EQUAL(parse("le", 0, &d, &e), 0);
	CU_ASSERT_EQUAL(parse("de", 0, &d, &e), 0);
	CU_ASSERT_EQUAL(parse("l4:spami42ee", 0, &d, &e), 0);
	CU_ASSERT_EQUAL(d.toks[0].count, 2);
	CU_ASSERT_EQUAL(benc_list_at(&d, 0, 1), 2);
	CU_ASSERT_EQUAL(benc_list_at(&d, 0, 2), -1);

	CU_ASSERT_EQUAL(parse("", 0, &d, &e), -1);
	CU_ASSERT_EQUAL(parse("l", 0, &d, &e), -1);
	CU_ASSERT_EQUAL(parse("d1:ae", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "dictionary key without a value");
	CU_ASSERT_EQUAL(parse("di1ei2ee", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "dictionary key is not a string");
	CU_ASSERT_EQUAL(parse("d1:a0:1:a0:e", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "duplicate dictionary key");
	CU_ASSERT_EQUAL(e.offset, 6);
	CU_ASSERT_EQUAL(parse("i1ei2e", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "trailing data after the value");
	CU_ASSERT_EQUAL(e.offset, 3);
	CU_ASSERT_EQUAL(parse("i1ei2e", BENC_F_TRAILING, &d, &e), 0);
	CU_ASSERT_EQUAL(d.consumed, 3);
	CU_ASSERT_EQUAL(parse("x", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "unexpected byte");
}

static void test_sorted_keys(void)
{
	struct benc_doc d;
	struct benc_err e;
	CU_ASSERT_EQUAL(parse("d1:b0:1:a0:e", 0, &d, &e), 0);
	CU_ASSERT_TRUE(d.is_unsorted);
	CU_ASSERT_EQUAL(parse("d1:b0:1:a0:e", BENC_F_SORTED, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "dictionary keys out of order");
	/* a shorter key that is a prefix sorts first */
	CU_ASSERT_EQUAL(parse("d1:a0:2:aa0:e", BENC_F_SORTED, &d, &e), 0);
	CU_ASSERT_EQUAL(parse("d2:aa0:1:a0:e", BENC_F_SORTED, &d, &e), -1);
	/* a duplicate that is not next to its twin, in an unsorted dict */
	CU_ASSERT_EQUAL(parse("d1:ai1e1:bi1e1:ai2ee", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "duplicate dictionary key");
	CU_ASSERT_EQUAL(e.offset, 13);
	CU_ASSERT_EQUAL(parse("d1:ci1e1:bi1e1:ai2e1:di3ee", 0, &d, &e), 0);
	CU_ASSERT_TRUE(d.is_unsorted);
	/* nested unsorted dicts are checked each on their own */
	CU_ASSERT_EQUAL(parse("d1:bd1:yi1e1:xi1e1:yi1ee1:ai0ee", 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "duplicate dictionary key");
}

static void test_limits(void)
{
	struct benc_doc d;
	struct benc_err e;
	char deep[200];
	memset(deep, 'l', 100);
	memset(deep + 100, 'e', 100);
	CU_ASSERT_EQUAL(benc_parse((const uint8_t *)deep, 200, toks, 1024, 32, 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "nested too deeply");
	CU_ASSERT_EQUAL(e.offset, 32);
	CU_ASSERT_EQUAL(benc_parse((const uint8_t *)deep + 68, 64, toks, 1024, 32, 0, &d, &e), 0);
	CU_ASSERT_EQUAL(benc_parse((const uint8_t *)"li1ei2ei3ee", 11, toks, 3, 32, 0, &d, &e), -1);
	CU_ASSERT_STRING_EQUAL(e.what, "too many values");
}

static void test_encoder(void)
{
	struct benc_w w;
	benc_w_init(&w);
	benc_w_dict(&w);
	benc_w_cstr(&w, "a");
	benc_w_list(&w);
	benc_w_int(&w, -7);
	benc_w_str(&w, "xy", 2);
	benc_w_end(&w);
	benc_w_end(&w);
	CU_ASSERT_FALSE(w.err);
	CU_ASSERT_EQUAL(w.len, strlen("d1:ali-7e2:xyee"));
	CU_ASSERT_EQUAL(memcmp(w.p, "d1:ali-7e2:xyee", w.len), 0);
	benc_w_clear(&w);

	uint8_t small[8];
	benc_w_init_fixed(&w, small, sizeof(small));
	benc_w_cstr(&w, "1234567");
	CU_ASSERT_TRUE(w.err);
	benc_w_clear(&w);
}

/* Random documents, encoded by a naive reference, must parse and re-encode
 * to the same bytes. */
static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static void gen(struct benc_w *w, int depth)
{
	switch (depth > 4 ? rnd() % 2 : rnd() % 4) {
	case 0:
		benc_w_int(w, (int64_t)rnd() - (int64_t)(rnd() % 2 ? 0 : 2147483647));
		break;
	case 1: {
		char s[16];
		size_t n = rnd() % sizeof(s);
		for (size_t i = 0; i < n; i++)
			s[i] = (char)rnd();
		benc_w_str(w, s, n);
		break;
	}
	case 2: {
		benc_w_list(w);
		for (uint32_t n = rnd() % 4; n; n--)
			gen(w, depth + 1);
		benc_w_end(w);
		break;
	}
	default: {
		benc_w_dict(w);
		uint32_t n = rnd() % 4;
		for (uint32_t k = 0; k < n; k++) {
			char key[3] = { 'k', (char)('a' + k), 0 };
			benc_w_cstr(w, key);
			gen(w, depth + 1);
		}
		benc_w_end(w);
		break;
	}
	}
}

static void reencode(const struct benc_doc *d, size_t i, struct benc_w *w)
{
	const struct benc_tok *t = &d->toks[i];
	if (t->type == BENC_INT) {
		benc_w_int(w, t->ival);
	} else if (t->type == BENC_STR) {
		benc_w_str(w, d->buf + t->data, t->count);
	} else {
		benc_w_raw(w, t->type == BENC_LIST ? "l" : "d", 1);
		for (size_t c = i + 1; c < i + t->skip; c = benc_next(d, c))
			reencode(d, c, w);
		benc_w_end(w);
	}
}

static void test_roundtrip_property(void)
{
	rng_state = tl_test_seed();
	for (int iter = 0; iter < 2000; iter++) {
		struct benc_w w, w2;
		struct benc_doc d;
		struct benc_err e;
		benc_w_init(&w);
		benc_w_init(&w2);
		gen(&w, 0);
		CU_ASSERT_FATAL(!w.err);
		int rc = benc_parse(w.p, w.len, toks, 1024, 32, BENC_F_SORTED, &d, &e);
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		reencode(&d, 0, &w2);
		CU_ASSERT_EQUAL(w.len, w2.len);
		CU_ASSERT_EQUAL(memcmp(w.p, w2.p, w.len), 0);
		benc_w_clear(&w);
		benc_w_clear(&w2);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_bep5_ping),
		TL_TEST(test_ints),
		TL_TEST(test_strings),
		TL_TEST(test_containers_and_errors),
		TL_TEST(test_sorted_keys),
		TL_TEST(test_limits),
		TL_TEST(test_encoder),
		TL_TEST(test_roundtrip_property),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("benc", tests);
}
