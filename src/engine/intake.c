/* intake.c: a torrent's peer list and who joins it; see intake.h. */
#include "engine/intake.h"

#include <netinet/in.h>
#include <string.h>

#include "base/err.h"
#include "base/fdlimit.h"
#include "base/log.h"
#include "codec/bitfield.h"
#include "io/peer.h"
#include "proto/early_have.h"
#include "engine/slots.h"

void tl_intake_init(struct tl_intake *in, const struct tl_torrent_ctx *ctx, unsigned max_peers,
    struct tl_swarm *swarm, const struct tl_layout *l, const struct tl_handshake *hs,
    const struct tl_peer_ops *ops, void *owner)
{
	memset(in, 0, sizeof(*in));
	in->ctx = ctx;
	in->max_peers = max_peers;
	in->swarm = swarm;
	in->l = l;
	in->hs = hs;
	in->ops = ops;
	in->owner = owner;
}

bool tl_intake_has_room(const struct tl_intake *in)
{
	return in->npeers < in->max_peers && *in->ctx->total_peers < in->ctx->max_total_peers;
}

static void link_peer(struct tl_intake *in, struct tl_peer *p)
{
	tl_peer_set_limits(p, in->l->npieces, in->l->piece_len,
	    tl_layout_piece_len(in->l, in->l->npieces - 1));
	if (in->ctx->rate_group && *in->ctx->rate_group)
		tl_peer_set_rate_group(p, *in->ctx->rate_group);
	p->next = in->peers;
	in->peers = p;
	in->npeers++;
	(*in->ctx->total_peers)++;
}

