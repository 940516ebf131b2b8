/* test_metainfo.c: .torrent parsing against the sample torrents in
 * tests/vectors (infohashes cross-checked with libtorrent when they were
 * made), hand-written documents for every refusal rule, and truncation. */
#include "cutest.h"

#include "base/bounds.h"
#include "base/digest.h"
#include "codec/metainfo.h"

/* One 20-byte piece hash, as bencode. */
#define H20 "20:AAAAAAAAAAAAAAAAAAAA"
#define PL "12:piece lengthi16384e"

static struct tl_metainfo *parse_ok(const char *s)
{
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	int rc = tl_metainfo_parse((const uint8_t *)s, strlen(s), &mi, &why);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		printf("\nunexpected refusal: %s\n  of %s\n", why, s);
	return mi;
}

/* Expects a refusal whose reason contains want. */
static void refused(const void *p, size_t len, const char *want)
{
	struct tl_metainfo *mi = (struct tl_metainfo *)1;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_metainfo_parse(p, len, &mi, &why), -1);
	CU_ASSERT_PTR_NULL(mi);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	if (!strstr(why, want)) {
		printf("\nreason \"%s\" lacks \"%s\"\n", why, want);
		CU_FAIL("wrong reason");
	}
}

static void refused_s(const char *s, const char *want)
{
	refused(s, strlen(s), want);
}

/* A multi-file torrent "d" whose only file has the given bencoded path
 * list (one 16 KiB piece). */
static void refused_path(const char *path_benc, const char *want)
{
	char s[1024];
	snprintf(s, sizeof(s),
	    "d4:infod5:filesld6:lengthi1e4:path%see4:name1:d" PL "6:pieces" H20 "ee", path_benc);
	refused_s(s, want);
}

