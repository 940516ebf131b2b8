/*
 * engine_many.c: one session holding 10,000 torrents: each added (stopped,
 * so no disk is touched), found by its infohash, half of them removed
 * while the session runs and added again. Prints the time and memory per
 * torrent; exits 0 only when every step held (bounded: 60 s).
 *
 *   engine_many N STATE_DIR DATA_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "base/digest.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"
#include "engine/entry.h"
#include "engine/session.h"
#include "io/peer.h"

static int fails;

static void check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		fails++;
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* A one-piece torrent named f<i>.bin (each infohash differs). */
static struct tl_metainfo *make(unsigned i)
{
	char doc[256];
	char name[32];
	int nl = snprintf(name, sizeof(name), "f%u.bin", i);
	int n = snprintf(doc, sizeof(doc), "d4:infod6:lengthi%ue4:name%d:%s12:piece lengthi16384e6:pieces20:",
	    1000 + i, nl, name);
	memset(doc + n, 'x', 20);
	memcpy(doc + n + 20, "ee", 2);
	struct tl_metainfo *mi = NULL;
	const char *why;
	if (tl_metainfo_parse((const uint8_t *)doc, (size_t)n + 22, &mi, &why) != 0) {
		printf("parse: %s\n", why);
		return NULL;
	}
	return mi;
}

static struct tl_entry *add(struct tl_session *s, unsigned i, const char *dir)
{
	struct tl_metainfo *mi = make(i);
	struct tl_entry_settings set = { .dir = dir, .is_paused = true, .is_read_only = true };
	const char *why = NULL;
	struct tl_entry *e = mi ? tl_session_add(s, mi, NULL, &set, NULL, &why) : NULL;
	if (!e && mi)
		printf("add %u: %s\n", i, why);
	return e;
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static struct tl_session *open_persistent(const char *state)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/kept", state);
	struct tl_session_opts so = { .bind = "127.0.0.1", .is_port_fixed = true, .state_dir = dir,
		.is_persistent = true };
	const char *why = NULL;
	struct tl_session *s = tl_session_new(&so, &why);
	if (!s)
		printf("session: %s\n", why);
	return s;
}

