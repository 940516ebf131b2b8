/*
 * txn.c: the table of outstanding queries and the RTT window behind the
 * adaptive short timeout. See txn.h.
 */
#include "dht/txn.h"

#include <stdlib.h>
#include <string.h>

/* Short (stall) timeout bounds. */
#define SHORT_MIN_MS 150
#define SHORT_MAX_MS 2000

void dht_txn_init(struct dht_txn *t)
{
	memset(t, 0, sizeof(*t));
}

void dht_txn_clear(struct dht_txn *t)
{
	free(t->q);
	t->q = NULL;
	t->n = t->used = t->cursor = 0;
}

struct dht_txn_query *dht_txn_open(struct dht_txn *t)
{
	if (t->used * 2 >= t->n && t->n < DHT_TXN_MAX) {
		size_t nn = t->n ? t->n * 2 : DHT_TXN_MIN;
		struct dht_txn_query *p = realloc(t->q, nn * sizeof(*p));
		if (p) {
			memset(p + t->n, 0, (nn - t->n) * sizeof(*p));
			t->q = p;
			t->n = nn;
		}
	}
	for (size_t k = 0; k < t->n; k++) {
		size_t i = (t->cursor + k) % t->n;
		if (!t->q[i].is_used) {
			t->cursor = (i + 1) % t->n;
			t->used++;
			memset(&t->q[i], 0, sizeof(t->q[i]));
			t->q[i].is_used = true;
			return &t->q[i];
		}
	}
	return NULL;
}

void dht_txn_tid(const struct dht_txn *t, const struct dht_txn_query *q, uint8_t tid_out[4])
{
	uint16_t slot = (uint16_t)(q - t->q);
	tid_out[0] = (uint8_t)(slot >> 8), tid_out[1] = (uint8_t)slot;
	tid_out[2] = (uint8_t)(q->rnd >> 8), tid_out[3] = (uint8_t)q->rnd;
}

void dht_txn_close(struct dht_txn *t, struct dht_txn_query *q)
{
	q->is_used = false;
	t->used--;
}

struct dht_txn_query *dht_txn_match(struct dht_txn *t, const uint8_t *tid, size_t tid_len,
    const struct dht_addr *from)
{
	if (tid_len != 4)
		return NULL;
	size_t slot = (size_t)tid[0] << 8 | tid[1];
	uint16_t r = (uint16_t)(tid[2] << 8 | tid[3]);
	if (slot >= t->n)
		return NULL;
	struct dht_txn_query *q = &t->q[slot];
	if (!q->is_used || q->rnd != r || !dht_addr_eq(&q->to, from))
		return NULL;
	return q;
}

enum dht_txn_due dht_txn_next_due(struct dht_txn *t, int64_t now_ms, size_t *pos,
    struct dht_txn_query *out)
{
	while (*pos < t->n) {
		struct dht_txn_query *q = &t->q[*pos];
		if (q->is_used && q->is_retried && now_ms - q->sent_ms >= DHT_TXN_RETRY_MS) {
			/* the first query stays outstanding: either answer will do */
			q->is_retried = false;
			*out = *q;
			return DHT_TXN_RESEND;
		}
		(*pos)++;
		if (!q->is_used || now_ms - q->sent_ms < DHT_TXN_TIMEOUT_MS)
			continue;
		*out = *q;
		dht_txn_close(t, q);
		return DHT_TXN_EXPIRED;
	}
	return DHT_TXN_NONE;
}

/* At most a quarter in use, none of it in the upper half: a slot number
 * is part of every outstanding transaction id, so used slots never move. */
void dht_txn_shrink(struct dht_txn *t)
{
	while (t->n > DHT_TXN_MIN && t->used * 4 <= t->n) {
		size_t half = t->n / 2;
		for (size_t i = half; i < t->n; i++) {
			if (t->q[i].is_used)
				return;
		}
		struct dht_txn_query *p = realloc(t->q, half * sizeof(*p));
		if (!p)
			return;
		t->q = p;
		t->n = half;
		t->cursor %= half;
	}
}

bool dht_txn_has_family(const struct dht_txn *t, int af)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->q[i].is_used && t->q[i].to.family == af)
			return true;
	return false;
}

int64_t dht_txn_wakeup(const struct dht_txn *t, int64_t next)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->q[i].is_used && t->q[i].sent_ms + DHT_TXN_TIMEOUT_MS < next)
			next = t->q[i].sent_ms + DHT_TXN_TIMEOUT_MS;
		if (t->q[i].is_used && t->q[i].is_retried &&
		    t->q[i].sent_ms + DHT_TXN_RETRY_MS < next)
			next = t->q[i].sent_ms + DHT_TXN_RETRY_MS;
	}
	return next;
}

void dht_txn_rtt_sample(struct dht_txn *t, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	t->rtt[t->rtt_next] = (uint16_t)(ms > 60000 ? 60000 : ms);
	t->rtt_next = (t->rtt_next + 1) % DHT_TXN_RTT_WINDOW;
	if (t->nrtt < DHT_TXN_RTT_WINDOW)
		t->nrtt++;
}

/* Quantile q (percent) of the RTT window; -1 with too few samples. */
static int64_t rtt_quantile(const struct dht_txn *t, unsigned q)
{
	if (t->nrtt < 8)
		return -1;
	uint16_t s[DHT_TXN_RTT_WINDOW];
	memcpy(s, t->rtt, t->nrtt * sizeof(s[0]));
	/* Insertion sort of at most 64 samples, once per call. */
	for (size_t i = 1; i < t->nrtt; i++) {
		uint16_t x = s[i];
		size_t j = i;
		while (j > 0 && s[j - 1] > x) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = x;
	}
	size_t k = (t->nrtt * q) / 100;
	return s[k < t->nrtt ? k : t->nrtt - 1];
}

/* A query unanswered this long frees its alpha slot and its place among
 * the K closest. 3/4 of the p90 RTT is about the p80 of a lognormal RTT
 * with sigma 0.6: most answers come in time, and a dead node costs little
 * more than a median RTT. Cheap to get wrong on the short side: a late
 * reply is still used. */
int64_t dht_txn_short_timeout(const struct dht_txn *t)
{
	int64_t p90 = rtt_quantile(t, 90);
	if (p90 < 0)
		return 1000;
	int64_t st = p90 * 3 / 4;
	return st < SHORT_MIN_MS ? SHORT_MIN_MS : st > SHORT_MAX_MS ? SHORT_MAX_MS : st;
}
