/* ext.c: the BEP 10 extension handshake (see ext.h). */
#include "proto/ext.h"

#include <string.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "base/err.h"

static const char *const ext_names[TL_EXT_COUNT] = {
	[TL_EXT_UT_METADATA] = "ut_metadata",
	[TL_EXT_UT_PEX] = "ut_pex",
};

/* An optional integer field in [lo, hi]; absent leaves *has_out false. */
static int get_int(const struct benc_doc *d, const char *key, int64_t lo, int64_t hi, int64_t *v_out,
    bool *has_out, const char **why_out)
{
	long i = benc_dict_get(d, 0, key);
	*has_out = false;
	*v_out = 0;
	if (i < 0)
		return TL_OK;
	if (!benc_get_int(d, i, v_out)) {
		*why_out = "extension handshake: a number field is not an integer";
		return TL_EINVAL;
	}
	if (*v_out < lo || *v_out > hi) {
		*why_out = "extension handshake: a number field is out of range";
		return TL_EINVAL;
	}
	*has_out = true;
	return TL_OK;
}

/* An optional string field whose length must be one of two sizes. */
static int get_addr(const struct benc_doc *d, const char *key, size_t n1, size_t n2, uint8_t *out,
    size_t *len_out, const char **why_out)
{
	long i = benc_dict_get(d, 0, key);
	const uint8_t *s;
	size_t n;
	*len_out = 0;
	if (i < 0)
		return TL_OK;
	if (!benc_get_str(d, i, &s, &n) || (n != n1 && n != n2)) {
		*why_out = "extension handshake: an address field has the wrong type or length";
		return TL_EINVAL;
	}
	memcpy(out, s, n);
	*len_out = n;
	return TL_OK;
}

static int parse_m(const struct benc_doc *d, long m, struct tl_ext_hs *out, const char **why_out)
{
	if (m < 0)
		return TL_OK;
	if (!benc_is(d, m, BENC_DICT)) {
		*why_out = "extension handshake: m is not a dictionary";
		return TL_EINVAL;
	}
	uint8_t seen[256 / 8] = { 0 }; /* non-zero ids in use */
	for (size_t k = (size_t)m + 1; k < (size_t)m + d->toks[m].skip; k = benc_next(d, benc_next(d, k))) {
		size_t v = benc_next(d, k);
		int64_t id;
		if (!benc_get_int(d, (long)v, &id) || id < 0 || id > 255) {
			*why_out = "extension handshake: an extension id is not an integer in 0..255";
			return TL_EINVAL;
		}
		if (id && (seen[id >> 3] & (1u << (id & 7)))) {
			*why_out = "extension handshake: two extensions share an id";
			return TL_EINVAL;
		}
		seen[id >> 3] |= (uint8_t)(1u << (id & 7));
		for (int e = 0; e < TL_EXT_COUNT; e++) {
			if (!benc_str_eq(d, (long)k, ext_names[e]))
				continue;
			out->ids[e] = (uint8_t)id;
			out->has_id[e] = true;
		}
	}
	return TL_OK;
}

int tl_ext_hs_parse(const uint8_t *p, size_t len, struct tl_ext_hs *out, const char **why_out)
{
	struct benc_tok toks[TL_EXT_MAX_TOKENS];
	struct benc_doc d;
	struct benc_err e;
	memset(out, 0, sizeof(*out));
	if (benc_parse(p, len, toks, TL_EXT_MAX_TOKENS, TL_EXT_MAX_DEPTH, 0, &d, &e) != 0) {
		*why_out = e.what;
		return TL_EINVAL;
	}
	if (!benc_is(&d, 0, BENC_DICT)) {
		*why_out = "extension handshake: not a dictionary";
		return TL_EINVAL;
	}
	if (parse_m(&d, benc_dict_get(&d, 0, "m"), out, why_out) != TL_OK)
		return TL_EINVAL;
	int64_t v;
	bool has;
	if (get_int(&d, "p", 0, 65535, &v, &has, why_out) != TL_OK)
		return TL_EINVAL;
	out->port = (uint16_t)v;
	out->has_port = has && v != 0;
	if (get_int(&d, "reqq", 1, INT64_MAX, &v, &out->has_reqq, why_out) != TL_OK)
		return TL_EINVAL;
	out->reqq = out->has_reqq ? (uint32_t)(v < TL_EXT_MAX_REQQ ? v : TL_EXT_MAX_REQQ) : 0;
	if (get_int(&d, "metadata_size", 0, TL_MAX_METADATA_SIZE, &v, &has, why_out) != TL_OK)
		return TL_EINVAL;
	out->metadata_size = (uint32_t)v;
	out->has_metadata_size = has && v != 0;
	if (get_int(&d, "upload_only", 0, 1, &v, &has, why_out) != TL_OK)
		return TL_EINVAL;
	out->is_upload_only = has && v == 1;
	long vi = benc_dict_get(&d, 0, "v");
	if (vi >= 0 && !benc_get_str(&d, vi, &out->v, &out->v_len)) {
		*why_out = "extension handshake: v is not a string";
		return TL_EINVAL;
	}
	size_t n;
	if (get_addr(&d, "yourip", 4, 16, out->yourip, &n, why_out) != TL_OK)
		return TL_EINVAL;
	out->yourip_len = (uint8_t)n;
	if (get_addr(&d, "ipv4", 4, 4, out->ipv4, &n, why_out) != TL_OK)
		return TL_EINVAL;
	out->has_ipv4 = n != 0;
	if (get_addr(&d, "ipv6", 16, 16, out->ipv6, &n, why_out) != TL_OK)
		return TL_EINVAL;
	out->has_ipv6 = n != 0;
	return TL_OK;
}

size_t tl_ext_hs_build(const struct tl_ext_hs *hs, uint8_t *out, size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap);
	/* Keys in sorted order, as bencode requires. */
	benc_w_dict(&w);
	benc_w_cstr(&w, "m");
	benc_w_dict(&w);
	for (int e = 0; e < TL_EXT_COUNT; e++) { /* ext_names is sorted */
		if (!hs->has_id[e])
			continue;
		benc_w_cstr(&w, ext_names[e]);
		benc_w_int(&w, hs->ids[e]);
	}
	benc_w_end(&w);
	if (hs->has_metadata_size) {
		benc_w_cstr(&w, "metadata_size");
		benc_w_int(&w, hs->metadata_size);
	}
	if (hs->has_port) {
		benc_w_cstr(&w, "p");
		benc_w_int(&w, hs->port);
	}
	if (hs->has_reqq) {
		benc_w_cstr(&w, "reqq");
		benc_w_int(&w, hs->reqq);
	}
	if (hs->is_upload_only) {
		benc_w_cstr(&w, "upload_only");
		benc_w_int(&w, 1);
	}
	if (hs->v_len) {
		benc_w_cstr(&w, "v");
		benc_w_str(&w, hs->v, hs->v_len < 64 ? hs->v_len : 64);
	}
	if (hs->yourip_len == 4 || hs->yourip_len == 16) {
		benc_w_cstr(&w, "yourip");
		benc_w_str(&w, hs->yourip, hs->yourip_len);
	}
	benc_w_end(&w);
	return w.err ? 0 : w.len;
}

void tl_ext_merge(uint8_t ids[TL_EXT_COUNT], const struct tl_ext_hs *hs)
{
	for (int e = 0; e < TL_EXT_COUNT; e++)
		if (hs->has_id[e])
			ids[e] = hs->ids[e];
}
