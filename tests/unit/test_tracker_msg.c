/* test_tracker_msg.c: tracker URLs, HTTP announce/scrape replies (BEP 3, 7,
 * 23, 24, 48) and BEP 15 packets both ways, with malformed and oversized
 * inputs and a property test of compact peer decoding. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "base/bounds.h"
#include "base/err.h"
#include "proto/tracker_msg.h"

static void fill_req(struct tl_announce_req *r)
{
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < 20; i++) {
		r->info_hash.b[i] = (uint8_t)(i * 13); /* 0x00, 0x0d, ... includes unsafe bytes */
		r->peer_id.b[i] = (uint8_t)('A' + i);
	}
	memcpy(r->peer_id.b, "-TL0001-", 8);
	r->port = 6881;
	r->uploaded = 1;
	r->downloaded = 2;
	r->left = 12345678901ull;
	r->event = TL_TRACKER_EV_STARTED;
	r->numwant = 50;
	r->key = 0xdeadbeef;
}

static void test_announce_url(void)
{
	struct tl_announce_req r;
	fill_req(&r);
	char *url = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_tracker_announce_url("http://t.example:8080/announce", &r, &url),
	    TL_OK);
	CU_ASSERT_STRING_EQUAL(url,
	    "http://t.example:8080/announce?info_hash=%00%0D%1A%274AN%5Bhu%82%8F%9C%A9%B6%C3%D0%DD%EA%F7"
	    "&peer_id=-TL0001-IJKLMNOPQRST&port=6881&uploaded=1&downloaded=2&left=12345678901"
	    "&compact=1&event=started&numwant=50&key=deadbeef");
	free(url);

	/* an existing query is kept, the fragment dropped, trackerid escaped */
	r.event = TL_TRACKER_EV_NONE;
	r.numwant = -1;
	r.tracker_id = "a b&c";
	CU_ASSERT_EQUAL_FATAL(tl_tracker_announce_url("https://t/a?passkey=xyz#frag", &r, &url), TL_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(url, "https://t/a?passkey=xyz&info_hash=%00"));
	CU_ASSERT_PTR_NULL(strstr(url, "event="));
	CU_ASSERT_PTR_NULL(strstr(url, "numwant="));
	CU_ASSERT_PTR_NULL(strstr(url, "#"));
	CU_ASSERT_PTR_NOT_NULL(strstr(url, "&trackerid=a%20b%26c"));
	free(url);
	CU_ASSERT_EQUAL(tl_tracker_announce_url("https://t/a?", &r, &url), TL_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(url, "https://t/a?info_hash="));
	free(url);

	CU_ASSERT_EQUAL(tl_tracker_announce_url("udp://t:80/announce", &r, &url), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_tracker_announce_url("http://t/a b", &r, &url), TL_EINVAL);
	char big[TL_MAX_TRACKER_URL + 16];
	memset(big, 'a', sizeof(big));
	memcpy(big, "http://", 7);
	big[sizeof(big) - 1] = '\0';
	CU_ASSERT_EQUAL(tl_tracker_announce_url(big, &r, &url), TL_ELIMIT);
}

static void test_scrape_url(void)
{
	struct tl_infohash ih[2];
	memset(ih[0].b, 0xff, 20);
	memset(ih[1].b, 'a', 20);
	char *url = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_tracker_scrape_url("http://t/x/announce.php?k=1", ih, 2, &url), TL_OK);
	CU_ASSERT_STRING_EQUAL(url,
	    "http://t/x/scrape.php?k=1&info_hash=%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF%FF"
	    "%FF%FF%FF&info_hash=aaaaaaaaaaaaaaaaaaaa");
	free(url);
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t/announce", ih, 1, &url), TL_OK);
	CU_ASSERT_EQUAL(strncmp(url, "http://t/scrape?info_hash=", 26), 0);
	free(url);
	/* BEP 48 examples of announce URLs with no scrape */
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t/a", ih, 1, &url), TL_ENOTSUP);
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t/announce/x", ih, 1, &url), TL_ENOTSUP);
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t", ih, 1, &url), TL_ENOTSUP);
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t?announce", ih, 1, &url), TL_ENOTSUP);
	CU_ASSERT_EQUAL(tl_tracker_scrape_url("http://t/announce", ih, 0, &url), TL_EINVAL);
}

