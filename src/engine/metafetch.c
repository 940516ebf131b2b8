/* metafetch.c: see metafetch.h. */
#include "engine/metafetch.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "proto/early_have.h"
#include "base/err.h"
#include "proto/ext.h"
#include "base/fdlimit.h"
#include "proto/handshake.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/peer.h"
#include "base/sockaddr.h"
#include "engine/torrent.h"
#include "engine/torrent_ext.h"
#include "proto/ut_metadata.h"
#include "proto/wire.h"

enum cand_state {
	C_IDLE = 0,   /* not connected; dial when next_try is due */
	C_DIALING,    /* TCP connect or handshake in progress */
	C_ACTIVE,     /* handshakes done */
	C_UNREACHABLE,/* never reached after several tries */
	C_NO_UTM,     /* no extension protocol or no ut_metadata */
	C_BANNED,     /* sent bad metadata */
	C_GONE,       /* connected to us and left; its address is not a listener */
	C_HANDED,     /* its connection went to the torrent (tl_mf_handover) */
};

struct mf_req {
	uint32_t piece;
	uint64_t sent_ms;
};

struct cand {
	struct sockaddr_storage addr;
	socklen_t len;
	enum cand_state st;
	uint64_t next_try;   /* 0: never tried */
	unsigned fails;      /* consecutive failed connections */
	struct tl_peer *p;   /* while DIALING or ACTIVE */
	uint64_t serial;     /* key of its requests in the assembler */
	struct mf_req reqs[TL_MF_PEER_REQS];
	size_t nreqs;
	bool is_benched;     /* no more requests: other metadata_size, or it rejected */
	bool is_incoming;    /* it connected to us: addr has its outgoing port */
	struct tl_early_have eh; /* what it said it has (while p is set) */
};

struct tl_metafetch {
	const struct tl_torrent_ctx *ctx;
	struct tl_infohash ih;
	tl_mf_done_fn fn;
	void *arg;
	struct tl_handshake hs;
	struct cand *c;
	size_t n, cap;
	struct tl_utm_asm *a;
	bool is_single_source; /* after a hash failure with several sources */
	bool is_done;
	unsigned hash_fails;
};

/* Dial attempts before an address is given up as unreachable. */
#define MAX_DIAL_FAILS 3u

size_t tl_mf_pick_dial(const uint64_t *next_try, const bool *is_dialable, size_t n, uint64_t now_ms)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (!is_dialable[i] || next_try[i] > now_ms)
			continue;
		if (next_try[i] == 0)
			return i;
		if (best == n || next_try[i] < next_try[best])
			best = i;
	}
	return best;
}

static struct cand *cand_of(struct tl_metafetch *mf, const struct tl_peer *p)
{
	for (size_t i = 0; i < mf->n; i++)
		if (mf->c[i].p == p)
			return &mf->c[i];
	return NULL;
}

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
	           sizeof(struct in6_addr)) == 0;
}

/* a is on the host of a candidate banned for bad metadata. */
static bool is_banned_host(const struct tl_metafetch *mf, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < mf->n; i++)
		if (mf->c[i].st == C_BANNED && same_ip(&mf->c[i].addr, a))
			return true;
	return false;
}

static void drop_reqs(struct tl_metafetch *mf, struct cand *c)
{
	if (mf->a && c->nreqs)
		tl_utm_asm_release(mf->a, c->serial);
	c->nreqs = 0;
}

static void remove_req(struct cand *c, uint32_t piece)
{
	for (size_t i = 0; i < c->nreqs; i++)
		if (c->reqs[i].piece == piece) {
			c->reqs[i] = c->reqs[--c->nreqs];
			return;
		}
}

/* Someone other than c holds requests (single-source mode). */
static bool other_busy(const struct tl_metafetch *mf, const struct cand *c)
{
	for (size_t i = 0; i < mf->n; i++)
		if (&mf->c[i] != c && mf->c[i].nreqs > 0)
			return true;
	return false;
}

