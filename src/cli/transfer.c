/*
 * transfer.c: the transfer runner `trackless get` and `trackless seed`
 * share: the session, each torrent (or magnet link, whose metadata comes
 * first), its trackers, a status line or JSON status lines, and SIGINT
 * handling (the first stops cleanly with the resume files saved, a second
 * stops at once).
 *
 * Peers come from --peer, the DHT, PEX, trackers and incoming connections.
 * For a magnet link the connections that brought the metadata are handed
 * to the torrent (tl_fetch_handover) before any address is dialed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli.h"
#include "base/bounds.h"
#include "cli/fetch.h"
#include "cli/transfer.h"
#include "cli/transfer_int.h"
#include "base/err.h"
#include "base/fdlimit.h"
#include "base/json.h"
#include "base/log.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "engine/session.h"
#include "engine/session_dht.h"
#include "engine/session_tracker.h"
#include "base/sockaddr.h"
#include "engine/statedir.h"
#include "engine/torrent.h"


/* ---- trackers: announces next to the DHT, status of each tracker ---- */

/* Our own listening address as the tracker may hand it back to us. */
static bool is_self(struct run *r, const struct sockaddr_storage *a)
{
	uint16_t port = tl_session_port(r->s);
	struct sockaddr_storage me;
	socklen_t len;
	char spec[80];
	if (r->o->bind) {
		snprintf(spec, sizeof(spec), strchr(r->o->bind, ':') ? "[%s]:%u" : "%s:%u", r->o->bind, port);
		if (tl_session_parse_addr(spec, &me, &len) == TL_OK && tl_sockaddr_same((const struct sockaddr *)a, (const struct sockaddr *)&me))
			return true;
	}
	if (!tl_tracker_external_ip(r->trk, &me))
		return false;
	if (me.ss_family == AF_INET)
		((struct sockaddr_in *)&me)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&me)->sin6_port = htons(port);
	return tl_sockaddr_same((const struct sockaddr *)a, (const struct sockaddr *)&me);
}

static void trk_peers_cb(void *arg, const struct sockaddr_storage *peers, size_t n)
{
	struct run *r = arg;
	for (size_t i = 0; i < n; i++) {
		socklen_t len = peers[i].ss_family == AF_INET ? sizeof(struct sockaddr_in)
							       : sizeof(struct sockaddr_in6);
		if (is_self(r, &peers[i]))
			continue;
		if (r->t)
			tl_torrent_add_peer_from(r->t, (const struct sockaddr *)&peers[i], len, TL_PSRC_TRACKER);
		else if (r->fetch)
			tl_fetch_add_peer(r->fetch, (const struct sockaddr *)&peers[i], len);
	}
}

/* The trackers of the transfer: the torrent's (or the magnet link's) and
 * -t; false when the HTTPS client cannot be set up. */
