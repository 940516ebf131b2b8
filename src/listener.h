/*
 * listener.h: a TCP listening socket (evconnlistener) handing accepted
 * sockets to its owner (the session), which matches them to a torrent by
 * the infohash in their handshake.
 *
 * Owns the listening socket. Thread: the loop thread only.
 */
#ifndef TL_LISTENER_H
#define TL_LISTENER_H

#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct tl_listener;

/* An accepted connection: fd is the callee's to keep or close. */
typedef void (*tl_listener_accept_fn)(int fd, const struct sockaddr *addr, socklen_t len,
    void *arg);

/* Listen on addr (IPv6 sockets are v6-only). Returns NULL (logged) when
 * the address cannot be bound. */
struct tl_listener *tl_listener_new(struct event_base *base, const struct sockaddr *addr,
    socklen_t len, tl_listener_accept_fn fn, void *arg);
void tl_listener_free(struct tl_listener *l);
/* The bound port (useful when 0 was asked). */
uint16_t tl_listener_port(const struct tl_listener *l);

#endif