static int parse_a(const char *body, size_t len, struct tl_tracker_reply *r, const char **why)
{
	return tl_tracker_parse_announce((const uint8_t *)body, len, r, why);
}

static void peer_is(const struct sockaddr_storage *ss, const char *want)
{
	char buf[64];
	tl_tracker_addr_str(ss, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_announce_compact_all_fields(void)
{
	static const char body[] =
	    "d8:completei5e11:external ip4:\x0a\x00\x00\x01"
	    "10:incompletei7e8:intervali1800e12:min intervali60e"
	    "5:peers12:\x7f\x00\x00\x02\x1a\xe1\x01\x02\x03\x04\x00\x50"
	    "6:peers618:\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe2"
	    "10:tracker id3:abc15:warning message6:slow\x01\x0a" "e\r\n";
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(parse_a(body, sizeof(body) - 1, &r, &why), TL_OK);
	CU_ASSERT_PTR_NULL(r.failure);
	CU_ASSERT_EQUAL(r.interval, 1800);
	CU_ASSERT_EQUAL(r.min_interval, 60);
	CU_ASSERT_EQUAL(r.complete, 5);
	CU_ASSERT_EQUAL(r.incomplete, 7);
	CU_ASSERT_STRING_EQUAL(r.tracker_id, "abc");
	CU_ASSERT_STRING_EQUAL(r.warning, "slow??");
	CU_ASSERT_EQUAL_FATAL(r.npeers, 3);
	peer_is(&r.peers[0], "127.0.0.2:6881");
	peer_is(&r.peers[1], "1.2.3.4:80");
	peer_is(&r.peers[2], "[::1]:6882");
	CU_ASSERT_TRUE(r.has_external_ip);
	CU_ASSERT_EQUAL(r.external_ip.ss_family, AF_INET);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&r.external_ip)->sin_addr.s_addr, htonl(0x0a000001));
	tl_tracker_reply_clear(&r);
	tl_tracker_reply_clear(NULL);
}

static void test_announce_dict_peers(void)
{
	static const char body[] =
	    "d8:intervali900e5:peersl"
	    "d2:ip9:127.0.0.37:peer id20:AAAAAAAAAAAAAAAAAAAA4:porti6000ee"
	    "d2:ip3:::14:porti7000ee"
	    "d2:ip11:example.org4:porti80ee" /* host names are not resolved */
	    "d2:ip7:1.2.3.44:porti0ee"       /* port 0 */
	    "d2:ip7:1.2.3.44:porti70000ee"   /* port out of range */
	    "i5e"                            /* not a dict */
	    "d4:porti5ee"                    /* no ip */
	    "ee";
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(parse_a(body, sizeof(body) - 1, &r, &why), TL_OK);
	CU_ASSERT_EQUAL(r.interval, 900);
	CU_ASSERT_EQUAL(r.min_interval, -1);
	CU_ASSERT_EQUAL(r.complete, -1);
	CU_ASSERT_FALSE(r.has_external_ip);
	CU_ASSERT_EQUAL_FATAL(r.npeers, 2);
	peer_is(&r.peers[0], "127.0.0.3:6000");
	peer_is(&r.peers[1], "[::1]:7000");
	tl_tracker_reply_clear(&r);
}

