/*
 * utf8.c: UTF-8 validation, table-free: the lead byte fixes the sequence
 * length and the allowed range of the second byte (RFC 3629 section 4),
 * which is what excludes overlong forms, surrogates and > U+10FFFF.
 */
#include "base/utf8.h"

size_t tl_utf8_seq_len(const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	uint8_t c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n > len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

bool tl_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;
	while (i < len) {
		size_t n = tl_utf8_seq_len(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
