/* sockaddr.c: see sockaddr.h. */
#include "base/sockaddr.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "base/err.h"

int tl_sockaddr_parse(const char *s, struct sockaddr_storage *out, socklen_t *len_out)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return TL_EINVAL;
	size_t hl = (size_t)(colon - s);
	const char *h = s;
	if (s[0] == '[') {
		if (hl < 2 || s[hl - 1] != ']')
			return TL_EINVAL;
		h = s + 1;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || port == 0 || port > 65535)
		return TL_EINVAL;
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len_out = sizeof(*a4);
		return TL_OK;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len_out = sizeof(*a6);
		return TL_OK;
	}
	return TL_EINVAL;
}
