/*
 * cmd_get.c: `trackless get` (download, then seed on) and the transfer
 * runner `trackless seed` shares with it: options, the session, a status
 * line or JSON status lines, and SIGINT handling (the first stops cleanly
 * with the resume file saved, a second stops at once).
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
#include "bounds.h"
#include "cli/fetch.h"
#include "cli/transfer.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "magnet.h"
#include "mem.h"
#include "metainfo.h"
#include "peer.h"
#include "session.h"
#include "session_dht.h"
#include "session_tracker.h"
#include "sockaddr.h"
#include "torrent.h"

#define MAX_PEER_ARGS 256

struct run {
	const struct tl_transfer_opts *o;
	struct tl_session *s;
	struct tl_torrent *t;
	struct event *status_ev, *sigint_ev, *sigterm_ev;
	unsigned sigints;
	bool is_done, is_stopping, had_error, printed_line;
	uint64_t start_ms, complete_ms;
	/* trackerless: magnet fetch, DHT self-check */
	struct tl_fetch *fetch;   /* while the metadata is being fetched */
	char *state;              /* state directory, or NULL */
	const struct tl_magnet *mg;
	struct tl_sdht_watch *self_check;
	uint64_t self_check_ms;
	bool is_findable;
	int rc_usage;             /* a bad --peer value */
	/* trackers (session_tracker.h) */
	struct tl_strk *strk;
	struct tl_tracker *trk;
	bool is_trk_started;      /* STARTED queued */
	bool was_full_at_check;   /* nothing to download: never send COMPLETED */
};

static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -1;
	double mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024.0 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024.0 * 1024 * 1024, end++;
	if (*end != '\0' || v * mul > 1e15)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

static void human(double v, char *out, size_t n)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, n, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

/* ---- trackers: announces next to the DHT, status of each tracker ---- */

static void print_json_sources(struct run *r, struct tl_json *j, const struct tl_torrent_stats *st)
{
	static const char *const names[] = { "given", "dht", "pex", "tracker" };
	tl_json_key(j, "sources");
	tl_json_begin_object(j);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tl_json_key(j, names[i]);
		tl_json_int(j, st->peers_from[i]);
	}
	tl_json_end_object(j);
	tl_json_key(j, "trackers");
	tl_strk_json(j, r->trk, tl_tracker_now_ms());
}

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

static void trk_stopped_cb(void *arg)
{
	struct run *r = arg;
	tl_session_break(r->s);
}

/* The end of the run: tell the trackers (bounded wait), then leave the loop. */
static void finish(struct run *r)
{
	if (r->trk && r->is_trk_started)
		tl_strk_stop(r->strk, r->trk, TL_STRK_STOP_GRACE_MS, trk_stopped_cb, r);
	else
		tl_session_break(r->s);
}

/* One JSON line on stdout, flushed so scripts see it at once. */
static void print_json(struct tl_json *j)
{
	char *s = tl_json_take(j);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	tl_json_clear(j);
}

