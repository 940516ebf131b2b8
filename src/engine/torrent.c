/*
 * torrent.c: the core of a torrent (see torrent.h): its life (new, start,
 * stop, free), the once-a-second tick, the peer callbacks that dispatch
 * each message to the part it concerns.
 *
 * struct tl_torrent is private to this file. The parts are embedded in
 * it, each behind its own header: swarm (addresses, bans), intake (the
 * peer list: peers taken, dialed and adopted, room at the limits,
 * duplicates, bans for bad data), piecebuf (spare piece buffers),
 * download (requests out and their pacing, pieces being assembled),
 * upload (requests in, pieces read for peers), slots
 * (choking), startcheck (the startup check), seedcheck (seed mode's
 * unverified pieces) and checkpoint (the resume file). They take their
 * struct and explicit arguments, report up only through the function
 * pointers given at init, and never call this file, so the dependencies
 * point one way: torrent.c -> parts -> io/proto/codec. torrent_ext.c
 * (the extension protocol) is called with a callback for the addresses
 * it learns, and reads the torrent only through torrent.h's accessors.
 * Thread: the loop thread only.
 */
#include "engine/torrent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/bitfield.h"
#include "io/diskio.h"
#include "base/err.h"
#include "codec/layout.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "io/peer.h"
#include "proto/picker.h"
#include "engine/checkpoint.h"
#include "engine/download.h"
#include "engine/intake.h"
#include "engine/piecebuf.h"
#include "engine/seedcheck.h"
#include "engine/slots.h"
#include "engine/startcheck.h"
#include "engine/swarm.h"
#include "engine/torrent_ext.h"
#include "engine/upload.h"
#include "proto/wire.h"

/* Peers scored when a piece fails its hash. */
#define MAX_SENDERS 16u

struct tl_torrent {
	struct tl_torrent_ctx ctx;
	struct tl_torrent_opts opts;
	char *dir;
	tl_torrent_event_fn fn;
	void *fn_arg;
	unsigned peers_from[4]; /* addresses handed in, by enum tl_peer_src */
	struct tl_metainfo *mi;
	struct tl_layout l;
	struct tl_disk_store *store;
	struct tl_handshake hs;
	struct tl_bitfield have;
	struct tl_bitfield wanted;
	struct tl_bitfield need;   /* wanted and not had */
	struct tl_picker *picker;  /* which blocks to ask whom for */
	uint64_t wanted_bytes, have_bytes;
	struct tl_download dl;     /* requests to peers, pieces being assembled */
	struct tl_piecebuf bufs;   /* spare piece buffers, for both sides */
	struct tl_upload up;       /* requests from peers, pieces read for them */
	struct tl_intake in;       /* the peers (in.peers, linked by next), who joins */
	struct tl_swarm swarm;     /* addresses to dial, bans */
	struct tl_startcheck chk;  /* the startup check; chk.is_running while it runs */
	struct tl_seedcheck sc;    /* seed mode: pieces not yet hashed */
	struct tl_checkpoint ck;   /* the resume file */
	bool is_started, is_complete, is_stopping, is_stopped, is_failed;
	char *error;               /* is_failed: why, for the status ("disk full: ...") */
	uint64_t ticks;
	struct tl_slots slots;     /* who may download from us */
	uint64_t downloaded, hash_fails;
	double down_rate, up_rate;
	uint64_t down_tick;
};

static void emit(struct tl_torrent *t, enum tl_torrent_event ev)
{
	if (t->fn)
		t->fn(t, ev, t->fn_arg);
}

/* ---- interest and requests ---- */

static void update_interest(struct tl_torrent *t, struct tl_peer *p)
{
	/* While the startup check runs only peers handed over by the
	 * metadata fetch are here; they hear of our pieces once it is done
	 * (checked_peers), and we want nothing before. */
	if (p->state != TL_PEER_ST_ACTIVE || t->chk.is_running)
		return;
	/* Seeding existing data never writes: nothing to want. */
	bool want = !t->opts.is_read_only && p->have.bits &&
	    tl_picker_is_interesting(t->picker, &p->have);
	if (want != p->am_interested) {
		p->am_interested = want;
		tl_peer_send_simple(p, want ? TL_WIRE_INTERESTED : TL_WIRE_NOT_INTERESTED);
	}
}

