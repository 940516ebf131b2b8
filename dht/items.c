/*
 * items.c: the BEP 44 client API and the re-put of our items. See
 * items.h; the item codec and checks are bep44.c's, the lookups
 * search.c's.
 */
#include "dht/items.h"

#include <stdlib.h>
#include <string.h>

#include "dht/bep44.h"
#include "dht/dht.h"
#include "dht/inst.h"
#include "dht/search.h"

/* An item of ours, re-put every BEP44_REPUT_MS. */
struct dht_own_item {
	struct bep44_op op;
	int af;
	int64_t next_ms;
};

void dht_items_clear(struct dht *d)
{
	free(d->own);
	d->own = NULL;
	d->nown = 0;
}

int dht_item_sign(struct dht_item *item, const uint8_t sk[64], uint8_t sig_out[64])
{
	if (!item || !sk || !item->v || !item->k ||
	    bep44_sign(sk, item->salt, item->salt_len, item->seq, item->v, item->v_len, sig_out) != 0)
		return DHT_EINVAL;
	item->is_mutable = true;
	item->sig = sig_out;
	return DHT_OK;
}

int dht_item_target(const struct dht *d, const struct dht_item *item, struct dht_id *target_out)
{
	if (!d || !item || !d->cfg.sha1 || !item->v || item->salt_len > BEP44_MAX_SALT)
		return DHT_EINVAL;
	if (item->is_mutable && !item->k)
		return DHT_EINVAL;
	if (item->is_mutable)
		bep44_target_mutable(d->cfg.sha1, d->cfg.ud, item->k, item->salt, item->salt_len,
		    target_out);
	else
		bep44_target_immutable(d->cfg.sha1, d->cfg.ud, item->v, item->v_len, target_out);
	return DHT_OK;
}

int dht_get_item(struct dht *d, const struct dht_id *target, const uint8_t *salt, size_t salt_len,
    int af, dht_item_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	if (!d || !target || !d->cfg.sha1 || salt_len > BEP44_MAX_SALT || (salt_len && !salt))
		return DHT_EINVAL;
	struct bep44_op *op = calloc(1, sizeof(*op));
	if (!op)
		return DHT_ENOMEM;
	op->target = *target;
	op->salt_len = salt_len;
	if (salt_len)
		memcpy(op->salt, salt, salt_len);
	op->cb = cb;
	op->ud = ud;
	return dht_search_begin(d, target, af, false, 0, false, NULL, NULL, false, op, NULL, now_ms,
	    search_id_out);
}

/* Start the lookup that puts a copy of op. */
static int put_op(struct dht *d, const struct bep44_op *src, int af, dht_item_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	struct bep44_op *op = malloc(sizeof(*op));
	if (!op)
		return DHT_ENOMEM;
	*op = *src;
	op->cb = cb;
	op->ud = ud;
	return dht_search_begin(d, &op->target, af, false, 0, false, NULL, NULL, false, op, NULL, now_ms,
	    search_id_out);
}

/* Remember an item of ours for the hourly re-put (the same target is
 * replaced: a newer seq supersedes the old value). */
static void keep_own(struct dht *d, const struct bep44_op *op, int af, int64_t now_ms)
{
	size_t i = 0;
	while (i < d->nown && (memcmp(d->own[i].op.target.b, op->target.b, 20) != 0 ||
	    d->own[i].af != af))
		i++;
	if (i == d->nown) {
		if (d->nown == DHT_MAX_OWN_ITEMS)
			return;
		struct dht_own_item *n = realloc(d->own, (d->nown + 1) * sizeof(*n));
		if (!n)
			return;
		d->own = n;
		d->nown++;
	}
	d->own[i].op = *op;
	d->own[i].op.cb = NULL;
	/* once stored, the seq held is the item's own: a re-put naming the
	 * old cas would be refused (301) by every node and let it expire */
	d->own[i].op.has_cas = false;
	d->own[i].af = af;
	d->own[i].next_ms = now_ms + BEP44_REPUT_MS;
}

void dht_items_reput(struct dht *d, int64_t now_ms)
{
	for (size_t i = 0; i < d->nown; i++) {
		if (now_ms < d->own[i].next_ms)
			continue;
		if (put_op(d, &d->own[i].op, d->own[i].af, NULL, NULL, now_ms, NULL) == DHT_OK)
			d->own[i].next_ms = now_ms + BEP44_REPUT_MS;
	}
}

int dht_put_item(struct dht *d, const struct dht_item *item, int af, dht_item_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	struct bep44_op op;
	if (!d || !item || !d->cfg.sha1)
		return DHT_EINVAL;
	memset(&op, 0, sizeof(op));
	if (bep44_op_set(&op, item) != 0 || dht_item_target(d, item, &op.target) != DHT_OK)
		return DHT_EINVAL;
	int rc = put_op(d, &op, af, cb, ud, now_ms, search_id_out);
	if (rc == DHT_OK)
		keep_own(d, &op, af, now_ms);
	return rc;
}
