/* test_dht_event.c: the libevent adapter of libdht over real loopback
 * sockets: host:port parsing, binding and its errors, datagrams reaching
 * the core (recvmmsg path, oversized datagrams dropped), adapters finding
 * each other through a bootstrap address, an announce found by a third
 * adapter, the state file written at free and loaded at start, a
 * damaged one reported once, and an adapter on the caller's socket
 * (external sockets: send hook and dht_ev_input). */
#include "cutest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "dht/dht_event.h"

static struct event_base *base;

static void test_parse_hostport(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "router.bittorrent.com:6881", 0, "router.bittorrent.com", 6881 },
		{ "127.0.0.2:1", 0, "127.0.0.2", 1 },
		{ "[::1]:25401", 0, "::1", 25401 },
		{ "[::1]", 0, "::1", 6881 },
		{ "example.org", 0, "example.org", 6881 },
		{ "::1", 0, "::1", 6881 },
		{ "host:0", -1, NULL, 0 },
		{ "host:65536", -1, NULL, 0 },
		{ "host:", -1, NULL, 0 },
		{ "host:12x", -1, NULL, 0 },
		{ ":6881", -1, NULL, 0 },
		{ "", -1, NULL, 0 },
		{ "[::1", -1, NULL, 0 },
		{ "[::1]x", -1, NULL, 0 },
		{ "[]:1", -1, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char host[64];
		uint16_t port = 0;
		int rc = dht_ev_parse_hostport(cases[i].in, host, sizeof(host), &port);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc == 0 && cases[i].rc == 0) {
			CU_ASSERT_STRING_EQUAL(host, cases[i].host);
			CU_ASSERT_EQUAL(port, cases[i].port);
		}
	}
	char small[4];
	uint16_t port;
	CU_ASSERT_EQUAL(dht_ev_parse_hostport("abcd:1", small, sizeof(small), &port), -1);
	CU_ASSERT_EQUAL(dht_ev_parse_hostport("abc:1", small, sizeof(small), &port), 0);
}

static struct dht_ev *make(const char *bind4, uint16_t port, const char *const *boot, size_t nboot,
    const char *state, enum dht_err *err_out)
{
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	c.dht.family_mask = DHT_F_INET;
	c.dht.allow_same_subnet = true;
	c.bind_v4 = bind4;
	c.port = port;
	c.bootstrap = boot;
	c.n_bootstrap = nboot;
	c.no_default_routers = true;
	c.state_path = state;
	return dht_ev_new(base, &c, err_out);
}

