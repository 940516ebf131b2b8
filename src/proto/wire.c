/* wire.c: BitTorrent peer messages (see wire.h). */
#include "proto/wire.h"

#include <string.h>

#include "codec/bitfield.h"
#include "base/bounds.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/rd.h"

/* Length prefix (id included) of each fixed-size message; 0 for the
 * variable ones and unknown ids. */
static const uint8_t fixed_len[TL_WIRE_EXTENDED + 1] = {
	[TL_WIRE_CHOKE] = 1, [TL_WIRE_UNCHOKE] = 1, [TL_WIRE_INTERESTED] = 1, [TL_WIRE_NOT_INTERESTED] = 1,
	[TL_WIRE_HAVE] = 5, [TL_WIRE_REQUEST] = 13, [TL_WIRE_CANCEL] = 13, [TL_WIRE_PORT] = 3,
	[TL_WIRE_SUGGEST] = 5, [TL_WIRE_HAVE_ALL] = 1, [TL_WIRE_HAVE_NONE] = 1, [TL_WIRE_REJECT] = 13,
	[TL_WIRE_ALLOWED_FAST] = 5,
};

static bool is_fast_id(uint8_t id)
{
	return id >= TL_WIRE_SUGGEST && id <= TL_WIRE_ALLOWED_FAST;
}

int tl_wire_check_header(uint32_t len, uint8_t id, const struct tl_wire_limits *lim, const char **why_out)
{
	if (len > TL_WIRE_MAX_MSG_LEN) {
		*why_out = "message longer than any valid message";
		return TL_EINVAL;
	}
	if (is_fast_id(id) && !lim->has_fast) {
		*why_out = "fast extension message without BEP 6 negotiated";
		return TL_EINVAL;
	}
	switch (id) {
	case TL_WIRE_BITFIELD:
		if (lim->npieces ? len - 1 != tl_bitfield_nbytes(lim->npieces) : len < 2) {
			*why_out = "bitfield length does not match the piece count";
			return TL_EINVAL;
		}
		return TL_OK;
	case TL_WIRE_PIECE:
		if (len < 10 || len - 9 > TL_MAX_BLOCK_LEN) {
			*why_out = "piece block empty or over 16 KiB";
			return TL_EINVAL;
		}
		return TL_OK;
	case TL_WIRE_EXTENDED: {
		uint32_t cap = lim->max_ext_len && lim->max_ext_len < TL_WIRE_MAX_EXT_MSG_LEN ? lim->max_ext_len
		                                                                              : TL_WIRE_MAX_EXT_MSG_LEN;
		if (!lim->has_extended) {
			*why_out = "extended message without BEP 10 negotiated";
			return TL_EINVAL;
		}
		if (len < 2 || len - 2 > cap) {
			*why_out = "extended message empty or over the cap";
			return TL_EINVAL;
		}
		return TL_OK;
	}
	default:
		if (id > TL_WIRE_EXTENDED || fixed_len[id] == 0) {
			*why_out = "unknown message id";
			return TL_EINVAL;
		}
		if (len != fixed_len[id]) {
			*why_out = "wrong length for the message id";
			return TL_EINVAL;
		}
		return TL_OK;
	}
}

/* Length of piece index (index < npieces checked by the caller). */
static uint32_t piece_len_of(const struct tl_wire_limits *lim, uint32_t index)
{
	return index == lim->npieces - 1 ? lim->last_piece_len : lim->piece_len;
}

static int check_index(const struct tl_wire_limits *lim, uint32_t index, const char **why_out)
{
	if (lim->npieces && index >= lim->npieces) {
		*why_out = "piece index out of range";
		return TL_EINVAL;
	}
	return TL_OK;
}

/* begin and length of a block inside piece index; subtraction form so no
 * sum can wrap. */
static int check_block(const struct tl_wire_limits *lim, uint32_t index, uint32_t begin, uint32_t length,
    const char **why_out)
{
	if (check_index(lim, index, why_out) != TL_OK)
		return TL_EINVAL;
	if (length == 0 || length > TL_MAX_BLOCK_LEN) {
		*why_out = "block length zero or over 16 KiB";
		return TL_EINVAL;
	}
	uint32_t plen = lim->npieces ? piece_len_of(lim, index) : TL_MAX_PIECE_LEN;
	if (length > plen || begin > plen - length) {
		*why_out = "block extends past the end of its piece";
		return TL_EINVAL;
	}
	return TL_OK;
}

