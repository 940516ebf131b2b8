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
#include "base/sockaddr.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "codec/magnet.h"
#include "engine/catalog.h"
#include "engine/entry.h"
#include "engine/queue.h"
#include "io/udp.h"
#include "engine/session_dht.h"
#include "engine/session_tracker.h"
#include "engine/statedir.h"

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
	struct tl_entry **entries;           /* in the order added */
	bool *is_removing, *is_with_data;    /* per entry: removal asked */
	bool *is_wanted;                     /* per entry: should run (the queue starts it) */
	struct tl_queue_limits queue;
	bool is_queue_dirty;                 /* a torrent stopped or completed since queue_run */
	bool is_persistent;                  /* the list of torrents is kept (catalog.h) */
	bool is_catalog_dirty;               /* it changed since it was last written */
	size_t nentries, entries_cap;
	uint32_t *by_hash;                   /* open addressing: index + 1 in entries; 0 empty */
	size_t hash_cap;                     /* a power of two, at least twice nentries */
	struct event *reap_ev;               /* frees removed entries once idle */
	struct tl_udp *udp;       /* the UDP port: the DHT's sockets (NULL without a DHT) */
	struct tl_sdht *dht;
	struct tl_strk *strk;                /* the tracker client, made at the first tracker */
	char *bind, *tracker_ca;
	char *state_dir;                     /* NULL: nothing kept */
	int lock_fd;
	tl_entry_event_fn fn;
	void *fn_arg;
	struct tl_peer *incoming; /* accepted, handshake not matched yet */
	unsigned nincoming;       /* on that list, at most TL_MAX_HALF_OPEN */
	struct tl_log_limit half_open_log;
};

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

/* The index in s->entries of the torrent of ih, or SIZE_MAX. */
static size_t find_index(const struct tl_session *s, const struct tl_infohash *ih)
{
	if (!s->hash_cap)
		return SIZE_MAX;
	for (size_t i = hash_slot(s, ih);; i = (i + 1) & (s->hash_cap - 1)) {
		uint32_t k = s->by_hash[i];
		if (k == 0)
			return SIZE_MAX;
		if (memcmp(tl_entry_infohash(s->entries[k - 1])->b, ih->b, 20) == 0)
			return k - 1;
	}
}

struct tl_entry *tl_session_find(const struct tl_session *s, const struct tl_infohash *ih)
{
	size_t i = find_index(s, ih);
	return i == SIZE_MAX ? NULL : s->entries[i];
}

size_t tl_session_count(const struct tl_session *s)
{
	return s->nentries;
}

struct tl_entry *tl_session_entry(struct tl_session *s, size_t i)
{
	return i < s->nentries ? s->entries[i] : NULL;
}

/* The session's peer limit is reached: the peer idle longest in any
 * torrent gives its slot (tl_torrent_ctx.make_room). */
static bool make_room(void *arg)
{
	struct tl_session *s = arg;
	uint64_t now = tl_now_ms(), best_since = UINT64_MAX;
	struct tl_peer *best = NULL;
	for (size_t i = 0; i < s->nentries; i++) {
		uint64_t since;
		struct tl_torrent *t = tl_entry_torrent(s->entries[i]);
		struct tl_peer *p = t ? tl_torrent_idle_peer(t, now, &since) : NULL;
		if (p && since < best_since) {
			best = p;
			best_since = since;
		}
	}
	if (best)
		tl_peer_close(best, "idle: its slot went to a new peer");
	return best != NULL;
}

static void hash_insert(struct tl_session *s, size_t index)
{
	size_t i = hash_slot(s, tl_entry_infohash(s->entries[index]));
	while (s->by_hash[i])
		i = (i + 1) & (s->hash_cap - 1);
	s->by_hash[i] = (uint32_t)index + 1;
}

static void hash_rebuild(struct tl_session *s)
{
	memset(s->by_hash, 0, s->hash_cap * sizeof(*s->by_hash));
	for (size_t i = 0; i < s->nentries; i++)
		hash_insert(s, i);
}