static void print_json_status(struct run *r, const char *event)
{
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	struct tl_json j;
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "event");
	tl_json_string(&j, event);
	tl_json_key(&j, "have_bytes");
	tl_json_int(&j, (int64_t)st.have_bytes);
	tl_json_key(&j, "wanted_bytes");
	tl_json_int(&j, (int64_t)st.wanted_bytes);
	tl_json_key(&j, "pieces_have");
	tl_json_int(&j, st.pieces_have);
	tl_json_key(&j, "pieces_wanted");
	tl_json_int(&j, st.pieces_wanted);
	tl_json_key(&j, "downloaded");
	tl_json_int(&j, (int64_t)st.downloaded);
	tl_json_key(&j, "uploaded");
	tl_json_int(&j, (int64_t)st.uploaded);
	tl_json_key(&j, "down_rate");
	tl_json_int(&j, (int64_t)st.down_rate);
	tl_json_key(&j, "up_rate");
	tl_json_int(&j, (int64_t)st.up_rate);
	tl_json_key(&j, "peers");
	tl_json_int(&j, st.npeers);
	tl_json_key(&j, "hash_fails");
	tl_json_int(&j, (int64_t)st.hash_fails);
	tl_json_key(&j, "checking");
	tl_json_bool(&j, st.is_checking);
	tl_json_key(&j, "complete");
	tl_json_bool(&j, st.is_complete);
	if (r->o->is_no_check) {
		tl_json_key(&j, "unverified_pieces");
		tl_json_int(&j, st.unverified_pieces);
		tl_json_key(&j, "damaged_pieces");
		tl_json_int(&j, st.damaged_pieces);
		if (st.damaged_pieces > 0) {
			tl_json_key(&j, "damaged_piece");
			tl_json_int(&j, st.last_damaged);
			tl_json_key(&j, "damaged_file");
			tl_json_string(&j, st.last_damaged_file ? st.last_damaged_file : "");
		}
	}
	print_json_sources(r, &j, &st);
	tl_json_end_object(&j);
	print_json(&j);
}

static void print_status_line(struct run *r)
{
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	char down[32], up[32], line[256];
	human(st.down_rate, down, sizeof(down));
	human(st.up_rate, up, sizeof(up));
	if (st.is_checking) {
		snprintf(line, sizeof(line), "checking %u/%u pieces", st.check_done, st.check_total);
	} else {
		double frac = st.wanted_bytes ? (double)st.have_bytes / (double)st.wanted_bytes : 1;
		char bar[21];
		int fill = (int)(frac * 20);
		for (int i = 0; i < 20; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[20] = '\0';
		char eta[32] = "-";
		if (!st.is_complete && st.down_rate > 1) {
			uint64_t s = (uint64_t)((double)(st.wanted_bytes - st.have_bytes) / st.down_rate);
			snprintf(eta, sizeof(eta), "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			    (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
		}
		char trk[96];
		tl_strk_summary(r->trk, trk, sizeof(trk));
		char nochk[48] = "";
		if (st.damaged_pieces > 0)
			snprintf(nochk, sizeof(nochk), "  DAMAGED %u", st.damaged_pieces);
		else if (st.unverified_pieces > 0)
			snprintf(nochk, sizeof(nochk), "  unverified %u", st.unverified_pieces);
		snprintf(line, sizeof(line), "[%s] %5.1f%%  down %s/s  up %s/s  peers %u  ETA %s%s%s%s%s",
		    bar, frac * 100, down, up, st.npeers, eta, st.is_complete ? "  seeding" : "", nochk,
		    trk[0] ? "  " : "", trk);
	}
	fprintf(stderr, "\r%-78s", line);
	r->printed_line = true;
}

static void stop(struct run *r)
{
	if (r->is_stopping)
		return;
	r->is_stopping = true;
	if (r->t)
		tl_torrent_stop(r->t);
	else
		finish(r);
}

static void fetch_status(struct run *r);
static void self_check_tick(struct run *r);

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct run *r = arg;
	if (!r->t) {
		fetch_status(r);
		return;
	}
	self_check_tick(r);
	trk_progress(r);
	if (r->o->is_json)
		print_json_status(r, "status");
	else if (!r->o->is_quiet && isatty(STDERR_FILENO))
		print_status_line(r);
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

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct run *r = arg;
	if (++r->sigints > 1) {
		tl_warn("second signal %d: stopping at once", (int)sig);
		tl_session_break(r->s);
		return;
	}
	tl_info("signal %d: stopping (again to stop at once)", (int)sig);
	stop(r);
}

static void event_cb(struct tl_torrent *t, enum tl_torrent_event ev, void *arg)
{
	struct run *r = arg;
	r->t = t; /* events can come before tl_session_add returns */
	if (r->printed_line) {
		fputc('\n', stderr);
		r->printed_line = false;
	}
	switch (ev) {
	case TL_TEV_CHECKED:
		trk_event(r, ev);
		if (r->o->is_json)
			print_json_status(r, "checked");
		break;
	case TL_TEV_COMPLETE:
		r->is_done = true;
		r->complete_ms = tl_now_ms();
		trk_event(r, ev);
		if (r->o->is_json)
			print_json_status(r, "complete");
		else if (!r->o->is_quiet)
			fprintf(stderr, "trackless: %s: complete\n", tl_torrent_metainfo(r->t)->name);
		if (r->o->is_no_seed)
			stop(r);
		break;
	case TL_TEV_DAMAGED:
		if (r->o->is_json)
			print_json_status(r, "damaged");
		break;
	case TL_TEV_ERROR:
		r->had_error = true;
		stop(r);
		break;
	case TL_TEV_STOPPED:
		if (r->o->is_json)
			print_json_status(r, "stopped");
		finish(r);
		break;
	}
}

static char *default_state_dir(void)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char buf[4096];
	if (x && x[0] == '/')
		snprintf(buf, sizeof(buf), "%s/trackless", x);
	else if (home && home[0])
		snprintf(buf, sizeof(buf), "%s/.local/state/trackless", home);
	else
		return NULL;
	return tl_strdup(buf);
}

