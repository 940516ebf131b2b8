/*
 * mapview.c: sliding mmap windows over a file and the SIGBUS guard
 * (see mapview.h).
 *
 * Why mmap: hashing a file that sits in the page cache through pread
 * spends about a tenth of the CPU copying pages into a buffer; a mapping
 * lets SHA-1 read the cached pages in place.
 *
 * Why the guard: touching a mapped page past the end of a file that was
 * truncated after it was mapped raises SIGBUS. The handler jumps back to
 * the guarded call on the faulting thread (a thread-local jump target set
 * only for the duration of that call); a SIGBUS with no target restores
 * the default action and returns, so the fault repeats and ends the
 * process as it would have without the guard.
 */
#include "mapview.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

void tl_mapview_init(struct tl_mapview *v, int fd, uint64_t flen)
{
	*v = (struct tl_mapview){ .fd = fd, .flen = flen };
}

void tl_mapview_clear(struct tl_mapview *v)
{
	if (v->map)
		munmap((void *)v->map, v->map_len);
	v->map = NULL;
	v->map_len = 0;
}

const uint8_t *tl_mapview_get(struct tl_mapview *v, uint64_t off, size_t n)
{
	if (off > v->flen || n > v->flen - off) {
		errno = EINVAL;
		return NULL;
	}
	if (v->map && off >= v->map_off && off + n <= v->map_off + v->map_len)
		return v->map + (off - v->map_off);
	tl_mapview_clear(v);
	uint64_t start = off - off % page_size();
	uint64_t len = TL_MAPVIEW_WINDOW;
	if (len < off + n - start)
		len = off + n - start;
	if (len > v->flen - start)
		len = v->flen - start;
	if (len == 0 || len > SIZE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	void *m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, v->fd, (off_t)start);
	if (m == MAP_FAILED)
		return NULL;
	v->map = m;
	v->map_len = (size_t)len;
	v->map_off = start;
	return v->map + (off - start);
}

static pthread_mutex_t guard_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned guard_users;
static struct sigaction guard_prev;
static _Thread_local sigjmp_buf *guard_target;

static void on_sigbus(int sig)
{
	sigjmp_buf *t = guard_target;
	if (t) {
		guard_target = NULL;
		siglongjmp(*t, 1);
	}
	signal(sig, SIG_DFL); /* not ours: the fault repeats and ends the process */
}

int tl_mapguard_install(void)
{
	int rc = 0;
	pthread_mutex_lock(&guard_mu);
	if (guard_users == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigbus;
		sigemptyset(&sa.sa_mask);
		rc = sigaction(SIGBUS, &sa, &guard_prev);
	}
	if (rc == 0)
		guard_users++;
	pthread_mutex_unlock(&guard_mu);
	return rc;
}

void tl_mapguard_remove(void)
{
	pthread_mutex_lock(&guard_mu);
	if (guard_users > 0 && --guard_users == 0)
		(void)sigaction(SIGBUS, &guard_prev, NULL);
	pthread_mutex_unlock(&guard_mu);
}

int tl_mapguard_hash(struct tl_hash_ctx *h, const void *p, size_t n)
{
	sigjmp_buf jb;
	if (sigsetjmp(jb, 1) != 0)
		return -1; /* the handler cleared guard_target */
	guard_target = &jb;
	tl_hash_update(h, p, n);
	guard_target = NULL;
	return 0;
}
