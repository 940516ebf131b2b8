/*
 * krpc.h: the KRPC codec of the Mainline DHT (BEP 5, with BEP 32 nodes6
 * and want, BEP 42 ip, BEP 43 ro, BEP 33 seed/noseed, BEP 51
 * sample_infohashes).
 *
 * krpc_decode() turns one datagram into a struct krpc_msg whose byte fields
 * point into the datagram (zero-copy; valid while it lives). Every field
 * that is present is shape-checked: ids are exactly 20 bytes, nodes a
 * multiple of 26, nodes6 of 38, values entries 6 or 18 bytes, ports in
 * 1..65535, bounded tids and tokens, an error is [int, string]. A message
 * that fails any check is refused with a static reason; the caller must not
 * answer it.
 *
 * The encoders write canonical bencode (sorted keys) into caller storage of
 * at most KRPC_MAX_OUT bytes (BEP 32: never send more than 1024 bytes) and
 * return 0 when it would not fit, so an oversized datagram is never built.
 * The one exception, BEP 44 messages carrying a value, is encoded by
 * dht/bep44.c within KRPC_MAX_OUT_ITEM.
 *
 * Pure functions, no state; any thread.
 */
#ifndef DHT_KRPC_H
#define DHT_KRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht/addr.h"
#include "dht/dht.h"

/* BEP 32: a DHT datagram we send is at most 1024 bytes. */
#define KRPC_MAX_OUT 1024u
/*
 * BEP 44 allows a bencoded `v` of up to 1000 bytes; with k (32), sig
 * (64), seq, salt (up to 64), a token and the KRPC envelope, a value over
 * about 810 bytes cannot fit 1024. So the two messages that carry `v` (a
 * get reply with a value, a put query) may grow to this bound, and only
 * when the value alone does not fit KRPC_MAX_OUT (nodes and nodes6 are
 * dropped from a get reply first; within this bound it again carries as
 * many of the closest nodes as fit, or a lookup could not get past the
 * nodes holding the value). 1452 = a 1500-byte MTU minus the IPv6
 * (40) and UDP (8) headers: still one unfragmented datagram over IPv4 and
 * IPv6. libtorrent, too, sends these messages above 1024 bytes. Every
 * other message stays within KRPC_MAX_OUT. The largest message we build
 * (a mutable put with cas, a 64-byte salt, a 40-byte token and a
 * 1000-byte v) is 1361 bytes.
 */
#define KRPC_MAX_OUT_ITEM 1452u
/* BEP 51: samples in one reply (20 x 20 bytes keeps it under 1024). */
#define KRPC_MAX_SAMPLES 20u
/* Datagrams we decode: a UDP payload over an Ethernet MTU is not KRPC. */
#define KRPC_MAX_IN 1500u
/* A message shorter than this cannot be a KRPC message ("d1:t0:1:y1:qe"
 * would still lack an id). */
#define KRPC_MIN_IN 12u
/* Bencode limits for one message: replies are depth 3 (dict/r/values). */
#define KRPC_MAX_DEPTH 4u
#define KRPC_MAX_TOKENS 512u
/* Transaction ids: ours are 4 bytes; others' are echoed, up to 16. */
#define KRPC_MAX_TID 16u
/* Write tokens: ours are 8 bytes; libtorrent's 4, anacrolix's 20. */
#define KRPC_MAX_TOKEN 40u
/* values entries decoded from one reply (KRPC_MAX_IN / 8 bytes each). */
#define KRPC_MAX_VALUES 192u
/* Bytes of an error message we keep (the rest is ignored). */
#define KRPC_MAX_ERRMSG 256u
/* BEP 33 scrape bloom filters. */
#define KRPC_BLOOM_LEN 256u

/* Error codes (BEP 5). */
#define KRPC_ERR_GENERIC 201
#define KRPC_ERR_SERVER 202
#define KRPC_ERR_PROTOCOL 203
#define KRPC_ERR_METHOD 204

enum krpc_type {
	KRPC_QUERY = 1,
	KRPC_REPLY,
	KRPC_ERROR,
};

enum krpc_method {
	KRPC_PING = 0,
	KRPC_FIND_NODE,
	KRPC_GET_PEERS,
	KRPC_ANNOUNCE_PEER,
	KRPC_SAMPLE_INFOHASHES, /* BEP 51 */
	KRPC_UNKNOWN, /* a query with another name (answered by rules in server.c) */
};

#define KRPC_WANT_N4 0x1
#define KRPC_WANT_N6 0x2

/* A compact peer inside a decoded values list (6 or 18 bytes). */
struct krpc_value {
	const uint8_t *p;
	uint8_t len;
};

