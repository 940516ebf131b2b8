/* fdlimit.c: see fdlimit.h. */
#include "base/fdlimit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/bounds.h"

/* Refusals are logged at most this often. */
#define REFUSED_LOG_INTERVAL_MS 60000u

/* The most one process may have (Linux: fs.nr_open), for a hard limit
 * given as unlimited, which setrlimit refuses as a soft one. */
static rlim_t nr_open(void)
{
	rlim_t n = 1u << 20; /* the kernel's default */
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	if (f) {
		unsigned long v;
		if (fscanf(f, "%lu", &v) == 1 && v > 0)
			n = (rlim_t)v;
		fclose(f);
	}
	return n;
}

void tl_fdlimit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		tl_info("open files: getrlimit: %s", strerror(errno));
		return;
	}
	rlim_t want = rl.rlim_max;
	if (want == RLIM_INFINITY)
		want = nr_open();
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want) {
		tl_info("open files: limit %llu (the hard limit)", (unsigned long long)rl.rlim_cur);
		return;
	}
	rlim_t old = rl.rlim_cur;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		tl_info("open files: cannot raise the limit from %llu to %llu: %s",
		    (unsigned long long)old, (unsigned long long)want, strerror(errno));
		return;
	}
	tl_info("open files: limit raised from %llu to %llu", (unsigned long long)old,
	    (unsigned long long)want);
}

static unsigned reserve_of(unsigned limit)
{
	return TL_FD_RESERVE < limit / 2 ? TL_FD_RESERVE : limit / 2;
}

/* Descriptors open now, not counting the one the listing uses; -1 when
 * there is no /proc/self/fd, the limit when none is left to list it. */
static long count_open(unsigned limit)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return errno == EMFILE || errno == ENFILE ? (long)limit : -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

static uint64_t now_ms(void);

void tl_fdlimit_refresh(struct tl_fdlimit *f)
{
	struct rlimit rl;
	f->limit = 0;
	f->listed_ms = now_ms();
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	unsigned limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > UINT_MAX ? UINT_MAX :
	    (unsigned)rl.rlim_cur;
	long n = count_open(limit);
	if (n < 0)
		return;
	f->limit = limit;
	f->in_use = (unsigned long)n > limit ? limit : (unsigned)n;
}

void tl_fdlimit_init(struct tl_fdlimit *f)
{
	*f = (struct tl_fdlimit){ 0 };
	tl_fdlimit_refresh(f);
	if (f->limit)
		tl_debug("open files: %u of %u in use, %u kept from peers", f->in_use, f->limit,
		    reserve_of(f->limit));
	else
		tl_debug("open files: not counted (no /proc/self/fd)");
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool tl_fdlimit_is_due(unsigned in_use, unsigned limit, uint64_t since_ms)
{
	return limit == 0 || in_use >= limit / 2 || since_ms >= TL_FDLIMIT_QUIET_MS;
}

void tl_fdlimit_tick(struct tl_fdlimit *f)
{
	if (tl_fdlimit_is_due(f->in_use, f->limit, now_ms() - f->listed_ms))
		tl_fdlimit_refresh(f);
}

bool tl_fdlimit_take(struct tl_fdlimit *f)
{
	if (!f || !f->limit)
		return true;
	if (tl_fdlimit_room(f->in_use, f->limit) > 0) {
		f->in_use++;
		return true;
	}
	uint64_t dropped;
	char more[TL_LOG_MORE_LEN];
	if (tl_log_limit_pass(&f->refused_log, now_ms(), REFUSED_LOG_INTERVAL_MS, &dropped))
		tl_warn("open files: %u of %u in use, %u kept for the disk: no new peer connection "
		        "(raise the limit: ulimit -n)%s", f->in_use, f->limit, reserve_of(f->limit),
		    tl_log_more(dropped, more));
	return false;
}

unsigned tl_fdlimit_room(unsigned in_use, unsigned limit)
{
	unsigned reserve = reserve_of(limit);
	if (in_use >= limit - reserve)
		return 0;
	return limit - reserve - in_use;
}
