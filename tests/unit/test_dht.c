/* test_dht.c: whole instances in one process over a fake network (a
 * queue of datagrams and a fake clock): ping, table filling, announce
 * through one node and get_peers through another, queued searches,
 * searches of a family whose table never gets a node, read-only nodes,
 * malformed and unexpected input, bad tokens, the 1024-byte cap on every
 * datagram, save/load, and BEP 44 items: a put reported once its nodes
 * answered, re-put hourly while the instance runs, gone 2 hours after
 * its owner stopped; a network inside one /24 with and without
 * allow_same_subnet. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "dht/benc.h"
#include "dht/dht.h"
#include "dht/krpc.h"
#include "dht/rtable.h"

#include <sodium.h>

#define MAX_NODES 128
/* 2.5 hours: past an item's 2-hour life, across two hourly re-puts. */
#define BEP44_TEST_HOURS_MS (150 * 60 * 1000)
#define MAX_Q 8192

struct pkt {
	struct sockaddr_storage from, to;
	size_t len;
	uint8_t buf[1500];
};

/* A node has 127.0.0.host:6881 and [fd00::host]:6881. */
struct node {
	struct dht *d;
	struct sockaddr_in addr;
	struct sockaddr_in6 addr6;
	int64_t next_ms;
	bool is_down;
};

static struct pkt q[MAX_Q];
static size_t qhead, qtail;
static struct node nodes[MAX_NODES];
static size_t nnodes;
static int64_t now;
static uint64_t rng = 88172645463325252ull;
static size_t oversize;

static int net_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	struct node *n = ud;
	if (len > 1024)
		oversize++;
	bool is6 = to->sa_family == AF_INET6;
	if (tolen < (socklen_t)(is6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) ||
	    qtail - qhead >= MAX_Q || len > sizeof(q[0].buf))
		return -1;
	struct pkt *p = &q[qtail++ % MAX_Q];
	memset(&p->from, 0, sizeof(p->from));
	memset(&p->to, 0, sizeof(p->to));
	if (is6)
		memcpy(&p->from, &n->addr6, sizeof(n->addr6));
	else
		memcpy(&p->from, &n->addr, sizeof(n->addr));
	memcpy(&p->to, to, (size_t)tolen);
	p->len = len;
	memcpy(p->buf, buf, len);
	return 0;
}

static void net_random(void *ud, void *buf, size_t n)
{
	(void)ud;
	uint8_t *b = buf;
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		b[i] = (uint8_t)rng;
	}
}

static struct node *node_at(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	for (size_t i = 0; i < nnodes; i++) {
		if (ss->ss_family == AF_INET && nodes[i].addr.sin_addr.s_addr == a->sin_addr.s_addr &&
		    nodes[i].addr.sin_port == a->sin_port)
			return &nodes[i];
		if (ss->ss_family == AF_INET6 &&
		    memcmp(&nodes[i].addr6.sin6_addr, &a6->sin6_addr, 16) == 0 &&
		    nodes[i].addr6.sin6_port == a6->sin6_port)
			return &nodes[i];
	}
	return NULL;
}

static struct dht_config base_cfg(void)
{
	struct dht_config c = { 0 };
	c.family_mask = DHT_F_INET;
	c.allow_same_subnet = true;
	c.send = net_send;
	c.random = net_random;
	return c;
}

static struct node *add(int host, struct dht_config *cfg)
{
	struct node *n = &nodes[nnodes++];
	memset(n, 0, sizeof(*n));
	n->addr.sin_family = AF_INET;
	n->addr.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)host);
	n->addr.sin_port = htons(6881);
	n->addr6.sin6_family = AF_INET6;
	n->addr6.sin6_addr.s6_addr[0] = 0xfd;
	n->addr6.sin6_addr.s6_addr[15] = (uint8_t)host;
	n->addr6.sin6_port = htons(6881);
	struct dht_config c = cfg ? *cfg : base_cfg();
	c.ud = n;
	enum dht_err err;
	n->d = dht_new(&c, now, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n->d);
	CU_ASSERT_EQUAL(err, DHT_OK);
	return n;
}

static void deliver(void)
{
	while (qhead < qtail) {
		struct pkt *p = &q[qhead++ % MAX_Q];
		struct node *n = node_at(&p->to);
		if (n && !n->is_down)
			dht_input(n->d, (struct sockaddr *)&p->from,
			    p->from.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
			    sizeof(struct sockaddr_in), p->buf, p->len, now);
	}
}

/* Run the network for ms of fake time in 10 ms steps. */
static void run(int64_t ms)
{
	int64_t end = now + ms;
	while (now < end) {
		deliver();
		for (size_t i = 0; i < nnodes; i++) {
			if (!nodes[i].is_down && now >= nodes[i].next_ms)
				nodes[i].next_ms = dht_periodic(nodes[i].d, now);
		}
		deliver();
		now += 10;
	}
}

static void reset(void)
{
	for (size_t i = 0; i < nnodes; i++)
		dht_free(nodes[i].d);
	nnodes = 0;
	qhead = qtail = 0;
	oversize = 0;
}

static void link_to(struct node *a, struct node *b)
{
	CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&b->addr, sizeof(b->addr), now), DHT_OK);
}

struct found {
	int values;
	int done;
	int af;
	uint8_t last[18];
	uint32_t id;
};

static void on_peers(void *ud, uint32_t sid, const struct dht_id *ih, int af, const uint8_t *peers,
    size_t n, bool is_done)
{
	struct found *f = ud;
	(void)ih;
	CU_ASSERT_EQUAL(af, f->af ? f->af : AF_INET);
	CU_ASSERT_EQUAL(sid, f->id);
	if (is_done) {
		CU_ASSERT_EQUAL(n, 0);
		f->done++;
		return;
	}
	size_t vl = af == AF_INET6 ? 18 : 6;
	f->values += (int)n;
	memcpy(f->last, peers + (n - 1) * vl, vl);
}

static void test_ping_and_tables(void)
{
	struct node *a = add(2, NULL), *b = add(3, NULL);
	link_to(a, b);
	run(3000);
	struct dht_stats sa, sb;
	dht_get_stats(a->d, &sa);
	dht_get_stats(b->d, &sb);
	/* a pinged b; b verified a in return: each has the other. */
	CU_ASSERT_EQUAL(sa.nodes_good[0], 1);
	CU_ASSERT_EQUAL(sb.nodes_good[0], 1);
	CU_ASSERT_TRUE(sb.queries_in[0] >= 1);
	CU_ASSERT_TRUE(sa.replies_in >= 1);
	struct sockaddr_storage ss[4];
	CU_ASSERT_EQUAL(dht_nodes(a->d, AF_INET, ss, 4), 1);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&ss[0])->sin_addr.s_addr, b->addr.sin_addr.s_addr);
	CU_ASSERT_FALSE(dht_is_ready(a->d, AF_INET));
	CU_ASSERT_PTR_NULL(dht_my_id(a->d, AF_INET6));
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