/* Keep p's pipeline full (download.h), unless requesting is over or not
 * begun. */
static void fill_requests(struct tl_torrent *t, struct tl_peer *p)
{
	if (t->is_stopping || t->is_failed || t->chk.is_running)
		return;
	tl_download_fill(&t->dl, p);
}

static void fill_all(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->in.peers; p; p = p->next)
		fill_requests(t, p);
}

/* ---- pieces done ---- */

static void checkpoint(struct tl_torrent *t);

/* A write of piece index failed with sys_err on file (an index of the
 * store): the first failure logs one line with the reason and fails the
 * torrent (TL_TEV_ERROR); the writes still in flight then fail quietly. */
static void write_failed(struct tl_torrent *t, uint32_t index, int sys_err, size_t file)
{
	if (t->is_failed)
		return;
	bool is_full = sys_err == ENOSPC || sys_err == EDQUOT;
	char why[160];
	snprintf(why, sizeof(why), "%s: %s", is_full ? "disk full" : "disk error",
	    strerror(sys_err));
	tl_err("torrent %s: %s (writing piece %u to %s); stopped", t->mi->name, why, index,
	    tl_disk_store_path(t->store, file));
	t->error = tl_strdup(why);
	t->is_failed = true;
	emit(t, TL_TEV_ERROR);
}

static void set_have(struct tl_torrent *t, uint32_t index)
{
	if (!tl_bitfield_set(&t->have, index))
		return;
	tl_picker_piece_verified(t->picker, index);
	if (tl_bitfield_unset(&t->need, index))
		t->have_bytes += tl_layout_piece_len(&t->l, index);
	t->ck.is_dirty = true;
}

static void check_complete(struct tl_torrent *t)
{
	if (t->is_complete || t->need.count > 0 || t->chk.is_running)
		return;
	t->is_complete = true;
	tl_info("torrent %s: complete", t->mi->name);
	checkpoint(t);
	emit(t, TL_TEV_COMPLETE);
	/* Two seeds have nothing to say to each other. */
	for (struct tl_peer *p = t->in.peers; p; p = p->next)
		if (p->state == TL_PEER_ST_ACTIVE && tl_bitfield_all(&p->have))
			tl_peer_close(p, "both complete");
}

/* A piece was hashed and written, or failed (download.h). */
static void piece_done(void *arg, uint32_t index, enum tl_disk_status status, int sys_err,
    size_t err_file)
{
	struct tl_torrent *t = arg;
	if (status == TL_DISK_OK) {
		set_have(t, index);
		for (struct tl_peer *p = t->in.peers; p; p = p->next)
			if (p->state == TL_PEER_ST_ACTIVE)
				tl_peer_send_have(p, index);
		for (struct tl_peer *p = t->in.peers; p; p = p->next)
			update_interest(t, p);
		check_complete(t);
	} else if (status == TL_DISK_HASH_FAIL) {
		t->hash_fails++;
		tl_warn("torrent %s: piece %u failed its hash check", t->mi->name, index);
		uint64_t senders[MAX_SENDERS];
		size_t n = tl_picker_piece_senders(t->picker, index, senders, MAX_SENDERS);
		tl_picker_piece_failed(t->picker, index);
		tl_intake_blame(&t->in, senders, n);
	} else {
		tl_picker_piece_failed(t->picker, index);
		write_failed(t, index, sys_err, err_file);
		return;
	}
	if (!t->is_stopping)
		fill_all(t);
}

/* ---- uploads ---- */

static void serve_all(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->in.peers; p; p = p->next)
		tl_upload_serve(&t->up, p);
}

/* ---- seed mode (seedcheck.h) ---- */

static bool seed_drop(void *arg, uint32_t index)
{
	struct tl_torrent *t = arg;
	if (!tl_bitfield_unset(&t->have, index))
		return false;
	if (tl_bitfield_get(&t->wanted, index) && tl_bitfield_set(&t->need, index))
		t->have_bytes -= tl_layout_piece_len(&t->l, index);
	t->is_complete = false;
	t->ck.is_dirty = true;
	return true;
}

static void seed_changed(void *arg)
{
	struct tl_torrent *t = arg;
	t->ck.is_dirty = true;
}

