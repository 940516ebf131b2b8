/*
 * startcheck.c: a torrent's startup check (see startcheck.h).
 * Loop thread only; disk work runs on the pool.
 */
#include "engine/startcheck.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

void tl_startcheck_init(struct tl_startcheck *c, struct tl_disk *disk, struct tl_disk_store *store,
    const struct tl_layout *l, const struct tl_infohash *infohash, const char *name,
    const struct tl_startcheck_ops *ops, void *arg)
{
	memset(c, 0, sizeof(*c));
	c->disk = disk;
	c->store = store;
	c->l = l;
	c->infohash = infohash;
	c->name = name;
	c->ops = ops;
	c->arg = arg;
}

void tl_startcheck_clear(struct tl_startcheck *c)
{
	tl_bitfield_clear(&c->to_check);
	free(c->why);
	c->why = NULL;
}

uint32_t tl_startcheck_skip_absent(const struct tl_layout *l, const struct tl_resume_file *cur,
    struct tl_bitfield *to_check)
{
	uint32_t total = 0;
	for (uint32_t i = 0; i < l->npieces; i++) {
		bool any = false;
		struct tl_layout_iter it;
		struct tl_layout_seg seg;
		tl_layout_iter_init(&it, l, i, 0, tl_layout_piece_len(l, i));
		while (!any && tl_layout_iter_next(&it, &seg))
			any = !seg.is_pad && cur[seg.file].size > 0;
		if (tl_bitfield_get(to_check, i) && any)
			total++;
		else
			tl_bitfield_unset(to_check, i);
	}
	return total;
}

static void check_more(struct tl_startcheck *c);

static void check_done(struct tl_disk_job *job)
{
	struct tl_startcheck *c = job->arg;
	c->inflight--;
	c->done++;
	if (job->status == TL_DISK_OK)
		c->ops->have(c->arg, job->piece);
	job->op = TL_DISK_VERIFY; /* marks the slot free: piece set on reuse */
	job->arg = NULL;
	check_more(c);
}

static void check_more(struct tl_startcheck *c)
{
	while (!c->is_stopped && c->inflight < TL_STARTCHECK_INFLIGHT &&
	    (c->next = tl_bitfield_next_set(&c->to_check, c->next)) < c->l->npieces) {
		struct tl_disk_job *j = NULL;
		for (unsigned i = 0; i < TL_STARTCHECK_INFLIGHT && !j; i++)
			if (!c->jobs[i].arg)
				j = &c->jobs[i];
		if (!j)
			break; /* cannot happen: inflight < TL_STARTCHECK_INFLIGHT */
		memset(j, 0, sizeof(*j));
		j->op = TL_DISK_VERIFY;
		j->store = c->store;
		j->piece = c->next++;
		j->done = check_done;
		j->arg = c;
		c->inflight++;
		tl_disk_submit(c->disk, j);
	}
	if (c->inflight > 0 || !c->is_running)
		return;
	c->is_running = false;
	c->ops->done(c->arg, NULL);
}

static void no_work(struct tl_disk_job *job)
{
	(void)job;
}

static void seed_mode_done(struct tl_disk_job *job)
{
	struct tl_startcheck *c = job->arg;
	job->op = TL_DISK_VERIFY; /* the slot is free again (see check_more) */
	job->arg = NULL;
	if (!c->why || c->is_stopped) {
		check_more(c); /* nothing to check: finishes the "check" */
		return;
	}
	c->is_running = false;
	c->ops->done(c->arg, c->why);
}

void tl_startcheck_plan(struct tl_startcheck *c, const char *resume_path, struct tl_seedcheck *seed)
{
	const struct tl_layout *l = c->l;
	struct tl_resume r;
	struct tl_resume *rp = NULL;
	if (resume_path) {
		uint8_t *p;
		size_t len;
		const char *why = NULL;
		if (tl_resume_read(resume_path, &p, &len) == TL_OK) {
			if (tl_resume_decode(p, len, c->infohash, l->npieces, l->nfiles, &r, &why) == TL_OK)
				rp = &r;
			else
				tl_warn("torrent %s: resume file ignored: %s", c->name, why);
			free(p);
		}
	}
	struct tl_resume_file *cur = tl_calloc(l->nfiles, sizeof(*cur));
	tl_resume_stat_files(c->store, l->nfiles, cur);
	uint8_t *have = tl_calloc(tl_bitfield_nbytes(l->npieces), 1);
	tl_bitfield_init(&c->to_check, l->npieces);
	tl_resume_plan(l, rp, cur, have, c->to_check.bits);
	c->is_running = true;
	c->next = 0;
	c->is_seed_mode = seed != NULL;
	if (seed) {
		bool is_ok = tl_seedcheck_plan(seed, have, cur, &c->why) == TL_OK;
		tl_bitfield_unset_all(&c->to_check);
		for (uint32_t i = 0; is_ok && i < l->npieces; i++)
			c->ops->have(c->arg, i);
	} else {
		for (uint32_t i = 0; i < l->npieces; i++)
			if (have[i >> 3] & (0x80u >> (i & 7)))
				c->ops->have(c->arg, i);
		c->total += tl_startcheck_skip_absent(l, cur, &c->to_check);
	}
	free(have);
	free(cur);
	if (rp)
		tl_resume_clear(rp);
}

void tl_startcheck_run(struct tl_startcheck *c)
{
	if (!c->is_seed_mode) {
		check_more(c);
		return;
	}
	struct tl_disk_job *j = &c->jobs[0];
	memset(j, 0, sizeof(*j));
	j->op = TL_DISK_CALL;
	j->store = c->store; /* counted as the store's */
	j->work = no_work;
	j->done = seed_mode_done;
	j->arg = c;
	tl_disk_submit(c->disk, j);
}

void tl_startcheck_stop(struct tl_startcheck *c)
{
	c->is_stopped = true;
}
