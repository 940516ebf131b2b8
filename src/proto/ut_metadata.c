/* ut_metadata.c: BEP 9 messages and the metadata assembler (see
 * ut_metadata.h). */
#include "proto/ut_metadata.h"

#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "base/err.h"
#include "base/mem.h"

/* A message dict has three keys; a few spare tokens let an unknown extra
 * key through without growing the array. */
#define UTM_MAX_TOKENS 32u
#define UTM_MAX_DEPTH 4u

uint32_t tl_utm_npieces(uint32_t total_size)
{
	return (uint32_t)(((uint64_t)total_size + TL_METADATA_PIECE_LEN - 1) / TL_METADATA_PIECE_LEN);
}

uint32_t tl_utm_piece_len(uint32_t total_size, uint32_t piece)
{
	uint64_t start = (uint64_t)piece * TL_METADATA_PIECE_LEN;
	if (start >= total_size)
		return 0;
	uint64_t left = total_size - start;
	return left < TL_METADATA_PIECE_LEN ? (uint32_t)left : TL_METADATA_PIECE_LEN;
}

int tl_utm_parse(const uint8_t *p, size_t len, struct tl_utm_msg *out, const char **why_out)
{
	struct benc_tok toks[UTM_MAX_TOKENS];
	struct benc_doc d;
	struct benc_err e;
	memset(out, 0, sizeof(*out));
	if (benc_parse(p, len, toks, UTM_MAX_TOKENS, UTM_MAX_DEPTH, BENC_F_TRAILING, &d, &e) != 0) {
		*why_out = e.what;
		return TL_EINVAL;
	}
	int64_t type, piece, total;
	if (!benc_is(&d, 0, BENC_DICT) || !benc_get_int(&d, benc_dict_get(&d, 0, "msg_type"), &type) ||
	    !benc_get_int(&d, benc_dict_get(&d, 0, "piece"), &piece)) {
		*why_out = "ut_metadata: not a dict with integer msg_type and piece";
		return TL_EINVAL;
	}
	if (type < TL_UTM_REQUEST || type > TL_UTM_REJECT)
		return TL_ENOTSUP;
	if (piece < 0 || piece >= (int64_t)tl_utm_npieces(TL_MAX_METADATA_SIZE)) {
		*why_out = "ut_metadata: piece out of range";
		return TL_EINVAL;
	}
	out->type = (int)type;
	out->piece = (uint32_t)piece;
	if (type != TL_UTM_DATA) {
		if (d.consumed != len) {
			*why_out = "ut_metadata: bytes after a request or reject";
			return TL_EINVAL;
		}
		return TL_OK;
	}
	if (!benc_get_int(&d, benc_dict_get(&d, 0, "total_size"), &total) || total <= 0 ||
	    total > TL_MAX_METADATA_SIZE) {
		*why_out = "ut_metadata: data without a valid total_size";
		return TL_EINVAL;
	}
	out->total_size = (uint32_t)total;
	out->data_off = d.consumed;
	out->data_len = len - d.consumed;
	uint32_t want = tl_utm_piece_len(out->total_size, out->piece);
	if (want == 0 || out->data_len != want) {
		*why_out = "ut_metadata: data piece has the wrong size";
		return TL_EINVAL;
	}
	return TL_OK;
}

size_t tl_utm_build(enum tl_utm_type type, uint32_t piece, uint32_t total_size, uint8_t *out, size_t cap)
{
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap);
	benc_w_dict(&w);
	benc_w_cstr(&w, "msg_type");
	benc_w_int(&w, type);
	benc_w_cstr(&w, "piece");
	benc_w_int(&w, piece);
	if (type == TL_UTM_DATA) {
		benc_w_cstr(&w, "total_size");
		benc_w_int(&w, total_size);
	}
	benc_w_end(&w);
	return w.err ? 0 : w.len;
}

enum piece_state { PIECE_NONE, PIECE_REQUESTED, PIECE_RECEIVED };

struct utm_piece {
	uint8_t state;  /* enum piece_state */
	uint64_t peer;  /* requested from / received from */
};

