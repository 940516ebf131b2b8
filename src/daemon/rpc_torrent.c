/*
 * rpc_torrent.c: the torrent methods of the RPC (rpc.h): torrent-add,
 * torrent-get with Transmission's field names and status numbers,
 * torrent-start, torrent-stop, torrent-remove. Every value comes from the
 * entry's status (tl_entry_stat); nothing here decides how a torrent runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "base/bounds.h"
#include "base/digest.h"
#include "base/mem.h"
#include "codec/magnet.h"
#include "codec/metainfo.h"
#include "daemon/rpc_int.h"
#include "daemon/settings.h"
#include "engine/entry.h"
#include "engine/session.h"

/* Transmission's torrent status numbers (rpc-spec: "status"). */
enum tr_status {
	TR_STOPPED = 0,
	TR_CHECK_WAIT = 1,
	TR_CHECK = 2,
	TR_DOWNLOAD_WAIT = 3,
	TR_DOWNLOAD = 4,
	TR_SEED_WAIT = 5,
	TR_SEED = 6,
};

static enum tr_status status_of(const struct tl_entry *e, const struct tl_entry_stat *st)
{
	switch (st->state) {
	case TL_TSTATE_CHECKING:
		return TR_CHECK;
	case TL_TSTATE_METADATA:
	case TL_TSTATE_DOWNLOADING:
		return TR_DOWNLOAD;
	case TL_TSTATE_SEEDING:
		return TR_SEED;
	case TL_TSTATE_QUEUED:
		return tl_entry_is_complete(e) ? TR_SEED_WAIT : TR_DOWNLOAD_WAIT;
	case TL_TSTATE_STOPPING:
	case TL_TSTATE_STOPPED:
	case TL_TSTATE_ERROR:
		break;
	}
	return TR_STOPPED;
}

/* What torrent-get reads of one torrent. */
struct view {
	struct tl_rpc *r;
	struct tl_entry *e;
	struct tl_entry_stat st;
	const struct tl_metainfo *mi;
	int64_t id;
	size_t pos;
	uint64_t size, have; /* sizeWhenDone, haveValid */
};

static void view_init(struct view *v, struct tl_rpc *r, struct tl_entry *e, size_t pos)
{
	v->r = r;
	v->e = e;
	v->pos = pos;
	v->id = tl_rpc_id(e);
	v->mi = tl_entry_metainfo(e);
	tl_entry_stat(e, &v->st);
	if (v->st.has_torrent && v->st.t.wanted_bytes > 0) {
		v->size = v->st.t.wanted_bytes;
		v->have = v->st.t.have_bytes;
	} else {
		/* stopped since the daemon started: what the last run left */
		v->size = v->mi ? v->mi->total_len : 0;
		v->have = tl_entry_is_complete(e) ? v->size : 0;
	}
}

static const char *const field_names[] = {
	"id", "name", "hashString", "status", "percentDone", "totalSize", "sizeWhenDone",
	"leftUntilDone", "haveValid", "haveUnchecked", "rateDownload", "rateUpload",
	"uploadedEver", "downloadedEver", "uploadRatio", "eta", "peersConnected",
	"peersSendingToUs", "peersGettingFromUs", "error", "errorString", "downloadDir",
	"isFinished", "isStalled", "addedDate", "metadataPercentComplete", "queuePosition",
	"pieceCount", "pieceSize", "magnetLink", "isPrivate", "comment", "creator",
	"dateCreated", "corruptEver",
};
#define NFIELDS (sizeof(field_names) / sizeof(field_names[0]))

/* s as a JSON string, or dflt when s is NULL or not UTF-8 (a name from a
 * magnet link or a .torrent may not be). */
static json_t *str_or(const char *s, const char *dflt)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_string(dflt);
}