static bool trk_new(struct run *r, const struct tl_metainfo *mi, const struct tl_magnet *mg)
{
	const struct tl_transfer_opts *o = r->o;
	struct tl_strk_urls urls = { 0 };
	if (o->is_no_trackers)
		return true;
	if (mi)
		tl_strk_urls_add_tiers(&urls, mi->tiers, mi->ntiers);
	for (size_t i = 0; mg && i < mg->ntrackers; i++)
		tl_strk_urls_add(&urls, mg->trackers[i]);
	for (size_t i = 0; i < o->ntrackers; i++)
		tl_strk_urls_add(&urls, o->trackers[i]);
	bool ok = true;
	char err[256] = "";
	if (urls.n)
		r->strk = tl_strk_new(tl_session_base(r->s), o->bind, o->tracker_ca, err, sizeof(err));
	if (urls.n && !r->strk) {
		fprintf(stderr, "trackless: trackers: %s\n", err);
		ok = false;
	}
	if (r->strk) {
		struct tl_torrent_ctx ctx;
		tl_session_context(r->s, &ctx);
		struct tl_tracker_cfg cfg = {
			.info_hash = mi ? mi->infohash : mg->infohash,
			.peer_id = ctx.peer_id,
			.port = tl_session_port(r->s),
			.numwant = 50,
			.is_private = mi && mi->is_private,
		};
		r->trk = tl_strk_tracker_new(r->strk, &cfg, &urls, trk_peers_cb, r);
	}
	if (r->trk && !mi) {
		/* the size is unknown before the metadata: not a seed */
		tl_tracker_set_progress(r->trk, 0, 0, 1);
		tl_tracker_event(r->trk, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
		r->is_trk_started = true;
	}
	tl_strk_urls_clear(&urls);
	return ok;
}

static void trk_progress(struct run *r)
{
	if (!r->trk || !r->t)
		return;
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	tl_strk_progress(r->trk, st.uploaded, st.downloaded, st.wanted_bytes, st.have_bytes);
}

static void trk_event(struct run *r, enum tl_torrent_event ev)
{
	if (!r->trk)
		return;
	trk_progress(r);
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	if (ev == TL_TEV_CHECKED) {
		r->was_full_at_check = st.have_bytes >= st.wanted_bytes;
		if (!r->is_trk_started)
			tl_tracker_event(r->trk, TL_TRACKER_EV_STARTED, tl_tracker_now_ms());
		r->is_trk_started = true;
	} else if (ev == TL_TEV_COMPLETE && !r->was_full_at_check) {
		tl_tracker_event(r->trk, TL_TRACKER_EV_COMPLETED, tl_tracker_now_ms());
	}
}

/* r is over; the loop ends with the last run. */
static void finished(struct run *r)
{
	if (r->is_finished)
		return;
	r->is_finished = true;
	if (++r->p->nfinished == r->p->nruns)
		tl_session_break(r->s);
}

static void trk_stopped_cb(void *arg)
{
	finished(arg);
}

/* The end of the run: tell the trackers (bounded wait), then finish. */
static void finish(struct run *r)
{
	if (r->trk && r->is_trk_started)
		tl_strk_stop(r->strk, r->trk, TL_STRK_STOP_GRACE_MS, trk_stopped_cb, r);
	else
		finished(r);
}

static void stop(struct run *r)
{
	if (r->is_stopping || r->is_finished)
		return;
	r->is_stopping = true;
	if (r->t) {
		tl_torrent_stop(r->t);
		return;
	}
	tl_fetch_free(r->fetch);
	r->fetch = NULL;
	finish(r);
}

static void self_check_tick(struct run *r);

static void run_tick(struct run *r)
{
	if (r->is_finished)
		return;
	if (!r->t) {
		if (r->fetch)
			tl_transfer_fetch_status(r);
		return;
	}
	self_check_tick(r);
	trk_progress(r);
	if (r->o->is_json)
		tl_transfer_print_status(r, "status");
	else if (!r->o->is_quiet && isatty(STDERR_FILENO) && r->p->nruns == 1)
		tl_transfer_status_line(r);
	if (!r->complete_ms || r->is_stopping)
		return;
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	uint64_t now = tl_now_ms();
	if (r->o->seed_ratio > 0 && st.wanted_bytes > 0 &&
	    (double)st.uploaded / (double)st.wanted_bytes >= r->o->seed_ratio)
		stop(r);
	if (r->o->seed_time > 0 && now - r->complete_ms >= r->o->seed_time * 1000)
		stop(r);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct proc *p = arg;
	for (size_t i = 0; i < p->nruns; i++)
		run_tick(&p->runs[i]);
	if (p->nruns > 1 && !p->o->is_json && !p->o->is_quiet && isatty(STDERR_FILENO))
		tl_transfer_summary_line(p);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct proc *p = arg;
	if (++p->sigints > 1) {
		tl_warn("second signal %d: stopping at once", (int)sig);
		tl_session_break(p->s);
		return;
	}
	tl_info("signal %d: stopping (again to stop at once)", (int)sig);
	for (size_t i = 0; i < p->nruns; i++)
		stop(&p->runs[i]);
}

static void event_cb(struct tl_torrent *t, enum tl_torrent_event ev, void *arg)
{
	struct run *r = arg;
	r->t = t; /* events can come before tl_session_add returns */
	if (r->p->printed_line) {
		fputc('\n', stderr);
		r->p->printed_line = false;
	}
	switch (ev) {
	case TL_TEV_CHECKED:
		trk_event(r, ev);
		if (r->o->is_json)
			tl_transfer_print_status(r, "checked");
		break;
	case TL_TEV_COMPLETE:
		r->is_done = true;
		r->complete_ms = tl_now_ms();
		trk_event(r, ev);
		if (r->o->is_json)
			tl_transfer_print_status(r, "complete");
		else if (!r->o->is_quiet)
			fprintf(stderr, "trackless: %s: complete\n", tl_torrent_metainfo(r->t)->name);
		if (r->o->is_no_seed)
			stop(r);
		break;
	case TL_TEV_DAMAGED:
		if (r->o->is_json)
			tl_transfer_print_status(r, "damaged");
		break;
	case TL_TEV_ERROR:
		/* the torrent logged the reason; scripts get it in "error" */
		if (r->o->is_json)
			tl_transfer_print_status(r, "error");
		r->had_error = true;
		stop(r);
		break;
	case TL_TEV_STOPPED:
		if (r->o->is_json)
			tl_transfer_print_status(r, "stopped");
		finish(r);
		break;
	}
}

/* ---- trackerless: the magnet phase and the DHT self-check ---- */

static void self_check_peer(void *arg, const struct sockaddr *sa, socklen_t len)
{
	(void)sa, (void)len;
	struct run *r = arg;
	r->is_findable = true; /* any peer at all: at least the DHT stores the torrent */
}

/* trackless seed: some seconds after start, look our own infohash up and
 * say whether the DHT hands out a peer for it. */
static void self_check_tick(struct run *r)
{
	struct tl_sdht *d = tl_session_dht(r->s);
	if (!r->o->is_seed_cmd || !d || r->self_check_ms == UINT64_MAX ||
	    tl_torrent_metainfo(r->t)->is_private) /* BEP 27: not even a lookup */
		return;
	uint64_t now = tl_now_ms();
	if (!r->self_check && now - r->p->start_ms >= 5000 && tl_sdht_good_nodes(d) > 0) {
		r->self_check = tl_sdht_watch(d, tl_torrent_infohash(r->t), 0, false, self_check_peer, r);
		r->self_check_ms = now;
	}
	if (!r->self_check || (!r->is_findable && now - r->self_check_ms < 15000))
		return;
	if (r->p->printed_line) {
		fputc('\n', stderr);
		r->p->printed_line = false;
	}
	if (r->o->is_json) {
		char hex[41];
		tl_transfer_run_hex(r, hex);
		printf("{\"event\":\"self_check\",\"findable\":%s,\"infohash\":\"%s\"}\n",
		    r->is_findable ? "true" : "false", hex);
		fflush(stdout);
	} else if (!r->o->is_quiet)
		fprintf(stderr, "trackless: DHT self-check: %s\n",
		    r->is_findable ? "findable (a lookup of our infohash returns peers)"
		                   : "NOT findable yet (no peer returned for our infohash)");
	tl_sdht_unwatch(r->self_check);
	r->self_check = NULL;
	r->self_check_ms = UINT64_MAX;
}

/* Add the torrent of mi (taken); false when it could not start. A fetch
 * that got the metadata (else NULL) hands its live connections over
 * before any address is dialed. */
static bool start_torrent(struct run *r, struct tl_metainfo *mi_take, struct tl_fetch *from)
{
	const struct tl_transfer_opts *o = r->o;
	const char *why = NULL;
	struct tl_torrent_opts to = {
		.dir = r->dir,
		.state_dir = r->p->state,
		.is_read_only = o->is_read_only,
		.is_no_check = r->is_no_check,
		.is_sequential = o->is_sequential,
		.is_buffered_io = o->is_buffered_io,
		.only = o->only ? o->only : r->mg ? r->mg->select_only : NULL,
		.skip = o->skip,
		.max_peers = o->max_peers,
	};
	char *link = tl_magnet_from_metainfo(mi_take);
	if (o->is_seed_cmd && !o->is_quiet && !o->is_json) {
		printf("%s\n", link);
		fflush(stdout);
	}
	r->t = tl_session_add(r->s, mi_take, &to, event_cb, r, &why);
	if (!r->t) {
		fprintf(stderr, "trackless: %s\n", why);
		free(link);
		return false;
	}
	tl_transfer_print_started(r, link);
	free(link);
	if (from)
		tl_fetch_handover(from, r->t);
	for (size_t i = 0; i < o->npeers; i++) {
		struct sockaddr_storage a;
		socklen_t len;
		if (tl_session_parse_addr(o->peers[i], &a, &len) == TL_OK) /* checked in items_usable */
			tl_torrent_add_peer_from(r->t, (struct sockaddr *)&a, len, TL_PSRC_GIVEN);
	}
	return true;
}

static void fetched(void *arg, struct tl_metainfo *mi_take, const struct sockaddr_storage *peers,
    const socklen_t *lens, size_t n)
{
	struct run *r = arg;
	if (r->p->printed_line) {
		fputc('\n', stderr);
		r->p->printed_line = false;
	}
	struct tl_fetch *f = r->fetch;
	r->fetch = NULL;
	if (!mi_take) {
		tl_fetch_free(f);
		r->had_error = true;
		finish(r);
		return;
	}
	double secs = (double)(tl_now_ms() - r->p->start_ms) / 1000;
	if (r->o->is_json) {
		char hex[41];
		tl_transfer_run_hex(r, hex);
		printf("{\"event\":\"metadata\",\"infohash\":\"%s\",\"stuck\":null,\"received\":true,"
		    "\"seconds\":%.3f}\n", hex, secs);
		fflush(stdout);
	} else if (!r->o->is_quiet) {
		fprintf(stderr, "trackless: metadata received after %.1f s: %s\n", secs, mi_take->name);
	}
	bool is_started = start_torrent(r, mi_take, f);
	tl_fetch_free(f); /* closes what was not handed over */
	if (!is_started) {
		r->had_error = true;
		finish(r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		tl_torrent_add_peer(r->t, (const struct sockaddr *)&peers[i], lens[i]);
}

/* Start input it of p: its trackers, then its torrent or its metadata
 * fetch; false when it could not start (said on stderr). */
static bool run_start(struct proc *p, struct run *r, const struct tl_transfer_item *it)
{
	const struct tl_transfer_opts *o = p->o;
	*r = (struct run){ .p = p, .o = o, .s = p->s, .dir = it->dir, .is_no_check = it->is_no_check,
		.mg = it->mg };
	struct tl_metainfo *mi = it->mi;
	if (!mi)
		mi = tl_fetch_load_saved(p->state, it->mg);
	if (!trk_new(r, mi, it->mg)) {
		tl_metainfo_free(mi);
		return false;
	}
	if (mi)
		return start_torrent(r, mi, NULL);
	if (o->is_no_dht && it->mg->npeers == 0 && o->npeers == 0 && !r->trk)
		fprintf(stderr, "trackless: --no-dht, no tracker and no peer in the magnet link or --peer: "
		                "waiting for incoming connections\n");
	r->fetch = tl_fetch_new(p->s, it->mg, p->state, o->peers, o->npeers, fetched, r);
	return true;
}

/* Inputs that cannot run together: a bad --peer, an infohash twice. */
static bool items_usable(const struct tl_transfer_opts *o, const struct tl_transfer_item *items, size_t n)
{
	for (size_t i = 0; i < o->npeers; i++) {
		struct sockaddr_storage a;
		socklen_t len;
		if (tl_session_parse_addr(o->peers[i], &a, &len) != TL_OK) {
			fprintf(stderr, "trackless: --peer %s: expected IP:PORT or [IPv6]:PORT\n", o->peers[i]);
			return false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = items[i].mi ? items[i].mi->infohash.b : items[i].mg->infohash.b;
		for (size_t j = 0; j < i; j++) {
			const uint8_t *b = items[j].mi ? items[j].mi->infohash.b : items[j].mg->infohash.b;
			if (memcmp(a, b, 20) == 0) {
				char hex[41];
				tl_hex(a, 20, hex);
				fprintf(stderr, "trackless: the torrent %s is given twice\n", hex);
				return false;
			}
		}
	}
	return true;
}

static void items_free(struct tl_transfer_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tl_metainfo_free(items[i].mi);
		items[i].mi = NULL;
	}
}

int tl_transfer_run(const struct tl_transfer_opts *o, struct tl_transfer_item *items, size_t n)
{
	if (!items_usable(o, items, n)) {
		items_free(items, n);
		return TL_EXIT_USAGE;
	}
	struct proc p = { .o = o, .nruns = n };
	const char *why = NULL;
	tl_fdlimit_raise(); /* a descriptor per peer, file and state write */
	p.state = o->state_dir ? tl_strdup(o->state_dir) : tl_statedir_default();
	int lock_fd = -1;
	if (p.state) {
		tl_statedir_make(p.state);
		pid_t holder;
		lock_fd = tl_statedir_lock(p.state, &holder, &why);
		if (lock_fd < 0) {
			if (holder)
				fprintf(stderr, "trackless: the state directory %s is %s (PID %ld): several "
				    "torrents can run in that one process (trackless get A B ..., trackless "
				    "seed A B ...), or give this one its own --state-dir\n", p.state, why,
				    (long)holder);
			else
				fprintf(stderr, "trackless: the state directory %s: %s\n", p.state, why);
			items_free(items, n);
			free(p.state);
			return TL_EXIT_FAIL;
		}
	}
	char *dht_path = tl_statedir_path(p.state, "dht.state");
	uint16_t last_port = o->is_port_given ? 0 : tl_statedir_load_port(p.state);
	struct tl_session_opts so = {
		.bind = o->bind,
		.port = o->port ? o->port : last_port,
		.max_peers = o->max_peers,
		.up_limit = o->up_limit,
		.down_limit = o->down_limit,
		.want_dht = !o->is_no_dht,
		.dht_port = o->dht_port,
		.bootstrap = o->bootstrap,
		.nbootstrap = o->nbootstrap,
		.is_no_bootstrap = o->is_no_bootstrap,
		.is_dht_same_subnet = o->is_dht_same_subnet,
		.dht_state_path = dht_path,
		.dht_announce_ms = o->dht_announce_ms,
	};
	int rc = TL_EXIT_FAIL;
	p.s = tl_session_new(&so, &why);
	if (!p.s && last_port) {
		tl_info("the last run's port %u is not free: taking another", last_port);
		so.port = 0;
		p.s = tl_session_new(&so, &why);
	}
	free(dht_path);
	if (!p.s) {
		fprintf(stderr, "trackless: %s\n", why);
		items_free(items, n);
		free(p.state);
		if (lock_fd >= 0)
			close(lock_fd);
		return TL_EXIT_FAIL;
	}
	if (!o->is_port_given)
		tl_statedir_save_port(p.state, tl_session_port(p.s));
	if (!o->is_quiet && !o->is_json)
		fprintf(stderr, "trackless: listening on port %u\n", tl_session_port(p.s));
	p.start_ms = tl_now_ms();
	signal(SIGPIPE, SIG_IGN); /* evhttp (trackers) and peers write to sockets that may close */
	p.runs = tl_calloc(n, sizeof(*p.runs));
	for (size_t i = 0; i < n; i++) {
		struct tl_transfer_item it = items[i];
		items[i].mi = NULL; /* taken by run_start */
		if (!run_start(&p, &p.runs[i], &it)) {
			p.runs[i].had_error = true;
			finished(&p.runs[i]);
		}
	}
	struct event_base *base = tl_session_base(p.s);
	p.status_ev = event_new(base, -1, EV_PERSIST, status_cb, &p);
	struct timeval one = { 1, 0 };
	event_add(p.status_ev, &one);
	p.sigint_ev = evsignal_new(base, SIGINT, signal_cb, &p);
	p.sigterm_ev = evsignal_new(base, SIGTERM, signal_cb, &p);
	event_add(p.sigint_ev, NULL);
	event_add(p.sigterm_ev, NULL);
	if (p.nfinished < p.nruns)
		tl_session_run(p.s);
	if (p.printed_line)
		fputc('\n', stderr);
	/* seed: every input ran without an error; get: every one completed */
	rc = TL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct run *r = &p.runs[i];
		struct tl_torrent_stats st = { 0 };
		if (r->t)
			tl_torrent_stats(r->t, &st);
		if (r->had_error || !r->t || (!o->is_seed_cmd && !st.is_complete))
			rc = TL_EXIT_FAIL;
	}
	if (p.status_ev)
		event_free(p.status_ev);
	if (p.sigint_ev)
		event_free(p.sigint_ev);
	if (p.sigterm_ev)
		event_free(p.sigterm_ev);
	if (p.sigints > 1)
		_exit(rc); /* stop at once: leave the rest to the kernel */
	for (size_t i = 0; i < n; i++) {
		struct run *r = &p.runs[i];
		tl_sdht_unwatch(r->self_check);
		tl_fetch_free(r->fetch);
		tl_tracker_free(r->trk);
		tl_strk_free(r->strk);
	}
	tl_session_free(p.s);
	free(p.runs);
	free(p.state);
	if (lock_fd >= 0)
		close(lock_fd); /* last: everything in the directory is written */
	return rc;
}
