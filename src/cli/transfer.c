/*
 * transfer.c: the transfer runner `trackless get` and `trackless seed`
 * share: one session for every input, each added as a torrent of the
 * engine (entry.h: trackers, DHT, the magnet phase and the seed goals
 * are the engine's), a status line or JSON status lines, and SIGINT
 * handling (the first stops cleanly with the resume files saved, a second
 * stops at once).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/err.h"
#include "base/fdlimit.h"
#include "base/log.h"
#include "io/peer.h"
#include "base/mem.h"
#include "base/sockaddr.h"
#include "cli/cli.h"
#include "cli/transfer.h"
#include "cli/transfer_int.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"
#include "engine/entry.h"
#include "engine/session.h"

/* r is over; the loop ends with the last run. */
static void finished(struct run *r)
{
	if (r->is_finished)
		return;
	r->is_finished = true;
	if (++r->p->nfinished == r->p->nruns)
		tl_session_break(r->p->s);
}

static void run_tick(struct run *r)
{
	if (r->is_finished || !r->e)
		return;
	/* a status line only for a single input on a terminal; JSON for each */
	if (!r->o->is_json && !r->p->is_line)
		return;
	struct tl_entry_stat st;
	tl_entry_stat(r->e, &st);
	if (st.state == TL_TSTATE_METADATA) {
		tl_transfer_fetch_status(r);
		return;
	}
	if (!tl_entry_torrent(r->e) && st.state != TL_TSTATE_QUEUED)
		return;
	if (r->o->is_json)
		tl_transfer_print_status(r, "status");
	else
		tl_transfer_status_line(r);
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct proc *p = arg;
	for (size_t i = 0; i < p->nruns; i++)
		run_tick(&p->runs[i]);
	if (p->is_summary)
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
		if (p->runs[i].e)
			tl_entry_stop(p->runs[i].e);
}

static void print_self_check(struct run *r, bool is_findable)
{
	if (r->o->is_json) {
		char hex[41];
		tl_transfer_run_hex(r, hex);
		printf("{\"event\":\"self_check\",\"findable\":%s,\"infohash\":\"%s\"}\n",
		    is_findable ? "true" : "false", hex);
		fflush(stdout);
	} else if (!r->o->is_quiet)
		fprintf(stderr, "trackless: DHT self-check: %s\n",
		    is_findable ? "findable (a lookup of our infohash returns peers)"
		                : "NOT findable yet (no peer returned for our infohash)");
}

static void print_metadata(struct run *r)
{
	double secs = (double)(tl_now_ms() - r->p->start_ms) / 1000;
	if (r->o->is_json) {
		char hex[41];
		tl_transfer_run_hex(r, hex);
		printf("{\"event\":\"metadata\",\"infohash\":\"%s\",\"stuck\":null,\"received\":true,"
		    "\"seconds\":%.3f}\n", hex, secs);
		fflush(stdout);
	} else if (!r->o->is_quiet) {
		fprintf(stderr, "trackless: metadata received after %.1f s: %s\n", secs,
		    tl_entry_metainfo(r->e)->name);
	}
}

static void print_started(struct run *r)
{
	char *link = tl_magnet_from_metainfo(tl_entry_metainfo(r->e));
	if (r->o->is_seed_cmd && !r->o->is_quiet && !r->o->is_json) {
		printf("%s\n", link);
		fflush(stdout);
	}
	tl_transfer_print_started(r, link);
	free(link);
}

static void event_cb(struct tl_entry *e, enum tl_entry_event ev, void *arg)
{
	(void)arg;
	struct run *r = tl_entry_user(e);
	r->e = e; /* events can come before tl_session_add returns */
	struct tl_entry_stat st;
	tl_transfer_end_line(r->p);
	switch (ev) {
	case TL_EEV_STARTED:
		print_started(r);
		break;
	case TL_EEV_METADATA:
		print_metadata(r);
		break;
	case TL_EEV_CHECKED:
		if (r->o->is_json)
			tl_transfer_print_status(r, "checked");
		break;
	case TL_EEV_COMPLETE:
		r->is_done = true;
		if (r->o->is_json)
			tl_transfer_print_status(r, "complete");
		else if (!r->o->is_quiet)
			fprintf(stderr, "trackless: %s: complete\n", tl_entry_metainfo(e)->name);
		break;
	case TL_EEV_DAMAGED:
		if (r->o->is_json)
			tl_transfer_print_status(r, "damaged");
		break;
	case TL_EEV_ERROR:
		r->had_error = true;
		tl_entry_stat(e, &st);
		if (r->o->is_json && st.has_torrent)
			tl_transfer_print_status(r, "error");
		else if (!st.has_torrent) /* a running torrent logged its reason */
			fprintf(stderr, "trackless: %s\n", st.error);
		break;
	case TL_EEV_SELF_CHECK:
		tl_entry_stat(e, &st);
		print_self_check(r, st.is_findable);
		break;
	case TL_EEV_STOPPED:
		if (r->o->is_json)
			tl_transfer_print_status(r, "stopped");
		break;
	case TL_EEV_IDLE:
		finished(r);
		break;
	}
}

