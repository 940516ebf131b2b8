/* test_krpc.c: the KRPC codec against the BEP 5 example messages (files in
 * tests/vectors/dht), malformed shapes, BEP 32/42/43 fields and the
 * 1024-byte cap on everything we encode. */
#include "cutest.h"

#include <arpa/inet.h>

#include "dht/benc.h"
#include "dht/krpc.h"

static struct krpc_msg m;

static uint8_t *vec(const char *name, size_t *len)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tests/vectors/dht/%s", name);
	uint8_t *p = tl_test_slurp(rel, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	return p;
}

static int dec_str(const char *s, const char **why)
{
	return krpc_decode((const uint8_t *)s, strlen(s), &m, why);
}

static const struct dht_id *idof(const char *s)
{
	static struct dht_id ids[4];
	static int n;
	struct dht_id *id = &ids[n++ % 4];
	memcpy(id->b, s, 20);
	return id;
}

static const struct krpc_hdr hdr_aa = { .tid = (const uint8_t *)"aa", .tid_len = 2 };

static void test_bep5_queries(void)
{
	size_t len;
	uint8_t out[KRPC_MAX_OUT];
	const char *why;

	uint8_t *p = vec("ping_q.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_QUERY);
	CU_ASSERT_EQUAL(m.method, KRPC_PING);
	CU_ASSERT_EQUAL(m.tid_len, 2);
	CU_ASSERT_EQUAL(memcmp(m.id.b, "abcdefghij0123456789", 20), 0);
	struct krpc_query q = { .method = KRPC_PING, .id = idof("abcdefghij0123456789") };
	size_t n = krpc_encode_query(&hdr_aa, &q, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);

	p = vec("find_node_q.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL(m.method, KRPC_FIND_NODE);
	CU_ASSERT_TRUE(m.has_target);
	CU_ASSERT_EQUAL(memcmp(m.target.b, "mnopqrstuvwxyz123456", 20), 0);
	q = (struct krpc_query){ .method = KRPC_FIND_NODE, .id = idof("abcdefghij0123456789"),
		.target = idof("mnopqrstuvwxyz123456") };
	n = krpc_encode_query(&hdr_aa, &q, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);

	p = vec("get_peers_q.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL(m.method, KRPC_GET_PEERS);
	CU_ASSERT_EQUAL(memcmp(m.target.b, "mnopqrstuvwxyz123456", 20), 0);
	q.method = KRPC_GET_PEERS;
	n = krpc_encode_query(&hdr_aa, &q, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);

	p = vec("announce_peer_q.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL(m.method, KRPC_ANNOUNCE_PEER);
	CU_ASSERT_TRUE(m.implied_port);
	CU_ASSERT_EQUAL(m.token_len, 8);
	CU_ASSERT_EQUAL(memcmp(m.token, "aoeusnth", 8), 0);
	q = (struct krpc_query){ .method = KRPC_ANNOUNCE_PEER, .id = idof("abcdefghij0123456789"),
		.target = idof("mnopqrstuvwxyz123456"), .token = (const uint8_t *)"aoeusnth",
		.token_len = 8, .port = 6881, .implied_port = true };
	n = krpc_encode_query(&hdr_aa, &q, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);
}

static void test_bep5_replies(void)
{
	size_t len;
	uint8_t out[KRPC_MAX_OUT];
	const char *why;

	uint8_t *p = vec("ping_r.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	CU_ASSERT_EQUAL(memcmp(m.id.b, "mnopqrstuvwxyz123456", 20), 0);
	struct krpc_reply r = { .id = idof("mnopqrstuvwxyz123456") };
	size_t n = krpc_encode_reply(&hdr_aa, &r, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);

	p = vec("announce_peer_r.bin", &len);
	CU_ASSERT_EQUAL(krpc_decode(p, len, &m, &why), 0);
	free(p);

	p = vec("get_peers_r_values.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, &why), 0);
	CU_ASSERT_EQUAL_FATAL(m.nvalues, 2);
	struct dht_addr a;
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET, m.values[0].p, m.values[0].len, &a), 0);
	char s[64];
	dht_addr_format(&a, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "97.120.106.101:11893");
	CU_ASSERT_EQUAL(dht_addr_get_compact(AF_INET, m.values[1].p, m.values[1].len, &a), 0);
	dht_addr_format(&a, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "105.100.104.116:28269");
	r = (struct krpc_reply){ .id = idof("abcdefghij0123456789"),
		.token = (const uint8_t *)"aoeusnth", .token_len = 8,
		.values = (const uint8_t *)"axje.uidhtnm", .nvalues = 2, .value_len = 6 };
	n = krpc_encode_reply(&hdr_aa, &r, out, sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);

	/* The BEP's "def456..." nodes are 9 bytes: refused, not crashed on. */
	static const char *const bad[] = { "find_node_r.bin", "get_peers_r_nodes.bin" };
	for (size_t i = 0; i < 2; i++) {
		p = vec(bad[i], &len);
		why = NULL;
		CU_ASSERT_EQUAL(krpc_decode(p, len, &m, &why), -1);
		CU_ASSERT_PTR_NOT_NULL(why);
		CU_ASSERT_PTR_NOT_NULL(strstr(why ? why : "", "26"));
		free(p);
	}
}

static void test_bep5_error(void)
{
	size_t len;
	uint8_t out[KRPC_MAX_OUT];
	uint8_t *p = vec("error.bin", &len);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p, len, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_ERROR);
	CU_ASSERT_EQUAL(m.err_code, 201);
	CU_ASSERT_EQUAL(m.err_msg_len, 23);
	size_t n = krpc_encode_error(&hdr_aa, KRPC_ERR_GENERIC, "A Generic Error Ocurred", out,
	    sizeof(out));
	CU_ASSERT_EQUAL(n, len);
	CU_ASSERT_EQUAL(memcmp(out, p, len), 0);
	free(p);
}

#define ID20 "20:abcdefghij0123456789"
#define IH20 "20:mnopqrstuvwxyz123456"

static void test_malformed(void)
{
	static const char *const bad[] = {
		"",
		"le",
		"d1:t2:aa1:y1:qe",                                             /* no q, no a */
		"d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe",     /* id 19 */
		"d1:ad2:idi5ee1:q4:ping1:t2:aa1:y1:qe",                        /* id int */
		"d1:ad2:id" ID20 "e1:q4:ping1:t17:aaaaaaaaaaaaaaaaa1:y1:qe",   /* tid 17 */
		"d1:ad2:id" ID20 "e1:q4:ping1:t2:aa1:y1:xe",                   /* y=x */
		"d1:ad2:id" ID20 "e1:q4:ping1:t2:aa1:y2:qqe",                  /* y len 2 */
		"d1:ad2:id" ID20 "e1:q4:ping1:y1:qe",                          /* no t */
		"d1:ad2:id" ID20 "e1:qi1e1:t2:aa1:y1:qe",                      /* q int */
		"d1:a" ID20 "1:q4:ping1:t2:aa1:y1:qe",                         /* a str */
		"d1:ad2:id" ID20 "e1:q4:ping1:t2:aa1:y1:qexx",                 /* trailing */
		"d1:ad2:id" ID20 "e1:q9:find_node1:t2:aa1:y1:qe",              /* no target */
		"d1:ad2:id" ID20 "6:target19:mnopqrstuvwxyz12345e1:q9:find_node1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "e1:q9:get_peers1:t2:aa1:y1:qe",              /* no info_hash */
		"d1:ad2:id" ID20 "9:info_hash" IH20 "4:porti0e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "9:info_hash" IH20 "4:porti65536e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "9:info_hash" IH20 "4:porti-1e5:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "9:info_hash" IH20 "4:porti80ee1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "9:info_hash" IH20 "4:port2:805:token1:xe1:q13:announce_peer1:t2:aa1:y1:qe",
		"d1:ad2:id" ID20 "6:target" IH20 "4:want2:n4e1:q9:find_node1:t2:aa1:y1:qe",
		"d1:rd2:id" ID20 "e1:t2:aa1:y1:r2:ip5:abcdee",                 /* unsorted ok, ip 5 */
		"d2:ip5:abcde1:rd2:id" ID20 "e1:t2:aa1:y1:re",                 /* ip 5 */
		"d1:rd2:id" ID20 "6:nodes637:" "0123456789012345678901234567890123456" "e1:t2:aa1:y1:re",
		"d1:rd2:id" ID20 "6:valuesl7:1234567ee1:t2:aa1:y1:re",         /* value 7 */
		"d1:rd2:id" ID20 "6:valuesl6:123456i5eee1:t2:aa1:y1:re",       /* value int */
		"d1:rd2:id" ID20 "6:values6:123456e1:t2:aa1:y1:re",            /* values str */
		"d1:rd2:id" ID20 "5:token41:01234567890123456789012345678901234567890e1:t2:aa1:y1:re",
		"d1:rde1:t2:aa1:y1:re",                                        /* reply no id */
		"d1:eli201ee1:t2:aa1:y1:ee",                                   /* error short */
		"d1:el3:abci201ee1:t2:aa1:y1:ee",                              /* error swapped */
		"d1:e3:abc1:t2:aa1:y1:ee",
		"d1:rd2:id" ID20 "e2:ro2:ab1:t2:aa1:y1:re",                    /* ro string */
		"d1:rd2:id" ID20 "e1:t2:aa1:vi1e1:y1:re",                      /* v int */
		"d1:rd2:id" ID20 "1:xllllllllleeeeeeeeee1:t2:aa1:y1:re",       /* depth */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		int rc = dec_str(bad[i], &why);
		if (rc != -1)
			printf("accepted: %s\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
}

static void test_fields(void)
{
	const char *why;
	/* BEP 32 want, BEP 33 noseed, unknown want strings ignored. */
	CU_ASSERT_EQUAL_FATAL(dec_str("d1:ad2:id" ID20 "9:info_hash" IH20 "6:noseedi1e4:wantl2:n62:xx2:n4ee"
	    "1:q9:get_peers1:t2:aa1:y1:qe", &why), 0);
	CU_ASSERT_EQUAL(m.want, KRPC_WANT_N4 | KRPC_WANT_N6);
	CU_ASSERT_TRUE(m.noseed);
	/* BEP 42 ip, BEP 43 ro, v. */
	CU_ASSERT_EQUAL_FATAL(dec_str("d2:ip6:\x7c\x1f\x4b\x15\x1a\xe1" "1:rd2:id" ID20 "e2:roi1e1:t2:aa1:v4:TL\x01\x02"
	    "1:y1:re", &why), 0);
	CU_ASSERT_TRUE(m.has_ip);
	char s[64];
	dht_addr_format(&m.ip, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "124.31.75.21:6881");
	CU_ASSERT_TRUE(m.is_read_only);
	CU_ASSERT_EQUAL(m.v_len, 4);
	/* Mixed 6- and 18-byte values are legal (BEP 32). */
	CU_ASSERT_EQUAL(dec_str("d1:rd2:id" ID20 "6:valuesl6:12345618:123456789012345678ee1:t2:aa1:y1:re",
	    &why), 0);
	CU_ASSERT_EQUAL(m.nvalues, 2);
	/* Unknown method with a target: kept for a find_node-style answer. */
	CU_ASSERT_EQUAL_FATAL(dec_str("d1:ad2:id" ID20 "6:target" IH20 "e1:q10:vote_thing1:t2:aa1:y1:qe",
	    &why), 0);
	CU_ASSERT_EQUAL(m.method, KRPC_UNKNOWN);
	CU_ASSERT_TRUE(m.has_target);
	/* announce_peer with implied_port and no port is accepted. */
	CU_ASSERT_EQUAL(dec_str("d1:ad2:id" ID20 "12:implied_porti1e9:info_hash" IH20 "5:token1:xe"
	    "1:q13:announce_peer1:t2:aa1:y1:qe", &why), 0);
	CU_ASSERT_TRUE(m.implied_port);
	/* A reply with nodes and nodes6 of the right sizes. */
	uint8_t buf[200];
	size_t n = 0;
#define PUT(s, l) (memcpy(buf + n, (s), (l)), n += (l))
	PUT("d1:rd2:id" ID20 "5:nodes26:", strlen("d1:rd2:id" ID20 "5:nodes26:"));
	memset(buf + n, 'a', 26), n += 26;
	PUT("6:nodes638:", 11);
	memset(buf + n, 'b', 38), n += 38;
	PUT("e1:t2:aa1:y1:re", 15);
#undef PUT
	CU_ASSERT_EQUAL(krpc_decode(buf, n, &m, &why), 0);
	CU_ASSERT_EQUAL(m.nodes_len, 26);
	CU_ASSERT_EQUAL(m.nodes6_len, 38);
}

static void test_cap(void)
{
	uint8_t out[KRPC_MAX_OUT + 64];
	uint8_t vals[200 * 18];
	memset(vals, 7, sizeof(vals));
	struct dht_addr ip = { .family = AF_INET, .ip = { 1, 2, 3, 4 }, .port = 6881 };
	struct krpc_hdr h = { .tid = (const uint8_t *)"abcd", .tid_len = 4,
		.v = (const uint8_t *)"TL\0\1", .ip = &ip };
	struct krpc_reply r = { .id = idof("abcdefghij0123456789"), .token = vals, .token_len = 8 };
	size_t base = krpc_encode_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(base > 0);
	for (size_t vl = 6; vl <= 18; vl += 12) {
		size_t fit = (KRPC_MAX_OUT - base - krpc_values_cost(0, vl)) / (vl + (vl > 9 ? 3 : 2));
		r.values = vals;
		r.value_len = vl;
		r.nvalues = fit;
		size_t n = krpc_encode_reply(&h, &r, out, sizeof(out));
		CU_ASSERT_EQUAL(n, base + krpc_values_cost(fit, vl));
		CU_ASSERT_TRUE(n <= KRPC_MAX_OUT);
		r.nvalues = fit + 1;
		/* One more would pass 1024 bytes: refused even with a larger buffer. */
		CU_ASSERT_EQUAL(krpc_encode_reply(&h, &r, out, sizeof(out)), 0);
	}
	/* Encoded replies decode back with ip and v. */
	r.nvalues = 3;
	r.value_len = 6;
	size_t n = krpc_encode_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(krpc_decode(out, n, &m, NULL), 0);
	CU_ASSERT_TRUE(m.has_ip && dht_addr_eq(&m.ip, &ip));
	CU_ASSERT_EQUAL(m.nvalues, 3);
	CU_ASSERT_EQUAL(m.token_len, 8);
	/* Queries with want and ro decode back. */
	h.is_read_only = true;
	struct krpc_query q = { .method = KRPC_GET_PEERS, .id = idof("abcdefghij0123456789"),
		.target = idof("mnopqrstuvwxyz123456"), .want = KRPC_WANT_N4 | KRPC_WANT_N6 };
	n = krpc_encode_query(&h, &q, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(krpc_decode(out, n, &m, NULL), 0);
	CU_ASSERT_TRUE(m.is_read_only);
	CU_ASSERT_EQUAL(m.want, 3);
	CU_ASSERT_EQUAL(m.method, KRPC_GET_PEERS);
	/* A tiny buffer: refused, never overrun. */
	CU_ASSERT_EQUAL(krpc_encode_query(&h, &q, out, 40), 0);
}

static void test_samples(void)
{
	uint8_t out[KRPC_MAX_OUT], smp[KRPC_MAX_SAMPLES * 20], nodes[8 * 26];
	memset(smp, 's', sizeof(smp));
	memset(nodes, 'n', sizeof(nodes));
	struct dht_addr ip = { .family = AF_INET, .ip = { 1, 2, 3, 4 }, .port = 6881 };
	struct krpc_hdr h = { .tid = (const uint8_t *)"abcd", .tid_len = 4,
		.v = (const uint8_t *)"TL\0\1", .ip = &ip };
	/* BEP 51 with the full 20 samples and 8 nodes stays under 1024 and
	 * is canonical bencode. */
	struct krpc_reply r = { .id = idof("abcdefghij0123456789"), .nodes = nodes,
		.nodes_len = sizeof(nodes), .has_samples = true, .interval = 21600, .num = 123456,
		.samples = smp, .nsamples = KRPC_MAX_SAMPLES };
	size_t n = krpc_encode_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_TRUE_FATAL(n > 0 && n <= KRPC_MAX_OUT);
	struct benc_tok toks[64];
	struct benc_doc doc;
	CU_ASSERT_EQUAL_FATAL(benc_parse(out, n, toks, 64, 4, BENC_F_SORTED, &doc, NULL), 0);
	long rd = benc_dict_get(&doc, 0, "r");
	int64_t v;
	CU_ASSERT_TRUE(benc_get_int(&doc, benc_dict_get(&doc, (size_t)rd, "num"), &v) && v == 123456);
	CU_ASSERT_TRUE(benc_get_int(&doc, benc_dict_get(&doc, (size_t)rd, "interval"), &v) && v == 21600);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(out, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.nodes_len, sizeof(nodes));
	/* Empty samples are still sent. */
	r.nsamples = 0;
	n = krpc_encode_reply(&h, &r, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(benc_parse(out, n, toks, 64, 4, BENC_F_SORTED, &doc, NULL), 0);
	rd = benc_dict_get(&doc, 0, "r");
	CU_ASSERT_TRUE(benc_dict_get(&doc, (size_t)rd, "samples") >= 0);
	/* The query: target required. */
	CU_ASSERT_EQUAL(dec_str("d1:ad2:id" ID20 "e1:q17:sample_infohashes1:t2:aa1:y1:qe", NULL), -1);
	struct krpc_query q = { .method = KRPC_SAMPLE_INFOHASHES, .id = idof("abcdefghij0123456789"),
		.target = idof("mnopqrstuvwxyz123456") };
	n = krpc_encode_query(&hdr_aa, &q, out, sizeof(out));
	CU_ASSERT_EQUAL_FATAL(krpc_decode(out, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.method, KRPC_SAMPLE_INFOHASHES);
	CU_ASSERT_EQUAL(memcmp(m.target.b, "mnopqrstuvwxyz123456", 20), 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_bep5_queries),
		TL_TEST(test_bep5_replies),
		TL_TEST(test_bep5_error),
		TL_TEST(test_malformed),
		TL_TEST(test_fields),
		TL_TEST(test_cap),
		TL_TEST(test_samples),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("krpc", tests);
}
