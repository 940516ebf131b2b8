/* ut_pex.c: BEP 11 peer exchange (see ut_pex.h). */
#include "proto/ut_pex.h"

#include <stdlib.h>
#include <string.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "base/err.h"
#include "base/mem.h"

#define PEX_MAX_TOKENS 64u
#define PEX_MAX_DEPTH 4u

static const char *const list_keys[TL_PEX_NLISTS] = { "added", "added6", "dropped", "dropped6" };
static const char *const flag_keys[2] = { "added.f", "added6.f" };

static size_t contact_len(enum tl_pex_list l)
{
	return l == TL_PEX_ADDED || l == TL_PEX_DROPPED ? 6 : 18;
}

int tl_pex_parse(const uint8_t *p, size_t len, struct tl_pex_msg *out, const char **why_out)
{
	struct benc_tok toks[PEX_MAX_TOKENS];
	struct benc_doc d;
	struct benc_err e;
	memset(out, 0, sizeof(*out));
	if (benc_parse(p, len, toks, PEX_MAX_TOKENS, PEX_MAX_DEPTH, 0, &d, &e) != 0) {
		*why_out = e.what;
		return TL_EINVAL;
	}
	if (!benc_is(&d, 0, BENC_DICT)) {
		*why_out = "ut_pex: not a dictionary";
		return TL_EINVAL;
	}
	for (int l = 0; l < TL_PEX_NLISTS; l++) {
		long i = benc_dict_get(&d, 0, list_keys[l]);
		const uint8_t *s;
		size_t n;
		if (i < 0)
			continue;
		if (!benc_get_str(&d, i, &s, &n) || n % contact_len(l) != 0) {
			*why_out = "ut_pex: a contact list is not a string of whole contacts";
			return TL_EINVAL;
		}
		if (n / contact_len(l) > TL_PEX_MAX_RECV) {
			*why_out = "ut_pex: too many contacts in one list";
			return TL_EINVAL;
		}
		out->list[l] = s;
		out->count[l] = n / contact_len(l);
	}
	for (int f = 0; f < 2; f++) {
		long i = benc_dict_get(&d, 0, flag_keys[f]);
		const uint8_t *s;
		size_t n;
		if (i < 0)
			continue;
		if (!benc_get_str(&d, i, &s, &n) || n != out->count[f]) {
			*why_out = "ut_pex: flags do not match the added contacts";
			return TL_EINVAL;
		}
		out->flags[f] = s;
	}
	return TL_OK;
}

void tl_pex_get(const struct tl_pex_msg *m, enum tl_pex_list l, size_t i, struct tl_pex_peer *out)
{
	size_t alen = contact_len(l) - 2;
	const uint8_t *c = m->list[l] + i * contact_len(l);
	memset(out, 0, sizeof(*out));
	out->family = alen == 4 ? 4 : 6;
	memcpy(out->addr, c, alen);
	out->port = (uint16_t)(c[alen] << 8 | c[alen + 1]);
	if (l <= TL_PEX_ADDED6 && m->flags[l])
		out->flags = m->flags[l][i];
}

/* Write the contacts of one family as a compact string (and, for added
 * lists, their flags string under fkey). */
static void put_list(struct benc_w *w, const char *key, const char *fkey, const struct tl_pex_peer *v, size_t n,
    uint8_t family)
{
	size_t alen = family == 4 ? 4 : 16, cnt = 0;
	uint8_t buf[TL_PEX_MAX_SEND * 18], fl[TL_PEX_MAX_SEND];
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		uint8_t *c = buf + cnt * (alen + 2);
		memcpy(c, v[i].addr, alen);
		c[alen] = (uint8_t)(v[i].port >> 8);
		c[alen + 1] = (uint8_t)v[i].port;
		fl[cnt++] = v[i].flags;
	}
	if (!cnt)
		return;
	benc_w_cstr(w, key);
	benc_w_str(w, buf, cnt * (alen + 2));
	if (fkey) {
		benc_w_cstr(w, fkey);
		benc_w_str(w, fl, cnt);
	}
}

size_t tl_pex_build(const struct tl_pex_peer *added, size_t nadded, const struct tl_pex_peer *dropped,
    size_t ndropped, uint8_t *out, size_t cap)
{
	if (nadded > TL_PEX_MAX_SEND || ndropped > TL_PEX_MAX_SEND)
		return 0;
	struct benc_w w;
	benc_w_init_fixed(&w, out, cap);
	benc_w_dict(&w);
	/* Sorted keys: added, added.f, added6, added6.f, dropped, dropped6. */
	put_list(&w, "added", "added.f", added, nadded, 4);
	put_list(&w, "added6", "added6.f", added, nadded, 6);
	put_list(&w, "dropped", NULL, dropped, ndropped, 4);
	put_list(&w, "dropped6", NULL, dropped, ndropped, 6);
	if (w.len == 1) { /* BEP 11: at least one list, even if empty */
		benc_w_cstr(&w, "added");
		benc_w_str(&w, "", 0);
	}
	benc_w_end(&w);
	return w.err ? 0 : w.len;
}

void tl_pex_state_init(struct tl_pex_state *st)
{
	memset(st, 0, sizeof(*st));
}

void tl_pex_state_clear(struct tl_pex_state *st)
{
	if (!st)
		return;
	free(st->sent);
	tl_pex_state_init(st);
}

/* Contact identity: family, address, port (flags are not part of it). */
static int peer_cmp(const struct tl_pex_peer *a, const struct tl_pex_peer *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int peer_qcmp(const void *a, const void *b)
{
	return peer_cmp(a, b);
}

void tl_pex_diff(struct tl_pex_state *st, const struct tl_pex_peer *cur, size_t ncur, struct tl_pex_peer *added_out,
    size_t max_added, size_t *nadded_out, struct tl_pex_peer *dropped_out, size_t max_dropped,
    size_t *ndropped_out)
{
	struct tl_pex_peer *c = tl_reallocarray(NULL, ncur ? ncur : 1, sizeof(*c));
	if (ncur)
		memcpy(c, cur, ncur * sizeof(*c));
	qsort(c, ncur, sizeof(*c), peer_qcmp);
	/* The new "sent" set is a merge of the old one and the current one:
	 * it can grow by at most max_added. */
	size_t cap = st->n + (max_added < ncur ? max_added : ncur);
	struct tl_pex_peer *next = tl_reallocarray(NULL, cap ? cap : 1, sizeof(*next));
	size_t i = 0, j = 0, nn = 0, na = 0, nd = 0;
	while (i < st->n || j < ncur) {
		if (j > 0 && j < ncur && peer_cmp(&c[j], &c[j - 1]) == 0) {
			j++; /* duplicate in cur */
			continue;
		}
		int k = i == st->n ? 1 : j == ncur ? -1 : peer_cmp(&st->sent[i], &c[j]);
		if (k == 0) { /* still connected: still known */
			next[nn++] = st->sent[i++];
			j++;
		} else if (k < 0) { /* gone */
			if (nd < max_dropped) {
				dropped_out[nd] = st->sent[i];
				dropped_out[nd++].flags = 0;
			} else {
				next[nn++] = st->sent[i];
			}
			i++;
		} else { /* new */
			if (na < max_added) {
				added_out[na++] = c[j];
				next[nn++] = c[j];
			}
			j++;
		}
	}
	free(c);
	free(st->sent);
	st->sent = next;
	st->n = nn;
	st->cap = cap;
	*nadded_out = na;
	*ndropped_out = nd;
}
