/*
 * fdlimit.h: the process's file descriptors against RLIMIT_NOFILE.
 *
 * A process out of descriptors cannot open a piece's file nor save its
 * resume file, and an accept that fails for want of one is retried at once
 * by the event loop. So the session opens peer sockets (accepted or
 * dialed) only while TL_FD_RESERVE (bounds.h) descriptors stay free, and
 * the front ends raise the soft limit to the hard one at start.
 *
 * The count in use is listed from /proc/self/fd by tl_fdlimit_refresh
 * (from the session's tick: once a second while half the limit is in use,
 * else every TL_FDLIMIT_QUIET_MS, for a listing of thousands of entries
 * costs the kernel time); each socket granted since is added
 * to it and none closed is taken off, so between two listings the count
 * errs high, never low. Without /proc nothing is counted and nothing
 * refused (the listener still backs off when accept fails: listener.h).
 *
 * Owned by the session (embedded); torrents and the metadata fetch borrow
 * it through their context. Thread: the loop thread.
 */
#ifndef TL_FDLIMIT_H
#define TL_FDLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/log.h"

struct tl_fdlimit {
	unsigned limit;  /* the soft RLIMIT_NOFILE; 0: unknown, nothing refused */
	unsigned in_use; /* listed at the last refresh, plus sockets granted since */
	struct tl_log_limit refused_log; /* refusals: once a minute */
	uint64_t listed_ms;              /* the last listing (monotonic ms) */
};

/* How often the count is listed while less than half the limit is used. */
#define TL_FDLIMIT_QUIET_MS 30000u

/* Raise the soft RLIMIT_NOFILE to the hard limit (capped at what the
 * kernel allows one process), logging the outcome at info level. A
 * failure is logged and otherwise ignored: the old limit stays. */
void tl_fdlimit_raise(void);

/* Read the limit and count the descriptors in use. */
void tl_fdlimit_init(struct tl_fdlimit *f);
/* The same, again (the count drifts high between two). */
void tl_fdlimit_refresh(struct tl_fdlimit *f);
/* tl_fdlimit_refresh when due (tl_fdlimit_is_due); the session's tick. */
void tl_fdlimit_tick(struct tl_fdlimit *f);
/* Pure rule: a listing is due while in_use reaches half of limit (or the
 * limit is unknown), else once TL_FDLIMIT_QUIET_MS passed since the last. */
bool tl_fdlimit_is_due(unsigned in_use, unsigned limit, uint64_t since_ms);

/* May one more socket be opened (or an accepted one kept)? When true it is
 * counted; when false the refusal is logged (at most once a minute, with
 * the count of those since). f NULL (a context without a session):
 * always true. */
bool tl_fdlimit_take(struct tl_fdlimit *f);

/* Sockets that may still be opened with in_use of limit descriptors in
 * use, keeping min(TL_FD_RESERVE, limit / 2) free. Pure. */
unsigned tl_fdlimit_room(unsigned in_use, unsigned limit);

#endif
