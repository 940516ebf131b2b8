/* entry.c: see entry.h. */
#include "engine/entry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/log.h"
#include "base/mem.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"
#include "engine/metafetch.h"
#include "engine/resume.h"
#include "engine/statedir.h"
#include "io/peer.h"

/* A stopped torrent whose disk jobs are still in flight is looked at again after this. */
#define IDLE_RETRY_MS 50

struct tl_entry {
	struct tl_entry_env env;
	struct tl_infohash ih;
	struct tl_entry_settings set;  /* its strings are the entry's copies */
	char *name;                    /* the magnet link's dn */
	char *mg_only;                 /* the magnet link's so (BEP 53) */
	char **urls;                   /* tracker URLs beyond the torrent's: magnet tr, then set */
	size_t nurls;
	char **peers;                  /* magnet x.pe, then set */
	size_t npeers;
	struct tl_metainfo *mi;        /* while no torrent runs */
	struct tl_torrent *t;
	struct tl_metafetch *mf;
	struct event *mf_tick_ev, *mf_done_ev, *idle_ev;
	uint8_t *info;                 /* fetched metadata until it becomes a torrent */
	size_t info_len;
	struct tl_announce *ann;
	bool is_running, is_stopping, is_ann_done, is_halting;
	bool is_full_at_check;
	uint64_t complete_ms;
	bool has_last;                 /* last: the stats of the torrent that ran */
	struct tl_torrent_stats last;
	char *error;
	bool has_self_check, is_findable;
	bool is_queued;                /* waiting for a place in the session's queue */
	void *user;
};

static char *dup_or_null(const char *s)
{
	return s ? tl_strdup(s) : NULL;
}

static char **dup_list(const char *const *a, size_t n, const char *const *b, size_t m, size_t *n_out)
{
	char **out = tl_calloc(n + m + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = tl_strdup(a[i]);
	for (size_t i = 0; i < m; i++)
		out[n + i] = tl_strdup(b[i]);
	*n_out = n + m;
	return out;
}

static void free_list(char **a, size_t n)
{
	for (size_t i = 0; i < n && a; i++)
		free(a[i]);
	free(a);
}

static void emit(struct tl_entry *e, enum tl_entry_event ev)
{
	if (!e->is_halting && e->env.fn)
		e->env.fn(e, ev, e->env.arg);
}

static void set_error(struct tl_entry *e, const char *why)
{
	free(e->error);
	e->error = tl_strdup(why);
}

/* ---- stopping ---- */

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_entry *e = arg;
	if (e->t && tl_torrent_has_jobs(e->t)) {
		struct timeval tv = { 0, IDLE_RETRY_MS * 1000 };
		event_add(e->idle_ev, &tv);
		return;
	}
	if (e->t) {
		tl_torrent_stats(e->t, &e->last);
		e->last.error = NULL;
		e->last.last_damaged_file = NULL;
		e->last.down_rate = e->last.up_rate = 0; /* nothing moves while stopped */
		e->last.npeers = 0;
		e->has_last = true;
		e->mi = tl_torrent_free_take_metainfo(e->t);
		e->t = NULL;
	}
	tl_announce_free(e->ann);
	e->ann = NULL;
	e->is_running = false;
	e->is_stopping = false;
	emit(e, TL_EEV_IDLE);
}

static void ann_done(void *arg)
{
	struct tl_entry *e = arg;
	e->is_ann_done = true;
	event_active(e->idle_ev, EV_TIMEOUT, 0);
}

/* The torrent stopped (or none ran): tell the trackers, then go idle. */
static void say_goodbye(struct tl_entry *e)
{
	if (e->ann)
		tl_announce_stop(e->ann, ann_done, e);
	else
		ann_done(e);
}

