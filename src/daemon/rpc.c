/*
 * rpc.c: Transmission RPC requests (rpc.h): the envelope (method,
 * arguments, tag, result), torrent ids and their selection, and the
 * session methods (session-get, session-set, session-stats). The torrent
 * methods are in rpc_torrent.c.
 *
 * The body is checked before jansson sees it (size, nesting depth), and
 * every argument's type is checked before it is used: a bad request gets
 * a "result" that names the problem.
 */
#include "daemon/rpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/digest.h"
#include "base/log.h"
#include "base/mem.h"
#include "daemon/rpc_int.h"
#include "daemon/settings.h"
#include "engine/entry.h"
#include "engine/session.h"

struct tl_rpc *tl_rpc_new(const struct tl_rpc_env *env)
{
	struct tl_rpc *r = tl_calloc(1, sizeof(*r));
	r->env = *env;
	r->next_id = 1;
	r->start_s = (int64_t)time(NULL);
	return r;
}

void tl_rpc_free(struct tl_rpc *r)
{
	if (!r)
		return;
	free(r->added);
	free(r);
}

int64_t tl_rpc_id(const struct tl_entry *e)
{
	return (int64_t)(intptr_t)tl_entry_user(e);
}

int64_t tl_rpc_new_id(struct tl_rpc *r)
{
	int64_t id = r->next_id++;
	if ((size_t)id >= r->nadded) {
		size_t n = r->nadded ? r->nadded * 2 : 64;
		while (n <= (size_t)id)
			n *= 2;
		r->added = tl_reallocarray(r->added, n, sizeof(*r->added));
		memset(r->added + r->nadded, 0, (n - r->nadded) * sizeof(*r->added));
		r->nadded = n;
	}
	r->added[id] = (int64_t)time(NULL);
	return id;
}

void tl_rpc_adopt(struct tl_rpc *r)
{
	size_t n = tl_session_count(r->env.s);
	for (size_t i = 0; i < n; i++) {
		struct tl_entry *e = tl_session_entry(r->env.s, i);
		if (tl_rpc_id(e) == 0)
			tl_entry_set_user(e, (void *)(intptr_t)tl_rpc_new_id(r));
	}
}

/* ---- ids */

static struct tl_entry *find_id(struct tl_rpc *r, json_int_t id)
{
	size_t n = tl_session_count(r->env.s);
	for (size_t i = 0; i < n; i++) {
		struct tl_entry *e = tl_session_entry(r->env.s, i);
		if (tl_rpc_id(e) == id)
			return e;
	}
	return NULL;
}

/* One element of "ids": a number or a 40-hex infohash. NULL when it
 * names no torrent (skipped, as Transmission does); -1 when malformed. */