/* DHT_EV_ANNOUNCED and DHT_EV_ANNOUNCE_DONE as seen by
 * test_announce_and_find. */
static struct {
	int events;
	uint32_t sid;
	size_t count;
	const struct found *f; /* the search's state, to check the order */
	int done_before;
	int acks;              /* DHT_EV_ANNOUNCE_DONE */
	uint32_t ack_sid;
	size_t stored;
	struct node **down_at_announce; /* set these down as the announces leave */
	int ndown;
} announced;

static void on_announced(void *ud, const struct dht_event *ev)
{
	(void)ud;
	if (ev->type == DHT_EV_ANNOUNCE_DONE) {
		announced.acks++;
		announced.ack_sid = ev->search_id;
		announced.stored = ev->count;
		return;
	}
	if (ev->type != DHT_EV_ANNOUNCED)
		return;
	for (int i = 0; i < announced.ndown; i++)
		announced.down_at_announce[i]->is_down = true;
	announced.events++;
	announced.sid = ev->search_id;
	announced.count = ev->count;
	announced.done_before = announced.f ? announced.f->done : -1;
}

static void test_announce_and_find(void)
{
	struct node *n[12];
	struct dht_config ec = base_cfg();
	ec.event = on_announced;
	for (int i = 0; i < 12; i++)
		n[i] = add(10 + i, i == 3 ? &ec : NULL);
	for (int i = 1; i < 12; i++)
		link_to(n[i], n[0]);
	run(20000);
	for (int i = 0; i < 12; i++) {
		struct dht_stats s;
		dht_get_stats(n[i]->d, &s);
		CU_ASSERT_TRUE(s.nodes_good[0] >= 8);
		CU_ASSERT_TRUE(dht_is_ready(n[i]->d, AF_INET));
	}
	struct dht_id ih;
	memset(ih.b, 0x5a, 20);
	struct found fa = { 0 }, fb = { 0 };
	announced.f = &fa;
	CU_ASSERT_EQUAL(dht_search(n[3]->d, &ih, AF_INET, 7000, false, on_peers, &fa, now, &fa.id),
	    DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(fa.done, 1);
	CU_ASSERT_EQUAL(fa.values, 0);
	size_t stored = 0;
	for (int i = 0; i < 12; i++) {
		struct dht_stats s;
		dht_get_stats(n[i]->d, &s);
		stored += s.peers;
	}
	CU_ASSERT_TRUE(stored >= 8);
	/* The announcer is told how many nodes it announced to, before the
	 * search's done callback, and counts them in its stats. */
	struct dht_stats s3;
	dht_get_stats(n[3]->d, &s3);
	CU_ASSERT_EQUAL(announced.events, 1);
	CU_ASSERT_EQUAL(announced.sid, fa.id);
	CU_ASSERT_EQUAL(announced.count, 8);
	CU_ASSERT_EQUAL(announced.done_before, 0);
	CU_ASSERT_EQUAL(s3.announces_sent, 8);
	CU_ASSERT_EQUAL(stored, 8);
	/* ... and, once their answers are in, how many stored it. */
	CU_ASSERT_EQUAL(announced.acks, 1);
	CU_ASSERT_EQUAL(announced.ack_sid, fa.id);
	CU_ASSERT_EQUAL(announced.stored, 8);
	announced.f = NULL;
	CU_ASSERT_EQUAL(dht_search(n[9]->d, &ih, AF_INET, 0, false, on_peers, &fb, now, &fb.id), DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(fb.done, 1);
	CU_ASSERT_TRUE(fb.values == 1); /* de-duplicated across replies */
	CU_ASSERT_EQUAL(memcmp(fb.last, "\x7f\x00\x00\x0d\x1b\x58", 6), 0); /* 127.0.0.13:7000 */
	/* find_node completes too. */
	struct found ff = { 0 };
	CU_ASSERT_EQUAL(dht_find_node(n[5]->d, &ih, AF_INET, on_peers, &ff, now, &ff.id), DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(ff.done, 1);
	/* An announce of which four of the 11 other nodes never see the
	 * announce_peer (down as it leaves): at least one of them was among
	 * the 8 it went to, and the count says so once they timed out. */
	struct dht_id ih2;
	memset(ih2.b, 0x33, 20);
	struct found fd = { 0 };
	struct node *down[4] = { n[0], n[5], n[8], n[11] };
	announced.acks = 0;
	announced.down_at_announce = down;
	announced.ndown = 4;
	CU_ASSERT_EQUAL(dht_search(n[3]->d, &ih2, AF_INET, 7001, false, on_peers, &fd, now, &fd.id),
	    DHT_OK);
	run(15000);
	announced.ndown = 0;
	CU_ASSERT_EQUAL(fd.done, 1);
	CU_ASSERT_EQUAL(announced.acks, 1);
	CU_ASSERT_EQUAL(announced.ack_sid, fd.id);
	CU_ASSERT_TRUE(announced.stored >= 4 && announced.stored < 8);
	for (int i = 0; i < 12; i++)
		n[i]->is_down = false;
	/* With a node down, a lookup still ends (hard timeout). */
	n[0]->is_down = true;
	struct found fc = { 0 };
	CU_ASSERT_EQUAL(dht_search(n[7]->d, &ih, AF_INET, 0, false, on_peers, &fc, now, &fc.id), DHT_OK);
	run(8000);
	CU_ASSERT_EQUAL(fc.done, 1);
	CU_ASSERT_EQUAL(fc.values, 1);
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

/* dht_add_node pings once more when the first ping went unanswered, and
 * only once. */
static void test_add_node_retry(void)
{
	struct node *a = add(2, NULL), *b = add(3, NULL);
	b->is_down = true;
	link_to(a, b);
	struct dht_stats sa, sb;
	run(1900);
	dht_get_stats(a->d, &sa);
	CU_ASSERT_EQUAL(sa.queries_out, 1);
	run(200);
	dht_get_stats(a->d, &sa);
	CU_ASSERT_EQUAL(sa.queries_out, 2);
	run(10000);
	dht_get_stats(a->d, &sa);
	CU_ASSERT_EQUAL(sa.queries_out, 2);
	CU_ASSERT_EQUAL(sa.nodes_good[0], 0);
	/* c is up only after the first ping to it was lost: the retry joins */
	struct node *c = add(4, NULL);
	c->is_down = true;
	link_to(a, c);
	run(1000);
	c->is_down = false;
	run(2000);
	dht_get_stats(c->d, &sb);
	CU_ASSERT_TRUE(sb.queries_in[0] >= 1);
	dht_get_stats(a->d, &sa);
	CU_ASSERT_EQUAL(sa.nodes_good[0], 1);
	reset();
}

/* The slot of the transaction id of the last query a sent (the pending
 * table index, tid bytes 0-1); drains the queue. */
static int last_slot(void)
{
	int slot = -1;
	while (qhead < qtail) {
		struct krpc_msg m;
		struct pkt *p = &q[qhead++ % MAX_Q];
		if (krpc_decode(p->buf, p->len, &m, NULL) == 0 && m.type == KRPC_QUERY && m.tid_len == 4)
			slot = m.tid[0] << 8 | m.tid[1];
	}
	return slot;
}

/* The table of outstanding queries grows for a burst and gives the
 * upper half back once it is over. */
static void test_pending_shrinks(void)
{
	struct node *a = add(2, NULL);
	int top = -1;
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6881) };
		to.sin_addr.s_addr = htonl(0x7f000100u + (uint32_t)i); /* nobody there */
		CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&to, sizeof(to), now), DHT_OK);
		int s = last_slot();
		top = s > top ? s : top;
	}
	CU_ASSERT_TRUE(top >= 64);
	run(8000); /* every ping and its retry timed out */
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(6881) };
	to.sin_addr.s_addr = htonl(0x7f000200u);
	for (int i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&to, sizeof(to), now), DHT_OK);
		int s = last_slot();
		CU_ASSERT_TRUE(s >= 0 && s < 64);
		run(5010);
	}
	reset();
}

