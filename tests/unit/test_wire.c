/* test_wire.c: peer messages: encode/parse round trips, header-time length
 * rules, semantic bounds, incremental parsing, zero-copy piece heads, the
 * BEP 6 allowed fast vectors, and a random message stream. */
#include "cutest.h"
#include "prop.h"

#include "base/bounds.h"
#include "base/digest.h"
#include "base/err.h"
#include "proto/ext.h"
#include "proto/handshake.h"
#include "proto/ut_metadata.h"
#include "proto/ut_pex.h"
#include "proto/wire.h"

/* 10 pieces of 32 KiB, the last one 5000 bytes. */
static const struct tl_wire_limits lim = {
	.npieces = 10, .piece_len = 32768, .last_piece_len = 5000, .has_fast = true, .has_extended = true,
};

static int parse_all(const uint8_t *p, size_t len, const struct tl_wire_limits *l, struct tl_wire_msg *m,
    const char **why)
{
	size_t used = 0;
	*why = NULL;
	int rc = tl_wire_parse(p, len, l, m, &used, why);
	if (rc == TL_OK)
		CU_ASSERT_EQUAL(used, len);
	if (rc == TL_EINVAL)
		CU_ASSERT_PTR_NOT_NULL(*why);
	return rc;
}

static size_t msg(uint8_t *b, uint32_t len, uint8_t id, const uint8_t *body, size_t blen)
{
	b[0] = (uint8_t)(len >> 24);
	b[1] = (uint8_t)(len >> 16);
	b[2] = (uint8_t)(len >> 8);
	b[3] = (uint8_t)len;
	b[4] = id;
	if (blen)
		memcpy(b + 5, body, blen);
	return 5 + blen;
}

static void test_roundtrip_fixed(void)
{
	static const struct tl_wire_msg cases[] = {
		{ .id = TL_WIRE_KEEPALIVE },
		{ .id = TL_WIRE_CHOKE },
		{ .id = TL_WIRE_UNCHOKE },
		{ .id = TL_WIRE_INTERESTED },
		{ .id = TL_WIRE_NOT_INTERESTED },
		{ .id = TL_WIRE_HAVE, .index = 9 },
		{ .id = TL_WIRE_REQUEST, .index = 3, .begin = 16384, .length = 16384 },
		{ .id = TL_WIRE_CANCEL, .index = 9, .begin = 4096, .length = 904 },
		{ .id = TL_WIRE_PORT, .port = 6881 },
		{ .id = TL_WIRE_SUGGEST, .index = 1 },
		{ .id = TL_WIRE_HAVE_ALL },
		{ .id = TL_WIRE_HAVE_NONE },
		{ .id = TL_WIRE_REJECT, .index = 0, .begin = 0, .length = 1 },
		{ .id = TL_WIRE_ALLOWED_FAST, .index = 7 },
	};
	static const size_t sizes[] = { 4, 5, 5, 5, 5, 9, 17, 17, 7, 9, 5, 5, 17, 9 };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t b[TL_WIRE_MAX_HEAD];
		struct tl_wire_msg m;
		const char *why;
		size_t n = tl_wire_encode(&cases[i], b, sizeof(b));
		CU_ASSERT_EQUAL(n, sizes[i]);
		CU_ASSERT_EQUAL(parse_all(b, n, &lim, &m, &why), TL_OK);
		CU_ASSERT_EQUAL(m.id, cases[i].id);
		CU_ASSERT_EQUAL(m.index, cases[i].index);
		CU_ASSERT_EQUAL(m.begin, cases[i].begin);
		CU_ASSERT_EQUAL(m.length, cases[i].length);
		CU_ASSERT_EQUAL(m.port, cases[i].port);
		CU_ASSERT_STRING_NOT_EQUAL(tl_wire_name(m.id), "unknown");
		/* too small a buffer writes nothing */
		CU_ASSERT_EQUAL(tl_wire_encode(&cases[i], b, n - 1), 0);
	}
	/* exact bytes of a BEP 3 request */
	uint8_t b[TL_WIRE_MAX_HEAD];
	static const uint8_t req[] = { 0, 0, 0, 13, 6, 0, 0, 0, 3, 0, 0, 0x40, 0, 0, 0, 0x40, 0 };
	CU_ASSERT_EQUAL(tl_wire_encode(&cases[6], b, sizeof(b)), 17);
	CU_ASSERT_EQUAL(memcmp(b, req, 17), 0);
	struct tl_wire_msg bad = { .id = 11 };
	CU_ASSERT_EQUAL(tl_wire_encode(&bad, b, sizeof(b)), 0);
	CU_ASSERT_STRING_EQUAL(tl_wire_name(99), "unknown");
}