static void test_announce_failure_and_bad(void)
{
	struct tl_tracker_reply r;
	const char *why = NULL;
	const char *fail = "d14:failure reason9:not found8:intervali5ee";
	CU_ASSERT_EQUAL_FATAL(parse_a(fail, strlen(fail), &r, &why), TL_OK);
	CU_ASSERT_STRING_EQUAL(r.failure, "not found");
	CU_ASSERT_EQUAL(r.interval, -1);
	tl_tracker_reply_clear(&r);

	static const struct {
		const char *body;
		int rc;
		const char *why;
	} bad[] = {
		{ "", TL_EINVAL, "reply is not valid bencode" },
		{ "<html>", TL_EINVAL, "reply is not valid bencode" },
		{ "le", TL_EINVAL, "reply is not a dictionary" },
		{ "de garbage", TL_EINVAL, "bytes after the reply" },
		{ "d5:peers5:abcdee", TL_EINVAL, "peers is not a multiple of 6 bytes" },
		{ "d6:peers66:abcdefe", TL_EINVAL, "peers6 is not a multiple of 18 bytes" },
		{ "d5:peersi1ee", TL_EINVAL, "peers is neither a string nor a list" },
		{ "d8:intervali-5e", TL_EINVAL, "reply is not valid bencode" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CU_ASSERT_EQUAL(parse_a(bad[i].body, strlen(bad[i].body), &r, &why), bad[i].rc);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		CU_ASSERT_STRING_EQUAL(why, bad[i].why);
		CU_ASSERT_EQUAL(r.npeers, 0);
		CU_ASSERT_PTR_NULL(r.peers);
	}
	/* negative counts are ignored, not trusted */
	const char *neg = "d8:completei-3e8:intervali-5ee";
	CU_ASSERT_EQUAL(parse_a(neg, strlen(neg), &r, &why), TL_OK);
	CU_ASSERT_EQUAL(r.complete, -1);
	CU_ASSERT_EQUAL(r.interval, -1);
	tl_tracker_reply_clear(&r);

	/* the body cap is checked before parsing */
	CU_ASSERT_EQUAL(tl_tracker_parse_announce((const uint8_t *)"de", TL_MAX_TRACKER_BODY + 1, &r,
			    &why),
	    TL_ELIMIT);
	CU_ASSERT_STRING_EQUAL(why, "reply too large");
}

static void test_announce_peer_cap(void)
{
	/* 3000 compact peers: only TL_MAX_TRACKER_PEERS are kept */
	size_t n = 3000, plen = 6 * n;
	char head[32];
	int hl = snprintf(head, sizeof(head), "d5:peers%zu:", plen);
	size_t len = (size_t)hl + plen + 1;
	uint8_t *b = malloc(len);
	memcpy(b, head, (size_t)hl);
	for (size_t i = 0; i < n; i++) {
		uint8_t *p = b + hl + 6 * i;
		p[0] = 10, p[1] = (uint8_t)(i >> 8), p[2] = (uint8_t)i, p[3] = 1, p[4] = 0x1a, p[5] = 1;
	}
	b[len - 1] = 'e';
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_tracker_parse_announce(b, len, &r, &why), TL_OK);
	CU_ASSERT_EQUAL(r.npeers, TL_MAX_TRACKER_PEERS);
	tl_tracker_reply_clear(&r);
	free(b);
}

/* Property: compact peers decode to exactly what a naive decoder gives. */
static void test_compact_property(void)
{
	uint64_t seed = tl_test_seed();
	srand((unsigned)seed);
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand() % 60);
		uint8_t body[32 + 6 * 60];
		int hl = snprintf((char *)body, 32, "d5:peers%zu:", 6 * n);
		uint8_t *p = body + hl;
		size_t want = 0;
		for (size_t i = 0; i < 6 * n; i++)
			p[i] = (uint8_t)(rand() % 3 == 0 ? 0 : rand());
		for (size_t i = 0; i < n; i++)
			if (p[6 * i + 4] || p[6 * i + 5])
				want++;
		p[6 * n] = 'e';
		struct tl_tracker_reply r;
		const char *why = NULL;
		CU_ASSERT_EQUAL_FATAL(tl_tracker_parse_announce(body, (size_t)hl + 6 * n + 1, &r, &why),
		    TL_OK);
		CU_ASSERT_EQUAL_FATAL(r.npeers, want);
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			uint16_t port = (uint16_t)(p[6 * i + 4] << 8 | p[6 * i + 5]);
			if (!port)
				continue;
			const struct sockaddr_in *a = (const struct sockaddr_in *)&r.peers[k++];
			CU_ASSERT_EQUAL(a->sin_family, AF_INET);
			CU_ASSERT_EQUAL(memcmp(&a->sin_addr, p + 6 * i, 4), 0);
			CU_ASSERT_EQUAL(ntohs(a->sin_port), port);
		}
		tl_tracker_reply_clear(&r);
	}
}

