/* test_create.c: making torrents: the automatic piece size, option parsing,
 * the walk rules, piece hashes against a naive reference (SHA-1 of the
 * concatenated file bytes, piece by piece), threads against one thread,
 * and the encoded dictionary. */
#include "cutest.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dht/benc.h"

#include "base/bounds.h"
#include "codec/create.h"
#include "base/err.h"
#include "codec/metainfo.h"

static char root[256];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(p);
}

static void rm_tree(const char *p)
{
	nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh empty directory root/sub (sub may be ""). */
static const char *mk_root(void)
{
	if (root[0])
		rm_tree(root);
	const char *tmp = getenv("TMPDIR");
	snprintf(root, sizeof(root), "%s/tl_create_XXXXXX", tmp ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	return root;
}

static const char *under(const char *rel)
{
	static char buf[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", root, rel);
	return buf[k];
}

/* Deterministic content: byte j of a file seeded s. */
static uint8_t byte_at(uint32_t s, uint64_t j)
{
	uint64_t x = (j + 1) * 0x9e3779b97f4a7c15ull ^ s * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 31;
	return (uint8_t)(x * 0x94d049bb133111ebull >> 56);
}

static void mk_file(const char *rel, uint64_t len, uint32_t seed)
{
	FILE *f = fopen(under(rel), "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	for (uint64_t j = 0; j < len; j++)
		fputc(byte_at(seed, j), f);
	fclose(f);
}

static void mk_dir(const char *rel)
{
	CU_ASSERT_EQUAL_FATAL(mkdir(under(rel), 0755), 0);
}

/* The naive reference: concatenate the files in the given order and hash
 * each piece of the whole. */
static uint8_t *ref_pieces(const uint64_t *lens, const uint32_t *seeds, size_t n, uint32_t plen,
    uint32_t *np_out)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += lens[i];
	uint8_t *all = malloc(total ? total : 1);
	uint64_t k = 0;
	for (size_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < lens[i]; j++)
			all[k++] = byte_at(seeds[i], j);
	uint32_t np = (uint32_t)((total + plen - 1) / plen);
	uint8_t *out = malloc((size_t)np * 20 + 1);
	for (uint32_t p = 0; p < np; p++) {
		uint64_t off = (uint64_t)p * plen;
		tl_sha1(all + off, total - off < plen ? total - off : plen, out + (size_t)p * 20);
	}
	free(all);
	*np_out = np;
	return out;
}

static void test_auto_piece_len(void)
{
	static const struct {
		uint64_t total;
		uint32_t want;
	} v[] = {
		{ 1, 16384 },
		{ 16384ull * 2000, 16384 },
		{ 16384ull * 2000 + 1, 32768 },
		{ 100ull << 20, 65536 },          /* 1600 pieces */
		{ 700ull << 20, 512u << 10 },     /* 1400 pieces */
		{ 2ull << 30, 2u << 20 },         /* 2048 at 1 MiB is over 2000: 1024 at 2 MiB */
		{ 4000ull << 20, 2u << 20 },      /* 2000 pieces exactly */
		{ 4000ull << 20 | 1, 4u << 20 },
		{ 1ull << 40, 16u << 20 },        /* clamped: 65536 pieces */
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CU_ASSERT_EQUAL(tl_create_auto_piece_len(v[i].total), v[i].want);
		uint64_t np = (v[i].total + v[i].want - 1) / v[i].want;
		if (v[i].want > 16384 && v[i].want < (16u << 20))
			CU_ASSERT_TRUE(np > 1000 && np <= 2000);
	}
}

static void test_parse_piece_len(void)
{
	static const struct {
		const char *s;
		uint32_t want;
	} good[] = {
		{ "auto", 0 }, { "16K", 16384 }, { "16384", 16384 }, { "32k", 32768 },
		{ "1M", 1u << 20 }, { "4m", 4u << 20 }, { "256M", 256u << 20 },
		{ "268435456", 256u << 20 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint32_t v = 12345;
		CU_ASSERT_EQUAL(tl_create_parse_piece_len(good[i].s, &v), TL_OK);
		CU_ASSERT_EQUAL(v, good[i].want);
	}
	static const char *const bad[] = { "", "8K", "3K", "0", "-16K", "16KB", "17K", "512M",
		"K", " 16K", "16K ", "1G", "99999999999999999999999", "16384x", "AUTO", "0x4000" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t v = 777;
		CU_ASSERT_EQUAL(tl_create_parse_piece_len(bad[i], &v), TL_EINVAL);
		CU_ASSERT_EQUAL(v, 777);
	}
}

static void test_parse_node(void)
{
	static const struct {
		const char *s, *host;
		uint16_t port;
	} good[] = {
		{ "router.example.org:6881", "router.example.org", 6881 },
		{ "127.0.0.2:1", "127.0.0.2", 1 },
		{ "[::1]:65535", "::1", 65535 },
		{ "[2001:db8::7]:6881", "2001:db8::7", 6881 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct tl_node_addr n = { 0 };
		CU_ASSERT_EQUAL_FATAL(tl_create_parse_node(good[i].s, &n), TL_OK);
		CU_ASSERT_STRING_EQUAL(n.host, good[i].host);
		CU_ASSERT_EQUAL(n.port, good[i].port);
		free(n.host);
	}
	static const char *const bad[] = { "foo", "foo:", ":6881", "foo:0", "foo:65536", "foo:-1",
		"foo:12x", "::1:6881", "[::1]6881", "[::1]:", "[]:1", "foo: 1", "foo:+1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tl_node_addr n = { NULL, 0 };
		CU_ASSERT_EQUAL(tl_create_parse_node(bad[i], &n), TL_EINVAL);
		CU_ASSERT_PTR_NULL(n.host);
	}
}

/* A tree exercising order, nesting, zero-length files at piece boundaries,
 * hidden and non-ASCII names. Lengths chosen so files straddle pieces of
 * 16 KiB. Listed in the expected (bytewise) order. */
static const char *const tree_rel[] = {
	".hidden", "B", "a/empty", "a/x", "a/y/deep", "b", "z",
	"\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb8" "d" "\xc3\xa9 \xe6\x96\x87\xe4\xbb\xb6.txt",
};
static const uint64_t tree_len[] = { 5, 16384 * 2 - 5, 0, 40000, 1, 0, 16384 * 3 + 7, 123 };
static const uint32_t tree_seed[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
#define TREE_N (sizeof(tree_rel) / sizeof(tree_rel[0]))

static void mk_sample_tree(void)
{
	mk_root();
	mk_dir("t");
	mk_dir("t/a");
	mk_dir("t/a/y");
	mk_dir("t/emptydir");
	char rel[256];
	/* create in reverse to make sure the order comes from sorting */
	for (size_t i = TREE_N; i-- > 0;) {
		snprintf(rel, sizeof(rel), "t/%s", tree_rel[i]);
		mk_file(rel, tree_len[i], tree_seed[i]);
	}
}

static void test_scan_order(void)
{
	mk_sample_tree();
	struct tl_create_tree *t;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("t/"), &t, &e), TL_OK);
	CU_ASSERT_STRING_EQUAL(tl_create_tree_name(t), "t");
	CU_ASSERT_TRUE(tl_create_tree_is_dir(t));
	CU_ASSERT_EQUAL_FATAL(tl_create_tree_nfiles(t), TREE_N);
	uint64_t total = 0;
	for (size_t i = 0; i < TREE_N; i++) {
		CU_ASSERT_STRING_EQUAL(tl_create_tree_path(t, i), tree_rel[i]);
		CU_ASSERT_EQUAL(tl_create_tree_file_len(t, i), tree_len[i]);
		total += tree_len[i];
	}
	CU_ASSERT_EQUAL(tl_create_tree_size(t), total);
	tl_create_tree_free(t);
}

static void check_hashes(unsigned nthreads, uint32_t plen)
{
	struct tl_create_tree *t;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("t"), &t, &e), TL_OK);
	uint8_t *pieces;
	CU_ASSERT_EQUAL_FATAL(tl_create_hash(t, plen, nthreads, NULL, NULL, &pieces, &e), TL_OK);
	uint32_t np;
	uint8_t *want = ref_pieces(tree_len, tree_seed, TREE_N, plen, &np);
	CU_ASSERT_EQUAL(memcmp(pieces, want, (size_t)np * 20), 0);
	free(want);
	free(pieces);
	tl_create_tree_free(t);
}

static void test_hash_reference(void)
{
	mk_sample_tree();
	for (unsigned n = 1; n <= 5; n += 2) {
		check_hashes(n, 16384);
		check_hashes(n, 65536);
	}
	check_hashes(0, 16384);
}

struct prog {
	unsigned calls;
	uint64_t last_done, total;
};

static void prog_cb(uint64_t done, uint64_t total, void *arg)
{
	struct prog *p = arg;
	CU_ASSERT_TRUE(done >= p->last_done && done <= total);
	p->calls++;
	p->last_done = done;
	p->total = total;
}

/* Random trees: N threads give the same pieces as one thread and as the
 * reference, for random file sizes around the piece size. */
static void test_threads_property(void)
{
	uint64_t seed = tl_test_seed();
	srand((unsigned)seed);
	for (int round = 0; round < 6; round++) {
		mk_root();
		mk_dir("t");
		size_t n = 1 + (size_t)rand() % 12;
		uint64_t lens[12];
		uint32_t seeds[12];
		for (size_t i = 0; i < n; i++) {
			int kind = rand() % 4;
			lens[i] = kind == 0 ? 0 : kind == 1 ? (uint64_t)(rand() % 64)
						      : (uint64_t)(rand() % (3 * 16384));
			seeds[i] = (uint32_t)rand();
			char rel[64];
			snprintf(rel, sizeof(rel), "t/f%02zu", i);
			mk_file(rel, lens[i], seeds[i]);
		}
		lens[0] += 1; /* never an all-empty tree */
		mk_file("t/f00", lens[0], seeds[0]);
		struct tl_create_tree *t;
		struct tl_create_err e;
		CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("t"), &t, &e), TL_OK);
		uint8_t *one, *many;
		struct prog p = { 0 };
		CU_ASSERT_EQUAL_FATAL(tl_create_hash(t, 16384, 1, NULL, NULL, &one, &e), TL_OK);
		CU_ASSERT_EQUAL_FATAL(tl_create_hash(t, 16384, 4, prog_cb, &p, &many, &e), TL_OK);
		uint32_t np;
		uint8_t *want = ref_pieces(lens, seeds, n, 16384, &np);
		CU_ASSERT_EQUAL(memcmp(one, want, (size_t)np * 20), 0);
		CU_ASSERT_EQUAL(memcmp(many, want, (size_t)np * 20), 0);
		CU_ASSERT_TRUE(p.calls >= 1);
		CU_ASSERT_EQUAL(p.last_done, tl_create_tree_size(t));
		CU_ASSERT_EQUAL(p.total, tl_create_tree_size(t));
		free(want);
		free(one);
		free(many);
		tl_create_tree_free(t);
	}
}

