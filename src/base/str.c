/* str.c: the growing string (see str.h); capacity doubles, so appends are
 * amortised O(1). */
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

void tl_str_add(struct tl_str *b, const void *s, size_t n)
{
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 128;
		while (cap - b->len < n + 1)
			cap *= 2;
		b->p = tl_realloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void tl_str_cstr(struct tl_str *b, const char *s)
{
	tl_str_add(b, s, strlen(s));
}

char *tl_str_take(struct tl_str *b)
{
	char *p = b->p ? b->p : tl_strdup("");
	memset(b, 0, sizeof(*b));
	return p;
}

void tl_str_clear(struct tl_str *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
