/*
 * node_router.c: trackless-node's router mode on the wire (BEP 5, 32, 42,
 * 43). Each thread reads its sockets in recvmmsg batches, answers
 * queries from the shared pool and sends the answers with one sendmmsg
 * per batch; thread 0 also pings pool candidates and crawls.
 *
 * Answers: ping gets our id; find_node, get_peers and unknown methods
 * with a target get nodes of each family asked for (`want`, else the
 * family of the socket): about two thirds closest to the target, the
 * rest a random sample of the pool, NODE_REPEAT_NODES for a source seen
 * within NODE_REPEAT_S. get_peers gets no token and no values: this node
 * stores no peers, and announce_peer gets error 203. Every answer carries
 * `ip` (BEP 42) and stays under 1024 bytes (the encoder refuses more).
 *
 * Abuse: undecodable datagrams and martian sources are dropped unanswered;
 * each source (IPv4 address, IPv6 /64) has a query budget in the thread's
 * limiter (libdht's spoof-resistant table); the thread's share of the
 * global reply-byte budget caps what any mix of sources can draw, with a
 * quarter kept for pings and for verified pool nodes. A reply
 * is only accepted when its transaction id is our cookie for its source,
 * so nothing can be injected into the pool without a round trip.
 *
 * Runs on the thread that owns the node_thread (see node.h).
 */
#include "dht/node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "dht/krpc.h"

/* Socket buffers: a burst of queries must not overflow them. */
#define NODE_SOCKBUF (4 << 20)
/* Slots the pinger walks per family and tick. */
#define NODE_DUE_SCAN 8192u
/* Part of the reply budget only pings and verified sources may use. */
#define NODE_RESERVE_DIV 4
/* The pool is thin below this many verified nodes: crawl the seeds. */
#define NODE_THIN_POOL 16u

static const uint8_t node_version[4] = { 'T', 'L', 0, 1 };

struct node_io {
	uint8_t rbuf[NODE_BATCH][KRPC_MAX_IN + 1];
	struct sockaddr_storage rfrom[NODE_BATCH];
	struct iovec riov[NODE_BATCH];
	struct mmsghdr rmsg[NODE_BATCH];
	uint8_t obuf[NODE_BATCH][KRPC_MAX_OUT];
	struct sockaddr_storage oto[NODE_BATCH];
	struct iovec oiov[NODE_BATCH];
	struct mmsghdr omsg[NODE_BATCH];
	size_t nout;
	struct krpc_msg msg;
};

int64_t node_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint32_t node_now_s(const struct node *n)
{
	/* start at 1000 s so that "seen 0 s ago" never looks like slice 0 */
	return (uint32_t)((node_now_ms() - n->start_ms) / 1000) + 1000;
}

/* ---- sending ---- */

static void flush_out(struct node_thread *t, int fd)
{
	struct node_io *io = t->io;
	size_t done = 0;
	while (done < io->nout) {
		int k = sendmmsg(fd, io->omsg + done, (unsigned)(io->nout - done), MSG_DONTWAIT);
		if (k <= 0) {
			/* a full socket buffer drops the rest of the batch */
			node_count(t, C_DROP_SEND_FAILED, io->nout - done);
			break;
		}
		for (int i = 0; i < k; i++)
			node_count(t, C_BYTES_OUT, io->omsg[done + (size_t)i].msg_hdr.msg_iov->iov_len);
		node_count(t, C_PACKETS_OUT, (uint64_t)k);
		done += (size_t)k;
	}
	io->nout = 0;
}

/* Charge len reply bytes to the thread's budget; false when spent. The
 * last NODE_RESERVE_DIV-th of it is kept for answers that cannot amplify
 * (pings) and for sources proven not spoofed (verified pool nodes), so a
 * crowd of spoofed sources cannot starve them. */
static bool take_budget(struct node_thread *t, size_t len, bool may_use_reserve, int64_t now_ms)
{
	int64_t rate = (int64_t)(t->n->o.reply_budget / t->n->nthreads);
	if (rate <= 0)
		return true;
	if (now_ms > t->budget_ms) {
		t->budget += (now_ms - t->budget_ms) * rate / 1000;
		if (t->budget > rate)
			t->budget = rate;
		t->budget_ms = now_ms;
	}
	int64_t floor = may_use_reserve ? 0 : rate / NODE_RESERVE_DIV;
	if (t->budget - floor < (int64_t)len)
		return false;
	t->budget -= (int64_t)len;
	return true;
}

