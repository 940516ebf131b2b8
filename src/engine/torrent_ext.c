/* torrent_ext.c: see torrent_ext.h. */
#include "engine/torrent_ext.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/bounds.h"
#include "base/err.h"
#include "proto/ext.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "engine/torrent.h"
#include "proto/ut_metadata.h"
#include "proto/ut_pex.h"
#include "proto/wire.h"

static const char client_version[] = "trackless " PACKAGE_VERSION;

void tl_tx_send_hs(struct tl_peer *p, uint32_t metadata_size, uint16_t listen_port)
{
	struct tl_ext_hs hs;
	memset(&hs, 0, sizeof(hs));
	hs.ids[TL_EXT_UT_METADATA] = TL_EXT_LOCAL_UT_METADATA;
	hs.ids[TL_EXT_UT_PEX] = TL_EXT_LOCAL_UT_PEX;
	hs.has_id[TL_EXT_UT_METADATA] = hs.has_id[TL_EXT_UT_PEX] = true;
	hs.has_port = listen_port != 0;
	hs.port = listen_port;
	hs.has_reqq = true;
	hs.reqq = TL_PEER_OUR_REQQ;
	hs.has_metadata_size = metadata_size != 0;
	hs.metadata_size = metadata_size;
	hs.v = (const uint8_t *)client_version;
	hs.v_len = sizeof(client_version) - 1;
	if (p->addr.ss_family == AF_INET) {
		memcpy(hs.yourip, &((const struct sockaddr_in *)&p->addr)->sin_addr, 4);
		hs.yourip_len = 4;
	} else if (p->addr.ss_family == AF_INET6) {
		memcpy(hs.yourip, &((const struct sockaddr_in6 *)&p->addr)->sin6_addr, 16);
		hs.yourip_len = 16;
	}
	uint8_t buf[TL_EXT_HS_MAX_LEN];
	size_t n = tl_ext_hs_build(&hs, buf, sizeof(buf));
	if (n > 0)
		tl_peer_send_ext(p, 0, buf, n, NULL, 0);
}

int tl_tx_parse_hs(struct tl_peer *p, const uint8_t *payload, size_t len, const char **why_out)
{
	struct tl_ext_hs hs;
	if (tl_ext_hs_parse(payload, len, &hs, why_out) != TL_OK)
		return TL_EINVAL;
	tl_ext_merge(p->ext_ids, &hs);
	if (hs.has_metadata_size)
		p->ext_metadata_size = hs.metadata_size;
	if (hs.has_port)
		p->ext_port = hs.port;
	if (hs.has_reqq) {
		p->peer_reqq = hs.reqq;
		/* The first depth must not exceed what the peer queues either. */
		if (p->max_reqs > hs.reqq)
			p->max_reqs = hs.reqq < TL_PEER_MIN_REQS ? TL_PEER_MIN_REQS : hs.reqq;
	}
	p->has_ext_hs = true;
	return TL_OK;
}

static void contact_addr(const struct tl_pex_peer *c, struct sockaddr_storage *ss, socklen_t *len_out)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, c->addr, 4);
		a->sin_port = htons(c->port);
		*len_out = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, c->addr, 16);
		a->sin6_port = htons(c->port);
		*len_out = sizeof(*a);
	}
}

int tl_tx_pex_each(const uint8_t *payload, size_t len, tl_tx_addr_fn fn, void *arg,
    const char **why_out)
{
	struct tl_pex_msg m;
	if (tl_pex_parse(payload, len, &m, why_out) != TL_OK)
		return TL_EINVAL;
	static const enum tl_pex_list lists[2] = { TL_PEX_ADDED, TL_PEX_ADDED6 };
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < m.count[lists[l]]; i++) {
			struct tl_pex_peer c;
			tl_pex_get(&m, lists[l], i, &c);
			if (c.port == 0)
				continue;
			struct sockaddr_storage ss;
			socklen_t sl;
			contact_addr(&c, &ss, &sl);
			fn(arg, (struct sockaddr *)&ss, sl);
		}
	return TL_OK;
}