static void fill(struct tl_metafetch *mf, struct cand *c)
{
	if (!mf->a || mf->is_done || c->st != C_ACTIVE || c->is_benched || !c->p->ext_ids[TL_EXT_UT_METADATA])
		return;
	if (mf->is_single_source && other_busy(mf, c))
		return;
	uint64_t now = tl_now_ms();
	uint32_t piece;
	while (c->nreqs < TL_MF_PEER_REQS && tl_utm_asm_next(mf->a, c->serial, &piece) == TL_OK) {
		uint8_t head[TL_UTM_MAX_HEAD];
		size_t n = tl_utm_build(TL_UTM_REQUEST, piece, 0, head, sizeof(head));
		tl_peer_send_ext(c->p, c->p->ext_ids[TL_EXT_UT_METADATA], head, n, NULL, 0);
		c->reqs[c->nreqs++] = (struct mf_req){ .piece = piece, .sent_ms = now };
	}
}

static void fill_all(struct tl_metafetch *mf)
{
	for (size_t i = 0; i < mf->n; i++)
		fill(mf, &mf->c[i]);
}

static void ban(struct tl_metafetch *mf, struct cand *c, const char *why)
{
	tl_info("metadata: banning %s: %s", c->p ? c->p->name : "peer", why);
	c->st = C_BANNED;
	if (c->p)
		tl_peer_close(c->p, why);
	(void)mf;
}

static void reconsider_size(struct tl_metafetch *mf, bool is_forced);

/* The metadata did not hash to the infohash: blame its senders. */
static void hash_failed(struct tl_metafetch *mf)
{
	mf->hash_fails++;
	uint32_t np = tl_utm_npieces(tl_utm_asm_total_size(mf->a));
	uint64_t first = tl_utm_asm_source(mf->a, 0);
	bool is_one = true;
	for (uint32_t i = 1; i < np; i++)
		if (tl_utm_asm_source(mf->a, i) != first)
			is_one = false;
	for (size_t i = 0; i < mf->n; i++) {
		struct cand *c = &mf->c[i];
		if (is_one && c->serial == first && (c->st == C_ACTIVE || c->st == C_DIALING))
			ban(mf, c, "metadata does not match the infohash");
		c->nreqs = 0;
	}
	if (!is_one)
		mf->is_single_source = true;
	reconsider_size(mf, true);
}

static void done(struct tl_metafetch *mf)
{
	size_t len = 0;
	const uint8_t *info = tl_utm_asm_data(mf->a, &len);
	mf->is_done = true;
	tl_info("metadata: %zu bytes verified", len);
	mf->fn(mf->arg, info, len);
}

/* A peer's handshake named a size: make the assembler or check it. */
static void got_size(struct tl_metafetch *mf, struct cand *c)
{
	uint32_t size = c->p->ext_metadata_size;
	if (!mf->a)
		mf->a = tl_utm_asm_new(&mf->ih, size);
	c->is_benched = mf->a && tl_utm_asm_total_size(mf->a) != size;
	fill(mf, c);
}

/*
 * The assembler's size came from the first handshake; a liar may have
 * named it. When no connected peer that is not banned agrees with it any
 * more (or the whole failed its hash), start over with the size of the
 * peers still here.
 */
static void reconsider_size(struct tl_metafetch *mf, bool is_forced)
{
	if (mf->is_done)
		return;
	uint32_t size = mf->a ? tl_utm_asm_total_size(mf->a) : 0;
	for (size_t i = 0; i < mf->n && mf->a && !is_forced; i++) {
		const struct cand *c = &mf->c[i];
		if (c->st == C_ACTIVE && c->p->has_ext_hs && c->p->ext_metadata_size == size)
			return;
	}
	tl_utm_asm_free(mf->a);
	mf->a = NULL;
	for (size_t i = 0; i < mf->n; i++) {
		struct cand *c = &mf->c[i];
		c->nreqs = 0;
		c->is_benched = false;
		if (c->st == C_ACTIVE && c->p->has_ext_hs && c->p->ext_metadata_size)
			got_size(mf, c);
	}
}