/* Queue io->obuf[io->nout] (len bytes) for `to`. */
static void queue_out(struct node_thread *t, size_t len, const struct dht_addr *to)
{
	struct node_io *io = t->io;
	size_t i = io->nout++;
	io->oiov[i].iov_base = io->obuf[i];
	io->oiov[i].iov_len = len;
	memset(&io->omsg[i], 0, sizeof(io->omsg[i]));
	io->omsg[i].msg_hdr.msg_iov = &io->oiov[i];
	io->omsg[i].msg_hdr.msg_iovlen = 1;
	io->omsg[i].msg_hdr.msg_name = &io->oto[i];
	io->omsg[i].msg_hdr.msg_namelen = dht_addr_to_sa(to, &io->oto[i]);
}

/* A query of ours (ping or find_node) with a cookie tid, sent at once. */
static bool send_query(struct node_thread *t, int fd, enum krpc_method m, const struct dht_addr *to,
    const struct dht_id *target, uint32_t now_s)
{
	struct node *n = t->n;
	uint8_t tid[DHT_COOKIE_LEN], buf[KRPC_MAX_OUT];
	dht_cookie_make(&n->cookie, to, now_s, tid);
	struct krpc_hdr h = { .tid = tid, .tid_len = sizeof(tid), .v = node_version };
	struct krpc_query q = {
		.method = m, .id = &n->id[dht_af_index(to->family)], .target = target,
		.want = target ? (to->family == AF_INET6 ? KRPC_WANT_N6 : KRPC_WANT_N4) : 0,
	};
	size_t len = krpc_encode_query(&h, &q, buf, sizeof(buf));
	struct sockaddr_storage ss;
	socklen_t sl = dht_addr_to_sa(to, &ss);
	if (len == 0 || sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0) {
		node_count(t, C_DROP_SEND_FAILED, 1);
		return false;
	}
	node_count(t, C_PACKETS_OUT, 1);
	node_count(t, C_BYTES_OUT, len);
	return true;
}

/* ---- answering ---- */

static bool is_repeat_asker(struct node_thread *t, const struct dht_addr *a, uint32_t now_s)
{
	uint8_t in[9], h[8];
	size_t iplen = a->family == AF_INET6 ? 8 : 4; /* an IPv6 /64 is one source */
	in[0] = a->family;
	memcpy(in + 1, a->ip, iplen);
	crypto_shorthash(h, in, 1 + iplen, t->n->asker_key);
	uint64_t v;
	memcpy(&v, h, 8);
	struct node_asker *e = &t->askers[v & ((1u << NODE_REPEAT_BITS) - 1)];
	uint32_t tag = (uint32_t)(v >> 32) | 1u;
	bool rep = e->tag == tag && now_s - e->when_s < NODE_REPEAT_S;
	e->tag = tag;
	e->when_s = now_s;
	return rep;
}

/* k nodes of family af for target: closest first, then a random sample. */
static size_t pick_nodes(struct node_thread *t, int af, const struct dht_id *target, size_t k,
    const struct dht_addr *asker, uint8_t *out)
{
	size_t nclose = k - k / 3;
	size_t got = dht_pool_closest(t->n->pool, af, target, nclose, asker, out);
	return dht_pool_sample(t->n->pool, af, got, k - got, asker, &t->rng, out);
}

