/* mem.c: aborting allocators (see mem.h). */
#include "base/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "trackless: out of memory (%zu bytes)\n", n);
	abort();
}

void *tl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *tl_malloc_aligned(size_t align, size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, align, n ? n : 1) != 0)
		oom(n);
	return p;
}

void *tl_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *tl_realloc(void *p, size_t n)
{
	void *np = realloc(p, n ? n : 1);
	if (!np)
		oom(n);
	return np;
}

void *tl_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		oom(SIZE_MAX);
	return tl_realloc(p, n * size);
}

char *tl_strdup(const char *s)
{
	return tl_strndup(s, strlen(s));
}

char *tl_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = tl_malloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