/* Our BEP 10 handshake as a torrent's: with metadata_size; PEX soon. */
static void send_torrent_hs(struct tl_torrent *t, struct tl_peer *p)
{
	if (!p->lim.has_extended)
		return;
	tl_tx_send_hs(p, (uint32_t)tl_torrent_metainfo(t)->info_len, tl_torrent_context(t)->listen_port);
	p->pex_next_ms = tl_now_ms() + TL_TX_PEX_FIRST_MS;
}

void tl_tx_ready(struct tl_torrent *t, struct tl_peer *p)
{
	const struct tl_torrent_ctx *ctx = tl_torrent_context(t);
	if (p->state != TL_PEER_ST_ACTIVE)
		return;
	send_torrent_hs(t, p);
	if ((p->features & TL_HS_F_DHT) && ctx->dht_port) {
		struct tl_wire_msg m = { .id = TL_WIRE_PORT, .port = ctx->dht_port };
		tl_peer_send(p, &m);
	}
}

void tl_tx_adopted(struct tl_torrent *t, struct tl_peer *p)
{
	if (p->state == TL_PEER_ST_ACTIVE)
		send_torrent_hs(t, p);
}

/* BEP 9: answer a request with the piece of our info dictionary. */
static void serve_metadata(struct tl_torrent *t, struct tl_peer *p, const uint8_t *payload, size_t len)
{
	struct tl_utm_msg m;
	const char *why = NULL;
	int rc = tl_utm_parse(payload, len, &m, &why);
	if (rc == TL_ENOTSUP)
		return;
	if (rc != TL_OK) {
		tl_peer_close(p, why);
		return;
	}
	if (m.type != TL_UTM_REQUEST || !p->ext_ids[TL_EXT_UT_METADATA])
		return; /* data or reject: we have the metadata already */
	const struct tl_metainfo *mi = tl_torrent_metainfo(t);
	uint32_t total = (uint32_t)mi->info_len;
	uint8_t head[TL_UTM_MAX_HEAD];
	uint8_t id = p->ext_ids[TL_EXT_UT_METADATA];
	if (m.piece >= tl_utm_npieces(total)) {
		size_t n = tl_utm_build(TL_UTM_REJECT, m.piece, 0, head, sizeof(head));
		tl_peer_send_ext(p, id, head, n, NULL, 0);
		return;
	}
	size_t n = tl_utm_build(TL_UTM_DATA, m.piece, total, head, sizeof(head));
	tl_peer_send_ext(p, id, head, n, mi->info_raw + (size_t)m.piece * TL_METADATA_PIECE_LEN,
	    tl_utm_piece_len(total, m.piece));
}

void tl_tx_on_ext(struct tl_torrent *t, struct tl_peer *p, const struct tl_wire_msg *m,
    const uint8_t *payload, tl_tx_addr_fn pex_fn, void *pex_arg)
{
	const char *why = NULL;
	size_t len = m->payload_len;
	switch (m->ext_id) {
	case 0:
		if (tl_tx_parse_hs(p, payload, len, &why) != TL_OK)
			tl_peer_close(p, why);
		break;
	case TL_EXT_LOCAL_UT_METADATA:
		serve_metadata(t, p, payload, len);
		break;
	case TL_EXT_LOCAL_UT_PEX:
		if (tl_torrent_metainfo(t)->is_private)
			break; /* BEP 27: no PEX for private torrents */
		if (tl_tx_pex_each(payload, len, pex_fn, pex_arg, &why) != TL_OK)
			tl_peer_close(p, why);
		break;
	default:
		break; /* an id we never announced: ignore (BEP 10) */
	}
}