static void on_utm(struct tl_metafetch *mf, struct cand *c, const uint8_t *payload, size_t len)
{
	struct tl_utm_msg m;
	const char *why = NULL;
	int rc = tl_utm_parse(payload, len, &m, &why);
	if (rc == TL_ENOTSUP)
		return;
	if (rc != TL_OK) {
		ban(mf, c, why);
		return;
	}
	if (m.type == TL_UTM_REQUEST) {
		uint8_t head[TL_UTM_MAX_HEAD];
		size_t n = tl_utm_build(TL_UTM_REJECT, m.piece, 0, head, sizeof(head));
		if (c->p->ext_ids[TL_EXT_UT_METADATA])
			tl_peer_send_ext(c->p, c->p->ext_ids[TL_EXT_UT_METADATA], head, n, NULL, 0);
		return;
	}
	if (!mf->a || mf->is_done)
		return;
	remove_req(c, m.piece);
	if (m.type == TL_UTM_REJECT) {
		tl_utm_asm_reject(mf->a, c->serial, m.piece);
		/* It has the torrent but will not share it now: ask others. */
		c->is_benched = true;
		drop_reqs(mf, c);
		fill_all(mf);
		return;
	}
	rc = tl_utm_asm_add(mf->a, c->serial, m.piece, m.total_size, payload + m.data_off, m.data_len, &why);
	if (rc == TL_OK) {
		done(mf);
	} else if (rc == TL_EINVAL) {
		ban(mf, c, why);
		fill_all(mf);
	} else if (rc == TL_EIO) {
		tl_info("metadata: %s", why);
		hash_failed(mf);
		fill_all(mf);
	} else {
		fill(mf, c);
	}
}

/* ---- peer callbacks ---- */

static void mf_ready(struct tl_peer *p)
{
	struct tl_metafetch *mf = p->owner;
	struct cand *c = cand_of(mf, p);
	if (!c)
		return;
	if (memcmp(p->remote.peer_id.b, mf->ctx->peer_id.b, 20) == 0) {
		c->st = C_UNREACHABLE;
		tl_peer_close(p, "connected to ourselves");
		return;
	}
	if (!p->lim.has_extended) {
		c->st = C_NO_UTM;
		tl_peer_close(p, "no extension protocol (BEP 10)");
		return;
	}
	c->st = C_ACTIVE;
	c->fails = 0;
	/* BEP 6: exactly one of BITFIELD, HAVE_ALL, HAVE_NONE, first. The
	 * torrent that takes this connection sends HAVEs from then on. */
	if (p->lim.has_fast)
		tl_peer_send_simple(p, TL_WIRE_HAVE_NONE);
	tl_tx_send_hs(p, 0, mf->ctx->listen_port);
	if ((p->features & TL_HS_F_DHT) && mf->ctx->dht_port) {
		struct tl_wire_msg m = { .id = TL_WIRE_PORT, .port = mf->ctx->dht_port };
		tl_peer_send(p, &m);
	}
}

/* An incoming peer named its listen port: its address becomes one to
 * dial (again, or by the torrent), unless that address is known already. */
static void learn_listen_port(struct tl_metafetch *mf, struct cand *c, uint16_t port)
{
	struct sockaddr_storage a = c->addr;
	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
	for (size_t i = 0; i < mf->n; i++)
		if (&mf->c[i] != c && tl_sockaddr_same((const struct sockaddr *)&mf->c[i].addr, (const struct sockaddr *)&a))
			return;
	c->addr = a;
	c->is_incoming = false;
}

static void pex_cb(void *arg, const struct sockaddr *sa, socklen_t len)
{
	tl_mf_add_peer(arg, sa, len);
}

/*
 * A BEP 3 / BEP 6 message before the piece count is known: what the peer
 * has is kept (bounded) and its choke and interest tracked, so the
 * torrent can take the connection over as it stands; a request is
 * refused (we choke everyone while fetching the metadata).
 */
static void on_wire(struct cand *c, const struct tl_wire_msg *m, const uint8_t *payload)
{
	struct tl_peer *p = c->p;
	const char *why = NULL;
	int rc = TL_OK;
	switch (m->id) {
	case TL_WIRE_CHOKE:
	case TL_WIRE_UNCHOKE:
		p->peer_choking = m->id == TL_WIRE_CHOKE;
		break;
	case TL_WIRE_INTERESTED:
	case TL_WIRE_NOT_INTERESTED:
		p->peer_interested = m->id == TL_WIRE_INTERESTED;
		break;
	case TL_WIRE_BITFIELD:
		rc = tl_early_have_bitfield(&c->eh, payload, m->payload_len, &why);
		break;
	case TL_WIRE_HAVE_ALL:
		tl_early_have_all(&c->eh);
		break;
	case TL_WIRE_HAVE_NONE:
		tl_early_have_none(&c->eh);
		break;
	case TL_WIRE_HAVE:
		rc = tl_early_have_have(&c->eh, m->index, &why);
		break;
	case TL_WIRE_REQUEST:
		if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, m->index, m->begin, m->length);
		break;
	default:
		break; /* cancel, reject, suggest, allowed fast: nothing asked */
	}
	if (rc != TL_OK)
		tl_peer_close(p, why);
}

