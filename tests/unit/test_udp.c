/* test_udp.c: the session's UDP port. The classifier over a table of
 * first bytes (KRPC, every uTP type, tracker actions, their short and
 * near-miss forms); dispatch to the consumer of each kind, and the drops
 * (no consumer, no kind) counted per kind; replacing a consumer; a round
 * trip between two ports on 127.0.0.1 in both directions; a datagram
 * longer than any protocol accepts dropped, not cut; a full send buffer
 * (EAGAIN) dropped and counted after one attempt; bind errors. */
#include "cutest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "io/udp.h"

static struct event_base *base;

static void test_classify(void)
{
	static const struct {
		const char *what;
		uint8_t b[4];
		size_t len;
		enum tl_udp_kind kind;
	} cases[] = {
		{ "empty", { 0 }, 0, TL_UDP_OTHER },
		{ "krpc", { 'd', '1', ':', 'a' }, 60, TL_UDP_DHT },
		{ "lone d", { 'd' }, 1, TL_UDP_DHT },
		{ "bencoded list", { 'l', 'e' }, 2, TL_UDP_OTHER },
		{ "utp ST_DATA", { 0x01 }, 20, TL_UDP_UTP },
		{ "utp ST_FIN", { 0x11 }, 20, TL_UDP_UTP },
		{ "utp ST_STATE", { 0x21 }, 1400, TL_UDP_UTP },
		{ "utp ST_RESET", { 0x31 }, 20, TL_UDP_UTP },
		{ "utp ST_SYN", { 0x41 }, 20, TL_UDP_UTP },
		{ "utp type 5", { 0x51 }, 20, TL_UDP_OTHER },
		{ "utp version 2", { 0x02 }, 20, TL_UDP_OTHER },
		{ "utp version 0", { 0x40 }, 20, TL_UDP_OTHER },
		{ "utp short header", { 0x41 }, 19, TL_UDP_OTHER },
		{ "tracker connect", { 0, 0, 0, 0 }, 16, TL_UDP_TRACKER },
		{ "tracker announce", { 0, 0, 0, 1 }, 20, TL_UDP_TRACKER },
		{ "tracker scrape", { 0, 0, 0, 2 }, 8, TL_UDP_TRACKER },
		{ "tracker error", { 0, 0, 0, 3 }, 9, TL_UDP_TRACKER },
		{ "tracker action 4", { 0, 0, 0, 4 }, 16, TL_UDP_OTHER },
		{ "tracker action 256", { 0, 0, 1, 0 }, 16, TL_UDP_OTHER },
		{ "tracker short", { 0, 0, 0, 1 }, 7, TL_UDP_OTHER },
		{ "tracker 1 byte", { 0 }, 1, TL_UDP_OTHER },
		{ "0xff", { 0xff, 0xff, 0xff, 0xff }, 100, TL_UDP_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[1400];
		memset(buf, 0, sizeof(buf));
		memcpy(buf, cases[i].b, sizeof(cases[i].b));
		enum tl_udp_kind k = tl_udp_classify(buf, cases[i].len);
		if (k != cases[i].kind)
			printf("\n%s: kind %s, want %s\n", cases[i].what, tl_udp_kind_name(k),
			    tl_udp_kind_name(cases[i].kind));
		CU_ASSERT_EQUAL(k, cases[i].kind);
	}
	CU_ASSERT_STRING_EQUAL(tl_udp_kind_name(TL_UDP_DHT), "dht");
	CU_ASSERT_STRING_EQUAL(tl_udp_kind_name(TL_UDP_NKINDS), "other");
}

/* What one consumer was handed. */
struct got {
	int n;
	size_t len;
	uint8_t first;
	struct sockaddr_storage from;
};

static void got_cb(void *arg, const uint8_t *buf, size_t len, const struct sockaddr *from,
    socklen_t fromlen)
{
	struct got *g = arg;
	g->n++;
	g->len = len;
	g->first = len ? buf[0] : 0;
	memcpy(&g->from, from, fromlen < sizeof(g->from) ? fromlen : sizeof(g->from));
}

static struct tl_udp *make(const char *bind, uint16_t port, tl_udp_sendto_fn fn)
{
	struct tl_udp_opts o = { .bind = bind, .port = port, .sendto_fn = fn };
	const char *why = NULL;
	struct tl_udp *u = tl_udp_new(base, &o, &why);
	if (!u)
		printf("\ntl_udp_new(%s): %s\n", bind ? bind : "any", why);
	return u;
}

static void test_dispatch(void)
{
	struct tl_udp *u = make("127.0.0.1", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	struct got dht = { 0 }, utp = { 0 };
	tl_udp_set_consumer(u, TL_UDP_DHT, got_cb, &dht);
	tl_udp_set_consumer(u, TL_UDP_UTP, got_cb, &utp);
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(6881) };
	inet_pton(AF_INET, "127.0.0.9", &from.sin_addr);
	const struct sockaddr *sa = (const struct sockaddr *)&from;

	static const uint8_t krpc[] = "d1:y1:qe";
	uint8_t syn[20] = { 0x41 }, track[16] = { 0, 0, 0, 0 };
	tl_udp_dispatch(u, krpc, sizeof(krpc) - 1, sa, sizeof(from));
	tl_udp_dispatch(u, syn, sizeof(syn), sa, sizeof(from));
	tl_udp_dispatch(u, syn, sizeof(syn), sa, sizeof(from));
	tl_udp_dispatch(u, track, sizeof(track), sa, sizeof(from)); /* no consumer */
	tl_udp_dispatch(u, syn, 5, sa, sizeof(from));               /* short: no kind */
	tl_udp_dispatch(u, krpc, 0, sa, sizeof(from));              /* empty */
	CU_ASSERT_EQUAL(dht.n, 1);
	CU_ASSERT_EQUAL(dht.len, sizeof(krpc) - 1);
	CU_ASSERT_EQUAL(dht.first, 'd');
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&dht.from)->sin_port, htons(6881));
	CU_ASSERT_EQUAL(utp.n, 2);
	CU_ASSERT_EQUAL(utp.first, 0x41);

	struct tl_udp_stats st;
	tl_udp_stats(u, &st);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].in, 1);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].in_dropped, 0);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_UTP].in, 2);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_TRACKER].in, 0);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_TRACKER].in_dropped, 1);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_OTHER].in_dropped, 2);

	/* a second registration replaces the first; NULL removes it */
	struct got other = { 0 };
	tl_udp_set_consumer(u, TL_UDP_DHT, got_cb, &other);
	tl_udp_dispatch(u, krpc, sizeof(krpc) - 1, sa, sizeof(from));
	CU_ASSERT_EQUAL(dht.n, 1);
	CU_ASSERT_EQUAL(other.n, 1);
	tl_udp_set_consumer(u, TL_UDP_DHT, NULL, NULL);
	tl_udp_dispatch(u, krpc, sizeof(krpc) - 1, sa, sizeof(from));
	CU_ASSERT_EQUAL(other.n, 1);
	tl_udp_stats(u, &st);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].in, 2);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].in_dropped, 1);
	tl_udp_free(u);
	tl_udp_free(NULL);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	event_base_loopbreak(base);
}

