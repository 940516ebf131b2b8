/*
 * mapview.h: read-only views of a file's bytes through a sliding mmap
 * window, for hashing data that is in the page cache without copying it
 * out (trackless create), and a SIGBUS guard that turns a file truncated
 * under its mapping into an error instead of a crash.
 *
 * Ownership: a view borrows the caller's descriptor and owns its mapping.
 * Threads: a view belongs to one thread; the guard is process-wide
 * (install/remove are counted and locked) and each thread's guarded call
 * jumps back only into itself.
 */
#ifndef TL_MAPVIEW_H
#define TL_MAPVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"

struct tl_mapview {
	int fd;            /* borrowed */
	uint64_t flen;     /* the file's length when the view was set up */
	const uint8_t *map; /* NULL when nothing is mapped */
	size_t map_len;
	uint64_t map_off; /* file offset of map[0], page aligned */
};

/* Set up a view of fd, whose length is flen; maps nothing yet. */
void tl_mapview_init(struct tl_mapview *v, int fd, uint64_t flen);

/* Pointer to bytes [off, off + n) of the file (off + n <= flen), valid until
 * the next call on v or tl_mapview_clear. Ranges that move forward reuse
 * the current window (TL_MAPVIEW_WINDOW bytes or more when n needs it).
 * NULL with errno set when the file cannot be mapped. */
const uint8_t *tl_mapview_get(struct tl_mapview *v, uint64_t off, size_t n);

/* Unmap; the descriptor stays the caller's. */
void tl_mapview_clear(struct tl_mapview *v);

/* Bytes mapped at once: large enough that unmapping (a TLB shootdown on
 * every core running the process) is rare, small enough for 32-bit hosts. */
#define TL_MAPVIEW_WINDOW (16u * 1024 * 1024)

/* Install the process-wide SIGBUS handler (counted: each install needs one
 * remove). Returns 0, or -1 with errno when sigaction fails. */
int tl_mapguard_install(void);
void tl_mapguard_remove(void);

/* Hash n bytes at p, which lie in a file mapping, into h. Returns 0, or -1
 * when the file was truncated under the mapping (the SIGBUS is caught and
 * h is left in an unspecified state: finalise and discard it). Needs the
 * guard installed; a SIGBUS anywhere else keeps its default action. */
int tl_mapguard_hash(struct tl_hash_ctx *h, const void *p, size_t n);

#endif
