/* test_digest.c: SHA-1 and SHA-256 against FIPS 180 vectors, and a context
 * carried from message to message with tl_hash_next against one-shot
 * hashes of each message. */
#include "cutest.h"

#include "base/digest.h"

struct vector {
	const char *msg;
	const char *sha1;
	const char *sha256;
};

static const struct vector vectors[] = {
	{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
};
#define NVEC (sizeof(vectors) / sizeof(vectors[0]))

static void check_hex(const uint8_t *got, size_t n, const char *want)
{
	char hex[65];
	tl_hex(got, n, hex);
	CU_ASSERT_STRING_EQUAL(hex, want);
}

static void test_vectors(void)
{
	for (size_t i = 0; i < NVEC; i++) {
		const char *m = vectors[i].msg;
		uint8_t d[32];
		tl_sha1(m, strlen(m), d);
		check_hex(d, 20, vectors[i].sha1);
		tl_sha256(m, strlen(m), d);
		check_hex(d, 32, vectors[i].sha256);
		struct tl_hash_ctx h;
		tl_sha1_init(&h);
		for (const char *p = m; *p; p++) /* byte by byte */
			tl_hash_update(&h, p, 1);
		tl_hash_final(&h, d);
		check_hex(d, 20, vectors[i].sha1);
		CU_ASSERT_PTR_NULL(h.ctx);
	}
}

/* One context through every vector twice, in both algorithms: each digest
 * is that of its own message only. */
static void test_next(void)
{
	struct tl_hash_ctx h1, h256;
	tl_sha1_init(&h1);
	tl_sha256_init(&h256);
	for (size_t k = 0; k < 2 * NVEC; k++) {
		const struct vector *v = &vectors[k % NVEC];
		uint8_t d[32];
		tl_hash_update(&h1, v->msg, strlen(v->msg));
		tl_hash_next(&h1, d);
		check_hex(d, 20, v->sha1);
		tl_hash_update(&h256, v->msg, strlen(v->msg));
		tl_hash_next(&h256, d);
		check_hex(d, 32, v->sha256);
	}
	/* a message given up half way leaves nothing behind */
	tl_hash_update(&h1, "ab", 2);
	tl_hash_clear(&h1);
	CU_ASSERT_PTR_NULL(h1.ctx);
	tl_hash_clear(&h1);
	uint8_t d[32];
	tl_hash_final(&h256, d);
	check_hex(d, 32, vectors[0].sha256);
	tl_hash_clear(&h256);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_vectors),
		TL_TEST(test_next),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("digest", tests);
}
