/*
 * metainfo.c: .torrent parsing (BEP 3, 5 nodes, 12, 19, 27, 47, 52
 * detection) into one owned struct tl_metainfo.
 *
 * The document is tokenised once by the shared bencode codec (zero-copy);
 * this file only walks tokens and copies out what it keeps. Fields inside
 * `info` are checked strictly (they decide what lands on disk); optional
 * top-level fields (trackers, web seeds, nodes, comment) are taken
 * liberally: an entry of the wrong type is skipped, not fatal.
 *
 * Invariants of a returned struct: every path component passed
 * component_problem(); sum of file lengths == total_len > 0; npieces ==
 * ceil(total_len / piece_len) and pieces holds npieces * 20 bytes;
 * piece_len is a power of two within bounds.h.
 *
 * Reasons are formatted into a thread-local buffer, valid until the next
 * parse on the same thread. Pure L1 code; any thread.
 */
#include "codec/metainfo.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "base/mem.h"
#include "base/utf8.h"

static _Thread_local char why_buf[256];

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int failf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	return -1;
}

/* Tokenise p[0..len). The token array starts small and grows by 4x while
 * the codec reports it ran out of room, up to the bound: a token spans at
 * least two bytes, so len / 2 + 1 tokens always suffice. */
static int tokenize(const uint8_t *p, size_t len, struct benc_tok **toks_out,
    struct benc_doc *doc_out)
{
	size_t max = len / 2 + 1;
	if (max > TL_MAX_TORRENT_TOKENS)
		max = TL_MAX_TORRENT_TOKENS;
	size_t cap = max < 4096 ? max : 4096;
	struct benc_tok *toks = NULL;
	struct benc_err err = { 0, NULL };

	for (;;) {
		toks = tl_reallocarray(toks, cap, sizeof(*toks));
		if (benc_parse(p, len, toks, cap, TL_MAX_TORRENT_DEPTH, 0, doc_out, &err) == 0) {
			*toks_out = toks;
			return 0;
		}
		/* "too many values" is the codec's static reason for a full array */
		if (cap == max || strcmp(err.what, "too many values") != 0)
			break;
		cap = cap > max / 4 ? max : cap * 4;
	}
	free(toks);
	*toks_out = NULL;
	if (cap == TL_MAX_TORRENT_TOKENS && strcmp(err.what, "too many values") == 0)
		return failf("bencode: more than %u values", TL_MAX_TORRENT_TOKENS);
	return failf("bencode: %s at byte %zu", err.what, err.offset);
}

struct key_ref {
	const uint8_t *p;
	uint32_t len;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	uint32_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, m);
	if (c)
		return c;
	return x->len < y->len ? -1 : (x->len > y->len ? 1 : 0);
}

/* The codec catches a repeated key only next to its twin, which is every
 * case in a sorted dictionary. Unsorted documents get a full check: a
 * repeated "pieces" or "length" would let two readers of the same file
 * see different torrents. */
static int check_duplicate_keys(const struct benc_doc *d)
{
	struct key_ref *keys = NULL;
	size_t cap = 0;
	int rc = 0;
	for (size_t i = 0; i < d->ntoks && rc == 0; i++) {
		const struct benc_tok *t = &d->toks[i];
		if (t->type != BENC_DICT || t->count < 2)
			continue;
		if (t->count > cap) {
			cap = t->count;
			keys = tl_reallocarray(keys, cap, sizeof(*keys));
		}
		size_t k = i + 1;
		for (uint32_t n = 0; n < t->count; n++) {
			keys[n] = (struct key_ref){ d->buf + d->toks[k].data, d->toks[k].count };
			k = benc_next(d, k + 1);
		}
		qsort(keys, t->count, sizeof(*keys), key_ref_cmp);
		for (uint32_t n = 1; n < t->count; n++)
			if (key_ref_cmp(&keys[n - 1], &keys[n]) == 0) {
				rc = failf("bencode: duplicate dictionary key at byte %u", t->start);
				break;
			}
	}
	free(keys);
	return rc;
}

/* Offset of the first key that is out of order in the dict at index i, or
 * 0 when its keys are sorted (a key never starts at byte 0). */