/* Callbacks that re-enter the search API: a chain of searches started
 * from done callbacks, and a search cancelled from its values callback. */
struct chain {
	struct dht *d;
	int left, finished;
	uint32_t cancel_id, cancelled;
	int after_cancel;
};

static void chain_cb(void *ud, uint32_t sid, const struct dht_id *ih, int af, const uint8_t *peers,
    size_t n, bool is_done)
{
	struct chain *c = ud;
	(void)peers, (void)n;
	if (c->cancelled && sid == c->cancelled) {
		c->after_cancel++;
		return;
	}
	if (sid == c->cancel_id) {
		CU_ASSERT_FALSE(is_done); /* values come first: the peer was announced */
		CU_ASSERT_EQUAL(dht_search_cancel(c->d, sid), DHT_OK);
		c->cancelled = sid;
		c->cancel_id = 0;
		return;
	}
	if (!is_done)
		return;
	c->finished++;
	if (c->left-- > 0)
		CU_ASSERT_EQUAL(dht_search(c->d, ih, af, 0, false, chain_cb, c, now, NULL), DHT_OK);
}

static void test_reentrant_callbacks(void)
{
	struct node *n[10];
	for (int i = 0; i < 10; i++)
		n[i] = add(40 + i, NULL);
	for (int i = 1; i < 10; i++)
		link_to(n[i], n[0]);
	run(15000);
	struct dht_id ih;
	memset(ih.b, 0x77, 20);
	struct found fa = { 0 };
	CU_ASSERT_EQUAL(dht_search(n[1]->d, &ih, AF_INET, 7000, false, on_peers, &fa, now, &fa.id), DHT_OK);
	run(3000);
	struct chain c = { .d = n[2]->d, .left = 5 };
	CU_ASSERT_EQUAL(dht_search(c.d, &ih, AF_INET, 0, false, chain_cb, &c, now, NULL), DHT_OK);
	CU_ASSERT_EQUAL(dht_search(c.d, &ih, AF_INET, 0, false, chain_cb, &c, now, &c.cancel_id), DHT_OK);
	run(10000);
	CU_ASSERT_EQUAL(c.finished, 6);
	CU_ASSERT_NOT_EQUAL(c.cancelled, 0); /* it saw values and cancelled itself */
	CU_ASSERT_EQUAL(c.after_cancel, 0); /* and was never called again */
	struct dht_stats s;
	dht_get_stats(c.d, &s);
	CU_ASSERT_EQUAL(s.searches, 0);
	reset();
}

static void test_queued_search(void)
{
	struct node *a = add(2, NULL), *b = add(3, NULL);
	struct dht_id ih;
	memset(ih.b, 1, 20);
	struct found f = { 0 };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET, 0, false, on_peers, &f, now, &f.id), DHT_OK);
	run(2000);
	struct dht_stats s;
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.searches, 1);
	CU_ASSERT_EQUAL(s.searches_queued, 1);
	CU_ASSERT_EQUAL(f.done, 0);
	link_to(a, b);
	run(3000);
	CU_ASSERT_EQUAL(f.done, 1);
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.searches, 0);
	/* Cancel: no callback afterwards. */
	struct found g = { 0 };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET, 0, false, on_peers, &g, now, &g.id), DHT_OK);
	CU_ASSERT_EQUAL(dht_search_cancel(a->d, g.id), DHT_OK);
	CU_ASSERT_EQUAL(dht_search_cancel(a->d, g.id), DHT_ENOTFOUND);
	run(3000);
	CU_ASSERT_EQUAL(g.done, 0);
	reset();
}

/* DHT_EV_NO_NODES as seen by test_search_no_nodes. */
static struct {
	int events;
	uint32_t sid;
	int af;
} no_nodes;

static void on_no_nodes(void *ud, const struct dht_event *ev)
{
	(void)ud;
	if (ev->type != DHT_EV_NO_NODES)
		return;
	no_nodes.events++;
	no_nodes.sid = ev->search_id;
	no_nodes.af = ev->af;
}

/* A family whose table never gets a node (IPv4-only bootstrap nodes):
 * its searches end on their own with DHT_EV_NO_NODES, after the
 * bootstrap grace or the last query that could have brought a node,
 * and never hold up the other family's. */