static void mf_msg(struct tl_peer *p, const struct tl_wire_msg *m, const uint8_t *payload)
{
	struct tl_metafetch *mf = p->owner;
	struct cand *c = cand_of(mf, p);
	const char *why = NULL;
	if (!c)
		return;
	if (m->id == TL_WIRE_PORT && m->port && mf->ctx->on_dht_node) {
		struct sockaddr_storage ss = p->addr;
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(m->port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(m->port);
		mf->ctx->on_dht_node(mf->ctx->dht_arg, (struct sockaddr *)&ss, p->addrlen);
		return;
	}
	if (m->id != TL_WIRE_EXTENDED) {
		on_wire(c, m, payload);
		return;
	}
	switch (m->ext_id) {
	case 0:
		if (tl_tx_parse_hs(p, payload, m->payload_len, &why) != TL_OK) {
			ban(mf, c, why);
			return;
		}
		if (c->is_incoming && p->ext_port)
			learn_listen_port(mf, c, p->ext_port);
		if (!p->ext_ids[TL_EXT_UT_METADATA] || !p->ext_metadata_size) {
			c->st = C_NO_UTM;
			tl_peer_close(p, "no ut_metadata (BEP 9)");
			return;
		}
		got_size(mf, c);
		break;
	case TL_EXT_LOCAL_UT_METADATA:
		on_utm(mf, c, payload, m->payload_len);
		break;
	case TL_EXT_LOCAL_UT_PEX:
		if (tl_tx_pex_each(payload, m->payload_len, pex_cb, mf, &why) != TL_OK)
			tl_peer_close(p, why);
		break;
	default:
		break;
	}
}

static void mf_block(struct tl_peer *p, const struct tl_wire_msg *m)
{
	tl_peer_skip_block(p, m->payload_len);
	tl_peer_close(p, "a block we did not ask for");
}

static void mf_close(struct tl_peer *p, const char *reason)
{
	struct tl_metafetch *mf = p->owner;
	struct cand *c = cand_of(mf, p);
	if (!c)
		return;
	tl_debug("metadata: %s closed: %s", p->name, reason);
	drop_reqs(mf, c);
	tl_early_have_clear(&c->eh);
	c->p = NULL;
	if (c->is_incoming && (c->st == C_DIALING || c->st == C_ACTIVE)) {
		c->st = C_GONE;
	} else if (c->st == C_DIALING || c->st == C_ACTIVE) {
		bool was_active = c->st == C_ACTIVE;
		c->fails = was_active ? 0 : c->fails + 1;
		c->st = c->fails >= MAX_DIAL_FAILS ? C_UNREACHABLE : C_IDLE;
		c->next_try = tl_now_ms() + (was_active ? 5000u : 2000u << c->fails);
	}
	if (!mf->is_done) {
		reconsider_size(mf, false);
		fill_all(mf);
	}
}

static const struct tl_peer_ops mf_ops = {
	.on_ready = mf_ready,
	.on_msg = mf_msg,
	.on_block = mf_block,
	.on_close = mf_close,
};

/* ---- API ---- */

struct tl_metafetch *tl_mf_new(const struct tl_torrent_ctx *ctx, const struct tl_infohash *ih, tl_mf_done_fn fn,
    void *arg)
{
	struct tl_metafetch *mf = tl_calloc(1, sizeof(*mf));
	mf->ctx = ctx;
	mf->ih = *ih;
	mf->fn = fn;
	mf->arg = arg;
	/* The torrent's bits: a connection handed over keeps what it
	 * negotiated (BEP 6 REJECT and HAVE_ALL included). */
	tl_handshake_reserved(TL_HS_F_FAST | TL_HS_F_EXTENDED | (ctx->dht_port ? TL_HS_F_DHT : 0), mf->hs.reserved);
	mf->hs.infohash = *ih;
	mf->hs.peer_id = ctx->peer_id;
	return mf;
}

void tl_mf_free(struct tl_metafetch *mf)
{
	if (!mf)
		return;
	for (size_t i = 0; i < mf->n; i++) {
		if (mf->c[i].p)
			tl_peer_close(mf->c[i].p, "metadata fetch over");
		tl_early_have_clear(&mf->c[i].eh);
	}
	tl_utm_asm_free(mf->a);
	free(mf->c);
	free(mf);
}

/* A new candidate at sa (the caller checked the family, the length and
 * that there is room). The pointer is valid until the next one. */
static struct cand *new_cand(struct tl_metafetch *mf, const struct sockaddr *sa, socklen_t len)
{
	if (mf->n == mf->cap) {
		mf->cap = mf->cap ? mf->cap * 2 : 16;
		mf->c = tl_realloc(mf->c, mf->cap * sizeof(*mf->c));
	}
	struct cand *c = &mf->c[mf->n++];
	memset(c, 0, sizeof(*c));
	memcpy(&c->addr, sa, len);
	c->len = len;
	return c;
}

void tl_mf_add_peer(struct tl_metafetch *mf, const struct sockaddr *sa, socklen_t len)
{
	socklen_t need = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) || len < need ||
	    len > sizeof(struct sockaddr_storage))
		return;
	for (size_t i = 0; i < mf->n; i++)
		if (tl_sockaddr_same((const struct sockaddr *)&mf->c[i].addr, sa))
			return;
	if (mf->n == TL_MF_MAX_CANDIDATES)
		return;
	new_cand(mf, sa, len);
	if (!mf->is_done)
		tl_mf_tick(mf, tl_now_ms());
}