static uint32_t unsorted_key_at(const struct benc_doc *d, size_t i)
{
	const struct benc_tok *t = &d->toks[i];
	if (t->type != BENC_DICT || t->count < 2)
		return 0;
	size_t k = i + 1;
	struct key_ref prev = { d->buf + d->toks[k].data, d->toks[k].count };
	for (uint32_t n = 1; n < t->count; n++) {
		k = benc_next(d, k + 1);
		struct key_ref cur = { d->buf + d->toks[k].data, d->toks[k].count };
		if (key_ref_cmp(&prev, &cur) > 0)
			return d->toks[k].start;
		prev = cur;
	}
	return 0;
}

/* The reason shown to people for a document the codec marked unsorted: the
 * first misplaced key inside info when there is one (that is where a client
 * that re-encodes would compute another infohash), else the first in the
 * file. */
static char *describe_unsorted(const struct benc_doc *d, size_t info)
{
	uint32_t first = 0, in_info = 0;
	for (size_t i = 0; i < d->ntoks; i++) {
		uint32_t at = unsorted_key_at(d, i);
		if (at == 0)
			continue;
		if (first == 0 || at < first)
			first = at;
		if ((in_info == 0 || at < in_info) && at >= d->toks[info].start &&
		    at < d->toks[info].end)
			in_info = at;
	}
	char why[96];
	if (in_info)
		snprintf(why, sizeof(why), "dictionary keys out of order at byte %" PRIu32
		    ", inside info", in_info);
	else
		snprintf(why, sizeof(why), "dictionary keys out of order at byte %" PRIu32, first);
	return tl_strdup(why);
}

/* Why a path component is unsafe, or NULL when it is fine. */
static const char *component_problem(const uint8_t *s, size_t n)
{
	if (n == 0)
		return "an empty component is not allowed";
	if (n == 1 && s[0] == '.')
		return "component \".\" is not allowed";
	if (n == 2 && s[0] == '.' && s[1] == '.')
		return "component \"..\" is not allowed";
	if (memchr(s, '/', n))
		return "a component contains '/'";
	if (memchr(s, '\0', n))
		return "a component contains a NUL byte";
	if (n > TL_MAX_PATH_COMPONENT)
		return "a component is longer than 255 bytes";
	return NULL;
}

/* A copy of string token i, or NULL when i is not a string or holds a NUL
 * (it could not round-trip through a C string). */
static char *dup_str(const struct benc_doc *d, long i)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, i, &s, &n) || memchr(s, '\0', n))
		return NULL;
	return tl_strndup((const char *)s, n);
}

/* The ".utf-8" variant of a string field when it is present and valid
 * UTF-8, else the plain one (token index or -1). */
static long pick_utf8(const struct benc_doc *d, size_t dict, const char *key, const char *key8)
{
	long v8 = benc_dict_get(d, dict, key8);
	const uint8_t *s;
	size_t n;
	if (benc_get_str(d, v8, &s, &n) && tl_utf8_valid(s, n))
		return v8;
	return benc_dict_get(d, dict, key);
}

/* True when the list at i holds only valid UTF-8 strings. */
static bool is_utf8_str_list(const struct benc_doc *d, long i)
{
	if (!benc_is(d, i, BENC_LIST))
		return false;
	size_t k = (size_t)i + 1;
	for (uint32_t n = 0; n < d->toks[i].count; n++, k = benc_next(d, k)) {
		const uint8_t *s;
		size_t len;
		if (!benc_get_str(d, (long)k, &s, &len) || !tl_utf8_valid(s, len))
			return false;
	}
	return true;
}

static void set_attr(struct tl_file *f, const struct benc_doc *d, long attr)
{
	const uint8_t *s;
	size_t n;
	if (!benc_get_str(d, attr, &s, &n))
		return;
	f->is_pad = f->is_pad || memchr(s, 'p', n);
	f->is_exec = memchr(s, 'x', n) != NULL;
	f->is_hidden = memchr(s, 'h', n) != NULL;
}

/* Joins the path list at i into f->path after checking each component.
 * where names the field in reasons ("info.files[3].path"). */