/* Room for one more torrent, the index kept at most half full. */
static void entries_grow(struct tl_session *s)
{
	if (s->nentries == s->entries_cap) {
		s->entries_cap = s->entries_cap ? s->entries_cap * 2 : 16;
		s->entries = tl_reallocarray(s->entries, s->entries_cap, sizeof(*s->entries));
		s->is_removing = tl_reallocarray(s->is_removing, s->entries_cap, sizeof(*s->is_removing));
		s->is_with_data = tl_reallocarray(s->is_with_data, s->entries_cap, sizeof(*s->is_with_data));
		s->is_wanted = tl_reallocarray(s->is_wanted, s->entries_cap, sizeof(*s->is_wanted));
	}
	if ((s->nentries + 1) * 2 <= s->hash_cap)
		return;
	free(s->by_hash);
	s->hash_cap = s->hash_cap ? s->hash_cap * 2 : 32;
	s->by_hash = tl_calloc(s->hash_cap, sizeof(*s->by_hash));
	hash_rebuild(s);
}

static int in_infohash(struct tl_peer *p, const struct tl_infohash *ih)
{
	struct tl_session *s = p->owner;
	unlink_incoming(s, p);
	size_t i = find_index(s, ih);
	if (i == SIZE_MAX || s->is_removing[i])
		return -1;
	return tl_entry_take_incoming(s->entries[i], p);
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

static void queue_run(struct tl_session *s);
static void catalog_save(struct tl_session *s);

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_session *s = arg;
	tl_fdlimit_tick(&s->fds);
	uint64_t now = tl_now_ms();
	for (size_t i = 0; i < s->nentries; i++) {
		struct tl_torrent *t = tl_entry_torrent(s->entries[i]);
		if (t)
			tl_torrent_tick(t);
		tl_entry_tick(s->entries[i], now);
	}
	if (s->is_queue_dirty)
		queue_run(s);
	if (s->is_catalog_dirty)
		catalog_save(s);
	/* Output buffers of closed peers are freed in 16 KiB chains, which
	 * glibc keeps in its heap: hand whole free pages back now and then. */
	if (++s->ticks % TRIM_TICKS == 0)
		malloc_trim(0);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg);

static int listen_on(struct tl_session *s, int slot, const struct sockaddr *a, socklen_t len)
{
	s->listeners[slot] = tl_listener_new(s->base, a, len, accept_cb, s);
	return s->listeners[slot] ? 0 : -1;
}

/* The session of opts on opts->port, without its state directory. */
static struct tl_session *session_open(const struct tl_session_opts *opts, const char *dht_state,
    const char **why_out)
{
	evthread_use_pthreads();
	struct tl_session *s = tl_calloc(1, sizeof(*s));
	s->lock_fd = -1;
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
		if (tl_sockaddr_parse(spec, &s->bind_addr, &s->bind_len) != TL_OK) {
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
		/* Only the DHT speaks UDP yet: no DHT, no UDP port. */
		struct tl_udp_opts uo = {
			.bind = opts->bind,
			.port = opts->dht_port ? opts->dht_port : tl_session_port(s),
		};
		s->udp = tl_udp_new(s->base, &uo, why_out);
		if (!s->udp && !opts->dht_port) {
			/* The TCP port's UDP twin is taken: any port will do. */
			uo.port = 0;
			s->udp = tl_udp_new(s->base, &uo, why_out);
		}
		if (!s->udp) {
			*why_out = "cannot open the DHT's UDP socket (--dht-port in use?)";
			goto fail;
		}
		struct tl_sdht_opts d = {
			.bind = opts->bind,
			.bootstrap = opts->bootstrap,
			.nbootstrap = opts->nbootstrap,
			.is_no_bootstrap = opts->is_no_bootstrap,
			.is_same_subnet = opts->is_dht_same_subnet,
			.state_path = dht_state,
			.announce_ms = opts->dht_announce_ms,
		};
		s->dht = tl_sdht_new(s->base, s->udp, &d, why_out);
		if (!s->dht)
			goto fail;
	}
	tl_fdlimit_init(&s->fds); /* once the listeners and the DHT are open */
	s->tick_ev = event_new(s->base, -1, EV_PERSIST, tick_cb, s);
	s->reap_ev = event_new(s->base, -1, 0, reap_cb, s);
	struct timeval one = { 1, 0 };
	event_add(s->tick_ev, &one);
	return s;
fail:
	tl_session_free(s);
	return NULL;
}

