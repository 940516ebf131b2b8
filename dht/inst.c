/*
 * inst.c: the primitives of a libdht instance: events, log lines,
 * randomness, families, datagrams and queries. See inst.h.
 */
#include "dht/inst.h"

#include <stdarg.h>
#include <stdio.h>

void dht_inst_emit(struct dht *d, const struct dht_event *ev)
{
	if (d->cfg.event)
		d->cfg.event(d->cfg.ud, ev);
}

void dht_inst_log(struct dht *d, enum dht_log_level lvl, const char *fmt, ...)
{
	if (!d->cfg.event)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct dht_event ev = { .type = DHT_EV_LOG, .level = lvl, .msg = line };
	dht_inst_emit(d, &ev);
}

void dht_inst_random(struct dht *d, void *p, size_t n)
{
	d->cfg.random(d->cfg.ud, p, n);
}

struct dht_fam *dht_inst_fam(struct dht *d, int af)
{
	if (af != AF_INET && af != AF_INET6)
		return NULL;
	struct dht_fam *f = &d->fam[dht_af_index(af)];
	return f->is_on ? f : NULL;
}

void dht_inst_send(struct dht *d, const struct dht_addr *to, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(to, &ss);
	if (len == 0 || len > KRPC_MAX_OUT_ITEM)
		return;
	if (d->cfg.send(d->cfg.ud, (const struct sockaddr *)&ss, sl, d->out, len) == 0) {
		d->st.packets_out++;
		d->st.bytes_out += len;
	}
}

struct dht_txn_query *dht_inst_query_open(struct dht *d, uint8_t tid[4], struct krpc_hdr *h)
{
	struct dht_txn_query *q = dht_txn_open(&d->txn);
	if (!q)
		return NULL;
	dht_inst_random(d, &q->rnd, sizeof(q->rnd));
	dht_txn_tid(&d->txn, q, tid);
	*h = (struct krpc_hdr){ .tid = tid, .tid_len = 4, .v = d->v,
		.is_read_only = d->cfg.is_read_only };
	return q;
}

int dht_inst_query_send(struct dht *d, struct dht_txn_query *q, const struct dht_addr *to,
    const struct dht_id *expect, enum krpc_method method, uint32_t search_id, int64_t now_ms,
    size_t len)
{
	if (len == 0) {
		dht_txn_close(&d->txn, q);
		return -1;
	}
	q->method = (uint8_t)method;
	q->to = *to;
	q->has_id = expect != NULL;
	if (expect)
		q->id = *expect;
	q->sent_ms = now_ms;
	q->search_id = search_id;
	d->st.queries_out++;
	dht_inst_send(d, to, len);
	return 0;
}

int dht_inst_query(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    const struct krpc_query *q, uint32_t search_id, int64_t now_ms)
{
	uint8_t tid[4];
	struct krpc_hdr h;
	struct dht_txn_query *t = dht_inst_query_open(d, tid, &h);
	if (!t)
		return -1;
	return dht_inst_query_send(d, t, to, expect, q->method, search_id, now_ms,
	    krpc_encode_query(&h, q, d->out, sizeof(d->out)));
}

void dht_inst_ping(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    bool is_retried, int64_t now_ms)
{
	struct dht_fam *f = dht_inst_fam(d, to->family);
	if (!f)
		return;
	struct krpc_query q = { .method = KRPC_PING, .id = &f->id };
	uint8_t tid[4];
	struct krpc_hdr h;
	struct dht_txn_query *t = dht_inst_query_open(d, tid, &h);
	if (!t || dht_inst_query_send(d, t, to, expect, q.method, 0, now_ms,
	    krpc_encode_query(&h, &q, d->out, sizeof(d->out))) != 0)
		return;
	t->is_retried = is_retried;
	rtable_pinged(&f->rt, to, now_ms);
}