static int one_id(struct tl_rpc *r, json_t *v, struct tl_entry **e_out)
{
	*e_out = NULL;
	if (json_is_integer(v)) {
		*e_out = find_id(r, json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	struct tl_infohash ih;
	if (json_string_length(v) != 40 || tl_unhex(json_string_value(v), 40, ih.b, 20) != 0)
		return -1;
	*e_out = tl_session_find(r->env.s, &ih);
	return 0;
}

struct tl_entry **tl_rpc_select(struct tl_rpc *r, json_t *ids, size_t *n_out, char *why)
{
	size_t n = tl_session_count(r->env.s), k = 0;
	struct tl_entry **out = tl_calloc(n + 1, sizeof(*out));
	/* "recently-active" (the torrents that changed lately) is every
	 * torrent for now: a superset is what a polling remote needs */
	if (!ids || (json_is_string(ids) && strcmp(json_string_value(ids), "recently-active") == 0)) {
		for (size_t i = 0; i < n; i++)
			out[k++] = tl_session_entry(r->env.s, i);
		*n_out = k;
		return out;
	}
	struct tl_entry *e;
	if (!json_is_array(ids)) {
		if (one_id(r, ids, &e) != 0)
			goto bad;
		if (e)
			out[k++] = e;
		*n_out = k;
		return out;
	}
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (one_id(r, v, &e) != 0)
			goto bad;
		bool is_dup = false;
		for (size_t j = 0; j < k && !is_dup; j++)
			is_dup = out[j] == e;
		if (e && !is_dup && k < n)
			out[k++] = e;
	}
	*n_out = k;
	return out;
bad:
	snprintf(why, TL_RPC_WHY, "ids: expected a torrent id, a 40-hex infohash, a list of them or \"recently-active\"");
	free(out);
	return NULL;
}

/* ---- session methods */

static void add_units(json_t *out)
{
	json_t *u = json_object();
	json_object_set_new(u, "speed-units", json_pack("[ssss]", "kB/s", "MB/s", "GB/s", "TB/s"));
	json_object_set_new(u, "speed-bytes", json_integer(1000));
	json_object_set_new(u, "size-units", json_pack("[ssss]", "kB", "MB", "GB", "TB"));
	json_object_set_new(u, "size-bytes", json_integer(1000));
	json_object_set_new(u, "memory-units", json_pack("[ssss]", "KiB", "MiB", "GiB", "TiB"));
	json_object_set_new(u, "memory-bytes", json_integer(1024));
	json_object_set_new(out, "units", u);
}

static const char *session_get(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	const struct tl_dset *d = r->env.set;
	json_object_set_new(out, "version", json_string("trackless " PACKAGE_VERSION));
	json_object_set_new(out, "rpc-version", json_integer(17));
	json_object_set_new(out, "rpc-version-minimum", json_integer(14));
	json_object_set_new(out, "download-dir", json_string(d->download_dir));
	json_object_set_new(out, "config-dir", json_string(r->env.config_dir ? r->env.config_dir : ""));
	json_object_set_new(out, "peer-port", json_integer(tl_session_port(r->env.s)));
	json_object_set_new(out, "peer-port-random-on-start", json_false());
	json_object_set_new(out, "speed-limit-down", json_integer((json_int_t)d->down_kbps));
	json_object_set_new(out, "speed-limit-down-enabled", json_boolean(d->is_down_limited));
	json_object_set_new(out, "speed-limit-up", json_integer((json_int_t)d->up_kbps));
	json_object_set_new(out, "speed-limit-up-enabled", json_boolean(d->is_up_limited));
	json_object_set_new(out, "alt-speed-enabled", json_false());
	json_object_set_new(out, "dht-enabled", json_boolean(tl_session_dht(r->env.s) != NULL));
	json_object_set_new(out, "pex-enabled", json_true());
	json_object_set_new(out, "lpd-enabled", json_false());
	json_object_set_new(out, "utp-enabled", json_false());
	json_object_set_new(out, "port-forwarding-enabled", json_false());
	json_object_set_new(out, "encryption", json_string("tolerated"));
	json_object_set_new(out, "start-added-torrents", json_boolean(!d->is_start_paused));
	json_object_set_new(out, "alt-speed-down", json_integer(0));
	json_object_set_new(out, "alt-speed-up", json_integer(0));
	json_object_set_new(out, "alt-speed-time-enabled", json_false());
	json_object_set_new(out, "alt-speed-time-begin", json_integer(540));
	json_object_set_new(out, "alt-speed-time-end", json_integer(1020));
	json_object_set_new(out, "alt-speed-time-day", json_integer(127));
	json_object_set_new(out, "seedRatioLimit", json_real(0));
	json_object_set_new(out, "idle-seeding-limit", json_integer(0));
	json_object_set_new(out, "idle-seeding-limit-enabled", json_false());
	json_object_set_new(out, "peer-limit-global", json_integer(200));
	json_object_set_new(out, "peer-limit-per-torrent", json_integer(50));
	json_object_set_new(out, "download-queue-enabled", json_false());
	json_object_set_new(out, "seed-queue-enabled", json_false());
	json_object_set_new(out, "seedRatioLimited", json_false());
	add_units(out);
	/* "fields" (rpc-version 16): only those keys */
	json_t *fields = json_object_get(args, "fields");
	if (fields) {
		if (!json_is_array(fields)) {
			snprintf(why, TL_RPC_WHY, "fields: expected a list of names");
			return why;
		}
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(out, tmp, k, v) {
			bool is_asked = false;
			size_t i;
			json_t *f;
			json_array_foreach(fields, i, f)
				is_asked |= json_is_string(f) && strcmp(json_string_value(f), k) == 0;
			if (!is_asked)
				json_object_del(out, k);
		}
	}
	return NULL;
}

/* A number argument k of args in [0, max] into *out; false with why when
 * present but wrong. */
static bool arg_uint(json_t *args, const char *k, uint64_t max, uint64_t *out, bool *has, char *why)
{
	json_t *v = json_object_get(args, k);
	if (!v)
		return true;
	double x = json_is_number(v) ? json_number_value(v) : -1;
	if (x < 0 || x > (double)max) {
		snprintf(why, TL_RPC_WHY, "%s: expected a number from 0 to %llu", k, (unsigned long long)max);
		return false;
	}
	*out = (uint64_t)x;
	*has = true;
	return true;
}

static bool arg_bool(json_t *args, const char *k, bool *out, bool *has, char *why)
{
	json_t *v = json_object_get(args, k);
	if (!v)
		return true;
	if (!json_is_boolean(v)) {
		snprintf(why, TL_RPC_WHY, "%s: expected true or false", k);
		return false;
	}
	*out = json_is_true(v);
	*has = true;
	return true;
}

static const char *session_set(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)out;
	struct tl_dset *d = r->env.set;
	struct tl_dset n = *d; /* checked in full before anything changes */
	bool has = false;
	uint64_t port = n.peer_port;
	if (!arg_uint(args, "speed-limit-down", 4000000000ull, &n.down_kbps, &has, why) ||
	    !arg_uint(args, "speed-limit-up", 4000000000ull, &n.up_kbps, &has, why) ||
	    !arg_bool(args, "speed-limit-down-enabled", &n.is_down_limited, &has, why) ||
	    !arg_bool(args, "speed-limit-up-enabled", &n.is_up_limited, &has, why) ||
	    !arg_bool(args, "start-added-torrents", &n.is_start_paused, &has, why) ||
	    !arg_uint(args, "peer-port", 65535, &port, &has, why))
		return why;
	json_t *dir = json_object_get(args, "download-dir");
	if (dir && (!json_is_string(dir) || json_string_value(dir)[0] != '/' ||
	            json_string_length(dir) != strlen(json_string_value(dir)))) {
		snprintf(why, TL_RPC_WHY, "download-dir: expected an absolute path");
		return why;
	}
	if (dir && !r->env.is_sandbox) {
		tl_dset_set_str(&d->download_dir, json_string_value(dir));
		tl_dset_put(d, "download-dir", json_string(d->download_dir));
		has = true;
	}
	d->down_kbps = n.down_kbps;
	d->up_kbps = n.up_kbps;
	d->is_down_limited = n.is_down_limited;
	d->is_up_limited = n.is_up_limited;
	if (json_object_get(args, "start-added-torrents")) {
		d->is_start_paused = !n.is_start_paused; /* the key says the opposite */
		tl_dset_put(d, "start-added-torrents", json_boolean(!d->is_start_paused));
	}
	d->peer_port = (uint16_t)port; /* for the next start */
	/* into the file: the keys given, normalised (a limit sent as 100.0
	 * is kept as 100) */
	if (json_object_get(args, "speed-limit-down"))
		tl_dset_put(d, "speed-limit-down", json_integer((json_int_t)d->down_kbps));
	if (json_object_get(args, "speed-limit-up"))
		tl_dset_put(d, "speed-limit-up", json_integer((json_int_t)d->up_kbps));
	if (json_object_get(args, "speed-limit-down-enabled"))
		tl_dset_put(d, "speed-limit-down-enabled", json_boolean(d->is_down_limited));
	if (json_object_get(args, "speed-limit-up-enabled"))
		tl_dset_put(d, "speed-limit-up-enabled", json_boolean(d->is_up_limited));
	if (json_object_get(args, "peer-port"))
		tl_dset_put(d, "peer-port", json_integer(d->peer_port));
	tl_session_set_limits(r->env.s, d->is_down_limited ? d->down_kbps * 1000 : 0,
	    d->is_up_limited ? d->up_kbps * 1000 : 0);
	if (has && r->env.settings_path && tl_dset_save(d, r->env.settings_path) != 0) {
		snprintf(why, TL_RPC_WHY, "the settings are in use but could not be saved (see the log)");
		return why;
	}
	return NULL;
}

