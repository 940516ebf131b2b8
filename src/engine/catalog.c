/* catalog.c: see catalog.h. */
#include "engine/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "dht/benc.h"
#include "engine/resume.h"
#include "engine/statedir.h"

/* Trackers or peers kept per torrent. */
#define MAX_LIST 64u

static char *str_dup(const struct benc_doc *d, long i, size_t max)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, i, &s, &n) || n == 0 || n > max || memchr(s, '\0', n))
		return NULL;
	char *out = tl_malloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static bool flag(const struct benc_doc *d, size_t item, const char *key)
{
	int64_t v = 0;
	return benc_get_int(d, benc_dict_get(d, item, key), &v) && v != 0;
}

static int64_t number(const struct benc_doc *d, size_t item, const char *key, int64_t max)
{
	int64_t v = 0;
	if (!benc_get_int(d, benc_dict_get(d, item, key), &v) || v < 0 || v > max)
		return 0;
	return v;
}

/* A list of strings; NULL entries (bad ones) are skipped. */
static const char **str_list(const struct benc_doc *d, size_t item, const char *key, size_t *n_out)
{
	long l = benc_dict_get(d, item, key);
	*n_out = 0;
	if (!benc_is(d, l, BENC_LIST) || d->toks[l].count == 0)
		return NULL;
	size_t cnt = d->toks[l].count < MAX_LIST ? d->toks[l].count : MAX_LIST;
	const char **out = tl_calloc(cnt, sizeof(*out));
	size_t i = (size_t)l + 1;
	for (size_t k = 0; k < cnt; k++, i = benc_next(d, i)) {
		char *s = str_dup(d, (long)i, TL_MAX_PATH);
		if (s)
			out[(*n_out)++] = s;
	}
	return out;
}

static void item_clear(struct tl_catalog_item *it)
{
	free(it->name);
	free((char *)it->set.dir);
	free((char *)it->set.only);
	free((char *)it->set.skip);
	for (size_t i = 0; i < it->set.ntrackers; i++)
		free((char *)it->set.trackers[i]);
	free((void *)it->set.trackers);
	for (size_t i = 0; i < it->set.npeers; i++)
		free((char *)it->set.peers[i]);
	free((void *)it->set.peers);
}

/* One torrent's dict at index i; false when it is unusable. */
static bool item_parse(const struct benc_doc *d, size_t i, struct tl_catalog_item *it)
{
	const uint8_t *ih;
	size_t n;
	memset(it, 0, sizeof(*it));
	if (!benc_is(d, (long)i, BENC_DICT) || !benc_get_str(d, benc_dict_get(d, i, "infohash"), &ih, &n) ||
	    n != 20)
		return false;
	memcpy(it->ih.b, ih, 20);
	it->set.dir = str_dup(d, benc_dict_get(d, i, "dir"), TL_MAX_PATH);
	if (!it->set.dir)
		return false;
	it->name = str_dup(d, benc_dict_get(d, i, "name"), TL_MAX_PATH_COMPONENT);
	it->set.only = str_dup(d, benc_dict_get(d, i, "only"), TL_MAX_PATH);
	it->set.skip = str_dup(d, benc_dict_get(d, i, "skip"), TL_MAX_PATH);
	it->set.trackers = str_list(d, i, "trackers", &it->set.ntrackers);
	it->set.peers = str_list(d, i, "peers", &it->set.npeers);
	it->set.is_paused = flag(d, i, "paused");
	it->set.is_read_only = flag(d, i, "read_only");
	it->set.is_no_check = flag(d, i, "no_check");
	it->set.is_sequential = flag(d, i, "sequential");
	it->set.is_buffered_io = flag(d, i, "buffered_io");
	it->set.is_no_seed = flag(d, i, "no_seed");
	it->set.is_no_trackers = flag(d, i, "no_trackers");
	it->set.max_peers = (unsigned)number(d, i, "max_peers", 100000);
	it->set.seed_ratio = (double)number(d, i, "seed_ratio", INT64_C(1) << 40) / 1000;
	it->set.seed_time_s = (uint64_t)number(d, i, "seed_time", INT64_C(1) << 40);
	return true;
}

int tl_catalog_parse(const uint8_t *p, size_t len, struct tl_catalog *out, const char **why_out)
{
	memset(out, 0, sizeof(*out));
	if (len > TL_MAX_CATALOG_FILE) {
		*why_out = "the list of torrents is too large";
		return -1;
	}
	size_t max_toks = len / TL_CATALOG_BYTES_PER_TOKEN + 64;
	struct benc_tok *toks = tl_calloc(max_toks, sizeof(*toks));
	struct benc_doc d;
	int rc = -1;
	if (benc_parse(p, len, toks, max_toks, 4, 0, &d, NULL) != 0 || !benc_is(&d, 0, BENC_DICT)) {
		*why_out = "the list of torrents is not a bencoded dictionary";
		goto out;
	}
	int64_t version = 0;
	if (!benc_get_int(&d, benc_dict_get(&d, 0, "version"), &version) || version != 1) {
		*why_out = "the list of torrents has no version this program knows";
		goto out;
	}
	long l = benc_dict_get(&d, 0, "torrents");
	if (!benc_is(&d, l, BENC_LIST) || d.toks[l].count > TL_MAX_TORRENTS) {
		*why_out = "the list of torrents has no \"torrents\" list";
		goto out;
	}
	out->items = tl_calloc(d.toks[l].count ? d.toks[l].count : 1, sizeof(*out->items));
	size_t i = (size_t)l + 1;
	for (size_t k = 0; k < d.toks[l].count; k++, i = benc_next(&d, i)) {
		struct tl_catalog_item *it = &out->items[out->n];
		if (!item_parse(&d, i, it)) {
			item_clear(it);
			continue; /* one bad record costs that torrent only */
		}
		bool is_dup = false;
		for (size_t j = 0; j < out->n && !is_dup; j++)
			is_dup = memcmp(out->items[j].ih.b, it->ih.b, 20) == 0;
		if (is_dup)
			item_clear(it);
		else
			out->n++;
	}
	rc = 0;
out:
	free(toks);
	if (rc != 0)
		tl_catalog_clear(out);
	return rc;
}

