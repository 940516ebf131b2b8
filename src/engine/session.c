/* session.c: see session.h. */
#include "engine/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "base/bounds.h"
#include "io/conn.h"
#include "io/diskio.h"
#include "base/err.h"
#include "base/fdlimit.h"
#include "proto/handshake.h"
#include "io/listener.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "engine/session_dht.h"

/* Seconds between malloc_trim calls (tick_cb). */
#define TRIM_TICKS 10u
/* Connections refused over TL_MAX_HALF_OPEN are logged at most this often. */
#define HALF_OPEN_LOG_INTERVAL_MS 60000u

struct tl_session {
	struct event_base *base;
	struct tl_disk *disk;
	struct tl_peer_closeq closeq;
	struct tl_listener *listeners[2];
	struct event *tick_ev;
	struct tl_rate_group *rate_group;
	struct tl_peer_id peer_id;
	struct sockaddr_storage bind_addr;
	socklen_t bind_len;
	unsigned total_peers;
	uint64_t ticks;
	unsigned max_peers;
	struct tl_fdlimit fds;         /* lent to torrents: they dial within it */
	struct tl_torrent **torrents;        /* in the order added */
	struct tl_sdht_watch **watches;      /* DHT lookups of each torrent */
	size_t ntorrents, torrents_cap;
	uint32_t *by_hash;                   /* open addressing: index + 1 in torrents; 0 empty */
	size_t hash_cap;                     /* a power of two, at least twice ntorrents */
	struct tl_sdht *dht;
	struct tl_peer *incoming; /* accepted, handshake not matched yet */
	unsigned nincoming;       /* on that list, at most TL_MAX_HALF_OPEN */
	struct tl_log_limit half_open_log;
	struct incoming_hook {
		struct tl_infohash ih;
		tl_session_incoming_fn fn;
		void *arg;
	} *hooks; /* infohashes without a torrent yet */
	size_t nhooks, hooks_cap;
};

int tl_session_parse_addr(const char *s, struct sockaddr_storage *out, socklen_t *len_out)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return TL_EINVAL;
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (s[0] == '[') {
		if (hl < 2 || s[hl - 1] != ']')
			return TL_EINVAL;
		h = s + 1;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port == 0 || port > 65535)
		return TL_EINVAL;
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len_out = sizeof(*a4);
		return TL_OK;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len_out = sizeof(*a6);
		return TL_OK;
	}
	return TL_EINVAL;
}

/* ---- incoming connections ---- */

static void unlink_incoming(struct tl_session *s, struct tl_peer *p)
{
	for (struct tl_peer **pp = &s->incoming; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			s->nincoming--;
			return;
		}
}

/* ---- torrents by infohash ---- */

static size_t hash_slot(const struct tl_session *s, const struct tl_infohash *ih)
{
	uint32_t h;
	memcpy(&h, ih->b, sizeof(h)); /* SHA-1 output: its bytes are hash enough */
	return h & (s->hash_cap - 1);
}

/* The index in s->torrents of the torrent of ih, or SIZE_MAX. */
static size_t find_index(const struct tl_session *s, const struct tl_infohash *ih)
{
	if (!s->hash_cap)
		return SIZE_MAX;
	for (size_t i = hash_slot(s, ih);; i = (i + 1) & (s->hash_cap - 1)) {
		uint32_t k = s->by_hash[i];
		if (k == 0)
			return SIZE_MAX;
		if (memcmp(tl_torrent_infohash(s->torrents[k - 1])->b, ih->b, 20) == 0)
			return k - 1;
	}
}

/* The torrent of ih, or NULL. */
static struct tl_torrent *find_torrent(const struct tl_session *s, const struct tl_infohash *ih)
{
	size_t i = find_index(s, ih);
	return i == SIZE_MAX ? NULL : s->torrents[i];
}

/* The session's peer limit is reached: the peer idle longest in any
 * torrent gives its slot (tl_torrent_ctx.make_room). */
static bool make_room(void *arg)
{
	struct tl_session *s = arg;
	uint64_t now = tl_now_ms(), best_since = UINT64_MAX;
	struct tl_peer *best = NULL;
	for (size_t i = 0; i < s->ntorrents; i++) {
		uint64_t since;
		struct tl_peer *p = tl_torrent_idle_peer(s->torrents[i], now, &since);
		if (p && since < best_since) {
			best = p;
			best_since = since;
		}
	}
	if (best)
		tl_peer_close(best, "idle: its slot went to a new peer");
	return best != NULL;
}

bool tl_session_dht_stats(const struct tl_session *s, const struct tl_torrent *t,
    struct tl_sdht_watch_stat *out)
{
	size_t i = find_index(s, tl_torrent_infohash(t));
	if (i == SIZE_MAX || !s->watches[i])
		return false;
	tl_sdht_watch_stats(s->watches[i], out);
	return true;
}