void tl_tx_on_port(struct tl_torrent *t, struct tl_peer *p, uint16_t port)
{
	const struct tl_torrent_ctx *ctx = tl_torrent_context(t);
	if (!ctx->on_dht_node || port == 0)
		return;
	struct sockaddr_storage ss = p->addr;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	ctx->on_dht_node(ctx->dht_arg, (struct sockaddr *)&ss, p->addrlen);
}

/* The address a peer accepts connections on: where we dialed it, or its
 * IP with the "p" of its handshake; false when unknown. */
static bool listen_contact(const struct tl_peer *p, struct tl_pex_peer *c)
{
	memset(c, 0, sizeof(*c));
	uint16_t port;
	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&p->addr;
		c->family = 4;
		memcpy(c->addr, &a->sin_addr, 4);
		port = ntohs(a->sin_port);
	} else if (p->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&p->addr;
		c->family = 6;
		memcpy(c->addr, &a->sin6_addr, 16);
		port = ntohs(a->sin6_port);
	} else {
		return false;
	}
	if (p->is_incoming)
		port = p->ext_port;
	if (port == 0)
		return false;
	c->port = port;
	c->flags = (uint8_t)((p->is_incoming ? 0 : TL_PEX_F_REACHABLE) |
	    (p->have.n && tl_bitfield_all(&p->have) ? TL_PEX_F_SEED : 0));
	return true;
}

/* True when a message went out. */
static bool send_pex(struct tl_peer *p, const struct tl_pex_peer *cur, size_t ncur)
{
	if (!p->pex) {
		p->pex = tl_malloc(sizeof(*p->pex));
		tl_pex_state_init(p->pex);
	}
	struct tl_pex_peer added[TL_PEX_MAX_SEND], dropped[TL_PEX_MAX_SEND];
	size_t na = 0, nd = 0;
	tl_pex_diff(p->pex, cur, ncur, added, TL_PEX_MAX_SEND, &na, dropped, TL_PEX_MAX_SEND, &nd);
	if (na == 0 && nd == 0)
		return false;
	uint8_t buf[TL_PEX_MAX_MSG_LEN];
	size_t n = tl_pex_build(added, na, dropped, nd, buf, sizeof(buf));
	if (n > 0)
		tl_peer_send_ext(p, p->ext_ids[TL_EXT_UT_PEX], buf, n, NULL, 0);
	return n > 0;
}

void tl_tx_tick(struct tl_torrent *t, uint64_t now_ms)
{
	if (tl_torrent_metainfo(t)->is_private)
		return;
	struct tl_peer *head = tl_torrent_peer_list(t);
	bool is_due = false;
	size_t npeers = 0;
	for (struct tl_peer *p = head; p; p = p->next) {
		npeers++;
		if (p->state == TL_PEER_ST_ACTIVE && p->ext_ids[TL_EXT_UT_PEX] && now_ms >= p->pex_next_ms)
			is_due = true;
	}
	if (!is_due)
		return;
	struct tl_pex_peer *all = tl_calloc(npeers, sizeof(*all));
	struct tl_peer **owners = tl_calloc(npeers, sizeof(*owners));
	size_t nall = 0;
	for (struct tl_peer *p = head; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && listen_contact(p, &all[nall]))
			owners[nall++] = p;
	struct tl_pex_peer *cur = tl_calloc(nall ? nall : 1, sizeof(*cur));
	for (struct tl_peer *p = head; p; p = p->next) {
		if (p->state != TL_PEER_ST_ACTIVE || !p->ext_ids[TL_EXT_UT_PEX] || now_ms < p->pex_next_ms)
			continue;
		size_t ncur = 0;
		for (size_t i = 0; i < nall; i++)
			if (owners[i] != p)
				cur[ncur++] = all[i];
		/* Nothing new: look again soon; a message: not before a minute. */
		p->pex_next_ms = now_ms + (send_pex(p, cur, ncur) ? TL_TX_PEX_PERIOD_MS : TL_TX_PEX_FIRST_MS);
	}
	free(cur);
	free(owners);
	free(all);
}
