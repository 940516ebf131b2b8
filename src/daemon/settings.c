/*
 * settings.c: settings.json of the daemon (settings.h). Parsed with
 * jansson; written atomically so that a crash leaves the old file or the
 * new one, never half of one.
 */
#include "daemon/settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/log.h"
#include "base/mem.h"
#include "engine/resume.h"

void tl_dset_set_str(char **slot, const char *v)
{
	char *c = v ? tl_strdup(v) : NULL;
	free(*slot);
	*slot = c;
}

void tl_dset_init(struct tl_dset *d)
{
	memset(d, 0, sizeof(*d));
	const char *home = getenv("HOME");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s/Downloads", home && *home ? home : ".");
	d->download_dir = tl_strdup(buf);
	d->rpc_bind = tl_strdup("127.0.0.1");
	d->rpc_port = 9091;
	d->is_dht = true;
}

void tl_dset_clear(struct tl_dset *d)
{
	if (!d)
		return;
	free(d->download_dir);
	free(d->rpc_bind);
	free(d->bind);
	json_decref(d->doc);
	memset(d, 0, sizeof(*d));
}

/* Key k of o as a string, number in [0, max] or bool into the slot;
 * absent keys leave it. -1 with why when the type or range is wrong. */
static int get_str(json_t *o, const char *k, char **slot, char *why, size_t n)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(why, n, "\"%s\" must be a non-empty string", k);
		return -1;
	}
	tl_dset_set_str(slot, json_string_value(v));
	return 0;
}

static int get_uint(json_t *o, const char *k, uint64_t max, uint64_t *out, char *why, size_t n)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		snprintf(why, n, "\"%s\" must be an integer from 0 to %llu", k, (unsigned long long)max);
		return -1;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *k, bool *out, char *why, size_t n)
{
	json_t *v = json_object_get(o, k);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(why, n, "\"%s\" must be true or false", k);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* speeds: a limit of 4 TB/s is more than any link */
#define MAX_KBPS 4000000000ull

static int read_keys(struct tl_dset *d, json_t *o, char *why, size_t n)
{
	uint64_t pp = d->peer_port, rp = d->rpc_port;
	bool is_start = !d->is_start_paused;
	if (get_str(o, "download-dir", &d->download_dir, why, n) ||
	    get_str(o, "rpc-bind-address", &d->rpc_bind, why, n) ||
	    get_str(o, "bind-address-ipv4", &d->bind, why, n) ||
	    get_uint(o, "peer-port", 65535, &pp, why, n) ||
	    get_uint(o, "rpc-port", 65535, &rp, why, n) ||
	    get_uint(o, "speed-limit-down", MAX_KBPS, &d->down_kbps, why, n) ||
	    get_uint(o, "speed-limit-up", MAX_KBPS, &d->up_kbps, why, n) ||
	    get_bool(o, "speed-limit-down-enabled", &d->is_down_limited, why, n) ||
	    get_bool(o, "speed-limit-up-enabled", &d->is_up_limited, why, n) ||
	    get_bool(o, "dht-enabled", &d->is_dht, why, n) ||
	    get_bool(o, "start-added-torrents", &is_start, why, n))
		return -1;
	d->is_start_paused = !is_start;
	if (rp == 0) {
		snprintf(why, n, "\"rpc-port\" must be from 1 to 65535");
		return -1;
	}
	d->peer_port = (uint16_t)pp;
	d->rpc_port = (uint16_t)rp;
	return 0;
}

int tl_dset_load(struct tl_dset *d, const char *path, char *why, size_t n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = tl_malloc(TL_DSET_MAX_FILE + 1);
	size_t len = fread(buf, 1, TL_DSET_MAX_FILE + 1, f);
	int rc = -1;
	json_t *o = NULL;
	if (ferror(f)) {
		snprintf(why, n, "%s: cannot read it", path);
		goto out;
	}
	if (len > TL_DSET_MAX_FILE) {
		snprintf(why, n, "%s: larger than %u bytes", path, TL_DSET_MAX_FILE);
		goto out;
	}
	json_error_t err;
	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!o) {
		snprintf(why, n, "%s: line %d, column %d: %s", path, err.line, err.column, err.text);
		goto out;
	}
	if (!json_is_object(o)) {
		snprintf(why, n, "%s: expected a JSON object ({...})", path);
		goto out;
	}
	char kw[200];
	if (read_keys(d, o, kw, sizeof(kw)) != 0) {
		snprintf(why, n, "%s: %s", path, kw);
		goto out;
	}
	json_decref(d->doc);
	d->doc = o;
	o = NULL;
	rc = 0;
out:
	json_decref(o);
	free(buf);
	fclose(f);
	return rc;
}

void tl_dset_put(struct tl_dset *d, const char *key, struct json_t *v_take)
{
	if (!d->doc)
		d->doc = json_object();
	json_object_set_new(d->doc, key, v_take);
}

int tl_dset_save(const struct tl_dset *d, const char *path)
{
	json_t *o = d->doc ? json_incref(d->doc) : json_object();
	char *text = json_dumps(o, JSON_INDENT(4) | JSON_SORT_KEYS);
	json_decref(o);
	/* with the newline that ends a text file */
	size_t len = strlen(text);
	text[len] = '\n';
	int rc = tl_resume_write_atomic(path, (const uint8_t *)text, len + 1) == 0 ? 0 : -1;
	free(text);
	return rc;
}
