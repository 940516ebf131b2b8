/* handshake.c: the BEP 3 handshake (see handshake.h). */
#include "proto/handshake.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "base/err.h"
#include "base/log.h"

static const char pstr[] = "\x13" "BitTorrent protocol"; /* 20 bytes */

void tl_handshake_reserved(unsigned flags, uint8_t reserved_out[8])
{
	memset(reserved_out, 0, 8);
	if (flags & TL_HS_F_EXTENDED)
		reserved_out[5] |= 0x10;
	if (flags & TL_HS_F_FAST)
		reserved_out[7] |= 0x04;
	if (flags & TL_HS_F_DHT)
		reserved_out[7] |= 0x01;
}

unsigned tl_handshake_flags(const uint8_t reserved[8])
{
	unsigned f = 0;
	if (reserved[5] & 0x10)
		f |= TL_HS_F_EXTENDED;
	if (reserved[7] & 0x04)
		f |= TL_HS_F_FAST;
	if (reserved[7] & 0x01)
		f |= TL_HS_F_DHT;
	return f;
}

void tl_handshake_build(const struct tl_handshake *hs, uint8_t out[TL_HANDSHAKE_LEN])
{
	memcpy(out, pstr, 20);
	memcpy(out + 20, hs->reserved, 8);
	memcpy(out + 28, hs->infohash.b, 20);
	memcpy(out + 48, hs->peer_id.b, 20);
}

int tl_handshake_parse_prefix(const uint8_t *p, size_t len, struct tl_handshake *out, const char **why_out)
{
	/* Check what has arrived so far, so garbage (or an encrypted stream we
	 * do not speak) is refused on its first byte. */
	size_t n = len < 20 ? len : 20;
	if (n > 0 && p[0] != 19) {
		*why_out = "handshake: protocol string length is not 19";
		return TL_EINVAL;
	}
	if (n > 1 && memcmp(p + 1, pstr + 1, n - 1) != 0) {
		*why_out = "handshake: protocol string is not \"BitTorrent protocol\"";
		return TL_EINVAL;
	}
	if (len < TL_HANDSHAKE_PREFIX_LEN)
		return TL_EAGAIN;
	memcpy(out->reserved, p + 20, 8);
	memcpy(out->infohash.b, p + 28, 20);
	return TL_OK;
}

int tl_handshake_parse(const uint8_t *p, size_t len, struct tl_handshake *out, const char **why_out)
{
	int rc = tl_handshake_parse_prefix(p, len, out, why_out);
	if (rc != TL_OK)
		return rc;
	if (len < TL_HANDSHAKE_LEN)
		return TL_EAGAIN;
	memcpy(out->peer_id.b, p + 48, 20);
	return TL_OK;
}

/* 64 characters, so a random byte maps to one with no bias (b & 63). */
static const char id_chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";

void tl_peer_id_make(const char *version, const uint8_t rnd[12], struct tl_peer_id *out)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint8_t *b = out->b;
	memcpy(b, "-TL0000-", 8);
	const char *s = version;
	for (int part = 0; part < 4 && *s; part++) {
		unsigned v = 0;
		while (*s >= '0' && *s <= '9') {
			if (v < 100)
				v = v * 10 + (unsigned)(*s - '0');
			s++;
		}
		b[3 + part] = (uint8_t)digits[v < 36 ? v : 35];
		while (*s && *s != '.')
			s++;
		if (*s == '.')
			s++;
	}
	for (int i = 0; i < 12; i++)
		b[8 + i] = (uint8_t)id_chars[rnd[i] & 63];
}

int tl_peer_id_generate(struct tl_peer_id *out)
{
	uint8_t rnd[12];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		tl_err("getrandom: %s", strerror(errno));
		return TL_EIO;
	}
	tl_peer_id_make(PACKAGE_VERSION, rnd, out);
	return TL_OK;
}
