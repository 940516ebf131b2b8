/* fetch.c: see fetch.h. */
#include "cli/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/log.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "engine/metafetch.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "engine/session.h"
#include "engine/session_dht.h"
#include "engine/torrent.h"

struct tl_fetch {
	struct tl_session *s;
	struct tl_torrent_ctx ctx;
	struct tl_infohash ih;
	char *state_dir;
	struct tl_metafetch *mf;
	struct tl_sdht_watch *watch;
	struct event *tick_ev, *done_ev;
	uint8_t *info; /* verified metadata, until handed over */
	size_t info_len;
	tl_fetch_done_fn fn;
	void *arg;
};

static char *saved_path(const char *state_dir, const struct tl_infohash *ih, bool is_tmp)
{
	char hex[41];
	tl_hex(ih->b, 20, hex);
	size_t n = strlen(state_dir) + 80;
	char *p = tl_malloc(n);
	snprintf(p, n, "%s/torrents/%s.torrent%s", state_dir, hex, is_tmp ? ".tmp" : "");
	return p;
}

struct tl_metainfo *tl_fetch_load_saved(const char *state_dir, const struct tl_magnet *mg)
{
	if (!state_dir)
		return NULL;
	char *path = saved_path(state_dir, &mg->infohash, false);
	struct tl_metainfo *mi = NULL;
	FILE *f = fopen(path, "rb");
	if (f) {
		uint8_t *buf = tl_malloc(TL_MAX_TORRENT_FILE + 1);
		size_t n = fread(buf, 1, TL_MAX_TORRENT_FILE + 1, f);
		const char *why = NULL;
		if (n <= TL_MAX_TORRENT_FILE && tl_metainfo_parse(buf, n, &mi, &why) == 0 &&
		    memcmp(mi->infohash.b, mg->infohash.b, 20) != 0) {
			tl_metainfo_free(mi);
			mi = NULL;
		}
		if (mi)
			tl_info("metadata: loaded from %s", path);
		free(buf);
		fclose(f);
	}
	free(path);
	return mi;
}

/*
 * Write "d4:info<info>e" through a temp file and a rename. No fsync: the
 * file is a cache that tl_fetch_load_saved checks against the infohash,
 * so what a crash leaves behind (nothing, or a torn file) only costs a
 * fetch again, while a sync would delay the download on every magnet.
 */
static void save(const struct tl_fetch *f)
{
	if (!f->state_dir)
		return;
	size_t n = strlen(f->state_dir) + 16;
	char *dir = tl_malloc(n);
	snprintf(dir, n, "%s/torrents", f->state_dir);
	mkdir(f->state_dir, 0700);
	mkdir(dir, 0700);
	free(dir);
	char *tmp = saved_path(f->state_dir, &f->ih, true);
	char *path = saved_path(f->state_dir, &f->ih, false);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok = fd >= 0;
	if (ok) {
		FILE *out = fdopen(fd, "wb");
		ok = out && fputs("d4:info", out) >= 0 && fwrite(f->info, 1, f->info_len, out) == f->info_len &&
		    fputc('e', out) != EOF && fflush(out) == 0;
		if (out)
			ok = fclose(out) == 0 && ok;
		else
			close(fd);
		ok = ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		tl_warn("metadata: cannot save %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
}

static void done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_fetch *f = arg;
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	if (tl_metainfo_parse_info(f->info, f->info_len, &f->ih, &mi, &why) != 0) {
		/* It hashed right, so the torrent itself is unusable here. */
		fprintf(stderr, "trackless: the metadata is not a usable torrent: %s\n", why);
		f->fn(f->arg, NULL, NULL, NULL, 0);
		return;
	}
	save(f);
	struct sockaddr_storage *peers = tl_calloc(TL_MF_MAX_CANDIDATES, sizeof(*peers));
	socklen_t *lens = tl_calloc(TL_MF_MAX_CANDIDATES, sizeof(*lens));
	size_t np = tl_mf_good_peers(f->mf, peers, lens, TL_MF_MAX_CANDIDATES);
	f->fn(f->arg, mi, peers, lens, np);
	free(lens);
	free(peers);
}

static void mf_done(void *arg, const uint8_t *info, size_t len)
{
	struct tl_fetch *f = arg;
	f->info = tl_malloc(len);
	memcpy(f->info, info, len);
	f->info_len = len;
	tl_sdht_unwatch(f->watch);
	f->watch = NULL;
	event_active(f->done_ev, EV_TIMEOUT, 0);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct tl_fetch *f = arg;
	tl_mf_tick(f->mf, tl_now_ms());
}

static void dht_peer_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	struct tl_fetch *f = arg;
	tl_mf_add_peer(f->mf, sa, len);
}

