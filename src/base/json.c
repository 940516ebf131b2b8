/*
 * json.c: the JSON writer (see json.h). The output always stays
 * NUL-terminated so a caller can print it at any point.
 */
#include "base/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

void tl_json_init(struct tl_json *j)
{
	memset(j, 0, sizeof(*j));
}

void tl_json_clear(struct tl_json *j)
{
	tl_str_clear(&j->out);
	tl_json_init(j);
}

char *tl_json_take(struct tl_json *j)
{
	char *p = tl_str_take(&j->out);
	tl_json_init(j);
	return p;
}

static void put(struct tl_json *j, const char *s, size_t n)
{
	tl_str_add(&j->out, s, n);
}

/* Separator before a value (or a key): a comma after a sibling. Inside an
 * object a value must follow its key. */
static void before_value(struct tl_json *j, bool is_key)
{
	if (j->depth > 0 && j->is_obj[j->depth] && j->has_key == is_key)
		abort(); /* a key where a value is due, or the reverse */
	if (j->has_key) {
		j->has_key = false;
		return;
	}
	if (j->want_comma[j->depth])
		put(j, ",", 1);
	j->want_comma[j->depth] = true;
}

static void open_level(struct tl_json *j, bool is_obj)
{
	before_value(j, false);
	if (j->depth == TL_JSON_MAX_DEPTH)
		abort();
	j->depth++;
	j->want_comma[j->depth] = false;
	j->is_obj[j->depth] = is_obj;
	put(j, is_obj ? "{" : "[", 1);
}

static void close_level(struct tl_json *j, bool is_obj)
{
	if (j->depth == 0 || j->is_obj[j->depth] != is_obj || j->has_key)
		abort();
	j->depth--;
	put(j, is_obj ? "}" : "]", 1);
}

void tl_json_begin_object(struct tl_json *j)
{
	open_level(j, true);
}

void tl_json_end_object(struct tl_json *j)
{
	close_level(j, true);
}

void tl_json_begin_array(struct tl_json *j)
{
	open_level(j, false);
}

void tl_json_end_array(struct tl_json *j)
{
	close_level(j, false);
}

static void put_string(struct tl_json *j, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	put(j, "\"", 1);
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		const char *esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default: break;
		}
		if (esc) {
			put(j, esc, 2);
			i++;
			continue;
		}
		size_t seq = c < 0x20 ? 0 : tl_utf8_seq_len(s + i, n - i);
		if (seq == 0) {
			/* a control character or a byte outside valid UTF-8 */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, u, 6);
			i++;
			continue;
		}
		put(j, (const char *)s + i, seq);
		i += seq;
	}
	put(j, "\"", 1);
}

void tl_json_key(struct tl_json *j, const char *k)
{
	if (j->depth == 0 || !j->is_obj[j->depth])
		abort();
	before_value(j, true);
	put_string(j, (const uint8_t *)k, strlen(k));
	put(j, ":", 1);
	j->has_key = true;
}

void tl_json_string(struct tl_json *j, const char *s)
{
	if (!s) {
		tl_json_null(j);
		return;
	}
	tl_json_string_n(j, s, strlen(s));
}

void tl_json_string_n(struct tl_json *j, const void *s, size_t n)
{
	before_value(j, false);
	put_string(j, s, n);
}

void tl_json_int(struct tl_json *j, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	before_value(j, false);
	put(j, b, (size_t)n);
}

void tl_json_bool(struct tl_json *j, bool v)
{
	before_value(j, false);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void tl_json_null(struct tl_json *j)
{
	before_value(j, false);
	put(j, "null", 4);
}