static void mf_close(struct tl_entry *e)
{
	if (e->mf_tick_ev)
		event_free(e->mf_tick_ev);
	if (e->mf_done_ev)
		event_free(e->mf_done_ev);
	e->mf_tick_ev = e->mf_done_ev = NULL;
	tl_mf_free(e->mf);
	e->mf = NULL;
	free(e->info);
	e->info = NULL;
}

void tl_entry_stop(struct tl_entry *e)
{
	if (!e->is_running || e->is_stopping)
		return;
	e->is_stopping = true;
	if (e->t) {
		tl_torrent_stop(e->t); /* TL_TEV_STOPPED says goodbye */
		return;
	}
	mf_close(e);
	say_goodbye(e);
}

/* ---- the torrent ---- */

static void torrent_cb(struct tl_torrent *t, enum tl_torrent_event ev, void *arg)
{
	struct tl_entry *e = arg;
	e->t = t; /* events can come before tl_torrent_new returns */
	struct tl_torrent_stats st;
	switch (ev) {
	case TL_TEV_CHECKED:
		tl_torrent_stats(t, &st);
		e->is_full_at_check = st.have_bytes >= st.wanted_bytes;
		if (e->ann) {
			tl_announce_progress(e->ann, st.uploaded, st.downloaded, st.wanted_bytes, st.have_bytes);
			tl_announce_checked(e->ann, e->is_full_at_check);
		}
		emit(e, TL_EEV_CHECKED);
		break;
	case TL_TEV_COMPLETE:
		e->complete_ms = tl_now_ms();
		if (e->ann) {
			tl_torrent_stats(t, &st);
			tl_announce_progress(e->ann, st.uploaded, st.downloaded, st.wanted_bytes, st.have_bytes);
			tl_announce_completed(e->ann);
		}
		emit(e, TL_EEV_COMPLETE);
		if (e->set.is_no_seed)
			tl_entry_stop(e);
		break;
	case TL_TEV_DAMAGED:
		emit(e, TL_EEV_DAMAGED);
		break;
	case TL_TEV_ERROR:
		tl_torrent_stats(t, &st);
		set_error(e, st.error ? st.error : "failed");
		emit(e, TL_EEV_ERROR);
		tl_entry_stop(e);
		break;
	case TL_TEV_STOPPED:
		emit(e, TL_EEV_STOPPED);
		say_goodbye(e);
		break;
	}
}

/* Make the torrent of e->mi (taken); false when it could not. It runs
 * once run_torrent is called. */
static bool make_torrent(struct tl_entry *e, const char **why_out)
{
	const struct tl_entry_settings *s = &e->set;
	struct tl_torrent_opts to = {
		.dir = s->dir,
		.state_dir = e->env.state_dir,
		.is_read_only = s->is_read_only,
		.is_no_check = s->is_no_check,
		.is_sequential = s->is_sequential,
		.is_buffered_io = s->is_buffered_io,
		.only = s->only ? s->only : e->mg_only,
		.skip = s->skip,
		.max_peers = s->max_peers,
	};
	struct tl_metainfo *mi = e->mi;
	e->mi = NULL;
	e->complete_ms = 0;
	e->has_last = false;
	e->t = tl_torrent_new(&e->env.ctx, mi, &to, torrent_cb, e, why_out);
	return e->t != NULL; /* else mi was freed */
}

static void run_torrent(struct tl_entry *e)
{
	emit(e, TL_EEV_STARTED);
	tl_torrent_start(e->t);
}

/* ---- the magnet phase ---- */

