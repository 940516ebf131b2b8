/* layout.c: see layout.h. */
#include "codec/layout.h"

#include <assert.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"
#include "codec/metainfo.h"

int tl_layout_init(struct tl_layout *l, const struct tl_metainfo *mi)
{
	memset(l, 0, sizeof(*l));
	if (mi->piece_len == 0 || mi->nfiles == 0)
		return TL_EINVAL;
	uint64_t want_pieces = mi->total_len / mi->piece_len + (mi->total_len % mi->piece_len != 0);
	if (want_pieces != mi->npieces || mi->total_len == 0)
		return TL_EINVAL;
	l->total_len = mi->total_len;
	l->piece_len = mi->piece_len;
	l->npieces = mi->npieces;
	l->nfiles = mi->nfiles;
	l->files = tl_calloc(mi->nfiles, sizeof(*l->files));
	uint64_t off = 0;
	for (size_t i = 0; i < mi->nfiles; i++) {
		const struct tl_file *f = &mi->files[i];
		struct tl_layout_file *lf = &l->files[i];
		if (f->offset != off || f->length > l->total_len - off) {
			tl_layout_clear(l);
			return TL_EINVAL;
		}
		lf->offset = off;
		lf->length = f->length;
		lf->is_pad = f->is_pad;
		if (f->length > 0) {
			lf->first_piece = (uint32_t)(off / l->piece_len);
			lf->last_piece = (uint32_t)((off + f->length - 1) / l->piece_len);
		}
		off += f->length;
	}
	if (off != l->total_len) {
		tl_layout_clear(l);
		return TL_EINVAL;
	}
	return TL_OK;
}

void tl_layout_clear(struct tl_layout *l)
{
	if (!l)
		return;
	free(l->files);
	memset(l, 0, sizeof(*l));
}

uint32_t tl_layout_piece_len(const struct tl_layout *l, uint32_t i)
{
	assert(i < l->npieces);
	if (i + 1 < l->npieces)
		return l->piece_len;
	return (uint32_t)(l->total_len - (uint64_t)i * l->piece_len);
}

size_t tl_layout_file_at(const struct tl_layout *l, uint64_t off)
{
	assert(off < l->total_len);
	/* The last file whose offset is <= off and that is not empty. */
	size_t lo = 0, hi = l->nfiles;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->files[mid].offset <= off)
			lo = mid;
		else
			hi = mid;
	}
	/* Empty files share the offset of the next one; step past them. */
	while (l->files[lo].length == 0 || off - l->files[lo].offset >= l->files[lo].length)
		lo++;
	return lo;
}

void tl_layout_iter_init(struct tl_layout_iter *it, const struct tl_layout *l, uint32_t piece,
    uint32_t begin, uint32_t len)
{
	assert(piece < l->npieces);
	uint32_t plen = tl_layout_piece_len(l, piece);
	assert(begin <= plen && len <= plen - begin);
	it->l = l;
	it->off = (uint64_t)piece * l->piece_len + begin;
	it->left = len;
	it->file = len ? tl_layout_file_at(l, it->off) : l->nfiles;
}

bool tl_layout_iter_next(struct tl_layout_iter *it, struct tl_layout_seg *seg_out)
{
	const struct tl_layout *l = it->l;
	while (it->left > 0 && it->file < l->nfiles) {
		const struct tl_layout_file *f = &l->files[it->file];
		uint64_t in_file = it->off - f->offset;
		if (f->length == 0 || in_file >= f->length) {
			it->file++;
			continue;
		}
		uint64_t n = f->length - in_file;
		if (n > it->left)
			n = it->left;
		seg_out->file = it->file;
		seg_out->file_off = in_file;
		seg_out->len = (uint32_t)n;
		seg_out->is_pad = f->is_pad;
		it->off += n;
		it->left -= n;
		return true;
	}
	return false;
}

