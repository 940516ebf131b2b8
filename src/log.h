/*
 * log.h: leveled logging to stderr (or a file). One global sink, set at
 * start by the front end; safe to call from worker threads (one fprintf per
 * line).
 */
#ifndef TL_LOG_H
#define TL_LOG_H

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

#define tl_err(...) tl_log(TL_LOG_ERROR, __VA_ARGS__)
#define tl_warn(...) tl_log(TL_LOG_WARN, __VA_ARGS__)
#define tl_info(...) tl_log(TL_LOG_INFO, __VA_ARGS__)
#define tl_debug(...) tl_log(TL_LOG_DEBUG, __VA_ARGS__)

#endif
