/* listener.c: see listener.h. */
#include "listener.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/listener.h>
#include <event2/util.h>

#include "log.h"
#include "mem.h"

struct tl_listener {
	struct evconnlistener *lev;
	tl_listener_accept_fn fn;
	void *arg;
};

static void accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *addr,
    int len, void *arg)
{
	(void)lev;
	struct tl_listener *l = arg;
	l->fn(fd, addr, (socklen_t)len, l->arg);
}

static void error_cb(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
	/* EMFILE and friends: log and keep listening. */
	tl_warn("listener: accept: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
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
	evconnlistener_set_error_cb(l->lev, error_cb);
	return l;
}

void tl_listener_free(struct tl_listener *l)
{
	if (!l)
		return;
	evconnlistener_free(l->lev);
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
