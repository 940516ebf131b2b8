/* announce.c: see announce.h. */
#include "engine/announce.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "io/peer.h"
#include "base/mem.h"
#include "base/sockaddr.h"
#include "codec/metainfo.h"
#include "engine/session_tracker.h"
#include "engine/tracker.h"

/* The self-check looks up this long after start, once the table has a node. */
#define SELF_CHECK_DELAY_MS 5000u
/* ... and waits this long for a peer before it says "not findable". */
#define SELF_CHECK_WAIT_MS 15000u

struct tl_announce {
	struct tl_announce_env env;
	struct tl_infohash ih;
	tl_announce_peer_fn fn;
	void *arg;
	struct tl_sdht_watch *watch;
	struct tl_tracker *trk;
	bool is_started;     /* "started" went out */
	bool is_full;        /* nothing to download at the check: no "completed" */
	bool is_stopping;
	/* self-check */
	bool want_self_check;
	uint64_t start_ms, self_check_ms;
	struct tl_sdht_watch *self_check;
	bool is_findable;
};

/* Our own listening address as a tracker may hand it back to us. */
static bool is_self(const struct tl_announce *a, const struct sockaddr_storage *sa)
{
	struct sockaddr_storage me;
	socklen_t len;
	char spec[80];
	if (a->env.bind) {
		snprintf(spec, sizeof(spec), strchr(a->env.bind, ':') ? "[%s]:%u" : "%s:%u", a->env.bind,
		    a->env.port);
		if (tl_sockaddr_parse(spec, &me, &len) == TL_OK &&
		    tl_sockaddr_same((const struct sockaddr *)sa, (const struct sockaddr *)&me))
			return true;
	}
	if (!a->trk || !tl_tracker_external_ip(a->trk, &me))
		return false;
	if (me.ss_family == AF_INET)
		((struct sockaddr_in *)&me)->sin_port = htons(a->env.port);
	else
		((struct sockaddr_in6 *)&me)->sin6_port = htons(a->env.port);
	return tl_sockaddr_same((const struct sockaddr *)sa, (const struct sockaddr *)&me);
}

static void trk_peers_cb(void *arg, const struct sockaddr_storage *peers, size_t n)
{
	struct tl_announce *a = arg;
	for (size_t i = 0; i < n; i++) {
		socklen_t len = peers[i].ss_family == AF_INET ? sizeof(struct sockaddr_in)
							       : sizeof(struct sockaddr_in6);
		if (!is_self(a, &peers[i]))
			a->fn(a->arg, (const struct sockaddr *)&peers[i], len, TL_PSRC_TRACKER);
	}
}

static void dht_peer_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct tl_announce *a = arg;
	a->fn(a->arg, sa, len, TL_PSRC_DHT);
}

static void add_nodes(struct tl_announce *a, const struct tl_announce_cfg *cfg)
{
	for (size_t i = 0; i < cfg->nnodes; i++) {
		char spec[300];
		struct sockaddr_storage sa;
		socklen_t len;
		const struct tl_node_addr *n = &cfg->nodes[i];
		snprintf(spec, sizeof(spec), strchr(n->host, ':') ? "[%s]:%u" : "%s:%u", n->host, n->port);
		if (tl_sockaddr_parse(spec, &sa, &len) == TL_OK)
			tl_sdht_add_node(a->env.dht, (struct sockaddr *)&sa, len);
	}
}

static bool trackers_new(struct tl_announce *a, const struct tl_announce_cfg *cfg, const char **why_out)
{
	struct tl_strk_urls urls = { 0 };
	tl_strk_urls_add_tiers(&urls, cfg->tiers, cfg->ntiers);
	for (size_t i = 0; i < cfg->nurls; i++)
		tl_strk_urls_add(&urls, cfg->urls[i]);
	bool ok = true;
	if (urls.n && !a->env.strk) {
		*why_out = "trackers: no tracker client";
		ok = false;
	} else if (urls.n) {
		struct tl_tracker_cfg tc = {
			.info_hash = cfg->ih,
			.peer_id = a->env.peer_id,
			.port = a->env.port,
			.numwant = 50,
			.is_private = cfg->is_private,
		};
		a->trk = tl_strk_tracker_new(a->env.strk, &tc, &urls, trk_peers_cb, a);
	}
	tl_strk_urls_clear(&urls);
	return ok;
}