static void hash_insert(struct tl_session *s, size_t index)
{
	size_t i = hash_slot(s, tl_torrent_infohash(s->torrents[index]));
	while (s->by_hash[i])
		i = (i + 1) & (s->hash_cap - 1);
	s->by_hash[i] = (uint32_t)index + 1;
}

/* Room for one more torrent, the index kept at most half full. */
static void torrents_grow(struct tl_session *s)
{
	if (s->ntorrents == s->torrents_cap) {
		s->torrents_cap = s->torrents_cap ? s->torrents_cap * 2 : 16;
		s->torrents = tl_reallocarray(s->torrents, s->torrents_cap, sizeof(*s->torrents));
		s->watches = tl_reallocarray(s->watches, s->torrents_cap, sizeof(*s->watches));
	}
	if ((s->ntorrents + 1) * 2 <= s->hash_cap)
		return;
	free(s->by_hash);
	s->hash_cap = s->hash_cap ? s->hash_cap * 2 : 32;
	s->by_hash = tl_calloc(s->hash_cap, sizeof(*s->by_hash));
	for (size_t i = 0; i < s->ntorrents; i++)
		hash_insert(s, i);
}

static int in_infohash(struct tl_peer *p, const struct tl_infohash *ih)
{
	struct tl_session *s = p->owner;
	unlink_incoming(s, p);
	struct tl_torrent *t = find_torrent(s, ih);
	if (t)
		return tl_torrent_take_incoming(t, p);
	for (size_t i = 0; i < s->nhooks; i++)
		if (memcmp(s->hooks[i].ih.b, ih->b, 20) == 0)
			return s->hooks[i].fn(s->hooks[i].arg, p);
	return -1;
}

static void in_close(struct tl_peer *p, const char *reason)
{
	(void)reason;
	unlink_incoming(p->owner, p);
}

static const struct tl_peer_ops incoming_ops = {
	.on_infohash = in_infohash,
	.on_close = in_close,
};

/*
 * Established peers are bounded by their torrent (tl_torrent_take_incoming),
 * which may make room for a new one; here only connections without a
 * handshake yet, and descriptors. A refused one is closed at once: the
 * remote learns sooner than from a backlog that does not drain.
 */
static void accept_cb(int fd, const struct sockaddr *addr, socklen_t len, void *arg)
{
	struct tl_session *s = arg;
	if (s->nincoming >= TL_MAX_HALF_OPEN) {
		close(fd);
		uint64_t dropped;
		char more[TL_LOG_MORE_LEN];
		if (tl_log_limit_pass(&s->half_open_log, tl_now_ms(), HALF_OPEN_LOG_INTERVAL_MS, &dropped))
			tl_warn("session: %u incoming connections without a handshake: refusing more%s",
			    s->nincoming, tl_log_more(dropped, more));
		return;
	}
	if (!tl_fdlimit_take(&s->fds)) {
		close(fd); /* logged by fdlimit */
		return;
	}
	struct tl_peer *p = tl_peer_accept(s->base, &s->closeq, fd, addr, len, &incoming_ops, s);
	if (!p)
		return;
	if (s->rate_group)
		tl_peer_set_rate_group(p, s->rate_group);
	p->next = s->incoming;
	s->incoming = p;
	s->nincoming++;
}

/* ---- life ---- */

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_session *s = arg;
	tl_fdlimit_tick(&s->fds);
	for (size_t i = 0; i < s->ntorrents; i++)
		tl_torrent_tick(s->torrents[i]);
	/* Output buffers of closed peers are freed in 16 KiB chains, which
	 * glibc keeps in its heap: hand whole free pages back now and then. */
	if (++s->ticks % TRIM_TICKS == 0)
		malloc_trim(0);
}

static int listen_on(struct tl_session *s, int slot, const struct sockaddr *a, socklen_t len)
{
	s->listeners[slot] = tl_listener_new(s->base, a, len, accept_cb, s);
	return s->listeners[slot] ? 0 : -1;
}

