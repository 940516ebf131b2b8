/*
 * magnet.h: magnet links (BEP 9, with BEP 53 select-only), parsed into one
 * owned struct and formatted back.
 *
 * Recognised parameters: xt (urn:btih: as 40 hex or 32 base32 characters;
 * urn:btmh: alone is refused as v2-only), dn, tr, ws, x.pe, so. Numbered
 * forms ("tr.1", "xt.2") count as their base name; unknown parameters are
 * ignored. Values are percent-decoded; a malformed escape or a decoded NUL
 * refuses the link. Limits: TL_MAX_MAGNET_LEN bytes, TL_MAX_MAGNET_PARAMS
 * parameters (bounds.h).
 *
 * tl_magnet_format() is the inverse of tl_magnet_parse(): for every link
 * that parses, parse(format(m)) equals m field by field.
 *
 * Pure L1 code; any thread.
 */
#ifndef TL_MAGNET_H
#define TL_MAGNET_H

#include <stdbool.h>
#include <stddef.h>

#include "base/digest.h"

struct tl_metainfo;

struct tl_magnet {
	struct tl_infohash infohash;
	char *name;        /* dn, NULL when absent or empty */
	char **trackers;   /* every tr, in order */
	size_t ntrackers;
	char **peers;      /* x.pe as "host:port", IPv6 as "[addr]:port" */
	size_t npeers;
	char **web_seeds;  /* ws */
	size_t nweb_seeds;
	char *select_only; /* so (BEP 53), validated, e.g. "0,2,4-6"; NULL when absent */
};

/*
 * Parse s[0..len) (no NUL needed). On success returns 0 and *out (free
 * with tl_magnet_free). On failure returns -1, *out is NULL and *why_out a
 * static one-line reason ("magnet: xt is missing", ...).
 */
int tl_magnet_parse(const char *s, size_t len, struct tl_magnet **out, const char **why_out);

/* The link for m as a new string (caller frees): xt, dn, tr..., ws...,
 * x.pe..., so. Values are percent-encoded as needed. */
char *tl_magnet_format(const struct tl_magnet *m);

/* A link for a parsed torrent: xt, dn, every tracker of every tier, every
 * web seed. Caller frees. */
char *tl_magnet_from_metainfo(const struct tl_metainfo *mi);

/*
 * Expand a select-only list (BEP 53: "0,2,4-6", ranges inclusive) over
 * nfiles files: selected_out[i] is set true for each index listed (it is
 * not cleared first); indices >= nfiles are ignored. Returns how many
 * entries of selected_out became true, or -1 when so is malformed.
 */
long tl_magnet_select(const char *so, size_t nfiles, bool *selected_out);

/* True when a and b hold the same infohash and the same values in the
 * same order (what a parse/format round trip must preserve). */
bool tl_magnet_equal(const struct tl_magnet *a, const struct tl_magnet *b);

void tl_magnet_free(struct tl_magnet *m);

#endif
