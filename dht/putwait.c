/*
 * putwait.c: announces and BEP 44 puts waiting for their answers. See
 * putwait.h.
 */
#include "dht/putwait.h"

#include <stdlib.h>

#include "dht/inst.h"

static struct dht_putwait *find(const struct dht *d, uint32_t id, bool by_search_id,
    size_t *idx_out)
{
	for (size_t i = 0; i < d->npw; i++) {
		if ((by_search_id ? d->pw[i].search_id : d->pw[i].id) == id) {
			if (idx_out)
				*idx_out = i;
			return &d->pw[i];
		}
	}
	return NULL;
}

bool dht_putwait_reserve(struct dht *d)
{
	struct dht_putwait *grown = realloc(d->pw, (d->npw + 1) * sizeof(*grown));
	if (!grown)
		return false;
	d->pw = grown;
	return true;
}

void dht_putwait_add(struct dht *d, const struct dht_putwait *w)
{
	d->pw[d->npw++] = *w;
}

bool dht_putwait_has(const struct dht *d, uint32_t id)
{
	return find(d, id, false, NULL) != NULL;
}

void dht_putwait_report(const struct bep44_op *op, uint32_t search_id,
    const struct dht_put_report *rep)
{
	struct dht_item it;
	bep44_op_item(op, &it);
	if (op->cb)
		op->cb(op->ud, search_id, &op->target, &it, rep);
}

void dht_putwait_answered(struct dht *d, uint32_t id, int64_t code)
{
	size_t idx;
	struct dht_putwait *w = id ? find(d, id, false, &idx) : NULL;
	if (!w)
		return;
	bep44_report_add(&w->rep, code);
	if (--w->outstanding > 0)
		return;
	struct dht_putwait done = *w;
	d->pw[idx] = d->pw[--d->npw]; /* removed before the callback, which may call in */
	if (!done.op) {
		struct dht_event ev = { .type = DHT_EV_ANNOUNCE_DONE, .af = done.af,
			.search_id = done.search_id, .count = done.rep.stored };
		dht_inst_emit(d, &ev);
		return;
	}
	dht_putwait_report(done.op, done.search_id, &done.rep);
	free(done.op);
}

bool dht_putwait_cancel(struct dht *d, uint32_t search_id)
{
	size_t idx;
	struct dht_putwait *w = find(d, search_id, true, &idx);
	if (!w)
		return false;
	free(w->op);
	d->pw[idx] = d->pw[--d->npw];
	return true;
}

void dht_putwait_clear(struct dht *d)
{
	for (size_t i = 0; i < d->npw; i++)
		free(d->pw[i].op);
	free(d->pw);
	d->pw = NULL;
	d->npw = 0;
}
