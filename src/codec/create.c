/*
 * create.c: making a v1 .torrent: the directory walk, option parsing
 * helpers and the canonical encoder (see create.h for the tree rules).
 * The hashing stage lives in create_hash.c.
 *
 * BEPs: 3 (metainfo), 5 (nodes), 12 (announce-list), 19 (url-list),
 * 27 (private).
 *
 * Owns: the tree (file records with their filesystem and torrent paths).
 * Invariant: files are in walk order with offsets ascending and
 * contiguous; zero-length files share their neighbour's offset.
 * Thread: the caller's.
 */
#include "codec/create.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dht/benc.h"

#include "base/bounds.h"
#include "codec/create_tree.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

void tl_create_fail(struct tl_create_err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---- the walk ---- */

struct walk {
	struct tl_create_tree *t;
	const char *root_real; /* realpath of the root, for the symlink rule */
	size_t root_real_len;
	struct tl_create_err *err;
};

static void add_file(struct tl_create_tree *t, char *fs_path, size_t rel_off, uint64_t len)
{
	if (t->nfiles == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->files = tl_reallocarray(t->files, t->cap, sizeof(*t->files));
	}
	struct tl_create_file *f = &t->files[t->nfiles++];
	f->fs_path = fs_path;
	f->rel = fs_path + rel_off;
	f->length = len;
	f->offset = t->total;
	t->total += len;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the names in dir (without . and ..), sorted bytewise. */
static int read_names(const char *dir, char ***names_out, size_t *n_out, struct tl_create_err *err)
{
	*names_out = NULL;
	*n_out = 0;
	DIR *d = opendir(dir);
	if (!d) {
		tl_create_fail(err, "%s: %s", dir, strerror(errno));
		return TL_EIO;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = TL_OK;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno) {
				tl_create_fail(err, "%s: %s", dir, strerror(errno));
				rc = TL_EIO;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			names = tl_reallocarray(names, cap, sizeof(*names));
		}
		names[n++] = tl_strdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*names_out = names;
	*n_out = n;
	return rc;
}

/* True when the symlink at fs_path resolves to a regular file inside the
 * root; *st_out is then the target's stat. */
static bool symlink_ok(const struct walk *w, const char *fs_path, struct stat *st_out)
{
	char *real = realpath(fs_path, NULL);
	if (!real)
		return false;
	bool ok = strncmp(real, w->root_real, w->root_real_len) == 0 &&
	    real[w->root_real_len] == '/' && stat(real, st_out) == 0 && S_ISREG(st_out->st_mode);
	free(real);
	return ok;
}

static const char *kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a fifo";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file or directory";
}

/* Walk directory dir (a fs path whose torrent-relative part starts at
 * rel_off; rel_off == strlen(dir) + 1 at the root). Depth-first, entries
 * in byte order. */
static int walk_dir(struct walk *w, const char *dir, size_t rel_off)
{
	char **names;
	size_t n;
	int rc = read_names(dir, &names, &n, w->err);
	size_t dlen = strlen(dir);
	for (size_t i = 0; i < n && rc == TL_OK; i++) {
		size_t nlen = strlen(names[i]);
		if (nlen > TL_MAX_PATH_COMPONENT) {
			tl_create_fail(w->err, "%s/%s: name longer than %u bytes", dir, names[i],
			    TL_MAX_PATH_COMPONENT);
			rc = TL_EINVAL;
			break;
		}
		if (rel_off == dlen + 1 && strcmp(names[i], ".pad") == 0) {
			/* BEP 47 names padding files .pad/N; readers take every file
			 * under it for padding and never write it. */
			tl_create_fail(w->err, "%s/.pad: this name is reserved for padding files "
			    "(BEP 47); clients would not download what is in it", dir);
			rc = TL_EINVAL;
			break;
		}
		char *p = tl_malloc(dlen + 1 + nlen + 1);
		memcpy(p, dir, dlen);
		p[dlen] = '/';
		memcpy(p + dlen + 1, names[i], nlen + 1);
		if (strlen(p + rel_off) > TL_MAX_PATH) {
			tl_create_fail(w->err, "%s: path longer than %u bytes", p, TL_MAX_PATH);
			free(p);
			rc = TL_EINVAL;
			break;
		}
		struct stat st;
		if (lstat(p, &st) != 0) {
			tl_create_fail(w->err, "%s: %s", p, strerror(errno));
			free(p);
			rc = TL_EIO;
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			if (!symlink_ok(w, p, &st)) {
				tl_warn("create: skipping %s: a symlink that is not to a regular file inside "
					"the tree", p);
				free(p);
				continue;
			}
		}
		if (S_ISDIR(st.st_mode)) {
			rc = walk_dir(w, p, rel_off);
			free(p);
		} else if (S_ISREG(st.st_mode)) {
			if (w->t->nfiles >= TL_MAX_FILES) {
				tl_create_fail(w->err, "%s: more than %u files", w->t->root, TL_MAX_FILES);
				free(p);
				rc = TL_ELIMIT;
				break;
			}
			add_file(w->t, p, rel_off, (uint64_t)st.st_size);
		} else {
			tl_create_fail(w->err, "%s: %s; refusing to make a torrent of it", p,
			    kind(st.st_mode));
			free(p);
			rc = TL_EINVAL;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* The torrent's name: the last component of path, or of its realpath when
 * the path ends in "." or "..". */
static char *root_name(const char *path, const char *real)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t start = len;
	while (start > 0 && path[start - 1] != '/')
		start--;
	char *name = tl_strndup(path + start, len - start);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0' ||
	    strcmp(name, "/") == 0) {
		free(name);
		const char *slash = strrchr(real, '/');
		name = tl_strdup(slash ? slash + 1 : real);
	}
	return name;
}

int tl_create_scan(const char *path, struct tl_create_tree **tree_out,
    struct tl_create_err *err_out)
{
	*tree_out = NULL;
	struct stat st;
	if (stat(path, &st) != 0) {
		tl_create_fail(err_out, "%s: %s", path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? TL_EINVAL : TL_EIO;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		tl_create_fail(err_out, "%s: %s; refusing to make a torrent of it", path,
		    kind(st.st_mode));
		return TL_EINVAL;
	}
	char *real = realpath(path, NULL);
	if (!real) {
		tl_create_fail(err_out, "%s: %s", path, strerror(errno));
		return TL_EIO;
	}
	struct tl_create_tree *t = tl_calloc(1, sizeof(*t));
	t->name = root_name(path, real);
	int rc = TL_OK;
	if (t->name[0] == '\0') {
		tl_create_fail(err_out, "%s: cannot name a torrent after the root directory", path);
		rc = TL_EINVAL;
		goto out;
	}
	if (S_ISREG(st.st_mode)) {
		t->root = tl_strdup(path);
		add_file(t, tl_strdup(path), 0, (uint64_t)st.st_size);
		t->files[0].rel = t->name;
		goto out;
	}
	/* Strip trailing slashes so relative paths start at a fixed offset. */
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	t->root = tl_strndup(path, len);
	t->is_dir = true;
	struct walk w = { t, real, strlen(real), err_out };
	if (strcmp(real, "/") == 0)
		w.root_real_len = 0; /* every resolved path is below "/" */
	rc = walk_dir(&w, t->root, strlen(t->root) + 1);
	if (rc == TL_OK && t->nfiles == 0) {
		tl_create_fail(err_out, "%s: no files in this directory tree", path);
		rc = TL_EINVAL;
	}
out:
	if (rc == TL_OK && t->total == 0) {
		tl_create_fail(err_out, "%s: every file is empty; there is nothing to share", path);
		rc = TL_EINVAL;
	}
	free(real);
	if (rc != TL_OK) {
		tl_create_tree_free(t);
		return rc;
	}
	*tree_out = t;
	return TL_OK;
}

void tl_create_tree_free(struct tl_create_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i].fs_path);
	free(t->files);
	free(t->name);
	free(t->root);
	free(t);
}

const char *tl_create_tree_name(const struct tl_create_tree *t)
{
	return t->name;
}

uint64_t tl_create_tree_size(const struct tl_create_tree *t)
{
	return t->total;
}

size_t tl_create_tree_nfiles(const struct tl_create_tree *t)
{
	return t->nfiles;
}

bool tl_create_tree_is_dir(const struct tl_create_tree *t)
{
	return t->is_dir;
}

const char *tl_create_tree_path(const struct tl_create_tree *t, size_t i)
{
	return t->files[i].rel;
}

uint64_t tl_create_tree_file_len(const struct tl_create_tree *t, size_t i)
{
	return t->files[i].length;
}

/* ---- option helpers ---- */

uint32_t tl_create_auto_piece_len(uint64_t total)
{
	/* The smallest power of two giving at most 2000 pieces: between 1000
	 * and 2000 pieces unless the clamp applies. */
	uint64_t p = TL_CREATE_MIN_AUTO_PIECE;
	while (p < TL_CREATE_MAX_AUTO_PIECE && (total + p - 1) / p > 2000)
		p *= 2;
	return (uint32_t)p;
}

int tl_create_parse_piece_len(const char *s, uint32_t *len_out)
{
	if (strcmp(s, "auto") == 0) {
		*len_out = 0;
		return TL_OK;
	}
	if (*s < '0' || *s > '9')
		return TL_EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return TL_EINVAL;
	unsigned long long mul = 1;
	if (*end == 'K' || *end == 'k')
		mul = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mul = 1024 * 1024, end++;
	if (*end != '\0' || v > TL_MAX_PIECE_LEN / mul)
		return TL_EINVAL;
	v *= mul;
	if (v < TL_MIN_PIECE_LEN || (v & (v - 1)) != 0)
		return TL_EINVAL;
	*len_out = (uint32_t)v;
	return TL_OK;
}

int tl_create_parse_node(const char *s, struct tl_node_addr *node_out)
{
	const char *host = s, *colon;
	size_t hlen;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return TL_EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return TL_EINVAL;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen))
			return TL_EINVAL; /* a bare IPv6 address needs brackets */
	}
	if (hlen == 0 || hlen > 253 || colon[1] < '0' || colon[1] > '9')
		return TL_EINVAL;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (errno || *end != '\0' || port == 0 || port > 65535)
		return TL_EINVAL;
	node_out->host = tl_strndup(host, hlen);
	node_out->port = (uint16_t)port;
	return TL_OK;
}

