/*
 * listener.h: a TCP listening socket (evconnlistener) handing accepted
 * sockets to its owner (the session), which matches them to a torrent by
 * the infohash in their handshake.
 *
 * When accept fails (out of descriptors or memory, above all) the listener
 * stops accepting for TL_LISTENER_PAUSE_MIN_MS, twice as long at each
 * failure in a row up to TL_LISTENER_PAUSE_MAX_MS; the failures are
 * logged once, then at most once per TL_LISTENER_WARN_INTERVAL_MS with
 * the count of those left out.
 *
 * Owns the listening socket and its pause timer. Thread: the loop thread
 * only.
 */
#ifndef TL_LISTENER_H
#define TL_LISTENER_H

#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct tl_listener;

#define TL_LISTENER_PAUSE_MIN_MS 1000u
#define TL_LISTENER_PAUSE_MAX_MS 4000u
#define TL_LISTENER_WARN_INTERVAL_MS 60000u

/* An accepted connection: fd is the callee's to keep or close. */
typedef void (*tl_listener_accept_fn)(int fd, const struct sockaddr *addr, socklen_t len,
    void *arg);

/* Listen on addr (IPv6 sockets are v6-only). Returns NULL (logged) when
 * the address cannot be bound. */
struct tl_listener *tl_listener_new(struct event_base *base, const struct sockaddr *addr,
    socklen_t len, tl_listener_accept_fn fn, void *arg);
void tl_listener_free(struct tl_listener *l);
/* How long to stop accepting after npauses failed accepts in a row before
 * this one (0 for the first). Pure. */
unsigned tl_listener_pause_ms(unsigned npauses);
/* The bound port (useful when 0 was asked). */
uint16_t tl_listener_port(const struct tl_listener *l);

#endif
