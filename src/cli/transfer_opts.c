/*
 * transfer_opts.c: the options `trackless get` and `trackless seed`
 * share, and loading a .torrent file for them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/transfer.h"
#include "base/bounds.h"
#include "base/log.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "engine/session_dht.h"

#define MAX_PEER_ARGS 256

static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || !isfinite(v))
		return -1;
	double mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024.0 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024.0 * 1024 * 1024, end++;
	if (*end != '\0' || v * mul > 1e15)
		return -1;
	*out = (uint64_t)(v * mul);
	return 0;
}

/* Shared options; returns 1 when handled, 0 when not ours, -1 on a bad value. */
int tl_transfer_option(int c, const char *arg, struct tl_transfer_opts *o)
{
	char *end;
	unsigned long v;
	switch (c) {
	case TL_OPT_PORT:
		v = strtoul(arg, &end, 10);
		if (*end || v > 65535)
			return -1;
		o->port = (uint16_t)v;
		o->is_port_given = true;
		return 1;
	case TL_OPT_BIND:
		o->bind = arg;
		return 1;
	case TL_OPT_STATE_DIR:
		o->state_dir = arg;
		return 1;
	case TL_OPT_MAX_PEERS:
		v = strtoul(arg, &end, 10);
		if (*end || v == 0 || v > 10000)
			return -1;
		o->max_peers = (unsigned)v;
		return 1;
	case TL_OPT_MAX_ACTIVE:
		v = strtoul(arg, &end, 10);
		if (*end || v == 0 || v > 1000000)
			return -1;
		o->max_active = (unsigned)v;
		return 1;
	case TL_OPT_UP_LIMIT:
		return parse_rate(arg, &o->up_limit) == 0 ? 1 : -1;
	case TL_OPT_DOWN_LIMIT:
		return parse_rate(arg, &o->down_limit) == 0 ? 1 : -1;
	case TL_OPT_BOOTSTRAP:
		if (o->nbootstrap == MAX_PEER_ARGS)
			return -1;
		o->bootstrap[o->nbootstrap++] = arg;
		return 1;
	case TL_OPT_NO_BOOTSTRAP:
		o->is_no_bootstrap = true;
		return 1;
	case TL_OPT_DHT_SAME_SUBNET:
		o->is_dht_same_subnet = true;
		return 1;
	case TL_OPT_NO_DHT:
		o->is_no_dht = true;
		return 1;
	case TL_OPT_NO_DIRECT_IO:
		o->is_buffered_io = true;
		return 1;
	case TL_OPT_DHT_PORT:
		v = strtoul(arg, &end, 10);
		if (*end || v > 65535)
			return -1;
		o->dht_port = (uint16_t)v;
		return 1;
	case TL_OPT_DHT_ANNOUNCE_INTERVAL:
		v = strtoul(arg, &end, 10);
		if (*end || *arg == '\0' || v < TL_SDHT_ANNOUNCE_MIN_MS / 1000 || v > 24 * 3600)
			return -1;
		o->dht_announce_ms = (uint32_t)v * 1000;
		return 1;
	case 't':
		if (o->ntrackers == MAX_PEER_ARGS)
			return -1;
		o->trackers[o->ntrackers++] = arg;
		return 1;
	case TL_OPT_NO_TRACKERS:
		o->is_no_trackers = true;
		return 1;
	case TL_OPT_TRACKER_CA:
		o->tracker_ca = arg;
		return 1;
	case TL_OPT_PEER:
		if (o->npeers == MAX_PEER_ARGS)
			return -1;
		o->peers[o->npeers++] = arg;
		return 1;
	case 'q':
		o->is_quiet = true;
		tl_log_set_level(TL_LOG_ERROR);
		return 1;
	case TL_OPT_JSON:
		o->is_json = true;
		return 1;
	case 'v':
		tl_log_set_level(TL_LOG_INFO);
		return 1;
	case TL_OPT_LOG_LEVEL: {
		int l = tl_log_parse_level(arg);
		if (l < 0)
			return -1;
		tl_log_set_level((enum tl_log_level)l);
		return 1;
	}
	default:
		return 0;
	}
}

void tl_transfer_opts_init(struct tl_transfer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->peers = tl_calloc(MAX_PEER_ARGS, sizeof(*o->peers));
	o->bootstrap = tl_calloc(MAX_PEER_ARGS, sizeof(*o->bootstrap));
	o->trackers = tl_calloc(MAX_PEER_ARGS, sizeof(*o->trackers));
}

void tl_transfer_opts_clear(struct tl_transfer_opts *o)
{
	free(o->peers);
	free(o->bootstrap);
	free(o->trackers);
}

struct tl_metainfo *tl_transfer_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "trackless: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	uint8_t *buf = tl_malloc(TL_MAX_TORRENT_FILE + 1);
	size_t n = fread(buf, 1, TL_MAX_TORRENT_FILE + 1, f);
	bool is_err = ferror(f) != 0;
	fclose(f);
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	if (is_err)
		fprintf(stderr, "trackless: %s: read error\n", path);
	else if (n > TL_MAX_TORRENT_FILE)
		fprintf(stderr, "trackless: %s: larger than any torrent we accept\n", path);
	else if (tl_metainfo_parse(buf, n, &mi, &why) != 0)
		fprintf(stderr, "trackless: %s: %s\n", path, why);
	else if (mi->not_canonical)
		fprintf(stderr, "trackless: %s: warning: not canonical bencode: %s\n", path,
		    mi->not_canonical);
	free(buf);
	return mi;
}
