/*
 * torrent_state.c: a torrent's state on disk: the startup check (what the
 * resume file lets us trust, what must be verified) and the checkpoints
 * that record verified pieces once their data reached the disk. Peers
 * handed over by the metadata fetch during the check hear of our pieces
 * when it ends (tl_torrent_checked_peers). See torrent.h and resume.h.
 * Loop thread only; disk work runs on the pool.
 */
#include "engine/torrent_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "engine/resume.h"

/* ---- resume checkpoints ---- */

/* A checkpoint: SYNC of the written files, then the resume file written
 * on a worker. The worker sees only sv; the loop only t. */
struct ckpt {
	struct tl_disk_job job;
	struct tl_torrent *t;
	struct tl_resume_save *sv;
};

static void ckpt_saved(struct tl_disk_job *job)
{
	struct ckpt *c = (struct ckpt *)job;
	struct tl_torrent *t = c->t;
	if (c->sv->rc != TL_OK) {
		/* Not lost: saved again at the next checkpoint's turn. */
		t->is_ckpt_dirty = true;
		t->is_ckpt_final = false;
		if (t->ckpt_fails++ == 0)
			tl_warn("torrent %s: could not save the resume file; trying again every %u s",
			    t->mi->name, TL_TORRENT_CHECKPOINT_S);
	} else if (t->ckpt_fails > 0) {
		tl_info("torrent %s: resume file saved after %u failed attempts", t->mi->name, t->ckpt_fails);
		t->ckpt_fails = 0;
	}
	tl_resume_save_free(c->sv);
	free(c);
	t->is_ckpt_running = false;
	if (t->is_stopping)
		tl_torrent_finish_stop(t);
}

static void ckpt_work(struct tl_disk_job *job)
{
	struct ckpt *c = (struct ckpt *)job;
	struct tl_disk_job inner = { .op = TL_DISK_CALL, .arg = c->sv };
	tl_resume_save_work(&inner);
}

static void ckpt_synced(struct tl_disk_job *job)
{
	/* Only now is every piece of the snapshot on disk. */
	job->op = TL_DISK_CALL;
	job->work = ckpt_work;
	job->done = ckpt_saved;
	tl_disk_submit(((struct ckpt *)job)->t->ctx.disk, job);
}

void tl_torrent_checkpoint(struct tl_torrent *t)
{
	if (!t->resume_path || t->is_ckpt_running || t->is_checking || !t->is_started)
		return;
	t->is_ckpt_running = true;
	t->is_ckpt_dirty = false;
	t->last_ckpt_ms = tl_now_ms();
	struct tl_resume_save *sv = tl_calloc(1, sizeof(*sv));
	sv->path = tl_strdup(t->resume_path);
	sv->store = t->store;
	sv->nfiles = t->l.nfiles;
	sv->infohash = t->mi->infohash;
	sv->npieces = t->l.npieces;
	/* Stopping, or complete (nothing is requested any more): once the
	 * writes in flight are done, the files do not change again. */
	sv->is_quiescent = t->is_stopping || t->is_complete;
	sv->is_quiescent = sv->is_quiescent && !tl_download_is_writing(&t->dl);
	t->is_ckpt_final = sv->is_quiescent;
	sv->have = tl_malloc(tl_bitfield_nbytes(t->have.n));
	memcpy(sv->have, t->have.bits, tl_bitfield_nbytes(t->have.n));
	/* Seed mode: only what was hashed is vouched for, and the files that
	 * hold the rest are recorded as of unknown mtime, so that a start
	 * with a check verifies those pieces instead of taking them as absent. */
	if (t->sc.unverified.count > 0) {
		for (size_t i = 0; i < tl_bitfield_nbytes(t->have.n); i++)
			sv->have[i] &= (uint8_t)~t->sc.unverified.bits[i];
		sv->is_unknown = tl_calloc(t->l.nfiles, sizeof(*sv->is_unknown));
		for (size_t i = 0; i < t->l.nfiles; i++) {
			const struct tl_layout_file *f = &t->l.files[i];
			sv->is_unknown[i] = !f->is_pad && f->length > 0 &&
			    tl_bitfield_next_set(&t->sc.unverified, f->first_piece) <= f->last_piece;
		}
	}
	struct ckpt *c = tl_calloc(1, sizeof(*c));
	c->t = t;
	c->sv = sv;
	c->job.op = TL_DISK_SYNC;
	c->job.store = t->store;
	c->job.done = ckpt_synced;
	tl_disk_submit(t->ctx.disk, &c->job);
}

