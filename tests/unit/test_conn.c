/* test_conn.c: the TCP conn over a socketpair and loopback: received bytes
 * are peeked, taken and drained in order; input stops at read_max;
 * writes (copied and referenced) reach the other end and are reported as
 * sent; on_writable waits for the output to fall to the low watermark;
 * EOF, the read timeout, connect and a refused connect reach on_event;
 * a rate group holds reads and writes to its budget. */
#include "cutest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "io/conn.h"

struct rec {
	int nread, nwritable, nevents, nunref;
	size_t sent;
	size_t writable_out_max; /* the most output left at an on_writable */
	enum tl_conn_event last_ev;
	const char *reason;
	bool want_consume; /* on_read drains what arrived */
	size_t consumed;
};

static void rec_read(struct tl_conn *c, void *arg)
{
	struct rec *r = arg;
	r->nread++;
	if (r->want_consume) {
		size_t n = tl_conn_in_len(c);
		r->consumed += n;
		tl_conn_drain(c, n);
	}
}

static void rec_writable(struct tl_conn *c, void *arg)
{
	struct rec *r = arg;
	r->nwritable++;
	if (tl_conn_out_len(c) > r->writable_out_max)
		r->writable_out_max = tl_conn_out_len(c);
}

static void rec_sent(struct tl_conn *c, size_t n, void *arg)
{
	(void)c;
	((struct rec *)arg)->sent += n;
}

static void rec_event(struct tl_conn *c, enum tl_conn_event ev, const char *reason, void *arg)
{
	struct rec *r = arg;
	r->nevents++;
	r->last_ev = ev;
	r->reason = reason;
	if (ev != TL_CONN_EV_CONNECTED)
		tl_conn_stop(c);
}

static void rec_unref(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	((struct rec *)arg)->nunref++;
}

static const struct tl_conn_cbs rec_cbs = {
	.on_read = rec_read,
	.on_writable = rec_writable,
	.on_sent = rec_sent,
	.on_event = rec_event,
};

static void spin(struct event_base *base)
{
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Run the loop for ms milliseconds. */
static void run_for(struct event_base *base, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct pair {
	struct event_base *base;
	struct tl_conn *c;
	int raw; /* the other end, non-blocking */
	struct rec r;
};

static void pair_open(struct pair *x)
{
	memset(x, 0, sizeof(*x));
	x->base = event_base_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->base);
	int sv[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(6881) };
	a.sin_addr.s_addr = htonl(0x7f000002);
	x->c = tl_conn_tcp_accept(x->base, sv[0], (struct sockaddr *)&a, sizeof(a));
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->c);
	tl_conn_set_cbs(x->c, &rec_cbs, &x->r);
	x->raw = sv[1];
	fcntl(x->raw, F_SETFL, fcntl(x->raw, F_GETFL) | O_NONBLOCK);
}

static void pair_close(struct pair *x)
{
	tl_conn_free(x->c);
	close(x->raw);
	event_base_free(x->base);
}

/* Read everything available on fd into b (up to cap); returns the count. */
static size_t drain_fd(int fd, uint8_t *b, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		ssize_t n = read(fd, b + got, cap - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static void test_peek_take_drain(void)
{
	struct pair x;
	pair_open(&x);
	socklen_t len;
	const struct sockaddr_in *ra = (const struct sockaddr_in *)tl_conn_remote(x.c, &len);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(ntohs(ra->sin_port), 6881);
	CU_ASSERT_EQUAL(ntohl(ra->sin_addr.s_addr), 0x7f000002u);

	tl_conn_set_read_max(x.c, 1 << 20);
	tl_conn_set_reading(x.c, true);
	uint8_t src[3000];
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 1);
	/* two writes, so the input may hold them in separate chains */
	CU_ASSERT_EQUAL(write(x.raw, src, 1000), 1000);
	spin(x.base);
	CU_ASSERT_EQUAL(write(x.raw, src + 1000, 2000), 2000);
	spin(x.base);
	CU_ASSERT(x.r.nread >= 1);
	CU_ASSERT_EQUAL_FATAL(tl_conn_in_len(x.c), 3000);
	const uint8_t *h = tl_conn_peek(x.c, 4);
	CU_ASSERT_EQUAL(memcmp(h, src, 4), 0);
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 3000); /* peeking consumes nothing */
	uint8_t dst[1500];
	tl_conn_take(x.c, dst, 1500); /* across the two writes */
	CU_ASSERT_EQUAL(memcmp(dst, src, 1500), 0);
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 1500);
	tl_conn_drain(x.c, 100);
	h = tl_conn_peek(x.c, 1400);
	CU_ASSERT_EQUAL(memcmp(h, src + 1600, 1400), 0);
	tl_conn_drain(x.c, 1400);
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 0);
	CU_ASSERT_EQUAL(x.r.nevents, 0);

	/* stopped: input is no longer read */
	tl_conn_set_reading(x.c, false);
	CU_ASSERT_EQUAL(write(x.raw, src, 10), 10);
	spin(x.base);
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 0);
	tl_conn_set_reading(x.c, true);
	spin(x.base);
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 10);

	/* the remote end closes */
	shutdown(x.raw, SHUT_WR);
	spin(x.base);
	CU_ASSERT_EQUAL(x.r.nevents, 1);
	CU_ASSERT_EQUAL(x.r.last_ev, TL_CONN_EV_EOF);
	pair_close(&x);
}

