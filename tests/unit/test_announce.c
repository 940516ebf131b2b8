/* test_announce.c: a torrent's peer sources without a DHT or trackers
 * (engine/announce.h): the given peers, the tracker-less stop, the
 * self-check that never runs without a DHT. No sockets. */
#include <arpa/inet.h>
#include <string.h>

#include "cutest.h"

#include "engine/announce.h"

struct got {
	size_t n;
	enum tl_peer_src src[8];
	uint16_t port[8];
	int done;
};

static void on_peer(void *arg, const struct sockaddr *sa, socklen_t len, enum tl_peer_src src)
{
	struct got *g = arg;
	(void)len;
	if (g->n < 8) {
		g->src[g->n] = src;
		g->port[g->n] = ntohs(sa->sa_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port
		                                               : ((const struct sockaddr_in6 *)sa)->sin6_port);
	}
	g->n++;
}

static void on_done(void *arg)
{
	((struct got *)arg)->done++;
}

static void test_given_peers(void)
{
	struct tl_announce_env env = { .port = 6881 };
	const char *peers[] = { "127.0.0.1:1001", "not an address", "[::1]:1002" };
	struct tl_announce_cfg cfg = { .peers = peers, .npeers = 3 };
	struct got g = { 0 };
	const char *why = NULL;
	struct tl_announce *a = tl_announce_new(&env, &cfg, on_peer, &g, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(g.n, 2); /* the bad one is skipped */
	CU_ASSERT_EQUAL(g.src[0], TL_PSRC_GIVEN);
	CU_ASSERT_EQUAL(g.port[0], 1001);
	CU_ASSERT_EQUAL(g.port[1], 1002);
	struct tl_sdht_watch_stat ws;
	CU_ASSERT_FALSE(tl_announce_dht_stats(a, &ws)); /* no DHT: no lookups */
	CU_ASSERT_PTR_NULL(tl_announce_trackers(a));
	tl_announce_free(a);
}

static void test_trackers_need_a_client(void)
{
	struct tl_announce_env env = { .port = 6881 }; /* no tracker client */
	const char *urls[] = { "http://127.0.0.1:1/announce" };
	struct tl_announce_cfg cfg = { .urls = urls, .nurls = 1 };
	struct got g = { 0 };
	const char *why = NULL;
	CU_ASSERT_PTR_NULL(tl_announce_new(&env, &cfg, on_peer, &g, &why));
	CU_ASSERT_PTR_NOT_NULL(why);
}

static void test_stop_without_trackers_is_immediate(void)
{
	struct tl_announce_env env = { .port = 6881 };
	struct tl_announce_cfg cfg = { .is_self_check = true, .is_seed = true };
	struct got g = { 0 };
	const char *why = NULL;
	struct tl_announce *a = tl_announce_new(&env, &cfg, on_peer, &g, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	tl_announce_checked(a, true);
	tl_announce_completed(a); /* nothing to tell: no tracker */
	bool is_findable = true;
	/* no DHT: the self-check never runs */
	CU_ASSERT_FALSE(tl_announce_tick(a, 1000000, &is_findable));
	tl_announce_stop(a, on_done, &g);
	CU_ASSERT_EQUAL(g.done, 1);
	CU_ASSERT_FALSE(tl_announce_tick(a, 2000000, &is_findable));
	tl_announce_free(a);
	tl_announce_free(NULL);
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_given_peers),
		TL_TEST(test_trackers_need_a_client),
		TL_TEST(test_stop_without_trackers_is_immediate),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("announce", tests);
}
