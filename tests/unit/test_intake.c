/* test_intake.c: the rules of a torrent's peer list that need no
 * connection: which of two connections to one peer id is closed, a
 * connection's listen address, a peer id already connected, room under
 * the torrent's and the session's caps. */
#include "cutest.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "engine/intake.h"
#include "io/peer.h"

static struct tl_peer_id id_of(uint8_t b)
{
	struct tl_peer_id id;
	memset(id.b, b, sizeof(id.b));
	return id;
}

static void mk(struct tl_peer *p, uint8_t id, bool is_incoming, struct tl_peer *next)
{
	memset(p, 0, sizeof(*p));
	p->state = TL_PEER_ST_ACTIVE;
	p->remote.peer_id = id_of(id);
	p->is_incoming = is_incoming;
	p->next = next;
}

static void test_dup_loser(void)
{
	struct tl_peer_id self = id_of(0x50);
	struct tl_peer old, p, other;
	/* none: no other connection to the id */
	mk(&other, 0x70, false, NULL);
	mk(&p, 0x40, true, &other);
	CU_ASSERT_PTR_NULL(tl_intake_dup_loser(&p, &p, &self));
	/* the same side dialed both: the new one goes */
	mk(&old, 0x40, false, NULL);
	mk(&p, 0x40, false, &old);
	CU_ASSERT_PTR_EQUAL(tl_intake_dup_loser(&p, &p, &self), &p);
	/* p incoming from 0x40 (lower than us): its dial is kept, ours goes */
	mk(&old, 0x40, false, NULL);
	mk(&p, 0x40, true, &old);
	CU_ASSERT_PTR_EQUAL(tl_intake_dup_loser(&p, &p, &self), &old);
	/* p incoming from 0x60 (higher than us): our dial is kept */
	mk(&old, 0x60, false, NULL);
	mk(&p, 0x60, true, &old);
	CU_ASSERT_PTR_EQUAL(tl_intake_dup_loser(&p, &p, &self), &p);
	/* p dialed by us to 0x60: ours is lower, p is kept */
	mk(&old, 0x60, true, NULL);
	mk(&p, 0x60, false, &old);
	CU_ASSERT_PTR_EQUAL(tl_intake_dup_loser(&p, &p, &self), &old);
	/* one not ACTIVE is no duplicate */
	old.state = TL_PEER_ST_CLOSING;
	CU_ASSERT_PTR_NULL(tl_intake_dup_loser(&p, &p, &self));
}

static void test_id_connected_and_find(void)
{
	struct tl_peer a, b;
	mk(&b, 0x22, false, NULL);
	mk(&a, 0x11, true, &b);
	a.serial = 1;
	b.serial = 2;
	struct tl_peer_id x = id_of(0x22), y = id_of(0x33);
	CU_ASSERT_TRUE(tl_intake_id_connected(&a, &x));
	CU_ASSERT_FALSE(tl_intake_id_connected(&a, &y));
	b.state = TL_PEER_ST_HANDSHAKE;
	CU_ASSERT_FALSE(tl_intake_id_connected(&a, &x));
	CU_ASSERT_PTR_EQUAL(tl_intake_find(&a, 2), &b);
	CU_ASSERT_PTR_NULL(tl_intake_find(&a, 3));
}

static void test_listen_addr(void)
{
	struct tl_peer p;
	mk(&p, 1, false, NULL);
	struct sockaddr_in *a = (struct sockaddr_in *)&p.addr;
	a->sin_family = AF_INET;
	a->sin_port = htons(6881);
	inet_pton(AF_INET, "10.0.0.1", &a->sin_addr);
	struct sockaddr_storage out;
	/* dialed: where we dialed it */
	CU_ASSERT_TRUE(tl_intake_listen_addr(&p, &out));
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&out)->sin_port, htons(6881));
	/* incoming without "p": unknown */
	p.is_incoming = true;
	a->sin_port = htons(40000);
	CU_ASSERT_FALSE(tl_intake_listen_addr(&p, &out));
	/* incoming with "p": its IP, that port */
	p.ext_port = 51413;
	CU_ASSERT_TRUE(tl_intake_listen_addr(&p, &out));
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&out)->sin_port, htons(51413));
	CU_ASSERT_EQUAL(memcmp(&((struct sockaddr_in *)&out)->sin_addr, &a->sin_addr, 4), 0);
	/* IPv6 too */
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&p.addr;
	memset(&p.addr, 0, sizeof(p.addr));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(40000);
	CU_ASSERT_TRUE(tl_intake_listen_addr(&p, &out));
	CU_ASSERT_EQUAL(((struct sockaddr_in6 *)&out)->sin6_port, htons(51413));
	/* a family without ports */
	p.addr.ss_family = AF_UNIX;
	CU_ASSERT_FALSE(tl_intake_listen_addr(&p, &out));
}

static void test_has_room(void)
{
	unsigned total = 0;
	struct tl_torrent_ctx ctx = { .total_peers = &total, .max_total_peers = 3 };
	struct tl_intake in;
	tl_intake_init(&in, &ctx, 2, NULL, NULL, NULL, NULL, NULL);
	CU_ASSERT_TRUE(tl_intake_has_room(&in));
	in.npeers = 2; /* the torrent's cap */
	total = 2;
	CU_ASSERT_FALSE(tl_intake_has_room(&in));
	in.npeers = 1; /* under it, and under the session's */
	CU_ASSERT_TRUE(tl_intake_has_room(&in));
	total = 3; /* the session's cap, other torrents' peers */
	CU_ASSERT_FALSE(tl_intake_has_room(&in));
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_dup_loser),
		TL_TEST(test_id_connected_and_find),
		TL_TEST(test_listen_addr),
		TL_TEST(test_has_room),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("intake", tests);
}