static void test_search_no_nodes(void)
{
	struct dht_config c = base_cfg();
	c.family_mask = DHT_F_INET | DHT_F_INET6;
	c.event = on_no_nodes;
	memset(&no_nodes, 0, sizeof(no_nodes));
	struct node *a = add(2, &c), *b = add(3, NULL); /* b serves IPv4 only */
	link_to(a, b);
	struct dht_id ih;
	memset(ih.b, 0x77, 20);
	struct found f4 = { .af = AF_INET }, f6 = { .af = AF_INET6 };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET, 7000, true, on_peers, &f4, now, &f4.id), DHT_OK);
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET6, 7000, true, on_peers, &f6, now, &f6.id), DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(f4.done, 1);
	CU_ASSERT_EQUAL(f6.done, 0); /* a bootstrap node may still be on its way */
	struct dht_stats sb;
	dht_get_stats(b->d, &sb);
	CU_ASSERT_EQUAL(sb.peers, 1);
	run(4000);
	CU_ASSERT_EQUAL(f6.done, 1);
	CU_ASSERT_EQUAL(no_nodes.events, 1);
	CU_ASSERT_EQUAL(no_nodes.sid, f6.id);
	CU_ASSERT_EQUAL(no_nodes.af, AF_INET6);
	struct dht_stats sa;
	dht_get_stats(a->d, &sa);
	CU_ASSERT_EQUAL(sa.searches, 0);
	CU_ASSERT_EQUAL(sa.announces_sent, 1);
	/* Nothing to wait for: it ends at the next dht_periodic (never
	 * inside dht_search, whose caller has no id yet). */
	struct found g6 = { .af = AF_INET6 };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET6, 0, false, on_peers, &g6, now, &g6.id), DHT_OK);
	CU_ASSERT_EQUAL(g6.done, 0);
	run(20);
	CU_ASSERT_EQUAL(g6.done, 1);
	CU_ASSERT_EQUAL(no_nodes.events, 2);
	CU_ASSERT_EQUAL(no_nodes.sid, g6.id);
	/* An IPv6 node offered that never answers: the search waits for its
	 * ping and the retry (each unanswered for 5 s), then ends. */
	struct sockaddr_in6 dead = a->addr6;
	dead.sin6_addr.s6_addr[15] = 99;
	CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&dead, sizeof(dead), now), DHT_OK);
	struct found h6 = { .af = AF_INET6 };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET6, 0, false, on_peers, &h6, now, &h6.id), DHT_OK);
	run(6500);
	CU_ASSERT_EQUAL(h6.done, 0);
	run(1000);
	CU_ASSERT_EQUAL(h6.done, 1);
	CU_ASSERT_EQUAL(no_nodes.events, 3);
	/* The IPv4 family is not affected: a search there runs as usual. */
	struct found k4 = { .af = AF_INET };
	CU_ASSERT_EQUAL(dht_search(a->d, &ih, AF_INET, 0, false, on_peers, &k4, now, &k4.id), DHT_OK);
	run(1000);
	CU_ASSERT_EQUAL(k4.done, 1);
	CU_ASSERT_EQUAL(k4.values, 1);
	CU_ASSERT_EQUAL(no_nodes.events, 3);
	reset();
}

/* Send raw bytes to node n from a fake endpoint; return what came back. */
static size_t poke(struct node *n, const char *raw, size_t len, uint8_t *reply)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(4000) };
	from.sin_addr.s_addr = htonl(0x7f000063);
	size_t before = qtail;
	dht_input(n->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)raw, len, now);
	if (qtail == before)
		return 0;
	struct pkt *p = &q[(qtail - 1) % MAX_Q];
	memcpy(reply, p->buf, p->len);
	size_t l = p->len;
	qhead = qtail;
	return l;
}

static void test_hostile_input(void)
{
	struct node *a = add(2, NULL);
	uint8_t r[1500];
	struct krpc_msg m;
	struct dht_stats s;
	/* Undecodable: no answer. */
	CU_ASSERT_EQUAL(poke(a, "hello", 5, r), 0);
	CU_ASSERT_EQUAL(poke(a, "d1:ad2:id5:shorte1:q4:ping1:t2:aa1:y1:qe", 39, r), 0);
	/* A reply we never asked for: dropped, no answer. */
	static const char rep[] = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:abcd1:y1:re";
	CU_ASSERT_EQUAL(poke(a, rep, sizeof(rep) - 1, r), 0);
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.drop_malformed, 2);
	CU_ASSERT_EQUAL(s.drop_unexpected, 1);
	/* A ping is answered with our id and the requester's address (BEP 42). */
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	size_t n = poke(a, ping, sizeof(ping) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	CU_ASSERT_EQUAL(memcmp(m.id.b, dht_my_id(a->d, AF_INET)->b, 20), 0);
	CU_ASSERT_TRUE(m.has_ip);
	CU_ASSERT_EQUAL(m.ip.port, 4000);
	CU_ASSERT_EQUAL(m.tid_len, 2);
	/* get_peers gives a token; announce with a wrong token gets 203. */
	static const char gp[] = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e"
				 "1:q9:get_peers1:t2:aa1:y1:qe";
	n = poke(a, gp, sizeof(gp) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(m.token_len, 8);
	uint8_t tok[8];
	memcpy(tok, m.token, 8);
	char ann[256];
	int al = snprintf(ann, sizeof(ann), "d1:ad2:id20:abcdefghij01234567899:info_hash20:"
	    "mnopqrstuvwxyz1234564:porti7001e5:token8:XXXXXXXXe1:q13:announce_peer1:t2:aa1:y1:qe");
	n = poke(a, ann, (size_t)al, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_ERROR);
	CU_ASSERT_EQUAL(m.err_code, 203);
	char *t = strstr(ann, "XXXXXXXX");
	memcpy(t, tok, 8);
	n = poke(a, ann, (size_t)al, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.peers, 1);
	CU_ASSERT_EQUAL(s.bad_tokens, 1);
	/* The stored peer comes back in values. */
	n = poke(a, gp, sizeof(gp) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(m.nvalues, 1);
	CU_ASSERT_EQUAL(memcmp(m.values[0].p, "\x7f\x00\x00\x63\x1b\x59", 6), 0);
	/* BEP 51: the stored infohash is sampled; num and interval given. */
	static const char si[] = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456"
				 "e1:q17:sample_infohashes1:t2:aa1:y1:qe";
	n = poke(a, si, sizeof(si) - 1, r);
	struct benc_tok toks[64];
	struct benc_doc doc;
	CU_ASSERT_EQUAL_FATAL(benc_parse(r, n, toks, 64, 4, BENC_F_SORTED, &doc, NULL), 0);
	long rd = benc_dict_get(&doc, 0, "r");
	int64_t num = -1, interval = -1;
	const uint8_t *smp;
	size_t smplen = 0;
	CU_ASSERT_TRUE(benc_get_int(&doc, benc_dict_get(&doc, (size_t)rd, "num"), &num));
	CU_ASSERT_TRUE(benc_get_int(&doc, benc_dict_get(&doc, (size_t)rd, "interval"), &interval));
	CU_ASSERT_TRUE(benc_get_str(&doc, benc_dict_get(&doc, (size_t)rd, "samples"), &smp, &smplen));
	CU_ASSERT_EQUAL(num, 1);
	CU_ASSERT_TRUE(interval >= 0 && interval <= 21600);
	CU_ASSERT_EQUAL_FATAL(smplen, 20);
	CU_ASSERT_EQUAL(memcmp(smp, "mnopqrstuvwxyz123456", 20), 0);
	CU_ASSERT_TRUE(benc_dict_get(&doc, (size_t)rd, "nodes") >= 0);
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.queries_in[4], 1);
	/* Unknown method: 204, unless it has a target (answered as find_node). */
	static const char unk[] = "d1:ad2:id20:abcdefghij0123456789e1:q3:foo1:t2:aa1:y1:qe";
	n = poke(a, unk, sizeof(unk) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.err_code, 204);
	static const char unk2[] = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e"
				   "1:q3:foo1:t2:aa1:y1:qe";
	n = poke(a, unk2, sizeof(unk2) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	CU_ASSERT_PTR_NOT_NULL(m.nodes);
	reset();
}

static void test_no_ping_reflector(void)
{
	struct node *a = add(2, NULL);
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	size_t replies = 0, pings = 0;
	char q2[sizeof(ping)];
	for (int i = 0; i < 500; i++) {
		struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(4000) };
		from.sin_addr.s_addr = htonl(0x14000000u + (uint32_t)i * 256);
		memcpy(q2, ping, sizeof(ping));
		q2[12] = (char)('A' + i % 26); /* distinct ids */
		q2[13] = (char)('A' + i / 26);
		dht_input(a->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)q2, sizeof(ping) - 1, now);
		while (qhead < qtail) {
			struct krpc_msg m;
			struct pkt *p = &q[qhead++ % MAX_Q];
			CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
			replies += m.type == KRPC_REPLY;
			pings += m.type == KRPC_QUERY;
		}
	}
	/* Every query answered; verification pings capped by the budget. */
	CU_ASSERT_EQUAL(replies, 500);
	CU_ASSERT_TRUE(pings > 0 && pings <= 50);
	reset();
}