/* Enough pieces that workers claim runs of many pieces, then fewer towards
 * the end: every thread count gives the reference hashes, for pieces
 * smaller than a worker's read buffer (256 KiB), as large, and larger
 * (each piece then spans several reads), across an empty file. */
static void test_threads_runs(void)
{
	mk_root();
	mk_dir("t");
	uint64_t lens[3] = { 8u * 1024 * 1024 + 12345, 0, 16384 * 3 + 1 };
	uint32_t seeds[3] = { 77, 78, 79 };
	mk_file("t/big", lens[0], seeds[0]);
	mk_file("t/empty", lens[1], seeds[1]);
	mk_file("t/small", lens[2], seeds[2]);
	struct tl_create_tree *t;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("t"), &t, &e), TL_OK);
	static const uint32_t plens[] = { 16384, 256 * 1024, 1024 * 1024 };
	for (size_t k = 0; k < sizeof(plens) / sizeof(plens[0]); k++) {
		uint32_t np;
		uint8_t *want = ref_pieces(lens, seeds, 3, plens[k], &np);
		for (unsigned n = 1; n <= 4; n++) {
			uint8_t *pieces;
			CU_ASSERT_EQUAL_FATAL(tl_create_hash(t, plens[k], n, NULL, NULL, &pieces, &e), TL_OK);
			CU_ASSERT_EQUAL(memcmp(pieces, want, (size_t)np * 20), 0);
			free(pieces);
		}
		free(want);
	}
	tl_create_tree_free(t);
}