/* ---- trackerless: the magnet phase and the DHT self-check ---- */

static void fetch_status(struct run *r)
{
	char line[160];
	tl_fetch_status(r->fetch, line, sizeof(line));
	if (r->o->is_json) {
		struct tl_json j;
		const char *why = tl_fetch_stuck(r->fetch);
		tl_json_init(&j);
		tl_json_begin_object(&j);
		tl_json_key(&j, "event");
		tl_json_string(&j, "metadata");
		tl_json_key(&j, "stuck");
		if (why)
			tl_json_string(&j, why);
		else
			tl_json_null(&j);
		tl_json_key(&j, "trackers");
		tl_strk_json(&j, r->trk, tl_tracker_now_ms());
		tl_json_end_object(&j);
		print_json(&j);
	} else if (!r->o->is_quiet && isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r%-78s", line);
		r->printed_line = true;
	}
}

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
	if (!r->self_check && now - r->start_ms >= 5000 && tl_sdht_good_nodes(d) > 0) {
		r->self_check = tl_sdht_watch(d, tl_torrent_infohash(r->t), 0, false, self_check_peer, r);
		r->self_check_ms = now;
	}
	if (!r->self_check || (!r->is_findable && now - r->self_check_ms < 15000))
		return;
	if (r->printed_line) {
		fputc('\n', stderr);
		r->printed_line = false;
	}
	if (r->o->is_json) {
		printf("{\"event\":\"self_check\",\"findable\":%s}\n", r->is_findable ? "true" : "false");
		fflush(stdout);
	} else if (!r->o->is_quiet)
		fprintf(stderr, "trackless: DHT self-check: %s\n",
		    r->is_findable ? "findable (a lookup of our infohash returns peers)"
		                   : "NOT findable yet (no peer returned for our infohash)");
	tl_sdht_unwatch(r->self_check);
	r->self_check = NULL;
	r->self_check_ms = UINT64_MAX;
}

static void print_started(struct run *r, const char *magnet)
{
	if (!r->o->is_json)
		return;
	struct tl_json j;
	char hex[41];
	tl_hex(tl_torrent_infohash(r->t)->b, 20, hex);
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "event");
	tl_json_string(&j, "started");
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "port");
	tl_json_int(&j, tl_session_port(r->s));
	tl_json_key(&j, "magnet");
	tl_json_string(&j, magnet);
	tl_json_end_object(&j);
	print_json(&j);
}

/* Add the torrent of mi (taken); false when it could not start. A fetch
 * that got the metadata (else NULL) hands its live connections over
 * before any address is dialed. */
