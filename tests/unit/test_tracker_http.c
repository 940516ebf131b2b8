/* test_tracker_http.c: the HTTP tracker client against an in-process
 * evhttp server on 127.0.0.1: a good body, HTTP errors, a redirect, a
 * redirect loop, a body over the cap, a server that never answers, a
 * cancelled request; and tracker.c announcing through tl_tracker_net_io. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "base/bounds.h"
#include "engine/tracker.h"
#include "io/tracker_http.h"

static struct event_base *base;
static int hits;
static char last_uri[2048];
static struct evhttp_request *held; /* a request the server never answers */

static const char ok_body[] = "d8:intervali900e5:peers6:\x0a\x00\x00\x07\x1a\xe1" "e";

static void server_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	hits++;
	snprintf(last_uri, sizeof(last_uri), "%s", evhttp_request_get_uri(req));
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *b = evbuffer_new();
	if (strcmp(path, "/ok/announce") == 0) {
		evbuffer_add(b, ok_body, sizeof(ok_body) - 1);
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(path, "/moved") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/ok/announce");
		evhttp_send_reply(req, 302, "Found", b);
	} else if (strcmp(path, "/loop") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/loop");
		evhttp_send_reply(req, 301, "Moved", b);
	} else if (strcmp(path, "/big") == 0) {
		static char chunk[65536];
		memset(chunk, 'x', sizeof(chunk));
		for (size_t n = 0; n <= TL_MAX_TRACKER_BODY; n += sizeof(chunk))
			evbuffer_add(b, chunk, sizeof(chunk));
		evhttp_send_reply(req, 200, "OK", b);
	} else if (strcmp(path, "/hang") == 0) {
		held = req;
	} else {
		evhttp_send_reply(req, 503, "Unavailable", b);
	}
	evbuffer_free(b);
}

static struct {
	bool is_done;
	char error[128];
	size_t len;
	char body[128];
} res;

static void done_cb(void *arg, const char *error, const uint8_t *body, size_t len)
{
	(void)arg;
	memset(&res, 0, sizeof(res));
	res.is_done = true;
	if (error)
		snprintf(res.error, sizeof(res.error), "%s", error);
	res.len = len;
	if (body && len < sizeof(res.body))
		memcpy(res.body, body, len);
	event_base_loopbreak(base);
}

static uint16_t port;