static void test_scrape_reply(void)
{
	static const char body[] = "d5:filesd"
				   "20:xxxxxxxxxxxxxxxxxxxxd8:completei11e10:downloadedi13772e10:incompletei19ee"
				   "20:yyyyyyyyyyyyyyyyyyyyd8:completei21e10:downloadedi206e10:incompletei20ee"
				   "3:bad" "d8:completei1ee"
				   "ee";
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_tracker_parse_scrape((const uint8_t *)body, sizeof(body) - 1, &r,
				  &why),
	    TL_OK);
	CU_ASSERT_EQUAL_FATAL(r.nfiles, 2);
	CU_ASSERT_EQUAL(memcmp(r.files[0].info_hash.b, "xxxxxxxxxxxxxxxxxxxx", 20), 0);
	CU_ASSERT_EQUAL(r.files[0].complete, 11);
	CU_ASSERT_EQUAL(r.files[0].downloaded, 13772);
	CU_ASSERT_EQUAL(r.files[0].incomplete, 19);
	CU_ASSERT_EQUAL(r.files[1].complete, 21);
	CU_ASSERT_EQUAL(r.files[1].downloaded, 206);
	CU_ASSERT_EQUAL(r.files[1].incomplete, 20);
	tl_tracker_reply_clear(&r);

	const char *fail = "d14:failure reason4:nopee";
	CU_ASSERT_EQUAL(tl_tracker_parse_scrape((const uint8_t *)fail, strlen(fail), &r, &why), TL_OK);
	CU_ASSERT_STRING_EQUAL(r.failure, "nope");
	tl_tracker_reply_clear(&r);
	const char *nofiles = "d5:filesi1ee";
	CU_ASSERT_EQUAL(tl_tracker_parse_scrape((const uint8_t *)nofiles, strlen(nofiles), &r, &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "scrape reply has no files dictionary");
	CU_ASSERT_PTR_NULL(r.files);
}

static void test_udp_connect(void)
{
	uint8_t pkt[TL_UDP_CONNECT_LEN];
	tl_udp_build_connect(0x01020304, pkt);
	static const uint8_t want[16] = { 0, 0, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 1, 2,
		3, 4 };
	CU_ASSERT_EQUAL(memcmp(pkt, want, 16), 0);

	static const uint8_t reply[16] = { 0, 0, 0, 0, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
		0x77, 0x88 };
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(reply, 16, 0x01020304, TL_UDP_CONNECT, AF_INET, NULL,
				  0, &r, &why),
	    TL_OK);
	CU_ASSERT_EQUAL(r.connection_id, 0x1122334455667788ull);
	CU_ASSERT_PTR_NULL(r.failure);
	/* wrong transaction id, short packet, wrong action */
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 16, 0x01020305, TL_UDP_CONNECT, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "transaction id mismatch");
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 15, 0x01020304, TL_UDP_CONNECT, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "packet too short");
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 7, 0x01020304, TL_UDP_CONNECT, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "packet too short");
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 16, 0x01020304, TL_UDP_ANNOUNCE, AF_INET, NULL, 0,
			    &r, &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "unexpected action");
}