static json_t *field(const struct view *v, size_t f)
{
	const struct tl_torrent_stats *t = &v->st.t;
	char hex[41];
	switch (f) {
	case 0:
		return json_integer(v->id);
	case 1:
		if (v->st.name)
			return str_or(v->st.name, "?");
		tl_hex(tl_entry_infohash(v->e)->b, 20, hex);
		return json_string(hex);
	case 2:
		tl_hex(tl_entry_infohash(v->e)->b, 20, hex);
		return json_string(hex);
	case 3:
		return json_integer(status_of(v->e, &v->st));
	case 4:
		return json_real(v->size ? (double)v->have / (double)v->size : 0);
	case 5:
		return json_integer(v->mi ? (json_int_t)v->mi->total_len : 0);
	case 6:
		return json_integer((json_int_t)v->size);
	case 7:
		return json_integer((json_int_t)(v->size - v->have));
	case 8:
		return json_integer((json_int_t)v->have);
	case 9:
		return json_integer(0);
	case 10:
		return json_integer((json_int_t)t->down_rate);
	case 11:
		return json_integer((json_int_t)t->up_rate);
	case 12:
		return json_integer((json_int_t)t->uploaded);
	case 13:
		return json_integer((json_int_t)t->downloaded);
	case 14: {
		uint64_t base = t->downloaded > v->have ? t->downloaded : v->have;
		return json_real(base ? (double)t->uploaded / (double)base : -1);
	}
	case 15:
		return json_integer(v->have == v->size && v->size ? -1 : v->st.eta_s);
	case 16:
		return json_integer(v->st.has_torrent && tl_entry_torrent(v->e) ? (json_int_t)t->npeers
		                                                                  : (json_int_t)v->st.meta_connected);
	case 17:
	case 18:
		return json_integer(0); /* not counted by direction yet */
	case 19:
		return json_integer(v->st.error ? 3 : 0); /* 3: a local error */
	case 20:
		return str_or(v->st.error, "");
	case 21: {
		return str_or(tl_entry_settings(v->e)->dir, "");
	}
	case 22:
		return json_false();
	case 23:
		return json_false();
	case 24:
		return json_integer((size_t)v->id < v->r->nadded ? v->r->added[v->id] : 0);
	case 25:
		return json_real(v->mi ? 1.0 : 0.0);
	case 26:
		return json_integer((json_int_t)v->pos);
	case 27:
		return json_integer(v->mi ? v->mi->npieces : 0);
	case 28:
		return json_integer(v->mi ? v->mi->piece_len : 0);
	case 29: {
		char *link = v->mi ? tl_magnet_from_metainfo(v->mi) : NULL;
		if (!link) {
			tl_hex(tl_entry_infohash(v->e)->b, 20, hex);
			link = tl_malloc(64);
			snprintf(link, 64, "magnet:?xt=urn:btih:%s", hex);
		}
		json_t *j = str_or(link, "");
		free(link);
		return j;
	}
	case 30:
		return json_boolean(v->mi && v->mi->is_private);
	case 31:
		return str_or(v->mi ? v->mi->comment : NULL, "");
	case 32:
		return str_or(v->mi ? v->mi->created_by : NULL, "");
	case 33:
		return json_integer(v->mi ? v->mi->creation_date : 0);
	case 34:
		return json_integer((json_int_t)t->hash_fails);
	}
	return json_null();
}