static const char *session_stats(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)args;
	(void)why;
	size_t n = tl_session_count(r->env.s), active = 0, paused = 0;
	double down = 0, up = 0;
	uint64_t downloaded = 0, uploaded = 0;
	for (size_t i = 0; i < n; i++) {
		struct tl_entry_stat st;
		tl_entry_stat(tl_session_entry(r->env.s, i), &st);
		if (st.is_paused)
			paused++;
		else
			active++;
		down += st.t.down_rate;
		up += st.t.up_rate;
		downloaded += st.t.downloaded;
		uploaded += st.t.uploaded;
	}
	json_object_set_new(out, "activeTorrentCount", json_integer((json_int_t)active));
	json_object_set_new(out, "pausedTorrentCount", json_integer((json_int_t)paused));
	json_object_set_new(out, "torrentCount", json_integer((json_int_t)n));
	json_object_set_new(out, "downloadSpeed", json_integer((json_int_t)down));
	json_object_set_new(out, "uploadSpeed", json_integer((json_int_t)up));
	int64_t secs = (int64_t)time(NULL) - r->start_s;
	/* this run's counters; the totals over every run are not kept yet */
	json_t *cur = json_pack("{sIsIsIsIsI}", "uploadedBytes", (json_int_t)uploaded,
	    "downloadedBytes", (json_int_t)downloaded, "filesAdded", (json_int_t)r->files_added,
	    "sessionCount", (json_int_t)1, "secondsActive", (json_int_t)secs);
	json_object_set(out, "current-stats", cur);
	json_object_set_new(out, "cumulative-stats", cur);
	return NULL;
}