static void answer(struct node_thread *t, const struct krpc_msg *m, int sock_af,
    const struct dht_addr *from, bool is_proven, int64_t now_ms, uint32_t now_s)
{
	struct node *n = t->n;
	struct node_io *io = t->io;
	struct krpc_hdr h = { .tid = m->tid, .tid_len = m->tid_len, .v = node_version, .ip = from };
	uint8_t *out = io->obuf[io->nout];
	size_t len = 0;
	enum node_ctr kind = C_REPLIES_OUT;

	switch (m->method) {
	case KRPC_PING:
		node_count(t, C_Q_PING, 1);
		break;
	case KRPC_FIND_NODE:
		node_count(t, C_Q_FIND_NODE, 1);
		break;
	case KRPC_GET_PEERS:
		node_count(t, C_Q_GET_PEERS, 1);
		break;
	case KRPC_ANNOUNCE_PEER:
		node_count(t, C_Q_ANNOUNCE, 1);
		break;
	default:
		node_count(t, C_Q_OTHER, 1);
		break;
	}
	if (m->method == KRPC_PING) {
		struct krpc_reply r = { .id = &n->id[dht_af_index(from->family)] };
		len = krpc_encode_reply(&h, &r, out, KRPC_MAX_OUT);
	} else if (m->method == KRPC_ANNOUNCE_PEER) {
		len = krpc_encode_error(&h, KRPC_ERR_PROTOCOL, "this node does not store peers", out,
		    KRPC_MAX_OUT);
		kind = C_ERRORS_OUT;
	} else if (!m->has_target) {
		len = krpc_encode_error(&h, KRPC_ERR_METHOD, "Method Unknown", out, KRPC_MAX_OUT);
		kind = C_ERRORS_OUT;
	} else {
		uint8_t n4[DHT_POOL_MAX_REPLY * DHT_COMPACT_NODE4];
		uint8_t n6[DHT_POOL_MAX_REPLY * DHT_COMPACT_NODE6];
		int want = m->want ? m->want : (sock_af == AF_INET6 ? KRPC_WANT_N6 : KRPC_WANT_N4);
		size_t k = n->o.reply_nodes;
		if (is_repeat_asker(t, from, now_s)) {
			k = k < NODE_REPEAT_NODES ? k : NODE_REPEAT_NODES;
			node_count(t, C_SHORT_ANSWERS, 1);
		}
		size_t c4 = 0, c6 = 0;
		if (want & KRPC_WANT_N4)
			c4 = pick_nodes(t, AF_INET, &m->target, k, from, n4);
		if (want & KRPC_WANT_N6)
			c6 = pick_nodes(t, AF_INET6, &m->target, k, from, n6);
		struct krpc_reply r = {
			.id = &n->id[dht_af_index(from->family)],
			.nodes = (want & KRPC_WANT_N4) ? n4 : NULL,
			.nodes_len = c4 * DHT_COMPACT_NODE4,
			.nodes6 = (want & KRPC_WANT_N6) ? n6 : NULL,
			.nodes6_len = c6 * DHT_COMPACT_NODE6,
		};
		len = krpc_encode_reply(&h, &r, out, KRPC_MAX_OUT);
	}
	if (len == 0)
		return; /* cannot happen within 1024 bytes; never send a cut message */
	if (!take_budget(t, len, is_proven || m->method == KRPC_PING, now_ms)) {
		node_count(t, C_DROP_BUDGET, 1);
		return;
	}
	node_count(t, kind, 1);
	queue_out(t, len, from);
}

/* Note the nodes named in a reply (compact node infos of family af). */
static void note_nodes(struct node *n, int af, const uint8_t *p, size_t len, uint32_t now_s)
{
	size_t step = af == AF_INET6 ? DHT_COMPACT_NODE6 : DHT_COMPACT_NODE4;
	for (size_t off = 0; off + step <= len; off += step) {
		struct dht_id id;
		struct dht_addr a;
		memcpy(id.b, p + off, 20);
		if (dht_addr_get_compact(af, p + off + 20, step - 20, &a) == 0)
			dht_pool_note(n->pool, &id, &a, DHT_POOL_FROM_REPLY, now_s);
	}
}

static void handle(struct node_thread *t, int sock_af, const uint8_t *p, size_t len,
    const struct dht_addr *from, int64_t now_ms, uint32_t now_s)
{
	struct node *n = t->n;
	struct krpc_msg *m = &t->io->msg;
	const char *why = NULL;
	if (dht_addr_is_martian(from)) {
		node_count(t, C_DROP_MARTIAN, 1);
		return;
	}
	if (len > KRPC_MAX_IN || krpc_decode(p, len, m, &why) < 0) {
		node_count(t, C_DROP_MALFORMED, 1);
		return;
	}
	if (m->type == KRPC_QUERY) {
		enum lim_verdict v = limiter_check(&t->lim, from, now_ms);
		if (v != LIM_ALLOW) {
			node_count(t, v == LIM_BANNED ? C_DROP_BANNED : C_DROP_RATE_LIMITED, 1);
			return;
		}
		/* BEP 43: serve a read-only node, never hand it out */
		bool is_proven = false;
		if (m->is_read_only) {
			node_count(t, C_RO_SEEN, 1);
			dht_pool_remove(n->pool, &m->id, from);
		} else {
			is_proven = dht_pool_note(n->pool, &m->id, from, DHT_POOL_FROM_QUERY, now_s) ==
			    DHT_POOL_KNOWN_VERIFIED;
		}
		answer(t, m, sock_af, from, is_proven, now_ms, now_s);
		return;
	}
	if (!dht_cookie_check(&n->cookie, from, now_s, m->tid, m->tid_len)) {
		node_count(t, C_DROP_BAD_COOKIE, 1);
		return;
	}
	node_count(t, C_COOKIES_OK, 1);
	if (m->type == KRPC_ERROR) {
		node_count(t, C_ERRORS_IN, 1);
		return;
	}
	node_count(t, C_REPLIES_IN, 1);
	dht_pool_confirm(n->pool, &m->id, from, now_s);
	if (m->nodes_len)
		note_nodes(n, AF_INET, m->nodes, m->nodes_len, now_s);
	if (m->nodes6_len)
		note_nodes(n, AF_INET6, m->nodes6, m->nodes6_len, now_s);
}

