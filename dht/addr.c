/*
 * addr.c: endpoint conversions and address classes (see addr.h).
 */
#include "dht/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

int dht_addr_from_sa(const struct sockaddr *sa, socklen_t len, struct dht_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->ip, &s4->sin_addr, 4);
		out->port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			return -1;
		out->family = AF_INET6;
		memcpy(out->ip, &s6->sin6_addr, 16);
		out->port = ntohs(s6->sin6_port);
		return 0;
	}
	return -1;
}

socklen_t dht_addr_to_sa(const struct dht_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->ip, 16);
		s6->sin6_port = htons(a->port);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	memcpy(&s4->sin_addr, a->ip, 4);
	s4->sin_port = htons(a->port);
	return sizeof(*s4);
}

bool dht_addr_same_subnet(const struct dht_addr *a, const struct dht_addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->ip, b->ip, a->family == AF_INET6 ? 8 : 3) == 0;
}

bool dht_addr_is_martian(const struct dht_addr *a)
{
	const uint8_t *ip = a->ip;
	if (a->port == 0)
		return true;
	if (a->family == AF_INET)
		return ip[0] == 0 || ip[0] >= 224;
	static const uint8_t zero[16];
	if (ip[0] == 0xff)
		return true;
	return memcmp(ip, zero, 16) == 0;
}

bool dht_addr_is_local(const struct dht_addr *a)
{
	const uint8_t *ip = a->ip;
	if (a->family == AF_INET)
		return ip[0] == 10 || ip[0] == 127 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
		    (ip[0] == 192 && ip[1] == 168) || (ip[0] == 169 && ip[1] == 254);
	static const uint8_t loop[16] = { [15] = 1 };
	return memcmp(ip, loop, 16) == 0 || (ip[0] & 0xfe) == 0xfc ||
	    (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);
}

size_t dht_addr_put_compact(const struct dht_addr *a, uint8_t *out)
{
	size_t n = dht_addr_iplen(a);
	memcpy(out, a->ip, n);
	out[n] = (uint8_t)(a->port >> 8);
	out[n + 1] = (uint8_t)a->port;
	return n + 2;
}

int dht_addr_get_compact(int af, const uint8_t *p, size_t len, struct dht_addr *out)
{
	size_t n = af == AF_INET6 ? 16 : 4;
	memset(out, 0, sizeof(*out));
	if ((af != AF_INET && af != AF_INET6) || len != n + 2)
		return -1;
	out->family = (uint8_t)af;
	memcpy(out->ip, p, n);
	out->port = (uint16_t)(p[n] << 8 | p[n + 1]);
	return 0;
}

void dht_addr_format(const struct dht_addr *a, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->ip, ip, sizeof(ip)))
		ip[0] = '\0';
	snprintf(out, cap, a->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)a->port);
}
