/* download.c: the download side of a torrent; see download.h. */
#include "engine/download.h"

#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/peer.h"
#include "proto/wire.h"

/* A piece being assembled: its buffer, until the hashed write is done. */
struct tl_download_piece {
	struct tl_download *dl;
	uint32_t index;
	uint32_t len;
	uint8_t *buf;         /* the whole piece */
	bool is_writing;
	struct tl_disk_job job;
	struct tl_download_piece *next;
};

void tl_download_init(struct tl_download *dl, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, struct tl_piecebuf *bufs, struct tl_picker *picker,
    uint64_t max_inflight, tl_download_done_fn done_fn, void *done_arg)
{
	memset(dl, 0, sizeof(*dl));
	dl->disk = disk;
	dl->store = store;
	dl->l = l;
	dl->bufs = bufs;
	dl->picker = picker;
	dl->max_inflight = max_inflight;
	dl->done_fn = done_fn;
	dl->done_arg = done_arg;
	tl_bitfield_init(&dl->scratch, l->npieces);
}

static struct tl_download_piece *find_active(struct tl_download *dl, uint32_t index)
{
	for (struct tl_download_piece *ap = dl->active; ap; ap = ap->next)
		if (ap->index == index)
			return ap;
	return NULL;
}

static struct tl_download_piece *start_piece(struct tl_download *dl, uint32_t index)
{
	struct tl_download_piece *ap = tl_calloc(1, sizeof(*ap));
	ap->dl = dl;
	ap->index = index;
	ap->len = tl_layout_piece_len(dl->l, index);
	ap->buf = tl_piecebuf_get(dl->bufs);
	ap->next = dl->active;
	dl->active = ap;
	dl->inflight_bytes += ap->len;
	return ap;
}

static void free_piece(struct tl_download *dl, struct tl_download_piece *ap)
{
	for (struct tl_download_piece **pp = &dl->active; *pp; pp = &(*pp)->next)
		if (*pp == ap) {
			*pp = ap->next;
			break;
		}
	dl->inflight_bytes -= ap->len;
	tl_piecebuf_put(dl->bufs, ap->buf);
	free(ap);
}

void tl_download_clear(struct tl_download *dl)
{
	while (dl->active)
		free_piece(dl, dl->active);
	tl_bitfield_clear(&dl->scratch);
}

/* Forget our request i of p without an answer (choke, reject, snub). */
static void drop_req(struct tl_download *dl, struct tl_peer *p, size_t i)
{
	struct tl_peer_req r = p->reqs[i];
	p->reqs[i] = p->reqs[--p->nreqs];
	tl_picker_abort(dl->picker, p->serial, r.index, r.begin);
}

void tl_download_drop_all(struct tl_download *dl, struct tl_peer *p)
{
	tl_picker_peer_abort_all(dl->picker, p->serial);
	p->nreqs = 0;
}

size_t tl_download_depth(double down_rate, uint32_t peer_reqq)
{
	size_t depth = (size_t)(down_rate * 2 / TL_MAX_BLOCK_LEN);
	if (depth < TL_PEER_MIN_REQS)
		depth = TL_PEER_MIN_REQS;
	size_t cap = peer_reqq ? peer_reqq : TL_DOWNLOAD_DEFAULT_REQQ;
	if (cap > TL_PEER_MAX_REQS)
		cap = TL_PEER_MAX_REQS;
	return depth > cap ? cap : depth;
}

bool tl_download_pace(struct tl_download *dl, struct tl_peer *p, uint64_t now_ms)
{
	p->max_reqs = p->is_snubbed ? 1 : tl_download_depth(p->down_rate, p->peer_reqq);
	if (p->nreqs == 0 || now_ms - p->last_block_ms <= TL_DOWNLOAD_SNUB_MS || p->is_snubbed)
		return false;
	tl_info("peer %s: snubbed", p->name);
	p->is_snubbed = true;
	p->max_reqs = 1;
	tl_download_drop_all(dl, p);
	return true;
}

void tl_download_rejected(struct tl_download *dl, struct tl_peer *p, uint32_t index, uint32_t begin)
{
	for (size_t i = 0; i < p->nreqs; i++)
		if (p->reqs[i].index == index && p->reqs[i].begin == begin) {
			drop_req(dl, p, i);
			break;
		}
}

