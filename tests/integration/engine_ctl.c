/*
 * engine_ctl.c: drives the engine's runtime controls against a real
 * seeder process, the way a daemon would: add a torrent, pause it part
 * way, resume it, remove it with its data while it downloads, add it
 * again and let it complete, then remove it keeping the data.
 *
 *   engine_ctl FILE.torrent SEEDER_HOST:PORT BIND DOWNLOAD_DIR STATE_DIR
 *
 * Prints one line per step ("ok: ..." or "FAIL: ...") and exits 0 only
 * when every step held. Bounded: it gives up after 60 s.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>

#include "base/digest.h"
#include "codec/metainfo.h"
#include "engine/entry.h"
#include "engine/session.h"
#include "io/peer.h"

enum step {
	ST_FIRST, ST_PAUSING, ST_PAUSED, ST_RESUMED, ST_SLOW, ST_REMOVING, ST_SECOND, ST_STOPPING,
	ST_STOPPED, ST_KEEPING, ST_DONE
};

/* The lowered limit, and how long the rate is measured under it. */
#define SLOW_BPS (512u * 1024)
#define SLOW_MS 2500u

struct ctl {
	struct tl_session *s;
	const char *torrent, *seeder, *dir, *state;
	enum step step;
	struct tl_entry *e;
	uint64_t have_at_pause, have_at_step, step_ms, start_ms;
	int fails;
	struct event *tick_ev;
};

static void check(struct ctl *c, bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	fflush(stdout);
	if (!ok)
		c->fails++;
}

static struct tl_metainfo *load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct tl_metainfo *mi = NULL;
	const char *why;
	return tl_metainfo_parse(buf, n, &mi, &why) == 0 ? mi : NULL;
}

