/* test_session_tracker.c: the tracker list of a transfer (tiers kept,
 * extra URLs one tier each, duplicates and unusable URLs skipped, the
 * cap), left from the byte counts, the JSON status and the terminal
 * summary of each tracker, and the bounded wait for the stopped announce
 * (after the announce in flight). */
#include "cutest.h"

#include <event2/event.h>

#include "base/bounds.h"
#include "base/json.h"
#include "engine/session_tracker.h"
#include "engine/tracker.h"

/* The fake io: remembers the request in flight; the test answers it. */
static struct {
	int sent;
	bool is_busy;
	struct tl_announce_req req;
	tl_tracker_done_fn done;
	void *arg;
} io;
static int handle;

static void *fake_announce(void *ctx, const char *url, const struct tl_announce_req *req,
    tl_tracker_done_fn done, void *done_arg, char *err, size_t cap)
{
	(void)ctx, (void)url, (void)err, (void)cap;
	io.sent++;
	io.is_busy = true;
	io.req = *req;
	io.done = done;
	io.arg = done_arg;
	return &handle;
}

static void fake_cancel(void *ctx, void *h)
{
	(void)ctx, (void)h;
	io.is_busy = false;
}

static const struct tl_tracker_io fake_io = { fake_announce, fake_cancel, NULL };

static struct tl_tracker *make(struct event_base *base, const char *const *urls, size_t n)
{
	static const unsigned tiers[] = { 0, 1, 2, 3 };
	memset(&io, 0, sizeof(io));
	struct tl_tracker_cfg cfg = { .port = 6881, .numwant = 50, .seed = 7 };
	memset(cfg.info_hash.b, 0x33, 20);
	return tl_tracker_new(base, &fake_io, &cfg, urls, tiers, n, NULL, NULL);
}

static void test_urls(void)
{
	char *t0[] = { "http://a/announce", "udp://b:80" };
	char *t1[] = { "http://c/announce", "http://a/announce" };
	struct tl_tracker_tier tiers[] = { { t0, 2 }, { t1, 2 } };
	struct tl_strk_urls u = { 0 };
	tl_strk_urls_add(&u, "udp://first:1");
	tl_strk_urls_add_tiers(&u, tiers, 2);
	tl_strk_urls_add(&u, "udp://b:80"); /* a duplicate: skipped */
	tl_strk_urls_add(&u, "");
	tl_strk_urls_add(&u, "http://extra/announce");
	static const char *const want[] = { "udp://first:1", "http://a/announce", "udp://b:80",
		"http://c/announce", "http://extra/announce" };
	static const unsigned want_tier[] = { 0, 1, 1, 2, 3 };
	CU_ASSERT_EQUAL_FATAL(u.n, 5);
	for (size_t i = 0; i < u.n; i++) {
		CU_ASSERT_STRING_EQUAL(u.urls[i], want[i]);
		CU_ASSERT_EQUAL(u.tiers[i], want_tier[i]);
	}
	tl_strk_urls_clear(&u);
	CU_ASSERT_EQUAL(u.n, 0);
	CU_ASSERT_PTR_NULL(u.urls);
	tl_strk_urls_clear(&u); /* twice is fine */
}

static void test_urls_limits(void)
{
	struct tl_strk_urls u = { 0 };
	char *long_url = malloc(TL_MAX_TRACKER_URL + 1);
	memset(long_url, 'x', TL_MAX_TRACKER_URL);
	long_url[TL_MAX_TRACKER_URL] = '\0';
	tl_strk_urls_add(&u, long_url);
	CU_ASSERT_EQUAL(u.n, 0);
	long_url[TL_MAX_TRACKER_URL - 1] = '\0'; /* one byte under the limit */
	tl_strk_urls_add(&u, long_url);
	CU_ASSERT_EQUAL(u.n, 1);
	free(long_url);
	for (unsigned i = 0; i < TL_MAX_TRACKERS + 10; i++) {
		char url[64];
		snprintf(url, sizeof(url), "udp://h%u:1", i);
		tl_strk_urls_add(&u, url);
	}
	CU_ASSERT_EQUAL(u.n, TL_MAX_TRACKERS);
	tl_strk_urls_clear(&u);
}

static void test_progress_left(void)
{
	static const char *const urls[] = { "udp://a:1" };
	struct tl_tracker *t = make(NULL, urls, 1);
	tl_strk_progress(t, 5, 700, 1000, 300);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	CU_ASSERT_EQUAL_FATAL(io.sent, 1);
	CU_ASSERT_EQUAL(io.req.left, 700);
	CU_ASSERT_EQUAL(io.req.uploaded, 5);
	CU_ASSERT_EQUAL(io.req.downloaded, 700);
	/* have beyond wanted (a file selection changed): left is 0, not a wrap */
	tl_strk_progress(t, 0, 0, 100, 200);
	io.is_busy = false;
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	r.interval = 1800;
	io.done(io.arg, NULL, &r);
	tl_tracker_event(t, TL_TRACKER_EV_COMPLETED, 1000);
	tl_tracker_tick(t, 1000);
	CU_ASSERT_EQUAL_FATAL(io.sent, 2);
	CU_ASSERT_EQUAL(io.req.left, 0);
	tl_tracker_free(t);
}

