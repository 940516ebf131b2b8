/*
 * checkpoint.c: a torrent's resume checkpoints (see checkpoint.h).
 * Loop thread; the resume file is written on a disk worker.
 */
#include "engine/checkpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/peer.h"

/* One checkpoint in flight. The worker sees only sv; the loop only ck. */
struct ckpt {
	struct tl_disk_job job;
	struct tl_checkpoint *ck;
	struct tl_resume_save *sv;
};

void tl_checkpoint_init(struct tl_checkpoint *ck, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const struct tl_infohash *infohash, const char *name,
    const char *state_dir, tl_checkpoint_saved_fn saved_fn, void *arg)
{
	memset(ck, 0, sizeof(*ck));
	ck->disk = disk;
	ck->store = store;
	ck->l = l;
	ck->infohash = infohash;
	ck->name = name;
	ck->saved_fn = saved_fn;
	ck->arg = arg;
	if (!state_dir)
		return;
	char hex[41];
	tl_hex(infohash->b, 20, hex);
	size_t n = strlen(state_dir) + 64;
	char *d = tl_malloc(n);
	snprintf(d, n, "%s/resume", state_dir);
	if (tl_disk_mkdir_p(d, 0700) != 0) {
		tl_warn("torrent: cannot create %s: %s; no resume file", d, strerror(errno));
	} else {
		ck->path = tl_malloc(n);
		snprintf(ck->path, n, "%s/%s.resume", d, hex);
	}
	free(d);
}

void tl_checkpoint_clear(struct tl_checkpoint *ck)
{
	free(ck->path);
	ck->path = NULL;
}

void tl_checkpoint_snapshot(const struct tl_layout *l, const struct tl_bitfield *have,
    const struct tl_bitfield *unverified, struct tl_resume_save *sv)
{
	size_t nbytes = tl_bitfield_nbytes(have->n);
	sv->nfiles = l->nfiles;
	sv->npieces = l->npieces;
	sv->have = tl_malloc(nbytes);
	memcpy(sv->have, have->bits, nbytes);
	if (unverified->count == 0)
		return;
	for (size_t i = 0; i < nbytes; i++)
		sv->have[i] &= (uint8_t)~unverified->bits[i];
	sv->is_unknown = tl_calloc(l->nfiles, sizeof(*sv->is_unknown));
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct tl_layout_file *f = &l->files[i];
		sv->is_unknown[i] = !f->is_pad && f->length > 0 &&
		    tl_bitfield_next_set(unverified, f->first_piece) <= f->last_piece;
	}
}

static void ckpt_saved(struct tl_disk_job *job)
{
	struct ckpt *c = (struct ckpt *)job;
	struct tl_checkpoint *ck = c->ck;
	if (c->sv->rc != TL_OK) {
		/* Not lost: saved again at the next checkpoint's turn. */
		ck->is_dirty = true;
		ck->is_final = false;
		if (ck->fails++ == 0)
			tl_warn("torrent %s: could not save the resume file; trying again every %u s",
			    ck->name, TL_CHECKPOINT_S);
	} else if (ck->fails > 0) {
		tl_info("torrent %s: resume file saved after %u failed attempts", ck->name, ck->fails);
		ck->fails = 0;
	}
	tl_resume_save_free(c->sv);
	free(c);
	ck->is_running = false;
	ck->saved_fn(ck->arg);
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
	tl_disk_submit(((struct ckpt *)job)->ck->disk, job);
}

bool tl_checkpoint_start(struct tl_checkpoint *ck, const struct tl_bitfield *have,
    const struct tl_bitfield *unverified, bool is_quiescent)
{
	if (!ck->path || ck->is_running)
		return false;
	ck->is_running = true;
	ck->is_dirty = false;
	ck->last_ms = tl_now_ms();
	struct tl_resume_save *sv = tl_calloc(1, sizeof(*sv));
	sv->path = tl_strdup(ck->path);
	sv->store = ck->store;
	sv->infohash = *ck->infohash;
	sv->is_quiescent = is_quiescent;
	ck->is_final = is_quiescent;
	tl_checkpoint_snapshot(ck->l, have, unverified, sv);
	struct ckpt *c = tl_calloc(1, sizeof(*c));
	c->ck = ck;
	c->sv = sv;
	c->job.op = TL_DISK_SYNC;
	c->job.store = ck->store;
	c->job.done = ckpt_synced;
	tl_disk_submit(ck->disk, &c->job);
	return true;
}

bool tl_checkpoint_is_due(const struct tl_checkpoint *ck, uint64_t now_ms)
{
	return ck->is_dirty && now_ms - ck->last_ms >= TL_CHECKPOINT_S * 1000;
}

bool tl_checkpoint_stop_retry(struct tl_checkpoint *ck)
{
	if (!ck->is_dirty || !ck->path)
		return false;
	/* A failed save is tried again at once: the peers closed by the stop
	 * gave their descriptors back. */
	if (ck->stop_saves < TL_CHECKPOINT_STOP_SAVES) {
		ck->stop_saves++;
		return true;
	}
	tl_warn("torrent %s: resume file not saved (%u attempts): the next start verifies "
	        "what changed since the last one saved", ck->name, ck->fails);
	return false;
}
