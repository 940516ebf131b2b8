/*
 * str.h: a growing, always NUL-terminated byte string on the heap, for
 * text the client builds (magnet links, JSON). Out of memory aborts
 * (mem.h); lengths here come from our own output, never from a peer
 * unchecked. One owner; any thread.
 */
#ifndef TL_STR_H
#define TL_STR_H

#include <stddef.h>

struct tl_str {
	char *p;    /* NULL until the first append, then NUL-terminated */
	size_t len; /* bytes before the NUL */
	size_t cap;
};

/* Append n bytes of s (which may hold NULs). */
void tl_str_add(struct tl_str *b, const void *s, size_t n);
/* Append a C string. */
void tl_str_cstr(struct tl_str *b, const char *s);
/* Hand the text over (never NULL; caller frees) and reset b to empty. */
char *tl_str_take(struct tl_str *b);
/* Free the text and reset b to empty; b may be zeroed or used. */
void tl_str_clear(struct tl_str *b);

#endif