static char *json_of(const struct tl_tracker *t, uint64_t now)
{
	struct tl_json j;
	tl_json_init(&j);
	tl_strk_json(&j, t, now);
	return tl_json_take(&j);
}

static void test_json_and_summary(void)
{
	char line[96];
	char *s = json_of(NULL, 0);
	CU_ASSERT_STRING_EQUAL(s, "[]");
	free(s);
	tl_strk_summary(NULL, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "");

	static const char *const urls[] = { "udp://a:1", "http://b/announce" };
	struct tl_tracker *t = make(NULL, urls, 2);
	s = json_of(t, 0);
	CU_ASSERT_STRING_EQUAL(s, "[{\"url\":\"udp://a:1\",\"tier\":0,\"status\":\"waiting\",\"error\":null,"
	    "\"peers\":0,\"seeders\":-1,\"leechers\":-1,\"next_s\":null},"
	    "{\"url\":\"http://b/announce\",\"tier\":1,\"status\":\"waiting\",\"error\":null,"
	    "\"peers\":0,\"seeders\":-1,\"leechers\":-1,\"next_s\":null}]");
	free(s);
	/* the first tracker fails: its error, and the summary names it */
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, 0);
	tl_tracker_tick(t, 0);
	s = json_of(t, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"status\":\"updating\""));
	free(s);
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	io.done(io.arg, "HTTP 500", &r);
	s = json_of(t, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"status\":\"error\",\"error\":\"HTTP 500\""));
	free(s);
	tl_strk_summary(t, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "tracker: HTTP 500");
	/* the next tier answers with two peers: one of two ok */
	tl_tracker_tick(t, 0);
	CU_ASSERT_EQUAL_FATAL(io.sent, 2);
	struct sockaddr_storage peers[2];
	memset(peers, 0, sizeof(peers));
	peers[0].ss_family = peers[1].ss_family = AF_INET;
	tl_tracker_reply_init(&r);
	r.interval = 1800;
	r.complete = 4;
	r.incomplete = 5;
	r.peers = peers;
	r.npeers = 2;
	io.done(io.arg, NULL, &r);
	s = json_of(t, 1500);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "{\"url\":\"http://b/announce\",\"tier\":1,\"status\":\"ok\","
	    "\"error\":null,\"peers\":2,\"seeders\":4,\"leechers\":5,\"next_s\":1799}"));
	free(s);
	tl_strk_summary(t, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "trackers 1/2 ok");
	tl_tracker_free(t);
}

struct stop_ctx {
	struct event_base *base;
	int calls;
};

static void stop_done(void *arg)
{
	struct stop_ctx *c = arg;
	c->calls++;
	event_base_loopbreak(c->base);
}

/* Run the loop until stop_done or 3 s; the elapsed ms. */
static uint64_t run_stop(struct tl_strk *s, struct tl_tracker *t, unsigned grace, struct stop_ctx *c)
{
	uint64_t t0 = tl_tracker_now_ms();
	tl_strk_stop(s, t, grace, stop_done, c);
	struct timeval limit = { 3, 0 };
	event_base_loopexit(c->base, &limit);
	event_base_dispatch(c->base);
	return tl_tracker_now_ms() - t0;
}

static void test_stop_grace(void)
{
	struct event_base *base = event_base_new();
	char err[128];
	struct tl_strk *s = tl_strk_new(base, "127.0.0.1", NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	static const char *const urls[] = { "udp://a:1" };

	/* never announced: nothing to tell, done at once */
	struct stop_ctx c = { base, 0 };
	struct tl_tracker *t = make(base, urls, 1);
	CU_ASSERT_TRUE(run_stop(s, t, 1000, &c) < 500);
	CU_ASSERT_EQUAL(c.calls, 1);
	CU_ASSERT_EQUAL(io.sent, 0);
	tl_tracker_free(t);

	/* a tracker that knew us never answers the stopped: the grace bounds it */
	c.calls = 0;
	t = make(base, urls, 1);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL_FATAL(io.sent, 1);
	struct tl_tracker_reply r;
	tl_tracker_reply_init(&r);
	r.interval = 1800;
	io.done(io.arg, NULL, &r);
	/* a completed in flight that never ends: stopped goes out at half the
	 * grace instead, and is not answered either */
	tl_tracker_event(t, TL_TRACKER_EV_COMPLETED, tl_tracker_now_ms());
	event_base_loop(base, EVLOOP_NONBLOCK);
	CU_ASSERT_EQUAL_FATAL(io.sent, 2);
	CU_ASSERT_EQUAL(io.req.event, TL_TRACKER_EV_COMPLETED);
	uint64_t ms = run_stop(s, t, 400, &c);
	CU_ASSERT_EQUAL(c.calls, 1);
	CU_ASSERT_EQUAL(io.sent, 3);
	CU_ASSERT_EQUAL(io.req.event, TL_TRACKER_EV_STOPPED);
	CU_ASSERT_TRUE(ms >= 400 && ms < 1500);
	CU_ASSERT_FALSE(tl_tracker_is_done(t));
	tl_tracker_free(t);

	tl_strk_free(s);
	event_base_free(base);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_urls),
		TL_TEST(test_urls_limits),
		TL_TEST(test_progress_left),
		TL_TEST(test_json_and_summary),
		TL_TEST(test_stop_grace),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("session_tracker", tests);
}