static bool start_torrent(struct run *r, struct tl_metainfo *mi_take, struct tl_fetch *from)
{
	const struct tl_transfer_opts *o = r->o;
	const char *why = NULL;
	struct tl_torrent_opts to = {
		.dir = o->dir,
		.state_dir = r->state,
		.is_read_only = o->is_read_only,
		.is_no_check = o->is_no_check,
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
	print_started(r, link);
	free(link);
	if (from)
		tl_fetch_handover(from, r->t);
	for (size_t i = 0; i < o->npeers; i++) {
		struct sockaddr_storage a;
		socklen_t len;
		if (tl_session_parse_addr(o->peers[i], &a, &len) != TL_OK) {
			fprintf(stderr, "trackless: --peer %s: expected IP:PORT or [IPv6]:PORT\n", o->peers[i]);
			r->rc_usage = TL_EXIT_USAGE;
			return false;
		}
		tl_torrent_add_peer_from(r->t, (struct sockaddr *)&a, len, TL_PSRC_GIVEN);
	}
	return true;
}

static void fetched(void *arg, struct tl_metainfo *mi_take, const struct sockaddr_storage *peers,
    const socklen_t *lens, size_t n)
{
	struct run *r = arg;
	if (r->printed_line) {
		fputc('\n', stderr);
		r->printed_line = false;
	}
	struct tl_fetch *f = r->fetch;
	r->fetch = NULL;
	if (!mi_take) {
		tl_fetch_free(f);
		r->had_error = true;
		tl_session_break(r->s);
		return;
	}
	double secs = (double)(tl_now_ms() - r->start_ms) / 1000;
	if (r->o->is_json) {
		printf("{\"event\":\"metadata\",\"stuck\":null,\"received\":true,\"seconds\":%.3f}\n", secs);
		fflush(stdout);
	} else if (!r->o->is_quiet) {
		fprintf(stderr, "trackless: metadata received after %.1f s: %s\n", secs, mi_take->name);
	}
	bool is_started = start_torrent(r, mi_take, f);
	tl_fetch_free(f); /* closes what was not handed over */
	if (!is_started) {
		r->had_error = true;
		tl_session_break(r->s);
		return;
	}
	for (size_t i = 0; i < n; i++)
		tl_torrent_add_peer(r->t, (const struct sockaddr *)&peers[i], lens[i]);
}

/* STATE/name, or NULL without a state directory. */
static char *state_file(const char *state, const char *name)
{
	if (!state)
		return NULL;
	size_t n = strlen(state) + strlen(name) + 2;
	char *p = tl_malloc(n);
	snprintf(p, n, "%s/%s", state, name);
	return p;
}

/*
 * Without --port the listen port is the one the last run with this state
 * directory used, so a restart keeps our address: peers, PEX and the DHT
 * nodes that stored it (and our own saved DHT identity) stay right. The
 * file holds the decimal port; anything else reads as "none".
 */
static uint16_t saved_port(const char *state)
{
	char *path = state_file(state, "port");
	uint16_t port = 0;
	FILE *f = path ? fopen(path, "r") : NULL;
	if (f) {
		char buf[16] = { 0 }, *end;
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		unsigned long v = strtoul(buf, &end, 10);
		if (n > 0 && buf[0] >= '0' && buf[0] <= '9' && (*end == '\0' || !strcmp(end, "\n")) &&
		    v >= 1 && v <= 65535)
			port = (uint16_t)v;
	}
	free(path);
	return port;
}

static void save_port(const char *state, uint16_t port)
{
	if (!state || port == 0 || saved_port(state) == port)
		return;
	char *path = state_file(state, "port"), *tmp = state_file(state, "port.tmp");
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%u\n", port) > 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		tl_warn("cannot save the listen port in %s", state);
		remove(tmp);
	}
	free(path);
	free(tmp);
}

/* mkdir -p for the state directory (its parents may not exist yet). */
static void make_dirs(const char *path)
{
	char *p = tl_strdup(path);
	for (char *q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(p, 0700);
			*q = '/';
		}
	mkdir(p, 0700);
	free(p);
}