static struct tl_metainfo *load_vector(const char *name)
{
	char rel[256];
	size_t len = 0;
	snprintf(rel, sizeof(rel), "tests/vectors/%s", name);
	uint8_t *p = tl_test_slurp(rel, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	if (tl_metainfo_parse(p, len, &mi, &why))
		printf("\n%s: %s\n", name, why);
	CU_ASSERT_PTR_NOT_NULL(mi);
	if (mi) {
		/* the infohash is over the exact bytes of the file's info value */
		uint8_t h[20];
		tl_sha1(mi->info_raw, mi->info_len, h);
		CU_ASSERT_EQUAL(memcmp(h, mi->infohash.b, 20), 0);
		CU_ASSERT_PTR_NOT_NULL(memmem(p, len, mi->info_raw, mi->info_len));
	}
	free(p);
	return mi;
}

static void test_vector_infohashes(void)
{
	size_t len = 0;
	uint8_t *txt = tl_test_slurp("tests/vectors/infohashes.txt", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
	char *s = strndup((char *)txt, len);
	int seen = 0;
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char name[128], hex[64];
		if (line[0] == '#' || sscanf(line, "%127s %63s", name, hex) != 2)
			continue;
		struct tl_metainfo *mi = load_vector(name);
		if (!mi)
			continue;
		char got[41];
		tl_hex(mi->infohash.b, 20, got);
		CU_ASSERT_STRING_EQUAL(got, hex);
		seen++;
		tl_metainfo_free(mi);
	}
	CU_ASSERT(seen >= 4);
	free(s);
	free(txt);
}

static void test_single_file(void)
{
	struct tl_metainfo *mi = load_vector("single.torrent");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_STRING_EQUAL(mi->name, "hello.txt");
	CU_ASSERT_FALSE(mi->is_multi_file);
	CU_ASSERT_FALSE(mi->is_private);
	CU_ASSERT_FALSE(mi->is_hybrid);
	CU_ASSERT_EQUAL(mi->total_len, 40000);
	CU_ASSERT_EQUAL(mi->piece_len, 16384);
	CU_ASSERT_EQUAL(mi->npieces, 3);
	CU_ASSERT_EQUAL(tl_metainfo_piece_len(mi, 0), 16384);
	CU_ASSERT_EQUAL(tl_metainfo_piece_len(mi, 1), 16384);
	CU_ASSERT_EQUAL(tl_metainfo_piece_len(mi, 2), 40000 - 2 * 16384);
	CU_ASSERT_EQUAL_FATAL(mi->nfiles, 1);
	CU_ASSERT_STRING_EQUAL(mi->files[0].path, "hello.txt");
	CU_ASSERT_EQUAL(mi->files[0].length, 40000);
	CU_ASSERT_EQUAL(mi->files[0].offset, 0);
	CU_ASSERT_EQUAL_FATAL(mi->ntiers, 1);
	CU_ASSERT_EQUAL_FATAL(mi->tiers[0].nurls, 1);
	CU_ASSERT_STRING_EQUAL(mi->tiers[0].urls[0], "http://tracker.example/announce");
	CU_ASSERT_STRING_EQUAL(mi->comment, "a sample");
	CU_ASSERT_STRING_EQUAL(mi->created_by, "make-vectors.py");
	CU_ASSERT_EQUAL(mi->creation_date, 1700000000);
	CU_ASSERT_EQUAL(mi->nweb_seeds, 0);
	CU_ASSERT_EQUAL(mi->nnodes, 0);
	tl_metainfo_free(mi);
}

static void test_multi_file(void)
{
	struct tl_metainfo *mi = load_vector("multi.torrent");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_STRING_EQUAL(mi->name, "multi");
	CU_ASSERT_TRUE(mi->is_multi_file);
	CU_ASSERT_TRUE(mi->is_private);
	CU_ASSERT_EQUAL(mi->total_len, 102768);
	CU_ASSERT_EQUAL(mi->npieces, 4);
	CU_ASSERT_EQUAL_FATAL(mi->nfiles, 4);
	CU_ASSERT_STRING_EQUAL(mi->files[0].path, "docs/readme.txt");
	CU_ASSERT_STRING_EQUAL(mi->files[1].path, ".pad/12768");
	CU_ASSERT_TRUE(mi->files[1].is_pad);
	CU_ASSERT_FALSE(mi->files[0].is_pad);
	CU_ASSERT_STRING_EQUAL(mi->files[2].path, "empty");
	CU_ASSERT_EQUAL(mi->files[2].length, 0);
	CU_ASSERT_STRING_EQUAL(mi->files[3].path, "src/deep/dir/caf\xc3\xa9 \xc3\xbc" "ber.bin");
	CU_ASSERT_TRUE(mi->files[3].is_exec);
	CU_ASSERT_FALSE(mi->files[3].is_pad);
	CU_ASSERT_EQUAL(mi->files[0].offset, 0);
	CU_ASSERT_EQUAL(mi->files[1].offset, 20000);
	CU_ASSERT_EQUAL(mi->files[2].offset, 32768);
	CU_ASSERT_EQUAL(mi->files[3].offset, 32768);
	CU_ASSERT_EQUAL(tl_metainfo_piece_len(mi, 3), 102768 - 3 * 32768);
	CU_ASSERT_EQUAL_FATAL(mi->ntiers, 2);
	CU_ASSERT_EQUAL_FATAL(mi->tiers[0].nurls, 2);
	CU_ASSERT_STRING_EQUAL(mi->tiers[0].urls[1], "http://tier1b.example/announce");
	CU_ASSERT_EQUAL_FATAL(mi->tiers[1].nurls, 1);
	CU_ASSERT_STRING_EQUAL(mi->tiers[1].urls[0], "http://tier2.example/announce");
	CU_ASSERT_EQUAL_FATAL(mi->nweb_seeds, 2);
	CU_ASSERT_STRING_EQUAL(mi->web_seeds[0], "http://seed1.example/files/");
	CU_ASSERT_EQUAL_FATAL(mi->nnodes, 2);
	CU_ASSERT_STRING_EQUAL(mi->nodes[0].host, "router.example");
	CU_ASSERT_EQUAL(mi->nodes[0].port, 6881);
	CU_ASSERT_EQUAL(mi->nodes[1].port, 6882);
	CU_ASSERT_PTR_NULL(mi->comment);
	CU_ASSERT_EQUAL(mi->creation_date, 0);
	tl_metainfo_free(mi);
}

static void test_unsorted_and_url_list_string(void)
{
	struct tl_metainfo *mi = load_vector("unsorted.torrent");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL_FATAL(mi->nweb_seeds, 1);
	CU_ASSERT_STRING_EQUAL(mi->web_seeds[0], "http://seed.example/unsorted.bin");
	/* the raw info bytes keep their order: "piece length" comes first */
	CU_ASSERT_EQUAL(memcmp(mi->info_raw, "d12:piece length", 16), 0);
	/* and the infohash is over those bytes, not over a sorted copy */
	struct tl_infohash ih;
	tl_sha1(mi->info_raw, mi->info_len, ih.b);
	CU_ASSERT_EQUAL(memcmp(ih.b, mi->infohash.b, 20), 0);
	/* accepted, but said: "name" (byte 30) follows "piece length" */
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi->not_canonical);
	CU_ASSERT_STRING_EQUAL(mi->not_canonical,
	    "dictionary keys out of order at byte 30, inside info");
	tl_metainfo_free(mi);