static int take_path(const struct benc_doc *d, long i, const char *where, struct tl_file *f)
{
	if (!benc_is(d, i, BENC_LIST))
		return failf("%s: is not a list", where);
	uint32_t count = d->toks[i].count;
	if (count == 0)
		return failf("%s: is empty", where);
	size_t total = 0;
	size_t k = (size_t)i + 1;
	for (uint32_t n = 0; n < count; n++, k = benc_next(d, k)) {
		const uint8_t *s;
		size_t len;
		if (!benc_get_str(d, (long)k, &s, &len))
			return failf("%s[%u]: is not a string", where, n);
		const char *problem = component_problem(s, len);
		if (problem)
			return failf("%s: %s", where, problem);
		total += len + 1;
		if (total > TL_MAX_PATH)
			return failf("%s: longer than %u bytes", where, TL_MAX_PATH);
		if (n == 0 && len == 4 && memcmp(s, ".pad", 4) == 0)
			f->is_pad = true; /* BEP 47's recommended name, also without attr */
	}
	char *path = tl_malloc(total);
	size_t off = 0;
	k = (size_t)i + 1;
	for (uint32_t n = 0; n < count; n++, k = benc_next(d, k)) {
		const uint8_t *s;
		size_t len;
		benc_get_str(d, (long)k, &s, &len);
		if (n)
			path[off++] = '/';
		memcpy(path + off, s, len);
		off += len;
	}
	path[off] = '\0';
	f->path = path;
	return 0;
}

/* A file length: a non-negative integer, or absent (0) for BEP 47 padding
 * and symlink entries. */
static int take_length(const struct benc_doc *d, size_t dict, bool may_omit, const char *where,
    uint64_t *len_out)
{
	long v = benc_dict_get(d, dict, "length");
	int64_t len;
	if (v < 0 && may_omit) {
		*len_out = 0;
		return 0;
	}
	if (v < 0)
		return failf("%s.length: is missing", where);
	if (!benc_get_int(d, v, &len))
		return failf("%s.length: is not an integer", where);
	if (len < 0)
		return failf("%s.length: %lld is negative", where, (long long)len);
	*len_out = (uint64_t)len;
	return 0;
}

struct path_ref {
	const char *path;
	uint32_t index;
};

/* Orders paths component by component ('/' sorts below every other byte;
 * NUL cannot occur), so "a/..." follows "a" directly. */
static int path_ref_cmp(const void *a, const void *b)
{
	const uint8_t *x = (const uint8_t *)((const struct path_ref *)a)->path;
	const uint8_t *y = (const uint8_t *)((const struct path_ref *)b)->path;
	for (;; x++, y++) {
		unsigned cx = *x == '/' ? 1u : *x, cy = *y == '/' ? 1u : *y;
		if (cx != cy || cx == 0)
			return cx < cy ? -1 : (cx > cy ? 1 : 0);
	}
}

/* Two entries naming the same file, or a file that another entry uses as
 * a directory, cannot both be stored. Padding files are never written
 * (and BEP 47 lets them share a name), so they are left out. */
static int check_path_clashes(const struct tl_metainfo *mi)
{
	struct path_ref *refs = tl_calloc(mi->nfiles, sizeof(*refs));
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < mi->nfiles; i++)
		if (!mi->files[i].is_pad)
			refs[n++] = (struct path_ref){ mi->files[i].path, (uint32_t)i };
	qsort(refs, n, sizeof(*refs), path_ref_cmp);
	for (size_t i = 1; i < n && rc == 0; i++) {
		const struct path_ref *a = &refs[i - 1], *b = &refs[i];
		size_t alen = strlen(a->path);
		uint32_t lo = a->index < b->index ? a->index : b->index;
		uint32_t hi = a->index < b->index ? b->index : a->index;
		if (strcmp(a->path, b->path) == 0)
			rc = failf("info.files[%u].path: same path as info.files[%u]", hi, lo);
		else if (strncmp(a->path, b->path, alen) == 0 && b->path[alen] == '/')
			rc = failf("info.files[%u].path: is inside info.files[%u], which is a file",
			    b->index, a->index);
	}
	free(refs);
	return rc;
}

