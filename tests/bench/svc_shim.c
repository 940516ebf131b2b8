/*
 * svc_shim.c: an LD_PRELOAD library for scripts/bench-dht that measures a
 * DHT node's service time from inside its process without changing the
 * node: the time from a receive call that returned datagrams to each
 * send call after it, until the thread next waits in epoll_wait/poll
 * (a send after a wait is the node's own traffic, not a reply). One
 * sample per datagram sent, and one of the processing time per datagram
 * (see svc_hist.h). Works for our node (recvmmsg, then one
 * sendmmsg per batch) and for libtorrent (recvfrom/recvmsg, sendto/
 * sendmsg), each thread on its own clock.
 *
 * Active only when BENCH_SVC_FILE names a file: the histogram (struct
 * svc_hist) lives there, mapped shared, for tests/bench/dht_load to read.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/bench/svc_hist.h"

static struct svc_hist *hist;
static __thread uint64_t recv_ns; /* 0: no receive since the last wait */
static __thread long recv_n;      /* datagrams it returned; 0 once a send followed */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor)) static void svc_open(void)
{
	const char *path = getenv("BENCH_SVC_FILE");
	if (!path)
		return;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	if (ftruncate(fd, sizeof(*hist)) == 0) {
		void *p = mmap(NULL, sizeof(*hist), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			hist = p;
			hist->magic = SVC_MAGIC;
		}
	}
	close(fd);
}

static void add(uint64_t *c, uint64_t v)
{
	__atomic_fetch_add(c, v, __ATOMIC_RELAXED);
}

static void on_recv(long n)
{
	if (!hist || n <= 0)
		return;
	recv_ns = mono_ns();
	recv_n = n;
	add(&hist->recv_calls, 1);
	add(&hist->datagrams, (uint64_t)n);
}

static void on_send(long n)
{
	if (!hist || n <= 0 || recv_ns == 0)
		return;
	uint64_t dt = mono_ns() - recv_ns;
	add(&hist->b[svc_bucket(dt)], (uint64_t)n);
	add(&hist->replies, (uint64_t)n);
	if (recv_n) {
		add(&hist->per[svc_bucket(dt / (uint64_t)recv_n)], (uint64_t)recv_n);
		recv_n = 0;
	}
}

/* The real function behind a wrapped one. */
#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *tmo)
{
	REAL(recvmmsg);
	int r = real_recvmmsg(fd, v, n, flags, tmo);
	on_recv(r);
	return r;
}

ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	REAL(recvmsg);
	ssize_t r = real_recvmsg(fd, m, flags);
	on_recv(r > 0 ? 1 : 0);
	return r;
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
	REAL(recvfrom);
	ssize_t r = real_recvfrom(fd, buf, len, flags, from, fromlen);
	on_recv(r > 0 ? 1 : 0);
	return r;
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	REAL(sendmmsg);
	on_send((long)n);
	return real_sendmmsg(fd, v, n, flags);
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	REAL(sendmsg);
	on_send(1);
	return real_sendmsg(fd, m, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
    socklen_t tolen)
{
	REAL(sendto);
	on_send(1);
	return real_sendto(fd, buf, len, flags, to, tolen);
}

int epoll_wait(int epfd, struct epoll_event *ev, int maxev, int timeout)
{
	REAL(epoll_wait);
	recv_ns = 0;
	return real_epoll_wait(epfd, ev, maxev, timeout);
}

int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	REAL(poll);
	recv_ns = 0;
	return real_poll(fds, nfds, timeout);
}