static void remove_req(struct tl_peer *p, uint32_t index, uint32_t begin)
{
	for (size_t k = 0; k < p->nreqs; k++)
		if (p->reqs[k].index == index && p->reqs[k].begin == begin) {
			p->reqs[k] = p->reqs[--p->nreqs];
			return;
		}
}

void tl_download_fill(struct tl_download *dl, struct tl_peer *p)
{
	if (p->state != TL_PEER_ST_ACTIVE || p->peer_choking || !p->am_interested)
		return;
	while (p->nreqs < p->max_reqs) {
		const struct tl_bitfield *has = &p->have;
		if (dl->inflight_bytes > 0 && dl->inflight_bytes + dl->l->piece_len > dl->max_inflight) {
			tl_bitfield_unset_all(&dl->scratch);
			for (struct tl_download_piece *ap = dl->active; ap; ap = ap->next)
				if (!ap->is_writing && tl_bitfield_get(&p->have, ap->index))
					tl_bitfield_set(&dl->scratch, ap->index);
			has = &dl->scratch;
		}
		if (p->nreqs == 0)
			p->last_block_ms = tl_now_ms(); /* the snub clock starts now */
		struct tl_block b[TL_DOWNLOAD_BATCH];
		size_t room = p->max_reqs - p->nreqs;
		size_t n = tl_picker_next(dl->picker, has, p->serial,
		    room < TL_DOWNLOAD_BATCH ? room : TL_DOWNLOAD_BATCH, b);
		if (n == 0)
			return;
		for (size_t i = 0; i < n; i++) {
			if (!find_active(dl, b[i].piece))
				start_piece(dl, b[i].piece);
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

static void write_done(struct tl_disk_job *job)
{
	struct tl_download_piece *ap = job->arg;
	struct tl_download *dl = ap->dl;
	uint32_t index = ap->index;
	enum tl_disk_status status = job->status;
	int sys_err = job->sys_err;
	size_t err_file = job->err_file;
	free_piece(dl, ap); /* frees job too */
	dl->done_fn(dl->done_arg, index, status, sys_err, err_file);
}

static void piece_received(struct tl_download *dl, struct tl_download_piece *ap)
{
	ap->is_writing = true;
	memset(&ap->job, 0, sizeof(ap->job));
	ap->job.op = TL_DISK_WRITE;
	ap->job.store = dl->store;
	ap->job.piece = ap->index;
	ap->job.buf = ap->buf;
	ap->job.done = write_done;
	ap->job.arg = ap;
	tl_disk_submit(dl->disk, &ap->job);
}

uint8_t *tl_download_block_begin(struct tl_download *dl, struct tl_peer *p, uint32_t index,
    uint32_t begin, uint32_t len, struct tl_download_block *b)
{
	remove_req(p, index, begin);
	b->index = index;
	b->begin = begin;
	b->len = len;
	b->ncancel = 0;
	b->piece = NULL;
	b->is_done = false;
	enum tl_picker_result res = tl_picker_received(dl->picker, p->serial, index, begin, len,
	    b->cancel, TL_PICKER_ENDGAME_DUP, &b->ncancel);
	struct tl_download_piece *ap = find_active(dl, index);
	if ((res == TL_PICKER_NEW || res == TL_PICKER_DONE) && !ap)
		ap = start_piece(dl, index); /* a late block of a piece given back */
	if ((res != TL_PICKER_NEW && res != TL_PICKER_DONE) || ap->is_writing)
		return NULL; /* duplicate, late or unasked */
	b->piece = ap;
	b->is_done = res == TL_PICKER_DONE;
	return ap->buf + begin;
}

void tl_download_block_end(struct tl_download *dl, struct tl_peer *p, struct tl_peer *peers,
    const struct tl_download_block *b)
{
	if (b->piece && b->is_done)
		piece_received(dl, b->piece);
	/* Endgame: the others asked for this block need not send it. */
	for (size_t i = 0; i < b->ncancel; i++) {
		struct tl_peer *o = peers;
		while (o && o->serial != b->cancel[i])
			o = o->next;
		if (!o || o == p || o->state != TL_PEER_ST_ACTIVE)
			continue;
		tl_peer_send_req(o, TL_WIRE_CANCEL, b->index, b->begin, b->len);
		remove_req(o, b->index, b->begin);
	}
}

bool tl_download_is_writing(const struct tl_download *dl)
{
	for (const struct tl_download_piece *ap = dl->active; ap; ap = ap->next)
		if (ap->is_writing)
			return true;
	return false;
}
