/*
 * handshake.h: the BEP 3 peer handshake (68 bytes), sans-I/O.
 *
 *   <19><"BitTorrent protocol"><8 reserved><20 infohash><20 peer id>
 *
 * Reserved bits (BEP 4 assignments): BEP 10 extension protocol
 * reserved[5] & 0x10, BEP 6 fast extension reserved[7] & 0x04, BEP 5 DHT
 * reserved[7] & 0x01. Parsing is incremental: the first 48 bytes already
 * carry the infohash, so a listener can match an incoming connection to a
 * torrent (and refuse it) before the peer id arrives.
 *
 * Owns nothing. Thread: any.
 */
#ifndef TL_HANDSHAKE_H
#define TL_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"

/* Whole handshake, and the prefix up to and including the infohash. */
#define TL_HANDSHAKE_LEN 68u
#define TL_HANDSHAKE_PREFIX_LEN 48u

/* Reserved-bit features, as flags for build and parse. */
#define TL_HS_F_EXTENDED 0x1u /* BEP 10 */
#define TL_HS_F_FAST 0x2u     /* BEP 6 */
#define TL_HS_F_DHT 0x4u      /* BEP 5 */

struct tl_handshake {
	uint8_t reserved[8];
	struct tl_infohash infohash;
	struct tl_peer_id peer_id;
};

/* Reserved bytes carrying the TL_HS_F_* features in flags. */
void tl_handshake_reserved(unsigned flags, uint8_t reserved_out[8]);
/* The TL_HS_F_* features present in reserved (other bits ignored). */
unsigned tl_handshake_flags(const uint8_t reserved[8]);

/* Write the 68-byte handshake for hs into out. */
void tl_handshake_build(const struct tl_handshake *hs, uint8_t out[TL_HANDSHAKE_LEN]);

/*
 * Parse the first 48 bytes: protocol string, reserved bytes, infohash.
 * Returns TL_OK (reserved and infohash filled, peer_id untouched),
 * TL_EAGAIN when len < 48 and the bytes so far are a valid beginning, or
 * TL_EINVAL with a static reason in *why_out as soon as a byte is wrong.
 */
int tl_handshake_parse_prefix(const uint8_t *p, size_t len, struct tl_handshake *out, const char **why_out);

/* Parse the whole handshake: as above, but TL_OK only when all 68 bytes are
 * in (peer_id filled too); TL_EAGAIN otherwise. Consumes exactly 68. */
int tl_handshake_parse(const uint8_t *p, size_t len, struct tl_handshake *out, const char **why_out);

/*
 * An Azureus-style peer id "-TLmmnn-" + 12 characters from
 * [0-9A-Za-z._] chosen by rnd[0..12) (any bytes; each picks one character).
 * mmnn are the first four dotted numbers of version (e.g. "0.1.0" ->
 * "0100"), a number over 9 written as a letter (10 = 'A' ...).
 */
void tl_peer_id_make(const char *version, const uint8_t rnd[12], struct tl_peer_id *out);
/* tl_peer_id_make with PACKAGE_VERSION and 12 bytes from getrandom(2).
 * Returns TL_OK or TL_EIO (errno logged). */
int tl_peer_id_generate(struct tl_peer_id *out);

#endif