static int incoming_cb(void *arg, struct tl_peer *p)
{
	struct tl_fetch *f = arg;
	return tl_mf_take_incoming(f->mf, p);
}

size_t tl_fetch_handover(struct tl_fetch *f, struct tl_torrent *t)
{
	return tl_mf_handover(f->mf, t);
}

void tl_fetch_add_peer(struct tl_fetch *f, const struct sockaddr *sa, socklen_t len)
{
	tl_mf_add_peer(f->mf, sa, len);
}

static void add_spec(struct tl_fetch *f, const char *spec)
{
	struct sockaddr_storage a;
	socklen_t len;
	if (tl_session_parse_addr(spec, &a, &len) == TL_OK)
		tl_mf_add_peer(f->mf, (struct sockaddr *)&a, len);
	else
		tl_warn("metadata: peer %s: not IP:PORT, ignored", spec);
}

struct tl_fetch *tl_fetch_new(struct tl_session *s, const struct tl_magnet *mg, const char *state_dir,
    const char *const *extra, size_t nextra, tl_fetch_done_fn fn, void *arg)
{
	struct tl_fetch *f = tl_calloc(1, sizeof(*f));
	f->s = s;
	tl_session_context(s, &f->ctx);
	f->ih = mg->infohash;
	f->state_dir = state_dir ? tl_strdup(state_dir) : NULL;
	f->fn = fn;
	f->arg = arg;
	f->mf = tl_mf_new(&f->ctx, &f->ih, mf_done, f);
	struct event_base *base = tl_session_base(s);
	f->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, f);
	f->done_ev = event_new(base, -1, 0, done_cb, f);
	struct timeval half = { 0, 500 * 1000 };
	event_add(f->tick_ev, &half);
	for (size_t i = 0; i < mg->npeers; i++)
		add_spec(f, mg->peers[i]);
	for (size_t i = 0; i < nextra; i++)
		add_spec(f, extra[i]);
	tl_session_hook_incoming(s, &f->ih, incoming_cb, f);
	struct tl_sdht *d = tl_session_dht(s);
	if (d)
		f->watch = tl_sdht_watch(d, &f->ih, tl_session_port(s), false, dht_peer_cb, f);
	return f;
}

void tl_fetch_free(struct tl_fetch *f)
{
	if (!f)
		return;
	tl_session_unhook_incoming(f->s, f);
	tl_sdht_unwatch(f->watch);
	if (f->tick_ev)
		event_free(f->tick_ev);
	if (f->done_ev)
		event_free(f->done_ev);
	tl_mf_free(f->mf);
	free(f->info);
	free(f->state_dir);
	free(f);
}

const char *tl_fetch_stuck(const struct tl_fetch *f)
{
	struct tl_mf_stats st;
	tl_mf_stats(f->mf, &st);
	struct tl_sdht *d = tl_session_dht(f->s);
	return tl_mf_stuck_reason(&st, d ? (long)tl_sdht_good_nodes(d) : -1);
}

void tl_fetch_status(const struct tl_fetch *f, char *out, size_t n)
{
	struct tl_mf_stats st;
	tl_mf_stats(f->mf, &st);
	const char *why = tl_fetch_stuck(f);
	if (why)
		snprintf(out, n, "metadata: %s (%zu peers known)", why, st.candidates);
	else
		snprintf(out, n, "metadata: %zu peers connected, %zu connecting, %zu known%s", st.connected,
		    st.connecting, st.candidates, st.pieces_total ? "" : ", size not known yet");
}