static bool exists(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static struct tl_entry *add(struct ctl *c)
{
	struct tl_metainfo *mi = load(c->torrent);
	if (!mi)
		return NULL;
	const char *peers[] = { c->seeder };
	struct tl_entry_settings set = { .dir = c->dir, .peers = peers, .npeers = 1, .is_no_trackers = true };
	const char *why = NULL;
	struct tl_entry *e = tl_session_add(c->s, mi, NULL, &set, c, &why);
	if (!e)
		printf("add: %s\n", why);
	return e;
}

static void event_cb(struct tl_entry *e, enum tl_entry_event ev, void *arg)
{
	struct ctl *c = arg;
	if (ev == TL_EEV_IDLE && c->step == ST_PAUSING && e == c->e) {
		struct tl_entry_stat st;
		tl_entry_stat(e, &st);
		check(c, st.is_paused && st.state == TL_TSTATE_STOPPED && !tl_entry_torrent(e),
		    "paused: stopped, no torrent running");
		check(c, st.has_torrent && st.t.have_bytes > 0, "paused: progress kept in its status");
		c->have_at_pause = st.t.have_bytes;
		c->step = ST_PAUSED;
		c->step_ms = tl_now_ms();
	}
	if (ev == TL_EEV_COMPLETE && c->step == ST_SECOND) {
		check(c, true, "added again: complete");
		check(c, tl_now_ms() - c->step_ms < 8000, "limit lifted: the second download took under 8 s");
		tl_session_stop(c->s, e);
		c->step = ST_STOPPING;
	}
	if (ev == TL_EEV_IDLE && c->step == ST_STOPPING)
		c->step = ST_STOPPED;
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct ctl *c = arg;
	uint64_t now = tl_now_ms();
	if (now - c->start_ms > 60000) {
		check(c, false, "finished within 60 s");
		tl_session_break(c->s);
		return;
	}
	struct tl_entry_stat st;
	switch (c->step) {
	case ST_FIRST:
		tl_entry_stat(c->e, &st);
		if (st.t.have_bytes > 0 && st.t.have_bytes < st.t.wanted_bytes) {
			tl_session_stop(c->s, c->e);
			c->step = ST_PAUSING;
		} else if (st.t.is_complete) {
			check(c, false, "paused part way (the download was too fast)");
			tl_session_break(c->s);
		}
		break;
	case ST_PAUSED:
		if (now - c->step_ms < 1500)
			break;
		tl_entry_stat(c->e, &st);
		check(c, st.t.have_bytes == c->have_at_pause, "paused: nothing more downloaded");
		tl_session_start(c->s, c->e);
		check(c, tl_entry_is_running(c->e), "resumed");
		c->step = ST_RESUMED;
		break;
	case ST_RESUMED:
		tl_entry_stat(c->e, &st);
		if (st.state == TL_TSTATE_DOWNLOADING && st.t.have_bytes > c->have_at_pause &&
		    st.t.have_bytes < st.t.wanted_bytes) {
			check(c, true, "resumed: downloading past the paused point");
			tl_session_set_limits(c->s, SLOW_BPS, 0);
			c->have_at_step = st.t.have_bytes;
			c->step = ST_SLOW;
			c->step_ms = now;
		} else if (st.t.is_complete) {
			check(c, false, "removed part way (the download was too fast)");
			tl_session_break(c->s);
		}
		break;
	case ST_SLOW:
		if (now - c->step_ms < SLOW_MS)
			break;
		tl_entry_stat(c->e, &st);
		{
			double rate = (double)(st.t.have_bytes - c->have_at_step) * 1000 / (double)(now - c->step_ms);
			printf("rate under a %u KiB/s limit: %.0f KiB/s\n", SLOW_BPS / 1024, rate / 1024);
			/* a piece in flight may land at once: one piece of slack */
			check(c, rate <= 2.0 * SLOW_BPS + 262144.0 * 1000 / SLOW_MS, "lowered limit: the rate follows");
		}
		check(c, !st.t.is_complete, "lowered limit: still downloading");
		tl_session_remove(c->s, c->e, true);
		c->step = ST_REMOVING;
		c->step_ms = now;
		break;
	case ST_REMOVING: {
		if (tl_session_count(c->s) > 0)
			break;
		struct tl_metainfo *mi = load(c->torrent);
		char hex[41], name[80];
		tl_hex(mi->infohash.b, 20, hex);
		check(c, !exists(c->dir, mi->name), "removed with data: its file is gone");
		snprintf(name, sizeof(name), "resume/%s.resume", hex);
		check(c, !exists(c->state, name), "removed: its resume file is gone");
		check(c, tl_session_find(c->s, &mi->infohash) == NULL, "removed: not found by infohash");
		tl_metainfo_free(mi);
		tl_session_set_limits(c->s, 0, 0);
		c->step_ms = now;
		c->e = add(c);
		check(c, c->e != NULL, "added again");
		c->step = c->e ? ST_SECOND : ST_DONE;
		if (!c->e)
			tl_session_break(c->s);
		break;
	}
	case ST_STOPPED:
		tl_session_break(c->s); /* the next session takes it from here */
		break;
	case ST_KEEPING: {
		if (tl_session_count(c->s) > 0)
			break;
		struct tl_metainfo *mi = load(c->torrent);
		check(c, exists(c->dir, mi->name), "removed keeping data: its file stays");
		tl_metainfo_free(mi);
		c->step = ST_DONE;
		tl_session_break(c->s);
		break;
	}
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: engine_ctl FILE.torrent SEEDER_HOST:PORT BIND DIR STATE_DIR\n");
		return 2;
	}
	struct ctl c = { .torrent = argv[1], .seeder = argv[2], .dir = argv[4], .state = argv[5] };
	struct tl_session_opts so = {
		.bind = argv[3],
		.is_port_fixed = true,
		.state_dir = c.state,
		.event_fn = event_cb,
		.event_arg = &c,
	};
	const char *why = NULL;
	c.s = tl_session_new(&so, &why);
	if (!c.s) {
		fprintf(stderr, "engine_ctl: %s\n", why);
		return 1;
	}
	c.start_ms = tl_now_ms();
	c.e = add(&c);
	check(&c, c.e != NULL, "added");
	/* the first limit comes while running: slow enough to act part way */
	tl_session_set_limits(c.s, 2u * 1024 * 1024, 0);
	c.tick_ev = event_new(tl_session_base(c.s), -1, EV_PERSIST, tick_cb, &c);
	struct timeval tv = { 0, 100 * 1000 };
	event_add(c.tick_ev, &tv);
	if (c.e)
		tl_session_run(c.s);
	check(&c, c.step == ST_STOPPED, "downloaded twice, stopped");
	event_free(c.tick_ev);
	tl_session_free(c.s);

	/* A new session: the torrent added stopped shows what its resume file
	 * records; removed keeping its data, the file stays. */
	c.s = tl_session_new(&so, &why);
	if (!c.s) {
		fprintf(stderr, "engine_ctl: %s\n", why);
		return 1;
	}
	struct tl_metainfo *mi = load(c.torrent);
	struct tl_entry_settings set = { .dir = c.dir, .is_paused = true, .is_no_trackers = true };
	c.e = mi ? tl_session_add(c.s, mi, NULL, &set, &c, &why) : NULL;
	struct tl_entry_stat st;
	if (c.e)
		tl_entry_stat(c.e, &st);
	check(&c, c.e && st.state == TL_TSTATE_STOPPED && st.has_torrent && st.t.is_complete &&
	        st.t.have_bytes == st.t.wanted_bytes && st.t.wanted_bytes > 0,
	    "added stopped: its progress read from its resume file (complete)");
	if (c.e) {
		tl_session_remove(c.s, c.e, false);
		c.step = ST_KEEPING;
		c.tick_ev = event_new(tl_session_base(c.s), -1, EV_PERSIST, tick_cb, &c);
		event_add(c.tick_ev, &tv);
		tl_session_run(c.s);
		event_free(c.tick_ev);
	}
	check(&c, c.step == ST_DONE, "every step ran");
	tl_session_free(c.s);
	return c.fails ? 1 : 0;
}
