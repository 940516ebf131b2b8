/* test_magnet.c: magnet links from tests/vectors/magnets.txt (BEP 9 and
 * BEP 53 forms, good and bad), every parameter, select-only expansion, a
 * magnet made from a torrent, and a format/parse round-trip property. */
#include "cutest.h"

#include "base/bounds.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"

static const char *const HEX = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

static struct tl_magnet *parse_ok(const char *s)
{
	struct tl_magnet *m = NULL;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_magnet_parse(s, strlen(s), &m, &why), 0);
	if (!m)
		printf("\nunexpected refusal: %s\n  of %s\n", why, s);
	return m;
}

static void refused(const char *s, size_t len, const char *want)
{
	struct tl_magnet *m = (struct tl_magnet *)1;
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_magnet_parse(s, len, &m, &why), -1);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	if (!strstr(why, want)) {
		printf("\nreason \"%s\" lacks \"%s\" for %.80s\n", why, want, s);
		CU_FAIL("wrong reason");
	}
}

static void test_vectors(void)
{
	size_t len = 0;
	uint8_t *txt = tl_test_slurp("tests/vectors/magnets.txt", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(txt);
	char *s = strndup((char *)txt, len);
	int ok = 0, bad = 0;
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char kind[8], arg[128];
		int off = 0;
		if (line[0] == '#' || sscanf(line, "%7s %127s %n", kind, arg, &off) != 2)
			continue;
		const char *link = line + off;
		if (strcmp(kind, "ok") == 0) {
			struct tl_magnet *m = parse_ok(link);
			if (m) {
				char hex[41];
				tl_hex(m->infohash.b, 20, hex);
				CU_ASSERT_STRING_EQUAL(hex, arg);
				tl_magnet_free(m);
			}
			ok++;
		} else {
			for (char *u = arg; *u; u++)
				if (*u == '_')
					*u = ' ';
			refused(link, strlen(link), arg);
			bad++;
		}
	}
	CU_ASSERT(ok >= 8 && bad >= 15);
	free(s);
	free(txt);
}