int tl_transfer_run(const struct tl_transfer_opts *o, struct tl_metainfo *mi_take, const struct tl_magnet *mg)
{
	struct run r = { .o = o, .mg = mg };
	const char *why = NULL;
	r.state = o->state_dir ? tl_strdup(o->state_dir) : default_state_dir();
	if (r.state)
		make_dirs(r.state);
	char *dht_path = state_file(r.state, "dht.state");
	uint16_t last_port = o->is_port_given ? 0 : saved_port(r.state);
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
		.dht_state_path = dht_path,
		.dht_announce_ms = o->dht_announce_ms,
	};
	int rc = TL_EXIT_FAIL;
	r.s = tl_session_new(&so, &why);
	if (!r.s && last_port) {
		tl_info("the last run's port %u is not free: taking another", last_port);
		so.port = 0;
		r.s = tl_session_new(&so, &why);
	}
	free(dht_path);
	if (!r.s) {
		fprintf(stderr, "trackless: %s\n", why);
		tl_metainfo_free(mi_take);
		free(r.state);
		return TL_EXIT_FAIL;
	}
	if (!o->is_port_given)
		save_port(r.state, tl_session_port(r.s));
	if (!o->is_quiet && !o->is_json)
		fprintf(stderr, "trackless: listening on port %u\n", tl_session_port(r.s));
	r.start_ms = tl_now_ms();
	if (mg && !mi_take)
		mi_take = tl_fetch_load_saved(r.state, mg);
	signal(SIGPIPE, SIG_IGN); /* evhttp (trackers) and peers write to sockets that may close */
	if (!trk_new(&r, mi_take, mg)) {
		tl_metainfo_free(mi_take);
		goto out;
	}
	if (mi_take) {
		if (!start_torrent(&r, mi_take, NULL)) {
			rc = r.rc_usage ? r.rc_usage : TL_EXIT_FAIL;
			goto out;
		}
	} else {
		if (o->is_no_dht && mg->npeers == 0 && o->npeers == 0 && !r.trk)
			fprintf(stderr, "trackless: --no-dht, no tracker and no peer in the magnet link or --peer: "
			                "waiting for incoming connections\n");
		r.fetch = tl_fetch_new(r.s, mg, r.state, o->peers, o->npeers, fetched, &r);
	}
	struct event_base *base = tl_session_base(r.s);
	r.status_ev = event_new(base, -1, EV_PERSIST, status_cb, &r);
	struct timeval one = { 1, 0 };
	event_add(r.status_ev, &one);
	r.sigint_ev = evsignal_new(base, SIGINT, signal_cb, &r);
	r.sigterm_ev = evsignal_new(base, SIGTERM, signal_cb, &r);
	event_add(r.sigint_ev, NULL);
	event_add(r.sigterm_ev, NULL);
	signal(SIGPIPE, SIG_IGN);
	tl_session_run(r.s);
	if (r.printed_line)
		fputc('\n', stderr);
	if (r.rc_usage) {
		rc = r.rc_usage;
	} else if (!r.t) {
		rc = TL_EXIT_FAIL;
	} else {
		struct tl_torrent_stats st;
		tl_torrent_stats(r.t, &st);
		if (o->is_seed_cmd)
			rc = r.had_error ? TL_EXIT_FAIL : TL_EXIT_OK;
		else
			rc = st.is_complete && !r.had_error ? TL_EXIT_OK : TL_EXIT_FAIL;
	}
out:
	if (r.status_ev)
		event_free(r.status_ev);
	if (r.sigint_ev)
		event_free(r.sigint_ev);
	if (r.sigterm_ev)
		event_free(r.sigterm_ev);
	if (r.sigints > 1)
		_exit(rc); /* stop at once: leave the rest to the kernel */
	tl_sdht_unwatch(r.self_check);
	tl_fetch_free(r.fetch);
	tl_tracker_free(r.trk);
	tl_strk_free(r.strk);
	tl_session_free(r.s);
	free(r.state);
	return rc;
}

