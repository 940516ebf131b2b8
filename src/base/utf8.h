/*
 * utf8.h: UTF-8 validation (RFC 3629) shared by the metainfo parser (which
 * prefers `path.utf-8` only when it is valid) and the JSON writer (which
 * escapes bytes that are not). Rejects overlong forms, surrogates and code
 * points above U+10FFFF. Pure functions; any thread.
 */
#ifndef TL_UTF8_H
#define TL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence starting at p[0], or 0 when
 * the bytes at p do not start one. len is the number of bytes available. */
size_t tl_utf8_seq_len(const uint8_t *p, size_t len);

/* True when p[0..len) is entirely valid UTF-8. */
bool tl_utf8_valid(const uint8_t *p, size_t len);

#endif