/* Stopping: once no check and no checkpoint runs, save a last one (when
 * anything changed; up to TL_TORRENT_STOP_SAVES tries) and report. */
void tl_torrent_finish_stop(struct tl_torrent *t)
{
	if (t->is_stopped || t->is_checking || t->is_ckpt_running)
		return;
	if (t->is_ckpt_dirty && t->resume_path && t->is_started) {
		/* A failed save is tried again at once: the peers closed by the
		 * stop gave their descriptors back. */
		if (t->stop_saves < TL_TORRENT_STOP_SAVES) {
			t->stop_saves++;
			tl_torrent_checkpoint(t);
			return;
		}
		tl_warn("torrent %s: resume file not saved (%u attempts): the next start verifies "
		        "what changed since the last one saved", t->mi->name, t->ckpt_fails);
	}
	t->is_stopped = true;
	tl_torrent_emit(t, TL_TEV_STOPPED);
}

/* ---- startup check ---- */

static void check_more(struct tl_torrent *t);

static void check_done(struct tl_disk_job *job)
{
	struct tl_torrent *t = job->arg;
	t->check_inflight--;
	t->check_done++;
	if (job->status == TL_DISK_OK)
		tl_torrent_set_have(t, job->piece);
	job->op = TL_DISK_VERIFY; /* marks the slot free: piece set on reuse */
	job->arg = NULL;
	check_more(t);
}

static void check_more(struct tl_torrent *t)
{
	while (!t->is_stopping && t->check_inflight < TL_TORRENT_CHECK_INFLIGHT &&
	    (t->check_next = tl_bitfield_next_set(&t->to_check, t->check_next)) < t->l.npieces) {
		struct tl_disk_job *j = NULL;
		for (unsigned i = 0; i < TL_TORRENT_CHECK_INFLIGHT && !j; i++)
			if (!t->check_jobs[i].arg)
				j = &t->check_jobs[i];
		if (!j)
			break; /* cannot happen: check_inflight < TL_TORRENT_CHECK_INFLIGHT */
		memset(j, 0, sizeof(*j));
		j->op = TL_DISK_VERIFY;
		j->store = t->store;
		j->piece = t->check_next++;
		j->done = check_done;
		j->arg = t;
		t->check_inflight++;
		tl_disk_submit(t->ctx.disk, j);
	}
	if (t->check_inflight > 0 || !t->is_checking)
		return;
	t->is_checking = false;
	tl_seedcheck_begin(&t->sc);
	if (t->sc.unverified.count > 0)
		tl_info("torrent %s: seeding without a check: %u of %u pieces to verify as they are read",
		    t->mi->name, t->sc.unverified.count, t->l.npieces);
	else
		tl_info("torrent %s: %u of %u pieces verified", t->mi->name, t->have.count,
		    t->l.npieces);
	if (t->is_stopping) {
		tl_torrent_finish_stop(t);
		return;
	}
	tl_torrent_emit(t, TL_TEV_CHECKED);
	tl_torrent_checkpoint(t);
	tl_torrent_check_complete(t);
	tl_torrent_checked_peers(t);
	tl_torrent_dial_known(t);
}

/* ---- failure ---- */

void tl_torrent_write_failed(struct tl_torrent *t, uint32_t index, int sys_err, size_t file)
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
	tl_torrent_emit(t, TL_TEV_ERROR);
}

/* ---- seed mode (opts.is_no_check) ---- */

static void no_work(struct tl_disk_job *job)
{
	(void)job;
}

