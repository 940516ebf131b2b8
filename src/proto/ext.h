/*
 * ext.h: the BEP 10 extension protocol handshake (extended message id 0),
 * sans-I/O.
 *
 * The payload is a bencoded dict: {m: {name: id}, p, v, reqq, yourip,
 * ipv4, ipv6, metadata_size (BEP 9), upload_only (BEP 21)}. Parsing checks
 * the type of every field it knows, ids 0..255 with no two names sharing a
 * non-zero id, metadata_size <= TL_MAX_METADATA_SIZE, and ignores names it
 * does not know. "m" is additive (a later handshake carries changes only),
 * so a parse says which names were present and tl_ext_merge() applies it.
 *
 * Owns nothing; a parsed handshake holds views into the input. Thread: any.
 */
#ifndef TL_EXT_H
#define TL_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The extensions we speak, as indexes into the id tables below. */
enum tl_ext {
	TL_EXT_UT_METADATA = 0, /* BEP 9 */
	TL_EXT_UT_PEX = 1,      /* BEP 11 */
	TL_EXT_COUNT = 2,
};

/* The ids we ask peers to use when they send to us (our "m"). */
#define TL_EXT_LOCAL_UT_METADATA 1u
#define TL_EXT_LOCAL_UT_PEX 2u

/* A built handshake never exceeds this (v is truncated to 64 bytes). */
#define TL_EXT_HS_MAX_LEN 256u

struct tl_ext_hs {
	uint8_t ids[TL_EXT_COUNT];     /* sender's id per extension; 0 = disabled */
	bool has_id[TL_EXT_COUNT];     /* the name was present in this "m" */
	bool has_port, has_reqq, has_metadata_size, has_ipv4, has_ipv6, is_upload_only;
	uint16_t port;                 /* "p": the sender's listen port (non-zero) */
	uint32_t reqq;                 /* outstanding requests, clamped to TL_EXT_MAX_REQQ */
	uint32_t metadata_size;        /* BEP 9: 1..TL_MAX_METADATA_SIZE */
	uint8_t yourip[16];            /* how the sender sees us */
	uint8_t yourip_len;            /* 0 (absent), 4 or 16 */
	uint8_t ipv4[4];
	uint8_t ipv6[16];
	const uint8_t *v;              /* parse: view of "v" in the input (not NUL-terminated) */
	size_t v_len;                  /* build: v is read as v_len bytes (0 = omit) */
};

/*
 * Parse a handshake payload p[0..len) (after the extended id byte). Returns
 * TL_OK with *out filled (absent fields zero/false), or TL_EINVAL with a
 * static reason. len is capped by the caller's framing (wire.h).
 */
int tl_ext_hs_parse(const uint8_t *p, size_t len, struct tl_ext_hs *out, const char **why_out);

/*
 * Build a handshake payload from hs into out[0..cap): "m" lists each
 * extension with has_id set (with its id, 0 disabling it), then p, reqq,
 * metadata_size, upload_only, v, yourip when present (yourip_len 4 or 16).
 * Returns the length, or 0 when cap is too small (TL_EXT_HS_MAX_LEN is
 * always enough).
 */
size_t tl_ext_hs_build(const struct tl_ext_hs *hs, uint8_t *out, size_t cap);

/* Apply the additive "m" of hs to a peer's id table. */
void tl_ext_merge(uint8_t ids[TL_EXT_COUNT], const struct tl_ext_hs *hs);

#endif
