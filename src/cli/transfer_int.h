/*
 * transfer_int.h: what the files of the transfer runner share
 * (transfer.c: the session, each input's life, trackers, signals;
 * transfer_status.c: the status lines). Not an API.
 *
 * Thread: the loop's.
 */
#ifndef TL_CLI_TRANSFER_INT_H
#define TL_CLI_TRANSFER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/transfer.h"

struct event;
struct tl_fetch;
struct tl_magnet;
struct tl_sdht_watch;
struct tl_session;
struct tl_strk;
struct tl_torrent;
struct tl_tracker;

struct run;

/* The process: one session for every input. */
struct proc {
	const struct tl_transfer_opts *o;
	struct tl_session *s;
	struct event *status_ev, *sigint_ev, *sigterm_ev;
	unsigned sigints;
	bool printed_line;        /* a status line without its newline is on stderr */
	uint64_t start_ms;
	char *state;              /* state directory, or NULL */
	struct run *runs;
	size_t nruns, nfinished;  /* the loop ends once every run is finished */
};

/* One input: a torrent, or a magnet link until its metadata arrives. */
struct run {
	struct proc *p;
	const struct tl_transfer_opts *o; /* p->o */
	struct tl_session *s;             /* p->s */
	const char *dir;
	bool is_no_check;
	struct tl_torrent *t;
	bool is_done, is_stopping, had_error, is_finished;
	uint64_t complete_ms;
	/* trackerless: magnet fetch, DHT self-check */
	struct tl_fetch *fetch;   /* while the metadata is being fetched */
	const struct tl_magnet *mg;
	struct tl_sdht_watch *self_check;
	uint64_t self_check_ms;
	bool is_findable;
	/* trackers (session_tracker.h) */
	struct tl_strk *strk;
	struct tl_tracker *trk;
	bool is_trk_started;      /* STARTED queued */
	bool was_full_at_check;   /* nothing to download: never send COMPLETED */
};

/* The infohash of r in hex (41 bytes). */
void tl_transfer_run_hex(const struct run *r, char *hex);
/* One JSON status line of r (stdout) for event ("status", "checked", ...). */
void tl_transfer_print_status(struct run *r, const char *event);
/* The status line of a single input (stderr, rewritten in place). */
void tl_transfer_status_line(struct run *r);
/* Several inputs: one status line for all of them. */
void tl_transfer_summary_line(struct proc *p);
/* While r fetches its metadata: its status line or JSON line. */
void tl_transfer_fetch_status(struct run *r);
/* The JSON "started" line of r, with its magnet link. */
void tl_transfer_print_started(struct run *r, const char *magnet);

#endif