static void mf_done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_entry *e = arg;
	const char *why = NULL;
	struct tl_metainfo *mi = NULL;
	if (tl_metainfo_parse_info(e->info, e->info_len, &e->ih, &mi, &why) != 0) {
		/* It hashed right, so the torrent itself is unusable here. */
		char msg[256];
		snprintf(msg, sizeof(msg), "the metadata is not a usable torrent: %s", why);
		set_error(e, msg);
		emit(e, TL_EEV_ERROR);
		tl_entry_stop(e);
		return;
	}
	tl_statedir_save_metadata(e->env.state_dir, &e->ih, e->info, e->info_len);
	e->mi = mi;
	emit(e, TL_EEV_METADATA);
	struct tl_metafetch *mf = e->mf;
	if (!make_torrent(e, &why)) {
		set_error(e, why);
		emit(e, TL_EEV_ERROR);
		tl_entry_stop(e);
		return;
	}
	run_torrent(e);
	/* The fetch's live connections become the torrent's peers, before
	 * any address is dialed; then the addresses it knew. */
	tl_mf_handover(mf, e->t);
	struct sockaddr_storage *peers = tl_calloc(TL_MF_MAX_CANDIDATES, sizeof(*peers));
	socklen_t *lens = tl_calloc(TL_MF_MAX_CANDIDATES, sizeof(*lens));
	size_t np = tl_mf_good_peers(mf, peers, lens, TL_MF_MAX_CANDIDATES);
	mf_close(e); /* closes what was not handed over */
	for (size_t i = 0; i < np && e->t; i++)
		tl_torrent_add_peer(e->t, (const struct sockaddr *)&peers[i], lens[i]);
	free(lens);
	free(peers);
}

static void mf_done(void *arg, const uint8_t *info, size_t len)
{
	struct tl_entry *e = arg;
	e->info = tl_malloc(len);
	memcpy(e->info, info, len);
	e->info_len = len;
	event_active(e->mf_done_ev, EV_TIMEOUT, 0);
}

static void mf_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_entry *e = arg;
	tl_mf_tick(e->mf, tl_now_ms());
}

static void start_fetch(struct tl_entry *e)
{
	e->mf = tl_mf_new(&e->env.ctx, &e->ih, mf_done, e);
	e->mf_tick_ev = event_new(e->env.ctx.base, -1, EV_PERSIST, mf_tick_cb, e);
	e->mf_done_ev = event_new(e->env.ctx.base, -1, 0, mf_done_cb, e);
	struct timeval half = { 0, 500 * 1000 };
	event_add(e->mf_tick_ev, &half);
}

/* ---- life ---- */

static void peer_found(void *arg, const struct sockaddr *sa, socklen_t len, enum tl_peer_src src)
{
	struct tl_entry *e = arg;
	if (e->t)
		tl_torrent_add_peer_from(e->t, sa, len, src);
	else if (e->mf)
		tl_mf_add_peer(e->mf, sa, len);
}

/* A torrent added stopped shows the progress its resume file records
 * (what the last run verified), until it runs and knows better. */
static void load_last(struct tl_entry *e)
{
	const struct tl_metainfo *mi = e->mi;
	if (!mi || !e->env.state_dir)
		return;
	char hex[41], name[64];
	tl_hex(e->ih.b, 20, hex);
	snprintf(name, sizeof(name), "resume/%s.resume", hex);
	char *path = tl_statedir_path(e->env.state_dir, name);
	uint8_t *p = NULL;
	size_t len = 0;
	struct tl_resume r;
	const char *why;
	if (tl_resume_read(path, &p, &len) == 0 &&
	    tl_resume_decode(p, len, &e->ih, mi->npieces, mi->nfiles, &r, &why) == 0) {
		memset(&e->last, 0, sizeof(e->last));
		for (uint32_t i = 0; i < mi->npieces; i++)
			if (r.have[i >> 3] & (0x80u >> (i & 7))) {
				e->last.pieces_have++;
				e->last.have_bytes += tl_metainfo_piece_len(mi, i);
			}
		e->last.pieces_wanted = mi->npieces;
		e->last.wanted_bytes = mi->total_len;
		e->last.is_complete = e->last.pieces_have == mi->npieces;
		e->last.state = TL_TSTATE_STOPPED;
		e->has_last = true;
		tl_resume_clear(&r);
	}
	free(p);
	free(path);
}

