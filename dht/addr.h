/*
 * addr.h: endpoints as libdht stores them (family, raw address, port) and
 * their compact forms (BEP 5: 4+2 bytes, BEP 32: 16+2 bytes).
 *
 * Also the address classes the protocol cares about: martians (never a
 * peer), local addresses (exempt from BEP 42) and the /24 (/64) subnet of
 * the routing-table diversity rule. Pure functions, no state.
 */
#ifndef DHT_ADDR_H
#define DHT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Compact sizes (BEP 5, BEP 32). */
#define DHT_COMPACT_PEER4 6u
#define DHT_COMPACT_PEER6 18u
#define DHT_COMPACT_NODE4 26u
#define DHT_COMPACT_NODE6 38u

/* An endpoint. Unused bytes of ip are zero so that memcmp compares. */
struct dht_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t ip[16]; /* 4 or 16 significant bytes */
	uint16_t port;  /* host order */
};

/* Family index used for per-family arrays: 0 = IPv4, 1 = IPv6. */
static inline int dht_af_index(int af)
{
	return af == AF_INET6;
}

static inline size_t dht_addr_iplen(const struct dht_addr *a)
{
	return a->family == AF_INET6 ? 16 : 4;
}

/* From a sockaddr. Rejects other families, short lengths and IPv4-mapped
 * IPv6 addresses. Returns 0 or -1. */
int dht_addr_from_sa(const struct sockaddr *sa, socklen_t len, struct dht_addr *out);

/* To a sockaddr_in/_in6 in *ss; returns its length. */
socklen_t dht_addr_to_sa(const struct dht_addr *a, struct sockaddr_storage *ss);

/* Same address / same address and port. Inline: the routing table
 * compares addresses on every query it sees. */
static inline bool dht_addr_ip_eq(const struct dht_addr *a, const struct dht_addr *b)
{
	uint64_t x[2], y[2];
	if (a->family != b->family)
		return false;
	memcpy(x, a->ip, 16);
	memcpy(y, b->ip, 16);
	return x[0] == y[0] && x[1] == y[1]; /* unused bytes are zero */
}

static inline bool dht_addr_eq(const struct dht_addr *a, const struct dht_addr *b)
{
	return a->port == b->port && dht_addr_ip_eq(a, b);
}

/* Same /24 (IPv4) or /64 (IPv6). */
bool dht_addr_same_subnet(const struct dht_addr *a, const struct dht_addr *b);

/* An address no real peer can have: port 0, 0/8, multicast, broadcast,
 * class E, the IPv6 unspecified address, multicast. Loopback and private
 * addresses are allowed (tests and LANs). */
bool dht_addr_is_martian(const struct dht_addr *a);

/* Local per BEP 42 (exempt from id checks): 10/8, 172.16/12, 192.168/16,
 * 169.254/16, 127/8; IPv6 ::1, fc00::/7, fe80::/10. */
bool dht_addr_is_local(const struct dht_addr *a);

/* Compact form: ip then port, big endian. Writes 6 or 18 bytes; returns
 * how many. */
size_t dht_addr_put_compact(const struct dht_addr *a, uint8_t *out);

/* Parse a compact address of family af from p[0..len); len must be 6
 * (AF_INET) or 18 (AF_INET6). Returns 0 or -1. */
int dht_addr_get_compact(int af, const uint8_t *p, size_t len, struct dht_addr *out);

/* "1.2.3.4:5" or "[::1]:5" into out (NUL-terminated, truncated to cap). */
void dht_addr_format(const struct dht_addr *a, char *out, size_t cap);

#endif
