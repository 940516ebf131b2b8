/* test_ext.c: BEP 10 handshake build/parse, the BEP's own example, type
 * and range checks, and the additive "m". */
#include "cutest.h"

#include "base/bounds.h"
#include "base/err.h"
#include "proto/ext.h"

static int parse(const char *s, struct tl_ext_hs *hs, const char **why)
{
	*why = NULL;
	int rc = tl_ext_hs_parse((const uint8_t *)s, strlen(s), hs, why);
	if (rc != TL_OK)
		CU_ASSERT_PTR_NOT_NULL(*why);
	return rc;
}

static void test_bep10_example(void)
{
	/* BEP 10's example; LT_metadata and the odd-case pex name are not ours */
	const char *s = "d1:md11:LT_metadatai1e6:\xb5T_PEXi2ee1:pi6881e1:v13:\xc2\xb5Torrent 1.2e";
	struct tl_ext_hs hs;
	const char *why;
	CU_ASSERT_EQUAL_FATAL(parse(s, &hs, &why), TL_OK);
	CU_ASSERT_FALSE(hs.has_id[TL_EXT_UT_METADATA]);
	CU_ASSERT_FALSE(hs.has_id[TL_EXT_UT_PEX]);
	CU_ASSERT_TRUE(hs.has_port);
	CU_ASSERT_EQUAL(hs.port, 6881);
	CU_ASSERT_EQUAL(hs.v_len, 13);
	CU_ASSERT_EQUAL(memcmp(hs.v, "\xc2\xb5Torrent 1.2", 13), 0);
	CU_ASSERT_FALSE(hs.has_metadata_size);
	/* BEP 9's example */
	CU_ASSERT_EQUAL_FATAL(parse("d1:md11:ut_metadatai3ee13:metadata_sizei31235ee", &hs, &why), TL_OK);
	CU_ASSERT_TRUE(hs.has_id[TL_EXT_UT_METADATA]);
	CU_ASSERT_EQUAL(hs.ids[TL_EXT_UT_METADATA], 3);
	CU_ASSERT_TRUE(hs.has_metadata_size);
	CU_ASSERT_EQUAL(hs.metadata_size, 31235);
	/* absent fields read as zero (a fuzzer found them uninitialized) */
	CU_ASSERT_FALSE(hs.has_port);
	CU_ASSERT_EQUAL(hs.port, 0);
	CU_ASSERT_EQUAL(hs.reqq, 0);
	CU_ASSERT_FALSE(hs.is_upload_only);
}

static void test_roundtrip(void)
{
	struct tl_ext_hs hs = { 0 }, got;
	hs.ids[TL_EXT_UT_METADATA] = TL_EXT_LOCAL_UT_METADATA;
	hs.ids[TL_EXT_UT_PEX] = TL_EXT_LOCAL_UT_PEX;
	hs.has_id[TL_EXT_UT_METADATA] = hs.has_id[TL_EXT_UT_PEX] = true;
	hs.has_port = hs.has_reqq = hs.has_metadata_size = hs.is_upload_only = true;
	hs.port = 51413;
	hs.reqq = 500;
	hs.metadata_size = TL_MAX_METADATA_SIZE;
	hs.v = (const uint8_t *)"trackless 0.1.0";
	hs.v_len = 15;
	hs.yourip_len = 16;
	memset(hs.yourip, 0xfe, 16);
	uint8_t b[TL_EXT_HS_MAX_LEN];
	size_t n = tl_ext_hs_build(&hs, b, sizeof(b));
	CU_ASSERT_FATAL(n > 0);
	const char *want = "d1:md11:ut_metadatai1e6:ut_pexi2ee13:metadata_sizei16777216e1:pi51413e4:reqqi500e"
			   "11:upload_onlyi1e1:v15:trackless 0.1.06:yourip16:";
	CU_ASSERT_EQUAL(memcmp(b, want, strlen(want)), 0);
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_ext_hs_parse(b, n, &got, &why), TL_OK);
	CU_ASSERT_EQUAL(memcmp(got.ids, hs.ids, sizeof(hs.ids)), 0);
	CU_ASSERT_EQUAL(got.port, 51413);
	CU_ASSERT_EQUAL(got.reqq, 500);
	CU_ASSERT_EQUAL(got.metadata_size, TL_MAX_METADATA_SIZE);
	CU_ASSERT_TRUE(got.is_upload_only);
	CU_ASSERT_EQUAL(got.yourip_len, 16);
	CU_ASSERT_EQUAL(memcmp(got.yourip, hs.yourip, 16), 0);
	CU_ASSERT_EQUAL(got.v_len, 15);
	/* a too-small buffer */
	CU_ASSERT_EQUAL(tl_ext_hs_build(&hs, b, n - 1), 0);
	/* a long client name is cut to 64 bytes and the result fits */
	static const char longv[300] = "x";
	hs.v = (const uint8_t *)longv;
	hs.v_len = sizeof(longv);
	CU_ASSERT_TRUE(tl_ext_hs_build(&hs, b, sizeof(b)) > 0);
}