static void test_full_reply_cap(void)
{
	struct dht_config c = base_cfg();
	c.no_rate_limit = true;
	struct node *a = add(2, &c);
	/* Many announcers for one infohash through the real path. */
	uint8_t r[1500];
	struct krpc_msg m;
	static const char gp[] = "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e"
				 "1:q9:get_peers1:t2:aa1:y1:qe";
	for (int i = 0; i < 300; i++) {
		struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(5000) };
		from.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i + 1);
		dht_input(a->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)gp, sizeof(gp) - 1, now);
		struct pkt *p = &q[(qtail - 1) % MAX_Q];
		CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
		char ann[256];
		int al = snprintf(ann, sizeof(ann), "d1:ad2:id20:abcdefghij01234567899:info_hash20:"
		    "mnopqrstuvwxyz1234564:porti7001e5:token8:XXXXXXXXe1:q13:announce_peer1:t2:aa1:y1:qe");
		memcpy(strstr(ann, "XXXXXXXX"), m.token, 8);
		dht_input(a->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)ann, (size_t)al, now);
		qhead = qtail;
	}
	struct dht_stats s;
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.peers, 300);
	size_t n = poke(a, gp, sizeof(gp) - 1, r);
	CU_ASSERT_TRUE(n <= 1024);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_TRUE(m.nvalues >= 50);
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

static void test_read_only(void)
{
	struct dht_config c = base_cfg();
	c.is_read_only = true;
	struct node *ro = add(2, &c), *b = add(3, NULL);
	link_to(ro, b);
	run(3000);
	struct dht_stats sr, sb;
	dht_get_stats(ro->d, &sr);
	dht_get_stats(b->d, &sb);
	/* ro learnt b; b answered but never added ro (BEP 43). */
	CU_ASSERT_EQUAL(sr.nodes_good[0], 1);
	CU_ASSERT_EQUAL(sb.nodes_good[0] + sb.nodes_dubious[0] + sb.nodes_cached[0], 0);
	uint8_t r[1500];
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	CU_ASSERT_EQUAL(poke(ro, ping, sizeof(ping) - 1, r), 0);
	dht_get_stats(ro->d, &sr);
	CU_ASSERT_TRUE(sr.drop_read_only >= 1);
	/* It still announces (BEP 43 only stops it answering): b stores the
	 * peer, and still does not add ro. */
	struct dht_id ih = { { 0 } };
	CU_ASSERT_EQUAL(dht_search(ro->d, &ih, AF_INET, 6881, false, NULL, NULL, now, NULL), DHT_OK);
	run(3000);
	dht_get_stats(b->d, &sb);
	CU_ASSERT_EQUAL(sb.peers, 1);
	CU_ASSERT_EQUAL(sb.nodes_good[0] + sb.nodes_dubious[0] + sb.nodes_cached[0], 0);
	reset();
}

static void test_persist(void)
{
	struct node *a = add(2, NULL), *b = add(3, NULL), *c = add(4, NULL);
	link_to(a, b);
	link_to(a, c);
	run(3000);
	uint8_t *blob;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(dht_save(a->d, &blob, &len), DHT_OK);
	char path[] = "/tmp/test_dht_XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(dht_save_file(a->d, path), DHT_OK);
	struct dht_id id = *dht_my_id(a->d, AF_INET);
	a->is_down = true;
	struct node *a2 = add(5, NULL);
	CU_ASSERT_EQUAL(dht_load_file(a2->d, path, now), DHT_OK);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(a2->d, AF_INET)->b, id.b, 20), 0);
	run(3000);
	struct dht_stats s;
	dht_get_stats(a2->d, &s);
	CU_ASSERT_EQUAL(s.nodes_good[0], 2);
	/* Damaged blobs change nothing. */
	struct node *a3 = add(6, NULL);
	struct dht_id before = *dht_my_id(a3->d, AF_INET);
	for (size_t cut = 0; cut < len; cut += 7)
		CU_ASSERT_EQUAL(dht_load(a3->d, blob, cut, now), DHT_EMALFORMED);
	CU_ASSERT_EQUAL(dht_load(a3->d, (const uint8_t *)"d1:vi2ee", 8, now), DHT_EMALFORMED);
	CU_ASSERT_EQUAL(dht_load(a3->d, (const uint8_t *)"d2:id3:abc1:vi1ee", 17, now), DHT_EMALFORMED);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(a3->d, AF_INET)->b, before.b, 20), 0);
	CU_ASSERT_EQUAL(dht_load_file(a3->d, "/nonexistent/dht.dat", now), DHT_EIO);
	free(blob);
	unlink(path);
	reset();
}