struct tl_session *tl_session_new(const struct tl_session_opts *opts, const char **why_out)
{
	char *state = opts->is_stateless ? NULL : opts->state_dir ? tl_strdup(opts->state_dir)
	                                                          : tl_statedir_default();
	int lock_fd = state ? tl_statedir_take(state, why_out) : -1;
	if (state && lock_fd < 0) {
		free(state);
		return NULL;
	}
	char *dht_path = tl_statedir_path(state, "dht.state");
	uint16_t last_port = opts->is_port_fixed ? 0 : tl_statedir_load_port(state);
	struct tl_session_opts o = *opts;
	o.port = opts->port ? opts->port : last_port;
	struct tl_session *s = session_open(&o, dht_path, why_out);
	if (!s && last_port) {
		tl_info("the last run's port %u is not free: taking another", last_port);
		o.port = 0;
		s = session_open(&o, dht_path, why_out);
	}
	free(dht_path);
	if (!s) {
		free(state);
		if (lock_fd >= 0)
			close(lock_fd);
		return NULL;
	}
	s->state_dir = state;
	s->lock_fd = lock_fd;
	if (!opts->is_port_fixed)
		tl_statedir_save_port(state, tl_session_port(s));
	s->bind = opts->bind ? tl_strdup(opts->bind) : NULL;
	s->tracker_ca = opts->tracker_ca ? tl_strdup(opts->tracker_ca) : NULL;
	s->fn = opts->event_fn;
	s->fn_arg = opts->event_arg;
	s->is_persistent = opts->is_persistent;
	s->queue = (struct tl_queue_limits){ .max_downloads = opts->max_downloads,
		.max_seeds = opts->max_seeds };
	return s;
}

void tl_session_free(struct tl_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		tl_listener_free(s->listeners[i]);
	while (s->incoming)
		tl_peer_close(s->incoming, "shutting down");
	if (s->is_catalog_dirty)
		catalog_save(s);
	for (size_t i = 0; i < s->nentries; i++)
		tl_entry_halt(s->entries[i]);
	/* Disk jobs hold torrent and peer references: drain them first. */
	if (s->disk)
		tl_disk_flush(s->disk);
	for (size_t i = 0; i < s->nentries; i++)
		tl_entry_free(s->entries[i]);
	tl_sdht_free(s->dht);
	s->dht = NULL;
	tl_udp_free(s->udp);
	s->udp = NULL;
	tl_strk_free(s->strk);
	if (s->disk)
		tl_disk_flush(s->disk);
	tl_disk_free(s->disk);
	tl_peer_closeq_clear(&s->closeq);
	if (s->tick_ev)
		event_free(s->tick_ev);
	if (s->reap_ev)
		event_free(s->reap_ev);
	/* A freed connection leaves its rate group only when the loop runs
	 * its finalizer: the incoming peers closed above never saw the loop
	 * again. Nothing else is left on the base to run. */
	if (s->rate_group) {
		event_base_loop(s->base, EVLOOP_NONBLOCK);
		tl_rate_group_free(s->rate_group);
	}
	event_base_free(s->base);
	free(s->entries);
	free(s->is_removing);
	free(s->is_with_data);
	free(s->is_wanted);
	free(s->by_hash);
	free(s->bind);
	free(s->tracker_ca);
	free(s->state_dir);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* last: everything in the directory is written */
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

/* ---- torrents ---- */

/* Removed entries that went idle leave the session (from a fresh event:
 * the entry's own callback is where the IDLE came from). */
static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_session *s = arg;
	size_t n = 0;
	for (size_t i = 0; i < s->nentries; i++) {
		struct tl_entry *e = s->entries[i];
		if (s->is_removing[i] && tl_entry_is_idle(e)) {
			if (s->is_with_data[i])
				tl_entry_delete_data(e);
			tl_statedir_forget(s->state_dir, tl_entry_infohash(e));
			tl_entry_free(e);
			continue;
		}
		s->entries[n] = e;
		s->is_removing[n] = s->is_removing[i];
		s->is_with_data[n] = s->is_with_data[i];
		s->is_wanted[n] = s->is_wanted[i];
		n++;
	}
	if (n != s->nentries) {
		s->nentries = n;
		hash_rebuild(s);
		s->is_catalog_dirty = true;
	}
}

/* ---- the list of torrents kept in the state directory ---- */

