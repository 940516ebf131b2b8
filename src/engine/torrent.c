/* torrent.c: see torrent.h. */
#include "engine/torrent.h"
#include "engine/torrent_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitfield.h"
#include "base/bounds.h"
#include "proto/choker.h"
#include "io/diskio.h"
#include "proto/early_have.h"
#include "base/err.h"
#include "proto/ext.h"
#include "base/fdlimit.h"
#include "codec/layout.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "proto/picker.h"
#include "engine/resume.h"
#include "base/sockaddr.h"
#include "engine/torrent_ext.h"
#include "proto/wire.h"

#define BLOCK TL_MAX_BLOCK_LEN
/* BEP 3 choking: four regular unchokes plus one optimistic. */
#define UNCHOKE_SLOTS 4u
#define CHOKE_INTERVAL_S 10u
/* Uploads: queued output per peer, in bytes; idle pieces kept read for
 * uploads; pieces that blocks queued in peers' outputs reference. A
 * referenced piece lives until the last of its blocks is written, however
 * slowly its peer reads, so past UPIN_BYTES blocks are copied into the
 * output instead: a peer that never reads then holds its output and no
 * more, and pieces pinned by references stay within max(UPIN_BYTES, one
 * piece) for the whole torrent. */
#define MAX_OUT_BYTES (4u * 1024 * 1024)
#define UCACHE_BYTES (8u * 1024 * 1024)
#define UPIN_BYTES (8u * 1024 * 1024)
#define UPLOAD_SPARE_BYTES (4u * 1024 * 1024)
/* Piece buffers kept for reuse (at most this many pieces' worth of
 * memory over max_inflight while downloading). */
#define SPARE_BUFS 4u
#define PIECE_BUF_ALIGN 4096u
/* A peer that sent data of this many failed pieces is banned. */
#define BAN_HASH_FAILS 3u
/* No block for this long with requests out: snubbed. */
#define SNUB_MS 30000u
/* Peer requests we honour before asking the peer's reqq (BEP 10 absent). */
#define DEFAULT_PEER_REQQ 250u
/* Peers scored when a piece fails its hash; blocks asked per picker call. */
#define MAX_SENDERS 16u
#define FILL_BATCH 64u

void tl_torrent_emit(struct tl_torrent *t, enum tl_torrent_event ev)
{
	if (t->fn)
		t->fn(t, ev, t->fn_arg);
}

static struct tl_peer *find_serial(struct tl_torrent *t, uint64_t serial)
{
	for (struct tl_peer *p = t->peers; p; p = p->next)
		if (p->serial == serial)
			return p;
	return NULL;
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

static bool is_banned(const struct tl_torrent *t, const struct sockaddr_storage *a)
{
	for (size_t i = 0; i < t->nbanned; i++)
		if (same_host(&t->banned[i], a))
			return true;
	return false;
}

/* ---- interest and requests ---- */

static void update_interest(struct tl_torrent *t, struct tl_peer *p)
{
	/* While the startup check runs only peers handed over by the
	 * metadata fetch are here; they hear of our pieces once it is done
	 * (tl_torrent_checked_peers), and we want nothing before. */
	if (p->state != TL_PEER_ST_ACTIVE || t->is_checking)
		return;
	/* Seeding existing data never writes: nothing to want. */
	bool want = !t->opts.is_read_only && p->have.bits &&
	    tl_picker_is_interesting(t->picker, &p->have);
	if (want != p->am_interested) {
		p->am_interested = want;
		tl_peer_send_simple(p, want ? TL_WIRE_INTERESTED : TL_WIRE_NOT_INTERESTED);
	}
}

static struct active_piece *find_active(struct tl_torrent *t, uint32_t index)
{
	for (struct active_piece *ap = t->active; ap; ap = ap->next)
		if (ap->index == index)
			return ap;
	return NULL;
}

/* Forget our request i of p without an answer (choke, reject, snub). */
static void drop_req(struct tl_torrent *t, struct tl_peer *p, size_t i)
{
	struct tl_peer_req r = p->reqs[i];
	p->reqs[i] = p->reqs[--p->nreqs];
	tl_picker_abort(t->picker, p->serial, r.index, r.begin);
}

static void drop_all_reqs(struct tl_torrent *t, struct tl_peer *p)
{
	tl_picker_peer_abort_all(t->picker, p->serial);
	p->nreqs = 0;
}

static void remove_req(struct tl_peer *p, uint32_t index, uint32_t begin)
{
	for (size_t k = 0; k < p->nreqs; k++)
		if (p->reqs[k].index == index && p->reqs[k].begin == begin) {
			p->reqs[k] = p->reqs[--p->nreqs];
			return;
		}
}

/* A piece buffer aligned for O_DIRECT writes (see diskio.c); free() frees
 * it. */
static uint8_t *piece_buf_new(size_t len)
{
	void *b = NULL;
	if (posix_memalign(&b, PIECE_BUF_ALIGN, len) != 0)
		abort(); /* out of memory, as tl_malloc */
	return b;
}

static struct active_piece *start_piece(struct tl_torrent *t, uint32_t index)
{
	struct active_piece *ap = tl_calloc(1, sizeof(*ap));
	ap->t = t;
	ap->index = index;
	ap->len = tl_layout_piece_len(&t->l, index);
	ap->buf = t->nspare > 0 ? t->spare_bufs[--t->nspare] : piece_buf_new(t->l.piece_len);
	ap->next = t->active;
	t->active = ap;
	t->inflight_bytes += ap->len;
	return ap;
}

static void free_piece(struct tl_torrent *t, struct active_piece *ap)
{
	for (struct active_piece **pp = &t->active; *pp; pp = &(*pp)->next)
		if (*pp == ap) {
			*pp = ap->next;
			break;
		}
	t->inflight_bytes -= ap->len;
	if (t->nspare < SPARE_BUFS)
		t->spare_bufs[t->nspare++] = ap->buf;
	else
		free(ap->buf);
	free(ap);
}

/*
 * Keep p's pipeline full with blocks the picker chooses. At the memory
 * bound only pieces that already have a buffer may be picked (the picker
 * sees p's pieces narrowed to them), so buffers exceed max_inflight by at
 * most what one call can start: FILL_BATCH blocks, or one piece.
 */
static void fill_requests(struct tl_torrent *t, struct tl_peer *p)
{
	if (p->state != TL_PEER_ST_ACTIVE || p->peer_choking || !p->am_interested ||
	    t->is_stopping || t->is_failed || t->is_checking)
		return;
	while (p->nreqs < p->max_reqs) {
		const struct tl_bitfield *has = &p->have;
		if (t->inflight_bytes > 0 && t->inflight_bytes + t->l.piece_len > t->opts.max_inflight) {
			tl_bitfield_unset_all(&t->scratch);
			for (struct active_piece *ap = t->active; ap; ap = ap->next)
				if (!ap->is_writing && tl_bitfield_get(&p->have, ap->index))
					tl_bitfield_set(&t->scratch, ap->index);
			has = &t->scratch;
		}
		if (p->nreqs == 0)
			p->last_block_ms = tl_now_ms(); /* the snub clock starts now */
		struct tl_block b[FILL_BATCH];
		size_t room = p->max_reqs - p->nreqs;
		size_t n = tl_picker_next(t->picker, has, p->serial, room < FILL_BATCH ? room : FILL_BATCH, b);
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++) {
			if (!find_active(t, b[i].piece))
				start_piece(t, b[i].piece);
			if (p->nreqs == p->reqs_cap) {
				p->reqs_cap = p->reqs_cap ? p->reqs_cap * 2 : 64;
				p->reqs = tl_reallocarray(p->reqs, p->reqs_cap, sizeof(*p->reqs));
			}
			struct tl_peer_req r = { b[i].piece, b[i].begin, b[i].length };
			p->reqs[p->nreqs++] = r;
			tl_peer_send_req(p, TL_WIRE_REQUEST, r.index, r.begin, r.len);
		}
	}
}

