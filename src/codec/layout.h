/*
 * layout.h: where the bytes of a torrent live (BEP 3 "the files are
 * concatenated in list order", BEP 47 padding files).
 *
 * A layout maps a byte range of the torrent (a piece, or a block inside a
 * piece) onto segments of its files, and a file selection onto the set of
 * pieces that must be downloaded. Padding files are part of the torrent's
 * byte space (their bytes are zeros) but are never read or written: a
 * segment that falls in one is returned with is_pad set, and the storage
 * layer zero-fills or skips it. Zero-length files produce no segment.
 *
 * Pure L1 code: no I/O. A layout is built once from a metainfo and then
 * only read, so it may be shared by the loop and the disk workers.
 * Offsets are 64-bit throughout (totals over 4 GiB).
 */
#ifndef TL_LAYOUT_H
#define TL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/bitfield.h"

struct tl_metainfo;

struct tl_layout_file {
	uint64_t offset;       /* in the torrent's byte space */
	uint64_t length;
	bool is_pad;
	uint32_t first_piece;  /* pieces overlapping the file (none when length is 0) */
	uint32_t last_piece;
};

struct tl_layout {
	uint64_t total_len;
	uint32_t piece_len;
	uint32_t npieces;
	size_t nfiles;
	struct tl_layout_file *files; /* owned; same order as the metainfo */
};

/* One contiguous run of bytes inside one file. */
struct tl_layout_seg {
	size_t file;       /* index into files */
	uint64_t file_off; /* offset inside that file */
	uint32_t len;      /* never 0 */
	bool is_pad;       /* a padding file: zeros, never touched on disk */
};

/* Walks the segments of one byte range in order. */
struct tl_layout_iter {
	const struct tl_layout *l;
	size_t file;
	uint64_t off;  /* next torrent offset */
	uint64_t left; /* bytes still to map */
};

/*
 * Build the layout of mi (borrowed; only read during the call). Returns
 * TL_OK, or TL_EINVAL when the file offsets and lengths do not tile the
 * torrent exactly or the piece count does not match total_len.
 */
int tl_layout_init(struct tl_layout *l, const struct tl_metainfo *mi);
void tl_layout_clear(struct tl_layout *l);

/* Length of piece i (the last one may be short); i < npieces. */
uint32_t tl_layout_piece_len(const struct tl_layout *l, uint32_t i);

/*
 * Start walking [piece * piece_len + begin, + len). The caller has checked
 * piece < npieces and len <= piece length - begin; the iterator asserts it.
 */
void tl_layout_iter_init(struct tl_layout_iter *it, const struct tl_layout *l, uint32_t piece,
    uint32_t begin, uint32_t len);
/* Next segment into *seg_out; false when the range is exhausted. */
bool tl_layout_iter_next(struct tl_layout_iter *it, struct tl_layout_seg *seg_out);

/*
 * File selection. spec is a comma-separated list of items, each a file
 * index (0-based, as `trackless info` lists them), a range "A-B", or a
 * glob (fnmatch) matched against the file's path. Padding files never
 * match. For `--only`, pass is_only true: wanted_out[i] becomes true for
 * the matching files only; for `--skip`, matching files become false.
 * wanted_out has nfiles entries and is updated in place (start with all
 * true). paths[i] is the path of file i. Returns TL_OK or TL_EINVAL with
 * *why_out set when an index is out of range or an item is empty.
 */
int tl_layout_select(const struct tl_layout *l, const char *const *paths, const char *spec,
    bool is_only, bool *wanted_out, const char **why_out);

/*
 * The pieces needed to get every wanted file: bit i of piece_wanted_out
 * (BEP 3 bitfield order, high bit first, (npieces + 7) / 8 bytes) is set
 * when piece i overlaps a wanted, non-padding, non-empty file. Returns
 * the number of wanted pieces.
 */
uint32_t tl_layout_wanted_pieces(const struct tl_layout *l, const bool *wanted,
    uint8_t *piece_wanted_out);

/*
 * The wanted pieces of the file selection: files matching only (NULL:
 * all), less those matching skip (NULL: none), tl_layout_select's rules,
 * then tl_layout_wanted_pieces. wanted_out is initialized to npieces bits
 * in every case (to be cleared by the caller). Returns TL_OK, or TL_EINVAL
 * with *why_out set as tl_layout_select does (no piece set then).
 */
int tl_layout_select_pieces(const struct tl_layout *l, const struct tl_metainfo *mi,
    const char *only, const char *skip, struct tl_bitfield *wanted_out, const char **why_out);

/* Index of the file holding torrent offset off (< total_len), skipping
 * zero-length files. */
size_t tl_layout_file_at(const struct tl_layout *l, uint64_t off);

#endif
