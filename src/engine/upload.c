/* upload.c: the upload side of a torrent; see upload.h. */
#include "engine/upload.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "io/peer.h"
#include "proto/wire.h"

/*
 * A piece read whole for uploads. Reference counted: the cache holds one
 * reference while the piece is linked in up->cache, each block queued in
 * a peer's output holds one; the last one frees it. up is NULL once the
 * piece was evicted while blocks of it were queued (a peer's output may
 * outlive the torrent).
 */
struct tl_upload_piece {
	struct tl_disk_job job; /* the read (up valid while is_loading) */
	struct tl_upload *up;
	uint32_t index;
	uint32_t len;
	unsigned refs;
	unsigned nqueued;       /* blocks of it in peers' outputs */
	bool is_loading;
	uint64_t stamp;         /* LRU clock at the last use */
	uint8_t *buf;
	struct tl_upload_piece *next;
};

void tl_upload_init(struct tl_upload *up, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, struct tl_piecebuf *bufs, const struct tl_bitfield *unverified,
    tl_upload_read_fn read_fn, void *read_arg)
{
	memset(up, 0, sizeof(*up));
	up->disk = disk;
	up->store = store;
	up->l = l;
	up->bufs = bufs;
	up->unverified = unverified;
	up->read_fn = read_fn;
	up->read_arg = read_arg;
}

static void upiece_unref(struct tl_upload_piece *u)
{
	if (--u->refs > 0)
		return;
	/* Spare buffers save the next reads their page faults (a fresh 1 MiB
	 * buffer costs 256 faults, twice the seeder's CPU at full speed);
	 * more than TL_UPLOAD_SPARE_BYTES would only hold memory after a
	 * burst. */
	if (u->up)
		tl_piecebuf_put_within(u->up->bufs, u->buf, TL_UPLOAD_SPARE_BYTES);
	else
		free(u->buf);
	free(u);
}

/* A block of u left for the socket (or its peer was freed). */
static void block_sent(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	struct tl_upload_piece *u = arg;
	if (--u->nqueued == 0 && u->up)
		u->up->pinned_bytes -= u->len;
	upiece_unref(u);
}

/* Unlink u from the cache; blocks still queued keep it alive, detached
 * (only a torrent being freed evicts such a piece). */
