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

#include "base/digest.h"
#include "cli/transfer.h"

struct event;
struct tl_entry;
struct tl_session;

struct run;

/* The process: one session for every input. */
struct proc {
	const struct tl_transfer_opts *o;
	struct tl_session *s;
	struct event *status_ev, *sigint_ev, *sigterm_ev;
	unsigned sigints;
	bool printed_line;        /* a status line without its newline is on stderr */
	bool is_line;             /* one input, stderr a terminal: its status line */
	bool is_summary;          /* several inputs, stderr a terminal: one line for all */
	uint64_t start_ms;
	struct run *runs;
	size_t nruns, nfinished;  /* the loop ends once every run is finished */
};

/* One input: a torrent or a magnet link, as the session's entry. */
struct run {
	struct proc *p;
	const struct tl_transfer_opts *o; /* p->o */
	struct tl_entry *e;               /* NULL when it could not be added */
	struct tl_infohash ih;
	bool is_no_check;
	bool is_done, had_error, is_finished;
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
/* Before writing a line of its own: end the status line on stderr. */
void tl_transfer_end_line(struct proc *p);
/* The JSON "started" line of r, with its magnet link. */
void tl_transfer_print_started(struct run *r, const char *magnet);

#endif