/* Shared options; returns 1 when handled, 0 when not ours, -1 on a bad value. */
int tl_transfer_option(int c, const char *arg, struct tl_transfer_opts *o)
{
	char *end;
	unsigned long v;
	switch (c) {
	case TL_OPT_PORT:
		v = strtoul(arg, &end, 10);
		if (*end || v > 65535)
			return -1;
		o->port = (uint16_t)v;
		o->is_port_given = true;
		return 1;
	case TL_OPT_BIND:
		o->bind = arg;
		return 1;
	case TL_OPT_STATE_DIR:
		o->state_dir = arg;
		return 1;
	case TL_OPT_MAX_PEERS:
		v = strtoul(arg, &end, 10);
		if (*end || v == 0 || v > 10000)
			return -1;
		o->max_peers = (unsigned)v;
		return 1;
	case TL_OPT_UP_LIMIT:
		return parse_rate(arg, &o->up_limit) == 0 ? 1 : -1;
	case TL_OPT_DOWN_LIMIT:
		return parse_rate(arg, &o->down_limit) == 0 ? 1 : -1;
	case TL_OPT_BOOTSTRAP:
		if (o->nbootstrap == MAX_PEER_ARGS)
			return -1;
		o->bootstrap[o->nbootstrap++] = arg;
		return 1;
	case TL_OPT_NO_DHT:
		o->is_no_dht = true;
		return 1;
	case TL_OPT_NO_DIRECT_IO:
		o->is_buffered_io = true;
		return 1;
	case TL_OPT_DHT_PORT:
		v = strtoul(arg, &end, 10);
		if (*end || v > 65535)
			return -1;
		o->dht_port = (uint16_t)v;
		return 1;
	case TL_OPT_DHT_ANNOUNCE_INTERVAL:
		v = strtoul(arg, &end, 10);
		if (*end || *arg == '\0' || v < TL_SDHT_ANNOUNCE_MIN_MS / 1000 || v > 24 * 3600)
			return -1;
		o->dht_announce_ms = (uint32_t)v * 1000;
		return 1;
	case 't':
		if (o->ntrackers == MAX_PEER_ARGS)
			return -1;
		o->trackers[o->ntrackers++] = arg;
		return 1;
	case TL_OPT_NO_TRACKERS:
		o->is_no_trackers = true;
		return 1;
	case TL_OPT_TRACKER_CA:
		o->tracker_ca = arg;
		return 1;
	case TL_OPT_PEER:
		if (o->npeers == MAX_PEER_ARGS)
			return -1;
		o->peers[o->npeers++] = arg;
		return 1;
	case 'q':
		o->is_quiet = true;
		tl_log_set_level(TL_LOG_ERROR);
		return 1;
	case TL_OPT_JSON:
		o->is_json = true;
		return 1;
	case 'v':
		tl_log_set_level(TL_LOG_INFO);
		return 1;
	case TL_OPT_LOG_LEVEL: {
		int l = tl_log_parse_level(arg);
		if (l < 0)
			return -1;
		tl_log_set_level((enum tl_log_level)l);
		return 1;
	}
	default:
		return 0;
	}
}

void tl_transfer_opts_init(struct tl_transfer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->peers = tl_calloc(MAX_PEER_ARGS, sizeof(*o->peers));
	o->bootstrap = tl_calloc(MAX_PEER_ARGS, sizeof(*o->bootstrap));
	o->trackers = tl_calloc(MAX_PEER_ARGS, sizeof(*o->trackers));
}

void tl_transfer_opts_clear(struct tl_transfer_opts *o)
{
	free(o->peers);
	free(o->bootstrap);
	free(o->trackers);
}

struct tl_metainfo *tl_transfer_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "trackless: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	uint8_t *buf = tl_malloc(TL_MAX_TORRENT_FILE + 1);
	size_t n = fread(buf, 1, TL_MAX_TORRENT_FILE + 1, f);
	bool is_err = ferror(f) != 0;
	fclose(f);
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	if (is_err)
		fprintf(stderr, "trackless: %s: read error\n", path);
	else if (n > TL_MAX_TORRENT_FILE)
		fprintf(stderr, "trackless: %s: larger than any torrent we accept\n", path);
	else if (tl_metainfo_parse(buf, n, &mi, &why) != 0)
		fprintf(stderr, "trackless: %s: %s\n", path, why);
	free(buf);
	return mi;
}