static int parse_files(const struct benc_doc *d, long files, struct tl_metainfo *mi)
{
	if (!benc_is(d, files, BENC_LIST))
		return failf("info.files: is not a list");
	uint32_t count = d->toks[files].count;
	if (count == 0)
		return failf("info.files: is empty");
	if (count > TL_MAX_FILES)
		return failf("info.files: more than %u files", TL_MAX_FILES);
	mi->files = tl_calloc(count, sizeof(*mi->files));
	size_t k = (size_t)files + 1;
	for (uint32_t n = 0; n < count; n++, k = benc_next(d, k)) {
		struct tl_file *f = &mi->files[n];
		char where[48];
		snprintf(where, sizeof(where), "info.files[%u]", n);
		mi->nfiles = n + 1; /* so tl_metainfo_free sees every path taken */
		if (!benc_is(d, (long)k, BENC_DICT))
			return failf("%s: is not a dictionary", where);
		const uint8_t *attr;
		size_t alen;
		long a = benc_dict_get(d, k, "attr");
		bool is_special = benc_get_str(d, a, &attr, &alen) &&
		    (memchr(attr, 'p', alen) || memchr(attr, 'l', alen));
		set_attr(f, d, a);
		if (take_length(d, k, is_special, where, &f->length))
			return -1;
		long path = benc_dict_get(d, k, "path.utf-8");
		if (!is_utf8_str_list(d, path))
			path = benc_dict_get(d, k, "path");
		char pwhere[64];
		snprintf(pwhere, sizeof(pwhere), "%s.path", where);
		if (path < 0 && f->is_pad) {
			char pad[32];
			snprintf(pad, sizeof(pad), ".pad/%llu", (unsigned long long)f->length);
			f->path = tl_strdup(pad);
		} else if (path < 0) {
			return failf("%s: is missing", pwhere);
		} else if (take_path(d, path, pwhere, f)) {
			return -1;
		}
	}
	return check_path_clashes(mi);
}

/* The info dictionary at index info: everything that decides the data. */
static int parse_info_dict(const struct benc_doc *d, size_t info, struct tl_metainfo *mi)
{
	int64_t v;
	const uint8_t *s;
	size_t n;

	if (!benc_is(d, (long)info, BENC_DICT))
		return failf("info: is not a dictionary");

	/* BEP 52: v2 keys alone are a v2-only torrent; with v1 keys, a hybrid
	 * whose v1 half we load. */
	long mv = benc_dict_get(d, info, "meta version");
	bool has_v2 = benc_dict_get(d, info, "file tree") >= 0;
	if (mv >= 0) {
		if (!benc_get_int(d, mv, &v))
			return failf("info.meta version: is not an integer");
		if (v != 2)
			return failf("info.meta version: version %lld is not supported", (long long)v);
		has_v2 = true;
	}
	long pieces = benc_dict_get(d, info, "pieces");
	long files = benc_dict_get(d, info, "files");
	long length = benc_dict_get(d, info, "length");
	if (has_v2 && pieces < 0 && files < 0 && length < 0)
		return failf("v2-only torrents are not supported yet");
	mi->is_hybrid = has_v2;

	long name = pick_utf8(d, info, "name", "name.utf-8");
	if (name < 0)
		return failf("info.name: is missing");
	if (!benc_get_str(d, name, &s, &n))
		return failf("info.name: is not a string");
	const char *problem = component_problem(s, n);
	if (problem)
		return failf("info.name: %s", problem);
	mi->name = tl_strndup((const char *)s, n);

	long pl = benc_dict_get(d, info, "piece length");
	if (pl < 0)
		return failf("info.piece length: is missing");
	if (!benc_get_int(d, pl, &v))
		return failf("info.piece length: is not an integer");
	if (v <= 0 || (v & (v - 1)) != 0)
		return failf("info.piece length: %lld is not a power of two", (long long)v);
	if (v < TL_MIN_PIECE_LEN || v > TL_MAX_PIECE_LEN)
		return failf("info.piece length: %lld is outside %u..%u", (long long)v,
		    TL_MIN_PIECE_LEN, TL_MAX_PIECE_LEN);
	mi->piece_len = (uint32_t)v;

	if (pieces < 0)
		return failf("info.pieces: is missing");
	if (!benc_get_str(d, pieces, &s, &n))
		return failf("info.pieces: is not a string");
	if (n % 20 != 0)
		return failf("info.pieces: length %zu is not a multiple of 20", n);

	if (benc_get_int(d, benc_dict_get(d, info, "private"), &v))
		mi->is_private = v == 1;

	if (files >= 0 && length >= 0)
		return failf("info: has both \"files\" and \"length\"");
	if (files >= 0) {
		mi->is_multi_file = true;
		if (parse_files(d, files, mi))
			return -1;
	} else if (length >= 0) {
		mi->files = tl_calloc(1, sizeof(*mi->files));
		mi->nfiles = 1;
		if (take_length(d, info, false, "info", &mi->files[0].length))
			return -1;
		mi->files[0].path = tl_strdup(mi->name);
		set_attr(&mi->files[0], d, benc_dict_get(d, info, "attr"));
		mi->files[0].is_pad = false; /* the only file cannot be padding */
	} else {
		return failf("info: has neither \"files\" nor \"length\"");
	}

	/* Each length fits in int64, so the running sum is checked against
	 * INT64_MAX before it could wrap. */
	uint64_t total = 0;
	for (size_t i = 0; i < mi->nfiles; i++) {
		if (mi->files[i].length > (uint64_t)INT64_MAX - total)
			return failf("info.files: total length overflows");
		mi->files[i].offset = total;
		total += mi->files[i].length;
	}
	if (total == 0)
		return failf("info: total length is 0");
	uint64_t want = total / mi->piece_len + (total % mi->piece_len != 0);
	if (want != n / 20)
		return failf("info.pieces: %zu hashes for %llu pieces (total %llu bytes, "
			     "piece length %u)",
		    n / 20, (unsigned long long)want, (unsigned long long)total, mi->piece_len);
	mi->total_len = total;
	mi->npieces = (uint32_t)want; /* n <= 4 GiB, so want < 2^32 */
	mi->pieces = tl_malloc(n);
	memcpy(mi->pieces, s, n);

	const uint8_t *raw;
	benc_raw(d, info, &raw, &n);
	mi->info_raw = tl_malloc(n);
	memcpy(mi->info_raw, raw, n);
	mi->info_len = n;
	tl_sha1(raw, n, mi->infohash.b);
	return 0;
}

