/* test_download.c: the pacing of a peer's requests without sockets: the
 * pipeline depth from its rate and its queue, and when it is snubbed. */
#include "cutest.h"

#include "base/bounds.h"
#include "engine/download.h"
#include "io/peer.h"

static void test_depth(void)
{
	const double blk = TL_MAX_BLOCK_LEN;
	static const struct {
		double rate;
		uint32_t reqq;
		size_t depth;
	} v[] = {
		{ 0, 0, TL_PEER_MIN_REQS },                 /* nothing measured yet */
		{ 0, 4, 4 },                                /* its queue is shorter still */
		{ 8 * blk, 0, TL_PEER_MIN_REQS },           /* 16 blocks in two seconds */
		{ 50 * blk, 0, 100 },                       /* two seconds of blocks */
		{ 50 * blk, 60, 60 },                       /* capped by its reqq */
		{ 1000 * blk, 0, TL_DOWNLOAD_DEFAULT_REQQ }, /* no reqq: the default */
		{ 1000 * blk, 5000, TL_PEER_MAX_REQS },     /* a large reqq: our cap */
		{ 1000 * blk, 300, 300 },                   /* its reqq under our cap */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CU_ASSERT_EQUAL(tl_download_depth(v[i].rate, v[i].reqq), v[i].depth);
}

static void test_snub(void)
{
	struct tl_layout l = { .total_len = 4u * 32768, .piece_len = 32768, .npieces = 4 };
	struct tl_picker *pk = tl_picker_new(l.npieces, l.piece_len, l.total_len, NULL, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pk);
	struct tl_download dl;
	tl_download_init(&dl, NULL, NULL, &l, NULL, pk, 1u << 20, NULL, NULL);
	struct tl_peer p;
	memset(&p, 0, sizeof(p));
	p.serial = 7;
	p.down_rate = 50.0 * TL_MAX_BLOCK_LEN;
	p.last_block_ms = 1000;
	/* no request out: never snubbed, however long the silence */
	CU_ASSERT_FALSE(tl_download_pace(&dl, &p, 1000 + 10 * TL_DOWNLOAD_SNUB_MS));
	CU_ASSERT_EQUAL(p.max_reqs, 100);
	/* requests out, silent for exactly the limit: not yet */
	p.nreqs = 3;
	CU_ASSERT_FALSE(tl_download_pace(&dl, &p, 1000 + TL_DOWNLOAD_SNUB_MS));
	CU_ASSERT_FALSE(p.is_snubbed);
	CU_ASSERT_EQUAL(p.nreqs, 3);
	/* one millisecond more: snubbed, its requests forgotten, one at a time */
	CU_ASSERT_TRUE(tl_download_pace(&dl, &p, 1001 + TL_DOWNLOAD_SNUB_MS));
	CU_ASSERT_TRUE(p.is_snubbed);
	CU_ASSERT_EQUAL(p.nreqs, 0);
	CU_ASSERT_EQUAL(p.max_reqs, 1);
	/* it stays at one request, and is snubbed only once */
	p.nreqs = 1;
	CU_ASSERT_FALSE(tl_download_pace(&dl, &p, 2000 + 2 * TL_DOWNLOAD_SNUB_MS));
	CU_ASSERT_EQUAL(p.max_reqs, 1);
	CU_ASSERT_EQUAL(p.nreqs, 1);
	/* a block cleared it (the torrent does): the depth comes back */
	p.is_snubbed = false;
	p.last_block_ms = 2000 + 2 * TL_DOWNLOAD_SNUB_MS;
	CU_ASSERT_FALSE(tl_download_pace(&dl, &p, p.last_block_ms + 1));
	CU_ASSERT_EQUAL(p.max_reqs, 100);
	tl_download_clear(&dl);
	tl_picker_free(pk);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_depth),
		TL_TEST(test_snub),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("download", tests);
}