static void test_bad_fields(void)
{
	static const char *const bad[] = {
		"le",                                  /* not a dict */
		"d1:mi1ee",                            /* m not a dict */
		"d1:md11:ut_metadatai256eee",          /* id too big */
		"d1:md11:ut_metadatai-1eee",           /* negative id */
		"d1:md7:unknown3:abcee",               /* any id must be an integer */
		"d1:md11:ut_metadatai2e6:ut_pexi2eee", /* shared id */
		"d13:metadata_sizei16777217ee",        /* over the bound */
		"d13:metadata_sizei-5ee",
		"d13:metadata_size3:abce",
		"d1:pi65536ee",
		"d1:p4:6881e",
		"d4:reqqi0ee",
		"d1:vi1ee",
		"d6:yourip3:abce",
		"d6:yourip5:abcdee",
		"d4:ipv416:aaaaaaaaaaaaaaaae",
		"d4:ipv64:aaaae",
		"d11:upload_onlyi2ee",
		"d1:md",                               /* truncated */
		"d1:md11:ut_metadatai1eeexx",           /* trailing bytes */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tl_ext_hs hs;
		const char *why;
		CU_ASSERT_EQUAL(parse(bad[i], &hs, &why), TL_EINVAL);
	}
	struct tl_ext_hs hs;
	const char *why;
	/* unknown names and keys are ignored; zero p/metadata_size read as absent */
	CU_ASSERT_EQUAL(parse("d1:md6:lt_tex3:xyzee", &hs, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(parse("d1:ed1:xi1ee1:md12:ut_holepunchi4e11:ut_metadatai4ee1:pi0ee", &hs, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(parse("d1:ed1:xi1ee1:md12:ut_holepunchi4e11:ut_metadatai3ee1:pi0e13:metadata_sizei0ee", &hs, &why),
	    TL_OK);
	CU_ASSERT_EQUAL(hs.ids[TL_EXT_UT_METADATA], 3);
	CU_ASSERT_FALSE(hs.has_port);
	CU_ASSERT_FALSE(hs.has_metadata_size);
	/* a huge reqq is clamped, not refused */
	CU_ASSERT_EQUAL(parse("d4:reqqi99999999999ee", &hs, &why), TL_OK);
	CU_ASSERT_EQUAL(hs.reqq, TL_EXT_MAX_REQQ);
	CU_ASSERT_EQUAL(parse("de", &hs, &why), TL_OK);
}

static void test_merge(void)
{
	uint8_t ids[TL_EXT_COUNT] = { 0 };
	struct tl_ext_hs hs;
	const char *why;
	CU_ASSERT_EQUAL(parse("d1:md11:ut_metadatai3e6:ut_pexi1eee", &hs, &why), TL_OK);
	tl_ext_merge(ids, &hs);
	CU_ASSERT_EQUAL(ids[TL_EXT_UT_METADATA], 3);
	CU_ASSERT_EQUAL(ids[TL_EXT_UT_PEX], 1);
	/* a later handshake turns pex off and leaves ut_metadata alone */
	CU_ASSERT_EQUAL(parse("d1:md6:ut_pexi0eee", &hs, &why), TL_OK);
	tl_ext_merge(ids, &hs);
	CU_ASSERT_EQUAL(ids[TL_EXT_UT_METADATA], 3);
	CU_ASSERT_EQUAL(ids[TL_EXT_UT_PEX], 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_bep10_example),
		TL_TEST(test_roundtrip),
		TL_TEST(test_bad_fields),
		TL_TEST(test_merge),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("ext", tests);
}
