/* test_peer.c: the peer adapter over a socketpair: an incoming handshake
 * is matched by its infohash prefix, answered, and messages are decoded
 * one by one (a block handed over with exactly its bytes); a framing
 * violation closes the peer with its reason, and closed peers are freed
 * from the close queue, never inside their callbacks. */
#include "cutest.h"

#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/err.h"
#include "proto/handshake.h"
#include "io/peer.h"
#include "proto/wire.h"

static struct tl_handshake local;
static int n_infohash, n_ready, n_msgs, n_blocks, n_closed;
static int last_id;
static uint8_t block[TL_MAX_BLOCK_LEN];
static size_t block_len;
static const char *close_reason;

static int cb_infohash(struct tl_peer *p, const struct tl_infohash *ih);

static void cb_ready(struct tl_peer *p)
{
	(void)p;
	n_ready++;
}

static void cb_msg(struct tl_peer *p, const struct tl_wire_msg *m, const uint8_t *payload)
{
	(void)p;
	(void)payload;
	n_msgs++;
	last_id = m->id;
}

static void cb_block(struct tl_peer *p, const struct tl_wire_msg *m)
{
	n_blocks++;
	block_len = m->payload_len;
	tl_peer_take_block(p, block, m->payload_len);
}

static int state_at_close;

static void cb_close(struct tl_peer *p, const char *reason)
{
	state_at_close = p->state;
	n_closed++;
	close_reason = reason;
}

static const struct tl_peer_ops torrent_ops = {
	.on_ready = cb_ready,
	.on_msg = cb_msg,
	.on_block = cb_block,
	.on_close = cb_close,
};

static const struct tl_peer_ops session_ops = {
	.on_infohash = cb_infohash,
	.on_close = cb_close,
};

static int cb_infohash(struct tl_peer *p, const struct tl_infohash *ih)
{
	n_infohash++;
	if (memcmp(ih->b, local.infohash.b, 20) != 0)
		return -1;
	tl_peer_attach(p, &local, &torrent_ops, NULL);
	tl_peer_set_limits(p, 10, 32768, 1000);
	return 0;
}

static void reset(void)
{
	n_infohash = n_ready = n_msgs = n_blocks = n_closed = 0;
	last_id = -1;
	block_len = 0;
	close_reason = NULL;
}