static void seed_damaged(void *arg, uint32_t index)
{
	(void)index;
	emit(arg, TL_TEV_DAMAGED);
}

static const struct tl_seedcheck_ops seed_ops = {
	.drop = seed_drop,
	.changed = seed_changed,
	.damaged = seed_damaged,
};

/* A read for uploads is done (upload.h): seed mode learns what it hashed;
 * the peers waiting for it are served. */
static void upload_read_done(void *arg, uint32_t index, enum tl_upload_read res)
{
	struct tl_torrent *t = arg;
	if (res == TL_UPLOAD_READ_DAMAGED) {
		tl_seedcheck_damaged(&t->sc, index);
	} else if (res == TL_UPLOAD_READ_VERIFIED) {
		tl_seedcheck_verified(&t->sc, index);
	} else if (res == TL_UPLOAD_READ_FAILED) {
		tl_warn("torrent %s: cannot read piece %u to upload it", t->mi->name, index);
		for (struct tl_peer *p = t->in.peers; p; p = p->next)
			tl_upload_drop_piece(p, index);
	}
	serve_all(t);
	tl_seedcheck_more(&t->sc);
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
	tl_intake_unlink(&t->in, p, tl_now_ms());
	drop_have_set(t, p);
	tl_download_drop_all(&t->dl, p);
	if (!t->is_stopping)
		fill_all(t);
}

