/* test_tracker_udp.c: the BEP 15 client against an in-process fake tracker
 * on 127.0.0.1 and ::1 under a real event loop with a short retransmission
 * base: connect then announce, connection id reuse, retransmission after a
 * lost packet, a reply with the wrong transaction id ignored, error
 * packets, timeouts, IPv6 peers, scrape; and the tier logic of tracker.c
 * driving it through tl_tracker_net_io on its own timer. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "engine/tracker.h"
#include "io/tracker_udp.h"

struct fake {
	evutil_socket_t fd;
	int family;
	struct event *ev;
	uint16_t port;
	int connects, announces, scrapes;
	int drop_connects;   /* ignore this many connects */
	bool wrong_tid_first; /* answer an announce first with another tid */
	bool send_error;
	bool silent;
	uint64_t conn_id;
	uint8_t last_event;
	uint16_t last_port;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void fake_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct fake *f = arg;
	uint8_t b[2048], o[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
	if (n < 16 || f->silent)
		return;
	uint32_t action = get32(b + 8), tid = get32(b + 12);
	put32(o + 4, tid);
	size_t olen = 0;
	if (action == 0) {
		f->connects++;
		if (f->drop_connects > 0) {
			f->drop_connects--;
			return;
		}
		CU_ASSERT_EQUAL(get32(b), 0x417);
		CU_ASSERT_EQUAL(get32(b + 4), 0x27101980);
		put32(o, 0);
		put32(o + 8, (uint32_t)(f->conn_id >> 32));
		put32(o + 12, (uint32_t)f->conn_id);
		olen = 16;
	} else if (action == 1 && n == 98) {
		f->announces++;
		CU_ASSERT_EQUAL(((uint64_t)get32(b) << 32 | get32(b + 4)), f->conn_id);
		f->last_event = b[83];
		f->last_port = (uint16_t)(b[96] << 8 | b[97]);
		if (f->send_error) {
			put32(o, 3);
			memcpy(o + 8, "go away", 7);
			olen = 15;
		} else {
			put32(o, 1);
			put32(o + 8, 900);
			put32(o + 12, 1);
			put32(o + 16, 2);
			uint8_t *p = o + 20;
			if (f->family == AF_INET) {
				static const uint8_t peer[6] = { 10, 1, 2, 3, 0x1a, 0xe1 };
				memcpy(p, peer, 6);
				olen = 26;
			} else {
				memset(p, 0, 18);
				p[0] = 0xfd, p[15] = 9, p[16] = 0x1a, p[17] = 0xe2;
				olen = 38;
			}
		}
		if (f->wrong_tid_first) {
			f->wrong_tid_first = false;
			put32(o + 4, tid + 1);
			sendto(fd, o, olen, 0, (struct sockaddr *)&from, fl);
			put32(o + 4, tid);
		}
	} else if (action == 2) {
		f->scrapes++;
		put32(o, 2);
		put32(o + 8, 5);
		put32(o + 12, 6);
		put32(o + 16, 7);
		olen = 20;
	}
	if (olen)
		sendto(fd, o, olen, 0, (struct sockaddr *)&from, fl);
}

static struct event_base *base;

static bool fake_open(struct fake *f, int family)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->conn_id = 0x0102030405060708ull;
	f->fd = socket(family, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		sl = sizeof(*a);
	}
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&ss, sl) != 0) {
		if (f->fd >= 0)
			close(f->fd);
		return false;
	}
	getsockname(f->fd, (struct sockaddr *)&ss, &sl);
	f->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	f->ev = event_new(base, f->fd, EV_READ | EV_PERSIST, fake_read_cb, f);
	event_add(f->ev, NULL);
	return true;
}

static void fake_close(struct fake *f)
{
	event_free(f->ev);
	close(f->fd);
}

/* The outcome of one request. */
static struct {
	bool is_done;
	char error[128];
	bool has_failure;
	char failure[128];
	size_t npeers;
	char peer0[64];
	int64_t interval, complete, incomplete;
	size_t nfiles;
	int64_t scrape_complete;
} res;