struct tl_utm_asm {
	struct tl_infohash ih;
	uint32_t total;
	uint32_t npieces;
	uint32_t nreceived;
	bool is_complete;
	uint8_t *buf;
	struct utm_piece *pieces;
};

struct tl_utm_asm *tl_utm_asm_new(const struct tl_infohash *ih, uint32_t total_size)
{
	if (total_size == 0 || total_size > TL_MAX_METADATA_SIZE)
		return NULL;
	struct tl_utm_asm *a = tl_calloc(1, sizeof(*a));
	a->ih = *ih;
	a->total = total_size;
	a->npieces = tl_utm_npieces(total_size);
	a->buf = tl_malloc(total_size);
	a->pieces = tl_calloc(a->npieces, sizeof(*a->pieces));
	return a;
}

void tl_utm_asm_free(struct tl_utm_asm *a)
{
	if (!a)
		return;
	free(a->buf);
	free(a->pieces);
	free(a);
}

uint32_t tl_utm_asm_total_size(const struct tl_utm_asm *a)
{
	return a->total;
}

int tl_utm_asm_next(struct tl_utm_asm *a, uint64_t peer, uint32_t *piece_out)
{
	for (uint32_t i = 0; i < a->npieces; i++) {
		if (a->pieces[i].state != PIECE_NONE)
			continue;
		a->pieces[i].state = PIECE_REQUESTED;
		a->pieces[i].peer = peer;
		*piece_out = i;
		return TL_OK;
	}
	return TL_ENOENT;
}

void tl_utm_asm_release(struct tl_utm_asm *a, uint64_t peer)
{
	for (uint32_t i = 0; i < a->npieces; i++)
		tl_utm_asm_reject(a, peer, i);
}

void tl_utm_asm_reject(struct tl_utm_asm *a, uint64_t peer, uint32_t piece)
{
	if (piece < a->npieces && a->pieces[piece].state == PIECE_REQUESTED && a->pieces[piece].peer == peer)
		a->pieces[piece].state = PIECE_NONE;
}

int tl_utm_asm_add(struct tl_utm_asm *a, uint64_t peer, uint32_t piece, uint32_t total_size, const uint8_t *data,
    size_t len, const char **why_out)
{
	if (total_size != a->total) {
		*why_out = "ut_metadata: total_size differs from the advertised metadata_size";
		return TL_EINVAL;
	}
	if (piece >= a->npieces || len != tl_utm_piece_len(a->total, piece)) {
		*why_out = "ut_metadata: data piece out of range or of the wrong size";
		return TL_EINVAL;
	}
	/* A late answer after a release is still useful (the hash decides);
	 * a second copy of a piece is dropped. */
	if (a->is_complete || a->pieces[piece].state == PIECE_RECEIVED)
		return a->is_complete ? TL_OK : TL_EAGAIN;
	memcpy(a->buf + (size_t)piece * TL_METADATA_PIECE_LEN, data, len);
	a->pieces[piece].state = PIECE_RECEIVED;
	a->pieces[piece].peer = peer;
	if (++a->nreceived < a->npieces)
		return TL_EAGAIN;
	uint8_t h[20];
	tl_sha1(a->buf, a->total, h);
	if (memcmp(h, a->ih.b, 20) != 0) {
		*why_out = "ut_metadata: metadata does not hash to the infohash";
		return TL_EIO;
	}
	a->is_complete = true;
	return TL_OK;
}

uint64_t tl_utm_asm_source(const struct tl_utm_asm *a, uint32_t piece)
{
	return piece < a->npieces ? a->pieces[piece].peer : 0;
}

void tl_utm_asm_reset(struct tl_utm_asm *a)
{
	memset(a->pieces, 0, (size_t)a->npieces * sizeof(*a->pieces));
	a->nreceived = 0;
	a->is_complete = false;
}

bool tl_utm_asm_is_complete(const struct tl_utm_asm *a)
{
	return a->is_complete;
}

const uint8_t *tl_utm_asm_data(const struct tl_utm_asm *a, size_t *len_out)
{
	if (!a->is_complete)
		return NULL;
	*len_out = a->total;
	return a->buf;
}
