/*
 * create_tree.h: the tree of files behind a torrent being made, shared by
 * create.c (walk, encode) and create_hash.c (hashing). Private to those two;
 * everyone else goes through create.h.
 */
#ifndef TL_CREATE_TREE_H
#define TL_CREATE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec/create.h"

struct tl_create_file {
	char *fs_path;   /* path to open, owned */
	const char *rel; /* torrent path ('/'-joined), a view into fs_path or the name */
	uint64_t length;
	uint64_t offset; /* in the torrent's payload */
};

struct tl_create_tree {
	char *root;  /* the path as given, trailing slashes removed */
	char *name;  /* the torrent's name */
	bool is_dir;
	struct tl_create_file *files;
	size_t nfiles;
	size_t cap;
	uint64_t total;
};

/* Fill e->msg from a printf format. */
void tl_create_fail(struct tl_create_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Number of pieces of piece_len covering total bytes. */
uint32_t tl_create_npieces(uint64_t total, uint32_t piece_len);

#endif