/* The outcome of seed_mode_plan, reported from the loop after one trip
 * through the pool, as a startup check would (never from inside
 * tl_torrent_start, before the owner runs its loop). */
static void seed_mode_done(struct tl_disk_job *job)
{
	struct tl_torrent *t = job->arg;
	job->op = TL_DISK_VERIFY; /* the slot is free again (see check_more) */
	job->arg = NULL;
	if (!t->is_no_check_bad || t->is_stopping) {
		check_more(t); /* nothing to check: finishes the "check" */
		return;
	}
	t->is_checking = false;
	t->is_failed = true;
	tl_torrent_emit(t, TL_TEV_ERROR);
}

/* Seed mode: the files must all be there (seedcheck.h); then every
 * piece is had and those trusted does not vouch for are unverified. */
static void seed_mode_plan(struct tl_torrent *t, const uint8_t *trusted,
    const struct tl_resume_file *cur)
{
	char *why = NULL;
	t->is_no_check_bad = tl_seedcheck_plan(&t->sc, trusted, cur, &why) != TL_OK;
	t->error = why; /* reported by seed_mode_done */
	tl_bitfield_unset_all(&t->to_check);
	if (!t->is_no_check_bad)
		for (uint32_t i = 0; i < t->l.npieces; i++)
			tl_torrent_set_have(t, i);
	struct tl_disk_job *j = &t->check_jobs[0];
	memset(j, 0, sizeof(*j));
	j->op = TL_DISK_CALL;
	j->store = t->store; /* counted as the store's */
	j->work = no_work;
	j->done = seed_mode_done;
	j->arg = t;
	tl_disk_submit(t->ctx.disk, j);
}

void tl_torrent_start(struct tl_torrent *t)
{
	t->is_started = true;
	if (!t->opts.is_read_only)
		tl_disk_store_create_empty(t->store);
	struct tl_resume r;
	struct tl_resume *rp = NULL;
	if (t->resume_path) {
		uint8_t *p;
		size_t len;
		const char *why = NULL;
		int rc = tl_resume_read(t->resume_path, &p, &len);
		if (rc == TL_OK) {
			if (tl_resume_decode(p, len, &t->mi->infohash, t->l.npieces, t->l.nfiles, &r,
			    &why) == TL_OK)
				rp = &r;
			else
				tl_warn("torrent %s: resume file ignored: %s", t->mi->name, why);
			free(p);
		}
	}
	struct tl_resume_file *cur = tl_calloc(t->l.nfiles, sizeof(*cur));
	tl_resume_stat_files(t->store, t->l.nfiles, cur);
	uint8_t *have = tl_calloc(tl_bitfield_nbytes(t->l.npieces), 1);
	tl_bitfield_init(&t->to_check, t->l.npieces);
	tl_resume_plan(&t->l, rp, cur, have, t->to_check.bits);
	if (t->opts.is_no_check) {
		t->is_checking = true;
		t->check_next = 0;
		seed_mode_plan(t, have, cur);
		goto out;
	}
	/* Files that do not exist at all hold no piece: skip checking them. */
	for (uint32_t i = 0; i < t->l.npieces; i++) {
		if (have[i >> 3] & (0x80u >> (i & 7)))
			tl_torrent_set_have(t, i);
		bool any = false;
		struct tl_layout_iter it;
		struct tl_layout_seg seg;
		tl_layout_iter_init(&it, &t->l, i, 0, tl_layout_piece_len(&t->l, i));
		while (!any && tl_layout_iter_next(&it, &seg))
			any = !seg.is_pad && cur[seg.file].size > 0;
		if (tl_bitfield_get(&t->to_check, i) && any)
			t->check_total++;
		else
			tl_bitfield_unset(&t->to_check, i);
	}
	t->is_ckpt_dirty = false;
	t->is_checking = true;
	t->check_next = 0;
	check_more(t);
out:
	free(have);
	free(cur);
	if (rp)
		tl_resume_clear(rp);
}
