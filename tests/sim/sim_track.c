/*
 * sim_track.c: lookup measurement from observed datagrams (sim_track.h).
 * Lookups are kept in per-origin lists so a datagram costs one array
 * look-up unless its sender or receiver runs a tracked lookup.
 */
#include "sim_track.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "krpc_msg.h"

#define TRACK_MAX_TID 8

struct seen {
	uint32_t node;
	uint16_t hop;
	bool is_pending;
	bool has_responded;
	bool is_announced;
	uint8_t tid_len;
	uint8_t tid[TRACK_MAX_TID];
};

struct sim_lookup {
	uint32_t origin;
	struct dht_id target;
	int64_t start_ms, first_values_ms, done_ms;
	unsigned rpcs, announces;
	unsigned values_hop;
	struct seen *v;
	size_t n, cap;
	struct sim_lookup *next_by_origin;
	struct sim_lookup *next_all;
};

struct sim_track {
	struct sim *s;
	struct sim_lookup **by_origin;
	size_t n_origin;
	struct sim_lookup *all;
};

static void observe(void *ud, struct sim *s, uint32_t from, uint32_t to, const uint8_t *p,
    size_t len);

struct sim_track *sim_track_new(struct sim *s)
{
	struct sim_track *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->s = s;
	sim_set_observer(s, observe, t);
	return t;
}

void sim_track_free(struct sim_track *t)
{
	if (!t)
		return;
	sim_set_observer(t->s, NULL, NULL);
	while (t->all) {
		struct sim_lookup *l = t->all;
		t->all = l->next_all;
		free(l->v);
		free(l);
	}
	free(t->by_origin);
	free(t);
}

static struct sim_lookup *origin_list(const struct sim_track *t, uint32_t node)
{
	return node < t->n_origin ? t->by_origin[node] : NULL;
}

struct sim_lookup *sim_track_begin(struct sim_track *t, uint32_t origin, const struct dht_id *target)
{
	if (origin >= t->n_origin) {
		size_t n = sim_count(t->s) > origin ? sim_count(t->s) : origin + 1;
		struct sim_lookup **nv = realloc(t->by_origin, n * sizeof(*nv));
		if (!nv)
			return NULL;
		memset(nv + t->n_origin, 0, (n - t->n_origin) * sizeof(*nv));
		t->by_origin = nv;
		t->n_origin = n;
	}
	struct sim_lookup *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->origin = origin;
	l->target = *target;
	l->start_ms = sim_now_ms(t->s);
	l->first_values_ms = -1;
	l->done_ms = -1;
	l->next_by_origin = t->by_origin[origin];
	t->by_origin[origin] = l;
	l->next_all = t->all;
	t->all = l;
	return l;
}

void sim_track_values(struct sim_track *t, struct sim_lookup *l)
{
	if (l->first_values_ms < 0)
		l->first_values_ms = sim_now_ms(t->s);
}

void sim_track_done(struct sim_track *t, struct sim_lookup *l)
{
	if (l->done_ms < 0)
		l->done_ms = sim_now_ms(t->s);
}

static struct seen *find_seen(const struct sim_lookup *l, uint32_t node)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].node == node)
			return &l->v[i];
	return NULL;
}

