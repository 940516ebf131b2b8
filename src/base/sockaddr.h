/*
 * sockaddr.h: comparing socket addresses (IPv4 and IPv6 endpoints).
 * parsing "HOST:PORT" with a numeric host.
 */
#ifndef TL_SOCKADDR_H
#define TL_SOCKADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

/* Same family, address and port. Both must be full sockaddr_in or
 * sockaddr_in6 for their family; any other family is never the same. */
static inline bool tl_sockaddr_same(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* Parse "HOST:PORT" or "[V6]:PORT" (numeric addresses, port 1-65535) into
 * *out; TL_OK, or TL_EINVAL. */
int tl_sockaddr_parse(const char *s, struct sockaddr_storage *out, socklen_t *len_out);

#endif