static void test_udp_announce(void)
{
	struct tl_announce_req req;
	fill_req(&req);
	req.numwant = -1;
	req.event = TL_TRACKER_EV_STOPPED;
	uint8_t pkt[TL_UDP_ANNOUNCE_LEN];
	tl_udp_build_announce(0xa1a2a3a4a5a6a7a8ull, 0x99, &req, pkt);
	CU_ASSERT_EQUAL(pkt[0], 0xa1);
	CU_ASSERT_EQUAL(pkt[7], 0xa8);
	CU_ASSERT_EQUAL(pkt[11], 1);     /* action announce */
	CU_ASSERT_EQUAL(pkt[15], 0x99);  /* tid */
	CU_ASSERT_EQUAL(memcmp(pkt + 16, req.info_hash.b, 20), 0);
	CU_ASSERT_EQUAL(memcmp(pkt + 36, req.peer_id.b, 20), 0);
	CU_ASSERT_EQUAL(pkt[63], 2);     /* downloaded */
	CU_ASSERT_EQUAL(pkt[64 + 3], 0x02); /* left = 0x2dfdc1c35 */
	CU_ASSERT_EQUAL(pkt[71], 0x35);
	CU_ASSERT_EQUAL(pkt[79], 1);     /* uploaded */
	CU_ASSERT_EQUAL(pkt[83], 3);     /* event stopped */
	CU_ASSERT_EQUAL(pkt[84] | pkt[85] | pkt[86] | pkt[87], 0); /* ip */
	CU_ASSERT_EQUAL(pkt[88], 0xde);  /* key */
	CU_ASSERT_EQUAL(pkt[92] & pkt[93] & pkt[94] & pkt[95], 0xff); /* numwant -1 */
	CU_ASSERT_EQUAL(pkt[96] << 8 | pkt[97], 6881);

	uint8_t reply[20 + 2 * 18] = { 0, 0, 0, 1, 0, 0, 0, 0x99, 0, 0, 0x07, 0x08, 0, 0, 0, 3, 0,
		0, 0, 4 };
	/* two IPv4 peers in the first 12 bytes of the peer area */
	static const uint8_t p4[12] = { 127, 0, 0, 5, 0x1a, 0xe1, 10, 0, 0, 1, 0, 80 };
	memcpy(reply + 20, p4, 12);
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(reply, 32, 0x99, TL_UDP_ANNOUNCE, AF_INET, NULL, 0,
				  &r, &why),
	    TL_OK);
	CU_ASSERT_EQUAL(r.interval, 0x708);
	CU_ASSERT_EQUAL(r.incomplete, 3);
	CU_ASSERT_EQUAL(r.complete, 4);
	CU_ASSERT_EQUAL_FATAL(r.npeers, 2);
	peer_is(&r.peers[0], "127.0.0.5:6881");
	peer_is(&r.peers[1], "10.0.0.1:80");
	tl_tracker_reply_clear(&r);
	/* the same bytes from an IPv6 socket are not a whole number of peers */
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 32, 0x99, TL_UDP_ANNOUNCE, AF_INET6, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	/* IPv6: 18-byte stride */
	memset(reply + 20, 0, 36);
	reply[35] = 1, reply[36] = 0x1a, reply[37] = 0xe1;
	reply[38] = 0x20, reply[39] = 0x01, reply[53] = 2, reply[54] = 0, reply[55] = 7;
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(reply, 56, 0x99, TL_UDP_ANNOUNCE, AF_INET6, NULL, 0,
				  &r, &why),
	    TL_OK);
	CU_ASSERT_EQUAL_FATAL(r.npeers, 2);
	peer_is(&r.peers[0], "[::1]:6881");
	peer_is(&r.peers[1], "[2001::2]:7");
	tl_tracker_reply_clear(&r);
	/* too short for the header; trailing partial peer */
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 19, 0x99, TL_UDP_ANNOUNCE, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "packet too short");
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 23, 0x99, TL_UDP_ANNOUNCE, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
	CU_ASSERT_PTR_NULL(r.peers);
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, TL_MAX_UDP_TRACKER_PACKET + 1, 0x99, TL_UDP_ANNOUNCE,
			    AF_INET, NULL, 0, &r, &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "packet too large");
}