static const char *not_yet(struct tl_rpc *r, json_t *args, json_t *out, char *why)
{
	(void)r;
	(void)args;
	(void)out;
	(void)why;
	return "not supported yet";
}

static const struct {
	const char *name;
	tl_rpc_method_fn fn;
} methods[] = {
	{ "session-get", session_get },
	{ "session-set", session_set },
	{ "session-stats", session_stats },
	{ "torrent-add", tl_rpc_torrent_add },
	{ "torrent-get", tl_rpc_torrent_get },
	{ "torrent-start", tl_rpc_torrent_start },
	{ "torrent-start-now", tl_rpc_torrent_start },
	{ "torrent-stop", tl_rpc_torrent_stop },
	{ "torrent-remove", tl_rpc_torrent_remove },
	{ "torrent-verify", not_yet },
	{ "torrent-reannounce", not_yet },
	{ "torrent-set", not_yet },
	{ "torrent-set-location", not_yet },
	{ "torrent-rename-path", not_yet },
	{ "free-space", not_yet },
	{ "port-test", not_yet },
	{ "blocklist-update", not_yet },
	{ "queue-move-top", not_yet },
	{ "queue-move-up", not_yet },
	{ "queue-move-down", not_yet },
	{ "queue-move-bottom", not_yet },
	{ "session-close", not_yet },
};

/* The nesting depth of JSON text p[0..len) exceeds max (brackets inside
 * strings do not count). Run before the parser so that no request makes
 * it recurse deep. */
static bool too_deep(const uint8_t *p, size_t len, unsigned max)
{
	unsigned depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return true;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return false;
}

/* A result string as JSON: parser messages may quote bytes of the
 * request, which need not be UTF-8; they show as '?'. */
static json_t *ascii_string(const char *s)
{
	char buf[TL_RPC_WHY];
	size_t i;
	for (i = 0; s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	buf[i] = 0;
	return json_string(buf);
}

static char *reply(json_t *rep, size_t *len_out)
{
	char *s = json_dumps(rep, JSON_COMPACT);
	json_decref(rep);
	if (!s)
		abort(); /* out of memory: the policy of src/ */
	*len_out = strlen(s);
	return s;
}

char *tl_rpc_handle(struct tl_rpc *r, const uint8_t *p, size_t len, size_t *len_out)
{
	json_t *rep = json_object();
	json_t *out = json_object();
	json_object_set_new(rep, "arguments", out);
	char why[TL_RPC_WHY];
	const char *res = NULL;
	json_t *req = NULL;
	if (len > TL_RPC_MAX_BODY) {
		res = "request too large";
		goto out;
	}
	if (too_deep(p, len, TL_RPC_MAX_DEPTH)) {
		res = "invalid JSON: nested too deep";
		goto out;
	}
	json_error_t err;
	req = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &err);
	if (!req) {
		snprintf(why, sizeof(why), "invalid JSON: %s (at byte %d)", err.text, err.position);
		res = why;
		goto out;
	}
	if (!json_is_object(req)) {
		res = "invalid request: expected a JSON object";
		goto out;
	}
	json_t *tag = json_object_get(req, "tag");
	if (json_is_integer(tag))
		json_object_set(rep, "tag", tag);
	json_t *m = json_object_get(req, "method");
	json_t *args = json_object_get(req, "arguments");
	if (!json_is_string(m)) {
		res = "invalid request: \"method\" is missing or not a string";
		goto out;
	}
	if (args && !json_is_object(args)) {
		res = "invalid request: \"arguments\" is not an object";
		goto out;
	}
	json_t *none = NULL;
	if (!args)
		args = none = json_object();
	res = "method name not recognized";
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(json_string_value(m), methods[i].name) == 0) {
			res = methods[i].fn(r, args, out, why);
			if (res == why)
				tl_debug("rpc: %s: %s", methods[i].name, why);
			break;
		}
	json_decref(none);
out:
	json_decref(req);
	json_object_set_new(rep, "result", ascii_string(res ? res : "success"));
	return reply(rep, len_out);
}