static void fill_all(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->peers; p; p = p->next)
		fill_requests(t, p);
}

/* ---- pieces done ---- */

void tl_torrent_set_have(struct tl_torrent *t, uint32_t index)
{
	if (!tl_bitfield_set(&t->have, index))
		return;
	tl_picker_piece_verified(t->picker, index);
	if (tl_bitfield_unset(&t->need, index))
		t->have_bytes += tl_layout_piece_len(&t->l, index);
	t->is_ckpt_dirty = true;
}

void tl_torrent_check_complete(struct tl_torrent *t)
{
	if (t->is_complete || t->need.count > 0 || t->is_checking)
		return;
	t->is_complete = true;
	tl_info("torrent %s: complete", t->mi->name);
	tl_torrent_checkpoint(t);
	tl_torrent_emit(t, TL_TEV_COMPLETE);
	/* Two seeds have nothing to say to each other. */
	for (struct tl_peer *p = t->peers; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && tl_bitfield_all(&p->have))
			tl_peer_close(p, "both complete");
}

static void ban_peer(struct tl_torrent *t, struct tl_peer *p)
{
	t->banned = tl_reallocarray(t->banned, t->nbanned + 1, sizeof(*t->banned));
	t->banned[t->nbanned++] = p->addr;
	tl_peer_close(p, "banned: sent data that failed the hash check");
}

static void write_done(struct tl_disk_job *job)
{
	struct active_piece *ap = job->arg;
	struct tl_torrent *t = ap->t;
	uint32_t index = ap->index;
	enum tl_disk_status status = job->status;
	int sys_err = job->sys_err;
	size_t err_file = job->err_file;
	t->jobs--;
	free_piece(t, ap); /* frees job too */
	if (status == TL_DISK_OK) {
		tl_torrent_set_have(t, index);
		for (struct tl_peer *p = t->peers; p; p = p->next)
			if (p->state == TL_PEER_ST_ACTIVE)
				tl_peer_send_have(p, index);
		for (struct tl_peer *p = t->peers; p; p = p->next)
			update_interest(t, p);
		tl_torrent_check_complete(t);
	} else if (status == TL_DISK_HASH_FAIL) {
		t->hash_fails++;
		tl_warn("torrent %s: piece %u failed its hash check", t->mi->name, index);
		uint64_t senders[MAX_SENDERS];
		size_t n = tl_picker_piece_senders(t->picker, index, senders, MAX_SENDERS);
		tl_picker_piece_failed(t->picker, index);
		for (size_t i = 0; i < n; i++) {
			struct tl_peer *p = find_serial(t, senders[i]);
			if (p && p->state == TL_PEER_ST_ACTIVE && ++p->hash_fails >= BAN_HASH_FAILS)
				ban_peer(t, p);
		}
	} else {
		tl_picker_piece_failed(t->picker, index);
		tl_torrent_write_failed(t, index, sys_err, err_file);
		return;
	}
	if (!t->is_stopping)
		fill_all(t);
}

static void piece_received(struct tl_torrent *t, struct active_piece *ap)
{
	ap->is_writing = true;
	memset(&ap->job, 0, sizeof(ap->job));
	ap->job.op = TL_DISK_WRITE;
	ap->job.store = t->store;
	ap->job.piece = ap->index;
	ap->job.buf = ap->buf;
	ap->job.done = write_done;
	ap->job.arg = ap;
	t->jobs++;
	tl_disk_submit(t->ctx.disk, &ap->job);
}

/* ---- uploads ---- */

static void serve(struct tl_torrent *t, struct tl_peer *p);

static void serve_all(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->peers; p; p = p->next)
		serve(t, p);
}

static void upiece_unref(struct upload_piece *u)
{
	if (--u->refs > 0)
		return;
	/* Spare buffers save the next reads their page faults (a fresh 1 MiB
	 * buffer costs 256 faults, twice the seeder's CPU at full speed);
	 * more than UPLOAD_SPARE_BYTES would only hold memory after a burst. */
	struct tl_torrent *t = u->t;
	if (t && t->nspare < SPARE_BUFS &&
	    (t->nspare == 0 || (uint64_t)(t->nspare + 1) * t->l.piece_len <= UPLOAD_SPARE_BYTES))
		t->spare_bufs[t->nspare++] = u->buf;
	else
		free(u->buf);
	free(u);
}

/* A block of u left for the socket (or its peer was freed). */
static void block_sent(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	struct upload_piece *u = arg;
	if (--u->nqueued == 0 && u->t)
		u->t->upinned_bytes -= u->len;
	upiece_unref(u);
}

/* Unlink u from the cache; blocks still queued keep it alive, detached
 * from the torrent (only a torrent being freed evicts such a piece). */
