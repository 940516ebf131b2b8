/*
 * mem.h: allocation helpers for the client. Out of memory aborts: no size
 * reaching these functions comes from the network uncapped (bounds.h).
 * libdht does not use these; it returns DHT_ENOMEM instead.
 */
#ifndef TL_MEM_H
#define TL_MEM_H

#include <stddef.h>

void *tl_malloc(size_t n);
void *tl_calloc(size_t n, size_t size);
void *tl_realloc(void *p, size_t n);
/* realloc of an array: aborts if n * size overflows. */
void *tl_reallocarray(void *p, size_t n, size_t size);
/* n bytes aligned to align (a power of two, a multiple of sizeof(void *));
 * released with free(). */
void *tl_malloc_aligned(size_t align, size_t n);
char *tl_strdup(const char *s);
char *tl_strndup(const char *s, size_t n);

#endif