struct tl_session *tl_session_new(const struct tl_session_opts *opts, const char **why_out)
{
	evthread_use_pthreads();
	struct tl_session *s = tl_calloc(1, sizeof(*s));
	s->max_peers = opts->max_peers ? opts->max_peers : 200;
	s->base = event_base_new();
	if (!s->base) {
		*why_out = "cannot create the event loop";
		free(s);
		return NULL;
	}
	tl_peer_closeq_init(&s->closeq, s->base);
	if (tl_peer_id_generate(&s->peer_id) != TL_OK) {
		*why_out = "cannot make a peer id";
		goto fail;
	}
	/* Random choices (picking ties, choking) differ per process. */
	unsigned seed = 0;
	for (int i = 8; i < 20; i++)
		seed = seed * 31 + s->peer_id.b[i];
	srandom(seed);
	s->disk = tl_disk_new(s->base, opts->disk_threads ? opts->disk_threads : 2);
	if (!s->disk) {
		*why_out = "cannot start the disk threads";
		goto fail;
	}
	if (opts->bind) {
		char spec[160];
		snprintf(spec, sizeof(spec), strchr(opts->bind, ':') ? "[%s]:%u" : "%s:%u", opts->bind,
		    opts->port ? opts->port : 1);
		if (tl_session_parse_addr(spec, &s->bind_addr, &s->bind_len) != TL_OK) {
			*why_out = "--bind needs a numeric IPv4 or IPv6 address";
			goto fail;
		}
		struct sockaddr_storage la = s->bind_addr;
		if (la.ss_family == AF_INET)
			((struct sockaddr_in *)&la)->sin_port = htons(opts->port);
		else
			((struct sockaddr_in6 *)&la)->sin6_port = htons(opts->port);
		if (listen_on(s, 0, (struct sockaddr *)&la, s->bind_len) != 0) {
			*why_out = "cannot listen on the --bind address and port";
			goto fail;
		}
		/* Dial from the same address, any port. */
		if (s->bind_addr.ss_family == AF_INET)
			((struct sockaddr_in *)&s->bind_addr)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&s->bind_addr)->sin6_port = 0;
	} else {
		struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(opts->port) };
		if (listen_on(s, 0, (struct sockaddr *)&a4, sizeof(a4)) != 0) {
			*why_out = "cannot listen on the port";
			goto fail;
		}
		struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
			.sin6_port = htons(tl_listener_port(s->listeners[0])) };
		a6.sin6_addr = in6addr_any;
		if (listen_on(s, 1, (struct sockaddr *)&a6, sizeof(a6)) != 0)
			tl_info("session: no IPv6 listener");
	}
	if (opts->up_limit || opts->down_limit)
		s->rate_group = tl_rate_group_new(s->base, opts->down_limit, opts->up_limit);
	if (opts->want_dht) {
		struct tl_sdht_opts d = {
			.bind = opts->bind,
			.port = opts->dht_port ? opts->dht_port : tl_session_port(s),
			.bootstrap = opts->bootstrap,
			.nbootstrap = opts->nbootstrap,
			.is_no_bootstrap = opts->is_no_bootstrap,
			.is_same_subnet = opts->is_dht_same_subnet,
			.state_path = opts->dht_state_path,
			.announce_ms = opts->dht_announce_ms,
		};
		s->dht = tl_sdht_new(s->base, &d, why_out);
		if (!s->dht && !opts->dht_port) {
			/* The TCP port's UDP twin is taken: any port will do. */
			d.port = 0;
			s->dht = tl_sdht_new(s->base, &d, why_out);
		}
		if (!s->dht)
			goto fail;
	}
	tl_fdlimit_init(&s->fds); /* once the listeners and the DHT are open */
	s->tick_ev = event_new(s->base, -1, EV_PERSIST, tick_cb, s);
	struct timeval one = { 1, 0 };
	event_add(s->tick_ev, &one);
	return s;
fail:
	tl_session_free(s);
	return NULL;
}

void tl_session_free(struct tl_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		tl_listener_free(s->listeners[i]);
	while (s->incoming)
		tl_peer_close(s->incoming, "shutting down");
	for (size_t i = 0; i < s->ntorrents; i++) {
		tl_sdht_unwatch(s->watches[i]);
		s->watches[i] = NULL;
		tl_torrent_stop(s->torrents[i]);
	}
	tl_sdht_free(s->dht);
	s->dht = NULL;
	/* Disk jobs hold torrent and peer references: drain them first. */
	if (s->disk)
		tl_disk_flush(s->disk);
	for (size_t i = 0; i < s->ntorrents; i++)
		tl_torrent_free(s->torrents[i]);
	if (s->disk)
		tl_disk_flush(s->disk);
	tl_disk_free(s->disk);
	tl_peer_closeq_clear(&s->closeq);
	if (s->tick_ev)
		event_free(s->tick_ev);
	/* A freed connection leaves its rate group only when the loop runs
	 * its finalizer: the incoming peers closed above never saw the loop
	 * again. Nothing else is left on the base to run. */
	if (s->rate_group) {
		event_base_loop(s->base, EVLOOP_NONBLOCK);
		tl_rate_group_free(s->rate_group);
	}
	event_base_free(s->base);
	free(s->torrents);
	free(s->watches);
	free(s->by_hash);
	free(s->hooks);
	free(s);
}