const char *tl_rpc_torrent_get(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	json_t *fields = json_object_get(args, "fields");
	if (!json_is_array(fields)) {
		snprintf(why, TL_RPC_WHY, "fields: expected a list of field names");
		return why;
	}
	json_t *fmt = json_object_get(args, "format");
	bool is_table = json_is_string(fmt) && strcmp(json_string_value(fmt), "table") == 0;
	/* the asked fields we know, in the asked order */
	size_t want[NFIELDS], nwant = 0;
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f) {
		if (!json_is_string(f))
			continue;
		for (size_t k = 0; k < NFIELDS; k++) {
			if (strcmp(json_string_value(f), field_names[k]) != 0)
				continue;
			bool is_dup = false;
			for (size_t j = 0; j < nwant; j++)
				is_dup |= want[j] == k;
			if (!is_dup)
				want[nwant++] = k;
		}
	}
	size_t n;
	struct tl_entry **es = tl_rpc_select(r, json_object_get(args, "ids"), &n, why);
	if (!es)
		return why;
	json_t *list = json_array();
	if (is_table) {
		json_t *head = json_array();
		for (size_t j = 0; j < nwant; j++)
			json_array_append_new(head, json_string(field_names[want[j]]));
		json_array_append_new(list, head);
	}
	size_t total = tl_session_count(r->env.s);
	for (size_t k = 0; k < n; k++) {
		size_t pos = 0;
		while (pos < total && tl_session_entry(r->env.s, pos) != es[k])
			pos++;
		struct view v;
		view_init(&v, r, es[k], pos);
		json_t *row = is_table ? json_array() : json_object();
		for (size_t j = 0; j < nwant; j++) {
			if (is_table)
				json_array_append_new(row, field(&v, want[j]));
			else
				json_object_set_new(row, field_names[want[j]], field(&v, want[j]));
		}
		json_array_append_new(list, row);
	}
	free(es);
	json_object_set_new(out, "torrents", list);
	if (json_is_string(json_object_get(args, "ids")))
		json_object_set_new(out, "removed", json_array());
	return NULL;
}

/* ---- torrent-add */

static void added_reply(json_t *out, const char *key, struct tl_entry *e)
{
	char hex[41];
	tl_hex(tl_entry_infohash(e)->b, 20, hex);
	struct tl_entry_stat st;
	tl_entry_stat(e, &st);
	json_object_set_new(out, key, json_pack("{sIsoss}", "id", (json_int_t)tl_rpc_id(e), "name",
	    str_or(st.name, hex), "hashString", hex));
}

/* The .torrent at path (at most TL_MAX_TORRENT_FILE bytes) into *buf_out. */
static const char *read_torrent(const char *path, uint8_t **buf_out, size_t *len_out, char *why)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, TL_RPC_WHY, "filename: %s", strerror(errno));
		return why;
	}
	uint8_t *buf = tl_malloc(TL_MAX_TORRENT_FILE + 1);
	size_t n = fread(buf, 1, TL_MAX_TORRENT_FILE + 1, f);
	bool is_err = ferror(f);
	fclose(f);
	if (is_err || n > TL_MAX_TORRENT_FILE) {
		free(buf);
		snprintf(why, TL_RPC_WHY, "filename: %s", is_err ? "cannot read it" : "too large for a .torrent");
		return why;
	}
	*buf_out = buf;
	*len_out = n;
	return NULL;
}

/* The torrent the arguments name, as metainfo (*mi_out) or a magnet
 * link (*mg_out). */
static const char *add_source(struct tl_rpc *r, json_t *args, struct tl_metainfo **mi_out,
    struct tl_magnet **mg_out, char *why)
{
	json_t *fn = json_object_get(args, "filename");
	json_t *meta = json_object_get(args, "metainfo");
	const char *err = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (meta) {
		if (!json_is_string(meta))
			return "metainfo: expected a base64 string";
		size_t blen = json_string_length(meta);
		buf = tl_malloc(blen / 4 * 3 + 3);
		if (sodium_base642bin(buf, blen / 4 * 3 + 3, json_string_value(meta), blen, " \t\r\n", &len, NULL,
		        sodium_base64_VARIANT_ORIGINAL) != 0) {
			free(buf);
			return "metainfo: not valid base64";
		}
	} else if (json_is_string(fn)) {
		const char *s = json_string_value(fn);
		size_t slen = json_string_length(fn);
		struct tl_infohash ih;
		const char *why_mg = NULL;
		if (slen == 40 && tl_unhex(s, 40, ih.b, 20) == 0) {
			char link[80];
			snprintf(link, sizeof(link), "magnet:?xt=urn:btih:%s", s);
			if (tl_magnet_parse(link, strlen(link), mg_out, &why_mg) != 0)
				return why_mg;
			return NULL;
		}
		if (strncmp(s, "magnet:", 7) == 0) {
			if (tl_magnet_parse(s, slen, mg_out, &why_mg) != 0)
				return why_mg;
			return NULL;
		}
		if (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0)
			return "filename: adding from a URL is not supported yet";
		if (r->env.is_sandbox)
			return "filename: reading files is off";
		if (strlen(s) != slen)
			return "filename: contains a NUL";
		if ((err = read_torrent(s, &buf, &len, why)))
			return err;
	} else {
		return "torrent-add: expected \"filename\" (a magnet link or a path) or \"metainfo\" (base64)";
	}
	const char *why_mi = NULL;
	if (tl_metainfo_parse(buf, len, mi_out, &why_mi) != 0) {
		snprintf(why, TL_RPC_WHY, "invalid or corrupt torrent file: %s", why_mi ? why_mi : "?");
		err = why;
	}
	free(buf);
	return err;
}

