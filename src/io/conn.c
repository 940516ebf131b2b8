/* conn.c: see conn.h. Dispatch to the transport, and the rate group. */
#include "io/conn.h"

#include <stdlib.h>

#include <event2/bufferevent.h>

#include "io/conn_impl.h"
#include "base/mem.h"

void tl_conn_free(struct tl_conn *c)
{
	if (c)
		c->vt->free(c);
}

void tl_conn_set_cbs(struct tl_conn *c, const struct tl_conn_cbs *cbs, void *arg)
{
	c->cbs = cbs;
	c->arg = arg;
}

void tl_conn_stop(struct tl_conn *c)
{
	c->cbs = NULL;
	c->vt->stop(c);
}

const struct sockaddr *tl_conn_remote(const struct tl_conn *c, socklen_t *len_out)
{
	*len_out = c->remote_len;
	return (const struct sockaddr *)&c->remote;
}

size_t tl_conn_in_len(const struct tl_conn *c)
{
	return c->vt->in_len(c);
}

const uint8_t *tl_conn_peek(struct tl_conn *c, size_t n)
{
	return c->vt->peek(c, n);
}

void tl_conn_take(struct tl_conn *c, void *dst, size_t n)
{
	c->vt->take(c, dst, n);
}

void tl_conn_drain(struct tl_conn *c, size_t n)
{
	c->vt->drain(c, n);
}

void tl_conn_write(struct tl_conn *c, const void *b, size_t n)
{
	c->vt->write(c, b, n);
}

void tl_conn_write_ref(struct tl_conn *c, const void *b, size_t n, tl_conn_unref_fn unref,
    void *arg)
{
	c->vt->write_ref(c, b, n, unref, arg);
}

size_t tl_conn_out_len(const struct tl_conn *c)
{
	return c->vt->out_len(c);
}

void tl_conn_set_read_max(struct tl_conn *c, size_t max)
{
	c->vt->set_read_max(c, max);
}

void tl_conn_set_write_low(struct tl_conn *c, size_t low)
{
	c->vt->set_write_low(c, low);
}

void tl_conn_set_reading(struct tl_conn *c, bool is_on)
{
	c->vt->set_reading(c, is_on);
}

void tl_conn_set_timeouts(struct tl_conn *c, int read_s, int write_s)
{
	c->vt->set_timeouts(c, read_s, write_s);
}

void tl_conn_set_rate_group(struct tl_conn *c, struct tl_rate_group *g)
{
	c->vt->set_rate_group(c, g);
}

/* ---- rate group ---- */

static size_t bucket_rate(uint64_t bps)
{
	return bps == 0 || bps > (uint64_t)EV_RATE_LIMIT_MAX ? (size_t)EV_RATE_LIMIT_MAX :
	    (size_t)bps;
}

struct tl_rate_group *tl_rate_group_new(struct event_base *base, uint64_t down_bps,
    uint64_t up_bps)
{
	struct tl_rate_group *g = tl_calloc(1, sizeof(*g));
	size_t r = bucket_rate(down_bps), w = bucket_rate(up_bps);
	g->cfg = ev_token_bucket_cfg_new(r, r, w, w, NULL);
	if (!g->cfg)
		abort();
	g->bev_group = bufferevent_rate_limit_group_new(base, g->cfg);
	if (!g->bev_group)
		abort();
	return g;
}

void tl_rate_group_set(struct tl_rate_group *g, uint64_t down_bps, uint64_t up_bps)
{
	size_t r = bucket_rate(down_bps), w = bucket_rate(up_bps);
	struct ev_token_bucket_cfg *cfg = ev_token_bucket_cfg_new(r, r, w, w, NULL);
	if (!cfg)
		abort();
	bufferevent_rate_limit_group_set_cfg(g->bev_group, cfg); /* copies it */
	ev_token_bucket_cfg_free(g->cfg);
	g->cfg = cfg;
}

void tl_rate_group_free(struct tl_rate_group *g)
{
	if (!g)
		return;
	bufferevent_rate_limit_group_free(g->bev_group);
	ev_token_bucket_cfg_free(g->cfg);
	free(g);
}
