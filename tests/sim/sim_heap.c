/*
 * sim_heap.c: binary min-heap of events (see sim_heap.h).
 */
#include "sim_heap.h"

#include <stdlib.h>

void sim_heap_init(struct sim_heap *h)
{
	h->v = NULL;
	h->len = 0;
	h->cap = 0;
	h->next_seq = 0;
}

void sim_heap_clear(struct sim_heap *h)
{
	if (!h)
		return;
	free(h->v);
	sim_heap_init(h);
}

static bool earlier(const struct sim_event *a, const struct sim_event *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

int sim_heap_push(struct sim_heap *h, const struct sim_event *ev)
{
	if (h->len == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 1024;
		struct sim_event *nv = realloc(h->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		h->v = nv;
		h->cap = ncap;
	}
	struct sim_event e = *ev;
	e.seq = h->next_seq++;
	size_t i = h->len++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!earlier(&e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = e;
	return 0;
}

bool sim_heap_pop(struct sim_heap *h, struct sim_event *ev_out)
{
	if (h->len == 0)
		return false;
	*ev_out = h->v[0];
	struct sim_event last = h->v[--h->len];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->len)
			break;
		if (c + 1 < h->len && earlier(&h->v[c + 1], &h->v[c]))
			c++;
		if (!earlier(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->len > 0)
		h->v[i] = last;
	return true;
}

uint64_t sim_heap_peek_time(const struct sim_heap *h)
{
	return h->len ? h->v[0].at : UINT64_MAX;
}
