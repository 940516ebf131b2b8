/*
 * metainfo.h: .torrent files (BEP 3, 12, 19, 27, 47, 52 detection, and the
 * BEP 5 `nodes` key), parsed into one owned struct.
 *
 * The infohash is SHA-1 over the exact raw bytes of the `info` value as it
 * appears in the file; it is never re-encoded. Every path is sanitised: a
 * component that is empty, ".", "..", contains '/' or NUL, or is longer
 * than TL_MAX_PATH_COMPONENT refuses the whole torrent, as do two entries
 * for one path and a file that another entry uses as a directory (padding
 * files excepted: they are never written and may share a name). Padding files
 * (BEP 47 attr "p", or a path under ".pad/") are kept in the file list with is_pad set so piece
 * offsets stay right; the storage layer never writes them.
 *
 * Dictionary keys out of order are accepted (many torrents in circulation
 * have them) and reported in not_canonical; every other departure from
 * canonical bencode (leading zeros, "-0", duplicate keys, trailing bytes)
 * refuses the torrent. Since the infohash covers the info bytes as written,
 * an unsorted info dictionary keeps the infohash its creator published.
 *
 * Pure L1 code: no I/O beyond what the caller hands in; any thread.
 */
#ifndef TL_METAINFO_H
#define TL_METAINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"

struct tl_file {
	char *path;      /* relative to the torrent's root dir, components joined by '/';
	                    for a single-file torrent it is the name */
	uint64_t length;
	uint64_t offset; /* byte offset of the file in the torrent's data */
	bool is_pad;     /* BEP 47 "p" */
	bool is_exec;    /* BEP 47 "x" */
	bool is_hidden;  /* BEP 47 "h" */
};

struct tl_tracker_tier {
	char **urls;
	size_t nurls;
};

struct tl_node_addr {
	char *host;
	uint16_t port;
};

struct tl_metainfo {
	struct tl_infohash infohash;
	char *name;            /* sanitised single component */
	bool is_multi_file;    /* info has "files" */
	bool is_private;       /* BEP 27 */
	bool is_hybrid;        /* BEP 52 hybrid: loaded as v1 */
	uint32_t piece_len;
	uint32_t npieces;
	uint64_t total_len;
	uint8_t *pieces;       /* npieces * 20 bytes, owned */
	struct tl_file *files;
	size_t nfiles;
	struct tl_tracker_tier *tiers; /* announce-list, or one tier from announce */
	size_t ntiers;
	char **web_seeds;      /* BEP 19 url-list */
	size_t nweb_seeds;
	struct tl_node_addr *nodes; /* BEP 5 "nodes" */
	size_t nnodes;
	char *comment;         /* NULL when absent */
	char *created_by;
	int64_t creation_date; /* 0 when absent */
	uint8_t *info_raw;     /* exact bytes of the info dict, owned (served by ut_metadata) */
	size_t info_len;
	char *not_canonical;   /* why the document is not canonical bencode ("dictionary
	                          keys out of order at byte 12, inside info"), or NULL */
};

/*
 * Parse a whole .torrent. On success returns 0 and *mi_out (free with
 * tl_metainfo_free). On failure returns -1, *mi_out is NULL and *why_out
 * is a one-line static or thread-local reason ("info.pieces: length 30 is
 * not a multiple of 20", "v2-only torrents are not supported yet", ...),
 * valid until the next parse on the same thread.
 */
int tl_metainfo_parse(const uint8_t *p, size_t len, struct tl_metainfo **mi_out,
    const char **why_out);

/*
 * Parse only a bencoded info dictionary (as fetched with ut_metadata, BEP 9)
 * and check that it hashes to expect. Same results as tl_metainfo_parse.
 */
int tl_metainfo_parse_info(const uint8_t *info, size_t len, const struct tl_infohash *expect,
    struct tl_metainfo **mi_out, const char **why_out);

void tl_metainfo_free(struct tl_metainfo *mi);

/* Length of piece i (the last one may be short). i < npieces. */
uint32_t tl_metainfo_piece_len(const struct tl_metainfo *mi, uint32_t i);

#endif
