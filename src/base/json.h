/*
 * json.h: a small JSON writer for --json output (RFC 8259). Values go into
 * a growing buffer; commas are tracked per nesting level, so callers only
 * say what comes next. Strings are written as UTF-8: valid sequences are
 * kept, control characters, '"' and '\' are escaped, and each byte that is
 * not part of valid UTF-8 becomes \u00XX of that byte, so any C string
 * (a file name from a torrent, say) yields valid JSON.
 *
 * Misuse (a value where a key is due, closing more than was opened,
 * nesting deeper than TL_JSON_MAX_DEPTH) is a programmer error and aborts.
 * One writer per thread.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/str.h"

#define TL_JSON_MAX_DEPTH 32

struct tl_json {
	struct tl_str out; /* the text so far, NUL-terminated, owned */
	unsigned depth;
	bool want_comma[TL_JSON_MAX_DEPTH + 1]; /* a value was written at this level */
	bool is_obj[TL_JSON_MAX_DEPTH + 1];
	bool has_key;  /* a key was written and its value is due */
};

void tl_json_init(struct tl_json *j);
void tl_json_clear(struct tl_json *j);
/* Hands the output over (caller frees) and resets j to empty. */
char *tl_json_take(struct tl_json *j);

void tl_json_begin_object(struct tl_json *j);
void tl_json_end_object(struct tl_json *j);
void tl_json_begin_array(struct tl_json *j);
void tl_json_end_array(struct tl_json *j);
/* A member name inside an object; the next call writes its value. */
void tl_json_key(struct tl_json *j, const char *k);
/* A string value; NULL writes null. */
void tl_json_string(struct tl_json *j, const char *s);
void tl_json_string_n(struct tl_json *j, const void *s, size_t n);
void tl_json_int(struct tl_json *j, int64_t v);
void tl_json_bool(struct tl_json *j, bool v);
void tl_json_null(struct tl_json *j);

#endif