/* Run the loop until *n >= want or timeout_ms; returns whether it got there. */
static bool run_until(const int *n, int want, int timeout_ms)
{
	struct event *tick = event_new(base, -1, EV_PERSIST, stop_cb, NULL);
	struct timeval tv = { 0, 10000 };
	event_add(tick, &tv);
	for (int waited = 0; waited < timeout_ms && *n < want; waited += 10)
		event_base_dispatch(base);
	event_free(tick);
	return *n >= want;
}

static void to_addr(struct sockaddr_in *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
}

/* Two ports on 127.0.0.1 talk both ways through tl_udp_send. */
static void test_round_trip(void)
{
	struct tl_udp *a = make("127.0.0.1", 0, NULL), *b = make("127.0.0.1", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_NOT_EQUAL(tl_udp_port(a, AF_INET), 0);
	CU_ASSERT_EQUAL(tl_udp_port(a, AF_INET6), 0);
	CU_ASSERT_TRUE(tl_udp_has_family(a, AF_INET));
	CU_ASSERT_FALSE(tl_udp_has_family(a, AF_INET6));
	struct got ga = { 0 }, gb = { 0 };
	tl_udp_set_consumer(a, TL_UDP_DHT, got_cb, &ga);
	tl_udp_set_consumer(b, TL_UDP_DHT, got_cb, &gb);
	struct sockaddr_in ta, tb;
	to_addr(&ta, "127.0.0.1", tl_udp_port(a, AF_INET));
	to_addr(&tb, "127.0.0.1", tl_udp_port(b, AF_INET));

	/* more than one wakeup's worth, so the bounded loop must come back */
	int want = TL_UDP_READS_PER_CB + TL_UDP_BATCH + 3;
	static const uint8_t ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	for (int i = 0; i < want; i++)
		CU_ASSERT_EQUAL(tl_udp_send(a, TL_UDP_DHT, ping, sizeof(ping) - 1, (struct sockaddr *)&tb,
		    sizeof(tb)), 0);
	CU_ASSERT_TRUE(run_until(&gb.n, want, 3000));
	CU_ASSERT_EQUAL(gb.len, sizeof(ping) - 1);
	/* the sender's address is a's */
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&gb.from)->sin_port, ta.sin_port);
	CU_ASSERT_EQUAL(tl_udp_send(b, TL_UDP_DHT, ping, sizeof(ping) - 1, (struct sockaddr *)&ta,
	    sizeof(ta)), 0);
	CU_ASSERT_TRUE(run_until(&ga.n, 1, 3000));

	/* longer than any protocol accepts: dropped, not handed on cut */
	static uint8_t big[TL_MAX_UDP_DATAGRAM + 100];
	memset(big, 'd', sizeof(big));
	CU_ASSERT_EQUAL(tl_udp_send(a, TL_UDP_DHT, big, sizeof(big), (struct sockaddr *)&tb, sizeof(tb)), 0);
	CU_ASSERT_EQUAL(tl_udp_send(a, TL_UDP_DHT, ping, sizeof(ping) - 1, (struct sockaddr *)&tb,
	    sizeof(tb)), 0);
	CU_ASSERT_TRUE(run_until(&gb.n, want + 1, 3000));
	CU_ASSERT_EQUAL(gb.len, sizeof(ping) - 1);

	struct tl_udp_stats sa, sb;
	tl_udp_stats(a, &sa);
	tl_udp_stats(b, &sb);
	CU_ASSERT_EQUAL(sa.kind[TL_UDP_DHT].out, (uint64_t)want + 2);
	CU_ASSERT_EQUAL(sa.kind[TL_UDP_DHT].in, 1);
	CU_ASSERT_EQUAL(sb.kind[TL_UDP_DHT].in, (uint64_t)want + 1);
	CU_ASSERT_EQUAL(sb.kind[TL_UDP_DHT].in_dropped, 1);
	CU_ASSERT_EQUAL(sb.kind[TL_UDP_DHT].out, 1);

	/* no IPv6 socket: dropped and counted, nothing sent */
	struct sockaddr_in6 t6 = { .sin6_family = AF_INET6, .sin6_port = htons(1) };
	t6.sin6_addr = in6addr_loopback;
	CU_ASSERT_EQUAL(tl_udp_send(a, TL_UDP_UTP, ping, 4, (struct sockaddr *)&t6, sizeof(t6)), -1);
	tl_udp_stats(a, &sa);
	CU_ASSERT_EQUAL(sa.kind[TL_UDP_UTP].out_dropped, 1);
	CU_ASSERT_EQUAL(sa.kind[TL_UDP_UTP].out, 0);
	tl_udp_free(a);
	tl_udp_free(b);
}

