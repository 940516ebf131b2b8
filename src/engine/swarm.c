/* swarm.c: a torrent's address book and bans; see swarm.h. */
#include "engine/swarm.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "base/mem.h"
#include "base/sockaddr.h"

void tl_swarm_init(struct tl_swarm *sw)
{
	memset(sw, 0, sizeof(*sw));
}

void tl_swarm_clear(struct tl_swarm *sw)
{
	free(sw->known);
	free(sw->banned);
	memset(sw, 0, sizeof(*sw));
}

struct tl_swarm_addr *tl_swarm_get(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len,
    bool *is_new_out)
{
	struct sockaddr_storage a;
	memset(&a, 0, sizeof(a));
	memcpy(&a, addr, len);
	*is_new_out = false;
	for (size_t i = 0; i < sw->nknown; i++)
		if (tl_sockaddr_same((const struct sockaddr *)&sw->known[i].addr, (const struct sockaddr *)&a))
			return &sw->known[i];
	if (sw->nknown == sw->known_cap) {
		sw->known_cap = sw->known_cap ? sw->known_cap * 2 : 8;
		sw->known = tl_reallocarray(sw->known, sw->known_cap, sizeof(*sw->known));
	}
	struct tl_swarm_addr *k = &sw->known[sw->nknown++];
	memset(k, 0, sizeof(*k));
	memcpy(&k->addr, addr, len);
	k->len = len;
	*is_new_out = true;
	return k;
}

bool tl_swarm_offer(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len)
{
	if (len > sizeof(struct sockaddr_storage))
		return false;
	bool is_new;
	struct tl_swarm_addr *k = tl_swarm_get(sw, addr, len, &is_new);
	if (!is_new && (k->serial || k->fails == 0))
		return false;
	k->next_try_ms = 0;
	return true;
}

void tl_swarm_hold(struct tl_swarm *sw, const struct sockaddr *addr, socklen_t len, uint64_t serial,
    const struct tl_peer_id *id)
{
	bool is_new;
	struct tl_swarm_addr *k = tl_swarm_get(sw, addr, len, &is_new);
	k->serial = serial;
	k->has_id = true;
	k->id = *id;
	k->fails = 0;
}

struct tl_swarm_addr *tl_swarm_next_due(struct tl_swarm *sw, size_t *pos, uint64_t now_ms,
    bool skip_seeds)
{
	while (*pos < sw->nknown) {
		struct tl_swarm_addr *k = &sw->known[(*pos)++];
		if (k->serial || now_ms < k->next_try_ms || (skip_seeds && k->is_seed) ||
		    tl_swarm_is_banned(sw, &k->addr))
			continue;
		return k;
	}
	return NULL;
}

void tl_swarm_dialed(struct tl_swarm_addr *a, uint64_t serial)
{
	a->serial = serial;
}

void tl_swarm_dial_failed(struct tl_swarm_addr *a, uint64_t now_ms)
{
	a->fails++;
	a->next_try_ms = now_ms + TL_SWARM_RETRY_MS;
}

void tl_swarm_answered(struct tl_swarm *sw, uint64_t serial, const struct tl_peer_id *id)
{
	for (size_t i = 0; i < sw->nknown; i++)
		if (sw->known[i].serial == serial) {
			sw->known[i].has_id = true;
			sw->known[i].id = *id;
			sw->known[i].fails = 0;
		}
}

void tl_swarm_closed(struct tl_swarm *sw, uint64_t serial, bool was_active, bool was_seed,
    uint64_t now_ms)
{
	for (size_t i = 0; i < sw->nknown; i++) {
		struct tl_swarm_addr *k = &sw->known[i];
		if (k->serial != serial)
			continue;
		k->serial = 0;
		if (!was_active)
			k->fails++;
		unsigned shift = k->fails < TL_SWARM_BACKOFF_MAX_SHIFT ? k->fails : TL_SWARM_BACKOFF_MAX_SHIFT;
		k->next_try_ms = now_ms + (1000u << shift);
		k->is_seed = was_seed;
	}
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
		    &((const struct sockaddr_in *)b)->sin_addr, 4) == 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
	return false;
}

void tl_swarm_ban(struct tl_swarm *sw, const struct sockaddr_storage *a)
{
	sw->banned = tl_reallocarray(sw->banned, sw->nbanned + 1, sizeof(*sw->banned));
	sw->banned[sw->nbanned++] = *a;
}

bool tl_swarm_is_banned(const struct tl_swarm *sw, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < sw->nbanned; i++)
		if (same_host(&sw->banned[i], a))
			return true;
	return false;
}
