/* test_tracker.c: BEP 12 tiers and announce scheduling on a fake clock
 * with a fake io: order within and across tiers, move-to-front, back-off,
 * intervals, events, tracker id, stop, private flag, peer delivery. */
#include "cutest.h"

#include <netinet/in.h>

#include "engine/tracker.h"

/* The fake io: one request at a time, completed by the test. */
static struct {
	bool is_busy;
	char url[256];
	struct tl_announce_req req;
	char tracker_id[64];
	tl_tracker_done_fn done;
	void *arg;
	int sent;
	int cancelled;
	bool refuse; /* announce() fails at once */
} io_state;

static int handle_token;

static void *fake_announce(void *ctx, const char *url, const struct tl_announce_req *req,
    tl_tracker_done_fn done, void *done_arg, char *err, size_t cap)
{
	(void)ctx;
	if (io_state.refuse) {
		snprintf(err, cap, "refused");
		return NULL;
	}
	CU_ASSERT_FALSE(io_state.is_busy);
	io_state.is_busy = true;
	snprintf(io_state.url, sizeof(io_state.url), "%s", url);
	io_state.req = *req;
	snprintf(io_state.tracker_id, sizeof(io_state.tracker_id), "%s",
	    req->tracker_id ? req->tracker_id : "");
	io_state.done = done;
	io_state.arg = done_arg;
	io_state.sent++;
	return &handle_token;
}

static void fake_cancel(void *ctx, void *handle)
{
	(void)ctx;
	CU_ASSERT_PTR_EQUAL(handle, &handle_token);
	io_state.is_busy = false;
	io_state.cancelled++;
}

static const struct tl_tracker_io fake_io = { fake_announce, fake_cancel, NULL };

static struct sockaddr_storage got_peers[8];
static size_t ngot;

static void peers_cb(void *arg, const struct sockaddr_storage *p, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n && ngot < 8; i++)
		got_peers[ngot++] = p[i];
}

static void fail_now(const char *msg)
{
	CU_ASSERT_TRUE_FATAL(io_state.is_busy);
	io_state.is_busy = false;
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	io_state.done(io_state.arg, msg, &r);
}

static void ok_now(int64_t interval, int64_t min_interval, size_t npeers, const char *tid)
{
	CU_ASSERT_TRUE_FATAL(io_state.is_busy);
	io_state.is_busy = false;
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	r.interval = interval;
	r.min_interval = min_interval;
	r.complete = 3;
	r.incomplete = 4;
	struct sockaddr_storage peers[2];
	memset(peers, 0, sizeof(peers));
	for (size_t i = 0; i < 2; i++) {
		struct sockaddr_in *a = (struct sockaddr_in *)&peers[i];
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)(1000 + i));
	}
	r.peers = peers;
	r.npeers = npeers;
	r.tracker_id = (char *)tid;
	io_state.done(io_state.arg, NULL, &r);
}

static struct tl_tracker *make(const char *const *urls, const unsigned *tiers, size_t n,
    uint64_t seed)
{
	memset(&io_state, 0, sizeof(io_state));
	ngot = 0;
	struct tl_tracker_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	memset(cfg.info_hash.b, 0x11, 20);
	memset(cfg.peer_id.b, 0x22, 20);
	cfg.port = 6881;
	cfg.numwant = 50;
	cfg.seed = seed;
	return tl_tracker_new(NULL, &fake_io, &cfg, urls, tiers, n, peers_cb, NULL);
}