static void test_payload_messages(void)
{
	uint8_t b[64];
	struct tl_wire_msg m, e;
	const char *why;
	/* bitfield: header from the encoder, bytes appended */
	e = (struct tl_wire_msg){ .id = TL_WIRE_BITFIELD, .payload_len = 2 };
	CU_ASSERT_EQUAL(tl_wire_encode(&e, b, sizeof(b)), 5);
	b[5] = 0xff;
	b[6] = 0xc0;
	CU_ASSERT_EQUAL(parse_all(b, 7, &lim, &m, &why), TL_OK);
	CU_ASSERT_EQUAL(m.payload_off, 5);
	CU_ASSERT_EQUAL(m.payload_len, 2);
	b[6] = 0xe0; /* piece 10 does not exist: a spare bit */
	CU_ASSERT_EQUAL(parse_all(b, 7, &lim, &m, &why), TL_EINVAL);
	b[6] = 0x20;
	CU_ASSERT_EQUAL(parse_all(b, 7, &lim, &m, &why), TL_EINVAL);
	/* piece: header + block */
	e = (struct tl_wire_msg){ .id = TL_WIRE_PIECE, .index = 9, .begin = 4990, .payload_len = 10 };
	CU_ASSERT_EQUAL(tl_wire_encode(&e, b, sizeof(b)), 13);
	memset(b + 13, 0x77, 10);
	CU_ASSERT_EQUAL(parse_all(b, 23, &lim, &m, &why), TL_OK);
	CU_ASSERT_EQUAL(m.index, 9);
	CU_ASSERT_EQUAL(m.begin, 4990);
	CU_ASSERT_EQUAL(m.length, 10);
	CU_ASSERT_EQUAL(m.payload_off, 13);
	CU_ASSERT_EQUAL(m.payload_len, 10);
	/* one byte further runs past the last piece */
	e.begin = 4991;
	tl_wire_encode(&e, b, sizeof(b));
	CU_ASSERT_EQUAL(parse_all(b, 23, &lim, &m, &why), TL_EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "block extends past the end of its piece");
	/* extended */
	e = (struct tl_wire_msg){ .id = TL_WIRE_EXTENDED, .ext_id = 3, .payload_len = 4 };
	CU_ASSERT_EQUAL(tl_wire_encode(&e, b, sizeof(b)), 6);
	memcpy(b + 6, "de\0\0", 4);
	CU_ASSERT_EQUAL(parse_all(b, 10, &lim, &m, &why), TL_OK);
	CU_ASSERT_EQUAL(m.ext_id, 3);
	CU_ASSERT_EQUAL(m.payload_off, 6);
	CU_ASSERT_EQUAL(m.payload_len, 4);
}