static void upiece_evict(struct tl_torrent *t, struct upload_piece *u)
{
	for (struct upload_piece **pp = &t->ucache; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	t->ucache_bytes -= u->len;
	if (u->nqueued > 0) {
		t->upinned_bytes -= u->len;
		u->t = NULL;
	}
	upiece_unref(u);
}

/* Requests for a piece that cannot be read are refused (BEP 6) or
 * dropped. */
static void drop_in_reqs(struct tl_peer *p, uint32_t index)
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

/* Seed mode: piece index failed its hash the first time it was read, so
 * it is no longer had. It was announced, so the requests for it get an
 * answer: a peer with the fast extension a REJECT for each (BEP 6; later
 * ones are refused by on_request as for any piece we lack). A peer
 * without it cannot be told that a request will not be served, and no
 * message takes back a HAVE: it would wait for those blocks and ask for
 * the piece again. So such a peer that lacks the piece is closed, as a
 * client does when it cannot honour what it announced; if it comes back,
 * our fresh BITFIELD leaves the piece out. */
static void piece_damaged(struct tl_torrent *t, uint32_t index)
{
	tl_bitfield_unset(&t->unverified, index);
	/* Requests queued for it, even when found damaged already (by the
	 * background pass while this read ran), are never served. */
	for (struct tl_peer *p = t->peers; p; p = p->next)
		drop_in_reqs(p, index);
	if (!tl_bitfield_unset(&t->have, index))
		return;
	if (tl_bitfield_get(&t->wanted, index) && tl_bitfield_set(&t->need, index))
		t->have_bytes -= tl_layout_piece_len(&t->l, index);
	t->is_complete = false;
	t->is_ckpt_dirty = true;
	t->damaged++;
	t->last_damaged = index;
	struct tl_layout_iter it;
	struct tl_layout_seg seg;
	t->last_damaged_file = NULL;
	tl_layout_iter_init(&it, &t->l, index, 0, tl_layout_piece_len(&t->l, index));
	while (!t->last_damaged_file && tl_layout_iter_next(&it, &seg))
		if (!seg.is_pad)
			t->last_damaged_file = tl_disk_store_path(t->store, seg.file);
	tl_err("torrent %s: piece %u (in %s) is damaged: its data does not match the torrent; "
	    "it is not served", t->mi->name, index,
	    t->last_damaged_file ? t->last_damaged_file : "padding");
	for (struct tl_peer *p = t->peers; p; p = p->next) {
		if (p->state == TL_PEER_ST_ACTIVE && !p->lim.has_fast &&
		    !(p->have.bits && tl_bitfield_get(&p->have, index)))
			tl_peer_close(p, "a piece we announced is damaged");
	}
	tl_torrent_emit(t, TL_TEV_DAMAGED);
}

static void bg_verify_more(struct tl_torrent *t);

static void upiece_read_done(struct tl_disk_job *job)
{
	struct upload_piece *u = (struct upload_piece *)job;
	struct tl_torrent *t = u->t;
	t->jobs--;
	u->is_loading = false;
	if (job->status == TL_DISK_HASH_FAIL) {
		uint32_t index = u->index;
		upiece_evict(t, u);
		piece_damaged(t, index);
	} else if (job->status == TL_DISK_OK && job->is_hashed) {
		tl_bitfield_unset(&t->unverified, u->index);
		t->is_ckpt_dirty = true;
	} else if (job->status != TL_DISK_OK) {
		uint32_t index = u->index;
		tl_warn("torrent %s: cannot read piece %u to upload it", t->mi->name, index);
		upiece_evict(t, u);
		for (struct tl_peer *p = t->peers; p; p = p->next)
			drop_in_reqs(p, index);
	}
	serve_all(t);
	bg_verify_more(t);
}

/* ---- seed mode: the background pass ---- */

static void bg_verify_done(struct tl_disk_job *job)
{
	struct tl_torrent *t = job->arg;
	t->jobs--;
	t->is_bg_verifying = false;
	if (t->is_stopping)
		return;
	if (job->status == TL_DISK_OK) {
		tl_bitfield_unset(&t->unverified, job->piece);
		t->is_ckpt_dirty = true;
	} else if (job->status == TL_DISK_HASH_FAIL && tl_bitfield_get(&t->unverified, job->piece)) {
		piece_damaged(t, job->piece);
	}
	if (t->unverified.count == 0)
		tl_info("torrent %s: every piece is verified", t->mi->name);
	bg_verify_more(t);
}

/* Seed mode: while pieces are unverified and no upload read is in flight,
 * verify the next one, one piece at a time (reads go ahead of it in the
 * disk queue, and it waits for them here), so uploads are not slowed. */
static void bg_verify_more(struct tl_torrent *t)
{
	if (t->is_bg_verifying || t->unverified.count == 0 || t->is_stopping || t->is_checking)
		return;
	for (const struct upload_piece *u = t->ucache; u; u = u->next)
		if (u->is_loading)
			return; /* tried again when the read is done, or at the next tick */
	uint32_t i = tl_bitfield_next_set(&t->unverified, t->bg_next);
	if (i >= t->l.npieces)
		i = tl_bitfield_next_set(&t->unverified, 0);
	t->bg_next = i + 1;
	t->is_bg_verifying = true;
	memset(&t->bg_job, 0, sizeof(t->bg_job));
	t->bg_job.op = TL_DISK_VERIFY;
	t->bg_job.store = t->store;
	t->bg_job.piece = i;
	t->bg_job.done = bg_verify_done;
	t->bg_job.arg = t;
	t->jobs++;
	tl_disk_submit(t->ctx.disk, &t->bg_job);
}

/* Piece index from the cache, its read started when absent. Idle pieces
 * (no block queued) are evicted, least recently used first, to keep them
 * within UCACHE_BYTES; pieces in use are never evicted, so the cache
 * exceeds it by the pinned pieces (UPIN_BYTES, or one piece) and those
 * being read. */
static struct upload_piece *upiece_get(struct tl_torrent *t, uint32_t index)
{
	for (struct upload_piece *u = t->ucache; u; u = u->next)
		if (u->index == index) {
			u->stamp = ++t->ucache_clock;
			return u;
		}
	uint32_t len = tl_layout_piece_len(&t->l, index);
	/* Pinned pieces (referenced by queued blocks) have their own bound
	 * (UPIN_BYTES): they do not take the idle ones' room. */
	while (t->ucache && t->ucache_bytes - t->upinned_bytes + len > UCACHE_BYTES) {
		struct upload_piece *victim = NULL;
		for (struct upload_piece *u = t->ucache; u; u = u->next)
			if (!u->is_loading && u->refs == 1 && (!victim || u->stamp < victim->stamp))
				victim = u;
		if (!victim)
			break;
		upiece_evict(t, victim);
	}
	struct upload_piece *u = tl_calloc(1, sizeof(*u));
	u->t = t;
	u->index = index;
	u->len = len;
	u->refs = 1;
	u->is_loading = true;
	u->stamp = ++t->ucache_clock;
	u->buf = t->nspare > 0 ? t->spare_bufs[--t->nspare] : piece_buf_new(t->l.piece_len);
	u->job.op = TL_DISK_READ;
	u->job.store = t->store;
	u->job.piece = index;
	u->job.begin = 0;
	u->job.len = len;
	u->job.buf = u->buf;
	u->job.done = upiece_read_done;
	u->job.is_hashed = t->unverified.bits && tl_bitfield_get(&t->unverified, index);
	u->next = t->ucache;
	t->ucache = u;
	t->ucache_bytes += len;
	t->jobs++;
	tl_disk_submit(t->ctx.disk, &u->job);
	return u;
}

/* Send p's requests in order while its output has room; a piece still
 * being read stops the queue until upiece_read_done serves again. */
static void serve(struct tl_torrent *t, struct tl_peer *p)
{
	size_t done = 0;
	while (p->state == TL_PEER_ST_ACTIVE && !p->am_choking && done < p->nin_reqs &&
	    tl_peer_out_len(p) < MAX_OUT_BYTES) {
		struct tl_peer_req r = p->in_reqs[done];
		struct upload_piece *u = upiece_get(t, r.index);
		if (u->is_loading)
			break;
		done++;
		if (u->nqueued > 0 || t->upinned_bytes == 0 || t->upinned_bytes + u->len <= UPIN_BYTES) {
			if (u->nqueued++ == 0)
				t->upinned_bytes += u->len;
			u->refs++;
			tl_peer_send_block_ref(p, r.index, r.begin, u->buf + r.begin, r.len, block_sent, u);
		} else {
			tl_peer_send_block(p, r.index, r.begin, u->buf + r.begin, r.len);
		}
		t->uploaded += r.len;
	}
	if (done > 0 && p->state == TL_PEER_ST_ACTIVE) {
		p->last_data_ms = tl_now_ms();
		p->nin_reqs -= done;
		memmove(p->in_reqs, p->in_reqs + done, p->nin_reqs * sizeof(*p->in_reqs));
	}
}

static void reject_all(struct tl_peer *p)
{
	if (p->lim.has_fast)
		for (size_t i = 0; i < p->nin_reqs; i++)
			tl_peer_send_req(p, TL_WIRE_REJECT, p->in_reqs[i].index, p->in_reqs[i].begin,
			    p->in_reqs[i].len);
	p->nin_reqs = 0;
}

static void set_choke(struct tl_peer *p, bool choke)
{
	if (p->am_choking == choke || p->state != TL_PEER_ST_ACTIVE)
		return;
	p->am_choking = choke;
	if (!choke)
		p->last_unchoked_ms = tl_now_ms();
	tl_peer_send_simple(p, choke ? TL_WIRE_CHOKE : TL_WIRE_UNCHOKE);
	if (choke)
		reject_all(p);
}

static unsigned count_unchoked(const struct tl_torrent *t)
{
	unsigned n = 0;
	for (const struct tl_peer *p = t->peers; p; p = p->next)
		n += p->state == TL_PEER_ST_ACTIVE && !p->am_choking;
	return n;
}

/* Every CHOKE_INTERVAL_S: the choker (a pure policy) picks who gets the
 * UNCHOKE_SLOTS regular slots and the optimistic one. */
static void rechoke(struct tl_torrent *t);

static bool is_stalled(struct tl_peer *p, uint64_t now)
{
	return !p->am_choking && tl_peer_out_len(p) > 0 && now - p->last_drain_ms >= TL_CHOKER_STALL_MS;
}

/* A peer became interested and no slot is free: if a slot is held by a
 * peer that does not read, choke again now (at most once a second) rather
 * than at the next CHOKE_INTERVAL_S. */
static void rechoke_for(struct tl_torrent *t)
{
	uint64_t now = tl_now_ms();
	if (now - t->rechoke_ms < 1000)
		return;
	for (struct tl_peer *p = t->peers; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && is_stalled(p, now)) {
			rechoke(t);
			return;
		}
}

static void rechoke(struct tl_torrent *t)
{
	size_t n = 0;
	for (struct tl_peer *p = t->peers; p; p = p->next)
		n += p->state == TL_PEER_ST_ACTIVE;
	if (n == 0)
		return;
	uint64_t now = tl_now_ms();
	t->rechoke_ms = now;
	struct tl_choker_peer *cp = tl_calloc(n, sizeof(*cp));
	struct tl_peer **ps = tl_calloc(n, sizeof(*ps));
	bool *unchoke = tl_calloc(n, sizeof(*unchoke));
	size_t i = 0;
	for (struct tl_peer *p = t->peers; p; p = p->next) {
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
	tl_choker_run(&t->choker, cp, n, UNCHOKE_SLOTS + 1, t->is_complete, now, unchoke);
	for (i = 0; i < n; i++)
		set_choke(ps[i], !unchoke[i]);
	free(cp);
	free(ps);
	free(unchoke);
}

/* ---- peer callbacks ---- */

/* Forget what p had (its availability), before a new have set. */
static void drop_have_set(struct tl_torrent *t, struct tl_peer *p)
{
	if (!p->have.bits)
		return;
	tl_picker_peer_lost(t->picker, &p->have);
	tl_bitfield_unset_all(&p->have);
}

static void on_close(struct tl_peer *p, const char *reason)
{
	(void)reason;
	struct tl_torrent *t = p->owner;
	for (struct tl_peer **pp = &t->peers; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	t->npeers--;
	(*t->ctx.total_peers)--;
	bool was_seed = p->have.n > 0 && tl_bitfield_all(&p->have);
	drop_have_set(t, p);
	tl_picker_peer_abort_all(t->picker, p->serial);
	p->nreqs = 0;
	uint64_t now = tl_now_ms();
	for (size_t i = 0; i < t->nknown; i++) {
		struct known_peer *k = &t->known[i];
		if (k->serial != p->serial)
			continue;
		k->serial = 0;
		if (!p->was_active)
			k->fails++;
		unsigned shift = k->fails < 6 ? k->fails : 6;
		k->next_try_ms = now + (1000u << shift);
		k->is_seed = was_seed;
	}
	if (!t->is_stopping)
		fill_all(t);
}

static bool initiator_lower(const struct tl_torrent *t, const struct tl_peer *a)
{
	/* The peer id of whoever dialed connection a. */
	const struct tl_peer_id *id = a->is_incoming ? &a->remote.peer_id : &t->ctx.peer_id;
	const struct tl_peer_id *other = a->is_incoming ? &t->ctx.peer_id : &a->remote.peer_id;
	return memcmp(id->b, other->b, 20) < 0;
}

/* Another ACTIVE connection to p's peer id: close one. True when p was
 * the one closed. */
static bool close_duplicate(struct tl_torrent *t, struct tl_peer *p)
{
	for (struct tl_peer *o = t->peers; o; o = o->next) {
		if (o == p || o->state != TL_PEER_ST_ACTIVE ||
		    memcmp(o->remote.peer_id.b, p->remote.peer_id.b, 20) != 0)
			continue;
		/* Both sides keep the connection dialed by the lower peer id
		 * (or the older one when the same side dialed both). */
		bool keep_new = o->is_incoming != p->is_incoming && initiator_lower(t, p);
		tl_peer_close(keep_new ? o : p, "duplicate connection");
		return !keep_new;
	}
	return false;
}

static void on_ready(struct tl_peer *p)
{
	struct tl_torrent *t = p->owner;
	if (memcmp(p->remote.peer_id.b, t->ctx.peer_id.b, 20) == 0) {
		tl_peer_close(p, "connected to ourselves");
		return;
	}
	for (size_t i = 0; i < t->nknown; i++)
		if (t->known[i].serial == p->serial) {
			t->known[i].has_id = true;
			t->known[i].id = p->remote.peer_id;
			t->known[i].fails = 0;
		}
	if (close_duplicate(t, p))
		return;
	tl_info("peer %s: connected (%s)", p->name, p->is_incoming ? "incoming" : "outgoing");
	if (p->lim.has_fast && t->have.count == t->have.n)
		tl_peer_send_simple(p, TL_WIRE_HAVE_ALL);
	else if (p->lim.has_fast && t->have.count == 0)
		tl_peer_send_simple(p, TL_WIRE_HAVE_NONE);
	else if (t->have.count > 0)
		tl_peer_send_bitfield(p, &t->have);
	tl_tx_ready(t, p);
}

static void got_have_set(struct tl_torrent *t, struct tl_peer *p)
{
	tl_picker_peer_bitfield(t->picker, &p->have);
	if (t->is_complete && tl_bitfield_all(&p->have)) {
		tl_peer_close(p, "both complete");
		return;
	}
	update_interest(t, p);
	fill_requests(t, p);
}

static void on_request(struct tl_torrent *t, struct tl_peer *p, const struct tl_wire_msg *m)
{
	if (!tl_bitfield_get(&t->have, m->index) || p->am_choking) {
		if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, m->index, m->begin, m->length);
		return;
	}
	if (p->nin_reqs >= TL_PEER_OUR_REQQ) {
		if (p->lim.has_fast)
			tl_peer_send_req(p, TL_WIRE_REJECT, m->index, m->begin, m->length);
		else
			tl_peer_close(p, "request queue overflow");
		return;
	}
	struct tl_peer_req r = { m->index, m->begin, m->length };
	p->in_reqs[p->nin_reqs++] = r;
	serve(t, p);
}

static void on_cancel(struct tl_peer *p, const struct tl_wire_msg *m)
{
	for (size_t i = 0; i < p->nin_reqs; i++) {
		struct tl_peer_req *r = &p->in_reqs[i];
		if (r->index == m->index && r->begin == m->begin && r->len == m->length) {
			memmove(r, r + 1, (p->nin_reqs - i - 1) * sizeof(*r));
			p->nin_reqs--;
			/* BEP 6: a cancelled request still gets an answer. */
			if (p->lim.has_fast)
				tl_peer_send_req(p, TL_WIRE_REJECT, m->index, m->begin, m->length);
			return;
		}
	}
}

static void on_msg(struct tl_peer *p, const struct tl_wire_msg *m, const uint8_t *payload)
{
	struct tl_torrent *t = p->owner;
	const char *why = NULL;
	switch (m->id) {
	case TL_WIRE_CHOKE:
		p->peer_choking = true;
		drop_all_reqs(t, p);
		fill_all(t);
		break;
	case TL_WIRE_UNCHOKE:
		p->peer_choking = false;
		fill_requests(t, p);
		break;
	case TL_WIRE_INTERESTED:
		p->peer_interested = true;
		if (p->am_choking && count_unchoked(t) < UNCHOKE_SLOTS + 1)
			set_choke(p, false);
		else if (p->am_choking)
			rechoke_for(t);
		break;
	case TL_WIRE_NOT_INTERESTED:
		p->peer_interested = false;
		break;
	case TL_WIRE_HAVE:
		if (tl_bitfield_set(&p->have, m->index)) {
			tl_picker_peer_have(t->picker, m->index);
			if (t->is_complete && tl_bitfield_all(&p->have)) {
				tl_peer_close(p, "both complete");
				return;
			}
			if (!p->am_interested)
				update_interest(t, p);
			fill_requests(t, p);
		}
		break;
	case TL_WIRE_BITFIELD:
	case TL_WIRE_HAVE_ALL:
		/* BEP 3 puts BITFIELD first, but aria2 1.36 sends one after
		 * HAVE_NONE and requests: take a late one as a replacement. */
		if (p->nmsgs != 1)
			tl_debug("peer %s: late %s", p->name, tl_wire_name(m->id));
		drop_have_set(t, p);
		if (m->id == TL_WIRE_HAVE_ALL) {
			tl_bitfield_set_all(&p->have);
		} else if (tl_bitfield_from_wire(&p->have, payload, m->payload_len, &why) != 0) {
			tl_peer_close(p, why);
			return;
		}
		got_have_set(t, p);
		break;
	case TL_WIRE_REQUEST:
		on_request(t, p, m);
		break;
	case TL_WIRE_CANCEL:
		on_cancel(p, m);
		break;
	case TL_WIRE_REJECT:
		for (size_t i = 0; i < p->nreqs; i++)
			if (p->reqs[i].index == m->index && p->reqs[i].begin == m->begin) {
				drop_req(t, p, i);
				break;
			}
		break;
	case TL_WIRE_EXTENDED:
		tl_tx_on_ext(t, p, m, payload);
		break;
	case TL_WIRE_PORT:
		tl_tx_on_port(t, p, m->port);
		break;
	default:
		/* HAVE_NONE, SUGGEST, ALLOWED_FAST: nothing to do. */
		break;
	}
}

static void on_block(struct tl_peer *p, const struct tl_wire_msg *m)
{
	struct tl_torrent *t = p->owner;
	uint32_t len = (uint32_t)m->payload_len;
	remove_req(p, m->index, m->begin);
	p->down_bytes += len;
	p->down_tick += len;
	t->downloaded += len;
	t->down_tick += len;
	p->last_block_ms = p->last_data_ms = tl_now_ms();
	p->is_snubbed = false;
	uint64_t cancel[TL_PICKER_ENDGAME_DUP];
	size_t ncancel = 0;
	enum tl_picker_result res = tl_picker_received(t->picker, p->serial, m->index, m->begin, len,
	    cancel, TL_PICKER_ENDGAME_DUP, &ncancel);
	struct active_piece *ap = find_active(t, m->index);
	if ((res == TL_PICKER_NEW || res == TL_PICKER_DONE) && !ap)
		ap = start_piece(t, m->index); /* a late block of a piece given back */
	if ((res != TL_PICKER_NEW && res != TL_PICKER_DONE) || ap->is_writing) {
		/* Duplicate, late or unasked: drop the bytes. */
		tl_peer_skip_block(p, len);
	} else {
		tl_peer_take_block(p, ap->buf + m->begin, len);
		if (res == TL_PICKER_DONE)
			piece_received(t, ap);
	}
	/* Endgame: the others asked for this block need not send it. */
	for (size_t i = 0; i < ncancel; i++) {
		struct tl_peer *o = find_serial(t, cancel[i]);
		if (!o || o == p || o->state != TL_PEER_ST_ACTIVE)
			continue;
		tl_peer_send_req(o, TL_WIRE_CANCEL, m->index, m->begin, len);
		remove_req(o, m->index, m->begin);
	}
	fill_requests(t, p);
}

static void on_writable(struct tl_peer *p)
{
	serve(p->owner, p);
}

static const struct tl_peer_ops torrent_ops = {
	.on_ready = on_ready,
	.on_msg = on_msg,
	.on_block = on_block,
	.on_writable = on_writable,
	.on_close = on_close,
};

static void link_peer(struct tl_torrent *t, struct tl_peer *p)
{
	tl_peer_set_limits(p, t->l.npieces, t->l.piece_len,
	    tl_layout_piece_len(&t->l, t->l.npieces - 1));
	if (t->ctx.rate_group)
		tl_peer_set_rate_group(p, t->ctx.rate_group);
	p->next = t->peers;
	t->peers = p;
	t->npeers++;
	(*t->ctx.total_peers)++;
}

struct tl_peer *tl_torrent_idle_peer(struct tl_torrent *t, uint64_t now_ms, uint64_t *since_out)
{
	if (t->npeers == 0)
		return NULL;
	struct tl_slot_peer *sp = tl_calloc(t->npeers, sizeof(*sp));
	struct tl_peer **who = tl_calloc(t->npeers, sizeof(*who));
	size_t n = 0;
	for (struct tl_peer *p = t->peers; p && n < t->npeers; p = p->next) {
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

/* At the peer limit: drop the peer of t that has been idle longest, if one
 * is (tl_choker_pick_idle), so the newcomer gets its slot. */
static bool make_room(struct tl_torrent *t)
{
	uint64_t since;
	struct tl_peer *p = tl_torrent_idle_peer(t, tl_now_ms(), &since);
	if (p)
		tl_peer_close(p, "idle: its slot went to a new peer");
	return p != NULL;
}

int tl_torrent_take_incoming(struct tl_torrent *t, struct tl_peer *p)
{
	if (t->is_stopping || t->is_checking || !t->is_started || is_banned(t, &p->addr))
		return -1;
	if (t->npeers >= t->opts.max_peers && !make_room(t))
		return -1;
	/* the session's limit: the idlest peer of any torrent makes room */
	if (*t->ctx.total_peers >= t->ctx.max_total_peers && t->ctx.make_room &&
	    !t->ctx.make_room(t->ctx.make_room_arg))
		return -1;
	if (t->npeers >= t->opts.max_peers || *t->ctx.total_peers >= t->ctx.max_total_peers)
		return -1;
	tl_peer_attach(p, &t->hs, &torrent_ops, t);
	link_peer(t, p);
	return 0;
}

static void dial(struct tl_torrent *t, struct known_peer *k)
{
	struct tl_peer *p = tl_peer_connect(t->ctx.base, t->ctx.closeq,
	    (const struct sockaddr *)&k->addr, k->len, t->ctx.bind_addr, t->ctx.bind_len, &t->hs,
	    &torrent_ops, t);
	if (!p) {
		k->fails++;
		k->next_try_ms = tl_now_ms() + 5000;
		return;
	}
	k->serial = p->serial;
	link_peer(t, p);
}

static bool id_connected(const struct tl_torrent *t, const struct tl_peer_id *id)
{
	for (const struct tl_peer *p = t->peers; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && memcmp(p->remote.peer_id.b, id->b, 20) == 0)
			return true;
	return false;
}

void tl_torrent_dial_known(struct tl_torrent *t)
{
	if (!t->is_started || t->is_checking || t->is_stopping || t->is_failed)
		return;
	uint64_t now = tl_now_ms();
	for (size_t i = 0; i < t->nknown; i++) {
		struct known_peer *k = &t->known[i];
		if (k->serial || now < k->next_try_ms || t->npeers >= t->opts.max_peers ||
		    *t->ctx.total_peers >= t->ctx.max_total_peers || (t->is_complete && k->is_seed) ||
		    (k->has_id && id_connected(t, &k->id)) || is_banned(t, &k->addr))
			continue;
		if (!tl_fdlimit_take(t->ctx.fds))
			break; /* descriptors are kept for the disk (fdlimit.h) */
		dial(t, k);
	}
}

/* The entry of addr (len <= sizeof(struct sockaddr_storage)), added when
 * absent (*is_new_out says which). Valid until the next addition. */
static struct known_peer *known_get(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len,
    bool *is_new_out)
{
	struct sockaddr_storage a;
	memset(&a, 0, sizeof(a));
	memcpy(&a, addr, len);
	*is_new_out = false;
	for (size_t i = 0; i < t->nknown; i++)
		if (tl_sockaddr_same((const struct sockaddr *)&t->known[i].addr, (const struct sockaddr *)&a))
			return &t->known[i];
	if (t->nknown == t->known_cap) {
		t->known_cap = t->known_cap ? t->known_cap * 2 : 8;
		t->known = tl_reallocarray(t->known, t->known_cap, sizeof(*t->known));
	}
	struct known_peer *k = &t->known[t->nknown++];
	memset(k, 0, sizeof(*k));
	memcpy(&k->addr, addr, len);
	k->len = len;
	*is_new_out = true;
	return k;
}

void tl_torrent_add_peer(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len)
{
	if (len > sizeof(struct sockaddr_storage))
		return;
	/* Every DHT round, PEX message and tracker reply names the same
	 * peers again: one entry each, or a connected peer is dialed twice.
	 * A fresh report of one we failed to reach is worth a try now. */
	bool is_new;
	struct known_peer *k = known_get(t, addr, len, &is_new);
	if (!is_new && (k->serial || k->fails == 0))
		return;
	k->next_try_ms = 0;
	tl_torrent_dial_known(t);
}

/* ---- connections handed over by the metadata fetch ---- */

/* The address p accepts connections on: where it was dialed, or an
 * incoming peer's IP with the "p" of its extension handshake. */
static bool listen_addr(const struct tl_peer *p, struct sockaddr_storage *out)
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

/* p never heard of our pieces (its connection began before we had the
 * metadata, and a BITFIELD is only valid first, BEP 3): a HAVE for each,
 * then interest as for any peer. */
static void announce_to(struct tl_torrent *t, struct tl_peer *p)
{
	for (uint32_t i = tl_bitfield_next_set(&t->have, 0); i < t->have.n;
	    i = tl_bitfield_next_set(&t->have, i + 1))
		tl_peer_send_have(p, i);
	update_interest(t, p);
	fill_requests(t, p);
}

void tl_torrent_checked_peers(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->peers, *next; p; p = next) {
		next = p->next;
		if (p->state == TL_PEER_ST_ACTIVE)
			announce_to(t, p);
	}
}

int tl_torrent_adopt(struct tl_torrent *t, struct tl_peer *p, const struct tl_early_have *eh, const char **why_out)
{
	if (t->is_stopping || t->is_failed || !t->is_started || t->npeers >= t->opts.max_peers ||
	    *t->ctx.total_peers >= t->ctx.max_total_peers || is_banned(t, &p->addr)) {
		*why_out = "the torrent takes no more peers";
		return -1;
	}
	struct tl_bitfield have;
	tl_bitfield_init(&have, t->l.npieces);
	if (tl_early_have_apply(eh, &have, why_out) != TL_OK) {
		tl_bitfield_clear(&have);
		return -1;
	}
	tl_peer_attach(p, &t->hs, &torrent_ops, t);
	link_peer(t, p);
	tl_bitfield_clear(&p->have);
	p->have = have;
	tl_picker_peer_bitfield(t->picker, &p->have);
	/* Its listen address is held: not dialed while this lasts. */
	struct sockaddr_storage la;
	if (listen_addr(p, &la)) {
		bool is_new;
		struct known_peer *k = known_get(t, (const struct sockaddr *)&la, p->addrlen, &is_new);
		k->serial = p->serial;
		k->has_id = true;
		k->id = p->remote.peer_id;
		k->fails = 0;
	}
	tl_info("peer %s: carried on from the metadata fetch (%s, %u pieces)", p->name,
	    p->is_incoming ? "incoming" : "outgoing", p->have.count);
	if (close_duplicate(t, p))
		return 0;
	tl_tx_adopted(t, p);
	if (t->is_complete && tl_bitfield_all(&p->have)) {
		tl_peer_close(p, "both complete");
		return 0;
	}
	if (p->peer_interested && count_unchoked(t) < UNCHOKE_SLOTS + 1)
		set_choke(p, false);
	if (!t->is_checking)
		announce_to(t, p);
	return 0;
}

void tl_torrent_add_peer_from(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len,
    enum tl_peer_src src)
{
	t->peers_from[src]++;
	tl_torrent_add_peer(t, addr, len);
}

/* ---- the rest ---- */

void tl_torrent_tick(struct tl_torrent *t)
{
	t->ticks++;
	bg_verify_more(t);
	uint64_t now = tl_now_ms();
	const double a = 0.5; /* smoothing over about two seconds */
	t->down_rate = a * (double)t->down_tick + (1 - a) * t->down_rate;
	uint64_t up = 0;
	for (struct tl_peer *p = t->peers; p; p = p->next)
		up += p->up_tick;
	t->up_rate = a * (double)up + (1 - a) * t->up_rate;
	t->down_tick = 0;
	for (struct tl_peer *p = t->peers, *next; p; p = next) {
		next = p->next;
		p->down_rate = a * (double)p->down_tick + (1 - a) * p->down_rate;
		p->up_rate = a * (double)p->up_tick + (1 - a) * p->up_rate;
		p->down_tick = p->up_tick = 0;
		if (p->state != TL_PEER_ST_ACTIVE)
			continue;
		/* Pipeline depth from the bandwidth-delay product: two seconds
		 * of the measured rate, capped by what the peer will queue. */
		size_t depth = (size_t)(p->down_rate * 2 / BLOCK);
		if (depth < TL_PEER_MIN_REQS)
			depth = TL_PEER_MIN_REQS;
		size_t cap = p->peer_reqq ? p->peer_reqq : DEFAULT_PEER_REQQ;
		if (cap > TL_PEER_MAX_REQS)
			cap = TL_PEER_MAX_REQS;
		if (depth > cap)
			depth = cap;
		p->max_reqs = p->is_snubbed ? 1 : depth;
		if (p->nreqs > 0 && now - p->last_block_ms > SNUB_MS && !p->is_snubbed) {
			tl_info("peer %s: snubbed", p->name);
			p->is_snubbed = true;
			p->max_reqs = 1;
			drop_all_reqs(t, p);
		}
		if (now - p->last_send_ms > 100000) {
			static const uint8_t ka[4] = { 0 };
			tl_peer_send_raw(p, ka, 4);
			p->last_send_ms = now;
		}
		fill_requests(t, p);
	}
	if (t->ticks % CHOKE_INTERVAL_S == 0)
		rechoke(t);
	if (t->ticks % 2 == 0)
		tl_torrent_dial_known(t);
	if (t->is_ckpt_dirty && now - t->last_ckpt_ms >= TL_TORRENT_CHECKPOINT_S * 1000)
		tl_torrent_checkpoint(t);
	tl_tx_tick(t, now);
}

void tl_torrent_stop(struct tl_torrent *t)
{
	if (t->is_stopping)
		return;
	t->is_stopping = true;
	while (t->peers)
		tl_peer_close(t->peers, "stopping");
	/* A last checkpoint records the final mtimes for an instant restart
	 * (already done when the last one was quiescent: complete, say). */
	if (!t->is_ckpt_final)
		t->is_ckpt_dirty = true;
	tl_torrent_finish_stop(t);
}

struct tl_torrent *tl_torrent_new(const struct tl_torrent_ctx *ctx, struct tl_metainfo *mi_take,
    const struct tl_torrent_opts *opts, tl_torrent_event_fn fn, void *arg, const char **why_out)
{
	struct tl_torrent *t = tl_calloc(1, sizeof(*t));
	t->ctx = *ctx;
	t->opts = *opts;
	t->mi = mi_take;
	t->fn = fn;
	t->fn_arg = arg;
	if (!t->opts.max_peers)
		t->opts.max_peers = 50;
	if (!t->opts.max_inflight)
		t->opts.max_inflight = 32u * 1024 * 1024;
	t->dir = tl_strdup(opts->dir);
	t->opts.dir = t->dir;
	t->opts.only = t->opts.skip = NULL;
	t->opts.state_dir = NULL;
	if (!t->opts.is_read_only)
		t->opts.is_no_check = false; /* a download is always checked */
	if (tl_layout_init(&t->l, t->mi) != TL_OK) {
		*why_out = "the torrent's files do not add up to its length";
		goto fail;
	}
	bool *wanted = tl_calloc(t->l.nfiles, sizeof(*wanted));
	const char **paths = tl_calloc(t->l.nfiles, sizeof(*paths));
	for (size_t i = 0; i < t->l.nfiles; i++) {
		wanted[i] = true;
		paths[i] = t->mi->files[i].path;
	}
	int rc = TL_OK;
	if (opts->only)
		rc = tl_layout_select(&t->l, paths, opts->only, true, wanted, why_out);
	if (rc == TL_OK && opts->skip)
		rc = tl_layout_select(&t->l, paths, opts->skip, false, wanted, why_out);
	tl_bitfield_init(&t->wanted, t->l.npieces);
	tl_bitfield_init(&t->have, t->l.npieces);
	if (rc == TL_OK) {
		uint8_t *bits = tl_calloc(tl_bitfield_nbytes(t->l.npieces), 1);
		tl_layout_wanted_pieces(&t->l, wanted, bits);
		const char *why = NULL;
		tl_bitfield_from_wire(&t->wanted, bits, tl_bitfield_nbytes(t->l.npieces), &why);
		free(bits);
	}
	free(wanted);
	free(paths);
	if (rc != TL_OK)
		goto fail;
	tl_bitfield_init_copy(&t->need, &t->wanted);
	for (uint32_t i = 0; i < t->l.npieces; i++)
		if (tl_bitfield_get(&t->wanted, i))
			t->wanted_bytes += tl_layout_piece_len(&t->l, i);
	t->picker = tl_picker_new(t->l.npieces, t->l.piece_len, t->l.total_len, NULL,
	    (uint64_t)random() << 32 ^ (uint64_t)random());
	if (!t->picker) {
		*why_out = "the torrent's piece geometry is not supported";
		goto fail;
	}
	tl_picker_set_sequential(t->picker, t->opts.is_sequential);
	for (uint32_t i = 0; i < t->l.npieces; i++)
		if (!tl_bitfield_get(&t->wanted, i))
			tl_picker_set_piece_priority(t->picker, i, TL_PICKER_PRIO_SKIP);
	tl_bitfield_init(&t->scratch, t->l.npieces);
	t->spare_bufs = tl_calloc(SPARE_BUFS, sizeof(*t->spare_bufs));
	t->check_jobs = tl_calloc(TL_TORRENT_CHECK_INFLIGHT, sizeof(*t->check_jobs));
	t->store = tl_disk_store_new(t->mi, &t->l, t->dir, !opts->is_read_only, 128, why_out);
	if (!t->store)
		goto fail;
	tl_disk_store_set_direct(t->store, !opts->is_buffered_io);
	if (opts->state_dir) {
		char hex[41];
		tl_hex(t->mi->infohash.b, 20, hex);
		size_t n = strlen(opts->state_dir) + 64;
		char *d = tl_malloc(n);
		snprintf(d, n, "%s/resume", opts->state_dir);
		if (tl_disk_mkdir_p(d, 0700) != 0) {
			tl_warn("torrent: cannot create %s: %s; no resume file", d, strerror(errno));
		} else {
			t->resume_path = tl_malloc(n);
			snprintf(t->resume_path, n, "%s/%s.resume", d, hex);
		}
		free(d);
	}
	unsigned flags = TL_HS_F_FAST | TL_HS_F_EXTENDED | (ctx->dht_port ? TL_HS_F_DHT : 0);
	tl_handshake_reserved(flags, t->hs.reserved);
	tl_choker_init(&t->choker, (uint64_t)random() << 32 ^ (uint64_t)random());
	t->hs.infohash = t->mi->infohash;
	t->hs.peer_id = ctx->peer_id;
	return t;
fail:
	tl_torrent_free(t);
	return NULL;
}

void tl_torrent_free(struct tl_torrent *t)
{
	if (!t)
		return;
	while (t->peers)
		tl_peer_close(t->peers, "torrent removed");
	while (t->active)
		free_piece(t, t->active);
	while (t->ucache)
		upiece_evict(t, t->ucache);
	while (t->nspare > 0)
		free(t->spare_bufs[--t->nspare]);
	free(t->spare_bufs);
	tl_disk_store_free(t->store);
	tl_bitfield_clear(&t->have);
	tl_bitfield_clear(&t->wanted);
	tl_bitfield_clear(&t->need);
	tl_bitfield_clear(&t->to_check);
	tl_bitfield_clear(&t->unverified);
	tl_layout_clear(&t->l);
	tl_metainfo_free(t->mi);
	free(t->error);
	tl_picker_free(t->picker);
	tl_bitfield_clear(&t->scratch);
	free(t->check_jobs);
	free(t->known);
	free(t->banned);
	free(t->dir);
	free(t->resume_path);
	free(t);
}

const struct tl_infohash *tl_torrent_infohash(const struct tl_torrent *t)
{
	return &t->mi->infohash;
}

const struct tl_metainfo *tl_torrent_metainfo(const struct tl_torrent *t)
{
	return t->mi;
}

const char *tl_torrent_state_name(enum tl_torrent_state st)
{
	static const char *const names[] = { "checking", "downloading", "seeding", "stopping",
		"stopped", "error" };
	return (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

void tl_torrent_stats(const struct tl_torrent *t, struct tl_torrent_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->state = t->is_failed ? TL_TSTATE_ERROR : t->is_stopped ? TL_TSTATE_STOPPED :
	    t->is_stopping ? TL_TSTATE_STOPPING : t->is_checking ? TL_TSTATE_CHECKING :
	    t->is_complete ? TL_TSTATE_SEEDING : TL_TSTATE_DOWNLOADING;
	out->wanted_bytes = t->wanted_bytes;
	out->have_bytes = t->have_bytes;
	out->downloaded = t->downloaded;
	out->uploaded = t->uploaded;
	out->hash_fails = t->hash_fails;
	out->down_rate = t->down_rate;
	out->up_rate = t->up_rate;
	for (const struct tl_peer *p = t->peers; p; p = p->next)
		out->npeers += p->state == TL_PEER_ST_ACTIVE;
	out->pieces_have = t->wanted.count - t->need.count;
	out->pieces_wanted = t->wanted.count;
	out->is_checking = t->is_checking;
	out->check_done = t->check_done;
	out->check_total = t->check_total;
	out->is_complete = t->is_complete;
	out->unverified_pieces = t->unverified.count;
	out->damaged_pieces = t->damaged;
	out->last_damaged = t->last_damaged;
	out->last_damaged_file = t->last_damaged_file;
	out->error = t->is_failed ? t->error : NULL;
	memcpy(out->peers_from, t->peers_from, sizeof(out->peers_from));
}

const struct tl_torrent_ctx *tl_torrent_context(const struct tl_torrent *t)
{
	return &t->ctx;
}

struct tl_peer *tl_torrent_peer_list(struct tl_torrent *t)
{
	return t->peers;
}