static size_t count_state(const struct tl_metafetch *mf, enum cand_state st)
{
	size_t n = 0;
	for (size_t i = 0; i < mf->n; i++)
		n += mf->c[i].st == st;
	return n;
}

/* Connections we opened (is_incoming false) or others did (true): each
 * kind has its own TL_MF_MAX_CONNS, so dials to dead addresses never make
 * us refuse a live peer that reached us, nor the reverse. */
static size_t count_busy(const struct tl_metafetch *mf, bool is_incoming)
{
	size_t n = 0;
	for (size_t i = 0; i < mf->n; i++)
		n += (mf->c[i].st == C_DIALING || mf->c[i].st == C_ACTIVE) && mf->c[i].is_incoming == is_incoming;
	return n;
}

static void dial(struct tl_metafetch *mf, struct cand *c)
{
	c->p = tl_peer_connect(mf->ctx->base, mf->ctx->closeq, (struct sockaddr *)&c->addr, c->len, mf->ctx->bind_addr,
	    mf->ctx->bind_len, &mf->hs, &mf_ops, mf);
	if (!c->p) {
		c->fails++;
		c->next_try = tl_now_ms() + (2000u << c->fails);
		c->st = c->fails >= MAX_DIAL_FAILS ? C_UNREACHABLE : C_IDLE;
		return;
	}
	c->serial = c->p->serial;
	c->st = C_DIALING;
	c->next_try = tl_now_ms();
}

int tl_mf_take_incoming(struct tl_metafetch *mf, struct tl_peer *p)
{
	if (mf->is_done || count_busy(mf, true) >= TL_MF_MAX_CONNS || mf->n == TL_MF_MAX_CANDIDATES ||
	    (p->addr.ss_family != AF_INET && p->addr.ss_family != AF_INET6))
		return -1;
	if (is_banned_host(mf, &p->addr))
		return -1;
	struct cand *c = new_cand(mf, (const struct sockaddr *)&p->addr, p->addrlen);
	c->is_incoming = true;
	c->st = C_DIALING; /* until both handshakes are done, as when we dial */
	c->p = p;
	c->serial = p->serial;
	c->next_try = tl_now_ms();
	tl_peer_attach(p, &mf->hs, &mf_ops, mf);
	return 0;
}