static void test_dual_stack(void)
{
	struct dht_config c = base_cfg();
	c.family_mask = DHT_F_INET | DHT_F_INET6;
	struct node *n[10];
	for (int i = 0; i < 10; i++)
		n[i] = add(20 + i, &c);
	for (int i = 1; i < 10; i++) {
		link_to(n[i], n[0]);
		CU_ASSERT_EQUAL(dht_add_node(n[i]->d, (struct sockaddr *)&n[0]->addr6,
		    sizeof(n[0]->addr6), now), DHT_OK);
	}
	run(20000);
	for (int i = 0; i < 10; i++) {
		struct dht_stats s;
		dht_get_stats(n[i]->d, &s);
		CU_ASSERT_TRUE(s.nodes_good[0] >= 8);
		CU_ASSERT_TRUE(s.nodes_good[1] >= 8);
	}
	/* One id per family (BEP 42 ties ids to addresses). */
	CU_ASSERT_NOT_EQUAL(memcmp(dht_my_id(n[1]->d, AF_INET)->b, dht_my_id(n[1]->d, AF_INET6)->b, 20), 0);
	/* want n4+n6 over IPv4 gets both lists (BEP 32); no want gets the
	 * requester's family only. */
	uint8_t r[1500];
	struct krpc_msg m;
	static const char fw[] = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456"
				 "4:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe";
	size_t len = poke(n[3], fw, sizeof(fw) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, len, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.nodes_len, 8 * 26);
	CU_ASSERT_EQUAL(m.nodes6_len, 8 * 38);
	static const char f4[] = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456"
				 "e1:q9:find_node1:t2:aa1:y1:qe";
	len = poke(n[3], f4, sizeof(f4) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, len, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.nodes_len, 8 * 26);
	CU_ASSERT_EQUAL(m.nodes6_len, 0);
	/* An IPv6 announce is found by an IPv6 search, as 18-byte peers. */
	struct dht_id ih;
	memset(ih.b, 0x66, 20);
	struct found fa = { .af = AF_INET6 }, fb = { .af = AF_INET6 }, f4s = { 0 };
	CU_ASSERT_EQUAL(dht_search(n[2]->d, &ih, AF_INET6, 7000, true, on_peers, &fa, now, &fa.id), DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(fa.done, 1);
	CU_ASSERT_EQUAL(dht_search(n[8]->d, &ih, AF_INET6, 0, false, on_peers, &fb, now, &fb.id), DHT_OK);
	CU_ASSERT_EQUAL(dht_search(n[8]->d, &ih, AF_INET, 0, false, on_peers, &f4s, now, &f4s.id), DHT_OK);
	run(3000);
	CU_ASSERT_EQUAL(fb.done, 1);
	CU_ASSERT_EQUAL(fb.values, 1);
	CU_ASSERT_EQUAL(fb.last[0], 0xfd);
	CU_ASSERT_EQUAL(fb.last[15], 22);
	CU_ASSERT_EQUAL(fb.last[16] << 8 | fb.last[17], 7000);
	CU_ASSERT_EQUAL(f4s.done, 1);
	CU_ASSERT_EQUAL(f4s.values, 0); /* an IPv6 announce is not an IPv4 peer */
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

static int new_ids, ext_ips;

static void on_event(void *ud, const struct dht_event *ev)
{
	(void)ud;
	new_ids += ev->type == DHT_EV_NEW_ID;
	ext_ips += ev->type == DHT_EV_EXTERNAL_IP;
}

static bool valid42(const struct dht_id *id, const uint8_t ip[4])
{
	/* The BEP 42 prefix check, done here independently of bep42.c:
	 * CRC32C of the masked address with r in the top bits. */
	uint8_t in[4] = { (uint8_t)(ip[0] & 0x03), (uint8_t)(ip[1] & 0x0f), (uint8_t)(ip[2] & 0x3f), ip[3] };
	in[0] |= (uint8_t)((id->b[19] & 7) << 5);
	uint32_t c = 0xffffffffu;
	for (int i = 0; i < 4; i++) {
		c ^= in[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	c ^= 0xffffffffu;
	return id->b[0] == (uint8_t)(c >> 24) && id->b[1] == (uint8_t)(c >> 16) &&
	    (id->b[2] & 0xf8) == ((c >> 8) & 0xf8);
}

static void test_external_ip(void)
{
	struct dht_config c = base_cfg();
	c.event = on_event;
	struct node *a = add(2, &c);
	new_ids = ext_ips = 0;
	static const uint8_t me[4] = { 124, 31, 75, 21 };
	/* Replies from six distinct public voters all saying 124.31.75.21. */
	for (int i = 0; i < 6; i++) {
		struct sockaddr_in v = { .sin_family = AF_INET, .sin_port = htons(6881) };
		v.sin_addr.s_addr = htonl(0x32000001u + ((uint32_t)i << 8));
		CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&v, sizeof(v), now), DHT_OK);
		CU_ASSERT_EQUAL_FATAL(qtail - qhead, 1);
		struct krpc_msg m;
		struct pkt *p = &q[qhead++ % MAX_Q];
		CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
		CU_ASSERT_EQUAL(m.tid_len, 4);
		char rep[200];
		int n = snprintf(rep, sizeof(rep), "d2:ip6:%c%c%c%c%c%c1:rd2:id20:%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c%c"
		    "e1:t4:%c%c%c%c1:y1:re", 124, 31, 75, 21, 0x1a, 0xe1,
		    'v', 'o', 't', 'e', 'r', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', '0' + i,
		    m.tid[0], m.tid[1], m.tid[2], m.tid[3]);
		CU_ASSERT_TRUE_FATAL(n > 0 && (size_t)n < sizeof(rep));
		dht_input(a->d, (struct sockaddr *)&v, sizeof(v), (const uint8_t *)rep, (size_t)n, now);
		CU_ASSERT_EQUAL(new_ids, i == 5 ? 1 : 0);
	}
	CU_ASSERT_EQUAL(ext_ips, 1);
	CU_ASSERT_TRUE(valid42(dht_my_id(a->d, AF_INET), me));
	/* Told directly: a new address gives a new valid id; a local one
	 * changes nothing (BEP 42 exempts local networks). */
	struct sockaddr_in x = { .sin_family = AF_INET };
	x.sin_addr.s_addr = htonl(0x15014b7c); /* 21.1.75.124 */
	CU_ASSERT_EQUAL(dht_set_external_ip(a->d, (struct sockaddr *)&x, sizeof(x), now), DHT_OK);
	CU_ASSERT_EQUAL(new_ids, 2);
	static const uint8_t me2[4] = { 21, 1, 75, 124 };
	CU_ASSERT_TRUE(valid42(dht_my_id(a->d, AF_INET), me2));
	x.sin_addr.s_addr = htonl(0xc0a80001);
	CU_ASSERT_EQUAL(dht_set_external_ip(a->d, (struct sockaddr *)&x, sizeof(x), now), DHT_OK);
	CU_ASSERT_EQUAL(new_ids, 2);
	reset();
}

/* A reply is taken only from the endpoint the query went to, once. */
static void test_reply_endpoint(void)
{
	struct node *a = add(2, NULL);
	struct sockaddr_in v = { .sin_family = AF_INET, .sin_port = htons(6881) };
	v.sin_addr.s_addr = htonl(0x32000001u);
	CU_ASSERT_EQUAL(dht_add_node(a->d, (struct sockaddr *)&v, sizeof(v), now), DHT_OK);
	CU_ASSERT_EQUAL_FATAL(qtail - qhead, 1);
	struct krpc_msg m;
	struct pkt *p = &q[qhead++ % MAX_Q];
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
	uint8_t rep[100];
	size_t n = 0;
	memcpy(rep, "d1:rd2:id20:mnopqrstuvwxyz123456e1:t4:", 38), n = 38;
	memcpy(rep + n, m.tid, 4), n += 4;
	memcpy(rep + n, "1:y1:re", 7), n += 7;
	struct sockaddr_in other = v, port = v;
	other.sin_addr.s_addr = htonl(0x32000002u);
	port.sin_port = htons(6882);
	struct dht_stats s;
	dht_input(a->d, (struct sockaddr *)&other, sizeof(other), rep, n, now);
	dht_input(a->d, (struct sockaddr *)&port, sizeof(port), rep, n, now);
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.drop_unexpected, 2);
	CU_ASSERT_EQUAL(s.nodes_good[0], 0);
	dht_input(a->d, (struct sockaddr *)&v, sizeof(v), rep, n, now);
	dht_input(a->d, (struct sockaddr *)&v, sizeof(v), rep, n, now); /* a replay */
	dht_get_stats(a->d, &s);
	CU_ASSERT_EQUAL(s.replies_in, 1);
	CU_ASSERT_EQUAL(s.drop_unexpected, 3);
	CU_ASSERT_EQUAL(s.nodes_good[0], 1);
	CU_ASSERT_EQUAL(qtail, qhead); /* no answer to any reply */
	reset();
}

static void test_enforce_bep42(void)
{
	struct dht_config c = base_cfg();
	c.enforce_bep42 = true;
	struct node *a = add(2, &c);
	uint8_t r[1500];
	struct krpc_msg m;
	/* From 127.0.0.99 (local): any id is fine. */
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	size_t n = poke(a, ping, sizeof(ping) - 1, r);
	CU_ASSERT_EQUAL_FATAL(krpc_decode(r, n, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	/* From a public address with a mismatched id: error 203. */
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(4000) };
	from.sin_addr.s_addr = htonl(0x7c1f4b15);
	dht_input(a->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)ping, sizeof(ping) - 1, now);
	struct pkt *p = &q[(qtail - 1) % MAX_Q];
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_ERROR);
	CU_ASSERT_EQUAL(m.err_code, 203);
	qhead = qtail;
	/* The BEP's own id for that address is served. */
	static const char ok[] = "d1:ad2:id20:\x5f\xbf\xbf\xf1\x0c\x5d\x6a\x4e\xc8\xa8\x8e\x4c\x6a\xb4\xc2\x8b\x95\xee\xe4\x01"
				 "e1:q4:ping1:t2:aa1:y1:qe";
	dht_input(a->d, (struct sockaddr *)&from, sizeof(from), (const uint8_t *)ok, sizeof(ok) - 1, now);
	p = &q[(qtail - 1) % MAX_Q];
	CU_ASSERT_EQUAL_FATAL(krpc_decode(p->buf, p->len, &m, NULL), 0);
	CU_ASSERT_EQUAL(m.type, KRPC_REPLY);
	reset();
}