/* One selection item: "N", "A-B" or a glob. */
static int select_item(const struct tl_layout *l, const char *const *paths, const char *item,
    bool *hit, const char **why_out)
{
	char *end;
	if (item[0] >= '0' && item[0] <= '9') {
		unsigned long long a = strtoull(item, &end, 10), b = a;
		if (*end == '-') {
			const char *s = end + 1;
			if (!(*s >= '0' && *s <= '9')) {
				*why_out = "bad index range";
				return TL_EINVAL;
			}
			b = strtoull(s, &end, 10);
		}
		if (*end == '\0') {
			if (a > b || b >= l->nfiles) {
				*why_out = "file index out of range";
				return TL_EINVAL;
			}
			for (size_t i = (size_t)a; i <= (size_t)b; i++)
				hit[i] = !l->files[i].is_pad;
			return TL_OK;
		}
	}
	for (size_t i = 0; i < l->nfiles; i++)
		if (!l->files[i].is_pad && fnmatch(item, paths[i], 0) == 0)
			hit[i] = true;
	return TL_OK;
}

int tl_layout_select(const struct tl_layout *l, const char *const *paths, const char *spec,
    bool is_only, bool *wanted_out, const char **why_out)
{
	bool *hit = tl_calloc(l->nfiles, sizeof(*hit));
	char *copy = tl_strdup(spec);
	int rc = TL_OK;
	char *p = copy;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (*p == '\0') {
			*why_out = "empty item in file list";
			rc = TL_EINVAL;
			goto out;
		}
		rc = select_item(l, paths, p, hit, why_out);
		if (rc != TL_OK)
			goto out;
		if (!comma)
			break;
		p = comma + 1;
	}
	for (size_t i = 0; i < l->nfiles; i++) {
		if (is_only)
			wanted_out[i] = wanted_out[i] && hit[i];
		else if (hit[i])
			wanted_out[i] = false;
	}
out:
	free(copy);
	free(hit);
	return rc;
}

uint32_t tl_layout_wanted_pieces(const struct tl_layout *l, const bool *wanted,
    uint8_t *piece_wanted_out)
{
	memset(piece_wanted_out, 0, ((size_t)l->npieces + 7) / 8);
	uint32_t n = 0;
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct tl_layout_file *f = &l->files[i];
		if (!wanted[i] || f->is_pad || f->length == 0)
			continue;
		for (uint32_t p = f->first_piece; p <= f->last_piece; p++) {
			uint8_t bit = (uint8_t)(0x80u >> (p & 7));
			if (!(piece_wanted_out[p >> 3] & bit)) {
				piece_wanted_out[p >> 3] |= bit;
				n++;
			}
		}
	}
	return n;
}

int tl_layout_select_pieces(const struct tl_layout *l, const struct tl_metainfo *mi,
    const char *only, const char *skip, struct tl_bitfield *wanted_out, const char **why_out)
{
	bool *wanted = tl_calloc(l->nfiles, sizeof(*wanted));
	const char **paths = tl_calloc(l->nfiles, sizeof(*paths));
	for (size_t i = 0; i < l->nfiles; i++) {
		wanted[i] = true;
		paths[i] = mi->files[i].path;
	}
	int rc = TL_OK;
	if (only)
		rc = tl_layout_select(l, paths, only, true, wanted, why_out);
	if (rc == TL_OK && skip)
		rc = tl_layout_select(l, paths, skip, false, wanted, why_out);
	tl_bitfield_init(wanted_out, l->npieces);
	if (rc == TL_OK) {
		uint8_t *bits = tl_calloc(tl_bitfield_nbytes(l->npieces), 1);
		tl_layout_wanted_pieces(l, wanted, bits);
		const char *why = NULL;
		tl_bitfield_from_wire(wanted_out, bits, tl_bitfield_nbytes(l->npieces), &why);
		free(bits);
	}
	free(wanted);
	free(paths);
	return rc;
}