static void on_ready(struct tl_peer *p)
{
	struct tl_torrent *t = p->owner;
	if (!tl_intake_ready(&t->in, p))
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

/* A contact of a ut_pex message (torrent_ext.h). */
static void pex_addr(void *arg, const struct sockaddr *sa, socklen_t len)
{
	tl_torrent_add_peer_from(arg, sa, len, TL_PSRC_PEX);
}

static void on_msg(struct tl_peer *p, const struct tl_wire_msg *m, const uint8_t *payload)
{
	struct tl_torrent *t = p->owner;
	const char *why = NULL;
	switch (m->id) {
	case TL_WIRE_CHOKE:
		p->peer_choking = true;
		tl_download_drop_all(&t->dl, p);
		fill_all(t);
		break;
	case TL_WIRE_UNCHOKE:
		p->peer_choking = false;
		fill_requests(t, p);
		break;
	case TL_WIRE_INTERESTED:
		p->peer_interested = true;
		if (p->am_choking)
			tl_slots_interested(&t->slots, t->in.peers, p, t->is_complete);
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
		tl_upload_request(&t->up, p, tl_bitfield_get(&t->have, m->index), m->index, m->begin,
		    m->length);
		break;
	case TL_WIRE_CANCEL:
		tl_upload_cancel(p, m->index, m->begin, m->length);
		break;
	case TL_WIRE_REJECT:
		tl_download_rejected(&t->dl, p, m->index, m->begin);
		break;
	case TL_WIRE_EXTENDED:
		tl_tx_on_ext(t, p, m, payload, pex_addr, t);
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
	struct tl_download_block b;
	uint8_t *dst = tl_download_block_begin(&t->dl, p, m->index, m->begin, len, &b);
	p->down_bytes += len;
	p->down_tick += len;
	t->downloaded += len;
	t->down_tick += len;
	p->last_block_ms = p->last_data_ms = tl_now_ms();
	p->is_snubbed = false;
	if (dst)
		tl_peer_take_block(p, dst, len);
	else
		tl_peer_skip_block(p, len); /* duplicate, late or unasked */
	tl_download_block_end(&t->dl, p, t->in.peers, &b);
	fill_requests(t, p);
}

static void on_writable(struct tl_peer *p)
{
	struct tl_torrent *t = p->owner;
	tl_upload_serve(&t->up, p);
}

static const struct tl_peer_ops torrent_ops = {
	.on_ready = on_ready,
	.on_msg = on_msg,
	.on_block = on_block,
	.on_writable = on_writable,
	.on_close = on_close,
};

struct tl_peer *tl_torrent_idle_peer(struct tl_torrent *t, uint64_t now_ms, uint64_t *since_out)
{
	return tl_slots_idle_peer(t->in.peers, t->in.npeers, now_ms, since_out);
}

int tl_torrent_take_incoming(struct tl_torrent *t, struct tl_peer *p)
{
	return tl_intake_take(&t->in, p, t->is_started && !t->is_stopping && !t->chk.is_running);
}

static void dial_known(struct tl_torrent *t)
{
	if (!t->is_started || t->chk.is_running || t->is_stopping || t->is_failed)
		return;
	tl_intake_dial(&t->in, tl_now_ms(), t->is_complete);
}

void tl_torrent_add_peer(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len)
{
	if (tl_swarm_offer(&t->swarm, addr, len))
		dial_known(t);
}

/* ---- connections handed over by the metadata fetch ---- */

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

static void checked_peers(struct tl_torrent *t)
{
	for (struct tl_peer *p = t->in.peers, *next; p; p = next) {
		next = p->next;
		if (p->state == TL_PEER_ST_ACTIVE)
			announce_to(t, p);
	}
}

int tl_torrent_adopt(struct tl_torrent *t, struct tl_peer *p, const struct tl_early_have *eh, const char **why_out)
{
	bool is_open = t->is_started && !t->is_stopping && !t->is_failed;
	if (tl_intake_adopt(&t->in, p, is_open, eh, why_out) != 0)
		return -1;
	tl_picker_peer_bitfield(t->picker, &p->have);
	if (tl_intake_dedup(&t->in, p))
		return 0;
	tl_tx_adopted(t, p);
	if (t->is_complete && tl_bitfield_all(&p->have)) {
		tl_peer_close(p, "both complete");
		return 0;
	}
	if (p->peer_interested && tl_slots_has_free(t->in.peers))
		tl_slots_set(p, false);
	if (!t->chk.is_running)
		announce_to(t, p);
	return 0;
}

void tl_torrent_add_peer_from(struct tl_torrent *t, const struct sockaddr *addr, socklen_t len,
    enum tl_peer_src src)
{
	t->peers_from[src]++;
	tl_torrent_add_peer(t, addr, len);
}

/* ---- the startup check and checkpoints (startcheck.h, checkpoint.h) ---- */

static void checkpoint(struct tl_torrent *t)
{
	if (t->chk.is_running || !t->is_started)
		return;
	/* Stopping, or complete (nothing is requested any more): once the
	 * writes in flight are done, the files do not change again. */
	bool is_quiescent = (t->is_stopping || t->is_complete) && !tl_download_is_writing(&t->dl);
	tl_checkpoint_start(&t->ck, &t->have, &t->sc.unverified, is_quiescent);
}

/* Stopping: once no check and no checkpoint runs, save a last one (when
 * anything changed) and report. */
static void finish_stop(struct tl_torrent *t)
{
	if (t->is_stopped || t->chk.is_running || t->ck.is_running)
		return;
	if (t->is_started && tl_checkpoint_stop_retry(&t->ck)) {
		checkpoint(t);
		return;
	}
	t->is_stopped = true;
	emit(t, TL_TEV_STOPPED);
}

static void ckpt_saved(void *arg)
{
	struct tl_torrent *t = arg;
	if (t->is_stopping)
		finish_stop(t);
}

static void check_have(void *arg, uint32_t index)
{
	set_have(arg, index);
}

static void check_over(void *arg, const char *why)
{
	struct tl_torrent *t = arg;
	if (why) {
		t->error = tl_strdup(why);
		t->is_failed = true;
		emit(t, TL_TEV_ERROR);
		return;
	}
	tl_seedcheck_begin(&t->sc);
	if (t->sc.unverified.count > 0)
		tl_info("torrent %s: seeding without a check: %u of %u pieces to verify as they are read",
		    t->mi->name, t->sc.unverified.count, t->l.npieces);
	else
		tl_info("torrent %s: %u of %u pieces verified", t->mi->name, t->have.count,
		    t->l.npieces);
	if (t->is_stopping) {
		finish_stop(t);
		return;
	}
	emit(t, TL_TEV_CHECKED);
	checkpoint(t);
	check_complete(t);
	checked_peers(t);
	dial_known(t);
}

static const struct tl_startcheck_ops check_ops = {
	.have = check_have,
	.done = check_over,
};

void tl_torrent_start(struct tl_torrent *t)
{
	t->is_started = true;
	if (!t->opts.is_read_only)
		tl_disk_store_create_empty(t->store);
	tl_startcheck_plan(&t->chk, t->ck.path, t->opts.is_no_check ? &t->sc : NULL);
	if (!t->opts.is_no_check)
		t->ck.is_dirty = false;
	tl_startcheck_run(&t->chk);
}

/* ---- the rest ---- */

/* Seconds between closing the files of a torrent without peers. */
#define IDLE_CLOSE_S 60u

void tl_torrent_tick(struct tl_torrent *t)
{
	t->ticks++;
	tl_seedcheck_more(&t->sc);
	uint64_t now = tl_now_ms();
	const double a = 0.5; /* smoothing over about two seconds */
	t->down_rate = a * (double)t->down_tick + (1 - a) * t->down_rate;
	uint64_t up = 0;
	for (struct tl_peer *p = t->in.peers; p; p = p->next)
		up += p->up_tick;
	t->up_rate = a * (double)up + (1 - a) * t->up_rate;
	t->down_tick = 0;
	for (struct tl_peer *p = t->in.peers, *next; p; p = next) {
		next = p->next;
		p->down_rate = a * (double)p->down_tick + (1 - a) * p->down_rate;
		p->up_rate = a * (double)p->up_tick + (1 - a) * p->up_rate;
		p->down_tick = p->up_tick = 0;
		if (p->state != TL_PEER_ST_ACTIVE)
			continue;
		tl_download_pace(&t->dl, p, now);
		if (now - p->last_send_ms > 100000) {
			static const uint8_t ka[4] = { 0 };
			tl_peer_send_raw(p, ka, 4);
			p->last_send_ms = now;
		}
		fill_requests(t, p);
	}
	if (t->ticks % TL_SLOTS_INTERVAL_S == 0)
		tl_slots_run(&t->slots, t->in.peers, t->is_complete);
	if (t->ticks % 2 == 0)
		dial_known(t);
	if (tl_checkpoint_is_due(&t->ck, now))
		checkpoint(t);
	tl_tx_tick(t, now);
	if (t->ticks % IDLE_CLOSE_S == 0 && !t->in.peers && !tl_disk_store_is_busy(t->store))
		tl_disk_store_close_idle(t->store); /* no peer: its files need not stay open */
}

void tl_torrent_stop(struct tl_torrent *t)
{
	if (t->is_stopping)
		return;
	t->is_stopping = true;
	tl_startcheck_stop(&t->chk);
	tl_seedcheck_stop(&t->sc);
	while (t->in.peers)
		tl_peer_close(t->in.peers, "stopping");
	/* A last checkpoint records the final mtimes for an instant restart
	 * (already done when the last one was quiescent: complete, say). */
	if (!t->ck.is_final)
		t->ck.is_dirty = true;
	finish_stop(t);
}

struct tl_torrent *tl_torrent_new(const struct tl_torrent_ctx *ctx, struct tl_metainfo *mi_take,
    const struct tl_torrent_opts *opts, tl_torrent_event_fn fn, void *arg, const char **why_out)
{
	struct tl_torrent *t = tl_calloc(1, sizeof(*t));
	tl_swarm_init(&t->swarm);
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
	tl_bitfield_init(&t->have, t->l.npieces);
	if (tl_layout_select_pieces(&t->l, t->mi, opts->only, opts->skip, &t->wanted, why_out) != TL_OK)
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
	tl_piecebuf_init(&t->bufs, t->l.piece_len);
	t->store = tl_disk_store_new(t->mi, &t->l, t->dir, !opts->is_read_only, 128, why_out);
	if (!t->store)
		goto fail;
	tl_disk_store_set_direct(t->store, !opts->is_buffered_io);
	tl_download_init(&t->dl, t->ctx.disk, t->store, &t->l, &t->bufs, t->picker,
	    t->opts.max_inflight, piece_done, t);
	tl_upload_init(&t->up, t->ctx.disk, t->store, &t->l, &t->bufs, &t->sc.unverified,
	    upload_read_done, t);
	tl_seedcheck_init(&t->sc, t->ctx.disk, t->store, &t->l, t->mi->name, &t->up, &t->in.peers,
	    &seed_ops, t);
	tl_startcheck_init(&t->chk, t->ctx.disk, t->store, &t->l, &t->mi->infohash, t->mi->name,
	    &check_ops, t);
	tl_checkpoint_init(&t->ck, t->ctx.disk, t->store, &t->l, &t->mi->infohash, t->mi->name,
	    opts->state_dir, ckpt_saved, t);
	unsigned flags = TL_HS_F_FAST | TL_HS_F_EXTENDED | (ctx->dht_port ? TL_HS_F_DHT : 0);
	tl_handshake_reserved(flags, t->hs.reserved);
	tl_slots_init(&t->slots, (uint64_t)random() << 32 ^ (uint64_t)random());
	tl_intake_init(&t->in, &t->ctx, t->opts.max_peers, &t->swarm, &t->l, &t->hs, &torrent_ops, t);
	t->hs.infohash = t->mi->infohash;
	t->hs.peer_id = ctx->peer_id;
	return t;
fail:
	tl_torrent_free(t);
	return NULL;
}

static void torrent_free(struct tl_torrent *t);

void tl_torrent_free(struct tl_torrent *t)
{
	if (!t)
		return;
	struct tl_metainfo *mi = t->mi;
	torrent_free(t);
	tl_metainfo_free(mi);
}

struct tl_metainfo *tl_torrent_free_take_metainfo(struct tl_torrent *t)
{
	struct tl_metainfo *mi = t->mi;
	torrent_free(t);
	return mi;
}

bool tl_torrent_has_jobs(const struct tl_torrent *t)
{
	return t->store && tl_disk_store_is_busy(t->store);
}

static void torrent_free(struct tl_torrent *t)
{
	while (t->in.peers)
		tl_peer_close(t->in.peers, "torrent removed");
	tl_download_clear(&t->dl);
	tl_upload_clear(&t->up);
	tl_piecebuf_clear(&t->bufs);
	tl_disk_store_free(t->store);
	tl_bitfield_clear(&t->have);
	tl_bitfield_clear(&t->wanted);
	tl_bitfield_clear(&t->need);
	tl_startcheck_clear(&t->chk);
	tl_seedcheck_clear(&t->sc);
	tl_layout_clear(&t->l);
	free(t->error);
	tl_picker_free(t->picker);
	tl_swarm_clear(&t->swarm);
	free(t->dir);
	tl_checkpoint_clear(&t->ck);
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
		"stopped", "error", "metadata", "queued" };
	return (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

void tl_torrent_stats(const struct tl_torrent *t, struct tl_torrent_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->state = t->is_failed ? TL_TSTATE_ERROR : t->is_stopped ? TL_TSTATE_STOPPED :
	    t->is_stopping ? TL_TSTATE_STOPPING : t->chk.is_running ? TL_TSTATE_CHECKING :
	    t->is_complete ? TL_TSTATE_SEEDING : TL_TSTATE_DOWNLOADING;
	out->wanted_bytes = t->wanted_bytes;
	out->have_bytes = t->have_bytes;
	out->downloaded = t->downloaded;
	out->uploaded = t->up.uploaded;
	out->hash_fails = t->hash_fails;
	out->down_rate = t->down_rate;
	out->up_rate = t->up_rate;
	for (const struct tl_peer *p = t->in.peers; p; p = p->next)
		out->npeers += p->state == TL_PEER_ST_ACTIVE;
	out->pieces_have = t->wanted.count - t->need.count;
	out->pieces_wanted = t->wanted.count;
	out->is_checking = t->chk.is_running;
	out->check_done = t->chk.done;
	out->check_total = t->chk.total;
	out->is_complete = t->is_complete;
	out->unverified_pieces = t->sc.unverified.count;
	out->damaged_pieces = t->sc.damaged;
	out->last_damaged = t->sc.last_damaged;
	out->last_damaged_file = t->sc.last_damaged_file;
	out->error = t->is_failed ? t->error : NULL;
	memcpy(out->peers_from, t->peers_from, sizeof(out->peers_from));
}

const struct tl_torrent_ctx *tl_torrent_context(const struct tl_torrent *t)
{
	return &t->ctx;
}

struct tl_peer *tl_torrent_peer_list(struct tl_torrent *t)
{
	return t->in.peers;
}