static struct seen *add_seen(struct sim_lookup *l, uint32_t node, unsigned hop)
{
	struct seen *e = find_seen(l, node);
	if (e)
		return e;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct seen *nv = realloc(l->v, ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->node = node;
	e->hop = (uint16_t)hop;
	return e;
}

static void on_query(struct sim_lookup *l, uint32_t to, const struct krpc_info *k)
{
	if (k->method == KRPC_M_ANNOUNCE_PEER) {
		l->announces++;
		struct seen *e = add_seen(l, to, 1);
		if (e)
			e->is_announced = true;
		return;
	}
	if (k->method != KRPC_M_GET_PEERS && k->method != KRPC_M_FIND_NODE)
		return;
	l->rpcs++;
	struct seen *e = add_seen(l, to, 1);
	if (!e || k->tid_len > TRACK_MAX_TID)
		return;
	e->is_pending = true;
	e->tid_len = (uint8_t)k->tid_len;
	memcpy(e->tid, k->tid, k->tid_len);
}

/* A reply from `from` to the origin of l; true when it answered l. */
static bool on_reply(struct sim *s, struct sim_lookup *l, uint32_t from, const struct krpc_info *k)
{
	struct seen *e = find_seen(l, from);
	if (!e || !e->is_pending || e->tid_len != k->tid_len || memcmp(e->tid, k->tid, k->tid_len) != 0)
		return false;
	e->is_pending = false;
	e->has_responded = true;
	unsigned hop = e->hop;
	if (k->n_values > 0 && l->values_hop == 0)
		l->values_hop = hop;
	for (size_t i = 0; i < k->n_nodes; i++) {
		const uint8_t *c = k->nodes + i * 26 + 20;
		uint32_t ip;
		uint16_t port;
		memcpy(&ip, c, 4);
		memcpy(&port, c + 4, 2);
		uint32_t n = sim_find(s, ip, port);
		if (n != SIM_NONE && n != l->origin)
			add_seen(l, n, hop + 1);
	}
	return true;
}

static void observe(void *ud, struct sim *s, uint32_t from, uint32_t to, const uint8_t *p,
    size_t len)
{
	struct sim_track *t = ud;
	struct sim_lookup *as_origin = origin_list(t, from);
	struct sim_lookup *as_peer = to != SIM_NONE ? origin_list(t, to) : NULL;
	if (!as_origin && !as_peer)
		return;
	struct krpc_info k;
	if (!krpc_inspect(p, len, &k))
		return;
	if (k.kind == KRPC_QUERY && as_origin && k.target && to != SIM_NONE) {
		for (struct sim_lookup *l = as_origin; l; l = l->next_by_origin)
			if (memcmp(l->target.b, k.target, 20) == 0)
				on_query(l, to, &k);
	} else if (k.kind == KRPC_REPLY && as_peer) {
		for (struct sim_lookup *l = as_peer; l; l = l->next_by_origin)
			if (on_reply(s, l, from, &k))
				break;
	}
}

size_t sim_closest(struct sim *s, const struct dht_id *target, unsigned k, uint32_t *out)
{
	size_t n = 0;
	for (uint32_t i = 0; i < sim_count(s); i++) {
		/* a node behind NAT cannot answer a query it did not ask for,
		 * so it is never among the nodes a lookup can reach */
		if (!sim_is_alive(s, i) || sim_is_nat(s, i))
			continue;
		const struct dht_id *id = sim_id(s, i);
		/* insertion into a sorted array of at most k */
		size_t pos = n;
		while (pos > 0 && dht_id_cmp_dist(target, id, sim_id(s, out[pos - 1])) < 0)
			pos--;
		if (pos >= k)
			continue;
		size_t last = n < k ? n : k - 1;
		memmove(out + pos + 1, out + pos, (last - pos) * sizeof(*out));
		out[pos] = i;
		if (n < k)
			n++;
	}
	return n;
}

void sim_track_result(struct sim_track *t, const struct sim_lookup *l, unsigned k,
    struct sim_lookup_result *out)
{
	uint32_t best[16];
	if (k > 16)
		k = 16;
	size_t nb = sim_closest(t->s, &l->target, k, best);
	memset(out, 0, sizeof(*out));
	out->start_ms = l->start_ms;
	out->first_values_ms = l->first_values_ms;
	out->done_ms = l->done_ms;
	out->rpcs = l->rpcs;
	out->announces = l->announces;
	const struct seen *closest = NULL;
	for (size_t i = 0; i < l->n; i++) {
		const struct seen *e = &l->v[i];
		if (!e->has_responded)
			continue;
		out->responders++;
		if (!closest || dht_id_cmp_dist(&l->target, sim_id(t->s, e->node), sim_id(t->s, closest->node)) < 0)
			closest = e;
	}
	out->hops = l->values_hop ? l->values_hop : closest ? closest->hop : 0;
	for (size_t j = 0; j < nb; j++) {
		const struct seen *e = find_seen(l, best[j]);
		if (e && e->has_responded)
			out->closest_responded++;
		if (e && e->is_announced)
			out->closest_announced++;
	}
}