struct tl_entry *tl_entry_new(const struct tl_entry_env *env, struct tl_metainfo *mi_take,
    const struct tl_magnet *mg, const struct tl_entry_settings *set, const char **why_out)
{
	if (!set->dir) {
		*why_out = "no download directory";
		tl_metainfo_free(mi_take);
		return NULL;
	}
	struct tl_entry *e = tl_calloc(1, sizeof(*e));
	e->env = *env;
	e->ih = mi_take ? mi_take->infohash : mg->infohash;
	e->mi = mi_take;
	e->set = *set;
	e->set.dir = tl_strdup(set->dir);
	e->set.only = dup_or_null(set->only);
	e->set.skip = dup_or_null(set->skip);
	e->set.trackers = NULL;
	e->set.ntrackers = 0;
	e->set.peers = NULL;
	e->set.npeers = 0;
	const char *const *mtr = mg ? (const char *const *)mg->trackers : NULL;
	const char *const *mpe = mg ? (const char *const *)mg->peers : NULL;
	e->urls = dup_list(mtr, mg ? mg->ntrackers : 0, set->trackers, set->ntrackers, &e->nurls);
	e->peers = dup_list(mpe, mg ? mg->npeers : 0, set->peers, set->npeers, &e->npeers);
	if (mg) {
		e->name = dup_or_null(mg->name);
		e->mg_only = dup_or_null(mg->select_only);
	}
	e->idle_ev = event_new(env->ctx.base, -1, 0, idle_cb, e);
	if (set->is_paused)
		load_last(e);
	return e;
}

void tl_entry_free(struct tl_entry *e)
{
	if (!e)
		return;
	e->is_halting = true;
	mf_close(e);
	tl_announce_free(e->ann);
	tl_torrent_free(e->t);
	tl_metainfo_free(e->mi);
	if (e->idle_ev)
		event_free(e->idle_ev);
	free((char *)e->set.dir);
	free((char *)e->set.only);
	free((char *)e->set.skip);
	free(e->name);
	free(e->mg_only);
	free_list(e->urls, e->nurls);
	free_list(e->peers, e->npeers);
	free(e->error);
	free(e);
}

/* The session is going away: stop the torrent without a word to anyone
 * (its last resume save is a disk job the session waits for). */
void tl_entry_halt(struct tl_entry *e)
{
	e->is_halting = true;
	if (e->t)
		tl_torrent_stop(e->t);
}

bool tl_entry_start(struct tl_entry *e, const char **why_out)
{
	if (e->is_running)
		return true;
	free(e->error);
	e->error = NULL;
	e->has_self_check = false;
	if (!e->mi && !e->t)
		e->mi = tl_statedir_load_metadata(e->env.state_dir, &e->ih);
	const struct tl_metainfo *mi = e->mi;
	struct tl_announce_cfg ac = {
		.ih = e->ih,
		.is_private = mi && mi->is_private,
		.is_seed = e->set.is_read_only,
		.is_self_check = e->set.is_self_check,
		.tiers = mi && !e->set.is_no_trackers ? mi->tiers : NULL,
		.ntiers = mi && !e->set.is_no_trackers ? mi->ntiers : 0,
		.urls = e->set.is_no_trackers ? NULL : (const char *const *)e->urls,
		.nurls = e->set.is_no_trackers ? 0 : e->nurls,
		.peers = (const char *const *)e->peers,
		.npeers = e->npeers,
		.nodes = mi ? mi->nodes : NULL,
		.nnodes = mi ? mi->nnodes : 0,
	};
	e->is_running = true;
	e->is_stopping = false;
	e->is_ann_done = false;
	if (mi) {
		if (!make_torrent(e, why_out)) {
			set_error(e, *why_out);
			e->is_running = false;
			return false;
		}
	} else {
		start_fetch(e);
	}
	/* The announce before the torrent runs: its "started" goes out at
	 * the check, which may end at once. The peers it hands over at once
	 * (x.pe, --peer) are kept by the torrent until it dials. */
	e->ann = tl_announce_new(&e->env.ann, &ac, peer_found, e, why_out);
	if (!e->ann) {
		set_error(e, *why_out);
		if (e->t) {
			e->mi = tl_torrent_free_take_metainfo(e->t); /* never started: no job */
			e->t = NULL;
		}
		mf_close(e);
		e->is_running = false;
		return false;
	}
	if (e->t)
		run_torrent(e);
	if (!e->t)
		tl_announce_size_unknown(e->ann);
	return true;
}