static void spin(struct event_base *base)
{
	for (int i = 0; i < 20; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

static void put_msg(int fd, uint8_t id, const uint8_t *payload, uint32_t n)
{
	uint8_t h[5] = { (uint8_t)((n + 1) >> 24), (uint8_t)((n + 1) >> 16), (uint8_t)((n + 1) >> 8),
		(uint8_t)(n + 1), id };
	CU_ASSERT_EQUAL(write(fd, h, 5), 5);
	if (n)
		CU_ASSERT_EQUAL(write(fd, payload, n), (ssize_t)n);
}

/* An accepted peer on one end of a socketpair; the other end is *raw_out. */
static struct tl_peer *accept_pair(struct event_base *base, struct tl_peer_closeq *q, int *raw_out)
{
	int sv[2];
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct sockaddr_storage ss = { .ss_family = AF_INET };
	struct tl_peer *p = tl_peer_accept(base, q, sv[0], (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in), &session_ops, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	*raw_out = sv[1];
	return p;
}

/* A loop, a close queue and an accepted peer on one end of a socketpair
 * (the test drives the other end, raw). */
struct pair {
	struct event_base *base;
	struct tl_peer_closeq q;
	struct tl_peer *p;
	int raw;
};

static void pair_open(struct pair *x)
{
	x->base = event_base_new();
	tl_peer_closeq_init(&x->q, x->base);
	reset();
	x->p = accept_pair(x->base, &x->q, &x->raw);
}

static void pair_close(struct pair *x)
{
	close(x->raw);
	tl_peer_closeq_clear(&x->q);
	event_base_free(x->base);
}

static void test_handshake_and_messages(void)
{
	struct pair x;
	pair_open(&x);
	struct event_base *base = x.base;
	int raw = x.raw;
	struct tl_peer *p = x.p;

	struct tl_handshake remote = local;
	memset(remote.peer_id.b, 'R', 20);
	uint8_t hs[TL_HANDSHAKE_LEN];
	tl_handshake_build(&remote, hs);
	/* the prefix alone is enough to pick the torrent and answer */
	CU_ASSERT_EQUAL(write(raw, hs, TL_HANDSHAKE_PREFIX_LEN), (ssize_t)TL_HANDSHAKE_PREFIX_LEN);
	spin(base);
	CU_ASSERT_EQUAL(n_infohash, 1);
	CU_ASSERT_EQUAL(n_ready, 0);
	uint8_t back[TL_HANDSHAKE_LEN];
	CU_ASSERT_EQUAL(read(raw, back, sizeof(back)), (ssize_t)sizeof(back));
	CU_ASSERT_EQUAL(memcmp(back + 28, local.infohash.b, 20), 0);
	CU_ASSERT_EQUAL(memcmp(back + 48, local.peer_id.b, 20), 0);
	CU_ASSERT_EQUAL(write(raw, hs + TL_HANDSHAKE_PREFIX_LEN, TL_HANDSHAKE_LEN - TL_HANDSHAKE_PREFIX_LEN),
	    (ssize_t)(TL_HANDSHAKE_LEN - TL_HANDSHAKE_PREFIX_LEN));
	spin(base);
	CU_ASSERT_EQUAL(n_ready, 1);
	CU_ASSERT_EQUAL(p->state, TL_PEER_ST_ACTIVE);
	CU_ASSERT_EQUAL(memcmp(p->remote.peer_id.b, remote.peer_id.b, 20), 0);

	/* interested, a keep-alive, a have, then a block split in two writes */
	put_msg(raw, TL_WIRE_INTERESTED, NULL, 0);
	static const uint8_t ka[4] = { 0 };
	CU_ASSERT_EQUAL(write(raw, ka, 4), 4);
	uint8_t have[4] = { 0, 0, 0, 9 };
	put_msg(raw, TL_WIRE_HAVE, have, 4);
	spin(base);
	CU_ASSERT_EQUAL(n_msgs, 2);
	CU_ASSERT_EQUAL(last_id, TL_WIRE_HAVE);
	uint8_t piece[8 + 1000];
	memset(piece, 0, 8);
	piece[3] = 9; /* index 9 (the short last piece), begin 0 */
	for (int i = 0; i < 1000; i++)
		piece[8 + i] = (uint8_t)i;
	uint8_t h[5] = { 0, 0, (1009 >> 8) & 0xff, 1009 & 0xff, TL_WIRE_PIECE };
	CU_ASSERT_EQUAL(write(raw, h, 5), 5);
	CU_ASSERT_EQUAL(write(raw, piece, 500), 500);
	spin(base);
	CU_ASSERT_EQUAL(n_blocks, 0); /* waits for the whole block */
	CU_ASSERT_EQUAL(write(raw, piece + 500, sizeof(piece) - 500), (ssize_t)(sizeof(piece) - 500));
	spin(base);
	CU_ASSERT_EQUAL_FATAL(n_blocks, 1);
	CU_ASSERT_EQUAL(block_len, 1000);
	CU_ASSERT_EQUAL(memcmp(block, piece + 8, 1000), 0);

	/* a request longer than 16 KiB is refused at the header */
	uint8_t req[12] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0 };
	put_msg(raw, TL_WIRE_REQUEST, req, 12);
	spin(base);
	CU_ASSERT_EQUAL(n_closed, 1);
	CU_ASSERT_PTR_NOT_NULL(close_reason);
	/* marked CLOSING in the callback, freed later from the close queue */
	CU_ASSERT_EQUAL(state_at_close, TL_PEER_ST_CLOSING);
	CU_ASSERT_PTR_NULL(x.q.head);
	char c;
	CU_ASSERT_EQUAL(read(raw, &c, 1), 0); /* and the socket is closed */
	pair_close(&x);
}

static void test_unknown_infohash(void)
{
	struct pair x;
	pair_open(&x);
	struct event_base *base = x.base;
	int raw = x.raw;
	struct tl_handshake other = local;
	memset(other.infohash.b, 0xee, 20);
	uint8_t hs[TL_HANDSHAKE_LEN];
	tl_handshake_build(&other, hs);
	CU_ASSERT_EQUAL(write(raw, hs, sizeof(hs)), (ssize_t)sizeof(hs));
	spin(base);
	CU_ASSERT_EQUAL(n_infohash, 1);
	CU_ASSERT_EQUAL(n_closed, 1);
	CU_ASSERT_STRING_EQUAL(close_reason, "unknown infohash");
	char c;
	CU_ASSERT_EQUAL(read(raw, &c, 1), 0); /* nothing was sent back */
	pair_close(&x);
}

static void test_garbage_before_handshake(void)
{
	struct pair x;
	pair_open(&x);
	struct event_base *base = x.base;
	int raw = x.raw;
	CU_ASSERT_EQUAL(write(raw, "GET / HTTP/1.1\r\n", 16), 16);
	spin(base);
	CU_ASSERT_EQUAL(n_infohash, 0);
	CU_ASSERT_EQUAL(n_closed, 1);
	pair_close(&x);
}

int main(void)
{
	memset(local.infohash.b, 0x11, 20);
	memset(local.peer_id.b, 'L', 20);
	tl_handshake_reserved(TL_HS_F_FAST, local.reserved);
	CU_TestInfo tests[] = { TL_TEST(test_handshake_and_messages), TL_TEST(test_unknown_infohash),
		TL_TEST(test_garbage_before_handshake), CU_TEST_INFO_NULL };
	return tl_test_run("peer", tests);
}
