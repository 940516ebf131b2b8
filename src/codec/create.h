/*
 * create.h: making a v1 .torrent (BEP 3, with BEP 5 `nodes`, BEP 12
 * `announce-list`, BEP 19 `url-list`, BEP 27 `private`) from a file or a
 * directory tree.
 *
 * Three stages, each usable on its own (tests drive them separately):
 *   tl_create_scan   walks the path into a tree of regular files;
 *   tl_create_hash   computes the piece hashes on a pool of threads;
 *   tl_create_encode writes the canonical bencoded torrent.
 * tl_create() runs all three.
 *
 * Tree rules (so the same tree always gives the same infohash):
 *  - Directory entries are taken in byte order of their names (strcmp), so
 *    files are ordered by their path components compared bytewise.
 *  - Nothing is skipped: hidden files and zero-length files are included.
 *    Empty directories cannot be expressed in a torrent and vanish.
 *  - A symlink inside the tree is followed only when it resolves to a
 *    regular file that itself lies inside the tree (realpath below the
 *    root's realpath); every other symlink (to a directory, outside the
 *    tree, dangling) is left out with a warning. The path given by the
 *    user is always followed.
 *  - A fifo, socket or device anywhere in the tree refuses the whole tree,
 *    as does a tree with no files or only empty ones, and a top-level
 *    ".pad" directory (BEP 47 reserves it for padding files).
 *  - Names are kept as their bytes (UTF-8 on sane systems).
 *
 * Threads: tl_create_hash runs worker threads internally and calls the
 * progress callback only from the calling thread. Everything else is
 * single-threaded; distinct objects may be used from distinct threads.
 */
#ifndef TL_CREATE_H
#define TL_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/digest.h"
#include "codec/metainfo.h"

/* Automatic piece length: the smallest power of two giving at most 2000
 * pieces (so between 1000 and 2000), clamped to
 * [TL_CREATE_MIN_AUTO_PIECE, TL_CREATE_MAX_AUTO_PIECE]. */
#define TL_CREATE_MIN_AUTO_PIECE (16u * 1024)
#define TL_CREATE_MAX_AUTO_PIECE (16u * 1024 * 1024)

/* A one-line reason for a failure, with the path involved. */
struct tl_create_err {
	char msg[512];
};

/* Called from the thread running tl_create_hash about every 100 ms and once
 * at the end: done of total payload bytes are hashed. */
typedef void (*tl_create_progress_fn)(uint64_t done, uint64_t total, void *arg);

struct tl_create_opts {
	uint32_t piece_len;            /* 0: tl_create_auto_piece_len() */
	unsigned nthreads;             /* 0: one per online CPU */
	const char *const *trackers;   /* one tier each, in order; may be NULL */
	size_t ntrackers;
	const char *const *web_seeds;  /* BEP 19 url-list */
	size_t nweb_seeds;
	const struct tl_node_addr *nodes; /* BEP 5 DHT nodes */
	size_t nnodes;
	const char *comment;           /* NULL: none */
	const char *created_by;        /* NULL: none */
	int64_t creation_date;         /* seconds since the epoch; 0: none */
	bool is_private;               /* BEP 27 */
	tl_create_progress_fn progress; /* may be NULL */
	void *progress_arg;
};

struct tl_create_tree;

struct tl_create_result {
	uint8_t *torrent;       /* the .torrent bytes, owned */
	size_t torrent_len;
	struct tl_infohash infohash;
	uint64_t total_len;
	uint32_t piece_len;
	uint32_t npieces;
	size_t nfiles;
};

/*
 * Walk path (a regular file or a directory; see the tree rules above).
 * Returns 0 and *tree_out (free with tl_create_tree_free), or TL_EINVAL
 * (refused: missing, special file, empty, over a bounds.h limit) or TL_EIO
 * (a system call failed) with err_out filled.
 */
int tl_create_scan(const char *path, struct tl_create_tree **tree_out,
    struct tl_create_err *err_out);
void tl_create_tree_free(struct tl_create_tree *t);

/* The torrent's name (last component of the path), total payload bytes,
 * number of files, and whether it is a directory torrent. Borrowed views
 * valid until the tree is freed. */
const char *tl_create_tree_name(const struct tl_create_tree *t);
uint64_t tl_create_tree_size(const struct tl_create_tree *t);
size_t tl_create_tree_nfiles(const struct tl_create_tree *t);
bool tl_create_tree_is_dir(const struct tl_create_tree *t);
/* Relative path ('/'-joined) and length of file i < nfiles. */
const char *tl_create_tree_path(const struct tl_create_tree *t, size_t i);
uint64_t tl_create_tree_file_len(const struct tl_create_tree *t, size_t i);

/* The piece length the automatic choice gives for total bytes. */
uint32_t tl_create_auto_piece_len(uint64_t total);

/*
 * Parse a --piece-size value: "auto" (gives 0), or a number of bytes with
 * an optional K or M suffix (binary units) that is a power of two in
 * [TL_MIN_PIECE_LEN, TL_MAX_PIECE_LEN]. Returns 0 or TL_EINVAL.
 */
int tl_create_parse_piece_len(const char *s, uint32_t *len_out);

/*
 * Parse a --node value "HOST:PORT" or "[IPv6]:PORT" (port 1..65535, host
 * non-empty). On success node_out->host is allocated (free it). Returns 0
 * or TL_EINVAL.
 */
int tl_create_parse_node(const char *s, struct tl_node_addr *node_out);

/*
 * Hash the tree's payload in pieces of piece_len (a power of two >= 16 KiB)
 * using nthreads workers (0: one per online CPU). Each worker claims whole
 * pieces from a shared counter and preads their byte range across file
 * boundaries. On success returns 0 and *pieces_out (npieces * 20 bytes,
 * free()); on failure TL_EIO or TL_EINVAL (a file changed size) with
 * err_out filled.
 */
int tl_create_hash(const struct tl_create_tree *t, uint32_t piece_len, unsigned nthreads,
    tl_create_progress_fn progress, void *progress_arg, uint8_t **pieces_out,
    struct tl_create_err *err_out);

/*
 * Encode the torrent for tree t with the given hashes (as tl_create_hash
 * made them for piece_len). Dictionary keys are written in sorted order;
 * the infohash is SHA-1 over the encoded info dictionary. Fills *res_out
 * (clear with tl_create_result_clear). Returns 0, or TL_ELIMIT when the
 * result would exceed TL_MAX_TORRENT_FILE.
 */
int tl_create_encode(const struct tl_create_tree *t, const struct tl_create_opts *o,
    uint32_t piece_len, const uint8_t *pieces, struct tl_create_result *res_out,
    struct tl_create_err *err_out);

/* scan + hash + encode. Returns as the stages do. */
int tl_create(const char *path, const struct tl_create_opts *o, struct tl_create_result *res_out,
    struct tl_create_err *err_out);

void tl_create_result_clear(struct tl_create_result *r);

#endif