void tl_entry_tick(struct tl_entry *e, uint64_t now_ms)
{
	if (!e->is_running || e->is_stopping)
		return;
	bool is_findable;
	if (e->ann && tl_announce_tick(e->ann, now_ms, &is_findable)) {
		e->has_self_check = true;
		e->is_findable = is_findable;
		emit(e, TL_EEV_SELF_CHECK);
	}
	const struct tl_entry_settings *s = &e->set;
	bool has_trackers = e->ann && tl_announce_trackers(e->ann);
	bool has_goal = e->complete_ms && (s->seed_ratio > 0 || s->seed_time_s > 0);
	if (!e->t || (!has_trackers && !has_goal))
		return; /* nothing reads the counts: a thousand idle seeds skip them */
	struct tl_torrent_stats st;
	tl_torrent_stats(e->t, &st);
	if (has_trackers)
		tl_announce_progress(e->ann, st.uploaded, st.downloaded, st.wanted_bytes, st.have_bytes);
	if (!has_goal)
		return;
	if ((s->seed_ratio > 0 && st.wanted_bytes > 0 &&
	        (double)st.uploaded / (double)st.wanted_bytes >= s->seed_ratio) ||
	    (s->seed_time_s > 0 && now_ms - e->complete_ms >= s->seed_time_s * 1000))
		tl_entry_stop(e);
}

int tl_entry_take_incoming(struct tl_entry *e, struct tl_peer *p)
{
	if (e->t)
		return tl_torrent_take_incoming(e->t, p);
	if (e->mf)
		return tl_mf_take_incoming(e->mf, p);
	return -1;
}

/* ---- removal ---- */

size_t tl_entry_delete_data(struct tl_entry *e)
{
	const struct tl_metainfo *mi = e->mi;
	if (!mi || e->t)
		return 0;
	size_t failed = 0;
	size_t cap = strlen(e->set.dir) + strlen(mi->name) + 8;
	for (size_t i = 0; i < mi->nfiles; i++) {
		const struct tl_file *f = &mi->files[i];
		if (f->is_pad)
			continue;
		size_t n = cap + strlen(f->path);
		char *path = tl_malloc(n);
		if (mi->is_multi_file)
			snprintf(path, n, "%s/%s/%s", e->set.dir, mi->name, f->path);
		else
			snprintf(path, n, "%s/%s", e->set.dir, f->path);
		if (unlink(path) != 0 && errno != ENOENT) {
			tl_warn("cannot delete %s: %s", path, strerror(errno));
			failed++;
		}
		/* the folders it leaves empty, up to the torrent's own */
		char *slash;
		while (mi->is_multi_file && (slash = strrchr(path, '/')) &&
		    (size_t)(slash - path) > strlen(e->set.dir)) {
			*slash = '\0';
			if (rmdir(path) != 0)
				break;
		}
		free(path);
	}
	return failed;
}

/* ---- reading ---- */

bool tl_entry_is_running(const struct tl_entry *e)
{
	return e->is_running;
}