static void read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct node_sock *s = arg;
	struct node_thread *t = s->t;
	struct node_io *io = t->io;
	(void)what;
	for (int round = 0; round < NODE_BATCHES_PER_WAKE; round++) {
		for (int i = 0; i < NODE_BATCH; i++) {
			io->riov[i].iov_base = io->rbuf[i];
			io->riov[i].iov_len = sizeof(io->rbuf[i]);
			memset(&io->rmsg[i].msg_hdr, 0, sizeof(io->rmsg[i].msg_hdr));
			io->rmsg[i].msg_hdr.msg_iov = &io->riov[i];
			io->rmsg[i].msg_hdr.msg_iovlen = 1;
			io->rmsg[i].msg_hdr.msg_name = &io->rfrom[i];
			io->rmsg[i].msg_hdr.msg_namelen = sizeof(io->rfrom[i]);
		}
		int k = recvmmsg(fd, io->rmsg, NODE_BATCH, MSG_DONTWAIT, NULL);
		if (k <= 0)
			break;
		int64_t now_ms = node_now_ms();
		uint32_t now_s = node_now_s(t->n);
		for (int i = 0; i < k; i++) {
			struct mmsghdr *mh = &io->rmsg[i];
			struct dht_addr from;
			node_count(t, C_PACKETS_IN, 1);
			node_count(t, C_BYTES_IN, mh->msg_len);
			if (dht_addr_from_sa((struct sockaddr *)&io->rfrom[i], mh->msg_hdr.msg_namelen,
			        &from) < 0 || (mh->msg_hdr.msg_flags & MSG_TRUNC)) {
				node_count(t, C_DROP_MALFORMED, 1);
				continue;
			}
			handle(t, s->af, io->rbuf[i], mh->msg_len, &from, now_ms, now_s);
		}
		flush_out(t, fd);
		if (k < NODE_BATCH)
			break;
	}
}

/* ---- sockets ---- */