/* Appends a copy of string token i to a string vector, skipping strings
 * that are empty or hold a NUL. */
static void push_url(const struct benc_doc *d, long i, char ***v, size_t *n)
{
	char *u = dup_str(d, i);
	if (!u || !*u) {
		free(u);
		return;
	}
	*v = tl_reallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = u;
}

/* BEP 12 announce-list, else BEP 3 announce as one tier. */
static void parse_trackers(const struct benc_doc *d, struct tl_metainfo *mi)
{
	long al = benc_dict_get(d, 0, "announce-list");
	if (benc_is(d, al, BENC_LIST)) {
		size_t t = (size_t)al + 1;
		for (uint32_t i = 0; i < d->toks[al].count; i++, t = benc_next(d, t)) {
			if (!benc_is(d, (long)t, BENC_LIST))
				continue;
			struct tl_tracker_tier tier = { NULL, 0 };
			size_t u = t + 1;
			for (uint32_t j = 0; j < d->toks[t].count; j++, u = benc_next(d, u))
				push_url(d, (long)u, &tier.urls, &tier.nurls);
			if (tier.nurls == 0)
				continue;
			mi->tiers = tl_reallocarray(mi->tiers, mi->ntiers + 1, sizeof(*mi->tiers));
			mi->tiers[mi->ntiers++] = tier;
		}
	}
	if (mi->ntiers == 0) {
		struct tl_tracker_tier tier = { NULL, 0 };
		push_url(d, benc_dict_get(d, 0, "announce"), &tier.urls, &tier.nurls);
		if (tier.nurls) {
			mi->tiers = tl_calloc(1, sizeof(*mi->tiers));
			mi->tiers[0] = tier;
			mi->ntiers = 1;
		}
	}
}

/* BEP 19 url-list (a string or a list of strings) and BEP 5 nodes. */
static void parse_extras(const struct benc_doc *d, struct tl_metainfo *mi)
{
	long ul = benc_dict_get(d, 0, "url-list");
	if (benc_is(d, ul, BENC_LIST)) {
		size_t u = (size_t)ul + 1;
		for (uint32_t i = 0; i < d->toks[ul].count; i++, u = benc_next(d, u))
			push_url(d, (long)u, &mi->web_seeds, &mi->nweb_seeds);
	} else {
		push_url(d, ul, &mi->web_seeds, &mi->nweb_seeds);
	}

	long nodes = benc_dict_get(d, 0, "nodes");
	if (benc_is(d, nodes, BENC_LIST)) {
		size_t e = (size_t)nodes + 1;
		for (uint32_t i = 0; i < d->toks[nodes].count; i++, e = benc_next(d, e)) {
			int64_t port;
			if (!benc_is(d, (long)e, BENC_LIST) || d->toks[e].count != 2 ||
			    !benc_get_int(d, benc_list_at(d, e, 1), &port) || port < 1 ||
			    port > 65535)
				continue;
			char *host = dup_str(d, benc_list_at(d, e, 0));
			if (!host || !*host) {
				free(host);
				continue;
			}
			mi->nodes = tl_reallocarray(mi->nodes, mi->nnodes + 1, sizeof(*mi->nodes));
			mi->nodes[mi->nnodes++] = (struct tl_node_addr){ host, (uint16_t)port };
		}
	}

	mi->comment = dup_str(d, pick_utf8(d, 0, "comment", "comment.utf-8"));
	mi->created_by = dup_str(d, benc_dict_get(d, 0, "created by"));
	int64_t v;
	if (benc_get_int(d, benc_dict_get(d, 0, "creation date"), &v))
		mi->creation_date = v;
}