/* One decoded message. Pointers borrow the input datagram. */
struct krpc_msg {
	enum krpc_type type;
	enum krpc_method method; /* queries only */
	const uint8_t *tid;
	size_t tid_len;
	struct dht_id id;        /* always present (queries and replies) */
	bool has_target;         /* target (find_node) or info_hash */
	struct dht_id target;
	const uint8_t *token;
	size_t token_len;        /* 0 = absent */
	const uint8_t *nodes;    /* len multiple of 26 */
	size_t nodes_len;
	const uint8_t *nodes6;   /* len multiple of 38 */
	size_t nodes6_len;
	uint16_t port;           /* announce_peer: 1..65535, or 0 with implied_port */
	bool implied_port;
	bool seed;               /* BEP 33 announce_peer seed=1 */
	bool noseed;             /* BEP 33 get_peers noseed=1 */
	bool scrape;             /* BEP 33 get_peers scrape=1 */
	const uint8_t *bfsd;     /* BEP 33 reply filters, 256 bytes each, or NULL */
	const uint8_t *bfpe;
	const uint8_t *samples;  /* BEP 51 reply: a multiple of 20 bytes, or NULL */
	size_t samples_len;
	int64_t interval;        /* BEP 51 reply: seconds, clamped to 0..21600 */
	int64_t num;             /* BEP 51 reply: infohashes the node stores */
	const uint8_t *raw;      /* the whole datagram (BEP 44 re-reads its arguments) */
	size_t raw_len;
	int want;                /* KRPC_WANT_*; 0 = absent */
	bool has_ip;             /* BEP 42 ip: the sender's view of our address */
	struct dht_addr ip;
	bool is_read_only;       /* BEP 43 ro=1 */
	const uint8_t *v;        /* client version, as sent */
	size_t v_len;
	int64_t err_code;        /* errors */
	const uint8_t *err_msg;
	size_t err_msg_len;
	size_t nvalues;
	struct krpc_value values[KRPC_MAX_VALUES]; /* last: not cleared by decode */
};

/*
 * Decode p[0..len). Returns 0 and fills *out, or -1 with a static reason
 * in *why_out. A message of unknown type, a query without a method name,
 * a query or reply without a 20-byte id, or any ill-shaped field fails.
 */
int krpc_decode(const uint8_t *p, size_t len, struct krpc_msg *out, const char **why_out);

/* What goes into every message we send. */
struct krpc_hdr {
	const uint8_t *tid;
	size_t tid_len;
	const uint8_t *v;           /* 4 bytes or NULL */
	bool is_read_only;          /* add ro=1 (queries, BEP 43) */
	const struct dht_addr *ip;  /* replies and errors: the requester (BEP 42) */
};

/* Arguments of a query. */
struct krpc_query {
	enum krpc_method method;    /* not KRPC_UNKNOWN */
	const struct dht_id *id;
	const struct dht_id *target;/* find_node target / info_hash */
	int want;                   /* KRPC_WANT_*; 0 = omit */
	const uint8_t *token;       /* announce_peer */
	size_t token_len;
	uint16_t port;              /* announce_peer */
	bool implied_port;
	bool seed;
	bool scrape;                /* BEP 33 get_peers scrape=1 */
};

/* Contents of a reply. */
struct krpc_reply {
	const struct dht_id *id;
	const uint8_t *nodes;       /* compact, may be NULL */
	size_t nodes_len;
	const uint8_t *nodes6;
	size_t nodes6_len;
	const uint8_t *token;       /* may be NULL */
	size_t token_len;
	const uint8_t *values;      /* nvalues compact peers of value_len bytes */
	size_t nvalues;
	size_t value_len;           /* 6 or 18 */
	bool has_samples;           /* BEP 51: interval, num and samples */
	uint32_t interval;          /* seconds, 0..21600 */
	uint64_t num;               /* infohashes stored */
	const uint8_t *samples;     /* nsamples infohashes of 20 bytes */
	size_t nsamples;
	const uint8_t *bfsd;        /* BEP 33 scrape: 256 bytes each, or NULL */
	const uint8_t *bfpe;
};

/*
 * Encoders: write into out[0..cap) (cap at most KRPC_MAX_OUT) and return
 * the length, or 0 when the message does not fit.
 */
size_t krpc_encode_query(const struct krpc_hdr *h, const struct krpc_query *q, uint8_t *out,
    size_t cap);
size_t krpc_encode_reply(const struct krpc_hdr *h, const struct krpc_reply *r, uint8_t *out,
    size_t cap);
size_t krpc_encode_error(const struct krpc_hdr *h, int code, const char *msg, uint8_t *out,
    size_t cap);

/* Bytes a values list of n entries of value_len adds to a reply, so the
 * caller can size a sample to the room left. */
static inline size_t krpc_values_cost(size_t n, size_t value_len)
{
	return 9 + 1 + n * (value_len + (value_len >= 10 ? 3 : 2));
}

/* The method name of a query ("ping", ...). */
const char *krpc_method_name(enum krpc_method m);

#endif