	/* out of order at the top only: the infohash is not concerned */
	mi = parse_ok("d4:infod6:lengthi16384e4:name1:a" PL "6:pieces" H20
		      "e8:announce3:x:ye");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi->not_canonical);
	CU_ASSERT_STRING_EQUAL(mi->not_canonical, "dictionary keys out of order at byte 86");
	tl_metainfo_free(mi);

	/* a sorted document has nothing to say */
	mi = load_vector("single.torrent");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_PTR_NULL(mi->not_canonical);
	tl_metainfo_free(mi);
}

static void test_v2_and_hybrid(void)
{
	struct tl_metainfo *mi = load_vector("hybrid.torrent");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_TRUE(mi->is_hybrid);
	CU_ASSERT_EQUAL(mi->nfiles, 2);
	CU_ASSERT_EQUAL(mi->total_len, 16484);
	tl_metainfo_free(mi);

	size_t len = 0;
	uint8_t *p = tl_test_slurp("tests/vectors/v2only.torrent", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	refused(p, len, "v2-only torrents are not supported yet");
	free(p);
	refused_s("d4:infod12:meta versioni3e4:name1:x" PL "6:lengthi1e6:pieces" H20 "ee",
	    "info.meta version: version 3 is not supported");
}

static void test_liberal_top_level(void)
{
	/* junk in optional fields is skipped, not fatal */
	struct tl_metainfo *mi = parse_ok(
	    "d8:announce6:http:a13:announce-listli5eleli3eel6:http:b0:ee"
	    "13:creation date3:now4:infod6:lengthi1e4:name1:x" PL "6:pieces" H20 "e"
	    "5:nodesl1:xl1:hi0eel1:hi70000eel4:hosti7eee8:url-listli1e0:6:http:cee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL_FATAL(mi->ntiers, 1); /* announce-list wins over announce */
	CU_ASSERT_EQUAL_FATAL(mi->tiers[0].nurls, 1);
	CU_ASSERT_STRING_EQUAL(mi->tiers[0].urls[0], "http:b");
	CU_ASSERT_EQUAL(mi->nnodes, 1);
	CU_ASSERT_EQUAL(mi->nodes[0].port, 7);
	CU_ASSERT_EQUAL_FATAL(mi->nweb_seeds, 1);
	CU_ASSERT_STRING_EQUAL(mi->web_seeds[0], "http:c");
	CU_ASSERT_EQUAL(mi->creation_date, 0);
	tl_metainfo_free(mi);

	/* an announce-list with nothing usable falls back to announce */
	mi = parse_ok("d8:announce6:http:a13:announce-listle4:infod6:lengthi1e4:name1:x" PL
		      "6:pieces" H20 "ee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL_FATAL(mi->ntiers, 1);
	CU_ASSERT_STRING_EQUAL(mi->tiers[0].urls[0], "http:a");
	tl_metainfo_free(mi);
}

static void test_utf8_variants(void)
{
	/* valid name.utf-8 / path.utf-8 win over the plain keys */
	struct tl_metainfo *mi = parse_ok(
	    "d4:infod5:filesld6:lengthi1e4:pathl1:ae10:path.utf-8l2:\xc3\xa9" "eee"
	    "4:name1:d10:name.utf-82:\xc3\xa8" PL "6:pieces" H20 "ee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_STRING_EQUAL(mi->name, "\xc3\xa8");
	CU_ASSERT_STRING_EQUAL(mi->files[0].path, "\xc3\xa9");
	tl_metainfo_free(mi);
	/* invalid UTF-8 in the .utf-8 variant: the plain key is used */
	mi = parse_ok("d4:infod5:filesld6:lengthi1e4:pathl1:ae10:path.utf-8l1:\xff" "eee"
		      "4:name1:d10:name.utf-81:\xc3" PL "6:pieces" H20 "ee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_STRING_EQUAL(mi->name, "d");
	CU_ASSERT_STRING_EQUAL(mi->files[0].path, "a");
	tl_metainfo_free(mi);
	/* an unsafe path.utf-8 is refused, not silently replaced */
	refused_s("d4:infod5:filesld6:lengthi1e4:pathl1:ae10:path.utf-8l2:..eee"
		  "4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0].path: component \"..\" is not allowed");
}

static void test_padding(void)
{
	/* BEP 47: a padding file may omit its path; ".pad/..." without attr
	 * is padding too */
	struct tl_metainfo *mi = parse_ok(
	    "d4:infod5:filesld6:lengthi16383e4:pathl1:aeed4:attr1:p6:lengthi1eed6:lengthi1e"
	    "4:pathl4:.pad1:1eed4:attr2:hx6:lengthi1e4:pathl1:beee"
	    "4:name1:d" PL "6:pieces40:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL_FATAL(mi->nfiles, 4);
	CU_ASSERT_STRING_EQUAL(mi->files[1].path, ".pad/1");
	CU_ASSERT_TRUE(mi->files[1].is_pad);
	CU_ASSERT_TRUE(mi->files[2].is_pad);
	CU_ASSERT_FALSE(mi->files[3].is_pad);
	CU_ASSERT_TRUE(mi->files[3].is_exec);
	CU_ASSERT_TRUE(mi->files[3].is_hidden);
	CU_ASSERT_EQUAL(mi->files[3].offset, 16385);
	tl_metainfo_free(mi);
	/* a file that is not padding still needs its path and length */
	refused_s("d4:infod5:filesld6:lengthi1eee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0].path: is missing");
	refused_s("d4:infod5:filesld4:pathl1:aeee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0].length: is missing");
}

static void test_path_rules(void)
{
	refused_path("l2:..e", "info.files[0].path: component \"..\" is not allowed");
	refused_path("l1:a2:..1:be", "info.files[0].path: component \"..\" is not allowed");
	refused_path("l1:.e", "component \".\" is not allowed");
	refused_path("l0:e", "info.files[0].path: an empty component is not allowed");
	refused_path("l1:a0:e", "an empty component is not allowed");
	refused_path("l3:a/be", "info.files[0].path: a component contains '/'");
	refused_path("l11:/etc/passwde", "a component contains '/'");
	static const char nul_path[] = "d4:infod5:filesld6:lengthi1e4:pathl3:a\0beee4:name1:d" PL
				       "6:pieces" H20 "ee";
	refused(nul_path, sizeof(nul_path) - 1, "info.files[0].path: a component contains a NUL byte");
	refused_path("le", "info.files[0].path: is empty");
	refused_path("1:a", "info.files[0].path: is not a list");
	refused_path("li1ee", "info.files[0].path[0]: is not a string");

	char comp[300], path[400];
	memset(comp, 'a', 256);
	comp[256] = '\0';
	snprintf(path, sizeof(path), "l256:%se", comp);
	refused_path(path, "a component is longer than 255 bytes");
	/* 255 is allowed */
	comp[255] = '\0';
	char s[1024];
	snprintf(s, sizeof(s), "d4:infod5:filesld6:lengthi1e4:pathl255:%seee4:name1:d" PL
			       "6:pieces" H20 "ee", comp);
	struct tl_metainfo *mi = parse_ok(s);
	CU_ASSERT_PTR_NOT_NULL(mi);
	tl_metainfo_free(mi);

	/* the whole path is bounded too: 20 components of 250 bytes */
	size_t cap = 20 * 260 + 256, off = 0;
	char *big = malloc(cap);
	off += (size_t)snprintf(big + off, cap - off, "d4:infod5:filesld6:lengthi1e4:pathl");
	memset(comp, 'b', 250);
	comp[250] = '\0';
	for (int i = 0; i < 20; i++)
		off += (size_t)snprintf(big + off, cap - off, "250:%s", comp);
	snprintf(big + off, cap - off, "eee4:name1:d" PL "6:pieces" H20 "ee");
	refused_s(big, "info.files[0].path: longer than 4096 bytes");
	free(big);

	/* two entries for one file, and a file used as a directory */
	refused_s("d4:infod5:filesld6:lengthi1e4:pathl1:a1:beed6:lengthi1e4:pathl1:ceed6:lengthi1e"
		  "4:pathl1:a1:beee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[2].path: same path as info.files[0]");
	refused_s("d4:infod5:filesld6:lengthi1e4:pathl1:a1:beed6:lengthi1e4:pathl3:a-xeed6:lengthi1e"
		  "4:pathl1:aeee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0].path: is inside info.files[2], which is a file");
	/* padding files may share a name (BEP 47) */
	mi = parse_ok("d4:infod5:filesld6:lengthi1e4:pathl1:aeed4:attr1:p6:lengthi1e4:pathl4:.pad1:1e"
		      "ed4:attr1:p6:lengthi1e4:pathl4:.pad1:1eed6:lengthi1e4:pathl1:beee"
		      "4:name1:d" PL "6:pieces" H20 "ee");
	CU_ASSERT_PTR_NOT_NULL(mi);
	tl_metainfo_free(mi);

	/* the error names the right file */
	refused_s("d4:infod5:filesld6:lengthi1e4:pathl1:aeed6:lengthi1e4:pathl1:aeed6:lengthi1e"
		  "4:pathl2:..eee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[2].path: component \"..\" is not allowed");
}

static void test_name_rules(void)
{
	refused_s("d4:infod6:lengthi1e4:name2:.." PL "6:pieces" H20 "ee",
	    "info.name: component \"..\" is not allowed");
	refused_s("d4:infod6:lengthi1e4:name0:" PL "6:pieces" H20 "ee",
	    "info.name: an empty component is not allowed");
	refused_s("d4:infod6:lengthi1e4:name4:/etc" PL "6:pieces" H20 "ee",
	    "info.name: a component contains '/'");
	static const char nul_name[] = "d4:infod6:lengthi1e4:name3:a\0b" PL "6:pieces" H20 "ee";
	refused(nul_name, sizeof(nul_name) - 1, "info.name: a component contains a NUL byte");
	refused_s("d4:infod6:lengthi1e" PL "6:pieces" H20 "ee", "info.name: is missing");
	refused_s("d4:infod6:lengthi1e4:namei1e" PL "6:pieces" H20 "ee",
	    "info.name: is not a string");
}

static void test_piece_rules(void)
{
	refused_s("d4:infod6:lengthi1e4:name1:x12:piece lengthi20000e6:pieces" H20 "ee",
	    "info.piece length: 20000 is not a power of two");
	refused_s("d4:infod6:lengthi1e4:name1:x12:piece lengthi0e6:pieces" H20 "ee",
	    "is not a power of two");
	refused_s("d4:infod6:lengthi1e4:name1:x12:piece lengthi-16384e6:pieces" H20 "ee",
	    "is not a power of two");
	refused_s("d4:infod6:lengthi1e4:name1:x12:piece lengthi8192e6:pieces" H20 "ee",
	    "info.piece length: 8192 is outside 16384..268435456");
	refused_s("d4:infod6:lengthi1e4:name1:x12:piece lengthi536870912e6:pieces" H20 "ee",
	    "is outside");
	refused_s("d4:infod6:lengthi1e4:name1:x6:pieces" H20 "ee", "info.piece length: is missing");
	refused_s("d4:infod6:lengthi1e4:name1:x" PL "6:pieces30:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee",
	    "info.pieces: length 30 is not a multiple of 20");
	refused_s("d4:infod6:lengthi16385e4:name1:x" PL "6:pieces" H20 "ee",
	    "info.pieces: 1 hashes for 2 pieces");
	refused_s("d4:infod6:lengthi1e4:name1:x" PL
		  "6:pieces40:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAee",
	    "info.pieces: 2 hashes for 1 pieces");
	refused_s("d4:infod6:lengthi1e4:name1:x" PL "ee", "info.pieces: is missing");
	/* the largest accepted piece length */
	struct tl_metainfo *mi =
	    parse_ok("d4:infod6:lengthi1e4:name1:x12:piece lengthi268435456e6:pieces" H20 "ee");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL(tl_metainfo_piece_len(mi, 0), 1);
	tl_metainfo_free(mi);
}

static void test_length_rules(void)
{
	refused_s("d4:infod6:lengthi-1e4:name1:x" PL "6:pieces" H20 "ee",
	    "info.length: -1 is negative");
	refused_s("d4:infod5:filesld6:lengthi-5e4:pathl1:aeee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0].length: -5 is negative");
	refused_s("d4:infod6:length1:x4:name1:x" PL "6:pieces" H20 "ee",
	    "info.length: is not an integer");
	refused_s("d4:infod6:lengthi0e4:name1:x" PL "6:pieces0:ee", "info: total length is 0");
	refused_s("d4:infod5:filesld6:lengthi4611686018427387904e4:pathl1:aeed6:lengthi"
		  "4611686018427387904e4:pathl1:beee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files: total length overflows");
	refused_s("d4:infod5:filesld6:lengthi1e4:pathl1:aeee6:lengthi1e4:name1:d" PL
		  "6:pieces" H20 "ee",
	    "info: has both \"files\" and \"length\"");
	refused_s("d4:infod4:name1:d" PL "6:pieces" H20 "ee",
	    "info: has neither \"files\" nor \"length\"");
	refused_s("d4:infod5:filesle4:name1:d" PL "6:pieces" H20 "ee", "info.files: is empty");
	refused_s("d4:infod5:files1:x4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files: is not a list");
	refused_s("d4:infod5:filesli1ee4:name1:d" PL "6:pieces" H20 "ee",
	    "info.files[0]: is not a dictionary");
}

static void test_structure(void)
{
	refused_s("le", "torrent: is not a dictionary");
	refused_s("d3:fooi1ee", "torrent: info is missing");
	refused_s("d4:infoi1ee", "info: is not a dictionary");
	refused_s("", "bencode: empty input");
	refused_s("d4:infod6:lengthi01e4:name1:x" PL "6:pieces" H20 "ee", "bencode:");
	/* duplicates that the codec sees only in an unsorted document */
	refused_s("d4:infod6:lengthi1e4:name1:x" PL "6:pieces" H20 "6:lengthi2eee", "duplicate");
	refused_s("d4:infod6:lengthi1e4:name1:x" PL "6:pieces" H20 "e3:fooi1e4:infod6:lengthi1e"
		  "4:name1:x" PL "6:pieces" H20 "ee",
	    "duplicate");
	/* deep nesting stops at the depth bound */
	char deep[200];
	memset(deep, 'l', 100);
	memset(deep + 100, 'e', 100);
	refused(deep, sizeof(deep), "nested too deeply");
	/* trailing garbage */
	refused_s("d4:infod6:lengthi1e4:name1:x" PL "6:pieces" H20 "eex", "trailing");
}

static void test_oversized(void)
{
	size_t len = TL_MAX_TORRENT_FILE + 1u;
	uint8_t *p = calloc(1, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	refused(p, len, "torrent: larger than 67108864 bytes");
	free(p);
}

/* An info.files list of n entries of length 1, each path depth components
 * deep and unique, in a buffer of its own; *len_out is its size. */
static uint8_t *many_files(uint32_t n, int depth, size_t *len_out)
{
	size_t cap = (size_t)n * (24 + 7 * (size_t)depth) + 256, len = 0;
	char *p = malloc(cap);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	uint64_t total = n;
	uint64_t npieces = (total + 16383) / 16384;
	len += (size_t)snprintf(p + len, cap - len, "d4:infod5:filesl");
	for (uint32_t i = 0; i < n; i++) {
		len += (size_t)snprintf(p + len, cap - len, "d6:lengthi1e4:pathl");
		/* 100 entries per directory: component k is digit pair k of i */
		uint32_t v = i;
		for (int k = 0; k < depth; k++) {
			uint32_t part = k + 1 == depth ? v : v % 100;
			char name[16];
			int nl = snprintf(name, sizeof(name), "%u", part);
			len += (size_t)snprintf(p + len, cap - len, "%d:%s", nl, name);
			v /= 100;
		}
		len += (size_t)snprintf(p + len, cap - len, "ee");
	}
	len += (size_t)snprintf(p + len, cap - len, "e4:name4:many" PL "6:pieces%llu:",
	    (unsigned long long)npieces * 20);
	CU_ASSERT_FATAL(len + npieces * 20 + 2 <= cap);
	memset(p + len, 'A', npieces * 20);
	len += npieces * 20;
	p[len++] = 'e';
	p[len++] = 'e';
	*len_out = len;
	return (uint8_t *)p;
}

/* The file limit is reachable: TL_MAX_FILES files three components deep
 * fit the token cap and load; one more is refused for its count, not for
 * its size in tokens. */
static void test_file_limit(void)
{
	size_t len;
	uint8_t *p = many_files(TL_MAX_FILES, 3, &len);
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	int rc = tl_metainfo_parse(p, len, &mi, &why);
	CU_ASSERT_EQUAL(rc, 0);
	if (rc)
		printf("\n%u files refused: %s\n", TL_MAX_FILES, why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
	CU_ASSERT_EQUAL(mi->nfiles, TL_MAX_FILES);
	CU_ASSERT_EQUAL(mi->total_len, TL_MAX_FILES);
	tl_metainfo_free(mi);
	free(p);

	p = many_files(TL_MAX_FILES + 1, 1, &len);
	char want[48];
	snprintf(want, sizeof(want), "info.files: more than %u files", TL_MAX_FILES);
	refused(p, len, want);
	free(p);
}

static void test_truncated(void)
{
	size_t len = 0;
	uint8_t *p = tl_test_slurp("tests/vectors/multi.torrent", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	int bad = 0;
	for (size_t n = 0; n < len; n++) {
		struct tl_metainfo *mi = NULL;
		const char *why = NULL;
		/* a copy of exactly n bytes, so ASan sees any read past it */
		uint8_t *c = malloc(n ? n : 1);
		memcpy(c, p, n);
		if (tl_metainfo_parse(c, n, &mi, &why) != -1 || mi || !why)
			bad++;
		free(c);
	}
	CU_ASSERT_EQUAL(bad, 0);
	free(p);
}

static void test_parse_info(void)
{
	size_t len = 0;
	uint8_t *p = tl_test_slurp("tests/vectors/single.torrent", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tl_metainfo *mi = NULL, *mi2 = NULL;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_metainfo_parse(p, len, &mi, &why), 0);
	CU_ASSERT_EQUAL(tl_metainfo_parse_info(mi->info_raw, mi->info_len, &mi->infohash, &mi2,
			    &why), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mi2);
	CU_ASSERT_STRING_EQUAL(mi2->name, mi->name);
	CU_ASSERT_EQUAL(mi2->total_len, mi->total_len);
	CU_ASSERT_EQUAL(mi2->ntiers, 0); /* trackers live outside info */
	CU_ASSERT_EQUAL(memcmp(mi2->pieces, mi->pieces, (size_t)mi->npieces * 20), 0);
	tl_metainfo_free(mi2);

	struct tl_infohash other = mi->infohash;
	other.b[19] ^= 1;
	mi2 = (struct tl_metainfo *)1;
	CU_ASSERT_EQUAL(tl_metainfo_parse_info(mi->info_raw, mi->info_len, &other, &mi2, &why), -1);
	CU_ASSERT_PTR_NULL(mi2);
	CU_ASSERT_STRING_EQUAL(why, "info: SHA-1 does not match the infohash");
	CU_ASSERT_EQUAL(tl_metainfo_parse_info(mi->info_raw, mi->info_len - 1, &mi->infohash, &mi2,
			    &why), -1);
	tl_metainfo_free(mi);
	free(p);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		TL_TEST(test_vector_infohashes),
		TL_TEST(test_single_file),
		TL_TEST(test_multi_file),
		TL_TEST(test_unsorted_and_url_list_string),
		TL_TEST(test_v2_and_hybrid),
		TL_TEST(test_liberal_top_level),
		TL_TEST(test_utf8_variants),
		TL_TEST(test_padding),
		TL_TEST(test_path_rules),
		TL_TEST(test_name_rules),
		TL_TEST(test_piece_rules),
		TL_TEST(test_length_rules),
		TL_TEST(test_structure),
		TL_TEST(test_oversized),
		TL_TEST(test_file_limit),
		TL_TEST(test_truncated),
		TL_TEST(test_parse_info),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("metainfo", tests);
}