/* The value of key in dict d (index 0) as a string token, or -1. */
static long key(const struct benc_doc *d, size_t dict, const char *k)
{
	return benc_dict_get(d, dict, k);
}

static void test_encode(void)
{
	mk_sample_tree();
	static const char *const trackers[] = { "http://t1.example/announce",
		"udp://t2.example:80" };
	static const char *const seeds[] = { "http://ws.example/" };
	struct tl_node_addr nodes[] = { { (char *)"127.0.0.2", 6881 } };
	struct tl_create_opts o = {
		.piece_len = 16384, .nthreads = 2, .trackers = trackers, .ntrackers = 2,
		.web_seeds = seeds, .nweb_seeds = 1, .nodes = nodes, .nnodes = 1,
		.comment = "hi", .created_by = "trackless/test", .creation_date = 1700000000,
		.is_private = true,
	};
	struct tl_create_result r1, r2;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create(under("t"), &o, &r1, &e), TL_OK);
	o.nthreads = 1;
	CU_ASSERT_EQUAL_FATAL(tl_create(under("t"), &o, &r2, &e), TL_OK);
	CU_ASSERT_EQUAL_FATAL(r1.torrent_len, r2.torrent_len);
	CU_ASSERT_EQUAL(memcmp(r1.torrent, r2.torrent, r1.torrent_len), 0);
	CU_ASSERT_EQUAL(memcmp(r1.infohash.b, r2.infohash.b, 20), 0);

	static struct benc_tok toks[4096];
	struct benc_doc d;
	CU_ASSERT_EQUAL_FATAL(benc_parse(r1.torrent, r1.torrent_len, toks, 4096, 32, BENC_F_SORTED,
				  &d, NULL), 0);
	CU_ASSERT_TRUE(benc_str_eq(&d, key(&d, 0, "announce"), trackers[0]));
	long al = key(&d, 0, "announce-list");
	CU_ASSERT_TRUE(benc_is(&d, al, BENC_LIST) && d.toks[al].count == 2);
	CU_ASSERT_TRUE(benc_str_eq(&d, benc_list_at(&d, (size_t)benc_list_at(&d, (size_t)al, 1), 0),
	    trackers[1]));
	CU_ASSERT_TRUE(benc_str_eq(&d, key(&d, 0, "comment"), "hi"));
	CU_ASSERT_TRUE(benc_str_eq(&d, key(&d, 0, "created by"), "trackless/test"));
	int64_t v;
	CU_ASSERT_TRUE(benc_get_int(&d, key(&d, 0, "creation date"), &v) && v == 1700000000);
	long nl = key(&d, 0, "nodes");
	CU_ASSERT_TRUE(benc_is(&d, nl, BENC_LIST) && d.toks[nl].count == 1);
	CU_ASSERT_TRUE(benc_is(&d, key(&d, 0, "url-list"), BENC_LIST));

	long info = key(&d, 0, "info");
	CU_ASSERT_FATAL(benc_is(&d, info, BENC_DICT));
	const uint8_t *raw;
	size_t rawlen;
	benc_raw(&d, (size_t)info, &raw, &rawlen);
	uint8_t ih[20];
	tl_sha1(raw, rawlen, ih);
	CU_ASSERT_EQUAL(memcmp(ih, r1.infohash.b, 20), 0);
	CU_ASSERT_TRUE(benc_str_eq(&d, key(&d, (size_t)info, "name"), "t"));
	CU_ASSERT_TRUE(benc_get_int(&d, key(&d, (size_t)info, "piece length"), &v) && v == 16384);
	CU_ASSERT_TRUE(benc_get_int(&d, key(&d, (size_t)info, "private"), &v) && v == 1);
	CU_ASSERT_EQUAL(key(&d, (size_t)info, "length"), -1);
	long files = key(&d, (size_t)info, "files");
	CU_ASSERT_FATAL(benc_is(&d, files, BENC_LIST) && d.toks[files].count == TREE_N);
	/* a/y/deep is three components; the zero-length a/empty is there */
	long f4 = benc_list_at(&d, (size_t)files, 4);
	long path = key(&d, (size_t)f4, "path");
	CU_ASSERT_TRUE(benc_is(&d, path, BENC_LIST) && d.toks[path].count == 3);
	CU_ASSERT_TRUE(benc_str_eq(&d, benc_list_at(&d, (size_t)path, 2), "deep"));
	long f2 = benc_list_at(&d, (size_t)files, 2);
	CU_ASSERT_TRUE(benc_get_int(&d, key(&d, (size_t)f2, "length"), &v) && v == 0);
	const uint8_t *pcs;
	size_t plen;
	CU_ASSERT_TRUE(benc_get_str(&d, key(&d, (size_t)info, "pieces"), &pcs, &plen));
	uint32_t np;
	uint8_t *want = ref_pieces(tree_len, tree_seed, TREE_N, 16384, &np);
	CU_ASSERT_EQUAL(plen, (size_t)np * 20);
	CU_ASSERT_EQUAL(r1.npieces, np);
	CU_ASSERT_EQUAL(memcmp(pcs, want, plen), 0);
	free(want);

	/* the metainfo parser reads back what was written */
	struct tl_metainfo *mi;
	const char *why;
	CU_ASSERT_EQUAL_FATAL(tl_metainfo_parse(r1.torrent, r1.torrent_len, &mi, &why), 0);
	CU_ASSERT_EQUAL(memcmp(mi->infohash.b, r1.infohash.b, 20), 0);
	CU_ASSERT_TRUE(mi->is_multi_file && mi->is_private);
	CU_ASSERT_EQUAL(mi->piece_len, 16384);
	CU_ASSERT_EQUAL(mi->npieces, np);
	CU_ASSERT_EQUAL_FATAL(mi->nfiles, TREE_N);
	for (size_t i = 0; i < TREE_N; i++) {
		CU_ASSERT_STRING_EQUAL(mi->files[i].path, tree_rel[i]);
		CU_ASSERT_EQUAL(mi->files[i].length, tree_len[i]);
	}
	CU_ASSERT_EQUAL_FATAL(mi->ntiers, 2);
	CU_ASSERT_STRING_EQUAL(mi->tiers[1].urls[0], trackers[1]);
	CU_ASSERT_EQUAL_FATAL(mi->nnodes, 1);
	CU_ASSERT_EQUAL(mi->nodes[0].port, 6881);
	CU_ASSERT_EQUAL(mi->nweb_seeds, 1);
	CU_ASSERT_STRING_EQUAL(mi->comment, "hi");
	CU_ASSERT_EQUAL(mi->creation_date, 1700000000);
	tl_metainfo_free(mi);

	/* a minimal torrent has only the info dict; private absent */
	struct tl_create_opts o0 = { .piece_len = 16384 };
	struct tl_create_result r0;
	CU_ASSERT_EQUAL_FATAL(tl_create(under("t"), &o0, &r0, &e), TL_OK);
	CU_ASSERT_EQUAL_FATAL(benc_parse(r0.torrent, r0.torrent_len, toks, 4096, 32, BENC_F_SORTED,
				  &d, NULL), 0);
	CU_ASSERT_EQUAL(d.toks[0].count, 1);
	CU_ASSERT_EQUAL(key(&d, (size_t)key(&d, 0, "info"), "private"), -1);
	/* the info dict does not depend on the outer keys */
	o.is_private = false;
	struct tl_create_result r3;
	CU_ASSERT_EQUAL_FATAL(tl_create(under("t"), &o, &r3, &e), TL_OK);
	CU_ASSERT_EQUAL(memcmp(r3.infohash.b, r0.infohash.b, 20), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(r1.infohash.b, r0.infohash.b, 20), 0);
	tl_create_result_clear(&r0);
	tl_create_result_clear(&r1);
	tl_create_result_clear(&r2);
	tl_create_result_clear(&r3);
}