static void test_bind_errors(void)
{
	enum dht_err err;
	CU_ASSERT_PTR_NULL(make("127.0.0.300", 0, NULL, 0, NULL, &err));
	CU_ASSERT_EQUAL(err, DHT_EINVAL);
	static const char *const bad_boot[] = { "host:0" };
	CU_ASSERT_PTR_NULL(make("127.0.0.1", 0, bad_boot, 1, NULL, &err));
	CU_ASSERT_EQUAL(err, DHT_EINVAL);

	struct dht_ev *a = make("127.0.0.1", 0, NULL, 0, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	uint16_t p = dht_ev_port(a, AF_INET);
	CU_ASSERT_NOT_EQUAL(p, 0);
	CU_ASSERT_EQUAL(dht_ev_port(a, AF_INET6), 0);
	/* the same address and port twice: the second bind fails */
	CU_ASSERT_PTR_NULL(make("127.0.0.1", p, NULL, 0, NULL, &err));
	CU_ASSERT_EQUAL(err, DHT_EIO);
	CU_ASSERT_EQUAL(dht_ev_save(a), DHT_EINVAL);
	dht_ev_free(a);
	dht_ev_free(NULL);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until done(arg) or timeout_ms; returns done's last value. */
static bool run_until(bool (*done)(void *), void *arg, int timeout_ms)
{
	struct event *tick = event_new(base, -1, EV_PERSIST, stop_cb, NULL);
	struct timeval tv = { 0, 20000 };
	event_add(tick, &tv);
	bool ok = false;
	for (int waited = 0; waited < timeout_ms && !(ok = done(arg)); waited += 20)
		event_base_dispatch(base);
	event_free(tick);
	return ok;
}

struct count_wait {
	struct dht_ev *ev;
	uint64_t packets;
};

static bool got_packets(void *arg)
{
	struct count_wait *w = arg;
	struct dht_stats st;
	dht_get_stats(dht_ev_dht(w->ev), &st);
	return st.packets_in >= w->packets;
}

static void test_datagrams_reach_core(void)
{
	enum dht_err err;
	struct dht_ev *a = make("127.0.0.1", 0, NULL, 0, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(dht_ev_port(a, AF_INET)) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	CU_ASSERT_FATAL(fd >= 0);
	/* more than one recvmmsg batch, then one oversized datagram that the
	 * adapter must drop rather than hand over truncated */
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	for (int i = 0; i < 70; i++)
		sendto(fd, ping, sizeof(ping) - 1, 0, (struct sockaddr *)&to, sizeof(to));
	static uint8_t big[4000];
	memset(big, 'x', sizeof(big));
	sendto(fd, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to));
	struct count_wait w = { a, 70 };
	CU_ASSERT_TRUE(run_until(got_packets, &w, 3000));
	/* give the oversized one time to arrive: it must not be counted */
	w.packets = 71;
	CU_ASSERT_FALSE(run_until(got_packets, &w, 200));
	close(fd);
	dht_ev_free(a);
}

/* ---- three adapters on 127.0.0.1: bootstrap, announce, search ---- */

static bool has_good_node(void *arg)
{
	struct dht_stats st;
	dht_get_stats(dht_ev_dht(arg), &st);
	return st.nodes_good[0] >= 1;
}

struct found {
	uint16_t want_port;
	bool is_found;
	bool is_done;
};

static void found_cb(void *ud, uint32_t search_id, const struct dht_id *infohash, int af,
    const uint8_t *peers, size_t npeers, bool is_done)
{
	(void)search_id, (void)infohash, (void)af;
	struct found *f = ud;
	for (size_t i = 0; i < npeers; i++) {
		const uint8_t *p = peers + 6 * i;
		if (p[0] == 127 && p[3] == 2 && (p[4] << 8 | p[5]) == f->want_port)
			f->is_found = true;
	}
	if (is_done)
		f->is_done = true;
}

static bool search_done(void *arg)
{
	return ((struct found *)arg)->is_done;
}

static void test_three_adapters(void)
{
	enum dht_err err;
	char boot[32];
	/* distinct addresses: a routing table keeps one node per IP */
	struct dht_ev *a = make("127.0.0.1", 0, NULL, 0, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(boot, sizeof(boot), "127.0.0.1:%u", dht_ev_port(a, AF_INET));
	const char *const bl[] = { boot };
	struct dht_ev *b = make("127.0.0.2", 0, bl, 1, NULL, &err);
	struct dht_ev *c = make("127.0.0.3", 0, bl, 1, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* b and c learn a through its bootstrap address, a learns them back */
	CU_ASSERT_TRUE(run_until(has_good_node, b, 5000));
	CU_ASSERT_TRUE(run_until(has_good_node, c, 5000));
	CU_ASSERT_TRUE(run_until(has_good_node, a, 5000));

	struct dht_id h;
	memset(h.b, 0x5a, sizeof(h.b));
	struct found ann = { 0 };
	CU_ASSERT_EQUAL_FATAL(dht_search(dht_ev_dht(b), &h, AF_INET, 4321, false, found_cb, &ann,
	    dht_ev_now(b), NULL), DHT_OK);
	dht_ev_kick(b);
	CU_ASSERT_TRUE(run_until(search_done, &ann, 10000));

	struct found get = { .want_port = 4321 };
	CU_ASSERT_EQUAL_FATAL(dht_search(dht_ev_dht(c), &h, AF_INET, 0, false, found_cb, &get,
	    dht_ev_now(c), NULL), DHT_OK);
	dht_ev_kick(c);
	CU_ASSERT_TRUE(run_until(search_done, &get, 10000));
	CU_ASSERT_TRUE(get.is_found);
	dht_ev_free(c);
	dht_ev_free(b);
	dht_ev_free(a);
}

/* The state file is written at free and taken over by the next start:
 * the node keeps its id. */
static void test_state_file(void)
{
	char tmpl[] = "/tmp/test_dht_event.XXXXXX";
	char *dir = mkdtemp(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char path[256];
	snprintf(path, sizeof(path), "%s/dht.dat", dir);
	enum dht_err err;
	struct dht_ev *a = make("127.0.0.4", 0, NULL, 0, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char boot[32];
	snprintf(boot, sizeof(boot), "127.0.0.4:%u", dht_ev_port(a, AF_INET));
	const char *const bl[] = { boot };
	struct dht_ev *b = make("127.0.0.5", 0, bl, 1, path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_TRUE(run_until(has_good_node, b, 5000));
	struct dht_id id = *dht_my_id(dht_ev_dht(b), AF_INET);
	dht_ev_free(b);
	CU_ASSERT_EQUAL(access(path, R_OK), 0);
	/* no bootstrap this time: the saved node (a) is all it has */
	b = make("127.0.0.5", 0, NULL, 0, path, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(memcmp(dht_my_id(dht_ev_dht(b), AF_INET), &id, sizeof(id)), 0);
	CU_ASSERT_TRUE(run_until(has_good_node, b, 5000));
	CU_ASSERT_EQUAL(dht_ev_save(b), DHT_OK);
	dht_ev_free(b);
	dht_ev_free(a);
	unlink(path);
	rmdir(dir);
}

struct warn_log {
	int nwarn;
	char last[512];
};

static void warn_hook(void *ud, const struct dht_event *e)
{
	struct warn_log *w = ud;
	if (e->type == DHT_EV_LOG && e->level >= DHT_LOG_WARN) {
		w->nwarn++;
		snprintf(w->last, sizeof(w->last), "%s", e->msg);
	}
}

/* A node over path, its warnings counted into w. */
static struct dht_ev *make_logged(const char *path, struct warn_log *w)
{
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	c.dht.family_mask = DHT_F_INET;
	c.dht.event = warn_hook;
	c.dht.ud = w;
	c.bind_v4 = "127.0.0.6";
	c.no_default_routers = true;
	c.state_path = path;
	return dht_ev_new(base, &c, NULL);
}

/* A damaged state file is not used, and said once, with its name and
 * why; a missing one (a first start) is no news. */
static void test_state_file_damaged(void)
{
	char tmpl[] = "/tmp/test_dht_event.XXXXXX";
	char *dir = mkdtemp(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char path[256];
	snprintf(path, sizeof(path), "%s/dht.dat", dir);

	struct warn_log w = { 0, "" };
	struct dht_ev *ev = make_logged(path, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(w.nwarn, 0);
	dht_ev_free(ev);

	static const char *const bad[] = { "garbage", "d1:vi99ee", "d2:id3:abc1:vi1ee" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "wb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs(bad[i], f);
		fclose(f);
		w = (struct warn_log){ 0, "" };
		ev = make_logged(path, &w);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
		CU_ASSERT_EQUAL(w.nwarn, 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(w.last, path));
		CU_ASSERT_PTR_NOT_NULL(strstr(w.last, "damaged or not a DHT state file"));
		/* the node runs on a fresh id and replaces the file */
		CU_ASSERT_EQUAL(dht_ev_save(ev), DHT_OK);
		dht_ev_free(ev);
		w = (struct warn_log){ 0, "" };
		ev = make_logged(path, &w);
		CU_ASSERT_EQUAL(w.nwarn, 0);
		dht_ev_free(ev);
	}

	/* a file that cannot be read: the system's reason */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(mkdir(path, 0700), 0);
	w = (struct warn_log){ 0, "" };
	ev = make_logged(path, &w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	CU_ASSERT_EQUAL(w.nwarn, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(w.last, strerror(EISDIR)));
	dht_ev_free(ev);
	rmdir(path);
	rmdir(dir);
}

/* ---- external sockets: the caller owns the socket ---- */

struct ext {
	struct dht_ev *ev;
	int fd;                 /* the caller's socket */
	int nsent;
	int nreplies;           /* KRPC replies among them ("1:y1:r") */
	struct sockaddr_in reply_to; /* where the last went */
};

static int ext_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	struct ext *x = ud;
	x->nsent++;
	if (len > 0 && buf[0] == 'd' && memmem(buf, len, "1:y1:r", 6) && to->sa_family == AF_INET) {
		x->nreplies++;
		memcpy(&x->reply_to, to, sizeof(x->reply_to));
	}
	if (x->fd >= 0 && sendto(x->fd, buf, len, 0, to, tolen) < 0)
		return -1;
	return 0;
}

static void ext_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct ext *x = arg;
	uint8_t buf[1500];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	if (n >= 0)
		CU_ASSERT_EQUAL(dht_ev_input(x->ev, buf, (size_t)n, (struct sockaddr *)&from, fl), DHT_OK);
}

static struct dht_ev *make_ext(struct ext *x, uint16_t port, const char *const *boot, size_t nboot)
{
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	c.dht.family_mask = DHT_F_INET;
	c.dht.allow_same_subnet = true;
	c.dht.send = ext_send;
	c.dht.ud = x;
	/* never bound in this mode: an address that cannot be would fail */
	c.bind_v4 = "127.0.0.300";
	c.port = port;
	c.bootstrap = boot;
	c.n_bootstrap = nboot;
	c.no_default_routers = true;
	return dht_ev_new(base, &c, NULL);
}

/* A query handed in with dht_ev_input is answered through the hook, to
 * its sender; the adapter reports the caller's port for its family only. */
static void test_external_input(void)
{
	struct ext x = { .fd = -1 };
	x.ev = make_ext(&x, 4567, NULL, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.ev);
	CU_ASSERT_EQUAL(dht_ev_port(x.ev, AF_INET), 4567);
	CU_ASSERT_EQUAL(dht_ev_port(x.ev, AF_INET6), 0);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(1234) };
	inet_pton(AF_INET, "127.0.0.9", &from.sin_addr);
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	CU_ASSERT_EQUAL(dht_ev_input(x.ev, (const uint8_t *)ping, sizeof(ping) - 1,
	    (struct sockaddr *)&from, sizeof(from)), DHT_OK);
	/* the answer (the core may also ping the new node back) */
	CU_ASSERT_EQUAL_FATAL(x.nreplies, 1);
	CU_ASSERT_EQUAL(x.reply_to.sin_port, htons(1234));
	CU_ASSERT_EQUAL(x.reply_to.sin_addr.s_addr, from.sin_addr.s_addr);
	struct dht_stats st;
	dht_get_stats(dht_ev_dht(x.ev), &st);
	CU_ASSERT_EQUAL(st.packets_in, 1);
	/* hostile bytes are counted and dropped, never answered */
	int sent = x.nsent;
	CU_ASSERT_EQUAL(dht_ev_input(x.ev, (const uint8_t *)"dxx", 3, (struct sockaddr *)&from,
	    sizeof(from)), DHT_OK);
	CU_ASSERT_EQUAL(x.nsent, sent);
	dht_get_stats(dht_ev_dht(x.ev), &st);
	CU_ASSERT_EQUAL(st.packets_in, 2);
	CU_ASSERT_EQUAL(st.drop_malformed, 1);
	dht_ev_free(x.ev);
}

/* An adapter on the caller's socket joins a socket-owning one through
 * its bootstrap address: both directions go through the caller. */
static void test_external_bootstrap(void)
{
	enum dht_err err;
	struct dht_ev *a = make("127.0.0.1", 0, NULL, 0, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	char boot[32];
	snprintf(boot, sizeof(boot), "127.0.0.1:%u", dht_ev_port(a, AF_INET));
	const char *const bl[] = { boot };

	struct ext x = { 0 };
	x.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CU_ASSERT_FATAL(x.fd >= 0);
	struct sockaddr_in me = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.7", &me.sin_addr);
	socklen_t ml = sizeof(me);
	CU_ASSERT_FATAL(bind(x.fd, (struct sockaddr *)&me, sizeof(me)) == 0);
	CU_ASSERT_FATAL(getsockname(x.fd, (struct sockaddr *)&me, &ml) == 0);
	struct event *rd = event_new(base, x.fd, EV_READ | EV_PERSIST, ext_read_cb, &x);
	event_add(rd, NULL);
	x.ev = make_ext(&x, ntohs(me.sin_port), bl, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x.ev);
	CU_ASSERT_TRUE(run_until(has_good_node, x.ev, 5000));
	CU_ASSERT_TRUE(run_until(has_good_node, a, 5000));
	CU_ASSERT_TRUE(x.nsent > 0);
	dht_ev_free(x.ev);
	event_free(rd);
	close(x.fd);
	dht_ev_free(a);
}

int main(void)
{
	base = event_base_new();
	CU_TestInfo tests[] = {
		TL_TEST(test_parse_hostport),
		TL_TEST(test_bind_errors),
		TL_TEST(test_datagrams_reach_core),
		TL_TEST(test_three_adapters),
		TL_TEST(test_state_file),
		TL_TEST(test_state_file_damaged),
		TL_TEST(test_external_input),
		TL_TEST(test_external_bootstrap),
		CU_TEST_INFO_NULL,
	};
	int rc = tl_test_run("dht_event", tests);
	event_base_free(base);
	return rc;
}
