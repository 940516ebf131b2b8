/*
 * transfer_status.c: the status of the transfer runner's inputs: JSON
 * lines on stdout (--json), or a status line on stderr rewritten in place
 * (one per input, or a summary of several).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/digest.h"
#include "io/peer.h"
#include "base/json.h"
#include "cli/transfer_int.h"
#include "codec/metainfo.h"
#include "engine/entry.h"
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

static void print_json_sources(struct tl_json *j, const struct tl_entry_stat *es)
{
	const struct tl_torrent_stats *st = &es->t;
	static const char *const names[] = { "given", "dht", "pex", "tracker" };
	tl_json_key(j, "sources");
	tl_json_begin_object(j);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		tl_json_key(j, names[i]);
		tl_json_int(j, st->peers_from[i]);
	}
	tl_json_end_object(j);
	tl_json_key(j, "trackers");
	tl_strk_json(j, es->trackers, tl_tracker_now_ms());
}

/*
 * "dht": {"lookups": N, "ipv4": {"stored": K, "age": S} | null, "ipv6": ...}:
 * per family, how many of the closest nodes stored our last announce whose
 * answers are all in, and how many seconds ago (null: none yet).
 */
static void print_json_dht(struct tl_json *j, const struct tl_entry_stat *es)
{
	if (!es->has_dht)
		return;
	const struct tl_sdht_watch_stat ws = es->dht;
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
	tl_hex(r->ih.b, 20, hex);
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
	struct tl_entry_stat es;
	tl_entry_stat(r->e, &es);
	const struct tl_torrent_stats st = es.t;
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
	tl_json_string(&j, tl_torrent_state_name(es.state));
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
	print_json_sources(&j, &es);
	print_json_dht(&j, &es);
	tl_json_end_object(&j);
	print_json(&j);
}

void tl_transfer_status_line(struct run *r)
{
	struct tl_entry_stat es;
	tl_entry_stat(r->e, &es);
	const struct tl_torrent_stats st = es.t;
	char down[32], up[32], line[256];
	human(st.down_rate, down, sizeof(down));
	human(st.up_rate, up, sizeof(up));
	if (st.error) {
		snprintf(line, sizeof(line), "stopped: %s", st.error);
	} else if (es.state == TL_TSTATE_QUEUED) {
		snprintf(line, sizeof(line), "queued: waiting for a place (--max-active)");
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
		if (es.eta_s >= 0) {
			uint64_t s = (uint64_t)es.eta_s;
			snprintf(eta, sizeof(eta), "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			    (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
		}
		char trk[96];
		tl_strk_summary(es.trackers, trk, sizeof(trk));
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
	unsigned fetching = 0, queued = 0, checking = 0, downloading = 0, seeding = 0, failed = 0, npeers = 0;
	double down = 0, up = 0;
	for (size_t i = 0; i < p->nruns; i++) {
		struct run *r = &p->runs[i];
		if (!r->e) {
			failed++;
			continue;
		}
		struct tl_entry_stat es;
		tl_entry_stat(r->e, &es);
		const struct tl_torrent_stats st = es.t;
		if (es.state == TL_TSTATE_METADATA)
			fetching++;
		else if (es.state == TL_TSTATE_QUEUED)
			queued++;
		else if (es.error)
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
	snprintf(line, sizeof(line), "%zu torrents: %u metadata, %u queued, %u checking, %u downloading, "
	    "%u complete%s  down %s/s  up %s/s  peers %u", p->nruns, fetching, queued, checking,
	    downloading, seeding, failed ? ", some failed" : "", d, u, npeers);
	fprintf(stderr, "\r%-78s", line);
	p->printed_line = true;
}

void tl_transfer_fetch_status(struct run *r)
{
	struct tl_entry_stat es;
	tl_entry_stat(r->e, &es);
	if (r->o->is_json) {
		struct tl_json j;
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
		if (es.meta_stuck)
			tl_json_string(&j, es.meta_stuck);
		else
			tl_json_null(&j);
		tl_json_key(&j, "trackers");
		tl_strk_json(&j, es.trackers, tl_tracker_now_ms());
		tl_json_end_object(&j);
		print_json(&j);
	} else if (r->p->is_line) {
		char line[160];
		if (es.meta_stuck)
			snprintf(line, sizeof(line), "metadata: %s (%zu peers known)", es.meta_stuck, es.meta_known);
		else
			snprintf(line, sizeof(line), "metadata: %zu peers connected, %zu connecting, %zu known%s",
			    es.meta_connected, es.meta_connecting, es.meta_known,
			    es.is_meta_size_known ? "" : ", size not known yet");
		fprintf(stderr, "\r%-78s", line);
		r->p->printed_line = true;
	}
}

void tl_transfer_end_line(struct proc *p)
{
	if (p->printed_line) {
		fputc('\n', stderr);
		p->printed_line = false;
	}
}

void tl_transfer_print_started(struct run *r, const char *magnet)
{
	if (!r->o->is_json)
		return;
	struct tl_json j;
	char hex[41];
	tl_hex(r->ih.b, 20, hex);
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "event");
	tl_json_string(&j, "started");
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "port");
	tl_json_int(&j, tl_session_port(r->p->s));
	tl_json_key(&j, "magnet");
	tl_json_string(&j, magnet);
	tl_json_end_object(&j);
	print_json(&j);
}