static void test_every_param(void)
{
	struct tl_magnet *m = parse_ok(
	    "magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=caf%C3%A9+au+lait%2B1"
	    "&tr=udp%3A%2F%2Fa.example%3A6969&tr.1=http://b.example/a?x=1+2&ws=http%3A%2F%2Fw.example%2F"
	    "&x.pe=192.0.2.1:6881&x.pe=[2001:db8::1]:1&x.pe=peer.example:65535&so=0,2,4-6&dn=second"
	    "&so=9&unknown=%zz");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	char hex[41];
	tl_hex(m->infohash.b, 20, hex);
	CU_ASSERT_STRING_EQUAL(hex, HEX);
	CU_ASSERT_STRING_EQUAL(m->name, "caf\xc3\xa9 au lait+1"); /* first dn wins */
	CU_ASSERT_EQUAL_FATAL(m->ntrackers, 2);
	CU_ASSERT_STRING_EQUAL(m->trackers[0], "udp://a.example:6969");
	CU_ASSERT_STRING_EQUAL(m->trackers[1], "http://b.example/a?x=1+2"); /* '+' kept */
	CU_ASSERT_EQUAL_FATAL(m->nweb_seeds, 1);
	CU_ASSERT_STRING_EQUAL(m->web_seeds[0], "http://w.example/");
	CU_ASSERT_EQUAL_FATAL(m->npeers, 3);
	CU_ASSERT_STRING_EQUAL(m->peers[0], "192.0.2.1:6881");
	CU_ASSERT_STRING_EQUAL(m->peers[1], "[2001:db8::1]:1");
	CU_ASSERT_STRING_EQUAL(m->peers[2], "peer.example:65535");
	CU_ASSERT_STRING_EQUAL(m->select_only, "0,2,4-6");
	tl_magnet_free(m);

	/* absent parameters are NULL / empty */
	m = parse_ok("magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_PTR_NULL(m->name);
	CU_ASSERT_PTR_NULL(m->select_only);
	CU_ASSERT_EQUAL(m->ntrackers + m->npeers + m->nweb_seeds, 0);
	tl_magnet_free(m);
}

static void test_limits(void)
{
	/* a raw NUL inside the given length */
	static const char nul[] = "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=a\0b";
	refused(nul, sizeof(nul) - 1, "NUL");

	size_t cap = TL_MAX_MAGNET_LEN + 64;
	char *s = malloc(cap);
	int n = snprintf(s, cap, "magnet:?xt=urn:btih:%s", HEX);
	size_t len = (size_t)n;
	for (unsigned i = 0; i < TL_MAX_MAGNET_PARAMS - 1; i++)
		len += (size_t)snprintf(s + len, cap - len, "&x=%u", i);
	struct tl_magnet *m = parse_ok(s); /* exactly the limit */
	tl_magnet_free(m);
	len += (size_t)snprintf(s + len, cap - len, "&x=y");
	refused(s, len, "more than 256 parameters");
	/* the length bound comes first and reads nothing past it */
	memset(s + len, 'a', cap - len);
	refused(s, TL_MAX_MAGNET_LEN + 1, "longer than 65536 bytes");
	free(s);
	refused("magnet:", 7, "does not start with");
	refused("", 0, "does not start with");
}

static void test_select(void)
{
	bool sel[10];
	memset(sel, 0, sizeof(sel));
	CU_ASSERT_EQUAL(tl_magnet_select("0,2,4-6", 5, sel), 3);
	CU_ASSERT_TRUE(sel[0] && !sel[1] && sel[2] && !sel[3] && sel[4]);
	CU_ASSERT_FALSE(sel[5]); /* beyond nfiles: untouched */
	memset(sel, 0, sizeof(sel));
	CU_ASSERT_EQUAL(tl_magnet_select("0,2,4-6", 10, sel), 5);
	CU_ASSERT_TRUE(sel[5] && sel[6] && !sel[7]);
	memset(sel, 0, sizeof(sel));
	CU_ASSERT_EQUAL(tl_magnet_select("1-3,2,3", 10, sel), 3);
	memset(sel, 0, sizeof(sel));
	/* a huge range costs only nfiles steps */
	CU_ASSERT_EQUAL(tl_magnet_select("0-9999999999", 10, sel), 10);
	static const char *const bad[] = { "", ",", "1,", ",1", "1-", "-1", "3-1", "a", "1,,2",
		"1 ", "99999999999", "1-2-3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(tl_magnet_select(bad[i], 10, sel), -1);
}

static void test_from_metainfo(void)
{
	size_t len = 0;
	uint8_t *p = tl_test_slurp("tests/vectors/multi.torrent", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tl_metainfo *mi;
	const char *why;
	CU_ASSERT_EQUAL_FATAL(tl_metainfo_parse(p, len, &mi, &why), 0);
	char *link = tl_magnet_from_metainfo(mi);
	CU_ASSERT_STRING_EQUAL(link,
	    "magnet:?xt=urn:btih:80e47ecdb49e135cb3ab0e366070fe54873661a7&dn=multi"
	    "&tr=udp://tier1.example:6969/announce&tr=http://tier1b.example/announce"
	    "&tr=http://tier2.example/announce&ws=http://seed1.example/files/"
	    "&ws=http://seed2.example/");
	struct tl_magnet *m = parse_ok(link);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(memcmp(m->infohash.b, mi->infohash.b, 20), 0);
	CU_ASSERT_EQUAL(m->ntrackers, 3);
	CU_ASSERT_EQUAL(m->nweb_seeds, 2);
	tl_magnet_free(m);
	free(link);
	tl_metainfo_free(mi);
	free(p);
}

static uint64_t rng;
static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

/* A random non-empty string of any bytes but NUL. */
static char *rand_str(void)
{
	size_t n = 1 + rnd() % 24;
	char *s = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(1 + rnd() % 255);
	s[n] = '\0';
	return s;
}

static char *rand_peer(void)
{
	char *s = malloc(64);
	unsigned port = 1 + rnd() % 65535;
	switch (rnd() % 3) {
	case 0:
		snprintf(s, 64, "%u.%u.%u.%u:%u", rnd() % 256, rnd() % 256, rnd() % 256,
		    rnd() % 256, port);
		break;
	case 1:
		snprintf(s, 64, "[2001:db8::%x]:%u", rnd() % 65536, port);
		break;
	default:
		snprintf(s, 64, "host-%u.example:%u", rnd(), port);
		break;
	}
	return s;
}

static char **rand_strv(size_t *n_out, char *(*gen)(void))
{
	size_t n = rnd() % 4;
	char **v = n ? malloc(n * sizeof(*v)) : NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = gen();
	*n_out = n;
	return v;
}

static void test_round_trip(void)
{
	rng = tl_test_seed();
	int bad = 0;
	for (int iter = 0; iter < 2000; iter++) {
		struct tl_magnet *m = calloc(1, sizeof(*m));
		for (int i = 0; i < 20; i++)
			m->infohash.b[i] = (uint8_t)rnd();
		m->name = rnd() % 2 ? rand_str() : NULL;
		m->trackers = rand_strv(&m->ntrackers, rand_str);
		m->web_seeds = rand_strv(&m->nweb_seeds, rand_str);
		m->peers = rand_strv(&m->npeers, rand_peer);
		if (rnd() % 2) {
			m->select_only = malloc(32);
			unsigned a = rnd() % 50;
			snprintf(m->select_only, 32, "%u,%u-%u", rnd() % 9, a, a + rnd() % 9);
		}
		char *link = tl_magnet_format(m);
		struct tl_magnet *back = NULL;
		const char *why = NULL;
		if (tl_magnet_parse(link, strlen(link), &back, &why) != 0) {
			if (bad++ == 0)
				printf("\nrefused %s: %s\n", link, why);
		} else if (!tl_magnet_equal(back, m)) {
			if (bad++ == 0)
				printf("\nround trip differs for %s\n", link);
		} else {
			char *again = tl_magnet_format(back);
			if (strcmp(again, link) != 0)
				bad++;
			free(again);
		}
		tl_magnet_free(back);
		tl_magnet_free(m); /* the generator used malloc, as tl_magnet_free expects */
		free(link);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	static CU_TestInfo tests[] = {
		TL_TEST(test_vectors),
		TL_TEST(test_every_param),
		TL_TEST(test_limits),
		TL_TEST(test_select),
		TL_TEST(test_from_metainfo),
		TL_TEST(test_round_trip),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("magnet", tests);
}