static int nsendto;

/* A socket whose send buffer is full. */
static ssize_t full_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
    socklen_t tolen)
{
	(void)fd, (void)buf, (void)len, (void)to, (void)tolen;
	CU_ASSERT_TRUE(flags & MSG_DONTWAIT);
	nsendto++;
	errno = EAGAIN;
	return -1;
}

static void test_send_eagain(void)
{
	struct tl_udp *u = make("127.0.0.1", 0, full_sendto);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	struct sockaddr_in to;
	to_addr(&to, "127.0.0.1", 9);
	static const uint8_t msg[] = "d1:y1:re";
	nsendto = 0;
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(tl_udp_send(u, TL_UDP_DHT, msg, sizeof(msg) - 1, (struct sockaddr *)&to,
		    sizeof(to)), -1);
	CU_ASSERT_EQUAL(nsendto, 3); /* one attempt each: no retry loop */
	struct tl_udp_stats st;
	tl_udp_stats(u, &st);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].out_dropped, 3);
	CU_ASSERT_EQUAL(st.kind[TL_UDP_DHT].out, 0);
	tl_udp_free(u);
}

static void test_bind(void)
{
	const char *why = NULL;
	struct tl_udp_opts o = { .bind = "127.0.0.300" };
	CU_ASSERT_PTR_NULL(tl_udp_new(base, &o, &why));
	CU_ASSERT_PTR_NOT_NULL(why);
	struct tl_udp *a = make("127.0.0.1", 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	/* the same address and port twice */
	why = NULL;
	o = (struct tl_udp_opts){ .bind = "127.0.0.1", .port = tl_udp_port(a, AF_INET) };
	CU_ASSERT_PTR_NULL(tl_udp_new(base, &o, &why));
	CU_ASSERT_PTR_NOT_NULL(why);
	tl_udp_free(a);
	/* no bind address: IPv4 at least, IPv6 (when there) on the same port */
	struct tl_udp *any = make(NULL, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(any);
	CU_ASSERT_NOT_EQUAL(tl_udp_port(any, AF_INET), 0);
	if (tl_udp_has_family(any, AF_INET6))
		CU_ASSERT_EQUAL(tl_udp_port(any, AF_INET6), tl_udp_port(any, AF_INET));
	tl_udp_free(any);
}

int main(void)
{
	base = event_base_new();
	CU_TestInfo tests[] = {
		TL_TEST(test_classify),
		TL_TEST(test_dispatch),
		TL_TEST(test_round_trip),
		TL_TEST(test_send_eagain),
		TL_TEST(test_bind),
		CU_TEST_INFO_NULL,
	};
	int rc = tl_test_run("udp", tests);
	event_base_free(base);
	return rc;
}
