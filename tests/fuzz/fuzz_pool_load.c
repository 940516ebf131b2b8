/* fuzz_pool_load.c: the saved-pool reader of trackless-node (dht_pool_load).
 * Any input is either refused or loaded within the pool's capacity (a
 * record may replace an earlier one of the same source, so the pool holds
 * at most what was accepted); what was loaded saves and loads again to the
 * same verified nodes, and saving the reload gives as many bytes. */
#include <stdlib.h>
#include <string.h>

#include "dht/pool.h"
#include "fuzz.h"

struct cursor {
	const uint8_t *p;
	size_t len, pos;
	uint8_t *out;
	size_t out_len, out_cap;
};

static int rd(void *ud, void *buf, size_t len)
{
	struct cursor *c = ud;
	if (len > c->len - c->pos)
		return -1;
	memcpy(buf, c->p + c->pos, len);
	c->pos += len;
	return 0;
}

static int wr(void *ud, const void *buf, size_t len)
{
	struct cursor *c = ud;
	if (c->out_len + len > c->out_cap) {
		size_t cap = (c->out_len + len) * 2;
		uint8_t *n = realloc(c->out, cap);
		if (!n)
			abort();
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
	return 0;
}

static struct dht_pool *mk(void)
{
	struct dht_pool_config cfg = {
		.max_bytes = 1 << 15, .ping_delay_s = 10, .refresh_s = 100, .ping_timeout_s = 20,
		.check_bep42 = true,
	};
	struct dht_pool *p = dht_pool_new(&cfg);
	if (!p)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dht_pool *p = mk(), *q = mk();
	struct cursor c = { .p = data, .len = size };
	struct dht_pool_stats a, b;
	size_t loaded = 0, reloaded = 0;
	dht_pool_load(p, 5000, rd, &c, &loaded);
	dht_pool_get_stats(p, &a);
	if (a.verified[0] > a.capacity[0] || a.verified[1] > a.capacity[1] ||
	    a.verified[0] + a.verified[1] > loaded || a.unverified[0] + a.unverified[1] != 0)
		abort();
	if (dht_pool_save(p, 5000, wr, &c) != 0)
		abort();
	struct cursor c2 = { .p = c.out, .len = c.out_len };
	if (dht_pool_load(q, 5000, rd, &c2, &reloaded) != 0 || c2.pos != c2.len)
		abort();
	dht_pool_get_stats(q, &b);
	if (b.verified[0] != a.verified[0] || b.verified[1] != a.verified[1] ||
	    reloaded != a.verified[0] + a.verified[1])
		abort();
	struct cursor c3 = { 0 };
	if (dht_pool_save(q, 5000, wr, &c3) != 0 || c3.out_len != c.out_len)
		abort();
	free(c.out);
	free(c3.out);
	dht_pool_free(p);
	dht_pool_free(q);
	return 0;
}
