/*
 * benc.c: strict iterative bencode decoder and a small encoder (BEP 3).
 * See benc.h for the contract. The decoder never recurses and never
 * allocates: its stack is a fixed array bounded by BENC_MAX_DEPTH, and every
 * token lives in the caller's array.
 */
#include "benc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hard ceiling on nesting whatever the caller asks; torrents and KRPC never
 * need more than a handful of levels. */
#define BENC_MAX_DEPTH 64

struct frame {
	uint32_t tok;      /* index of the open container */
	uint32_t items;    /* children seen so far (keys and values) */
	uint32_t key_off;  /* last key payload (dict) */
	uint32_t key_len;
	bool is_dict;
	bool has_key;
	bool is_unsorted; /* a key came out of order: check duplicates at close */
};

static int fail(struct benc_err *err, size_t off, const char *what)
{
	if (err) {
		err->offset = off;
		err->what = what;
	}
	return -1;
}

/* Parse "i...e" at p[pos]; canonical only. */
static int parse_int(const uint8_t *p, size_t len, size_t *pos, int64_t *v_out,
    struct benc_err *err)
{
	size_t i = *pos + 1;
	bool is_neg = false;
	uint64_t v = 0;
	size_t digits = 0;

	if (i < len && p[i] == '-') {
		is_neg = true;
		i++;
	}
	size_t first = i;
	while (i < len && p[i] >= '0' && p[i] <= '9') {
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return fail(err, i, "integer too large");
		v = v * 10 + d;
		digits++;
		i++;
	}
	if (i >= len)
		return fail(err, len, "truncated integer");
	if (p[i] != 'e')
		return fail(err, i, "bad character in integer");
	if (digits == 0)
		return fail(err, first, "integer has no digits");
	if (digits > 1 && p[first] == '0')
		return fail(err, first, "integer has a leading zero");
	if (is_neg && v == 0)
		return fail(err, first, "negative zero");
	if (!is_neg && v > (uint64_t)INT64_MAX)
		return fail(err, first, "integer too large");
	if (is_neg && v > (uint64_t)INT64_MAX + 1)
		return fail(err, first, "integer too small");
	*v_out = is_neg ? (int64_t)(0 - v) : (int64_t)v;
	*pos = i + 1;
	return 0;
}

/* Parse "N:bytes" at p[pos]; sets payload offset and length. */
static int parse_str(const uint8_t *p, size_t len, size_t *pos, uint32_t *data_out,
    uint32_t *slen_out, struct benc_err *err)
{
	size_t i = *pos;
	size_t n = 0;
	size_t first = i;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		n = n * 10 + (size_t)(p[i] - '0');
		if (n > len)
			return fail(err, first, "string length exceeds input");
		i++;
	}
	if (i >= len)
		return fail(err, len, "truncated string length");
	if (p[i] != ':')
		return fail(err, i, "bad character in string length");
	if (i - first > 1 && p[first] == '0')
		return fail(err, first, "string length has a leading zero");
	i++;
	if (n > len - i)
		return fail(err, first, "string runs past the end of input");
	*data_out = (uint32_t)i;
	*slen_out = (uint32_t)n;
	*pos = i + n;
	return 0;
}

static int key_cmp(const uint8_t *p, uint32_t ao, uint32_t al, uint32_t bo, uint32_t bl);

/* Heapsort of key token indices by key bytes (no recursion, no allocation). */
static void sift(const uint8_t *p, const struct benc_tok *toks, uint32_t *a, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		const struct benc_tok *x = &toks[a[c]];
		if (c + 1 < n) {
			const struct benc_tok *y = &toks[a[c + 1]];
			if (key_cmp(p, x->data, x->count, y->data, y->count) < 0) {
				c++;
				x = y;
			}
		}
		const struct benc_tok *r = &toks[a[root]];
		if (key_cmp(p, r->data, r->count, x->data, x->count) >= 0)
			return;
		uint32_t t = a[root];
		a[root] = a[c];
		a[c] = t;
		root = c;
	}
}

/*
 * An unsorted dictionary can hide a duplicate key from the neighbour
 * comparison done while parsing. Sort its key indices in the unused tail of
 * the caller's token array and compare neighbours. Returns the token index
 * of a duplicate key, 0 when there is none, or -1 when the tail is too small.
 */