/* A persistent session's torrents come back in the next one. */
static void persistence(const char *state, const char *data, unsigned n)
{
	struct tl_session *s = open_persistent(state);
	if (!s) {
		check(false, "a persistent session");
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct tl_metainfo *mi = make(i);
		struct tl_entry_settings set = { .dir = data, .is_paused = true, .is_read_only = i % 2,
			.max_peers = 33, .seed_ratio = 1.5, .only = i == 7 ? "0" : NULL };
		const char *why = NULL;
		if (!tl_session_add(s, mi, NULL, &set, NULL, &why))
			printf("add: %s\n", why);
	}
	struct tl_magnet mg = { .name = "fetching.bin" };
	memset(mg.infohash.b, 0xab, 20);
	const char *tr[] = { "http://127.0.0.1:1/announce" };
	struct tl_entry_settings mset = { .dir = data, .is_paused = true, .trackers = tr, .ntrackers = 1 };
	const char *why = NULL;
	check(tl_session_add(s, NULL, &mg, &mset, NULL, &why) != NULL, "a magnet link added");
	tl_session_free(s);

	s = open_persistent(state);
	if (!s)
		return;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t got = tl_session_restore(s);
	printf("restored %zu torrents in %.3f s\n", got, secs_since(&t0));
	check(got == n + 1 && tl_session_count(s) == n + 1, "every torrent restored");
	struct tl_metainfo *mi7 = make(7);
	struct tl_entry *e7 = tl_session_find(s, &mi7->infohash);
	tl_metainfo_free(mi7);
	const struct tl_entry_settings *set7 = e7 ? tl_entry_settings(e7) : NULL;
	check(set7 && set7->max_peers == 33 && set7->seed_ratio == 1.5 && set7->is_read_only &&
	        set7->only && strcmp(set7->only, "0") == 0 && strcmp(set7->dir, data) == 0,
	    "its settings came back");
	check(e7 && tl_entry_metainfo(e7) != NULL, "its metadata came back");
	struct tl_entry *em = tl_session_find(s, &mg.infohash);
	struct tl_entry_stat st;
	if (em)
		tl_entry_stat(em, &st);
	check(em && !tl_entry_metainfo(em) && st.name && strcmp(st.name, "fetching.bin") == 0 && st.is_paused,
	    "the magnet link came back, stopped, without metadata");
	tl_session_free(s);

	/* a damaged list is set aside; the session starts empty */
	char path[4096];
	snprintf(path, sizeof(path), "%s/kept/torrents.benc", state);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("d8:torrentsl", f);
		fclose(f);
	}
	s = open_persistent(state);
	if (!s)
		return;
	check(tl_session_restore(s) == 0 && tl_session_count(s) == 0, "a damaged list: no torrent");
	snprintf(path, sizeof(path), "%s/kept/torrents.benc.bad", state);
	FILE *bad = fopen(path, "r");
	check(bad != NULL, "a damaged list: kept aside as .bad");
	if (bad)
		fclose(bad);
	tl_session_free(s);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: engine_many N STATE_DIR DATA_DIR\n");
		return 2;
	}
	unsigned n = (unsigned)strtoul(argv[1], NULL, 10);
	struct tl_session_opts so = { .bind = "127.0.0.1", .is_port_fixed = true, .state_dir = argv[2] };
	const char *why = NULL;
	struct tl_session *s = tl_session_new(&so, &why);
	if (!s) {
		fprintf(stderr, "engine_many: %s\n", why);
		return 1;
	}
	struct tl_infohash *ih = calloc(n, sizeof(*ih));
	long rss0 = rss_kib();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	unsigned added = 0;
	for (unsigned i = 0; i < n; i++) {
		struct tl_entry *e = add(s, i, argv[3]);
		if (e) {
			ih[i] = *tl_entry_infohash(e);
			added++;
		}
	}
	double t_add = secs_since(&t0);
	long rss1 = rss_kib();
	printf("added %u torrents in %.3f s; RSS +%ld KiB (%.2f KiB per torrent, metainfo included)\n", added,
	    t_add, rss1 - rss0, (double)(rss1 - rss0) / n);
	check(added == n && tl_session_count(s) == n, "every torrent added");
	check(t_add < 20, "added within 20 s");
	unsigned found = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < n; i++) {
		struct tl_entry *e = tl_session_find(s, &ih[i]);
		found += e && memcmp(tl_entry_infohash(e)->b, ih[i].b, 20) == 0;
	}
	printf("found %u by infohash in %.3f s\n", found, secs_since(&t0));
	check(found == n, "each found by its infohash");
	struct tl_entry *dup = add(s, 0, argv[3]);
	check(dup == NULL, "the same torrent twice is refused");

	/* remove every other one while the loop runs */
	for (unsigned i = 0; i < n; i += 2)
		tl_session_remove(s, tl_session_find(s, &ih[i]), false);
	for (int k = 0; k < 100 && tl_session_count(s) > n - (n + 1) / 2; k++)
		event_base_loop(tl_session_base(s), EVLOOP_NONBLOCK);
	check(tl_session_count(s) == n - (n + 1) / 2, "half removed");
	unsigned wrong = 0;
	for (unsigned i = 0; i < n; i++)
		wrong += (tl_session_find(s, &ih[i]) != NULL) != (i % 2 == 1);
	check(wrong == 0, "the removed are gone, the others found");
	for (unsigned i = 0; i < n; i += 2)
		add(s, i, argv[3]);
	found = 0;
	for (unsigned i = 0; i < n; i++)
		found += tl_session_find(s, &ih[i]) != NULL;
	check(tl_session_count(s) == n && found == n, "the removed added again");
	struct tl_entry_stat st;
	tl_entry_stat(tl_session_find(s, &ih[1]), &st);
	check(st.state == TL_TSTATE_STOPPED && st.is_paused, "a stopped torrent reads \"stopped\"");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_session_free(s);
	printf("freed in %.3f s\n", secs_since(&t0));
	free(ih);
	persistence(argv[2], argv[3], n);
	return fails ? 1 : 0;
}