static void test_read_max(void)
{
	struct pair x;
	pair_open(&x);
	tl_conn_set_read_max(x.c, 16);
	tl_conn_set_reading(x.c, true);
	uint8_t src[40] = { 0 };
	CU_ASSERT_EQUAL(write(x.raw, src, sizeof(src)), (ssize_t)sizeof(src));
	spin(x.base);
	/* 16 bytes in; the owner consumed none, so the rest cannot fit */
	CU_ASSERT_EQUAL(tl_conn_in_len(x.c), 16);
	CU_ASSERT_EQUAL(x.r.nevents, 1);
	CU_ASSERT_EQUAL(x.r.last_ev, TL_CONN_EV_ERROR);
	CU_ASSERT_PTR_NOT_NULL(x.r.reason);
	if (x.r.reason)
		CU_ASSERT_STRING_EQUAL(x.r.reason, "input buffer full");
	pair_close(&x);

	/* an owner that consumes gets everything through the same bound */
	pair_open(&x);
	x.r.want_consume = true;
	tl_conn_set_read_max(x.c, 16);
	tl_conn_set_reading(x.c, true);
	CU_ASSERT_EQUAL(write(x.raw, src, sizeof(src)), (ssize_t)sizeof(src));
	spin(x.base);
	CU_ASSERT_EQUAL(x.r.consumed, sizeof(src));
	CU_ASSERT(x.r.nread >= 3); /* at most 16 bytes a read */
	CU_ASSERT_EQUAL(x.r.nevents, 0);
	pair_close(&x);
}

static void test_write_and_ref(void)
{
	struct pair x;
	pair_open(&x);
	static uint8_t a[1000], b[5000];
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 3);
	tl_conn_write(x.c, a, sizeof(a));
	a[0] ^= 0xff; /* copied: the change is not sent */
	tl_conn_write_ref(x.c, b, sizeof(b), rec_unref, &x.r);
	CU_ASSERT_EQUAL(tl_conn_out_len(x.c), 6000);
	CU_ASSERT_EQUAL(x.r.nunref, 0);
	spin(x.base);
	CU_ASSERT_EQUAL(tl_conn_out_len(x.c), 0);
	CU_ASSERT_EQUAL(x.r.sent, 6000);
	CU_ASSERT_EQUAL(x.r.nunref, 1);
	CU_ASSERT(x.r.nwritable >= 1);
	uint8_t got[6000];
	CU_ASSERT_EQUAL_FATAL(drain_fd(x.raw, got, sizeof(got)), 6000);
	a[0] ^= 0xff;
	CU_ASSERT_EQUAL(memcmp(got, a, 1000), 0);
	CU_ASSERT_EQUAL(memcmp(got + 1000, b, 5000), 0);

	/* a referenced write dropped by free still runs its unref */
	tl_conn_set_cbs(x.c, NULL, NULL);
	tl_conn_stop(x.c);
	tl_conn_write_ref(x.c, b, sizeof(b), rec_unref, &x.r);
	pair_close(&x);
	CU_ASSERT_EQUAL(x.r.nunref, 2);
}

/* on_writable fires once the output fell to the low watermark, before it
 * is empty (the watermark is above one write's worth). */
static void test_write_low_watermark(void)
{
	struct pair x;
	pair_open(&x);
	enum { LOW = 1024 * 1024, BIG = 8 * 1024 * 1024 };
	uint8_t *big = calloc(1, BIG);
	uint8_t *sink = malloc(BIG);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
	tl_conn_set_write_low(x.c, LOW);
	tl_conn_write(x.c, big, BIG);
	spin(x.base);
	/* the socketpair holds far less than 8 MiB: the output is backed up */
	CU_ASSERT(tl_conn_out_len(x.c) > LOW);
	CU_ASSERT_EQUAL(x.r.nwritable, 0);
	size_t got = 0;
	int writable_at_high = 0;
	for (int i = 0; i < 100000 && got < BIG; i++) {
		got += drain_fd(x.raw, sink + got, BIG - got);
		if (tl_conn_out_len(x.c) > LOW && x.r.nwritable > 0)
			writable_at_high++;
		event_base_loop(x.base, EVLOOP_NONBLOCK);
	}
	CU_ASSERT_EQUAL(got, BIG);
	CU_ASSERT_EQUAL(x.r.sent, BIG);
	CU_ASSERT(x.r.nwritable >= 1);
	CU_ASSERT_EQUAL(writable_at_high, 0);
	CU_ASSERT(x.r.writable_out_max > 0);
	CU_ASSERT(x.r.writable_out_max <= LOW);
	free(big);
	free(sink);
	pair_close(&x);
}

