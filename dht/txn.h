/*
 * txn.h: the table of a DHT instance's outstanding queries (BEP 5
 * transactions) and the round-trip times measured by their answers.
 *
 * Every query we send has a 4-byte transaction id: two bytes of slot in
 * this table and two random bytes. A reply is matched only when both
 * halves agree and it comes from the endpoint the query went to, so a
 * reply we did not ask for is never used. A slot number is part of every
 * outstanding transaction id: used slots never move, the table grows by
 * doubling (DHT_TXN_MIN up to DHT_TXN_MAX slots) and gives back only an
 * unused upper half.
 *
 * The table only keeps state; the instance sends, and acts on what the
 * table returns (answers matched, queries to resend or given up on).
 * Sans-I/O, no allocation beyond the slot array; owned by its instance;
 * single thread.
 */
#ifndef DHT_TXN_H
#define DHT_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

#define DHT_TXN_MIN 64u
#define DHT_TXN_MAX 4096u
/* A query unanswered after this has failed. */
#define DHT_TXN_TIMEOUT_MS 5000
/* A query marked is_retried (the ping of dht_add_node) unanswered after
 * this is due to be sent once more: a lost datagram must not cost a
 * bootstrap. */
#define DHT_TXN_RETRY_MS 2000
/* Answers whose round-trip times are kept (the short timeout). */
#define DHT_TXN_RTT_WINDOW 64u

/* One outstanding query. */
struct dht_txn_query {
	bool is_used;
	uint8_t method;       /* enum krpc_method */
	uint16_t rnd;         /* the random half of the tid */
	struct dht_addr to;
	bool has_id;          /* the id we expect (a member or candidate) */
	struct dht_id id;
	int64_t sent_ms;
	uint32_t search_id;   /* 0 = not part of a search or a put */
	bool is_retried;      /* resend once at DHT_TXN_RETRY_MS */
};

struct dht_txn {
	struct dht_txn_query *q;
	size_t n;             /* allocated slots */
	size_t used;
	size_t cursor;        /* where the search for a free slot starts */
	uint16_t rtt[DHT_TXN_RTT_WINDOW];
	size_t nrtt, rtt_next;
};

/* What dht_txn_next_due found. */
enum dht_txn_due {
	DHT_TXN_NONE = 0,
	DHT_TXN_RESEND,       /* a query to send once more (it stays outstanding) */
	DHT_TXN_EXPIRED,      /* a query given up on, already taken off the table */
};

/* An empty table (no allocation until the first query). */
void dht_txn_init(struct dht_txn *t);
/* Free the slots; dht_txn_init again before reuse. */
void dht_txn_clear(struct dht_txn *t);

/* A free slot, zeroed and marked used, or NULL when the table is full
 * (or cannot grow). The caller fills in rnd and the query, then takes
 * the tid from dht_txn_tid. The pointer is valid until the next
 * dht_txn_open or dht_txn_shrink. */
struct dht_txn_query *dht_txn_open(struct dht_txn *t);
/* The 4-byte transaction id naming q (its slot and q->rnd). */
void dht_txn_tid(const struct dht_txn *t, const struct dht_txn_query *q, uint8_t tid_out[4]);
/* Take q off the table (answered, failed to send, or given up). */
void dht_txn_close(struct dht_txn *t, struct dht_txn_query *q);

/* The outstanding query a reply with this tid from `from` answers, or
 * NULL. The caller closes it. */
struct dht_txn_query *dht_txn_match(struct dht_txn *t, const uint8_t *tid, size_t tid_len,
    const struct dht_addr *from);

/* Walk the table for what is due at now_ms, from slot *pos (start at 0;
 * the table may grow between calls). A query to resend is reported once
 * (its is_retried cleared) and then checked for its timeout by the next
 * call; an expired query is copied to *out and closed. Returns
 * DHT_TXN_NONE when the walk is over. */
enum dht_txn_due dht_txn_next_due(struct dht_txn *t, int64_t now_ms, size_t *pos,
    struct dht_txn_query *out);

/* Give back the upper half of the table once a burst of queries is over. */
void dht_txn_shrink(struct dht_txn *t);

/* Whether a query to a node of family af is outstanding. */
bool dht_txn_has_family(const struct dht_txn *t, int af);

/* The earlier of next and the time a query times out or is due to be
 * resent. */
int64_t dht_txn_wakeup(const struct dht_txn *t, int64_t next);

/* Record the round-trip time of an answer. */
void dht_txn_rtt_sample(struct dht_txn *t, int64_t ms);

/* The short (stall) timeout of lookup queries, from the RTT window. */
int64_t dht_txn_short_timeout(const struct dht_txn *t);

#endif