static int parse(const uint8_t *p, size_t len, const struct tl_wire_limits *lim, bool is_head_only,
    struct tl_wire_msg *out, size_t *consumed_out, const char **why_out)
{
	struct tl_rd r;
	tl_rd_init(&r, p, len);
	uint32_t mlen = tl_rd_be32(&r);
	if (r.err) {
		*consumed_out = 4;
		return TL_EAGAIN;
	}
	memset(out, 0, sizeof(*out));
	if (mlen == 0) {
		out->id = TL_WIRE_KEEPALIVE;
		*consumed_out = 4;
		return TL_OK;
	}
	uint8_t id = tl_rd_u8(&r);
	if (r.err) {
		*consumed_out = 5;
		return TL_EAGAIN;
	}
	if (tl_wire_check_header(mlen, id, lim, why_out) != TL_OK)
		return TL_EINVAL;
	size_t total = 4 + (size_t)mlen;
	size_t need = is_head_only && id == TL_WIRE_PIECE ? 13 : total;
	if (len < need) {
		/* A piece header is judged as soon as it is in, not after its
		 * block has been buffered. */
		if (id == TL_WIRE_PIECE && len >= 13) {
			r.p = p + 5;
			uint32_t index = tl_rd_be32(&r), begin = tl_rd_be32(&r);
			if (check_block(lim, index, begin, mlen - 9, why_out) != TL_OK)
				return TL_EINVAL;
		}
		*consumed_out = need;
		return TL_EAGAIN;
	}
	out->id = id;
	*consumed_out = need;
	switch (id) {
	case TL_WIRE_HAVE:
	case TL_WIRE_SUGGEST:
	case TL_WIRE_ALLOWED_FAST:
		out->index = tl_rd_be32(&r);
		return check_index(lim, out->index, why_out);
	case TL_WIRE_REQUEST:
	case TL_WIRE_CANCEL:
	case TL_WIRE_REJECT:
		out->index = tl_rd_be32(&r);
		out->begin = tl_rd_be32(&r);
		out->length = tl_rd_be32(&r);
		return check_block(lim, out->index, out->begin, out->length, why_out);
	case TL_WIRE_PIECE:
		out->index = tl_rd_be32(&r);
		out->begin = tl_rd_be32(&r);
		out->length = mlen - 9;
		out->payload_off = 13;
		out->payload_len = out->length;
		return check_block(lim, out->index, out->begin, out->length, why_out);
	case TL_WIRE_PORT:
		out->port = tl_rd_be16(&r);
		return TL_OK;
	case TL_WIRE_BITFIELD:
		out->payload_off = 5;
		out->payload_len = mlen - 1;
		if (lim->npieces) {
			unsigned spare = (unsigned)(out->payload_len * 8 - lim->npieces);
			if (p[total - 1] & ((1u << spare) - 1)) {
				*why_out = "bitfield has spare bits set";
				return TL_EINVAL;
			}
		}
		return TL_OK;
	case TL_WIRE_EXTENDED:
		out->ext_id = tl_rd_u8(&r);
		out->payload_off = 6;
		out->payload_len = mlen - 2;
		return TL_OK;
	default:
		return TL_OK; /* no payload */
	}
}

int tl_wire_parse(const uint8_t *p, size_t len, const struct tl_wire_limits *lim, struct tl_wire_msg *out,
    size_t *consumed_out, const char **why_out)
{
	return parse(p, len, lim, false, out, consumed_out, why_out);
}

int tl_wire_parse_head(const uint8_t *p, size_t len, const struct tl_wire_limits *lim, struct tl_wire_msg *out,
    size_t *consumed_out, const char **why_out)
{
	return parse(p, len, lim, true, out, consumed_out, why_out);
}

static uint8_t *put32(uint8_t *o, uint32_t v)
{
	o[0] = (uint8_t)(v >> 24);
	o[1] = (uint8_t)(v >> 16);
	o[2] = (uint8_t)(v >> 8);
	o[3] = (uint8_t)v;
	return o + 4;
}