static void test_single_file(void)
{
	mk_root();
	uint64_t len = 16384 * 2 + 1;
	uint32_t s = 42;
	mk_file("one.bin", len, s);
	struct tl_create_opts o = { 0 };
	struct tl_create_result r;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create(under("one.bin"), &o, &r, &e), TL_OK);
	CU_ASSERT_EQUAL(r.piece_len, 16384);
	CU_ASSERT_EQUAL(r.npieces, 3);
	CU_ASSERT_EQUAL(r.nfiles, 1);
	static struct benc_tok toks[64];
	struct benc_doc d;
	CU_ASSERT_EQUAL_FATAL(benc_parse(r.torrent, r.torrent_len, toks, 64, 32, BENC_F_SORTED, &d,
				  NULL), 0);
	long info = key(&d, 0, "info");
	int64_t v;
	CU_ASSERT_TRUE(benc_get_int(&d, key(&d, (size_t)info, "length"), &v) && (uint64_t)v == len);
	CU_ASSERT_EQUAL(key(&d, (size_t)info, "files"), -1);
	CU_ASSERT_TRUE(benc_str_eq(&d, key(&d, (size_t)info, "name"), "one.bin"));
	const uint8_t *pcs;
	size_t n;
	CU_ASSERT_TRUE(benc_get_str(&d, key(&d, (size_t)info, "pieces"), &pcs, &n));
	uint32_t np;
	uint8_t *want = ref_pieces(&len, &s, 1, 16384, &np);
	CU_ASSERT_TRUE(n == 60 && memcmp(pcs, want, 60) == 0);
	free(want);
	tl_create_result_clear(&r);
}

