/*
 * log.h: leveled logging to stderr (or a file). One global sink, set at
 * start by the front end; safe to call from worker threads (one fprintf per
 * line).
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum tl_log_level {
	TL_LOG_ERROR = 0,
	TL_LOG_WARN = 1,
	TL_LOG_INFO = 2,
	TL_LOG_DEBUG = 3,
};

void tl_log_set_level(enum tl_log_level level);
/* Parse "error|warn|info|debug"; returns -1 when unknown. */
int tl_log_parse_level(const char *s);
/* Send log lines to f (borrowed; NULL means stderr). */
void tl_log_set_file(FILE *f);
void tl_log(enum tl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A line that may repeat fast (an accept failing for every pending
 * connection) goes through a limit: the first is logged, then at most one
 * per interval, which tells how many were left out since the one before.
 * Zero-initialised; owned by whoever logs the line.
 */
struct tl_log_limit {
	uint64_t last_ms;  /* when one was last logged */
	uint64_t dropped;  /* left out since */
	bool has_logged;
};
/* Whether to log the line now (now_ms: a monotonic clock). When true,
 * *dropped_out is how many were left out since the last one logged;
 * when false, this one is counted as left out. */
bool tl_log_limit_pass(struct tl_log_limit *l, uint64_t now_ms, uint64_t interval_ms,
    uint64_t *dropped_out);
/* The tail of such a line: " (N more since the last report)", or "" when
 * dropped is 0. Written into buf (TL_LOG_MORE_LEN bytes), which is returned. */
#define TL_LOG_MORE_LEN 64u
const char *tl_log_more(uint64_t dropped, char *buf);

#define tl_err(...) tl_log(TL_LOG_ERROR, __VA_ARGS__)
#define tl_warn(...) tl_log(TL_LOG_WARN, __VA_ARGS__)
#define tl_info(...) tl_log(TL_LOG_INFO, __VA_ARGS__)
#define tl_debug(...) tl_log(TL_LOG_DEBUG, __VA_ARGS__)

#endif