/* Each bad header is refused with only 5 bytes in: no body is waited for. */
static void test_header_rules(void)
{
	struct {
		uint32_t len;
		uint8_t id;
	} bad[] = {
		{ 2, TL_WIRE_CHOKE }, { 4, TL_WIRE_HAVE }, { 6, TL_WIRE_HAVE }, { 12, TL_WIRE_REQUEST },
		{ 14, TL_WIRE_CANCEL }, { 2, TL_WIRE_PORT }, { 4, TL_WIRE_BITFIELD }, { 9, TL_WIRE_PIECE },
		{ 9 + TL_MAX_BLOCK_LEN + 1, TL_WIRE_PIECE }, { 1, TL_WIRE_EXTENDED },
		{ 2 + TL_WIRE_MAX_EXT_MSG_LEN + 1, TL_WIRE_EXTENDED }, { 1, 10 }, { 1, 19 }, { 1, 255 },
		{ TL_WIRE_MAX_MSG_LEN + 1, TL_WIRE_BITFIELD }, { 0xffffffffu, TL_WIRE_PIECE }, { 2, TL_WIRE_HAVE_ALL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[5];
		struct tl_wire_msg m;
		size_t used;
		const char *why = NULL;
		msg(b, bad[i].len, bad[i].id, NULL, 0);
		CU_ASSERT_EQUAL(tl_wire_check_header(bad[i].len, bad[i].id, &lim, &why), TL_EINVAL);
		CU_ASSERT_EQUAL(tl_wire_parse(b, 5, &lim, &m, &used, &why), TL_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
	const char *why = NULL;
	CU_ASSERT_EQUAL(tl_wire_check_header(9 + TL_MAX_BLOCK_LEN, TL_WIRE_PIECE, &lim, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_wire_check_header(3, TL_WIRE_BITFIELD, &lim, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_wire_check_header(2 + TL_WIRE_MAX_EXT_MSG_LEN, TL_WIRE_EXTENDED, &lim, &why), TL_OK);
	/* a tighter extended cap (before the BEP 10 handshake, say) */
	struct tl_wire_limits tight = lim;
	tight.max_ext_len = 100;
	CU_ASSERT_EQUAL(tl_wire_check_header(102, TL_WIRE_EXTENDED, &tight, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_wire_check_header(103, TL_WIRE_EXTENDED, &tight, &why), TL_EINVAL);
	/* BEP 6 and BEP 10 only when negotiated */
	struct tl_wire_limits plain = lim;
	plain.has_fast = plain.has_extended = false;
	static const uint8_t fast_ids[] = { TL_WIRE_SUGGEST, TL_WIRE_HAVE_ALL, TL_WIRE_HAVE_NONE, TL_WIRE_REJECT,
		TL_WIRE_ALLOWED_FAST };
	static const uint32_t fast_lens[] = { 5, 1, 1, 13, 5 };
	for (size_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(tl_wire_check_header(fast_lens[i], fast_ids[i], &lim, &why), TL_OK);
		CU_ASSERT_EQUAL(tl_wire_check_header(fast_lens[i], fast_ids[i], &plain, &why), TL_EINVAL);
	}
	CU_ASSERT_EQUAL(tl_wire_check_header(10, TL_WIRE_EXTENDED, &plain, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_wire_check_header(3, TL_WIRE_PORT, &plain, &why), TL_OK);
}

static void test_semantics(void)
{
	uint8_t b[32], body[12];
	struct tl_wire_msg m;
	const char *why;
	struct {
		uint8_t id;
		uint32_t index, begin, length;
		int rc;
	} cases[] = {
		{ TL_WIRE_HAVE, 9, 0, 0, TL_OK },
		{ TL_WIRE_HAVE, 10, 0, 0, TL_EINVAL },
		{ TL_WIRE_HAVE, 0xffffffffu, 0, 0, TL_EINVAL },
		{ TL_WIRE_SUGGEST, 10, 0, 0, TL_EINVAL },
		{ TL_WIRE_ALLOWED_FAST, 10, 0, 0, TL_EINVAL },
		{ TL_WIRE_REQUEST, 0, 16384, 16384, TL_OK },
		{ TL_WIRE_REQUEST, 0, 16385, 16384, TL_EINVAL },
		{ TL_WIRE_REQUEST, 0, 0, 16385, TL_EINVAL },
		{ TL_WIRE_REQUEST, 0, 0, 0, TL_EINVAL },
		{ TL_WIRE_REQUEST, 9, 0, 5000, TL_OK },
		{ TL_WIRE_REQUEST, 9, 1, 5000, TL_EINVAL },
		{ TL_WIRE_REQUEST, 9, 0xffffffffu, 16, TL_EINVAL }, /* wraps if added */
		{ TL_WIRE_REQUEST, 10, 0, 16, TL_EINVAL },
		{ TL_WIRE_CANCEL, 8, 32767, 1, TL_OK },
		{ TL_WIRE_CANCEL, 8, 32768, 1, TL_EINVAL },
		{ TL_WIRE_REJECT, 9, 4999, 2, TL_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_wire_msg e = { .id = cases[i].id, .index = cases[i].index, .begin = cases[i].begin,
			.length = cases[i].length };
		size_t n = tl_wire_encode(&e, b, sizeof(b));
		CU_ASSERT_EQUAL(parse_all(b, n, &lim, &m, &why), cases[i].rc);
	}
	/* geometry unknown (magnet): indexes unchecked, blocks still bounded */
	struct tl_wire_limits unknown = { .has_fast = true };
	memset(body, 0, sizeof(body));
	body[0] = 0xff;
	size_t n = msg(b, 5, TL_WIRE_HAVE, body, 4);
	CU_ASSERT_EQUAL(parse_all(b, n, &unknown, &m, &why), TL_OK);
	n = msg(b, 13, TL_WIRE_REQUEST, (const uint8_t *)"\0\0\0\1\0\0\0\0\0\0\x40\x01", 12);
	CU_ASSERT_EQUAL(parse_all(b, n, &unknown, &m, &why), TL_EINVAL);
	n = msg(b, 4, TL_WIRE_BITFIELD, (const uint8_t *)"\xff\xff\xff", 3);
	CU_ASSERT_EQUAL(parse_all(b, n, &unknown, &m, &why), TL_OK);
	CU_ASSERT_EQUAL(m.payload_len, 3);
	const char *w = NULL;
	CU_ASSERT_EQUAL(tl_wire_check_header(1 + TL_WIRE_MAX_BITFIELD_LEN, TL_WIRE_BITFIELD, &unknown, &w), TL_OK);
	CU_ASSERT_EQUAL(tl_wire_check_header(2 + TL_WIRE_MAX_BITFIELD_LEN, TL_WIRE_BITFIELD, &unknown, &w), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_wire_check_header(1, TL_WIRE_BITFIELD, &unknown, &w), TL_EINVAL);
}

static void test_incremental_and_head(void)
{
	uint8_t b[64];
	struct tl_wire_msg m, e = { .id = TL_WIRE_PIECE, .index = 2, .begin = 0, .payload_len = 20 };
	size_t n = tl_wire_encode(&e, b, sizeof(b));
	memset(b + n, 0xab, 20);
	const char *why = NULL;
	for (size_t len = 0; len < 33; len++) {
		size_t used = 0;
		CU_ASSERT_EQUAL(tl_wire_parse(b, len, &lim, &m, &used, &why), TL_EAGAIN);
		CU_ASSERT_EQUAL(used, len < 4 ? 4u : len < 5 ? 5u : 33u);
		int rc = tl_wire_parse_head(b, len, &lim, &m, &used, &why);
		CU_ASSERT_EQUAL(rc, len < 13 ? TL_EAGAIN : TL_OK);
		if (rc == TL_OK) {
			CU_ASSERT_EQUAL(used, 13);
			CU_ASSERT_EQUAL(m.payload_len, 20);
			CU_ASSERT_EQUAL(m.index, 2);
		}
	}
	size_t used = 0;
	CU_ASSERT_EQUAL(tl_wire_parse(b, 40, &lim, &m, &used, &why), TL_OK);
	CU_ASSERT_EQUAL(used, 33);
	/* head parsing of other messages needs the whole message */
	struct tl_wire_msg h = { .id = TL_WIRE_HAVE, .index = 4 };
	n = tl_wire_encode(&h, b, sizeof(b));
	CU_ASSERT_EQUAL(tl_wire_parse_head(b, n - 1, &lim, &m, &used, &why), TL_EAGAIN);
	CU_ASSERT_EQUAL(used, n);
	CU_ASSERT_EQUAL(tl_wire_parse_head(b, n, &lim, &m, &used, &why), TL_OK);
	/* a bad piece head is refused at 13 bytes, by both parsers */
	struct tl_wire_msg bp = { .id = TL_WIRE_PIECE, .index = 12, .payload_len = 20 };
	tl_wire_encode(&bp, b, sizeof(b));
	CU_ASSERT_EQUAL(tl_wire_parse_head(b, 13, &lim, &m, &used, &why), TL_EINVAL);
	CU_ASSERT_EQUAL(tl_wire_parse(b, 12, &lim, &m, &used, &why), TL_EAGAIN);
	CU_ASSERT_EQUAL(tl_wire_parse(b, 13, &lim, &m, &used, &why), TL_EINVAL);
}

/* BEP 6 "Example results": 1313 pieces, infohash aa..aa, IP 80.4.4.200. */
static void test_allowed_fast_vectors(void)
{
	uint8_t ih[20];
	memset(ih, 0xaa, 20);
	uint32_t ip = 80u << 24 | 4u << 16 | 4u << 8 | 200u, out[9];
	static const uint32_t want[9] = { 1059, 431, 808, 1217, 287, 376, 1188, 353, 508 };
	CU_ASSERT_EQUAL(tl_wire_allowed_fast(ip, ih, 1313, 7, out), 7);
	CU_ASSERT_EQUAL(memcmp(out, want, 7 * sizeof(uint32_t)), 0);
	CU_ASSERT_EQUAL(tl_wire_allowed_fast(ip, ih, 1313, 9, out), 9);
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
	/* the low octet does not matter; k is capped at the piece count */
	CU_ASSERT_EQUAL(tl_wire_allowed_fast(ip ^ 0x3f, ih, 1313, 9, out), 9);
	CU_ASSERT_EQUAL(memcmp(out, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(tl_wire_allowed_fast(ip, ih, 3, 10, out), 3);
	CU_ASSERT_TRUE(out[0] != out[1] && out[1] != out[2] && out[0] != out[2]);
	CU_ASSERT_EQUAL(tl_wire_allowed_fast(ip, ih, 0, 10, out), 0);
}

/* Random valid messages concatenated and fed in random chunks, as a socket
 * would; every message comes back in order. */
static void test_stream_property(void)
{
	prop_seed();
	enum { N = 400 };
	static const uint8_t ids[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 20 };
	static struct tl_wire_msg sent[N];
	static uint8_t stream[N * (17 + TL_MAX_BLOCK_LEN)];
	size_t slen = 0;
	for (int i = 0; i < N; i++) {
		struct tl_wire_msg *m = &sent[i];
		memset(m, 0, sizeof(*m));
		m->id = rnd(10) == 0 ? TL_WIRE_KEEPALIVE : ids[rnd(sizeof(ids))];
		m->index = rnd(lim.npieces);
		uint32_t plen = m->index == 9 ? lim.last_piece_len : lim.piece_len;
		m->length = 1 + rnd(plen < TL_MAX_BLOCK_LEN ? plen : TL_MAX_BLOCK_LEN);
		m->begin = rnd(plen - m->length + 1);
		m->port = (uint16_t)rnd(65536);
		m->ext_id = (uint8_t)rnd(256);
		if (m->id == TL_WIRE_BITFIELD)
			m->payload_len = 2;
		else if (m->id == TL_WIRE_PIECE)
			m->payload_len = m->length;
		else if (m->id == TL_WIRE_EXTENDED)
			m->payload_len = rnd(300);
		size_t n = tl_wire_encode(m, stream + slen, TL_WIRE_MAX_HEAD);
		CU_ASSERT_FATAL(n > 0);
		slen += n;
		for (size_t k = 0; k < m->payload_len; k++)
			stream[slen + k] = (uint8_t)(m->id == TL_WIRE_BITFIELD ? (k ? 0xc0 : 0xff) : rnd(256));
		slen += m->payload_len;
	}
	size_t avail = 0, pos = 0;
	int got = 0;
	while (got < N) {
		struct tl_wire_msg m;
		size_t used;
		const char *why = NULL;
		int rc = tl_wire_parse(stream + pos, avail - pos, &lim, &m, &used, &why);
		if (rc == TL_EAGAIN) {
			CU_ASSERT_FATAL(used > avail - pos);
			avail += 1 + rnd(3000);
			if (avail > slen)
				avail = slen;
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, TL_OK);
		const struct tl_wire_msg *s = &sent[got];
		CU_ASSERT_EQUAL(m.id, s->id);
		CU_ASSERT_EQUAL(m.payload_len, s->payload_len);
		if (s->id == TL_WIRE_REQUEST || s->id == TL_WIRE_PIECE) {
			CU_ASSERT_EQUAL(m.index, s->index);
			CU_ASSERT_EQUAL(m.begin, s->begin);
			CU_ASSERT_EQUAL(m.length, s->length);
		}
		if (s->id == TL_WIRE_EXTENDED)
			CU_ASSERT_EQUAL(m.ext_id, s->ext_id);
		pos += used;
		got++;
	}
	CU_ASSERT_EQUAL(pos, slen);
}

/* Streams captured from real clients seeding one torrent (files and notes
 * in tests/vectors/peer/): every message must parse under the torrent's
 * limits, down to the last byte. */
struct capture {
	const char *file;
	const char *peer_id; /* its first 8 bytes */
	unsigned flags;      /* reserved bits */
	const char *v;       /* "v" of its extension handshake */
	uint32_t reqq;       /* 0 when absent */
	size_t nfast;        /* ALLOWED_FAST messages */
	bool has_piece;      /* it unchoked us and sent the block we asked for */
	size_t npex;         /* contacts added by its ut_pex messages */
};

static void check_capture(const struct capture *cap)
{
	size_t len = 0;
	uint8_t *p = tl_test_slurp(cap->file, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	struct tl_handshake hs;
	const char *why = NULL;
	CU_ASSERT_EQUAL_FATAL(tl_handshake_parse(p, len, &hs, &why), TL_OK);
	CU_ASSERT_EQUAL(tl_handshake_flags(hs.reserved), cap->flags);
	uint8_t ih[20];
	CU_ASSERT_EQUAL(tl_unhex("a7afc75ee69c16f8626fc7bcf14df82292ee87fd", 40, ih, 20), 0);
	CU_ASSERT_EQUAL(memcmp(hs.infohash.b, ih, 20), 0);
	CU_ASSERT_EQUAL(memcmp(hs.peer_id.b, cap->peer_id, 8), 0);
	struct tl_wire_limits lt = { .npieces = 4, .piece_len = 32768, .last_piece_len = 100000 - 3 * 32768,
		.has_fast = true, .has_extended = true };
	size_t pos = TL_HANDSHAKE_LEN, nmsg = 0, nfast = 0, npex = 0;
	bool saw[TL_WIRE_KEEPALIVE + 1] = { 0 }, saw_md = false, saw_hs = false;
	uint8_t ids[TL_EXT_COUNT] = { 0 };
	for (;;) {
		struct tl_wire_msg m;
		size_t used;
		int rc = tl_wire_parse(p + pos, len - pos, &lt, &m, &used, &why);
		if (rc == TL_EAGAIN)
			break;
		CU_ASSERT_EQUAL_FATAL(rc, TL_OK);
		saw[m.id] = true;
		nmsg++;
		nfast += m.id == TL_WIRE_ALLOWED_FAST;
		const uint8_t *pl = p + pos + m.payload_off;
		if (m.id == TL_WIRE_PIECE) {
			CU_ASSERT_EQUAL(m.index, 1);
			CU_ASSERT_EQUAL(m.begin, 16384);
			CU_ASSERT_EQUAL(m.payload_len, 16384);
		}
		if (m.id == TL_WIRE_EXTENDED && m.ext_id == 0) {
			struct tl_ext_hs e;
			CU_ASSERT_EQUAL_FATAL(tl_ext_hs_parse(pl, m.payload_len, &e, &why), TL_OK);
			tl_ext_merge(ids, &e);
			CU_ASSERT_EQUAL(e.metadata_size, 144);
			CU_ASSERT_EQUAL(e.reqq, cap->reqq);
			CU_ASSERT_TRUE(e.v_len == strlen(cap->v) && memcmp(e.v, cap->v, e.v_len) == 0);
			CU_ASSERT_NOT_EQUAL(ids[TL_EXT_UT_METADATA], 0);
			CU_ASSERT_NOT_EQUAL(ids[TL_EXT_UT_PEX], 0);
			saw_hs = true;
		}
		if (m.id == TL_WIRE_EXTENDED && m.ext_id == TL_EXT_LOCAL_UT_METADATA) {
			struct tl_utm_msg u;
			CU_ASSERT_EQUAL_FATAL(tl_utm_parse(pl, m.payload_len, &u, &why), TL_OK);
			CU_ASSERT_EQUAL(u.type, TL_UTM_DATA);
			CU_ASSERT_EQUAL(u.total_size, 144);
			uint8_t h[20];
			tl_sha1(pl + u.data_off, u.data_len, h);
			CU_ASSERT_EQUAL(memcmp(h, ih, 20), 0); /* the info dict hashes to the infohash */
			saw_md = true;
		}
		if (m.id == TL_WIRE_EXTENDED && m.ext_id == TL_EXT_LOCAL_UT_PEX) {
			struct tl_pex_msg x;
			CU_ASSERT_EQUAL(tl_pex_parse(pl, m.payload_len, &x, &why), TL_OK);
			npex += x.count[TL_PEX_ADDED] + x.count[TL_PEX_ADDED6];
		}
		pos += used;
	}
	CU_ASSERT_EQUAL(pos, len);
	CU_ASSERT_TRUE(saw_hs && saw_md);
	CU_ASSERT_TRUE(saw[TL_WIRE_HAVE_ALL]);
	CU_ASSERT_EQUAL(saw[TL_WIRE_UNCHOKE], cap->has_piece);
	CU_ASSERT_EQUAL(saw[TL_WIRE_PIECE], cap->has_piece);
	CU_ASSERT_EQUAL(saw[TL_WIRE_REJECT], !cap->has_piece);
	CU_ASSERT_EQUAL(nfast, cap->nfast);
	CU_ASSERT_EQUAL(npex, cap->npex);
	printf("\n%s: %zu messages, %zu bytes\n", cap->file, nmsg, len);
	free(p);
}

static void test_captured_streams(void)
{
	static const struct capture caps[] = {
		/* k = 10 allowed fast pieces, capped at the 4 there are */
		{ "tests/vectors/peer/libtorrent-2.0.8-seed.bin", "-LT2080-",
		    TL_HS_F_EXTENDED | TL_HS_F_FAST | TL_HS_F_DHT, "libtorrent/2.0.8.0", 2000, 4, true, 0 },
		{ "tests/vectors/peer/aria2-1.36-seed.bin", "A2-1-36-", TL_HS_F_EXTENDED | TL_HS_F_FAST,
		    "aria2/1.36.0", 0, 4, true, 0 },
		{ "tests/vectors/peer/transmission-3.00-seed.bin", "-TR3000-", TL_HS_F_EXTENDED | TL_HS_F_FAST,
		    "Transmission 3.00", 512, 0, false, 1 },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		check_capture(&caps[i]);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_roundtrip_fixed),
		TL_TEST(test_payload_messages),
		TL_TEST(test_header_rules),
		TL_TEST(test_semantics),
		TL_TEST(test_incremental_and_head),
		TL_TEST(test_allowed_fast_vectors),
		TL_TEST(test_stream_property),
		TL_TEST(test_captured_streams),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("wire", tests);
}