static void test_tiers_and_failover(void)
{
	static const char *const urls[] = { "http://b1/announce", "udp://a1:80", "http://a2/announce",
		"ftp://nope", "http://a2/announce", "http://b2/announce" };
	static const unsigned tiers[] = { 1, 0, 0, 0, 0, 1 };
	struct tl_tracker *t = make(urls, tiers, 6, 42);
	/* unsupported scheme and duplicate dropped; tier 0 first */
	CU_ASSERT_EQUAL_FATAL(tl_tracker_count(t), 4);
	struct tl_tracker_status st;
	for (size_t i = 0; i < 4; i++) {
		tl_tracker_status(t, i, &st);
		CU_ASSERT_EQUAL(st.tier, i < 2 ? 0u : 1u);
	}
	/* nothing before an event */
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 1000), UINT64_MAX);
	CU_ASSERT_EQUAL(io_state.sent, 0);

	tl_tracker_set_progress(t, 5, 6, 7);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 1000);
	tl_tracker_tick(t, 1000);
	CU_ASSERT_EQUAL_FATAL(io_state.sent, 1);
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(io_state.url, st.url);
	CU_ASSERT_TRUE(st.is_updating);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_STARTED);
	CU_ASSERT_EQUAL(io_state.req.uploaded, 5);
	CU_ASSERT_EQUAL(io_state.req.left, 7);
	CU_ASSERT_EQUAL(io_state.req.port, 6881);
	char first[256];
	snprintf(first, sizeof(first), "%s", io_state.url);

	/* the first fails: the other tracker of tier 0 gets started too */
	fail_now("timed out");
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.error, "timed out");
	CU_ASSERT_EQUAL(st.fails, 1);
	CU_ASSERT_EQUAL(st.next_ms, 1000 + 60000);
	tl_tracker_tick(t, 1000);
	CU_ASSERT_EQUAL_FATAL(io_state.sent, 2);
	CU_ASSERT_STRING_NOT_EQUAL(io_state.url, first);
	CU_ASSERT_EQUAL(strncmp(io_state.url, "http://b", 8) == 0, 0);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_STARTED);
	char second[256];
	snprintf(second, sizeof(second), "%s", io_state.url);

	/* it answers: moves to the front of tier 0, peers delivered */
	ok_now(1800, 900, 2, "tid-1");
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.url, second);
	CU_ASSERT_TRUE(st.is_ok);
	CU_ASSERT_EQUAL(st.npeers, 2);
	CU_ASSERT_EQUAL(st.seeders, 3);
	CU_ASSERT_EQUAL(st.leechers, 4);
	CU_ASSERT_PTR_NULL(st.error);
	CU_ASSERT_EQUAL(st.next_ms, 1000 + 1800 * 1000);
	tl_tracker_status(t, 1, &st);
	CU_ASSERT_STRING_EQUAL(st.url, first);
	CU_ASSERT_EQUAL(ngot, 2);

	/* the interval is respected; the next announce carries no event and
	 * echoes the tracker id */
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 2000), 1000 + 1800 * 1000);
	CU_ASSERT_EQUAL(io_state.sent, 2);
	tl_tracker_tick(t, 1000 + 1800 * 1000);
	CU_ASSERT_EQUAL_FATAL(io_state.sent, 3);
	CU_ASSERT_STRING_EQUAL(io_state.url, second);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_NONE);
	CU_ASSERT_STRING_EQUAL(io_state.tracker_id, "tid-1");
	tl_tracker_free(t);
	CU_ASSERT_EQUAL(io_state.cancelled, 1);
}

static void test_next_tier_and_backoff(void)
{
	static const char *const urls[] = { "http://a/announce", "http://b/announce" };
	static const unsigned tiers[] = { 0, 1 };
	struct tl_tracker *t = make(urls, tiers, 2, 7);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	CU_ASSERT_STRING_EQUAL(io_state.url, "http://a/announce");
	fail_now("HTTP 500");
	tl_tracker_tick(t, 0);
	CU_ASSERT_STRING_EQUAL(io_state.url, "http://b/announce");
	fail_now("HTTP 500");
	/* both back off: wake at the first retry */
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 0), 60000);
	tl_tracker_tick(t, 60000);
	CU_ASSERT_STRING_EQUAL(io_state.url, "http://a/announce");
	fail_now("HTTP 500");
	struct tl_tracker_status st;
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_EQUAL(st.fails, 2);
	CU_ASSERT_EQUAL(st.next_ms, 60000 + 120000);
	/* b is due again before a: exponential back-off is per tracker */
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 60000), UINT64_MAX);
	CU_ASSERT_STRING_EQUAL(io_state.url, "http://b/announce");
	fail_now("HTTP 500");
	for (int i = 0; i < 10; i++) {
		uint64_t w = tl_tracker_tick(t, 10000000ull * (uint64_t)(i + 1));
		(void)w;
		if (io_state.is_busy)
			fail_now("HTTP 500");
	}
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_EQUAL(st.fails, 12);
	CU_ASSERT_EQUAL(st.next_ms, 100000000ull + 3600000);
	/* a refusal at send time counts as a failure too */
	io_state.refuse = true;
	tl_tracker_event(t, TL_TRACKER_EV_NONE, 200000000);
	CU_ASSERT_NOT_EQUAL(tl_tracker_tick(t, 200000000), UINT64_MAX);
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.error, "refused");
	tl_tracker_free(t);
}

static void test_events_and_stop(void)
{
	static const char *const urls[] = { "udp://a:1", "http://b/announce" };
	static const unsigned tiers[] = { 0, 0 };
	struct tl_tracker *t = make(urls, tiers, 2, 3);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	ok_now(600, 300, 0, NULL);
	CU_ASSERT_EQUAL(ngot, 0);
	/* completed goes out at once, despite the interval */
	tl_tracker_event(t, TL_TRACKER_EV_COMPLETED, 10000);
	tl_tracker_tick(t, 10000);
	CU_ASSERT_EQUAL_FATAL(io_state.sent, 2);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_COMPLETED);
	ok_now(600, 300, 1, NULL);
	CU_ASSERT_EQUAL(ngot, 1);
	/* a request for more peers waits for the min interval */
	tl_tracker_announce_soon(t, 20000);
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 20000), 10000 + 300000);
	tl_tracker_tick(t, 10000 + 300000);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_NONE);
	/* stop cancels the request in flight and sends stopped once */
	tl_tracker_event(t, TL_TRACKER_EV_STOPPED, 400000);
	CU_ASSERT_EQUAL(io_state.cancelled, 1);
	tl_tracker_tick(t, 400000);
	CU_ASSERT_EQUAL(io_state.req.event, TL_TRACKER_EV_STOPPED);
	CU_ASSERT_EQUAL(io_state.req.numwant, 0);
	CU_ASSERT_FALSE(tl_tracker_is_done(t));
	ok_now(600, 300, 2, NULL);
	CU_ASSERT_TRUE(tl_tracker_is_done(t));
	CU_ASSERT_EQUAL(ngot, 1); /* no peers after stopping */
	int sent = io_state.sent;
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 99999999), UINT64_MAX);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 99999999);
	CU_ASSERT_EQUAL(io_state.sent, sent);
	tl_tracker_free(t);
}

