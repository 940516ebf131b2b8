/*
 * benc.h: the one bencode codec (BEP 3), shared by libdht and the client.
 *
 * Decoding is strict, iterative and zero-copy. benc_parse() walks the input
 * once with an explicit stack and fills a caller-supplied array of tokens;
 * each token points back into the input (offsets, never copies). Limits on
 * depth and token count come from the caller, so a hostile input can cost
 * no more than the array it was given. Integers must be canonical ("i0e",
 * no leading zeros, no "-0"), string lengths too, dictionary keys must be
 * strings and unique. Keys out of order are reported in the document
 * (is_unsorted) and refused when BENC_F_SORTED is set.
 *
 * Encoding goes through struct benc_w: a byte buffer that either grows on
 * the heap or is fixed (a DHT reply must fit 1024 bytes); any failure is
 * sticky in w->err so a run of calls is checked once.
 *
 * No global state; callable from any thread on distinct objects.
 */
#ifndef DHT_BENC_H
#define DHT_BENC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum benc_type {
	BENC_INT = 1,
	BENC_STR = 2,
	BENC_LIST = 3,
	BENC_DICT = 4,
};

/* One decoded value. Containers are followed by their children in
 * document order (dict: key, value, key, value ...). */
struct benc_tok {
	uint8_t type;     /* enum benc_type */
	uint32_t start;   /* offset of the first byte of the value */
	uint32_t end;     /* offset one past its last byte */
	uint32_t skip;    /* tokens in this subtree, itself included */
	uint32_t count;   /* list: items; dict: pairs; str: payload length */
	uint32_t data;    /* str: offset of the payload */
	int64_t ival;     /* int: the value */
};

/* Parse flags. */
#define BENC_F_SORTED 0x1u   /* refuse dictionaries whose keys are out of order */
#define BENC_F_TRAILING 0x2u /* allow bytes after the top-level value */

/* A parsed document: a view over the caller's input and token array. */
struct benc_doc {
	const uint8_t *buf;
	size_t len;
	struct benc_tok *toks;
	size_t ntoks;
	size_t consumed;  /* bytes of the top-level value */
	bool is_unsorted; /* some dictionary had keys out of order */
};

struct benc_err {
	size_t offset;    /* byte offset in the input where it went wrong */
	const char *what; /* static string */
};

/*
 * Parse p[0..len) into toks[0..max_toks). max_depth bounds nesting (a list
 * in a dict is depth 2). Returns 0 and fills *doc_out, or -1 and fills
 * *err_out (which may be NULL). The input must outlive the document.
 */
int benc_parse(const uint8_t *p, size_t len, struct benc_tok *toks, size_t max_toks,
    unsigned max_depth, unsigned flags, struct benc_doc *doc_out, struct benc_err *err_out);

/* Index of the token after the subtree at i (its next sibling). */
static inline size_t benc_next(const struct benc_doc *d, size_t i)
{
	return i + d->toks[i].skip;
}

/* The value for key in the dict at index dict, or -1 when absent or when
 * dict is not a dict. Key compared by bytes (klen). */
long benc_dict_get(const struct benc_doc *d, size_t dict, const char *key);
long benc_dict_getn(const struct benc_doc *d, size_t dict, const void *key, size_t klen);

/* Item n of the list at index list, or -1. O(n). */
long benc_list_at(const struct benc_doc *d, size_t list, size_t n);

/* Typed accessors: return true and set *_out when token i exists and has the
 * type; i may be -1 (absent), which returns false. */
bool benc_get_int(const struct benc_doc *d, long i, int64_t *v_out);
bool benc_get_str(const struct benc_doc *d, long i, const uint8_t **s_out, size_t *len_out);
bool benc_is(const struct benc_doc *d, long i, enum benc_type t);

/* Raw bytes of the whole value at i (e.g. the exact "info" dictionary). */
void benc_raw(const struct benc_doc *d, size_t i, const uint8_t **p_out, size_t *len_out);

/* Compare string token i with a C string. */
bool benc_str_eq(const struct benc_doc *d, long i, const char *s);

/* ---- encoder ---- */

struct benc_w {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool is_fixed; /* p is caller storage; never reallocated */
	bool err;      /* sticky: out of room or out of memory */
};

/* A growing writer on the heap (free with benc_w_clear). */
void benc_w_init(struct benc_w *w);
/* A writer over caller storage of cap bytes; overflow sets err. */
void benc_w_init_fixed(struct benc_w *w, uint8_t *buf, size_t cap);
void benc_w_clear(struct benc_w *w);

void benc_w_int(struct benc_w *w, int64_t v);
void benc_w_str(struct benc_w *w, const void *s, size_t len);
void benc_w_cstr(struct benc_w *w, const char *s);
void benc_w_list(struct benc_w *w);
void benc_w_dict(struct benc_w *w);
void benc_w_end(struct benc_w *w);
/* Append bytes that are already bencoded (a value or a fragment). */
void benc_w_raw(struct benc_w *w, const void *p, size_t len);

#endif
