/*
 * engine_fixture.h: builds struct tl_metainfo values by hand for the
 * storage tests (layout, diskio, resume), so they do not depend on a
 * .torrent parser, plus a temp-dir helper. Test code only.
 */
#ifndef TL_ENGINE_FIXTURE_H
#define TL_ENGINE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/mem.h"
#include "codec/metainfo.h"

struct fx_file {
	const char *path;
	uint64_t length;
	bool is_pad;
};

/* A metainfo over files[0..n) with no piece hashes yet (all zero). */
static inline struct tl_metainfo *fx_metainfo(const char *name, uint32_t piece_len,
    const struct fx_file *files, size_t n, bool is_multi)
{
	struct tl_metainfo *mi = tl_calloc(1, sizeof(*mi));
	mi->name = tl_strdup(name);
	mi->is_multi_file = is_multi;
	mi->piece_len = piece_len;
	mi->nfiles = n;
	mi->files = tl_calloc(n, sizeof(*mi->files));
	uint64_t off = 0;
	for (size_t i = 0; i < n; i++) {
		mi->files[i].path = tl_strdup(files[i].path);
		mi->files[i].length = files[i].length;
		mi->files[i].offset = off;
		mi->files[i].is_pad = files[i].is_pad;
		off += files[i].length;
	}
	mi->total_len = off;
	mi->npieces = (uint32_t)(off / piece_len + (off % piece_len != 0));
	mi->pieces = tl_calloc((size_t)mi->npieces + 1, 20);
	for (size_t i = 0; i < 20; i++)
		mi->infohash.b[i] = (uint8_t)(i * 7 + piece_len);
	return mi;
}

static inline void fx_metainfo_free(struct tl_metainfo *mi)
{
	if (!mi)
		return;
	for (size_t i = 0; i < mi->nfiles; i++)
		free(mi->files[i].path);
	free(mi->files);
	free(mi->pieces);
	free(mi->name);
	free(mi);
}

/* Deterministic content of torrent byte off (pad files are zeros). */
static inline uint8_t fx_byte(uint64_t off)
{
	return (uint8_t)((off * 2654435761u) >> 13);
}

/* Fill piece i of mi into buf (zeros inside pad files) and set its hash. */
static inline void fx_piece(struct tl_metainfo *mi, uint32_t i, uint8_t *buf, uint32_t *len_out)
{
	uint64_t start = (uint64_t)i * mi->piece_len;
	uint64_t len = mi->total_len - start < mi->piece_len ? mi->total_len - start : mi->piece_len;
	for (uint64_t k = 0; k < len; k++) {
		uint64_t off = start + k;
		bool pad = false;
		for (size_t f = 0; f < mi->nfiles; f++)
			if (mi->files[f].is_pad && off >= mi->files[f].offset &&
			    off - mi->files[f].offset < mi->files[f].length)
				pad = true;
		buf[k] = pad ? 0 : fx_byte(off);
	}
	tl_sha1(buf, (size_t)len, mi->pieces + (size_t)i * 20);
	*len_out = (uint32_t)len;
}

/* mkdtemp under $TMPDIR; caller frees and removes with fx_rmtree. */
static inline char *fx_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/tl-test-XXXXXX", t ? t : "/tmp");
	char *d = mkdtemp(tmpl);
	return d ? tl_strdup(d) : NULL;
}

static inline void fx_rmtree(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