static void done_cb(void *arg, const char *error, const struct tl_tracker_reply *r)
{
	(void)arg;
	memset(&res, 0, sizeof(res));
	res.is_done = true;
	if (error) {
		snprintf(res.error, sizeof(res.error), "%s", error);
	} else {
		res.has_failure = r->failure != NULL;
		if (r->failure)
			snprintf(res.failure, sizeof(res.failure), "%s", r->failure);
		res.npeers = r->npeers;
		if (r->npeers)
			tl_tracker_addr_str(&r->peers[0], res.peer0, sizeof(res.peer0));
		res.interval = r->interval;
		res.complete = r->complete;
		res.incomplete = r->incomplete;
		res.nfiles = r->nfiles;
		if (r->nfiles)
			res.scrape_complete = r->files[0].complete;
	}
	event_base_loopbreak(base);
}

static void run_loop(void)
{
	struct timeval tv = { 10, 0 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static struct tl_announce_req the_req(void)
{
	struct tl_announce_req r;
	memset(&r, 0, sizeof(r));
	memset(r.info_hash.b, 0xaa, 20);
	memset(r.peer_id.b, 0xbb, 20);
	r.port = 7777;
	r.event = TL_TRACKER_EV_STARTED;
	r.numwant = -1;
	return r;
}

static void announce(struct tl_tracker_udp *c, const char *url)
{
	char err[128] = "";
	struct tl_announce_req req = the_req();
	memset(&res, 0, sizeof(res));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tl_tracker_udp_announce(c, url, &req, 5000, done_cb, NULL, err,
	    sizeof(err)));
	run_loop();
	CU_ASSERT_TRUE(res.is_done);
}

static void test_v4_connect_reuse_retransmit(void)
{
	base = event_base_new();
	struct fake f;
	CU_ASSERT_TRUE_FATAL(fake_open(&f, AF_INET));
	struct tl_tracker_udp *c = tl_tracker_udp_new(base, NULL, 50, 4);
	char url[64];
	snprintf(url, sizeof(url), "udp://127.0.0.1:%u/announce", f.port);

	announce(c, url);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_EQUAL(res.npeers, 1);
	CU_ASSERT_STRING_EQUAL(res.peer0, "10.1.2.3:6881");
	CU_ASSERT_EQUAL(res.interval, 900);
	CU_ASSERT_EQUAL(res.incomplete, 1);
	CU_ASSERT_EQUAL(res.complete, 2);
	CU_ASSERT_EQUAL(f.connects, 1);
	CU_ASSERT_EQUAL(f.announces, 1);
	CU_ASSERT_EQUAL(f.last_event, 2);
	CU_ASSERT_EQUAL(f.last_port, 7777);

	/* the connection id is reused within the minute */
	announce(c, url);
	CU_ASSERT_EQUAL(res.npeers, 1);
	CU_ASSERT_EQUAL(f.connects, 1);
	CU_ASSERT_EQUAL(f.announces, 2);

	/* a reply with another transaction id is ignored, not fatal */
	f.wrong_tid_first = true;
	announce(c, url);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_EQUAL(res.npeers, 1);
	tl_tracker_udp_free(c);

	/* a new client must connect; the first connect is lost and resent */
	c = tl_tracker_udp_new(base, NULL, 50, 4);
	f.drop_connects = 2;
	struct timeval t0, t1;
	gettimeofday(&t0, NULL);
	announce(c, url);
	gettimeofday(&t1, NULL);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
	CU_ASSERT_EQUAL(res.npeers, 1);
	CU_ASSERT_EQUAL(f.connects, 4);
	/* resent after 50 ms, then 100 ms: 150 ms at least, well under 1 s */
	CU_ASSERT_TRUE(ms >= 140 && ms < 1000);

	/* an error packet is the tracker's failure */
	f.send_error = true;
	announce(c, url);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_TRUE(res.has_failure);
	CU_ASSERT_STRING_EQUAL(res.failure, "go away");
	f.send_error = false;

	/* a silent tracker: 4 tries at 50, 100, 200, 400 ms, then timed out */
	f.silent = true;
	f.connects = 0;
	announce(c, url);
	CU_ASSERT_STRING_EQUAL(res.error, "timed out");
	f.silent = false;

	/* scrape */
	struct tl_infohash ih;
	memset(ih.b, 0xaa, 20);
	char err[128];
	memset(&res, 0, sizeof(res));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tl_tracker_udp_scrape(c, url, &ih, 1, 5000, done_cb, NULL, err,
	    sizeof(err)));
	run_loop();
	CU_ASSERT_EQUAL(res.nfiles, 1);
	CU_ASSERT_EQUAL(res.scrape_complete, 5);
	CU_ASSERT_EQUAL(f.scrapes, 1);

	/* bad URLs fail at once; a cancelled request never calls back */
	struct tl_announce_req req = the_req();
	CU_ASSERT_PTR_NULL(tl_tracker_udp_announce(c, "udp://127.0.0.1", &req, 100, done_cb, NULL,
	    err, sizeof(err)));
	CU_ASSERT_PTR_NULL(tl_tracker_udp_announce(c, "udp://tracker.invalid:80", &req, 100,
	    done_cb, NULL, err, sizeof(err)));
	CU_ASSERT_STRING_EQUAL(err, "no resolver for host tracker.invalid");
	memset(&res, 0, sizeof(res));
	struct tl_tracker_udp_req *r = tl_tracker_udp_announce(c, url, &req, 5000, done_cb, NULL,
	    err, sizeof(err));
	tl_tracker_udp_cancel(r);
	struct timeval tv = { 0, 200000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	CU_ASSERT_FALSE(res.is_done);
	/* pending requests die with the client, without callbacks */
	tl_tracker_udp_announce(c, url, &req, 5000, done_cb, NULL, err, sizeof(err));
	tl_tracker_udp_free(c);
	CU_ASSERT_FALSE(res.is_done);
	fake_close(&f);
	event_base_free(base);
}

static void test_v6(void)
{
	base = event_base_new();
	struct fake f;
	if (!fake_open(&f, AF_INET6)) {
		printf("no IPv6 loopback: skipping\n");
		event_base_free(base);
		return;
	}
	struct tl_tracker_udp *c = tl_tracker_udp_new(base, NULL, 50, 3);
	char url[64];
	snprintf(url, sizeof(url), "udp://[::1]:%u", f.port);
	announce(c, url);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_EQUAL(res.npeers, 1);
	CU_ASSERT_STRING_EQUAL(res.peer0, "[fd00::9]:6882");
	tl_tracker_udp_free(c);
	fake_close(&f);
	event_base_free(base);
}

/* tracker.c on the real loop: its timer sends started, delivers peers,
 * then stop sends stopped and the set goes quiet. */
static int peers_seen;

static void peers_cb(void *arg, const struct sockaddr_storage *p, size_t n)
{
	(void)arg;
	(void)p;
	peers_seen += (int)n;
	event_base_loopbreak(base);
}

static void test_tiers_over_udp(void)
{
	base = event_base_new();
	struct fake f;
	CU_ASSERT_TRUE_FATAL(fake_open(&f, AF_INET));
	struct tl_tracker_udp *c = tl_tracker_udp_new(base, NULL, 50, 2);
	struct tl_tracker_net net = { NULL, c, 2000 };
	struct tl_tracker_io io;
	tl_tracker_net_io(&net, &io);
	char good[64];
	snprintf(good, sizeof(good), "udp://127.0.0.1:%u", f.port);
	/* the HTTP tracker in tier 0 has no client here: it fails, tier 1 answers */
	const char *urls[] = { "http://127.0.0.1:1/announce", good };
	const unsigned tiers[] = { 0, 1 };
	struct tl_tracker_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.port = 5555;
	cfg.numwant = 10;
	struct tl_tracker *t = tl_tracker_new(base, &io, &cfg, urls, tiers, 2, peers_cb, NULL);
	peers_seen = 0;
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
	run_loop();
	CU_ASSERT_EQUAL(peers_seen, 1);
	CU_ASSERT_EQUAL(f.last_event, 2);
	CU_ASSERT_EQUAL(f.last_port, 5555);
	struct tl_tracker_status st;
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.error, "no client for this kind of tracker");
	tl_tracker_status(t, 1, &st);
	CU_ASSERT_TRUE(st.is_ok);
	tl_tracker_event(t, TL_TRACKER_EV_STOPPED, tl_tracker_now_ms());
	for (int i = 0; i < 50 && !tl_tracker_is_done(t); i++) {
		struct timeval tv = { 0, 20000 };
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	CU_ASSERT_TRUE(tl_tracker_is_done(t));
	CU_ASSERT_EQUAL(f.last_event, 3);
	CU_ASSERT_EQUAL(f.announces, 2);
	tl_tracker_free(t);
	tl_tracker_udp_free(c);
	fake_close(&f);
	event_base_free(base);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_v4_connect_reuse_retransmit),
		TL_TEST(test_v6),
		TL_TEST(test_tiers_over_udp),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("tracker_udp", tests);
}