/* Parse a numeric address ("1.2.3.4", "::1", "[::1]") with our port. */
static int parse_bind(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 2];
	size_t l = strlen(s);
	if (l >= sizeof(host))
		return -1;
	if (s[0] == '[' && l > 2 && s[l - 1] == ']') {
		memcpy(host, s + 1, l - 2);
		host[l - 2] = 0;
	} else {
		memcpy(host, s, l + 1);
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int open_sock(struct node *n, const char *addr, bool is_optional, int *af_out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, buf = NODE_SOCKBUF;
	if (parse_bind(addr, n->o.port, &ss, &sl) < 0) {
		node_log(n, NODE_LOG_ERROR, "bad bind address %s", addr);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		node_log(n, is_optional ? NODE_LOG_WARN : NODE_LOG_ERROR, "socket %s: %s", addr,
		    strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		node_log(n, is_optional ? NODE_LOG_WARN : NODE_LOG_ERROR, "bind %s port %u: %s", addr,
		    (unsigned)n->o.port, strerror(errno));
		close(fd);
		return -1;
	}
	*af_out = ss.ss_family;
	return fd;
}

int node_router_open(struct node_thread *t)
{
	struct node *n = t->n;
	static const char *const defaults[] = { "0.0.0.0", "::" };
	bool is_default = n->o.nbind == 0;
	size_t nb = is_default ? 2 : n->o.nbind;
	t->io = calloc(1, sizeof(*t->io));
	t->askers = calloc((size_t)1 << NODE_REPEAT_BITS, sizeof(*t->askers));
	uint8_t key[LIM_KEY_LEN];
	randombytes_buf(key, sizeof(key));
	if (!t->io || !t->askers || limiter_init(&t->lim, key, node_now_ms()) < 0) {
		node_log(n, NODE_LOG_ERROR, "out of memory");
		return -1;
	}
	randombytes_buf(&t->rng, sizeof(t->rng));
	t->budget_ms = node_now_ms();
	t->budget = (int64_t)(n->o.reply_budget / n->nthreads);
	for (size_t i = 0; i < nb; i++) {
		const char *a = is_default ? defaults[i] : n->o.bind[i];
		int af = 0;
		/* the IPv6 wildcard is optional: hosts without IPv6 still serve IPv4 */
		int fd = open_sock(n, a, is_default && i == 1, &af);
		if (fd < 0) {
			if (is_default && i == 1)
				continue;
			return -1;
		}
		struct node_sock *s = &t->sock[t->nsock++];
		s->t = t;
		s->fd = fd;
		s->af = af;
		s->ev = event_new(t->base, fd, EV_READ | EV_PERSIST, read_cb, s);
		if (!s->ev || event_add(s->ev, NULL) < 0) {
			node_log(n, NODE_LOG_ERROR, "cannot watch socket %s", a);
			return -1;
		}
	}
	return 0;
}

void node_router_close(struct node_thread *t)
{
	for (size_t i = 0; i < t->nsock; i++) {
		if (t->sock[i].ev)
			event_free(t->sock[i].ev);
		close(t->sock[i].fd);
	}
	t->nsock = 0;
	limiter_clear(&t->lim);
	free(t->askers);
	free(t->io);
	t->askers = NULL;
	t->io = NULL;
}

/* ---- maintenance (thread 0) ---- */

static int sock_for(const struct node_thread *t, int af)
{
	for (size_t i = 0; i < t->nsock; i++)
		if (t->sock[i].af == af)
			return t->sock[i].fd;
	return -1;
}

/* One find_node for a random target: to a seed while the pool is thin,
 * else to a random pool node, so that the pool never starves. */
static void crawl_one(struct node *n, struct node_thread *t, int af, size_t verified,
    uint32_t now_s)
{
	int fd = sock_for(t, af);
	if (fd < 0)
		return;
	struct dht_addr to;
	bool has_to = false;
	if (verified < NODE_THIN_POOL) {
		for (size_t i = 0; i < n->nboot && !has_to; i++) {
			const struct dht_addr *b = &n->boot[n->boot_next++ % n->nboot];
			if (b->family == af) {
				to = *b;
				has_to = true;
			}
		}
	}
	if (!has_to && verified) {
		uint8_t one[DHT_COMPACT_NODE6];
		size_t len = af == AF_INET6 ? DHT_COMPACT_NODE6 : DHT_COMPACT_NODE4;
		if (dht_pool_sample(n->pool, af, 0, 1, NULL, &t->rng, one) == 1 &&
		    dht_addr_get_compact(af, one + 20, len - 20, &to) == 0)
			has_to = true;
	}
	if (!has_to)
		return;
	struct dht_id target;
	for (size_t i = 0; i < 20; i += 8) {
		uint64_t r = dht_pool_rand(&t->rng);
		memcpy(target.b + i, &r, i + 8 <= 20 ? 8 : 20 - i);
	}
	if (send_query(t, fd, KRPC_FIND_NODE, &to, &target, now_s))
		node_count(t, C_CRAWLS_OUT, 1);
}

void node_router_tick(struct node *n, struct node_thread *t)
{
	uint32_t now_s = node_now_s(n);
	size_t quota = (size_t)n->o.ping_rate * NODE_TICK_MS / 1000;
	struct dht_pool_ping due[64];
	if (quota == 0)
		quota = 1;
	for (int fi = 0; fi < 2; fi++) {
		int af = fi ? AF_INET6 : AF_INET;
		int fd = sock_for(t, af);
		size_t left = quota, scans = 0;
		if (fd < 0)
			continue;
		/* bounded work per tick: a few scans of NODE_DUE_SCAN slots */
		while (left && scans++ < 4) {
			size_t k = dht_pool_due(n->pool, af, now_s, NODE_DUE_SCAN, due,
			    left < 64 ? left : 64);
			for (size_t i = 0; i < k; i++)
				if (send_query(t, fd, KRPC_PING, &due[i].addr, NULL, now_s))
					node_count(t, C_PINGS_OUT, 1);
			left -= k;
		}
	}
	struct dht_pool_stats st;
	dht_pool_get_stats(n->pool, &st);
	n->crawl_credit += n->o.crawl_rate * (double)NODE_TICK_MS / 1000.0;
	for (int i = 0; n->crawl_credit >= 1.0; i++) {
		n->crawl_credit -= 1.0;
		int fi = i & 1;
		crawl_one(n, t, fi ? AF_INET6 : AF_INET, st.verified[fi], now_s);
	}
}
