/*
 * inst.h: the state of a libdht instance, shared by the files that make
 * it up, and its primitives: events and log lines to the caller,
 * randomness, the served families, and sending datagrams and queries.
 * Internal to libdht (never installed); the public face is dht.h.
 *
 * The files above this header, each with its own part of the state:
 *   dht.c      the instance: creation, dispatch of datagrams, timers,
 *              our ids and external addresses (fam, tokens, limiter)
 *   server.c   answering queries (store, items, samples, verify_*)
 *   search.c   driving lookups (lk, next_search_id, pace)
 *   putwait.c  announces and puts waiting for answers (pw)
 *   items.c    the BEP 44 client API and our re-put items (own)
 * Below it: txn.c (the table of outstanding queries) and the sans-I/O
 * modules (rtable, lookup, store, token, limiter, krpc, bep42/44/33).
 *
 * Single thread per instance; no global state.
 */
#ifndef DHT_INST_H
#define DHT_INST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/bep42.h"
#include "dht/bep44.h"
#include "dht/dht.h"
#include "dht/krpc.h"
#include "dht/limiter.h"
#include "dht/rtable.h"
#include "dht/store.h"
#include "dht/token.h"
#include "dht/txn.h"

struct lookup;
struct dht_putwait;
struct dht_own_item;
struct dht_pace;

/* One served address family: its id (BEP 42), table and address. */
struct dht_fam {
	bool is_on;
	int af;
	struct dht_id id;
	struct rtable rt;
	struct bep42_vote vote;
	bool has_external;
	struct dht_addr external;
	bool was_ready;
	int64_t next_bootstrap_ms;
	int64_t next_maint_ms;
	int64_t next_proof_ms;
};

struct dht {
	struct dht_config cfg;
	uint8_t v[4];
	struct dht_fam fam[2];
	struct dht_tokens tokens;
	struct dht_limiter lim;
	bool has_limiter;
	struct dht_txn txn;       /* outstanding queries */
	int64_t next_expire_ms;
	int64_t boot_until_ms;    /* end of the bootstrap grace (search.c) */
	int64_t now_ms;           /* latest time passed in, for state queries */
	struct dht_stats st;

	/* server.c */
	struct dht_store store;
	struct bep44_store items; /* BEP 44 items stored for others */
	uint8_t samples[KRPC_MAX_SAMPLES * 20]; /* BEP 51 sample */
	size_t nsamples;
	int64_t samples_ms;       /* when drawn; 0 = never */
	int64_t verify_ms;        /* token bucket of stranger pings: last refill */
	int32_t verify_tokens;

	/* search.c */
	struct lookup **lk;
	size_t nlk, alk;
	uint32_t next_search_id;
	struct dht_pace *pace;    /* BEP 51 pacing, allocated with the first sample reply */

	/* putwait.c */
	struct dht_putwait *pw;   /* announces and BEP 44 puts waiting for answers */
	size_t npw;

	/* items.c */
	struct dht_own_item *own; /* BEP 44 items we put, re-put hourly */
	size_t nown;

	uint8_t out[KRPC_MAX_OUT_ITEM]; /* encoders keep all but BEP 44 values to 1024 */
};

/* Pass an event to the caller's hook. */
void dht_inst_emit(struct dht *d, const struct dht_event *ev);

/* A DHT_EV_LOG line (cut at 255 bytes). */
void dht_inst_log(struct dht *d, enum dht_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* n random bytes from the caller's hook. */
void dht_inst_random(struct dht *d, void *p, size_t n);

/* The family af when served, else NULL. */
struct dht_fam *dht_inst_fam(struct dht *d, int af);

/* Send d->out[0..len) to `to` (nothing when len is 0: it did not fit). */
void dht_inst_send(struct dht *d, const struct dht_addr *to, size_t len);

/* Open a transaction: a slot with its tid in tid (4 bytes, must outlive
 * *h) and a header for the encoder in *h; NULL when the table is full.
 * The caller encodes into d->out and passes the length to
 * dht_inst_query_send. */
struct dht_txn_query *dht_inst_query_open(struct dht *d, uint8_t tid[4], struct krpc_hdr *h);

/* Send the query of q, encoded in d->out[0..len), to `to`, expecting
 * id expect (may be NULL), as part of search_id (0 = none). Returns 0,
 * or -1 when len is 0 (q is closed). */
int dht_inst_query_send(struct dht *d, struct dht_txn_query *q, const struct dht_addr *to,
    const struct dht_id *expect, enum krpc_method method, uint32_t search_id, int64_t now_ms,
    size_t len);

/* Encode and send a query; returns 0, or -1 when no slot was free or it
 * did not fit. */
int dht_inst_query(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    const struct krpc_query *q, uint32_t search_id, int64_t now_ms);

/* Ping to (expecting id expect, may be NULL); with is_retried the ping is
 * sent once more if no answer came within DHT_TXN_RETRY_MS. */
void dht_inst_ping(struct dht *d, const struct dht_addr *to, const struct dht_id *expect,
    bool is_retried, int64_t now_ms);

#endif
