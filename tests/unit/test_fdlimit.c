/* test_fdlimit.c: the descriptor budget: the room left for sockets under
 * the reserve (a table), the grant and refusal of one more, the count of
 * descriptors in use against descriptors really opened and closed, and
 * the soft limit raised to the hard one. */
#include "cutest.h"

#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/bounds.h"
#include "base/fdlimit.h"

static void test_room(void)
{
	static const struct {
		unsigned in_use, limit, room;
	} v[] = {
		{ 0, 0, 0 },                          /* unknown limit: no room counted */
		{ 12, 64, 64 - TL_FD_RESERVE - 12 },  /* the reserve is half of 64 */
		{ 31, 64, 1 },
		{ 32, 64, 0 },
		{ 100, 64, 0 },                       /* over the limit (lowered since) */
		{ 10, 1024, 1024 - TL_FD_RESERVE - 10 },
		{ 1024 - TL_FD_RESERVE - 1, 1024, 1 },
		{ 1024 - TL_FD_RESERVE, 1024, 0 },
		{ 0, 10, 5 },                         /* a tiny limit keeps half */
		{ 4, 10, 1 },
		{ 5, 10, 0 },
		{ 0, 1, 1 },
		{ 1, 1, 0 },
		{ 0, UINT_MAX, UINT_MAX - TL_FD_RESERVE },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unsigned got = tl_fdlimit_room(v[i].in_use, v[i].limit);
		if (got != v[i].room)
			printf("room(%u, %u) = %u, want %u\n", v[i].in_use, v[i].limit, got, v[i].room);
		CU_ASSERT_EQUAL(got, v[i].room);
	}
}

static void test_take(void)
{
	CU_ASSERT(tl_fdlimit_take(NULL));
	struct tl_fdlimit unknown = { .limit = 0, .in_use = 1000 };
	CU_ASSERT(tl_fdlimit_take(&unknown));
	struct tl_fdlimit f = { .limit = 64, .in_use = 30 };
	CU_ASSERT(tl_fdlimit_take(&f));
	CU_ASSERT_EQUAL(f.in_use, 31);
	CU_ASSERT(tl_fdlimit_take(&f));
	CU_ASSERT_EQUAL(f.in_use, 32);
	/* the last 32 are the reserve */
	CU_ASSERT(!tl_fdlimit_take(&f));
	CU_ASSERT(!tl_fdlimit_take(&f));
	CU_ASSERT_EQUAL(f.in_use, 32);
}

static void test_count(void)
{
	struct tl_fdlimit f;
	tl_fdlimit_init(&f);
	if (f.limit == 0) {
		printf("SKIP: no /proc/self/fd to count\n");
		return;
	}
	struct rlimit rl;
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	CU_ASSERT(rl.rlim_cur == RLIM_INFINITY || f.limit == rl.rlim_cur);
	unsigned base = f.in_use;
	CU_ASSERT(base >= 3); /* stdin, stdout, stderr at least */
	int p[5][2];
	for (int i = 0; i < 5; i++)
		CU_ASSERT_FATAL(pipe(p[i]) == 0);
	CU_ASSERT(tl_fdlimit_take(&f));
	CU_ASSERT_EQUAL(f.in_use, base + 1); /* granted, not yet seen */
	tl_fdlimit_refresh(&f);
	CU_ASSERT_EQUAL(f.in_use, base + 10);
	for (int i = 0; i < 5; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	tl_fdlimit_refresh(&f);
	CU_ASSERT_EQUAL(f.in_use, base);
}

/* Listings: every tick from half the limit on (or with no limit known),
 * else once TL_FDLIMIT_QUIET_MS passed. */
static void test_is_due(void)
{
	CU_ASSERT_FALSE(tl_fdlimit_is_due(100, 1024, 1000));
	CU_ASSERT_FALSE(tl_fdlimit_is_due(511, 1024, TL_FDLIMIT_QUIET_MS - 1));
	CU_ASSERT_TRUE(tl_fdlimit_is_due(511, 1024, TL_FDLIMIT_QUIET_MS));
	CU_ASSERT_TRUE(tl_fdlimit_is_due(512, 1024, 0));
	CU_ASSERT_TRUE(tl_fdlimit_is_due(0, 0, 0));
}

static void test_raise(void)
{
	struct rlimit old;
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &old) == 0);
	if (old.rlim_max == RLIM_INFINITY || old.rlim_max < 64) {
		printf("SKIP: hard limit %llu\n", (unsigned long long)old.rlim_max);
		return;
	}
	struct rlimit low = { .rlim_cur = old.rlim_max / 2, .rlim_max = old.rlim_max };
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &low) == 0);
	tl_fdlimit_raise();
	struct rlimit now;
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CU_ASSERT_EQUAL(now.rlim_cur, old.rlim_max);
	CU_ASSERT_EQUAL(now.rlim_max, old.rlim_max);
	/* at the hard limit already: nothing changes */
	tl_fdlimit_raise();
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &now) == 0);
	CU_ASSERT_EQUAL(now.rlim_cur, old.rlim_max);
	setrlimit(RLIMIT_NOFILE, &old);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_room),
		TL_TEST(test_take),
		TL_TEST(test_count),
		TL_TEST(test_is_due),
		TL_TEST(test_raise),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("fdlimit", tests);
}
