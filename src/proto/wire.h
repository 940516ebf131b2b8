/*
 * wire.h: BitTorrent peer messages, sans-I/O (BEP 3, BEP 5 port, BEP 6 fast
 * extension, BEP 10 extended message).
 *
 * Every message is <u32 length><u8 id><payload> (a zero length is a
 * keep-alive). Framing is checked at the header: as soon as the length and
 * id are in, tl_wire_check_header() applies the per-id length rule and the
 * global cap, so a reader never buffers a body it would refuse. Block
 * payloads are not copied: a parsed PIECE message gives the offset and
 * length of its block in the input, and tl_wire_parse_head() decodes a
 * PIECE from its 13 header bytes alone so an adapter can move the block
 * straight out of its socket buffer.
 *
 * Encoders write into caller buffers. A violation returns TL_EINVAL with a
 * static reason string.
 *
 * Owns nothing. Thread: any.
 */
#ifndef TL_WIRE_H
#define TL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tl_wire_id {
	TL_WIRE_CHOKE = 0,
	TL_WIRE_UNCHOKE = 1,
	TL_WIRE_INTERESTED = 2,
	TL_WIRE_NOT_INTERESTED = 3,
	TL_WIRE_HAVE = 4,
	TL_WIRE_BITFIELD = 5,
	TL_WIRE_REQUEST = 6,
	TL_WIRE_PIECE = 7,
	TL_WIRE_CANCEL = 8,
	TL_WIRE_PORT = 9,          /* BEP 5 */
	TL_WIRE_SUGGEST = 13,      /* BEP 6 */
	TL_WIRE_HAVE_ALL = 14,     /* BEP 6 */
	TL_WIRE_HAVE_NONE = 15,    /* BEP 6 */
	TL_WIRE_REJECT = 16,       /* BEP 6 */
	TL_WIRE_ALLOWED_FAST = 17, /* BEP 6 */
	TL_WIRE_EXTENDED = 20,     /* BEP 10 */
	TL_WIRE_KEEPALIVE = 256,   /* not an id on the wire: a zero length */
};

/* Largest header tl_wire_parse_head() needs, and largest fixed-size message
 * (request/cancel/reject: 4 + 1 + 12). */
#define TL_WIRE_MAX_HEAD 17u

/* What the connection has negotiated and what the torrent looks like. */
struct tl_wire_limits {
	uint32_t npieces;        /* 0: not known yet (magnet before metadata) */
	uint32_t piece_len;      /* nominal piece length (npieces > 0) */
	uint32_t last_piece_len; /* length of piece npieces - 1 (npieces > 0) */
	bool has_fast;           /* BEP 6 bit set by both sides */
	bool has_extended;       /* BEP 10 bit set by both sides */
	uint32_t max_ext_len;    /* tighter cap on an extended payload; 0 = TL_WIRE_MAX_EXT_MSG_LEN */
};

struct tl_wire_msg {
	int id;               /* enum tl_wire_id */
	uint32_t index;       /* have, request, piece, cancel, suggest, reject, allowed_fast */
	uint32_t begin;       /* request, piece, cancel, reject */
	uint32_t length;      /* request, cancel, reject: asked length; piece: block length */
	uint16_t port;        /* port */
	uint8_t ext_id;       /* extended: the BEP 10 message id (0 = handshake) */
	size_t payload_off;   /* bitfield bytes / piece block / extended payload after ext_id: */
	size_t payload_len;   /*   offset in the parsed input and length */
};

/*
 * Check a header: len is the 4-byte length prefix (id included), id the
 * next byte. Applies the global cap, the per-id length rule, negotiation
 * (BEP 6 messages only with has_fast, extended only with has_extended),
 * and block length <= TL_MAX_BLOCK_LEN. Returns TL_OK or TL_EINVAL with
 * *why_out. Not called for len == 0 (keep-alive).
 */
int tl_wire_check_header(uint32_t len, uint8_t id, const struct tl_wire_limits *lim, const char **why_out);

/*
 * Parse one whole message at p[0..len). Returns TL_OK with *out filled and
 * *consumed_out = bytes of the message (4 + length prefix); TL_EAGAIN when
 * more bytes are needed, with *consumed_out = the total bytes needed to
 * make progress (5 until the header is in, then the whole message; the
 * header has passed tl_wire_check_header by then, and a PIECE's index and
 * begin once its first 13 bytes are in); or TL_EINVAL with *why_out.
 * Semantic checks: indexes < npieces, begin + length within the
 * piece (subtraction form), bitfield length ceil(npieces/8) with no spare
 * bit set (any length up to TL_WIRE_MAX_BITFIELD_LEN while npieces is 0).
 * Payload offsets are relative to p; nothing is copied.
 */
int tl_wire_parse(const uint8_t *p, size_t len, const struct tl_wire_limits *lim, struct tl_wire_msg *out,
    size_t *consumed_out, const char **why_out);

/*
 * As tl_wire_parse, except that a PIECE message is decoded from its first
 * 13 bytes: TL_OK with *consumed_out = 13, payload_off = 13 and
 * payload_len = block length; the block (the next payload_len bytes of the
 * stream) is the caller's to move. Other messages behave as in
 * tl_wire_parse. At most TL_WIRE_MAX_HEAD bytes are needed for a PIECE.
 */
int tl_wire_parse_head(const uint8_t *p, size_t len, const struct tl_wire_limits *lim, struct tl_wire_msg *out,
    size_t *consumed_out, const char **why_out);

/*
 * Encode m into out[0..cap). Fixed-size messages are written whole. For
 * BITFIELD, PIECE and EXTENDED only the header is written (5, 13 and 6
 * bytes), with a length prefix that counts m->payload_len payload bytes
 * the caller sends right after. Returns the bytes written, or 0 when cap
 * is too small, the id is unknown or payload_len would overflow the
 * prefix. TL_WIRE_MAX_HEAD bytes always suffice.
 */
size_t tl_wire_encode(const struct tl_wire_msg *m, uint8_t *out, size_t cap);

/* Printable name of a message id ("piece", "have_all", ...; "unknown"). */
const char *tl_wire_name(int id);

/*
 * BEP 6 allowed fast set: the first k piece indexes derived from the
 * peer's IPv4 address (host order; its low octet is masked off) and the
 * infohash, by the BEP's SHA-1 chain. k is capped at npieces. Writes
 * min(k, npieces) indexes to out and returns that count.
 */
size_t tl_wire_allowed_fast(uint32_t ipv4, const uint8_t infohash[20], uint32_t npieces, uint32_t k,
    uint32_t *out);

#endif