static void test_refusals(void)
{
	struct tl_create_tree *t = (struct tl_create_tree *)&t;
	struct tl_create_err e;
	mk_root();
	CU_ASSERT_EQUAL(tl_create_scan(under("missing"), &t, &e), TL_EINVAL);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "missing"));
	/* an empty tree, and a tree of empty files, have nothing to share */
	mk_dir("e");
	mk_dir("e/sub");
	CU_ASSERT_EQUAL(tl_create_scan(under("e"), &t, &e), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "no files"));
	mk_file("e/sub/zero", 0, 0);
	CU_ASSERT_EQUAL(tl_create_scan(under("e"), &t, &e), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_create_scan(under("e/sub/zero"), &t, &e), TL_EINVAL);
	/* a special file anywhere refuses the tree */
	mk_file("e/data", 10, 1);
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("e"), &t, &e), TL_OK);
	tl_create_tree_free(t);
	CU_ASSERT_EQUAL_FATAL(mkfifo(under("e/sub/fifo"), 0600), 0);
	CU_ASSERT_EQUAL(tl_create_scan(under("e"), &t, &e), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "fifo"));
	CU_ASSERT_EQUAL(tl_create_scan(under("e/sub/fifo"), &t, &e), TL_EINVAL);
	remove(under("e/sub/fifo"));
	/* a top-level .pad would be taken for padding; deeper it is a plain name */
	mk_dir("e/sub/.pad");
	mk_file("e/sub/.pad/1", 1, 1);
	CU_ASSERT_EQUAL(tl_create_scan(under("e"), &t, &e), TL_OK);
	tl_create_tree_free(t);
	mk_dir("e/.pad");
	CU_ASSERT_EQUAL(tl_create_scan(under("e"), &t, &e), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, ".pad"));
	remove(under("e/.pad"));
	/* bad piece length is a caller error */
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("e"), &t, &e), TL_OK);
	uint8_t *p = NULL;
	CU_ASSERT_EQUAL(tl_create_hash(t, 16383, 1, NULL, NULL, &p, &e), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_create_hash(t, 3 * 16384, 1, NULL, NULL, &p, &e), TL_EINVAL);
	CU_ASSERT_PTR_NULL(p);
	/* a file that shrinks between the walk and the hashing */
	mk_file("e/data", 3, 1);
	CU_ASSERT_EQUAL(tl_create_hash(t, 16384, 2, NULL, NULL, &p, &e), TL_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "shrank"));
	CU_ASSERT_PTR_NULL(p);
	tl_create_tree_free(t);
}

