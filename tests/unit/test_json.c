/* test_json.c: the JSON writer: structure and commas, escaping of control
 * characters and of bytes outside UTF-8, and output checked by a strict
 * parser (python3's json module) when it is installed. */
#include "cutest.h"

#include <unistd.h>

#include "base/json.h"

static void test_structure(void)
{
	struct tl_json j;
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "a");
	tl_json_int(&j, -5);
	tl_json_key(&j, "b");
	tl_json_begin_array(&j);
	tl_json_bool(&j, true);
	tl_json_bool(&j, false);
	tl_json_null(&j);
	tl_json_begin_array(&j);
	tl_json_end_array(&j);
	tl_json_begin_object(&j);
	tl_json_end_object(&j);
	tl_json_string(&j, NULL);
	tl_json_end_array(&j);
	tl_json_key(&j, "c");
	tl_json_int(&j, INT64_MAX);
	tl_json_key(&j, "d");
	tl_json_int(&j, INT64_MIN);
	tl_json_end_object(&j);
	CU_ASSERT_STRING_EQUAL(j.out.p, "{\"a\":-5,\"b\":[true,false,null,[],{},null],"
				    "\"c\":9223372036854775807,\"d\":-9223372036854775808}");
	char *s = tl_json_take(&j);
	CU_ASSERT_PTR_NULL(j.out.p);
	free(s);
	/* an empty writer still hands out a string */
	s = tl_json_take(&j);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
}

static void test_escaping(void)
{
	struct tl_json j;
	tl_json_init(&j);
	tl_json_begin_array(&j);
	tl_json_string(&j, "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f");
	tl_json_string(&j, "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"); /* valid UTF-8 kept */
	tl_json_string(&j, "\xff\xc3(\xed\xa0\x80\xc0\xaf\xf4\x90\x80\x80"); /* each bad byte */
	static const char nul[] = { 'a', 0, 'b' };
	tl_json_string_n(&j, nul, 3);
	tl_json_end_array(&j);
	CU_ASSERT_STRING_EQUAL(j.out.p,
	    "[\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\","
	    "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\","
	    "\"\\u00ff\\u00c3(\\u00ed\\u00a0\\u0080\\u00c0\\u00af\\u00f4\\u0090\\u0080\\u0080\","
	    "\"a\\u0000b\"]");
	tl_json_clear(&j);
	CU_ASSERT_PTR_NULL(j.out.p);
}

/* Random bytes as strings must always give JSON that a strict parser
 * accepts and whose strings round-trip for valid UTF-8 input. */
static void test_random_strings_parse(void)
{
	if (access("/usr/bin/python3", X_OK) != 0) {
		printf("SKIP: python3 is not installed\n");
		return;
	}
	uint64_t rng = tl_test_seed();
	struct tl_json j;
	tl_json_init(&j);
	tl_json_begin_array(&j);
	for (int i = 0; i < 300; i++) {
		uint8_t s[16];
		size_t n = 0;
		for (; n < sizeof(s); n++) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			s[n] = (uint8_t)(rng >> 40);
		}
		tl_json_string_n(&j, s, (size_t)(rng >> 60));
	}
	tl_json_end_array(&j);
	char path[] = "/tmp/tl-json-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL((size_t)write(fd, j.out.p, j.out.len), j.out.len);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
	    "/usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); "
	    "assert len(v)==300' %s",
	    path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	unlink(path);
	tl_json_clear(&j);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		TL_TEST(test_structure),
		TL_TEST(test_escaping),
		TL_TEST(test_random_strings_parse),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("json", tests);
}