static void upiece_evict(struct tl_upload *up, struct tl_upload_piece *u)
{
	for (struct tl_upload_piece **pp = &up->cache; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	up->cache_bytes -= u->len;
	if (u->nqueued > 0) {
		up->pinned_bytes -= u->len;
		u->up = NULL;
	}
	upiece_unref(u);
}

void tl_upload_clear(struct tl_upload *up)
{
	while (up->cache)
		upiece_evict(up, up->cache);
}

static void upiece_read_done(struct tl_disk_job *job)
{
	struct tl_upload_piece *u = (struct tl_upload_piece *)job;
	struct tl_upload *up = u->up;
	uint32_t index = u->index;
	u->is_loading = false;
	enum tl_upload_read res = TL_UPLOAD_READ_OK;
	if (job->status == TL_DISK_HASH_FAIL) {
		upiece_evict(up, u);
		res = TL_UPLOAD_READ_DAMAGED;
	} else if (job->status == TL_DISK_OK && job->is_hashed) {
		res = TL_UPLOAD_READ_VERIFIED;
	} else if (job->status != TL_DISK_OK) {
		upiece_evict(up, u);
		res = TL_UPLOAD_READ_FAILED;
	}
	up->read_fn(up->read_arg, index, res);
}

/* Piece index from the cache, its read started when absent. Idle pieces
 * (no block queued) are evicted, least recently used first, to keep them
 * within TL_UPLOAD_CACHE_BYTES; pieces in use are never evicted, so the
 * cache exceeds it by the pinned pieces (TL_UPLOAD_PIN_BYTES, or one
 * piece) and those being read. */
static struct tl_upload_piece *upiece_get(struct tl_upload *up, uint32_t index)
{
	for (struct tl_upload_piece *u = up->cache; u; u = u->next)
		if (u->index == index) {
			u->stamp = ++up->clock;
			return u;
		}
	uint32_t len = tl_layout_piece_len(up->l, index);
	/* Pinned pieces (referenced by queued blocks) have their own bound
	 * (TL_UPLOAD_PIN_BYTES): they do not take the idle ones' room. */
	while (up->cache && up->cache_bytes - up->pinned_bytes + len > TL_UPLOAD_CACHE_BYTES) {
		struct tl_upload_piece *victim = NULL;
		for (struct tl_upload_piece *u = up->cache; u; u = u->next)
			if (!u->is_loading && u->refs == 1 && (!victim || u->stamp < victim->stamp))
				victim = u;
		if (!victim)
			break;
		upiece_evict(up, victim);
	}
	struct tl_upload_piece *u = tl_calloc(1, sizeof(*u));
	u->up = up;
	u->index = index;
	u->len = len;
	u->refs = 1;
	u->is_loading = true;
	u->stamp = ++up->clock;
	u->buf = tl_piecebuf_get(up->bufs);
	u->job.op = TL_DISK_READ;
	u->job.store = up->store;
	u->job.piece = index;
	u->job.begin = 0;
	u->job.len = len;
	u->job.buf = u->buf;
	u->job.done = upiece_read_done;
	u->job.is_hashed = up->unverified->bits && tl_bitfield_get(up->unverified, index);
	u->next = up->cache;
	up->cache = u;
	up->cache_bytes += len;
	tl_disk_submit(up->disk, &u->job);
	return u;
}

void tl_upload_serve(struct tl_upload *up, struct tl_peer *p)
{
	size_t done = 0;
	while (p->state == TL_PEER_ST_ACTIVE && !p->am_choking && done < p->nin_reqs &&
	    tl_peer_out_len(p) < TL_UPLOAD_OUT_BYTES) {
		struct tl_peer_req r = p->in_reqs[done];
		struct tl_upload_piece *u = upiece_get(up, r.index);
		if (u->is_loading)
			break;
		done++;
		if (u->nqueued > 0 || up->pinned_bytes == 0 ||
		    up->pinned_bytes + u->len <= TL_UPLOAD_PIN_BYTES) {
			if (u->nqueued++ == 0)
				up->pinned_bytes += u->len;
			u->refs++;
			tl_peer_send_block_ref(p, r.index, r.begin, u->buf + r.begin, r.len, block_sent, u);
		} else {
			tl_peer_send_block(p, r.index, r.begin, u->buf + r.begin, r.len);
		}
		up->uploaded += r.len;
	}
	if (done > 0 && p->state == TL_PEER_ST_ACTIVE) {
		p->last_data_ms = tl_now_ms();
		p->nin_reqs -= done;
		memmove(p->in_reqs, p->in_reqs + done, p->nin_reqs * sizeof(*p->in_reqs));
	}
}

void tl_upload_request(struct tl_upload *up, struct tl_peer *p, bool is_had, uint32_t index,
    uint32_t begin, uint32_t len)
{
	if (!is_had || p->am_choking) {
		if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, index, begin, len);
		return;
	}
	if (p->nin_reqs >= TL_PEER_OUR_REQQ) {
		if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, index, begin, len);
		else
			tl_peer_close(p, "request queue overflow");
		return;
	}
	struct tl_peer_req r = { index, begin, len };
	p->in_reqs[p->nin_reqs++] = r;
	tl_upload_serve(up, p);
}

void tl_upload_cancel(struct tl_peer *p, uint32_t index, uint32_t begin, uint32_t len)
{
	for (size_t i = 0; i < p->nin_reqs; i++) {
		struct tl_peer_req *r = &p->in_reqs[i];
		if (r->index == index && r->begin == begin && r->len == len) {
			memmove(r, r + 1, (p->nin_reqs - i - 1) * sizeof(*r));
			p->nin_reqs--;
			/* BEP 6: a cancelled request still gets an answer. */
			if (p->lim.has_fast)
				tl_peer_send_req(p, TL_WIRE_REJECT, index, begin, len);
			return;
		}
	}
}

void tl_upload_reject_all(struct tl_peer *p)
{
	if (p->lim.has_fast)
		for (size_t i = 0; i < p->nin_reqs; i++)
			tl_peer_send_req(p, TL_WIRE_REJECT, p->in_reqs[i].index, p->in_reqs[i].begin,
			    p->in_reqs[i].len);
	p->nin_reqs = 0;
}

void tl_upload_drop_piece(struct tl_peer *p, uint32_t index)
{
	size_t k = 0;
	for (size_t i = 0; i < p->nin_reqs; i++) {
		struct tl_peer_req r = p->in_reqs[i];
		if (r.index != index)
			p->in_reqs[k++] = r;
		else if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, r.index, r.begin, r.len);
	}
	p->nin_reqs = k;
}

bool tl_upload_is_reading(const struct tl_upload *up)
{
	for (const struct tl_upload_piece *u = up->cache; u; u = u->next)
		if (u->is_loading)
			return true;
	return false;
}
