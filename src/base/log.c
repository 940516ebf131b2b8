/* log.c: see log.h. */
#include "base/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static enum tl_log_level g_level = TL_LOG_WARN;
static FILE *g_file;

void tl_log_set_level(enum tl_log_level level)
{
	g_level = level;
}

void tl_log_set_file(FILE *f)
{
	g_file = f;
}

int tl_log_parse_level(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

void tl_log(enum tl_log_level level, const char *fmt, ...)
{
	static const char *const tags[] = { "error", "warn", "info", "debug" };
	char line[1024];
	struct timespec ts;
	va_list ap;

	if (level > g_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld %s: ", tm.tm_hour, tm.tm_min,
	    tm.tm_sec, ts.tv_nsec / 1000000, tags[level]);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(line))
		vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(g_file ? g_file : stderr, "%s\n", line);
}

bool tl_log_limit_pass(struct tl_log_limit *l, uint64_t now_ms, uint64_t interval_ms,
    uint64_t *dropped_out)
{
	*dropped_out = 0;
	if (l->has_logged && now_ms - l->last_ms < interval_ms) {
		l->dropped++;
		return false;
	}
	*dropped_out = l->dropped;
	l->dropped = 0;
	l->last_ms = now_ms;
	l->has_logged = true;
	return true;
}

const char *tl_log_more(uint64_t dropped, char *buf)
{
	buf[0] = '\0';
	if (dropped)
		snprintf(buf, TL_LOG_MORE_LEN, " (%llu more since the last report)", (unsigned long long)dropped);
	return buf;
}
