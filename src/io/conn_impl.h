/*
 * conn_impl.h: what a transport implements behind conn.h. Included by the
 * transports (conn_tcp.c; an MSE or uTP stream next) and conn.c, never by
 * the users of a conn.
 *
 * A transport embeds struct tl_conn as the first member of its own
 * struct and fills vt; conn.c dispatches each tl_conn_* call through it.
 * The contracts are the ones in conn.h. A transport calls the owner back
 * with the conn_cb_* helpers below, which skip an unset callback.
 *
 * Thread: the loop thread only.
 */
#ifndef TL_CONN_IMPL_H
#define TL_CONN_IMPL_H

#include "io/conn.h"

struct bufferevent_rate_limit_group;
struct ev_token_bucket_cfg;

struct tl_conn_vt {
	void (*free)(struct tl_conn *c);
	void (*stop)(struct tl_conn *c);
	size_t (*in_len)(const struct tl_conn *c);
	const uint8_t *(*peek)(struct tl_conn *c, size_t n);
	void (*take)(struct tl_conn *c, void *dst, size_t n);
	void (*drain)(struct tl_conn *c, size_t n);
	void (*write)(struct tl_conn *c, const void *b, size_t n);
	void (*write_ref)(struct tl_conn *c, const void *b, size_t n, tl_conn_unref_fn unref,
	    void *arg);
	size_t (*out_len)(const struct tl_conn *c);
	void (*set_read_max)(struct tl_conn *c, size_t max);
	void (*set_write_low)(struct tl_conn *c, size_t low);
	void (*set_reading)(struct tl_conn *c, bool is_on);
	void (*set_timeouts)(struct tl_conn *c, int read_s, int write_s);
	void (*set_rate_group)(struct tl_conn *c, struct tl_rate_group *g);
};

struct tl_conn {
	const struct tl_conn_vt *vt;
	const struct tl_conn_cbs *cbs; /* NULL: none */
	void *arg;
	struct sockaddr_storage remote;
	socklen_t remote_len;
};

/* A session's budget. libevent meters bufferevents through its group;
 * a transport without a bufferevent draws from the same cfg rates. */
struct tl_rate_group {
	struct ev_token_bucket_cfg *cfg;
	struct bufferevent_rate_limit_group *bev_group;
};

static inline void conn_cb_read(struct tl_conn *c)
{
	if (c->cbs && c->cbs->on_read)
		c->cbs->on_read(c, c->arg);
}

static inline void conn_cb_writable(struct tl_conn *c)
{
	if (c->cbs && c->cbs->on_writable)
		c->cbs->on_writable(c, c->arg);
}

static inline void conn_cb_sent(struct tl_conn *c, size_t n)
{
	if (c->cbs && c->cbs->on_sent)
		c->cbs->on_sent(c, n, c->arg);
}

static inline void conn_cb_event(struct tl_conn *c, enum tl_conn_event ev, const char *reason)
{
	if (c->cbs && c->cbs->on_event)
		c->cbs->on_event(c, ev, reason, c->arg);
}

#endif