/* 100 nodes joined through one: an announce reaches most of the 8 nodes
 * truly closest to the infohash, and every other node finds the peer. */
static void test_hundred_nodes(void)
{
	enum { N = 100 };
	struct node *n[N];
	for (int i = 0; i < N; i++)
		n[i] = add(100 + i, NULL);
	for (int i = 1; i < N; i++) {
		link_to(n[i], n[0]);
		run(50);
	}
	/* Every node first contacted the others itself, so it is handed out
	 * in "nodes" only once they have proven it reachable, RT_PINHOLE_MS
	 * after it last contacted them (rtable.h). */
	run(30000 + RT_PINHOLE_MS);
	size_t ready = 0;
	for (int i = 0; i < N; i++)
		ready += dht_is_ready(n[i]->d, AF_INET);
	CU_ASSERT_EQUAL(ready, N);
	for (int round = 0; round < 6; round++) {
		struct dht_id ih;
		net_random(NULL, ih.b, 20);
		struct found fa = { 0 };
		int who = 7 + 13 * round;
		size_t before[N];
		for (int i = 0; i < N; i++) {
			struct dht_stats s;
			dht_get_stats(n[i]->d, &s);
			before[i] = s.peers;
		}
		CU_ASSERT_EQUAL(dht_search(n[who]->d, &ih, AF_INET, 7000, false, on_peers, &fa, now, &fa.id), DHT_OK);
		run(3000);
		CU_ASSERT_EQUAL(fa.done, 1);
		/* The 8 nodes closest to ih, by brute force. */
		int order[N];
		for (int i = 0; i < N; i++)
			order[i] = i;
		for (int i = 0; i < N; i++)
			for (int j = i + 1; j < N; j++)
				if (dht_id_cmp_dist(&ih, dht_my_id(n[order[j]]->d, AF_INET),
				    dht_my_id(n[order[i]]->d, AF_INET)) < 0) {
					int x = order[i];
					order[i] = order[j];
					order[j] = x;
				}
		int stored = 0;
		for (int i = 0; i < 8; i++) {
			struct dht_stats s;
			if (order[i] == who)
				continue;
			dht_get_stats(n[order[i]]->d, &s);
			stored += s.peers > before[order[i]] ? 1 : 0;
		}
		CU_ASSERT_TRUE(stored >= 6);
		int misses = 0;
		for (int i = round; i < N; i += 9) {
			if (i == who)
				continue;
			struct found fb = { 0 };
			CU_ASSERT_EQUAL(dht_search(n[i]->d, &ih, AF_INET, 0, false, on_peers, &fb, now, &fb.id), DHT_OK);
			run(2000);
			CU_ASSERT_EQUAL(fb.done, 1);
			misses += fb.values != 1;
		}
		CU_ASSERT_EQUAL(misses, 0);
	}
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

/* A DHT inside one /24 (a LAN, a test network): with allow_same_subnet a
 * node's announce reaches the 8 nodes closest to the infohash; without it
 * the one-node-per-/24 rule of its routing table and of its lookup
 * candidates leaves it a single node to ask. */
static void test_same_subnet(void)
{
	enum { N = 24 };
	for (int pass = 0; pass < 2; pass++) {
		bool is_allowed = pass == 1;
		struct node *n[N];
		for (int i = 0; i < N; i++)
			n[i] = add(10 + i, NULL); /* the others allow it: their tables fill */
		for (int i = 1; i < N; i++)
			link_to(n[i], n[0]);
		run(20000);
		struct dht_config sc = base_cfg();
		sc.allow_same_subnet = is_allowed;
		struct node *me = add(100, &sc);
		link_to(me, n[0]);
		run(5000);
		struct dht_stats ms;
		dht_get_stats(me->d, &ms);
		if (is_allowed) {
			CU_ASSERT_TRUE(ms.nodes_good[0] >= 8);
		} else {
			CU_ASSERT_EQUAL(ms.nodes_good[0], 1);
		}

		struct dht_id ih;
		memset(ih.b, 0xa5, 20);
		struct found fa = { 0 };
		CU_ASSERT_EQUAL(dht_search(me->d, &ih, AF_INET, 7000, false, on_peers, &fa, now, &fa.id),
		    DHT_OK);
		run(3000);
		CU_ASSERT_EQUAL(fa.done, 1);
		/* which nodes hold the announce, against the 8 closest by brute force */
		bool is_closest[N] = { false };
		for (int k = 0; k < 8; k++) {
			int best = -1;
			for (int i = 0; i < N; i++)
				if (!is_closest[i] && (best < 0 ||
				    dht_id_cmp_dist(&ih, dht_my_id(n[i]->d, AF_INET),
				    dht_my_id(n[best]->d, AF_INET)) < 0))
					best = i;
			is_closest[best] = true;
		}
		int stored = 0, stored_closest = 0;
		for (int i = 0; i < N; i++) {
			struct dht_stats s;
			dht_get_stats(n[i]->d, &s);
			stored += s.peers > 0;
			stored_closest += s.peers > 0 && is_closest[i];
		}
		if (is_allowed) {
			CU_ASSERT_EQUAL(stored, 8);
			CU_ASSERT_EQUAL(stored_closest, 8);
		} else {
			CU_ASSERT_EQUAL(stored, 1);
		}
		CU_ASSERT_EQUAL(oversize, 0);
		reset();
	}
}

/* ---- BEP 44 items ---- */

/* Any 20-byte hash does for targets here, as long as every node uses it. */
static void fake_sha1(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	crypto_generichash(out, 20, p, n, NULL, 0);
}

struct item_got {
	int done;
	bool has_item;
	int64_t seq;
	bool has_put;
	struct dht_put_report put;
	uint32_t id;
};

static void on_item(void *ud, uint32_t sid, const struct dht_id *target,
    const struct dht_item *item, const struct dht_put_report *put)
{
	struct item_got *g = ud;
	(void)target;
	CU_ASSERT_EQUAL(sid, g->id);
	g->done++;
	g->has_item = item != NULL;
	g->seq = item ? item->seq : -1;
	g->has_put = put != NULL;
	if (put)
		g->put = *put;
}

static bool item_there(struct node *n, const struct dht_id *t, const char *salt, int64_t *seq_out)
{
	struct item_got g = { 0 };
	CU_ASSERT_EQUAL(dht_get_item(n->d, t, (const uint8_t *)salt, salt ? strlen(salt) : 0,
	    AF_INET, on_item, &g, now, &g.id), DHT_OK);
	run(6000);
	CU_ASSERT_EQUAL(g.done, 1);
	CU_ASSERT_FALSE(g.has_put);
	*seq_out = g.seq;
	return g.has_item;
}

/* Put it from n; the report comes after the answers: all 8 stored it. */
static void put_ok(struct node *n, const struct dht_item *it)
{
	struct item_got g = { 0 };
	CU_ASSERT_EQUAL(dht_put_item(n->d, it, AF_INET, on_item, &g, now, &g.id), DHT_OK);
	for (int i = 0; i < 600 && !g.done; i++)
		run(10);
	CU_ASSERT_EQUAL(g.done, 1);
	CU_ASSERT_TRUE(g.has_put && g.has_item);
	CU_ASSERT_TRUE(g.put.sent == 8 && g.put.stored == 8 && g.put.errors == 0);
}

static void test_items_reput(void)
{
	enum { N = 12 };
	struct node *n[N];
	struct dht_config c = base_cfg();
	c.sha1 = fake_sha1;
	for (int i = 0; i < N; i++)
		n[i] = add(60 + i, &c);
	for (int i = 1; i < N; i++)
		link_to(n[i], n[0]);
	run(20000);
	uint8_t seed[32], pk[32], sk[64], sig1[64], sig2[64];
	memset(seed, 1, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	struct dht_item mut = { .v = (const uint8_t *)"3:one", .v_len = 5, .k = pk,
		.salt = (const uint8_t *)"r", .salt_len = 1, .seq = 1 };
	CU_ASSERT_EQUAL_FATAL(dht_item_sign(&mut, sk, sig1), DHT_OK);
	struct dht_id tm, ti, tgone;
	CU_ASSERT_EQUAL_FATAL(dht_item_target(n[1]->d, &mut, &tm), DHT_OK);
	put_ok(n[1], &mut);
	/* seq 2 with cas 1 replaces it; the hourly re-put must not send
	 * that cas again (the stored seq is 2 by then: 301 everywhere) */
	mut.v = (const uint8_t *)"3:two";
	mut.seq = 2;
	mut.has_cas = true;
	mut.cas = 1;
	CU_ASSERT_EQUAL_FATAL(dht_item_sign(&mut, sk, sig2), DHT_OK);
	put_ok(n[1], &mut);
	struct dht_item imm = { .v = (const uint8_t *)"4:kept", .v_len = 6 };
	CU_ASSERT_EQUAL_FATAL(dht_item_target(n[1]->d, &imm, &ti), DHT_OK);
	put_ok(n[1], &imm);
	/* an item whose owner stops: nobody re-puts it */
	struct dht_item gone = { .v = (const uint8_t *)"4:gone", .v_len = 6 };
	CU_ASSERT_EQUAL_FATAL(dht_item_target(n[2]->d, &gone, &tgone), DHT_OK);
	put_ok(n[2], &gone);
	n[2]->is_down = true;
	int64_t seq;
	CU_ASSERT_TRUE(item_there(n[5], &tgone, NULL, &seq));

	/* 2.5 hours later: ours are still there (re-put at 1 h and 2 h), the
	 * stopped owner's expired at 2 h */
	run(BEP44_TEST_HOURS_MS);
	CU_ASSERT_TRUE(item_there(n[7], &tm, "r", &seq));
	CU_ASSERT_EQUAL(seq, 2);
	CU_ASSERT_TRUE(item_there(n[8], &ti, NULL, &seq));
	CU_ASSERT_FALSE(item_there(n[9], &tgone, NULL, &seq));
	struct dht_stats st;
	dht_get_stats(n[1]->d, &st);
	CU_ASSERT_EQUAL(st.errors_in, 0); /* no re-put was refused */
	CU_ASSERT_EQUAL(oversize, 0);
	reset();
}

int main(void)
{
	/* Fixed network randomness unless TL_TEST_SEED asks for another. */
	const char *seed = getenv("TL_TEST_SEED");
	if (seed) {
		rng = strtoull(seed, NULL, 0) | 1;
		printf("TL_TEST_SEED=%s\n", seed);
	}
	CU_TestInfo tests[] = {
		TL_TEST(test_ping_and_tables),
		TL_TEST(test_announce_and_find),
		TL_TEST(test_add_node_retry),
		TL_TEST(test_pending_shrinks),
		TL_TEST(test_queued_search),
		TL_TEST(test_search_no_nodes),
		TL_TEST(test_reentrant_callbacks),
		TL_TEST(test_hostile_input),
		TL_TEST(test_no_ping_reflector),
		TL_TEST(test_full_reply_cap),
		TL_TEST(test_read_only),
		TL_TEST(test_persist),
		TL_TEST(test_dual_stack),
		TL_TEST(test_external_ip),
		TL_TEST(test_reply_endpoint),
		TL_TEST(test_enforce_bep42),
		TL_TEST(test_hundred_nodes),
		TL_TEST(test_same_subnet),
		TL_TEST(test_items_reput),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("dht", tests);
}
