/* slots.c: upload slots of a torrent's peers (choking); see slots.h. */
#include "engine/slots.h"

#include <stdlib.h>

#include "base/mem.h"
#include "io/peer.h"
#include "proto/wire.h"
#include "engine/upload.h"

void tl_slots_init(struct tl_slots *s, uint64_t seed)
{
	tl_choker_init(&s->choker, seed);
	s->rechoke_ms = 0;
}

void tl_slots_set(struct tl_peer *p, bool choke)
{
	if (p->am_choking == choke || p->state != TL_PEER_ST_ACTIVE)
		return;
	p->am_choking = choke;
	if (!choke)
		p->last_unchoked_ms = tl_now_ms();
	tl_peer_send_simple(p, choke ? TL_WIRE_CHOKE : TL_WIRE_UNCHOKE);
	if (choke)
		tl_upload_reject_all(p);
}

bool tl_slots_has_free(const struct tl_peer *peers)
{
	unsigned n = 0;
	for (const struct tl_peer *p = peers; p; p = p->next)
		n += p->state == TL_PEER_ST_ACTIVE && !p->am_choking;
	return n < TL_SLOTS_REGULAR + 1;
}

static bool is_stalled(struct tl_peer *p, uint64_t now)
{
	return !p->am_choking && tl_peer_out_len(p) > 0 && now - p->last_drain_ms >= TL_CHOKER_STALL_MS;
}

void tl_slots_run(struct tl_slots *s, struct tl_peer *peers, bool is_complete)
{
	size_t n = 0;
	for (struct tl_peer *p = peers; p; p = p->next)
		n += p->state == TL_PEER_ST_ACTIVE;
	if (n == 0)
		return;
	uint64_t now = tl_now_ms();
	s->rechoke_ms = now;
	struct tl_choker_peer *cp = tl_calloc(n, sizeof(*cp));
	struct tl_peer **ps = tl_calloc(n, sizeof(*ps));
	bool *unchoke = tl_calloc(n, sizeof(*unchoke));
	size_t i = 0;
	for (struct tl_peer *p = peers; p; p = p->next) {
		if (p->state != TL_PEER_ST_ACTIVE)
			continue;
		ps[i] = p;
		cp[i].key = p->serial;
		cp[i].is_interested = p->peer_interested;
		cp[i].is_snubbed = p->is_snubbed;
		cp[i].is_unchoked = !p->am_choking;
		cp[i].rate_down = (uint64_t)p->down_rate;
		cp[i].rate_up = (uint64_t)p->up_rate;
		cp[i].last_unchoked = p->last_unchoked_ms;
		cp[i].is_stalled = is_stalled(p, now);
		i++;
	}
	tl_choker_run(&s->choker, cp, n, TL_SLOTS_REGULAR + 1, is_complete, now, unchoke);
	for (i = 0; i < n; i++)
		tl_slots_set(ps[i], !unchoke[i]);
	free(cp);
	free(ps);
	free(unchoke);
}

void tl_slots_interested(struct tl_slots *s, struct tl_peer *peers, struct tl_peer *p,
    bool is_complete)
{
	if (tl_slots_has_free(peers)) {
		tl_slots_set(p, false);
		return;
	}
	/* No slot is free: if one is held by a peer that does not read, choke
	 * again now (at most once a second) rather than at the next
	 * TL_SLOTS_INTERVAL_S. */
	uint64_t now = tl_now_ms();
	if (now - s->rechoke_ms < 1000)
		return;
	for (struct tl_peer *o = peers; o; o = o->next)
		if (o->state == TL_PEER_ST_ACTIVE && is_stalled(o, now)) {
			tl_slots_run(s, peers, is_complete);
			return;
		}
}

struct tl_peer *tl_slots_idle_peer(struct tl_peer *peers, unsigned npeers, uint64_t now_ms,
    uint64_t *since_out)
{
	if (npeers == 0)
		return NULL;
	struct tl_slot_peer *sp = tl_calloc(npeers, sizeof(*sp));
	struct tl_peer **who = tl_calloc(npeers, sizeof(*who));
	size_t n = 0;
	for (struct tl_peer *p = peers; p && n < npeers; p = p->next) {
		/* one sending a message is not idle (its deadline bounds it) */
		if (p->state != TL_PEER_ST_ACTIVE || tl_peer_is_mid_message(p))
			continue;
		sp[n] = (struct tl_slot_peer){ .is_interested = p->peer_interested,
			.am_interested = p->am_interested, .active_ms = p->active_ms,
			.last_data_ms = p->last_data_ms };
		who[n++] = p;
	}
	size_t i = tl_choker_pick_idle(sp, n, now_ms);
	struct tl_peer *idle = i < n ? who[i] : NULL;
	if (idle)
		*since_out = sp[i].last_data_ms > sp[i].active_ms ? sp[i].last_data_ms : sp[i].active_ms;
	free(sp);
	free(who);
	return idle;
}