/* Shared front half: bounds, tokens, duplicate keys, a dictionary on top. */
static int open_doc(const uint8_t *p, size_t len, const char *what, struct benc_tok **toks_out,
    struct benc_doc *doc_out)
{
	if (len > TL_MAX_TORRENT_FILE)
		return failf("%s: larger than %u bytes", what, TL_MAX_TORRENT_FILE);
	if (tokenize(p, len, toks_out, doc_out))
		return -1;
	if (doc_out->is_unsorted && check_duplicate_keys(doc_out))
		return -1;
	if (doc_out->toks[0].type != BENC_DICT)
		return failf("%s: is not a dictionary", what);
	return 0;
}

/* The common end of both entry points: the result is handed over, or
 * freed and the reason returned. */
static int finish(int rc, struct benc_tok *toks, struct tl_metainfo *mi,
    struct tl_metainfo **mi_out, const char **why_out)
{
	free(toks);
	if (rc) {
		tl_metainfo_free(mi);
		*why_out = why_buf;
	} else {
		*mi_out = mi;
	}
	return rc;
}

int tl_metainfo_parse(const uint8_t *p, size_t len, struct tl_metainfo **mi_out,
    const char **why_out)
{
	struct benc_tok *toks = NULL;
	struct benc_doc d;
	struct tl_metainfo *mi = NULL;
	int rc = -1;

	*mi_out = NULL;
	if (open_doc(p, len, "torrent", &toks, &d))
		goto out;
	long info = benc_dict_get(&d, 0, "info");
	if (info < 0) {
		failf("torrent: info is missing");
		goto out;
	}
	mi = tl_calloc(1, sizeof(*mi));
	if (parse_info_dict(&d, (size_t)info, mi))
		goto out;
	parse_trackers(&d, mi);
	parse_extras(&d, mi);
	if (d.is_unsorted)
		mi->not_canonical = describe_unsorted(&d, (size_t)info);
	rc = 0;
out:
	return finish(rc, toks, mi, mi_out, why_out);
}

int tl_metainfo_parse_info(const uint8_t *info, size_t len, const struct tl_infohash *expect,
    struct tl_metainfo **mi_out, const char **why_out)
{
	struct benc_tok *toks = NULL;
	struct benc_doc d;
	struct tl_metainfo *mi = NULL;
	int rc = -1;

	*mi_out = NULL;
	if (open_doc(info, len, "info", &toks, &d))
		goto out;
	mi = tl_calloc(1, sizeof(*mi));
	if (parse_info_dict(&d, 0, mi))
		goto out;
	if (memcmp(mi->infohash.b, expect->b, sizeof(expect->b)) != 0) {
		failf("info: SHA-1 does not match the infohash");
		goto out;
	}
	if (d.is_unsorted)
		mi->not_canonical = describe_unsorted(&d, 0);
	rc = 0;
out:
	return finish(rc, toks, mi, mi_out, why_out);
}

void tl_metainfo_free(struct tl_metainfo *mi)
{
	if (!mi)
		return;
	free(mi->name);
	free(mi->pieces);
	for (size_t i = 0; i < mi->nfiles; i++)
		free(mi->files[i].path);
	free(mi->files);
	for (size_t i = 0; i < mi->ntiers; i++) {
		for (size_t j = 0; j < mi->tiers[i].nurls; j++)
			free(mi->tiers[i].urls[j]);
		free(mi->tiers[i].urls);
	}
	free(mi->tiers);
	for (size_t i = 0; i < mi->nweb_seeds; i++)
		free(mi->web_seeds[i]);
	free(mi->web_seeds);
	for (size_t i = 0; i < mi->nnodes; i++)
		free(mi->nodes[i].host);
	free(mi->nodes);
	free(mi->comment);
	free(mi->created_by);
	free(mi->info_raw);
	free(mi->not_canonical);
	free(mi);
}

uint32_t tl_metainfo_piece_len(const struct tl_metainfo *mi, uint32_t i)
{
	if (i + 1 < mi->npieces)
		return mi->piece_len;
	return (uint32_t)(mi->total_len - (uint64_t)(mi->npieces - 1) * mi->piece_len);
}