/* ---- encoding ---- */

/* A '/'-joined relative path as a bencoded list of components. */
static void put_path(struct benc_w *w, const char *rel)
{
	benc_w_list(w);
	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
		benc_w_str(w, rel, n);
		if (!slash)
			break;
		rel = slash + 1;
	}
	benc_w_end(w);
}

static void put_info(struct benc_w *w, const struct tl_create_tree *t, const struct tl_create_opts *o,
    uint32_t piece_len, const uint8_t *pieces, uint32_t npieces)
{
	benc_w_dict(w);
	if (t->is_dir) {
		benc_w_cstr(w, "files");
		benc_w_list(w);
		for (size_t i = 0; i < t->nfiles; i++) {
			benc_w_dict(w);
			benc_w_cstr(w, "length");
			benc_w_int(w, (int64_t)t->files[i].length);
			benc_w_cstr(w, "path");
			put_path(w, t->files[i].rel);
			benc_w_end(w);
		}
		benc_w_end(w);
	} else {
		benc_w_cstr(w, "length");
		benc_w_int(w, (int64_t)t->total);
	}
	benc_w_cstr(w, "name");
	benc_w_cstr(w, t->name);
	benc_w_cstr(w, "piece length");
	benc_w_int(w, piece_len);
	benc_w_cstr(w, "pieces");
	benc_w_str(w, pieces, (size_t)npieces * 20);
	if (o->is_private) {
		benc_w_cstr(w, "private");
		benc_w_int(w, 1);
	}
	benc_w_end(w);
}