static void get(struct tl_tracker_http *c, const char *path, unsigned timeout_ms)
{
	char url[128], err[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	memset(&res, 0, sizeof(res));
	CU_ASSERT_PTR_NOT_NULL_FATAL(tl_tracker_http_get(c, url, timeout_ms, done_cb, NULL, err,
	    sizeof(err)));
	struct timeval tv = { 10, 0 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	CU_ASSERT_TRUE(res.is_done);
}

static struct evhttp *server_start(void)
{
	struct evhttp *srv = evhttp_new(base);
	struct evhttp_bound_socket *h = evhttp_bind_socket_with_handle(srv, "127.0.0.1", 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);
	evhttp_set_gencb(srv, server_cb, NULL);
	return srv;
}

static void test_get(void)
{
	base = event_base_new();
	struct evhttp *srv = server_start();
	char err[128];
	struct tl_tracker_http *c = tl_tracker_http_new(base, NULL, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);

	get(c, "/ok/announce?info_hash=%00", 5000);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_EQUAL(res.len, sizeof(ok_body) - 1);
	CU_ASSERT_EQUAL(memcmp(res.body, ok_body, res.len), 0);
	CU_ASSERT_STRING_EQUAL(last_uri, "/ok/announce?info_hash=%00");

	get(c, "/nope", 5000);
	CU_ASSERT_STRING_EQUAL(res.error, "HTTP 503");

	hits = 0;
	get(c, "/moved", 5000);
	CU_ASSERT_STRING_EQUAL(res.error, "");
	CU_ASSERT_EQUAL(res.len, sizeof(ok_body) - 1);
	CU_ASSERT_EQUAL(hits, 2);

	hits = 0;
	get(c, "/loop", 5000);
	CU_ASSERT_STRING_EQUAL(res.error, "too many redirects");
	CU_ASSERT_EQUAL(hits, (int)TL_MAX_TRACKER_REDIRECTS + 1);

	get(c, "/big", 5000);
	CU_ASSERT_STRING_EQUAL(res.error, "reply too large");

	get(c, "/hang", 300);
	CU_ASSERT_STRING_EQUAL(res.error, "timed out");
	CU_ASSERT_PTR_NOT_NULL(held);

	/* unusable URLs fail at once; cancelled and pending requests never call back */
	CU_ASSERT_PTR_NULL(tl_tracker_http_get(c, "ftp://x/", 100, done_cb, NULL, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not an http(s) URL"));
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ok/announce", port);
	memset(&res, 0, sizeof(res));
	tl_tracker_http_cancel(tl_tracker_http_get(c, url, 1000, done_cb, NULL, err, sizeof(err)));
	struct timeval tv = { 0, 200000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	CU_ASSERT_FALSE(res.is_done);
	tl_tracker_http_get(c, url, 1000, done_cb, NULL, err, sizeof(err));
	tl_tracker_http_free(c);
	CU_ASSERT_FALSE(res.is_done);
	evhttp_free(srv);
	event_base_free(base);
}

static int peers_seen;

static void peers_cb(void *arg, const struct sockaddr_storage *p, size_t n)
{
	(void)arg;
	char a[64];
	tl_tracker_addr_str(&p[0], a, sizeof(a));
	CU_ASSERT_STRING_EQUAL(a, "10.0.0.7:6881");
	peers_seen += (int)n;
	event_base_loopbreak(base);
}

static void test_tiers_over_http(void)
{
	base = event_base_new();
	struct evhttp *srv = server_start();
	char err[128];
	struct tl_tracker_http *c = tl_tracker_http_new(base, NULL, NULL, err, sizeof(err));
	struct tl_tracker_net net = { c, NULL, 2000 };
	struct tl_tracker_io io;
	tl_tracker_net_io(&net, &io);
	char bad[64], good[64];
	snprintf(bad, sizeof(bad), "http://127.0.0.1:%u/down/announce", port);
	snprintf(good, sizeof(good), "http://127.0.0.1:%u/ok/announce?k=1", port);
	const char *urls[] = { bad, good };
	const unsigned tiers[] = { 0, 1 };
	struct tl_tracker_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	memset(cfg.info_hash.b, 'i', 20);
	cfg.port = 4444;
	cfg.numwant = 20;
	struct tl_tracker *t = tl_tracker_new(base, &io, &cfg, urls, tiers, 2, peers_cb, NULL);
	peers_seen = 0;
	hits = 0;
	tl_tracker_set_progress(t, 1, 2, 3);
	tl_tracker_event(t, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
	struct timeval tv = { 10, 0 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	CU_ASSERT_EQUAL(peers_seen, 1);
	CU_ASSERT_EQUAL(hits, 2);
	CU_ASSERT_EQUAL(strncmp(last_uri, "/ok/announce?k=1&info_hash=iiiiiiiiiiiiiiiiiiii&peer_id=", 54),
	    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_uri, "&port=4444&uploaded=1&downloaded=2&left=3&compact=1"
						"&event=started&numwant=20&key="));
	struct tl_tracker_status st;
	tl_tracker_status(t, 0, &st);
	CU_ASSERT_STRING_EQUAL(st.error, "HTTP 503");
	tl_tracker_status(t, 1, &st);
	CU_ASSERT_TRUE(st.is_ok);
	CU_ASSERT_EQUAL(st.next_ms - tl_tracker_now_ms() > 800000, 1);
	tl_tracker_free(t);
	tl_tracker_http_free(c);
	evhttp_free(srv);
	event_base_free(base);
}

int main(void)
{
	/* the server writes to connections the client has given up on */
	signal(SIGPIPE, SIG_IGN);
	CU_TestInfo tests[] = {
		TL_TEST(test_get),
		TL_TEST(test_tiers_over_http),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("tracker_http", tests);
}
