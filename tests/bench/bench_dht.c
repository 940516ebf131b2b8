/* bench_dht.c: queries answered per second by one instance on one core,
 * without sockets: a full routing table, 100k stored infohashes, then a
 * mix of ping, find_node and get_peers from random sources fed to
 * dht_input (the reply is encoded and handed to a send hook that only
 * counts it). Usage: bench_dht [queries [limit]]; with "limit" the
 * per-source limiter is on (4096 sources in rotation: past their budget
 * some queries are refused, which is measured too). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dht/dht.h"
#include "dht/krpc.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t sent, sent_bytes;
/* Queries the instance sent (pings to verify newcomers): answered later. */
static struct {
	struct sockaddr_in to;
	uint8_t tid[4];
} out_q[4096];
static size_t nout;
static uint8_t last_token[8];
static bool capture;

static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

static void b_random(void *ud, void *buf, size_t n)
{
	(void)ud;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)next();
}

static int b_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	static struct krpc_msg m;
	(void)ud, (void)tolen;
	sent++;
	sent_bytes += len;
	if (!capture)
		return 0;
	if (krpc_decode(buf, len, &m, NULL) != 0)
		abort();
	if (m.type == KRPC_QUERY && m.tid_len == 4 && nout < 4096) {
		memcpy(&out_q[nout].to, to, sizeof(out_q[nout].to));
		memcpy(out_q[nout].tid, m.tid, 4);
		nout++;
	}
	if (m.type == KRPC_REPLY && m.token_len == 8)
		memcpy(last_token, m.token, 8);
	return 0;
}

static double secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in src(uint32_t ip)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(6881) };
	s.sin_addr.s_addr = htonl(ip);
	return s;
}

static size_t query(uint8_t *buf, const char *method, const uint8_t id[20], const uint8_t ih[20],
    const uint8_t *token, uint16_t port)
{
	struct dht_id i, t;
	memcpy(i.b, id, 20);
	memcpy(t.b, ih, 20);
	struct krpc_hdr h = { .tid = (const uint8_t *)"ab", .tid_len = 2 };
	struct krpc_query q = { .id = &i, .target = &t, .token = token, .token_len = 8, .port = port };
	q.method = !strcmp(method, "ping") ? KRPC_PING : !strcmp(method, "find_node") ? KRPC_FIND_NODE :
	    !strcmp(method, "get_peers") ? KRPC_GET_PEERS : KRPC_ANNOUNCE_PEER;
	return krpc_encode_query(&h, &q, buf, KRPC_MAX_OUT);
}

int main(int argc, char **argv)
{
	long nq = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct dht_config c = { 0 };
	c.family_mask = DHT_F_INET;
	c.no_rate_limit = !(argc > 2 && strcmp(argv[2], "limit") == 0);
	c.max_infohashes = 200000;
	c.send = b_send;
	c.random = b_random;
	int64_t now = 1000;
	struct dht *d = dht_new(&c, now, NULL);
	uint8_t buf[KRPC_MAX_OUT], id[20], ih[20];

	/* Fill the table: strangers query us, we ping them, they answer. */
	capture = true;
	for (int round = 0; round < 1; round++) {
		for (uint32_t i = 0; i < 4000; i++) {
			struct sockaddr_in s = src(0x14000000u + (uint32_t)(next() & 0xffffff));
			b_random(NULL, id, 20);
			size_t n = query(buf, "ping", id, id, NULL, 0);
			nout = 0;
			dht_input(d, (struct sockaddr *)&s, sizeof(s), buf, n, now);
			now += 100; /* strangers are verified at 10 per second */
			for (size_t k = 0; k < nout; k++) {
				if (out_q[k].to.sin_addr.s_addr != s.sin_addr.s_addr)
					continue; /* a ping to a member: it stays silent */
				struct dht_id rid;
				memcpy(rid.b, id, 20);
				struct krpc_hdr h = { .tid = out_q[k].tid, .tid_len = 4 };
				struct krpc_reply r = { .id = &rid };
				size_t rl = krpc_encode_reply(&h, &r, buf, sizeof(buf));
				dht_input(d, (struct sockaddr *)&out_q[k].to, sizeof(s), buf, rl, now);
			}
		}
		dht_periodic(d, now);
	}
	/* Store: 100k infohashes with one peer each (get_peers, then announce). */
	for (uint32_t i = 0; i < 100000; i++) {
		struct sockaddr_in s = src(0x1e000000u + i);
		b_random(NULL, id, 20);
		b_random(NULL, ih, 20);
		size_t n = query(buf, "get_peers", id, ih, NULL, 0);
		dht_input(d, (struct sockaddr *)&s, sizeof(s), buf, n, now);
		n = query(buf, "announce_peer", id, ih, last_token, 6881);
		dht_input(d, (struct sockaddr *)&s, sizeof(s), buf, n, now);
	}
	struct dht_stats st;
	dht_get_stats(d, &st);
	printf("table: %zu good nodes in %zu buckets; store: %zu infohashes, %zu peers\n",
	    st.nodes_good[0], st.buckets[0], st.infohashes, st.peers);

	/* Pre-encode a pool of queries so that encoding is not measured. */
	enum { POOL = 4096 };
	static uint8_t pool[POOL][KRPC_MAX_OUT];
	static size_t plen[POOL];
	static struct sockaddr_in psrc[POOL];
	for (int i = 0; i < POOL; i++) {
		b_random(NULL, id, 20);
		b_random(NULL, ih, 20);
		static const char *const m[] = { "ping", "find_node", "get_peers" };
		plen[i] = query(pool[i], m[i % 3], id, ih, NULL, 0);
		psrc[i] = src(0x28000000u + (uint32_t)(next() & 0xffffff));
	}
	capture = false;
	sent = 0;
	sent_bytes = 0;
	double t0 = secs();
	for (long i = 0; i < nq; i++) {
		int k = (int)(i % POOL);
		dht_input(d, (struct sockaddr *)&psrc[k], sizeof(psrc[k]), pool[k], plen[k], now);
	}
	double dt = secs() - t0;
	printf("%ld queries in %.3f s: %.0f queries/s, %.2f us each, %llu replies, %.0f bytes avg\n",
	    nq, dt, nq / dt, dt / nq * 1e6, (unsigned long long)sent,
	    sent ? (double)sent_bytes / sent : 0.0);
	dht_free(d);
	/* Without the limiter every query is answered. */
	return c.no_rate_limit && sent < (uint64_t)nq ? 1 : 0;
}