void tl_mf_tick(struct tl_metafetch *mf, uint64_t now_ms)
{
	if (mf->is_done)
		return;
	/* Requests that took too long go to someone else. */
	for (size_t i = 0; i < mf->n; i++) {
		struct cand *c = &mf->c[i];
		for (size_t r = 0; r < c->nreqs; r++)
			if (now_ms - c->reqs[r].sent_ms > TL_MF_REQ_TIMEOUT_MS) {
				tl_info("metadata: %s too slow", c->p ? c->p->name : "peer");
				drop_reqs(mf, c);
				if (c->p)
					tl_peer_close(c->p, "metadata request timed out");
				break;
			}
	}
	size_t busy = count_busy(mf, false);
	if (busy >= TL_MF_MAX_CONNS || mf->n == 0)
		return;
	uint64_t *next = tl_calloc(mf->n, sizeof(*next));
	bool *ok = tl_calloc(mf->n, sizeof(*ok));
	for (size_t i = 0; i < mf->n; i++) {
		next[i] = mf->c[i].next_try;
		ok[i] = mf->c[i].st == C_IDLE;
	}
	while (busy < TL_MF_MAX_CONNS) {
		size_t i = tl_mf_pick_dial(next, ok, mf->n, now_ms);
		if (i == mf->n || !tl_fdlimit_take(mf->ctx->fds))
			break; /* no one due, or descriptors kept for the disk (fdlimit.h) */
		ok[i] = false;
		dial(mf, &mf->c[i]);
		busy++;
	}
	free(ok);
	free(next);
	fill_all(mf);
}

void tl_mf_stats(const struct tl_metafetch *mf, struct tl_mf_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->candidates = mf->n;
	out->connecting = count_state(mf, C_DIALING);
	out->connected = count_state(mf, C_ACTIVE);
	out->unreachable = count_state(mf, C_UNREACHABLE);
	out->no_utm = count_state(mf, C_NO_UTM);
	out->banned = count_state(mf, C_BANNED);
	out->hash_fails = mf->hash_fails;
	if (mf->a) {
		uint32_t total = tl_utm_asm_total_size(mf->a);
		out->pieces_total = tl_utm_npieces(total);
		out->pieces_have = tl_utm_asm_is_complete(mf->a) ? out->pieces_total : 0;
	}
}

const char *tl_mf_stuck_reason(const struct tl_mf_stats *st, long dht_nodes)
{
	if (st->connected > 0 || st->connecting > 0)
		return NULL;
	if (st->candidates == 0)
		return dht_nodes == 0 ? "no DHT nodes" : "no peers found yet";
	if (st->no_utm > 0 && st->no_utm >= st->unreachable)
		return "peers do not support ut_metadata";
	if (st->unreachable > 0)
		return "peers unreachable";
	return NULL;
}

size_t tl_mf_good_peers(const struct tl_metafetch *mf, struct sockaddr_storage *out, socklen_t *lens, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < mf->n && k < max; i++)
		if (mf->c[i].st != C_BANNED && mf->c[i].st != C_NO_UTM && mf->c[i].st != C_GONE && !mf->c[i].is_incoming) {
			out[k] = mf->c[i].addr;
			lens[k++] = mf->c[i].len;
		}
	return k;
}

size_t tl_mf_handover(struct tl_metafetch *mf, struct tl_torrent *t)
{
	size_t n = 0;
	for (size_t i = 0; i < mf->n; i++) {
		struct cand *c = &mf->c[i];
		struct tl_peer *p = c->p;
		if (c->st != C_ACTIVE || !p || p->state != TL_PEER_ST_ACTIVE || is_banned_host(mf, &c->addr))
			continue;
		/* Unlinked first: from here on p's callbacks go to the torrent,
		 * and a close below finds no candidate. */
		drop_reqs(mf, c);
		c->p = NULL;
		c->st = C_HANDED;
		const char *why = NULL;
		if (tl_torrent_adopt(t, p, &c->eh, &why) == 0)
			n++;
		else
			tl_peer_close(p, why);
		tl_early_have_clear(&c->eh);
	}
	tl_info("metadata: %zu connection%s carried on into the download", n, n == 1 ? "" : "s");
	return n;
}
