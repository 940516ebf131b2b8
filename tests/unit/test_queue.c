/* test_queue.c: the session's queue (engine/queue.h). */
#include "cutest.h"

#include "engine/queue.h"

static size_t pick(const struct tl_queue_item *it, size_t n, unsigned max_down, unsigned max_seed,
    bool *out)
{
	struct tl_queue_limits lim = { .max_downloads = max_down, .max_seeds = max_seed };
	return tl_queue_pick(it, n, &lim, out);
}

static void test_no_limits_start_all_wanted(void)
{
	struct tl_queue_item it[4] = {
		{ .is_wanted = true }, { .is_wanted = false }, { .is_wanted = true, .is_seed = true },
		{ .is_wanted = true, .is_running = true },
	};
	bool out[4];
	CU_ASSERT_EQUAL(pick(it, 4, 0, 0, out), 2);
	CU_ASSERT_TRUE(out[0]);
	CU_ASSERT_FALSE(out[1]);
	CU_ASSERT_TRUE(out[2]);
	CU_ASSERT_FALSE(out[3]); /* running already */
}

static void test_download_limit_in_order(void)
{
	struct tl_queue_item it[4] = {
		{ .is_wanted = true, .is_running = true }, { .is_wanted = true }, { .is_wanted = true },
		{ .is_wanted = true, .is_seed = true },
	};
	bool out[4];
	/* two downloads at once: one runs, so only the first waiting one starts */
	CU_ASSERT_EQUAL(pick(it, 4, 2, 0, out), 2);
	CU_ASSERT_TRUE(out[1]);
	CU_ASSERT_FALSE(out[2]);
	CU_ASSERT_TRUE(out[3]); /* a seed does not take a download's place */
	/* the running one finished: the next in order gets its place */
	it[0].is_running = false;
	it[0].is_wanted = false;
	it[1].is_running = true;
	CU_ASSERT_EQUAL(pick(it, 4, 2, 0, out), 2);
	CU_ASSERT_TRUE(out[2]);
}

static void test_seed_limit(void)
{
	struct tl_queue_item it[3] = {
		{ .is_wanted = true, .is_seed = true, .is_running = true },
		{ .is_wanted = true, .is_seed = true },
		{ .is_wanted = true },
	};
	bool out[3];
	CU_ASSERT_EQUAL(pick(it, 3, 1, 1, out), 1);
	CU_ASSERT_FALSE(out[1]);
	CU_ASSERT_TRUE(out[2]);
	/* over the limit already (a download completed): nothing more starts */
	it[2].is_running = true;
	it[2].is_seed = true;
	CU_ASSERT_EQUAL(pick(it, 3, 1, 1, out), 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_no_limits_start_all_wanted),
		TL_TEST(test_download_limit_in_order),
		TL_TEST(test_seed_limit),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("queue", tests);
}
