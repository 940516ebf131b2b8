/* queue.c: see queue.h. */
#include "engine/queue.h"

size_t tl_queue_pick(const struct tl_queue_item *items, size_t n, const struct tl_queue_limits *lim,
    bool *start_out)
{
	size_t down = 0, seed = 0, picked = 0;
	for (size_t i = 0; i < n; i++)
		if (items[i].is_running)
			items[i].is_seed ? seed++ : down++;
	for (size_t i = 0; i < n; i++) {
		const struct tl_queue_item *it = &items[i];
		start_out[i] = false;
		if (!it->is_wanted || it->is_running)
			continue;
		size_t *count = it->is_seed ? &seed : &down;
		unsigned max = it->is_seed ? lim->max_seeds : lim->max_downloads;
		if (max && *count >= max)
			continue;
		(*count)++;
		start_out[i] = true;
		picked++;
	}
	return picked;
}
