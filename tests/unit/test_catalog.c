/* test_catalog.c: the saved list of a session's torrents (engine/catalog.h). */
#include <stdlib.h>
#include <string.h>

#include "cutest.h"

#include "engine/catalog.h"

static int parse(const char *s, struct tl_catalog *c, const char **why)
{
	return tl_catalog_parse((const uint8_t *)s, strlen(s), c, why);
}

static void test_round_trip(void)
{
	const char *tr[] = { "http://t.example/announce", "udp://u.example:80" };
	const char *pe[] = { "127.0.0.1:6881" };
	struct tl_catalog_item in[2] = {
		{ .name = "a.bin", .set = { .dir = "/dl", .is_paused = true, .max_peers = 33, .seed_ratio = 1.5,
			.seed_time_s = 3600, .only = "0-2", .trackers = tr, .ntrackers = 2, .peers = pe, .npeers = 1,
			.is_read_only = true, .is_sequential = true } },
		{ .set = { .dir = "/other", .is_no_trackers = true } },
	};
	memset(in[0].ih.b, 'A', 20);
	memset(in[1].ih.b, 'B', 20);
	uint8_t *p;
	size_t len;
	tl_catalog_encode(in, 2, &p, &len);
	struct tl_catalog c;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_catalog_parse(p, len, &c, &why), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	const struct tl_catalog_item *a = &c.items[0];
	CU_ASSERT_EQUAL(a->ih.b[0], 'A');
	CU_ASSERT_STRING_EQUAL(a->name, "a.bin");
	CU_ASSERT_STRING_EQUAL(a->set.dir, "/dl");
	CU_ASSERT_STRING_EQUAL(a->set.only, "0-2");
	CU_ASSERT_TRUE(a->set.is_paused);
	CU_ASSERT_TRUE(a->set.is_read_only);
	CU_ASSERT_TRUE(a->set.is_sequential);
	CU_ASSERT_FALSE(a->set.is_no_check);
	CU_ASSERT_EQUAL(a->set.max_peers, 33);
	CU_ASSERT_DOUBLE_EQUAL(a->set.seed_ratio, 1.5, 1e-9);
	CU_ASSERT_EQUAL(a->set.seed_time_s, 3600);
	CU_ASSERT_EQUAL_FATAL(a->set.ntrackers, 2);
	CU_ASSERT_STRING_EQUAL(a->set.trackers[1], "udp://u.example:80");
	CU_ASSERT_EQUAL_FATAL(a->set.npeers, 1);
	CU_ASSERT_STRING_EQUAL(a->set.peers[0], "127.0.0.1:6881");
	CU_ASSERT_PTR_NULL(c.items[1].name);
	CU_ASSERT_TRUE(c.items[1].set.is_no_trackers);
	CU_ASSERT_FALSE(c.items[1].set.is_paused);
	tl_catalog_clear(&c);
	free(p);
}

static void test_refused_and_skipped(void)
{
	struct tl_catalog c;
	const char *why = NULL;
	CU_ASSERT_EQUAL(parse("", &c, &why), -1);
	CU_ASSERT_PTR_NOT_NULL(why);
	CU_ASSERT_EQUAL(parse("d8:torrentsle7:versioni2ee", &c, &why), -1); /* unknown version */
	CU_ASSERT_EQUAL(parse("d7:versioni1ee", &c, &why), -1);            /* no list */
	CU_ASSERT_EQUAL(parse("d8:torrentsld3:dir", &c, &why), -1);         /* truncated */
	/* a bad record costs that torrent only; a repeated infohash is kept once */
	const char *s = "d8:torrentsld8:infohash3:abced3:dir2:/d8:infohash20:AAAAAAAAAAAAAAAAAAAAe"
	                "d3:dir2:/e8:infohash20:AAAAAAAAAAAAAAAAAAAAed8:infohash20:CCCCCCCCCCCCCCCCCCCCe"
	                "e7:versioni1ee";
	CU_ASSERT_EQUAL_FATAL(parse(s, &c, &why), 0);
	CU_ASSERT_EQUAL(c.n, 1); /* no dir: the last is skipped too */
	CU_ASSERT_STRING_EQUAL(c.items[0].set.dir, "/d");
	tl_catalog_clear(&c);
	/* a NUL in a string is refused, not cut */
	const char nul[] = "d8:torrentsld3:dir2:/\0" "8:infohash20:AAAAAAAAAAAAAAAAAAAAee7:versioni1ee";
	CU_ASSERT_EQUAL_FATAL(tl_catalog_parse((const uint8_t *)nul, sizeof(nul) - 1, &c, &why), 0);
	CU_ASSERT_EQUAL(c.n, 0);
	tl_catalog_clear(&c);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_round_trip),
		TL_TEST(test_refused_and_skipped),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("catalog", tests);
}
