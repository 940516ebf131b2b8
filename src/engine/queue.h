/*
 * queue.h: which waiting torrents may start (the session's queue). At
 * most max_downloads torrents download and max_seeds seed at once (0: no
 * limit); a torrent that wants to run waits for a free place of its kind,
 * in the order torrents were added. Pure: the session passes each
 * torrent's state and starts the ones picked.
 *
 * The limits apply when a torrent starts: one that completes while
 * running keeps its place as a seed.
 */
#ifndef TL_ENGINE_QUEUE_H
#define TL_ENGINE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct tl_queue_item {
	bool is_wanted;   /* should run (added or started, not stopped by the user) */
	bool is_running;
	bool is_seed;     /* complete, or seeding existing data */
};

struct tl_queue_limits {
	unsigned max_downloads; /* 0: no limit */
	unsigned max_seeds;     /* 0: no limit */
};

/*
 * Mark in start_out[i] the items to start now: wanted, not running, and
 * within the limits counting those running. Returns how many.
 */
size_t tl_queue_pick(const struct tl_queue_item *items, size_t n, const struct tl_queue_limits *lim,
    bool *start_out);

#endif
