/* listener.c: see listener.h. */
#include "io/listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "base/log.h"
#include "base/mem.h"

struct tl_listener {
	struct evconnlistener *lev;
	struct event *pause_ev; /* ends a pause: accepting again */
	unsigned npauses;       /* in a row, without an accept between */
	struct tl_log_limit warn;
	tl_listener_accept_fn fn;
	void *arg;
};

unsigned tl_listener_pause_ms(unsigned npauses)
{
	unsigned ms = TL_LISTENER_PAUSE_MIN_MS;
	for (unsigned i = 0; i < npauses && ms < TL_LISTENER_PAUSE_MAX_MS; i++)
		ms *= 2;
	return ms < TL_LISTENER_PAUSE_MAX_MS ? ms : TL_LISTENER_PAUSE_MAX_MS;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int len, void *arg)
{
	(void)lev;
	struct tl_listener *l = arg;
	l->npauses = 0;
	l->fn(fd, addr, (socklen_t)len, l->arg);
}

static void pause_end_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct tl_listener *l = arg;
	evconnlistener_enable(l->lev);
}

/*
 * accept failed with an error libevent does not retry itself (EMFILE,
 * ENFILE: out of descriptors; ENOBUFS, ENOMEM: out of memory). Left
 * alone, the pending connection keeps the socket readable and the loop
 * calls accept again at once, failing the same way as fast as it can; so
 * stop accepting for a while, longer while it lasts, whatever the error,
 * and log it once a minute.
 */
static void error_cb(struct evconnlistener *lev, void *arg)
{
	struct tl_listener *l = arg;
	int err = EVUTIL_SOCKET_ERROR();
	unsigned ms = tl_listener_pause_ms(l->npauses);
	uint64_t dropped;
	char more[TL_LOG_MORE_LEN];
	if (tl_log_limit_pass(&l->warn, now_ms(), TL_LISTENER_WARN_INTERVAL_MS, &dropped))
		tl_warn("listener: accept: %s%s; not accepting for %u ms%s", evutil_socket_error_to_string(err),
		    err == EMFILE || err == ENFILE ? " (raise the open-files limit: ulimit -n)" : "", ms,
		    tl_log_more(dropped, more));
	evconnlistener_disable(lev);
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	event_add(l->pause_ev, &tv);
	l->npauses++;
}

struct tl_listener *tl_listener_new(struct event_base *base, const struct sockaddr *addr,
    socklen_t len, tl_listener_accept_fn fn, void *arg)
{
	struct tl_listener *l = tl_calloc(1, sizeof(*l));
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC;
	if (addr->sa_family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	l->fn = fn;
	l->arg = arg;
	l->lev = evconnlistener_new_bind(base, accept_cb, l, flags, 128, addr, (int)len);
	if (!l->lev) {
		tl_warn("listener: bind: %s", strerror(errno));
		free(l);
		return NULL;
	}
	l->pause_ev = evtimer_new(base, pause_end_cb, l);
	if (!l->pause_ev)
		abort();
	evconnlistener_set_error_cb(l->lev, error_cb);
	return l;
}

void tl_listener_free(struct tl_listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->lev);
	event_free(l->pause_ev);
	free(l);
}

uint16_t tl_listener_port(const struct tl_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(evconnlistener_get_fd(l->lev), (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}