static void test_stop_without_answers_and_private(void)
{
	static const char *const urls[] = { "udp://a:1" };
	static const unsigned tiers[] = { 0 };
	memset(&io_state, 0, sizeof(io_state));
	struct tl_tracker_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.is_private = true;
	cfg.seed = 1;
	struct tl_tracker *t = tl_tracker_new(NULL, &fake_io, &cfg, urls, tiers, 1, NULL, NULL);
	CU_ASSERT_TRUE(tl_tracker_is_private(t));
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	fail_now("timed out");
	/* no tracker ever answered: nothing to tell, stop is immediate */
	tl_tracker_event(t, TL_TRACKER_EV_STOPPED, 5);
	CU_ASSERT_EQUAL(tl_tracker_tick(t, 5), UINT64_MAX);
	CU_ASSERT_TRUE(tl_tracker_is_done(t));
	CU_ASSERT_EQUAL(io_state.sent, 1);
	tl_tracker_free(t);
	tl_tracker_free(NULL);
}

/* From a metainfo announce-list; key and external ip pass through. */
static void test_from_tiers_key_external_ip(void)
{
	char *t0[] = { "udp://x:1" }, *t1[] = { "http://y/announce", "http://z/announce" };
	struct tl_tracker_tier tiers[] = { { t0, 1 }, { t1, 2 } };
	memset(&io_state, 0, sizeof(io_state));
	struct tl_tracker_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.key = 0x1234abcd;
	cfg.seed = 9;
	struct tl_tracker *t = tl_tracker_new_tiers(NULL, &fake_io, &cfg, tiers, 2, NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(tl_tracker_count(t), 3);
	struct tl_tracker_status st;
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.url, "udp://x:1");
	tl_tracker_status(t, 2, &st);
	CU_ASSERT_EQUAL(st.tier, 1);
	struct sockaddr_storage ext;
	CU_ASSERT_FALSE(tl_tracker_external_ip(t, &ext));
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	CU_ASSERT_EQUAL(io_state.req.key, 0x1234abcd);
	io_state.is_busy = false;
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	r.has_external_ip = true;
	((struct sockaddr_in *)&r.external_ip)->sin_family = AF_INET;
	((struct sockaddr_in *)&r.external_ip)->sin_addr.s_addr = htonl(0x01020304);
	io_state.done(io_state.arg, NULL, &r);
	CU_ASSERT_TRUE_FATAL(tl_tracker_external_ip(t, &ext));
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&ext)->sin_addr.s_addr, htonl(0x01020304));
	tl_tracker_free(t);
}

/* N of "http://tN/announce". */
static int url_index(const char *u)
{
	return (int)strtol(u + 8, NULL, 10);
}

/* Property: every seed shuffles within tiers only and keeps every URL. */
static void test_shuffle_property(void)
{
	uint64_t seed = tl_test_seed();
	const char *urls[12];
	unsigned tiers[12];
	char buf[12][32];
	for (int i = 0; i < 12; i++) {
		snprintf(buf[i], sizeof(buf[i]), "http://t%d/announce", i);
		urls[i] = buf[i];
		tiers[i] = (unsigned)(i % 3);
	}
	int moved = 0;
	for (uint64_t s = seed; s < seed + 50; s++) {
		struct tl_tracker *t = make(urls, tiers, 12, s ? s : 1);
		CU_ASSERT_EQUAL_FATAL(tl_tracker_count(t), 12);
		unsigned seen = 0;
		for (size_t i = 0; i < 12; i++) {
			struct tl_tracker_status st;
			tl_tracker_status(t, i, &st);
			CU_ASSERT_EQUAL(st.tier, (unsigned)(i / 4));
			int k = url_index(st.url);
			CU_ASSERT_EQUAL((unsigned)k % 3, st.tier);
			seen |= 1u << k;
			if (k != (int)(i / 4) + 3 * (int)(i % 4))
				moved++;
		}
		CU_ASSERT_EQUAL(seen, 0xfffu);
		tl_tracker_free(t);
	}
	CU_ASSERT_TRUE(moved > 0);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_tiers_and_failover),
		TL_TEST(test_next_tier_and_backoff),
		TL_TEST(test_events_and_stop),
		TL_TEST(test_stop_without_answers_and_private),
		TL_TEST(test_shuffle_property),
		TL_TEST(test_from_tiers_key_external_ip),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("tracker", tests);
}