static void w_flag(struct benc_w *w, const char *key, bool v)
{
	if (!v)
		return;
	benc_w_cstr(w, key);
	benc_w_int(w, 1);
}

static void w_str(struct benc_w *w, const char *key, const char *v)
{
	if (!v)
		return;
	benc_w_cstr(w, key);
	benc_w_cstr(w, v);
}

static void w_list(struct benc_w *w, const char *key, const char *const *v, size_t n)
{
	if (!n)
		return;
	benc_w_cstr(w, key);
	benc_w_list(w);
	for (size_t i = 0; i < n; i++)
		benc_w_cstr(w, v[i]);
	benc_w_end(w);
}

static void w_num(struct benc_w *w, const char *key, int64_t v)
{
	if (!v)
		return;
	benc_w_cstr(w, key);
	benc_w_int(w, v);
}

void tl_catalog_encode(const struct tl_catalog_item *items, size_t n, uint8_t **p_out, size_t *len_out)
{
	struct benc_w w;
	benc_w_init(&w);
	benc_w_dict(&w);
	benc_w_cstr(&w, "torrents");
	benc_w_list(&w);
	for (size_t i = 0; i < n; i++) {
		const struct tl_catalog_item *it = &items[i];
		const struct tl_entry_settings *s = &it->set;
		benc_w_dict(&w); /* keys in sorted order */
		w_flag(&w, "buffered_io", s->is_buffered_io);
		w_str(&w, "dir", s->dir);
		benc_w_cstr(&w, "infohash");
		benc_w_str(&w, it->ih.b, 20);
		w_num(&w, "max_peers", s->max_peers);
		w_str(&w, "name", it->name);
		w_flag(&w, "no_check", s->is_no_check);
		w_flag(&w, "no_seed", s->is_no_seed);
		w_flag(&w, "no_trackers", s->is_no_trackers);
		w_str(&w, "only", s->only);
		w_flag(&w, "paused", s->is_paused);
		w_list(&w, "peers", s->peers, s->npeers);
		w_flag(&w, "read_only", s->is_read_only);
		w_num(&w, "seed_ratio", (int64_t)(s->seed_ratio * 1000 + 0.5));
		w_num(&w, "seed_time", (int64_t)s->seed_time_s);
		w_flag(&w, "sequential", s->is_sequential);
		w_str(&w, "skip", s->skip);
		w_list(&w, "trackers", s->trackers, s->ntrackers);
		benc_w_end(&w);
	}
	benc_w_end(&w);
	benc_w_cstr(&w, "version");
	benc_w_int(&w, 1);
	benc_w_end(&w);
	if (w.err)
		abort(); /* out of memory */
	*p_out = w.p;
	*len_out = w.len;
}

void tl_catalog_clear(struct tl_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		item_clear(&c->items[i]);
	free(c->items);
	c->items = NULL;
	c->n = 0;
}

void tl_catalog_load(const char *state_dir, struct tl_catalog *out)
{
	memset(out, 0, sizeof(*out));
	if (!state_dir)
		return;
	char *path = tl_statedir_path(state_dir, TL_CATALOG_FILE);
	uint8_t *p = NULL;
	size_t len = 0;
	const char *why = NULL;
	int rc = tl_resume_read(path, &p, &len);
	if (rc != TL_OK) {
		if (rc != TL_ENOENT) /* none yet is no news */
			tl_warn("%s: cannot read it: starting with no torrents", path);
	} else if (tl_catalog_parse(p, len, out, &why) != 0) {
		/* kept aside, not overwritten by the next save */
		size_t n = strlen(path) + 8;
		char *bad = tl_malloc(n);
		snprintf(bad, n, "%s.bad", path);
		tl_warn("%s: %s; renamed %s, starting with no torrents", path, why, bad);
		rename(path, bad);
		free(bad);
	}
	free(p);
	free(path);
}

bool tl_catalog_save(const char *state_dir, const struct tl_catalog_item *items, size_t n)
{
	uint8_t *p;
	size_t len;
	tl_catalog_encode(items, n, &p, &len);
	char *path = tl_statedir_path(state_dir, TL_CATALOG_FILE);
	bool ok = tl_resume_write_atomic(path, p, len) == 0;
	free(path);
	free(p);
	return ok;
}
