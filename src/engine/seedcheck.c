/*
 * seedcheck.c: seed mode's unverified pieces, the background pass that
 * hashes them and what a damaged one does (see seedcheck.h).
 * Loop thread only; hashing runs on the disk pool.
 */
#include "engine/seedcheck.h"

#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "io/peer.h"

void tl_seedcheck_init(struct tl_seedcheck *sc, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const char *name, const struct tl_upload *up,
    struct tl_peer *const *peers, const struct tl_seedcheck_ops *ops, void *arg)
{
	memset(sc, 0, sizeof(*sc));
	sc->disk = disk;
	sc->store = store;
	sc->l = l;
	sc->name = name;
	sc->up = up;
	sc->peers = peers;
	sc->ops = ops;
	sc->arg = arg;
}

void tl_seedcheck_clear(struct tl_seedcheck *sc)
{
	tl_bitfield_clear(&sc->unverified);
}

size_t tl_seedcheck_first_bad(const struct tl_layout *l, const struct tl_resume_file *cur)
{
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct tl_layout_file *f = &l->files[i];
		if (f->is_pad || f->length == 0 ||
		    (cur[i].size >= 0 && (uint64_t)cur[i].size >= f->length))
			continue;
		return i;
	}
	return l->nfiles;
}

uint32_t tl_seedcheck_next(const struct tl_bitfield *unverified, uint32_t from)
{
	uint32_t i = tl_bitfield_next_set(unverified, from);
	return i < unverified->n ? i : tl_bitfield_next_set(unverified, 0);
}

int tl_seedcheck_plan(struct tl_seedcheck *sc, const uint8_t *trusted,
    const struct tl_resume_file *cur, char **why_out)
{
	const struct tl_layout *l = sc->l;
	tl_bitfield_init(&sc->unverified, l->npieces);
	size_t bad = tl_seedcheck_first_bad(l, cur);
	if (bad < l->nfiles) {
		char why[512];
		if (cur[bad].size < 0)
			snprintf(why, sizeof(why), "--no-check: %s is missing",
			    tl_disk_store_path(sc->store, bad));
		else
			snprintf(why, sizeof(why), "--no-check: %s is short (%lld of %llu bytes)",
			    tl_disk_store_path(sc->store, bad), (long long)cur[bad].size,
			    (unsigned long long)l->files[bad].length);
		tl_err("torrent %s: %s", sc->name, why);
		*why_out = tl_strdup(why);
		return TL_EINVAL;
	}
	for (uint32_t i = 0; i < l->npieces; i++)
		if (!(trusted[i >> 3] & (0x80u >> (i & 7))))
			tl_bitfield_set(&sc->unverified, i);
	return TL_OK;
}

void tl_seedcheck_begin(struct tl_seedcheck *sc)
{
	sc->is_begun = true;
}

void tl_seedcheck_stop(struct tl_seedcheck *sc)
{
	sc->is_stopped = true;
}

void tl_seedcheck_verified(struct tl_seedcheck *sc, uint32_t index)
{
	tl_bitfield_unset(&sc->unverified, index);
	sc->ops->changed(sc->arg);
}

void tl_seedcheck_damaged(struct tl_seedcheck *sc, uint32_t index)
{
	tl_bitfield_unset(&sc->unverified, index);
	/* Requests queued for it, even when found damaged already (by the
	 * background pass while this read ran), are never served. */
	for (struct tl_peer *p = *sc->peers; p; p = p->next)
		tl_upload_drop_piece(p, index);
	if (!sc->ops->drop(sc->arg, index))
		return;
	sc->damaged++;
	sc->last_damaged = index;
	struct tl_layout_iter it;
	struct tl_layout_seg seg;
	sc->last_damaged_file = NULL;
	tl_layout_iter_init(&it, sc->l, index, 0, tl_layout_piece_len(sc->l, index));
	while (!sc->last_damaged_file && tl_layout_iter_next(&it, &seg))
		if (!seg.is_pad)
			sc->last_damaged_file = tl_disk_store_path(sc->store, seg.file);
	tl_err("torrent %s: piece %u (in %s) is damaged: its data does not match the torrent; "
	    "it is not served", sc->name, index,
	    sc->last_damaged_file ? sc->last_damaged_file : "padding");
	/* A peer with the fast extension gets a REJECT for each request
	 * (upload.h). One without it would wait for those blocks and ask for
	 * the piece again, so one that lacks the piece is closed, as a
	 * client does when it cannot honour what it announced; if it comes
	 * back, our fresh BITFIELD leaves the piece out. */
	for (struct tl_peer *p = *sc->peers; p; p = p->next) {
		if (p->state == TL_PEER_ST_ACTIVE && !p->lim.has_fast &&
		    !(p->have.bits && tl_bitfield_get(&p->have, index)))
			tl_peer_close(p, "a piece we announced is damaged");
	}
	sc->ops->damaged(sc->arg, index);
}

static void bg_done(struct tl_disk_job *job)
{
	struct tl_seedcheck *sc = job->arg;
	sc->is_verifying = false;
	if (sc->is_stopped)
		return;
	if (job->status == TL_DISK_OK) {
		tl_bitfield_unset(&sc->unverified, job->piece);
		sc->ops->changed(sc->arg);
	} else if (job->status == TL_DISK_HASH_FAIL && tl_bitfield_get(&sc->unverified, job->piece)) {
		tl_seedcheck_damaged(sc, job->piece);
	}
	if (sc->unverified.count == 0)
		tl_info("torrent %s: every piece is verified", sc->name);
	tl_seedcheck_more(sc);
}

void tl_seedcheck_more(struct tl_seedcheck *sc)
{
	if (sc->is_verifying || sc->unverified.count == 0 || sc->is_stopped || !sc->is_begun)
		return;
	if (tl_upload_is_reading(sc->up))
		return; /* tried again when the read is done, or at the next tick */
	uint32_t i = tl_seedcheck_next(&sc->unverified, sc->next);
	sc->next = i + 1;
	sc->is_verifying = true;
	memset(&sc->job, 0, sizeof(sc->job));
	sc->job.op = TL_DISK_VERIFY;
	sc->job.store = sc->store;
	sc->job.piece = i;
	sc->job.done = bg_done;
	sc->job.arg = sc;
	tl_disk_submit(sc->disk, &sc->job);
}