static void test_udp_scrape_and_error(void)
{
	struct tl_infohash ih[2];
	memset(ih[0].b, 1, 20);
	memset(ih[1].b, 2, 20);
	uint8_t pkt[64];
	CU_ASSERT_EQUAL(tl_udp_build_scrape(7, 8, ih, 2, pkt, sizeof(pkt)), 56);
	CU_ASSERT_EQUAL(pkt[7], 7);
	CU_ASSERT_EQUAL(pkt[11], 2);
	CU_ASSERT_EQUAL(pkt[15], 8);
	CU_ASSERT_EQUAL(memcmp(pkt + 36, ih[1].b, 20), 0);
	CU_ASSERT_EQUAL(tl_udp_build_scrape(7, 8, ih, 2, pkt, 55), 0);
	CU_ASSERT_EQUAL(tl_udp_build_scrape(7, 8, ih, 0, pkt, sizeof(pkt)), 0);

	uint8_t reply[8 + 24] = { 0, 0, 0, 2, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0,
		1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct tl_tracker_reply r;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(reply, 32, 8, TL_UDP_SCRAPE, AF_INET, ih, 2, &r,
				  &why),
	    TL_OK);
	CU_ASSERT_EQUAL_FATAL(r.nfiles, 2);
	CU_ASSERT_EQUAL(r.files[0].complete, 5);
	CU_ASSERT_EQUAL(r.files[0].downloaded, 6);
	CU_ASSERT_EQUAL(r.files[0].incomplete, 7);
	CU_ASSERT_EQUAL(memcmp(r.files[1].info_hash.b, ih[1].b, 20), 0);
	CU_ASSERT_EQUAL(r.files[1].incomplete, 3);
	tl_tracker_reply_clear(&r);
	/* more entries than asked, a partial entry, none */
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 32, 8, TL_UDP_SCRAPE, AF_INET, ih, 1, &r, &why),
	    TL_EINVAL);
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 31, 8, TL_UDP_SCRAPE, AF_INET, ih, 2, &r, &why),
	    TL_EINVAL);
	CU_ASSERT_EQUAL(tl_udp_parse_reply(reply, 8, 8, TL_UDP_SCRAPE, AF_INET, ih, 2, &r, &why),
	    TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "scrape reply length does not match the request");

	static const uint8_t err[] = { 0, 0, 0, 3, 0, 0, 0, 8, 'b', 'a', 'd', '\n' };
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(err, sizeof(err), 8, TL_UDP_ANNOUNCE, AF_INET, NULL,
				  0, &r, &why),
	    TL_OK);
	CU_ASSERT_STRING_EQUAL(r.failure, "bad?");
	tl_tracker_reply_clear(&r);
	CU_ASSERT_EQUAL_FATAL(tl_udp_parse_reply(err, 8, 8, TL_UDP_CONNECT, AF_INET, NULL, 0, &r,
				  &why),
	    TL_OK);
	CU_ASSERT_STRING_EQUAL(r.failure, "tracker error");
	tl_tracker_reply_clear(&r);
	/* an error for another transaction is not ours */
	CU_ASSERT_EQUAL(tl_udp_parse_reply(err, sizeof(err), 9, TL_UDP_ANNOUNCE, AF_INET, NULL, 0, &r,
			    &why),
	    TL_EINVAL);
}

static void test_event_names(void)
{
	enum tl_tracker_event ev;
	CU_ASSERT_EQUAL(tl_tracker_event_parse("stopped", &ev), 0);
	CU_ASSERT_EQUAL(ev, TL_TRACKER_EV_STOPPED);
	CU_ASSERT_EQUAL(tl_tracker_event_parse("completed", &ev), 0);
	CU_ASSERT_EQUAL(ev, TL_TRACKER_EV_COMPLETED);
	CU_ASSERT_EQUAL(tl_tracker_event_parse("none", &ev), 0);
	CU_ASSERT_EQUAL(ev, TL_TRACKER_EV_NONE);
	CU_ASSERT_EQUAL(tl_tracker_event_parse("paused", &ev), -1);
	CU_ASSERT_STRING_EQUAL(tl_tracker_event_name(TL_TRACKER_EV_STARTED), "started");
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_announce_url),
		TL_TEST(test_scrape_url),
		TL_TEST(test_announce_compact_all_fields),
		TL_TEST(test_announce_dict_peers),
		TL_TEST(test_announce_failure_and_bad),
		TL_TEST(test_announce_peer_cap),
		TL_TEST(test_compact_property),
		TL_TEST(test_scrape_reply),
		TL_TEST(test_udp_connect),
		TL_TEST(test_udp_announce),
		TL_TEST(test_udp_scrape_and_error),
		TL_TEST(test_event_names),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("tracker_msg", tests);
}