/* Add input it as a torrent of the session; false when it could not
 * start (said on stderr). */
static bool run_start(struct proc *p, struct run *r, const struct tl_transfer_item *it)
{
	const struct tl_transfer_opts *o = p->o;
	*r = (struct run){ .p = p, .o = o, .is_no_check = it->is_no_check,
		.ih = it->mi ? it->mi->infohash : it->mg->infohash };
	struct tl_entry_settings set = {
		.dir = it->dir,
		.only = o->only,
		.skip = o->skip,
		.is_read_only = o->is_read_only,
		.is_no_check = it->is_no_check,
		.is_sequential = o->is_sequential,
		.is_buffered_io = o->is_buffered_io,
		.is_no_seed = o->is_no_seed,
		.is_self_check = o->is_seed_cmd,
		.seed_ratio = o->seed_ratio,
		.seed_time_s = o->seed_time,
		.max_peers = o->max_peers,
		.is_no_trackers = o->is_no_trackers,
		.trackers = o->trackers,
		.ntrackers = o->ntrackers,
		.peers = o->peers,
		.npeers = o->npeers,
	};
	if (!it->mi && o->is_no_dht && it->mg->npeers == 0 && o->npeers == 0 &&
	    (o->is_no_trackers || (it->mg->ntrackers == 0 && o->ntrackers == 0)))
		fprintf(stderr, "trackless: --no-dht, no tracker and no peer in the magnet link or --peer: "
		                "waiting for incoming connections\n");
	const char *why = NULL;
	r->e = tl_session_add(p->s, it->mi, it->mg, &set, r, &why);
	if (!r->e) {
		fprintf(stderr, "trackless: %s\n", why);
		return false;
	}
	struct tl_entry_stat st;
	tl_entry_stat(r->e, &st);
	if (!tl_entry_is_running(r->e) && st.state != TL_TSTATE_QUEUED) {
		fprintf(stderr, "trackless: %s\n", st.error ? st.error : "cannot start");
		return false;
	}
	return true;
}

/* Inputs that cannot run together: a bad --peer, an infohash twice. */
static bool items_usable(const struct tl_transfer_opts *o, const struct tl_transfer_item *items, size_t n)
{
	for (size_t i = 0; i < o->npeers; i++) {
		struct sockaddr_storage a;
		socklen_t len;
		if (tl_sockaddr_parse(o->peers[i], &a, &len) != TL_OK) {
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
	/* asked once: a thousand inputs would ask every second */
	bool is_tty = !o->is_json && !o->is_quiet && isatty(STDERR_FILENO);
	p.is_line = is_tty && n == 1;
	p.is_summary = is_tty && n > 1;
	const char *why = NULL;
	tl_fdlimit_raise(); /* a descriptor per peer, file and state write */
	struct tl_session_opts so = {
		.bind = o->bind,
		.port = o->port,
		.is_port_fixed = o->is_port_given,
		.state_dir = o->state_dir,
		.tracker_ca = o->tracker_ca,
		.event_fn = event_cb,
		.event_arg = &p,
		.max_peers = o->max_peers,
		.max_downloads = o->max_active,
		.max_seeds = o->max_active,
		.up_limit = o->up_limit,
		.down_limit = o->down_limit,
		.want_dht = !o->is_no_dht,
		.dht_port = o->dht_port,
		.bootstrap = o->bootstrap,
		.nbootstrap = o->nbootstrap,
		.is_no_bootstrap = o->is_no_bootstrap,
		.is_dht_same_subnet = o->is_dht_same_subnet,
		.dht_announce_ms = o->dht_announce_ms,
	};
	p.s = tl_session_new(&so, &why);
	if (!p.s) {
		fprintf(stderr, "trackless: %s\n", why);
		items_free(items, n);
		return TL_EXIT_FAIL;
	}
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
	tl_transfer_end_line(&p);
	/* seed: every input ran without an error; get: every one completed */
	int rc = TL_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct run *r = &p.runs[i];
		struct tl_entry_stat st = { 0 };
		if (r->e)
			tl_entry_stat(r->e, &st);
		if (r->had_error || !r->e || st.error || (!o->is_seed_cmd && !st.t.is_complete))
			rc = TL_EXIT_FAIL;
	}
	event_free(p.status_ev);
	event_free(p.sigint_ev);
	event_free(p.sigterm_ev);
	if (p.sigints > 1)
		_exit(rc); /* stop at once: leave the rest to the kernel */
	tl_session_free(p.s);
	free(p.runs);
	return rc;
}
