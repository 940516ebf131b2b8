/*
 * sim_heap.h: the simulator's event queue, a binary min-heap ordered by
 * virtual time in microseconds, ties broken by insertion order so a run is
 * deterministic. An event is a small value (kind, node, a 32-bit argument
 * and an owned payload pointer); the heap never looks inside the payload.
 * Single-threaded; owned by struct sim.
 */
#ifndef TL_SIM_HEAP_H
#define TL_SIM_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_event {
	uint64_t at;  /* virtual time, microseconds */
	uint64_t seq; /* insertion order: the tie breaker */
	uint32_t kind;
	uint32_t node;
	uint64_t arg;
	void *data; /* owned by whoever pops the event */
};

struct sim_heap {
	struct sim_event *v;
	size_t len;
	size_t cap;
	uint64_t next_seq;
};

void sim_heap_init(struct sim_heap *h);
/* Frees the array; payloads still queued are the caller's to free first
 * (pop them). */
void sim_heap_clear(struct sim_heap *h);
/* Queues ev (its seq is assigned here). Returns -1 on out of memory. */
int sim_heap_push(struct sim_heap *h, const struct sim_event *ev);
/* Removes the earliest event into *ev_out; false when empty. */
bool sim_heap_pop(struct sim_heap *h, struct sim_event *ev_out);
/* Time of the earliest event, or UINT64_MAX when empty. */
uint64_t sim_heap_peek_time(const struct sim_heap *h);

#endif