static void test_read_timeout(void)
{
	struct pair x;
	pair_open(&x);
	tl_conn_set_read_max(x.c, 1024);
	tl_conn_set_timeouts(x.c, 1, 0);
	tl_conn_set_reading(x.c, true);
	run_for(x.base, 400);
	CU_ASSERT_EQUAL(x.r.nevents, 0);
	run_for(x.base, 1000);
	CU_ASSERT_EQUAL(x.r.nevents, 1);
	CU_ASSERT_EQUAL(x.r.last_ev, TL_CONN_EV_TIMEOUT);
	pair_close(&x);
}

static void test_connect(void)
{
	struct event_base *base = event_base_new();
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(ls >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	CU_ASSERT_EQUAL_FATAL(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
	CU_ASSERT_EQUAL_FATAL(listen(ls, 4), 0);

	const char *why = NULL;
	struct rec r = { 0 };
	struct tl_conn *c = tl_conn_tcp_connect(base, (struct sockaddr *)&a, sizeof(a), NULL, 0, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	tl_conn_set_cbs(c, &rec_cbs, &r);
	tl_conn_set_timeouts(c, 5, 5);
	for (int i = 0; i < 50 && r.nevents == 0; i++)
		run_for(base, 10);
	CU_ASSERT_EQUAL(r.nevents, 1);
	CU_ASSERT_EQUAL(r.last_ev, TL_CONN_EV_CONNECTED);
	int s = accept(ls, NULL, NULL);
	CU_ASSERT_FATAL(s >= 0);
	tl_conn_write(c, "hello", 5);
	spin(base);
	char buf[8] = { 0 };
	CU_ASSERT_EQUAL(read(s, buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	tl_conn_free(c);
	close(s);

	/* nobody listens there any more: the connect fails */
	close(ls);
	memset(&r, 0, sizeof(r));
	c = tl_conn_tcp_connect(base, (struct sockaddr *)&a, sizeof(a), NULL, 0, &why);
	if (c) {
		tl_conn_set_cbs(c, &rec_cbs, &r);
		for (int i = 0; i < 50 && r.nevents == 0; i++)
			run_for(base, 10);
		CU_ASSERT_EQUAL(r.nevents, 1);
		CU_ASSERT_EQUAL(r.last_ev, TL_CONN_EV_ERROR);
		tl_conn_free(c);
	}
	event_base_free(base);
}

/* A group at 32 KiB/s each way (a one-second burst) lets about one burst
 * through in half a second; a conn on the same loop outside the group
 * moves everything. */
static void test_rate_group(void)
{
	enum { RATE = 32 * 1024, TOTAL = 160 * 1024 };
	struct pair lim, open_;
	pair_open(&lim);
	pair_open(&open_);
	struct tl_rate_group *g = tl_rate_group_new(lim.base, RATE, RATE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	tl_conn_set_rate_group(lim.c, g);
	struct pair *both[2] = { &lim, &open_ };
	uint8_t *src = calloc(1, TOTAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(src);
	for (int i = 0; i < 2; i++) {
		struct pair *x = both[i];
		x->r.want_consume = true;
		tl_conn_set_read_max(x->c, 1 << 20);
		tl_conn_set_timeouts(x->c, 30, 30);
		tl_conn_set_reading(x->c, true);
		int sz = TOTAL * 2;
		setsockopt(x->raw, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		CU_ASSERT_EQUAL(write(x->raw, src, TOTAL), TOTAL);
		tl_conn_write(x->c, src, TOTAL);
	}
	for (int t = 0; t < 50; t++) {
		run_for(lim.base, 10);
		event_base_loop(open_.base, EVLOOP_NONBLOCK);
	}
	uint8_t *sink = malloc(TOTAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sink);
	/* reads held to the burst (plus libevent's small minimum share) */
	CU_ASSERT(lim.r.consumed > 0);
	CU_ASSERT(lim.r.consumed <= RATE + 4096);
	/* writes too */
	size_t got = drain_fd(lim.raw, sink, TOTAL);
	CU_ASSERT(got > 0);
	CU_ASSERT(got <= RATE + 4096);
	CU_ASSERT_EQUAL(lim.r.nevents, 0);
	/* unmetered */
	CU_ASSERT_EQUAL(open_.r.consumed, TOTAL);
	for (int i = 0; i < 20 && got < TOTAL; i++) {
		got = drain_fd(open_.raw, sink, TOTAL);
		event_base_loop(open_.base, EVLOOP_NONBLOCK);
	}
	CU_ASSERT(open_.r.sent > 2 * RATE);
	/* a freed conn leaves the group when the loop runs */
	tl_conn_free(lim.c);
	lim.c = NULL;
	event_base_loop(lim.base, EVLOOP_NONBLOCK);
	tl_rate_group_free(g);
	pair_close(&lim);
	pair_close(&open_);
	free(src);
	free(sink);
}

int main(void)
{
	CU_TestInfo tests[] = { TL_TEST(test_peek_take_drain), TL_TEST(test_read_max),
		TL_TEST(test_write_and_ref), TL_TEST(test_write_low_watermark),
		TL_TEST(test_read_timeout), TL_TEST(test_connect), TL_TEST(test_rate_group),
		CU_TEST_INFO_NULL };
	return tl_test_run("conn", tests);
}