size_t tl_wire_encode(const struct tl_wire_msg *m, uint8_t *out, size_t cap)
{
	uint8_t b[TL_WIRE_MAX_HEAD];
	uint8_t *o = b + 5; /* after length and id; length filled in last */
	size_t payload = 0;
	switch (m->id) {
	case TL_WIRE_KEEPALIVE:
		o = b + 4;
		break;
	case TL_WIRE_CHOKE:
	case TL_WIRE_UNCHOKE:
	case TL_WIRE_INTERESTED:
	case TL_WIRE_NOT_INTERESTED:
	case TL_WIRE_HAVE_ALL:
	case TL_WIRE_HAVE_NONE:
		break;
	case TL_WIRE_HAVE:
	case TL_WIRE_SUGGEST:
	case TL_WIRE_ALLOWED_FAST:
		o = put32(o, m->index);
		break;
	case TL_WIRE_REQUEST:
	case TL_WIRE_CANCEL:
	case TL_WIRE_REJECT:
		o = put32(put32(put32(o, m->index), m->begin), m->length);
		break;
	case TL_WIRE_PIECE:
		o = put32(put32(o, m->index), m->begin);
		payload = m->payload_len;
		break;
	case TL_WIRE_PORT:
		*o++ = (uint8_t)(m->port >> 8);
		*o++ = (uint8_t)m->port;
		break;
	case TL_WIRE_BITFIELD:
		payload = m->payload_len;
		break;
	case TL_WIRE_EXTENDED:
		*o++ = m->ext_id;
		payload = m->payload_len;
		break;
	default:
		return 0;
	}
	size_t n = (size_t)(o - b);
	if (n > cap || payload > UINT32_MAX - (n - 4))
		return 0;
	put32(b, (uint32_t)(n - 4 + payload));
	if (m->id != TL_WIRE_KEEPALIVE)
		b[4] = (uint8_t)m->id;
	memcpy(out, b, n);
	return n;
}

const char *tl_wire_name(int id)
{
	switch (id) {
	case TL_WIRE_CHOKE: return "choke";
	case TL_WIRE_UNCHOKE: return "unchoke";
	case TL_WIRE_INTERESTED: return "interested";
	case TL_WIRE_NOT_INTERESTED: return "not_interested";
	case TL_WIRE_HAVE: return "have";
	case TL_WIRE_BITFIELD: return "bitfield";
	case TL_WIRE_REQUEST: return "request";
	case TL_WIRE_PIECE: return "piece";
	case TL_WIRE_CANCEL: return "cancel";
	case TL_WIRE_PORT: return "port";
	case TL_WIRE_SUGGEST: return "suggest";
	case TL_WIRE_HAVE_ALL: return "have_all";
	case TL_WIRE_HAVE_NONE: return "have_none";
	case TL_WIRE_REJECT: return "reject";
	case TL_WIRE_ALLOWED_FAST: return "allowed_fast";
	case TL_WIRE_EXTENDED: return "extended";
	case TL_WIRE_KEEPALIVE: return "keepalive";
	default: return "unknown";
	}
}

size_t tl_wire_allowed_fast(uint32_t ipv4, const uint8_t infohash[20], uint32_t npieces, uint32_t k,
    uint32_t *out)
{
	if (k > npieces)
		k = npieces;
	uint8_t x[24];
	put32(x, ipv4 & 0xffffff00u);
	memcpy(x + 4, infohash, 20);
	size_t xlen = 24, n = 0;
	while (n < k) {
		uint8_t h[20];
		tl_sha1(x, xlen, h);
		memcpy(x, h, 20);
		xlen = 20;
		for (int i = 0; i < 5 && n < k; i++) {
			uint32_t y = (uint32_t)x[i * 4] << 24 | (uint32_t)x[i * 4 + 1] << 16 |
			    (uint32_t)x[i * 4 + 2] << 8 | x[i * 4 + 3];
			uint32_t index = y % npieces;
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = out[j] == index;
			if (!dup)
				out[n++] = index;
		}
	}
	return n;
}