static long find_duplicate(const uint8_t *p, struct benc_tok *toks, size_t ntok, size_t max_toks,
    uint32_t dict)
{
	size_t n = toks[dict].count;
	size_t room = (max_toks - ntok) * sizeof(struct benc_tok) / sizeof(uint32_t);
	if (n > room)
		return -1;
	uint32_t *a = (uint32_t *)(void *)&toks[ntok];
	size_t i = dict + 1;
	for (size_t k = 0; k < n; k++) {
		a[k] = (uint32_t)i;
		i = i + 1 + toks[i + 1].skip;
	}
	for (size_t r = n / 2; r-- > 0;)
		sift(p, toks, a, r, n);
	for (size_t end = n; end > 1; end--) {
		uint32_t t = a[0];
		a[0] = a[end - 1];
		a[end - 1] = t;
		sift(p, toks, a, 0, end - 1);
	}
	for (size_t k = 1; k < n; k++) {
		const struct benc_tok *x = &toks[a[k - 1]], *y = &toks[a[k]];
		if (key_cmp(p, x->data, x->count, y->data, y->count) == 0)
			return x->start > y->start ? (long)a[k - 1] : (long)a[k];
	}
	return 0;
}

static int key_cmp(const uint8_t *p, uint32_t ao, uint32_t al, uint32_t bo, uint32_t bl)
{
	uint32_t m = al < bl ? al : bl;
	int c = memcmp(p + ao, p + bo, m);
	if (c)
		return c;
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

int benc_parse(const uint8_t *p, size_t len, struct benc_tok *toks, size_t max_toks,
    unsigned max_depth, unsigned flags, struct benc_doc *doc_out, struct benc_err *err_out)
{
	struct frame stack[BENC_MAX_DEPTH];
	unsigned depth = 0;
	size_t ntok = 0;
	size_t pos = 0;
	bool is_unsorted = false;

	if (max_depth > BENC_MAX_DEPTH)
		max_depth = BENC_MAX_DEPTH;
	if (len == 0)
		return fail(err_out, 0, "empty input");
	if (len > UINT32_MAX)
		return fail(err_out, 0, "input too large");

	for (;;) {
		struct frame *top = depth ? &stack[depth - 1] : NULL;

		if (pos >= len)
			return fail(err_out, len, "truncated: container not closed");
		if (top && p[pos] == 'e') {
			struct benc_tok *t = &toks[top->tok];
			if (top->is_dict && (top->items & 1u))
				return fail(err_out, pos, "dictionary key without a value");
			t->end = (uint32_t)(pos + 1);
			t->skip = (uint32_t)(ntok - top->tok);
			t->count = top->is_dict ? top->items / 2 : top->items;
			if (top->is_unsorted) {
				long dup = find_duplicate(p, toks, ntok, max_toks, top->tok);
				if (dup < 0)
					return fail(err_out, pos, "too many values");
				if (dup > 0)
					return fail(err_out, toks[dup].start, "duplicate dictionary key");
			}
			pos++;
			depth--;
			if (depth == 0)
				break;
			continue;
		}

		bool is_key = false;
		if (top) {
			is_key = top->is_dict && !(top->items & 1u);
			if (is_key && !(p[pos] >= '0' && p[pos] <= '9'))
				return fail(err_out, pos, "dictionary key is not a string");
			top->items++;
		}
		if (ntok >= max_toks)
			return fail(err_out, pos, "too many values");
		struct benc_tok *t = &toks[ntok];
		memset(t, 0, sizeof(*t));
		t->start = (uint32_t)pos;
		t->skip = 1;
		size_t idx = ntok++;

		switch (p[pos]) {
		case 'i':
			t->type = BENC_INT;
			if (parse_int(p, len, &pos, &t->ival, err_out))
				return -1;
			t->end = (uint32_t)pos;
			break;
		case 'l':
		case 'd':
			if (depth >= max_depth)
				return fail(err_out, pos, "nested too deeply");
			t->type = p[pos] == 'd' ? BENC_DICT : BENC_LIST;
			stack[depth] = (struct frame){ .tok = (uint32_t)idx, .is_dict = p[pos] == 'd' };
			depth++;
			pos++;
			continue;
		default:
			if (p[pos] < '0' || p[pos] > '9')
				return fail(err_out, pos, "unexpected byte");
			t->type = BENC_STR;
			if (parse_str(p, len, &pos, &t->data, &t->count, err_out))
				return -1;
			t->end = (uint32_t)pos;
			break;
		}

		if (is_key) {
			if (top->has_key) {
				int c = key_cmp(p, top->key_off, top->key_len, t->data, t->count);
				if (c == 0)
					return fail(err_out, t->start, "duplicate dictionary key");
				if (c > 0) {
					if (flags & BENC_F_SORTED)
						return fail(err_out, t->start, "dictionary keys out of order");
					is_unsorted = true;
					top->is_unsorted = true;
				}
			}
			top->key_off = t->data;
			top->key_len = t->count;
			top->has_key = true;
		}
		if (depth == 0)
			break;
	}

	if (pos != len && !(flags & BENC_F_TRAILING))
		return fail(err_out, pos, "trailing data after the value");
	doc_out->buf = p;
	doc_out->len = len;
	doc_out->toks = toks;
	doc_out->ntoks = ntok;
	doc_out->consumed = pos;
	doc_out->is_unsorted = is_unsorted;
	return 0;
}

long benc_dict_getn(const struct benc_doc *d, size_t dict, const void *key, size_t klen)
{
	if (dict >= d->ntoks || d->toks[dict].type != BENC_DICT)
		return -1;
	size_t i = dict + 1;
	for (uint32_t n = 0; n < d->toks[dict].count; n++) {
		const struct benc_tok *k = &d->toks[i];
		size_t v = i + 1;
		if (k->count == klen && memcmp(d->buf + k->data, key, klen) == 0)
			return (long)v;
		i = benc_next(d, v);
	}
	return -1;
}

long benc_dict_get(const struct benc_doc *d, size_t dict, const char *key)
{
	return benc_dict_getn(d, dict, key, strlen(key));
}

long benc_list_at(const struct benc_doc *d, size_t list, size_t n)
{
	if (list >= d->ntoks || d->toks[list].type != BENC_LIST || n >= d->toks[list].count)
		return -1;
	size_t i = list + 1;
	while (n--)
		i = benc_next(d, i);
	return (long)i;
}

bool benc_is(const struct benc_doc *d, long i, enum benc_type t)
{
	return i >= 0 && (size_t)i < d->ntoks && d->toks[i].type == t;
}

bool benc_get_int(const struct benc_doc *d, long i, int64_t *v_out)
{
	if (!benc_is(d, i, BENC_INT))
		return false;
	*v_out = d->toks[i].ival;
	return true;
}

bool benc_get_str(const struct benc_doc *d, long i, const uint8_t **s_out, size_t *len_out)
{
	if (!benc_is(d, i, BENC_STR))
		return false;
	*s_out = d->buf + d->toks[i].data;
	*len_out = d->toks[i].count;
	return true;
}

bool benc_str_eq(const struct benc_doc *d, long i, const char *s)
{
	const uint8_t *p;
	size_t n;
	if (!benc_get_str(d, i, &p, &n))
		return false;
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

void benc_raw(const struct benc_doc *d, size_t i, const uint8_t **p_out, size_t *len_out)
{
	*p_out = d->buf + d->toks[i].start;
	*len_out = d->toks[i].end - d->toks[i].start;
}

/* ---- encoder ---- */

void benc_w_init(struct benc_w *w)
{
	memset(w, 0, sizeof(*w));
}

void benc_w_init_fixed(struct benc_w *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->p = buf;
	w->cap = cap;
	w->is_fixed = true;
}

void benc_w_clear(struct benc_w *w)
{
	if (!w)
		return;
	if (!w->is_fixed)
		free(w->p);
	memset(w, 0, sizeof(*w));
}

static bool reserve(struct benc_w *w, size_t n)
{
	if (w->err)
		return false;
	if (n <= w->cap - w->len)
		return true;
	if (w->is_fixed || n > SIZE_MAX / 2 - w->len) {
		w->err = true;
		return false;
	}
	size_t cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	uint8_t *np = realloc(w->p, cap);
	if (!np) {
		w->err = true;
		return false;
	}
	w->p = np;
	w->cap = cap;
	return true;
}

void benc_w_raw(struct benc_w *w, const void *p, size_t len)
{
	if (!reserve(w, len))
		return;
	if (len)
		memcpy(w->p + w->len, p, len);
	w->len += len;
}

void benc_w_int(struct benc_w *w, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "i%" PRId64 "e", v);
	benc_w_raw(w, tmp, (size_t)n);
}

void benc_w_str(struct benc_w *w, const void *s, size_t len)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%zu:", len);
	benc_w_raw(w, tmp, (size_t)n);
	benc_w_raw(w, s, len);
}

void benc_w_cstr(struct benc_w *w, const char *s)
{
	benc_w_str(w, s, strlen(s));
}

void benc_w_list(struct benc_w *w)
{
	benc_w_raw(w, "l", 1);
}

void benc_w_dict(struct benc_w *w)
{
	benc_w_raw(w, "d", 1);
}

void benc_w_end(struct benc_w *w)
{
	benc_w_raw(w, "e", 1);
}