const char *tl_rpc_torrent_add(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	json_t *paused = json_object_get(args, "paused");
	json_t *dir = json_object_get(args, "download-dir");
	if (paused && !json_is_boolean(paused) && !json_is_integer(paused))
		return "paused: expected true or false";
	if (dir && (!json_is_string(dir) || json_string_value(dir)[0] != '/' ||
	            strlen(json_string_value(dir)) != json_string_length(dir)))
		return "download-dir: expected an absolute path";
	struct tl_metainfo *mi = NULL;
	struct tl_magnet *mg = NULL;
	const char *err = add_source(r, args, &mi, &mg, why);
	if (err)
		return err;
	const struct tl_infohash *ih = mi ? &mi->infohash : &mg->infohash;
	struct tl_entry *e = tl_session_find(r->env.s, ih);
	if (e) {
		added_reply(out, "torrent-duplicate", e);
		goto out;
	}
	struct tl_entry_settings set = {
		.dir = dir && !r->env.is_sandbox ? json_string_value(dir) : r->env.set->download_dir,
		.is_paused = r->env.is_sandbox || (paused ? json_is_true(paused) ||
		             (json_is_integer(paused) && json_integer_value(paused) != 0) : r->env.set->is_start_paused),
	};
	int64_t id = tl_rpc_new_id(r);
	e = tl_session_add(r->env.s, mi, mg, &set, (void *)(intptr_t)id, &err);
	mi = NULL; /* taken */
	if (!e)
		goto out;
	r->files_added++;
	added_reply(out, "torrent-added", e);
out:
	tl_metainfo_free(mi);
	tl_magnet_free(mg);
	return err;
}

/* ---- start, stop, remove */

/* Start (is_start) or stop the torrents args names; each one that is
 * already so is left alone. */
static const char *start_stop(struct tl_rpc *r, json_t *args, bool is_start, char *why)
{
	size_t n;
	struct tl_entry **es = tl_rpc_select(r, json_object_get(args, "ids"), &n, why);
	if (!es)
		return why;
	for (size_t i = 0; i < n; i++) {
		struct tl_entry_stat st;
		tl_entry_stat(es[i], &st);
		if (is_start && (st.is_paused || st.state == TL_TSTATE_ERROR))
			tl_session_start(r->env.s, es[i]);
		else if (!is_start && (!st.is_paused || st.state == TL_TSTATE_QUEUED))
			tl_session_stop(r->env.s, es[i]);
	}
	free(es);
	return NULL;
}

const char *tl_rpc_torrent_start(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)out;
	return start_stop(r, args, true, why);
}

const char *tl_rpc_torrent_stop(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)out;
	return start_stop(r, args, false, why);
}

const char *tl_rpc_torrent_remove(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)out;
	json_t *del = json_object_get(args, "delete-local-data");
	if (del && !json_is_boolean(del))
		return "delete-local-data: expected true or false";
	size_t n;
	struct tl_entry **es = tl_rpc_select(r, json_object_get(args, "ids"), &n, why);
	if (!es)
		return why;
	for (size_t i = 0; i < n; i++)
		tl_session_remove(r->env.s, es[i], json_is_true(del) && !r->env.is_sandbox);
	free(es);
	return NULL;
}