static void catalog_save(struct tl_session *s)
{
	s->is_catalog_dirty = false;
	if (!s->is_persistent || !s->state_dir)
		return;
	struct tl_catalog_item *items = tl_calloc(s->nentries + 1, sizeof(*items));
	const char ***lists = tl_calloc(s->nentries + 1, sizeof(*lists));
	size_t n = 0;
	for (size_t i = 0; i < s->nentries; i++) {
		if (s->is_removing[i])
			continue;
		struct tl_entry *e = s->entries[i];
		struct tl_entry_stat st;
		tl_entry_stat(e, &st);
		items[n].ih = *tl_entry_infohash(e);
		items[n].name = (char *)st.name;
		lists[n] = tl_entry_saved_settings(e, &items[n].set);
		items[n].set.is_paused = !s->is_wanted[i];
		n++;
	}
	if (!tl_catalog_save(s->state_dir, items, n))
		s->is_catalog_dirty = true; /* logged; tried again at the next tick */
	for (size_t i = 0; i < n; i++)
		free(lists[i]);
	free(lists);
	free(items);
}

size_t tl_session_restore(struct tl_session *s)
{
	struct tl_catalog c;
	tl_catalog_load(s->state_dir, &c);
	size_t added = 0;
	for (size_t i = 0; i < c.n; i++) {
		struct tl_catalog_item *it = &c.items[i];
		struct tl_metainfo *mi = tl_statedir_load_metadata(s->state_dir, &it->ih);
		struct tl_magnet mg = { .infohash = it->ih, .name = it->name };
		const char *why = NULL;
		if (tl_session_add(s, mi, mi ? NULL : &mg, &it->set, NULL, &why))
			added++;
		else
			tl_warn("torrent %s: %s", it->name ? it->name : "(no name)", why);
	}
	if (c.n)
		tl_info("%zu torrents restored", added);
	tl_catalog_clear(&c);
	return added;
}

/* Start what the queue lets start; mark the rest of the wanted ones queued. */
static void queue_run(struct tl_session *s)
{
	size_t n = s->nentries;
	s->is_queue_dirty = false;
	if (n == 0)
		return;
	struct tl_queue_item *items = tl_calloc(n, sizeof(*items));
	bool *start = tl_calloc(n, sizeof(*start));
	for (size_t i = 0; i < n; i++) {
		struct tl_entry *e = s->entries[i];
		items[i] = (struct tl_queue_item){
			.is_wanted = s->is_wanted[i] && !s->is_removing[i],
			.is_running = tl_entry_is_running(e),
			.is_seed = tl_entry_is_complete(e),
		};
	}
	tl_queue_pick(items, n, &s->queue, start);
	for (size_t i = 0; i < n; i++) {
		struct tl_entry *e = s->entries[i];
		tl_entry_set_queued(e, items[i].is_wanted && !items[i].is_running && !start[i]);
		const char *why;
		if (start[i] && !tl_entry_start(e, &why))
			s->is_wanted[i] = false; /* failed: its error shows in its status */
	}
	free(start);
	free(items);
}

void tl_session_start(struct tl_session *s, struct tl_entry *e)
{
	size_t i = find_index(s, tl_entry_infohash(e));
	if (i == SIZE_MAX || s->is_removing[i])
		return;
	s->is_wanted[i] = true;
	s->is_catalog_dirty = true;
	queue_run(s);
}

void tl_session_stop(struct tl_session *s, struct tl_entry *e)
{
	size_t i = find_index(s, tl_entry_infohash(e));
	if (i == SIZE_MAX)
		return;
	s->is_wanted[i] = false;
	s->is_catalog_dirty = true;
	tl_entry_set_queued(e, false);
	tl_entry_stop(e);
}

static void entry_cb(struct tl_entry *e, enum tl_entry_event ev, void *arg)
{
	struct tl_session *s = arg;
	size_t i = find_index(s, tl_entry_infohash(e));
	bool is_removing = i != SIZE_MAX && s->is_removing[i];
	if (ev == TL_EEV_IDLE && i != SIZE_MAX) {
		s->is_wanted[i] = false; /* stopped (by its goals, an error or a request) */
		s->is_catalog_dirty = true;
	}
	if (ev == TL_EEV_METADATA)
		s->is_catalog_dirty = true; /* its name is known now */
	if (ev == TL_EEV_IDLE || ev == TL_EEV_COMPLETE)
		s->is_queue_dirty = true; /* a place may be free: the next tick looks */
	if (s->fn && !is_removing)
		s->fn(e, ev, s->fn_arg);
	if (ev == TL_EEV_IDLE && is_removing)
		event_active(s->reap_ev, EV_TIMEOUT, 0);
}

/* The tracker client, made for the first torrent that has trackers. */
static bool has_trackers(const struct tl_metainfo *mi, const struct tl_magnet *mg,
    const struct tl_entry_settings *set)
{
	if (set->is_no_trackers)
		return false;
	return set->ntrackers > 0 || (mi && mi->ntiers > 0) || (mg && mg->ntrackers > 0);
}