static void get_usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless get FILE.torrent|MAGNET [-o DIR] [--peer HOST:PORT]... [options]\n\n"
	    "Download a torrent, verify every piece, then seed on. A magnet link's\n"
	    "metadata is fetched from peers found over the DHT (and x.pe) first.\n\n"
	    "  -o, --output DIR       download into DIR (default .)\n"
	    "      --seed-ratio R     stop seeding once uploaded/size reaches R\n"
	    "      --seed-time SEC    stop seeding after SEC seconds\n"
	    "      --no-seed          exit as soon as the download is complete\n"
	    "      --only LIST        only these files (indexes, A-B ranges, globs; comma-separated)\n"
	    "      --skip LIST        all files but these\n"
	    "      --sequential       download pieces in order\n"
	    TL_TRANSFER_COMMON_HELP
	    "\nExit status: 0 only when the data is complete and verified.\n");
}

int tl_cmd_get(int argc, char **argv)
{
	enum { O_SEED_RATIO = 1000, O_SEED_TIME, O_NO_SEED, O_ONLY, O_SKIP, O_SEQ };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed-ratio", required_argument, NULL, O_SEED_RATIO },
		{ "seed-time", required_argument, NULL, O_SEED_TIME },
		{ "no-seed", no_argument, NULL, O_NO_SEED },
		{ "only", required_argument, NULL, O_ONLY },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "sequential", no_argument, NULL, O_SEQ },
		{ "help", no_argument, NULL, 'h' },
		TL_TRANSFER_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tl_transfer_opts o;
	tl_transfer_opts_init(&o);
	o.dir = ".";
	int c, rc = TL_EXIT_USAGE;
	char *end;
	while ((c = getopt_long(argc, argv, "o:t:hqv", longopts, NULL)) != -1) {
		int h = tl_transfer_option(c, optarg, &o);
		if (h == 1)
			continue;
		if (h < 0) {
			fprintf(stderr, "trackless get: bad value for an option: %s\n", optarg);
			goto out;
		}
		switch (c) {
		case 'o':
			o.dir = optarg;
			break;
		case O_SEED_RATIO:
			o.seed_ratio = strtod(optarg, &end);
			if (*end || !(o.seed_ratio >= 0)) {
				fprintf(stderr, "trackless get: bad --seed-ratio\n");
				goto out;
			}
			break;
		case O_SEED_TIME:
			o.seed_time = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-') {
				fprintf(stderr, "trackless get: bad --seed-time\n");
				goto out;
			}
			break;
		case O_NO_SEED:
			o.is_no_seed = true;
			break;
		case O_ONLY:
			o.only = optarg;
			break;
		case O_SKIP:
			o.skip = optarg;
			break;
		case O_SEQ:
			o.is_sequential = true;
			break;
		case 'h':
			get_usage(stdout);
			rc = TL_EXIT_OK;
			goto out;
		default:
			get_usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		get_usage(stderr);
		goto out;
	}
	const char *arg = argv[optind];
	if (strncmp(arg, "magnet:", 7) == 0) {
		struct tl_magnet *mg = NULL;
		const char *why = NULL;
		if (tl_magnet_parse(arg, strlen(arg), &mg, &why) != 0) {
			fprintf(stderr, "trackless get: %s\n", why);
			goto out;
		}
		rc = tl_transfer_run(&o, NULL, mg);
		tl_magnet_free(mg);
		goto out;
	}
	struct tl_metainfo *mi = tl_transfer_load(arg);
	if (!mi)
		goto out;
	rc = tl_transfer_run(&o, mi, NULL);
out:
	tl_transfer_opts_clear(&o);
	return rc;
}