struct tl_announce *tl_announce_new(const struct tl_announce_env *env, const struct tl_announce_cfg *cfg,
    tl_announce_peer_fn fn, void *arg, const char **why_out)
{
	struct tl_announce *a = tl_calloc(1, sizeof(*a));
	a->env = *env;
	a->ih = cfg->ih;
	a->fn = fn;
	a->arg = arg;
	a->start_ms = tl_now_ms();
	if (!trackers_new(a, cfg, why_out)) {
		free(a);
		return NULL;
	}
	if (env->dht && !cfg->is_private) {
		add_nodes(a, cfg);
		a->watch = tl_sdht_watch(env->dht, &cfg->ih, env->port, cfg->is_seed, dht_peer_cb, a);
		a->want_self_check = cfg->is_self_check;
	}
	for (size_t i = 0; i < cfg->npeers; i++) {
		struct sockaddr_storage sa;
		socklen_t len;
		if (tl_sockaddr_parse(cfg->peers[i], &sa, &len) == TL_OK)
			fn(arg, (struct sockaddr *)&sa, len, TL_PSRC_GIVEN);
		else
			tl_warn("peer %s: not IP:PORT, ignored", cfg->peers[i]);
	}
	return a;
}

void tl_announce_free(struct tl_announce *a)
{
	if (!a)
		return;
	tl_sdht_unwatch(a->watch);
	tl_sdht_unwatch(a->self_check);
	tl_tracker_free(a->trk);
	free(a);
}

void tl_announce_progress(struct tl_announce *a, uint64_t uploaded, uint64_t downloaded, uint64_t wanted,
    uint64_t have)
{
	if (a->trk)
		tl_strk_progress(a->trk, uploaded, downloaded, wanted, have);
}

static void start(struct tl_announce *a)
{
	if (a->trk && !a->is_started)
		tl_tracker_event(a->trk, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
	a->is_started = true;
}

void tl_announce_size_unknown(struct tl_announce *a)
{
	if (a->trk)
		tl_tracker_set_progress(a->trk, 0, 0, 1); /* not a seed */
	start(a);
}

void tl_announce_checked(struct tl_announce *a, bool is_full)
{
	a->is_full = is_full;
	start(a);
}

void tl_announce_completed(struct tl_announce *a)
{
	if (a->trk && !a->is_full)
		tl_tracker_event(a->trk, TL_TRACKER_EV_COMPLETED, tl_tracker_now_ms());
}

void tl_announce_now(struct tl_announce *a)
{
	if (a->watch)
		tl_sdht_watch_now(a->watch);
	if (a->trk)
		tl_tracker_announce_soon(a->trk, tl_tracker_now_ms());
}

void tl_announce_stop(struct tl_announce *a, void (*done)(void *arg), void *arg)
{
	a->is_stopping = true;
	tl_sdht_unwatch(a->self_check);
	a->self_check = NULL;
	if (a->trk && a->is_started)
		tl_strk_stop(a->env.strk, a->trk, TL_STRK_STOP_GRACE_MS, done, arg);
	else
		done(arg);
}

static void self_check_peer(void *arg, const struct sockaddr *sa, socklen_t len)
{
	(void)sa, (void)len;
	struct tl_announce *a = arg;
	a->is_findable = true; /* any peer at all: at least the DHT stores the torrent */
}

bool tl_announce_tick(struct tl_announce *a, uint64_t now_ms, bool *is_findable_out)
{
	if (!a->want_self_check || a->is_stopping)
		return false;
	if (!a->self_check) {
		if (now_ms - a->start_ms >= SELF_CHECK_DELAY_MS && tl_sdht_good_nodes(a->env.dht) > 0) {
			a->self_check = tl_sdht_watch(a->env.dht, &a->ih, 0, false, self_check_peer, a);
			a->self_check_ms = now_ms;
		}
		return false;
	}
	if (!a->is_findable && now_ms - a->self_check_ms < SELF_CHECK_WAIT_MS)
		return false;
	tl_sdht_unwatch(a->self_check);
	a->self_check = NULL;
	a->want_self_check = false;
	*is_findable_out = a->is_findable;
	return true;
}

bool tl_announce_dht_stats(const struct tl_announce *a, struct tl_sdht_watch_stat *out)
{
	if (!a->watch)
		return false;
	tl_sdht_watch_stats(a->watch, out);
	return true;
}

const struct tl_tracker *tl_announce_trackers(const struct tl_announce *a)
{
	return a->trk;
}