static bool strk_ready(struct tl_session *s, const char **why_out)
{
	static _Thread_local char msg[300];
	if (s->strk)
		return true;
	char err[256] = "";
	s->strk = tl_strk_new(s->base, s->bind, s->tracker_ca, err, sizeof(err));
	if (s->strk)
		return true;
	snprintf(msg, sizeof(msg), "trackers: %s", err);
	*why_out = msg;
	return false;
}

struct tl_entry *tl_session_add(struct tl_session *s, struct tl_metainfo *mi_take, const struct tl_magnet *mg,
    const struct tl_entry_settings *set, void *user, const char **why_out)
{
	const struct tl_infohash *ih = mi_take ? &mi_take->infohash : &mg->infohash;
	const char *why = NULL;
	if (tl_session_find(s, ih))
		why = "the torrent is there already";
	else if (s->nentries >= TL_MAX_TORRENTS)
		why = "too many torrents";
	else if (has_trackers(mi_take, mg, set))
		strk_ready(s, &why);
	if (why) {
		*why_out = why;
		tl_metainfo_free(mi_take);
		return NULL;
	}
	struct tl_entry_env env = {
		.ann = {
			.dht = s->dht,
			.strk = s->strk,
			.peer_id = s->peer_id,
			.port = tl_session_port(s),
			.bind = s->bind,
		},
		.state_dir = s->state_dir,
		.fn = entry_cb,
		.arg = s,
	};
	tl_session_context(s, &env.ctx);
	struct tl_entry *e = tl_entry_new(&env, mi_take, mg, set, why_out);
	if (!e)
		return NULL;
	tl_entry_set_user(e, user);
	entries_grow(s);
	s->entries[s->nentries] = e;
	s->is_removing[s->nentries] = false;
	s->is_with_data[s->nentries] = false;
	s->is_wanted[s->nentries] = !set->is_paused;
	hash_insert(s, s->nentries);
	s->nentries++;
	s->is_catalog_dirty = true;
	if (s->is_persistent && mi_take && !tl_statedir_has_metadata(s->state_dir, ih))
		tl_statedir_save_metadata(s->state_dir, ih, mi_take->info_raw, mi_take->info_len);
	if (!set->is_paused)
		queue_run(s); /* a failure to start shows as the entry's error */
	return e;
}

void tl_session_remove(struct tl_session *s, struct tl_entry *e, bool with_data)
{
	size_t i = find_index(s, tl_entry_infohash(e));
	if (i == SIZE_MAX || s->is_removing[i])
		return;
	s->is_removing[i] = true;
	s->is_with_data[i] = with_data;
	if (tl_entry_is_idle(e))
		event_active(s->reap_ev, EV_TIMEOUT, 0);
	else
		tl_entry_stop(e);
}

void tl_session_set_limits(struct tl_session *s, uint64_t down_bps, uint64_t up_bps)
{
	if (s->rate_group) {
		tl_rate_group_set(s->rate_group, down_bps, up_bps);
		return;
	}
	if (!down_bps && !up_bps)
		return;
	/* The first limit: every connection joins the group (new ones join
	 * it as they are made). */
	s->rate_group = tl_rate_group_new(s->base, down_bps, up_bps);
	for (struct tl_peer *p = s->incoming; p; p = p->next)
		tl_peer_set_rate_group(p, s->rate_group);
	for (size_t i = 0; i < s->nentries; i++) {
		struct tl_torrent *t = tl_entry_torrent(s->entries[i]);
		for (struct tl_peer *p = t ? tl_torrent_peer_list(t) : NULL; p; p = p->next)
			tl_peer_set_rate_group(p, s->rate_group);
	}
}

const char *tl_session_state_dir(const struct tl_session *s)
{
	return s->state_dir;
}

/* ---- DHT ---- */

static void dht_node_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	tl_sdht_add_node(arg, sa, len);
}

struct tl_sdht *tl_session_dht(struct tl_session *s)
{
	return s->dht;
}

struct tl_udp *tl_session_udp(struct tl_session *s)
{
	return s->udp;
}

void tl_session_context(struct tl_session *s, struct tl_torrent_ctx *out)
{
	*out = (struct tl_torrent_ctx){
		.base = s->base,
		.disk = s->disk,
		.closeq = &s->closeq,
		.rate_group = &s->rate_group,
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