void tl_intake_unlink(struct tl_intake *in, struct tl_peer *p, uint64_t now_ms)
{
	for (struct tl_peer **pp = &in->peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	in->npeers--;
	(*in->ctx->total_peers)--;
	bool was_seed = p->have.n > 0 && tl_bitfield_all(&p->have);
	tl_swarm_closed(in->swarm, p->serial, p->was_active, was_seed, now_ms);
}

/* At the peer limit: close the peer idle longest, if one is, so the
 * newcomer gets its slot. */
static bool make_room(struct tl_intake *in)
{
	uint64_t since;
	struct tl_peer *p = tl_slots_idle_peer(in->peers, in->npeers, tl_now_ms(), &since);
	if (p)
		tl_peer_close(p, "idle: its slot went to a new peer");
	return p != NULL;
}

int tl_intake_take(struct tl_intake *in, struct tl_peer *p, bool is_open)
{
	const struct tl_torrent_ctx *ctx = in->ctx;
	if (!is_open || tl_swarm_is_banned(in->swarm, &p->addr))
		return -1;
	if (in->npeers >= in->max_peers && !make_room(in))
		return -1;
	/* the session's limit: the idlest peer of any torrent makes room */
	if (*ctx->total_peers >= ctx->max_total_peers && ctx->make_room &&
	    !ctx->make_room(ctx->make_room_arg))
		return -1;
	if (!tl_intake_has_room(in))
		return -1;
	tl_peer_attach(p, in->hs, in->ops, in->owner);
	link_peer(in, p);
	return 0;
}

bool tl_intake_id_connected(const struct tl_peer *peers, const struct tl_peer_id *id)
{
	for (const struct tl_peer *p = peers; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && memcmp(p->remote.peer_id.b, id->b, 20) == 0)
			return true;
	return false;
}

static void dial(struct tl_intake *in, struct tl_swarm_addr *k)
{
	const struct tl_torrent_ctx *ctx = in->ctx;
	struct tl_peer *p = tl_peer_connect(ctx->base, ctx->closeq, (const struct sockaddr *)&k->addr,
	    k->len, ctx->bind_addr, ctx->bind_len, in->hs, in->ops, in->owner);
	if (!p) {
		tl_swarm_dial_failed(k, tl_now_ms());
		return;
	}
	tl_swarm_dialed(k, p->serial);
	link_peer(in, p);
}

void tl_intake_dial(struct tl_intake *in, uint64_t now_ms, bool is_complete)
{
	size_t pos = 0;
	struct tl_swarm_addr *k;
	while (tl_intake_has_room(in) && (k = tl_swarm_next_due(in->swarm, &pos, now_ms, is_complete))) {
		if (k->has_id && tl_intake_id_connected(in->peers, &k->id))
			continue;
		if (!tl_fdlimit_take(in->ctx->fds))
			break; /* descriptors are kept for the disk (fdlimit.h) */
		dial(in, k);
	}
}

bool tl_intake_listen_addr(const struct tl_peer *p, struct sockaddr_storage *out)
{
	*out = p->addr;
	if (!p->is_incoming)
		return true;
	if (!p->ext_port)
		return false;
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons(p->ext_port);
	else if (out->ss_family == AF_INET6)
		((struct sockaddr_in6 *)out)->sin6_port = htons(p->ext_port);
	else
		return false;
	return true;
}

int tl_intake_adopt(struct tl_intake *in, struct tl_peer *p, bool is_open,
    const struct tl_early_have *eh, const char **why_out)
{
	if (!is_open || !tl_intake_has_room(in) || tl_swarm_is_banned(in->swarm, &p->addr)) {
		*why_out = "the torrent takes no more peers";
		return -1;
	}
	struct tl_bitfield have;
	tl_bitfield_init(&have, in->l->npieces);
	if (tl_early_have_apply(eh, &have, why_out) != TL_OK) {
		tl_bitfield_clear(&have);
		return -1;
	}
	tl_peer_attach(p, in->hs, in->ops, in->owner);
	link_peer(in, p);
	tl_bitfield_clear(&p->have);
	p->have = have;
	/* Its listen address is held: not dialed while this lasts. */
	struct sockaddr_storage la;
	if (tl_intake_listen_addr(p, &la))
		tl_swarm_hold(in->swarm, (const struct sockaddr *)&la, p->addrlen, p->serial,
		    &p->remote.peer_id);
	tl_info("peer %s: carried on from the metadata fetch (%s, %u pieces)", p->name,
	    p->is_incoming ? "incoming" : "outgoing", p->have.count);
	return 0;
}

/* Whether whoever dialed connection a has the lower peer id. */
static bool initiator_lower(const struct tl_peer *a, const struct tl_peer_id *self)
{
	const struct tl_peer_id *id = a->is_incoming ? &a->remote.peer_id : self;
	const struct tl_peer_id *other = a->is_incoming ? self : &a->remote.peer_id;
	return memcmp(id->b, other->b, 20) < 0;
}

struct tl_peer *tl_intake_dup_loser(struct tl_peer *peers, struct tl_peer *p,
    const struct tl_peer_id *self)
{
	for (struct tl_peer *o = peers; o; o = o->next) {
		if (o == p || o->state != TL_PEER_ST_ACTIVE ||
		    memcmp(o->remote.peer_id.b, p->remote.peer_id.b, 20) != 0)
			continue;
		/* Both sides keep the connection dialed by the lower peer id
		 * (or the older one when the same side dialed both). */
		bool keep_new = o->is_incoming != p->is_incoming && initiator_lower(p, self);
		return keep_new ? o : p;
	}
	return NULL;
}

bool tl_intake_dedup(struct tl_intake *in, struct tl_peer *p)
{
	struct tl_peer *loser = tl_intake_dup_loser(in->peers, p, &in->ctx->peer_id);
	if (!loser)
		return false;
	tl_peer_close(loser, "duplicate connection");
	return loser == p;
}

bool tl_intake_ready(struct tl_intake *in, struct tl_peer *p)
{
	if (memcmp(p->remote.peer_id.b, in->ctx->peer_id.b, 20) == 0) {
		tl_peer_close(p, "connected to ourselves");
		return false;
	}
	tl_swarm_answered(in->swarm, p->serial, &p->remote.peer_id);
	return !tl_intake_dedup(in, p);
}

struct tl_peer *tl_intake_find(struct tl_peer *peers, uint64_t serial)
{
	for (struct tl_peer *p = peers; p; p = p->next)
		if (p->serial == serial)
			return p;
	return NULL;
}

void tl_intake_blame(struct tl_intake *in, const uint64_t *serials, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct tl_peer *p = tl_intake_find(in->peers, serials[i]);
		if (!p || p->state != TL_PEER_ST_ACTIVE || ++p->hash_fails < TL_INTAKE_BAN_HASH_FAILS)
			continue;
		tl_swarm_ban(in->swarm, &p->addr);
		tl_peer_close(p, "banned: sent data that failed the hash check");
	}
}