struct event_base *tl_session_base(struct tl_session *s)
{
	return s->base;
}

uint16_t tl_session_port(const struct tl_session *s)
{
	return s->listeners[0] ? tl_listener_port(s->listeners[0]) : 0;
}

static struct tl_sdht_watch *dht_watch(struct tl_session *s, struct tl_torrent *t, const struct tl_torrent_opts *o);

struct tl_torrent *tl_session_add(struct tl_session *s, struct tl_metainfo *mi_take,
    const struct tl_torrent_opts *opts, tl_torrent_event_fn fn, void *arg, const char **why_out)
{
	if (find_torrent(s, &mi_take->infohash)) {
		*why_out = "the torrent is there already";
		tl_metainfo_free(mi_take);
		return NULL;
	}
	if (s->ntorrents >= TL_MAX_TORRENTS) {
		*why_out = "too many torrents";
		tl_metainfo_free(mi_take);
		return NULL;
	}
	torrents_grow(s);
	struct tl_torrent_ctx ctx;
	tl_session_context(s, &ctx);
	struct tl_torrent *t = tl_torrent_new(&ctx, mi_take, opts, fn, arg, why_out);
	if (!t)
		return NULL;
	s->torrents[s->ntorrents] = t;
	s->watches[s->ntorrents] = s->dht ? dht_watch(s, t, opts) : NULL;
	hash_insert(s, s->ntorrents);
	s->ntorrents++;
	tl_torrent_start(t);
	return t;
}

/* ---- DHT ---- */

static void dht_node_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	tl_sdht_add_node(arg, sa, len);
}

static void dht_peer_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	tl_torrent_add_peer_from(arg, sa, len, TL_PSRC_DHT);
}

/* Look t up and announce it; its "nodes" (numeric ones) join the table. */
static struct tl_sdht_watch *dht_watch(struct tl_session *s, struct tl_torrent *t, const struct tl_torrent_opts *o)
{
	const struct tl_metainfo *mi = tl_torrent_metainfo(t);
	if (mi->is_private)
		return NULL; /* BEP 27: trackers only */
	for (size_t i = 0; i < mi->nnodes; i++) {
		char spec[300];
		struct sockaddr_storage a;
		socklen_t len;
		snprintf(spec, sizeof(spec), strchr(mi->nodes[i].host, ':') ? "[%s]:%u" : "%s:%u", mi->nodes[i].host,
		    mi->nodes[i].port);
		if (tl_session_parse_addr(spec, &a, &len) == TL_OK)
			tl_sdht_add_node(s->dht, (struct sockaddr *)&a, len);
	}
	return tl_sdht_watch(s->dht, &mi->infohash, tl_session_port(s), o->is_read_only, dht_peer_cb, t);
}

void tl_session_hook_incoming(struct tl_session *s, const struct tl_infohash *ih, tl_session_incoming_fn fn,
    void *arg)
{
	tl_session_unhook_incoming(s, arg);
	if (s->nhooks == s->hooks_cap) {
		s->hooks_cap = s->hooks_cap ? s->hooks_cap * 2 : 8;
		s->hooks = tl_reallocarray(s->hooks, s->hooks_cap, sizeof(*s->hooks));
	}
	s->hooks[s->nhooks++] = (struct incoming_hook){ .ih = *ih, .fn = fn, .arg = arg };
}

void tl_session_unhook_incoming(struct tl_session *s, void *arg)
{
	for (size_t i = 0; i < s->nhooks; i++)
		if (s->hooks[i].arg == arg) {
			s->hooks[i] = s->hooks[--s->nhooks];
			return;
		}
}

struct tl_sdht *tl_session_dht(struct tl_session *s)
{
	return s->dht;
}

void tl_session_context(struct tl_session *s, struct tl_torrent_ctx *out)
{
	*out = (struct tl_torrent_ctx){
		.base = s->base,
		.disk = s->disk,
		.closeq = &s->closeq,
		.rate_group = s->rate_group,
		.peer_id = s->peer_id,
		.bind_addr = s->bind_len ? (const struct sockaddr *)&s->bind_addr : NULL,
		.bind_len = s->bind_len,
		.listen_port = tl_session_port(s),
		.total_peers = &s->total_peers,
		.max_total_peers = s->max_peers,
		.fds = &s->fds,
		.make_room = make_room,
		.make_room_arg = s,
		.dht_port = s->dht ? tl_sdht_port(s->dht) : 0,
		.on_dht_node = s->dht ? dht_node_cb : NULL,
		.dht_arg = s->dht,
	};
}

void tl_session_run(struct tl_session *s)
{
	event_base_dispatch(s->base);
}

void tl_session_break(struct tl_session *s)
{
	event_base_loopbreak(s->base);
}