static void test_symlinks(void)
{
	mk_root();
	mk_dir("t");
	mk_dir("t/d");
	mk_file("t/real", 100, 9);
	mk_file("outside", 100, 9);
	CU_ASSERT_EQUAL_FATAL(symlink("real", under("t/in")), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("../outside", under("t/out")), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("d", under("t/dirlink")), 0);
	CU_ASSERT_EQUAL_FATAL(symlink("nowhere", under("t/dangling")), 0);
	struct tl_create_tree *t;
	struct tl_create_err e;
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("t"), &t, &e), TL_OK);
	CU_ASSERT_EQUAL_FATAL(tl_create_tree_nfiles(t), 2);
	CU_ASSERT_STRING_EQUAL(tl_create_tree_path(t, 0), "in");
	CU_ASSERT_EQUAL(tl_create_tree_file_len(t, 0), 100);
	CU_ASSERT_STRING_EQUAL(tl_create_tree_path(t, 1), "real");
	tl_create_tree_free(t);
	/* the path given is followed even when it is a symlink */
	CU_ASSERT_EQUAL_FATAL(symlink("outside", under("top")), 0);
	CU_ASSERT_EQUAL_FATAL(tl_create_scan(under("top"), &t, &e), TL_OK);
	CU_ASSERT_STRING_EQUAL(tl_create_tree_name(t), "top");
	CU_ASSERT_FALSE(tl_create_tree_is_dir(t));
	tl_create_tree_free(t);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_auto_piece_len),
		TL_TEST(test_parse_piece_len),
		TL_TEST(test_parse_node),
		TL_TEST(test_scan_order),
		TL_TEST(test_hash_reference),
		TL_TEST(test_threads_property),
		TL_TEST(test_threads_runs),
		TL_TEST(test_encode),
		TL_TEST(test_single_file),
		TL_TEST(test_refusals),
		TL_TEST(test_symlinks),
		CU_TEST_INFO_NULL,
	};
	int rc = tl_test_run("create", tests);
	if (root[0])
		rm_tree(root);
	return rc;
}
