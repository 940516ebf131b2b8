/* test_log.c: the limit on a line that repeats: the first passes, then one
 * per interval with the count of those left out, and a quiet spell longer
 * than the interval lets the next one through at once; the tail that tells
 * the count. */
#include "cutest.h"

#include "base/log.h"

static void test_limit(void)
{
	static const struct {
		uint64_t now_ms;
		bool is_logged;
		uint64_t dropped; /* told with a logged line */
	} v[] = {
		{ 5, true, 0 },        /* the first passes, whenever it comes */
		{ 5, false, 0 },
		{ 6, false, 0 },
		{ 1004, false, 0 },
		{ 1005, true, 3 },     /* one interval after the last logged */
		{ 1005, false, 0 },
		{ 9000, true, 1 },     /* after a quiet spell: at once */
		{ 9999, false, 0 },
		{ 10000, true, 1 },
	};
	struct tl_log_limit l = { 0 };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t dropped = 99;
		bool is_logged = tl_log_limit_pass(&l, v[i].now_ms, 1000, &dropped);
		CU_ASSERT_EQUAL(is_logged, v[i].is_logged);
		CU_ASSERT_EQUAL(dropped, v[i].dropped);
	}
}

/* A line every millisecond for an hour, logged once a minute: 60 lines,
 * and every line is either logged or counted in the next one logged. */
static void test_flood(void)
{
	struct tl_log_limit l = { 0 };
	uint64_t logged = 0, told = 0, dropped;
	for (uint64_t t = 1000; t < 1000 + 3600 * 1000; t++)
		if (tl_log_limit_pass(&l, t, 60000, &dropped)) {
			logged++;
			told += dropped;
		}
	CU_ASSERT_EQUAL(logged, 60);
	CU_ASSERT_EQUAL(logged + told + l.dropped, 3600 * 1000);
}

static void test_more(void)
{
	char buf[TL_LOG_MORE_LEN];
	CU_ASSERT_STRING_EQUAL(tl_log_more(0, buf), "");
	CU_ASSERT_STRING_EQUAL(tl_log_more(1, buf), " (1 more since the last report)");
	CU_ASSERT_STRING_EQUAL(tl_log_more(UINT64_MAX, buf),
	    " (18446744073709551615 more since the last report)");
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_limit),
		TL_TEST(test_flood),
		TL_TEST(test_more),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("log", tests);
}