const char **tl_entry_saved_settings(const struct tl_entry *e, struct tl_entry_settings *out)
{
	*out = e->set;
	const struct tl_metainfo *mi = tl_entry_metainfo(e);
	size_t n = e->nurls;
	for (size_t i = 0; mi && i < mi->ntiers; i++)
		n += mi->tiers[i].nurls;
	const char **urls = tl_calloc(n + 1, sizeof(*urls));
	size_t k = 0;
	for (size_t i = 0; mi && i < mi->ntiers; i++)
		for (size_t j = 0; j < mi->tiers[i].nurls; j++)
			urls[k++] = mi->tiers[i].urls[j];
	for (size_t i = 0; i < e->nurls; i++)
		urls[k++] = e->urls[i];
	out->trackers = urls;
	out->ntrackers = k;
	out->peers = (const char *const *)e->peers;
	out->npeers = e->npeers;
	if (!out->only)
		out->only = e->mg_only;
	return urls;
}

void tl_entry_set_queued(struct tl_entry *e, bool is_queued)
{
	e->is_queued = is_queued;
}

bool tl_entry_is_complete(const struct tl_entry *e)
{
	if (e->set.is_read_only)
		return true;
	if (e->t) {
		struct tl_torrent_stats st;
		tl_torrent_stats(e->t, &st);
		return st.is_complete;
	}
	return e->has_last && e->last.is_complete;
}

bool tl_entry_is_idle(const struct tl_entry *e)
{
	return !e->is_running;
}

const struct tl_infohash *tl_entry_infohash(const struct tl_entry *e)
{
	return &e->ih;
}

struct tl_torrent *tl_entry_torrent(struct tl_entry *e)
{
	return e->t;
}

const struct tl_metainfo *tl_entry_metainfo(const struct tl_entry *e)
{
	return e->t ? tl_torrent_metainfo(e->t) : e->mi;
}

const struct tl_entry_settings *tl_entry_settings(const struct tl_entry *e)
{
	return &e->set;
}

void tl_entry_set_user(struct tl_entry *e, void *user)
{
	e->user = user;
}

void *tl_entry_user(const struct tl_entry *e)
{
	return e->user;
}

void tl_entry_stat(const struct tl_entry *e, struct tl_entry_stat *out)
{
	memset(out, 0, sizeof(*out));
	const struct tl_metainfo *mi = tl_entry_metainfo(e);
	out->name = mi ? mi->name : e->name;
	out->eta_s = -1;
	if (e->t) {
		tl_torrent_stats(e->t, &out->t);
		out->has_torrent = true;
	} else if (e->has_last) {
		out->t = e->last;
		out->has_torrent = true;
	}
	if (e->error)
		out->state = TL_TSTATE_ERROR;
	else if (e->t)
		out->state = out->t.state;
	else if (e->mf)
		out->state = TL_TSTATE_METADATA;
	else if (e->is_stopping)
		out->state = TL_TSTATE_STOPPING;
	else
		out->state = e->is_queued ? TL_TSTATE_QUEUED : TL_TSTATE_STOPPED;
	out->is_paused = !e->is_running;
	if (e->t && !out->t.is_complete && out->t.down_rate > 1)
		out->eta_s = (int64_t)((double)(out->t.wanted_bytes - out->t.have_bytes) / out->t.down_rate);
	if (e->mf) {
		struct tl_mf_stats ms;
		tl_mf_stats(e->mf, &ms);
		out->meta_connected = ms.connected;
		out->meta_connecting = ms.connecting;
		out->meta_known = ms.candidates;
		out->is_meta_size_known = ms.pieces_total > 0;
		struct tl_sdht *d = e->env.ann.dht;
		out->meta_stuck = tl_mf_stuck_reason(&ms, d ? (long)tl_sdht_good_nodes(d) : -1);
	}
	if (e->ann) {
		out->has_dht = tl_announce_dht_stats(e->ann, &out->dht);
		out->trackers = tl_announce_trackers(e->ann);
	}
	out->has_self_check = e->has_self_check;
	out->is_findable = e->is_findable;
	out->error = e->error;
	out->t.error = e->error ? e->error : out->t.error;
}
