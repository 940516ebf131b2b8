/*
 * transfer_status.c: the status of the transfer runner's inputs: JSON
 * lines on stdout (--json), or a status line on stderr rewritten in place
 * (one per input, or a summary of several).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/transfer_int.h"
#include "cli/fetch.h"
#include "base/digest.h"
#include "base/json.h"
#include "codec/magnet.h"
#include "io/peer.h"
#include "engine/session.h"
#include "engine/session_dht.h"
#include "engine/session_tracker.h"
#include "engine/torrent.h"

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

/*
 * "dht": {"lookups": N, "ipv4": {"stored": K, "age": S} | null, "ipv6": ...}:
 * per family, how many of the closest nodes stored our last announce whose
 * answers are all in, and how many seconds ago (null: none yet).
 */
static void print_json_dht(struct run *r, struct tl_json *j)
{
	struct tl_sdht_watch_stat ws;
	if (!tl_session_dht_stats(r->s, r->t, &ws))
		return;
	static const char *const fams[2] = { "ipv4", "ipv6" };
	uint64_t now = tl_now_ms();
	tl_json_key(j, "dht");
	tl_json_begin_object(j);
	tl_json_key(j, "lookups");
	tl_json_int(j, ws.lookups);
	for (int i = 0; i < 2; i++) {
		tl_json_key(j, fams[i]);
		if (!ws.fam[i].has_announce) {
			tl_json_null(j);
			continue;
		}
		tl_json_begin_object(j);
		tl_json_key(j, "stored");
		tl_json_int(j, ws.fam[i].stored);
		tl_json_key(j, "age");
		tl_json_int(j, (int64_t)((now - ws.fam[i].announce_ms) / 1000));
		tl_json_end_object(j);
	}
	tl_json_end_object(j);
}

void tl_transfer_run_hex(const struct run *r, char *hex)
{
	tl_hex(r->t ? tl_torrent_infohash(r->t)->b : r->mg->infohash.b, 20, hex);
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

void tl_transfer_print_status(struct run *r, const char *event)
{
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	struct tl_json j;
	tl_json_init(&j);
	tl_json_begin_object(&j);
	char hex[41];
	tl_transfer_run_hex(r, hex);
	tl_json_key(&j, "event");
	tl_json_string(&j, event);
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "state");
	tl_json_string(&j, tl_torrent_state_name(st.state));
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
	tl_json_key(&j, "error");
	tl_json_string(&j, st.error);
	if (r->is_no_check) {
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
	print_json_dht(r, &j);
	tl_json_end_object(&j);
	print_json(&j);
}

void tl_transfer_status_line(struct run *r)
{
	struct tl_torrent_stats st;
	tl_torrent_stats(r->t, &st);
	char down[32], up[32], line[256];
	human(st.down_rate, down, sizeof(down));
	human(st.up_rate, up, sizeof(up));
	if (st.error) {
		snprintf(line, sizeof(line), "stopped: %s", st.error);
	} else if (st.is_checking) {
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
	r->p->printed_line = true;
}

void tl_transfer_summary_line(struct proc *p)
{
	unsigned fetching = 0, checking = 0, downloading = 0, seeding = 0, failed = 0, npeers = 0;
	double down = 0, up = 0;
	for (size_t i = 0; i < p->nruns; i++) {
		struct run *r = &p->runs[i];
		if (!r->t) {
			r->is_finished ? failed++ : fetching++;
			continue;
		}
		struct tl_torrent_stats st;
		tl_torrent_stats(r->t, &st);
		if (st.error)
			failed++;
		else if (st.is_checking)
			checking++;
		else if (st.is_complete)
			seeding++;
		else
			downloading++;
		down += st.down_rate;
		up += st.up_rate;
		npeers += st.npeers;
	}
	char d[32], u[32], line[256];
	human(down, d, sizeof(d));
	human(up, u, sizeof(u));
	snprintf(line, sizeof(line), "%zu torrents: %u metadata, %u checking, %u downloading, "
	    "%u complete%s  down %s/s  up %s/s  peers %u", p->nruns, fetching, checking,
	    downloading, seeding, failed ? ", some failed" : "", d, u, npeers);
	fprintf(stderr, "\r%-78s", line);
	p->printed_line = true;
}

void tl_transfer_fetch_status(struct run *r)
{
	char line[160];
	tl_fetch_status(r->fetch, line, sizeof(line));
	if (r->o->is_json) {
		struct tl_json j;
		const char *why = tl_fetch_stuck(r->fetch);
		tl_json_init(&j);
		tl_json_begin_object(&j);
		char hex[41];
		tl_transfer_run_hex(r, hex);
		tl_json_key(&j, "event");
		tl_json_string(&j, "metadata");
		tl_json_key(&j, "infohash");
		tl_json_string(&j, hex);
		tl_json_key(&j, "state");
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
	} else if (!r->o->is_quiet && isatty(STDERR_FILENO) && r->p->nruns == 1) {
		fprintf(stderr, "\r%-78s", line);
		r->p->printed_line = true;
	}
}

void tl_transfer_print_started(struct run *r, const char *magnet)
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