uint32_t tl_create_npieces(uint64_t total, uint32_t piece_len)
{
	return (uint32_t)((total + piece_len - 1) / piece_len);
}

int tl_create_encode(const struct tl_create_tree *t, const struct tl_create_opts *o,
    uint32_t piece_len, const uint8_t *pieces, struct tl_create_result *res_out,
    struct tl_create_err *err_out)
{
	memset(res_out, 0, sizeof(*res_out));
	uint32_t npieces = tl_create_npieces(t->total, piece_len);
	struct benc_w info, w;
	benc_w_init(&info);
	benc_w_init(&w);
	int rc = TL_OK;
	put_info(&info, t, o, piece_len, pieces, npieces);
	if (info.err || info.len > TL_MAX_TORRENT_FILE) {
		tl_create_fail(err_out, "%s: the torrent would exceed %u bytes; use a larger "
		    "--piece-size", t->root, TL_MAX_TORRENT_FILE);
		rc = TL_ELIMIT;
		goto out;
	}
	benc_w_dict(&w);
	if (o->ntrackers > 0) {
		benc_w_cstr(&w, "announce");
		benc_w_cstr(&w, o->trackers[0]);
	}
	if (o->ntrackers > 1) {
		benc_w_cstr(&w, "announce-list");
		benc_w_list(&w);
		for (size_t i = 0; i < o->ntrackers; i++) {
			benc_w_list(&w);
			benc_w_cstr(&w, o->trackers[i]);
			benc_w_end(&w);
		}
		benc_w_end(&w);
	}
	if (o->comment) {
		benc_w_cstr(&w, "comment");
		benc_w_cstr(&w, o->comment);
	}
	if (o->created_by) {
		benc_w_cstr(&w, "created by");
		benc_w_cstr(&w, o->created_by);
	}
	if (o->creation_date) {
		benc_w_cstr(&w, "creation date");
		benc_w_int(&w, o->creation_date);
	}
	benc_w_cstr(&w, "info");
	benc_w_raw(&w, info.p, info.len);
	if (o->nnodes > 0) {
		benc_w_cstr(&w, "nodes");
		benc_w_list(&w);
		for (size_t i = 0; i < o->nnodes; i++) {
			benc_w_list(&w);
			benc_w_cstr(&w, o->nodes[i].host);
			benc_w_int(&w, o->nodes[i].port);
			benc_w_end(&w);
		}
		benc_w_end(&w);
	}
	if (o->nweb_seeds > 0) {
		benc_w_cstr(&w, "url-list");
		benc_w_list(&w);
		for (size_t i = 0; i < o->nweb_seeds; i++)
			benc_w_cstr(&w, o->web_seeds[i]);
		benc_w_end(&w);
	}
	benc_w_end(&w);
	if (w.err || w.len > TL_MAX_TORRENT_FILE) {
		tl_create_fail(err_out, "%s: the torrent would exceed %u bytes", t->root,
		    TL_MAX_TORRENT_FILE);
		rc = TL_ELIMIT;
		goto out;
	}
	tl_sha1(info.p, info.len, res_out->infohash.b);
	res_out->torrent = w.p;
	res_out->torrent_len = w.len;
	w.p = NULL; /* ownership moved to the result */
	res_out->total_len = t->total;
	res_out->piece_len = piece_len;
	res_out->npieces = npieces;
	res_out->nfiles = t->nfiles;
out:
	benc_w_clear(&info);
	benc_w_clear(&w);
	return rc;
}

int tl_create(const char *path, const struct tl_create_opts *o, struct tl_create_result *res_out,
    struct tl_create_err *err_out)
{
	memset(res_out, 0, sizeof(*res_out));
	struct tl_create_tree *t;
	int rc = tl_create_scan(path, &t, err_out);
	if (rc != TL_OK)
		return rc;
	uint32_t plen = o->piece_len ? o->piece_len : tl_create_auto_piece_len(t->total);
	uint8_t *pieces = NULL;
	rc = tl_create_hash(t, plen, o->nthreads, o->progress, o->progress_arg, &pieces, err_out);
	if (rc == TL_OK)
		rc = tl_create_encode(t, o, plen, pieces, res_out, err_out);
	free(pieces);
	tl_create_tree_free(t);
	return rc;
}

void tl_create_result_clear(struct tl_create_result *r)
{
	if (!r)
		return;
	free(r->torrent);
	memset(r, 0, sizeof(*r));
}
