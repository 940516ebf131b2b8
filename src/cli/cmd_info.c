/*
 * cmd_info.c: `trackless info FILE|MAGNET [--json]`: shows what a .torrent
 * or a magnet link holds, as text or as one JSON object whose schema other
 * tools rely on (doc/trackless.1).
 *
 * Exit codes: 0 shown, 1 the file could not be read, 2 usage or malformed
 * input. Nothing is written anywhere but stdout and stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bounds.h"
#include "cli/cli.h"
#include "cli/scrape.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/json.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "codec/metainfo.h"
#include "base/utf8.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: trackless info FILE|MAGNET [--json] [--scrape]\n\n"
		   "Show the contents of a .torrent file or a magnet link.\n\n"
		   "  --json   print one JSON object instead of text\n"
		   "  --scrape ask each tracker for seeders, leechers and downloads instead\n"
		   "  --help   show this help\n");
}

/* Reads a whole file of at most TL_MAX_TORRENT_FILE bytes. Returns 0, or
 * TL_EXIT_FAIL when it cannot be read, TL_EXIT_USAGE when it is too big
 * (bad input); *why_out is then set. */
static int read_capped(const char *path, uint8_t **p_out, size_t *len_out, const char **why_out)
{
	static _Thread_local char why[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "cannot open: %s", strerror(errno));
		*why_out = why;
		return TL_EXIT_FAIL;
	}
	struct stat st;
	int rc = TL_EXIT_FAIL;
	uint8_t *buf = NULL;
	size_t len = 0;
	if (fstat(fd, &st) != 0) {
		snprintf(why, sizeof(why), "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, sizeof(why), "is a directory");
		rc = TL_EXIT_USAGE;
		goto out;
	}
	if (st.st_size > (off_t)TL_MAX_TORRENT_FILE) {
		snprintf(why, sizeof(why), "larger than %u bytes", TL_MAX_TORRENT_FILE);
		rc = TL_EXIT_USAGE;
		goto out;
	}
	/* The size may change under us: read at most one byte past the cap. */
	size_t cap = (size_t)st.st_size + 1;
	buf = tl_malloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > TL_MAX_TORRENT_FILE) {
				snprintf(why, sizeof(why), "larger than %u bytes", TL_MAX_TORRENT_FILE);
				rc = TL_EXIT_USAGE;
				goto out;
			}
			cap = cap * 2 > TL_MAX_TORRENT_FILE + 1u ? TL_MAX_TORRENT_FILE + 1u : cap * 2;
			buf = tl_realloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, sizeof(why), "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	rc = 0;
out:
	close(fd);
	if (rc) {
		free(buf);
		*why_out = why;
		return rc;
	}
	*p_out = buf;
	*len_out = len;
	return 0;
}

/* "1.5 MiB" style, for people. */
static void human_size(uint64_t n, char *out, size_t outlen)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%" PRIu64 " B", n);
	else
		snprintf(out, outlen, "%.1f %s", v, units[u]);
}

/* Writes s to stdout with control characters (C0, DEL, C1) and bytes that
 * are not valid UTF-8 shown as \xNN, so a name inside a torrent cannot
 * drive the terminal. */
static void put_vis(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t seq = tl_utf8_seq_len(p + i, n - i);
		bool is_c1 = seq == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
		if (seq == 0 || is_c1 || p[i] < 0x20 || p[i] == 0x7f) {
			printf("\\x%02x", p[i]);
			i++;
		} else {
			fwrite(p + i, 1, seq, stdout);
			i += seq;
		}
	}
}

/* One "label value" line with the value made visible. */
static void put_line(const char *label, const char *value)
{
	fputs(label, stdout);
	put_vis(value);
	putchar('\n');
}

static void print_torrent_text(const struct tl_metainfo *mi, const char *magnet)
{
	char hex[41], hs[32];
	tl_hex(mi->infohash.b, 20, hex);
	put_line("name:        ", mi->name);
	printf("infohash:    %s\n", hex);
	human_size(mi->total_len, hs, sizeof(hs));
	printf("size:        %" PRIu64 " bytes (%s)\n", mi->total_len, hs);
	human_size(mi->piece_len, hs, sizeof(hs));
	printf("pieces:      %" PRIu32 " x %s (%" PRIu32 " bytes)\n", mi->npieces, hs,
	    mi->piece_len);
	printf("private:     %s\n", mi->is_private ? "yes" : "no");
	if (mi->is_hybrid)
		printf("hybrid:      yes (v1 and v2; v1 is used)\n");
	printf("files:       %zu\n", mi->nfiles);
	for (size_t i = 0; i < mi->nfiles; i++) {
		const struct tl_file *f = &mi->files[i];
		printf("  %15" PRIu64 "  ", f->length);
		put_vis(f->path);
		printf("%s%s%s\n", f->is_pad ? "  [pad]" : "", f->is_exec ? "  [exec]" : "",
		    f->is_hidden ? "  [hidden]" : "");
	}
	if (mi->ntiers) {
		printf("trackers:\n");
		for (size_t i = 0; i < mi->ntiers; i++)
			for (size_t j = 0; j < mi->tiers[i].nurls; j++) {
				printf("  tier %zu: ", i + 1);
				put_line("", mi->tiers[i].urls[j]);
			}
	}
	if (mi->nweb_seeds) {
		printf("web seeds:\n");
		for (size_t i = 0; i < mi->nweb_seeds; i++)
			put_line("  ", mi->web_seeds[i]);
	}
	if (mi->nnodes) {
		printf("nodes:\n");
		for (size_t i = 0; i < mi->nnodes; i++) {
			fputs("  ", stdout);
			put_vis(mi->nodes[i].host);
			printf(":%u\n", mi->nodes[i].port);
		}
	}
	if (mi->comment)
		put_line("comment:     ", mi->comment);
	if (mi->created_by)
		put_line("created by:  ", mi->created_by);
	if (mi->creation_date) {
		time_t t = (time_t)mi->creation_date;
		struct tm tm;
		char date[40];
		if (gmtime_r(&t, &tm) && strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm))
			printf("created on:  %s\n", date);
		else
			printf("created on:  %" PRId64 "\n", mi->creation_date);
	}
	printf("magnet:      %s\n", magnet);
}

static void json_strv(struct tl_json *j, const char *key, char *const *v, size_t n)
{
	tl_json_key(j, key);
	tl_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		tl_json_string(j, v[i]);
	tl_json_end_array(j);
}

static void print_torrent_json(const struct tl_metainfo *mi, const char *magnet)
{
	struct tl_json j;
	char hex[41];
	tl_hex(mi->infohash.b, 20, hex);
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "type");
	tl_json_string(&j, "torrent");
	tl_json_key(&j, "name");
	tl_json_string(&j, mi->name);
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "size");
	tl_json_int(&j, (int64_t)mi->total_len);
	tl_json_key(&j, "piece_size");
	tl_json_int(&j, mi->piece_len);
	tl_json_key(&j, "piece_count");
	tl_json_int(&j, mi->npieces);
	tl_json_key(&j, "private");
	tl_json_bool(&j, mi->is_private);
	tl_json_key(&j, "hybrid");
	tl_json_bool(&j, mi->is_hybrid);
	tl_json_key(&j, "files");
	tl_json_begin_array(&j);
	for (size_t i = 0; i < mi->nfiles; i++) {
		tl_json_begin_object(&j);
		tl_json_key(&j, "path");
		tl_json_string(&j, mi->files[i].path);
		tl_json_key(&j, "size");
		tl_json_int(&j, (int64_t)mi->files[i].length);
		tl_json_key(&j, "pad");
		tl_json_bool(&j, mi->files[i].is_pad);
		tl_json_end_object(&j);
	}
	tl_json_end_array(&j);
	tl_json_key(&j, "trackers");
	tl_json_begin_array(&j);
	for (size_t i = 0; i < mi->ntiers; i++) {
		tl_json_begin_array(&j);
		for (size_t k = 0; k < mi->tiers[i].nurls; k++)
			tl_json_string(&j, mi->tiers[i].urls[k]);
		tl_json_end_array(&j);
	}
	tl_json_end_array(&j);
	json_strv(&j, "web_seeds", mi->web_seeds, mi->nweb_seeds);
	tl_json_key(&j, "nodes");
	tl_json_begin_array(&j);
	for (size_t i = 0; i < mi->nnodes; i++) {
		char node[300];
		snprintf(node, sizeof(node), "%s:%u", mi->nodes[i].host, mi->nodes[i].port);
		tl_json_string(&j, node);
	}
	tl_json_end_array(&j);
	tl_json_key(&j, "comment");
	tl_json_string(&j, mi->comment);
	tl_json_key(&j, "created_by");
	tl_json_string(&j, mi->created_by);
	tl_json_key(&j, "creation_date");
	if (mi->creation_date)
		tl_json_int(&j, mi->creation_date);
	else
		tl_json_null(&j);
	tl_json_key(&j, "not_canonical");
	tl_json_string(&j, mi->not_canonical);
	tl_json_key(&j, "magnet");
	tl_json_string(&j, magnet);
	tl_json_end_object(&j);
	puts(j.out.p);
	tl_json_clear(&j);
}

static void print_magnet_text(const struct tl_magnet *m, const char *link)
{
	char hex[41];
	tl_hex(m->infohash.b, 20, hex);
	printf("infohash:    %s\n", hex);
	if (m->name)
		put_line("name:        ", m->name);
	for (size_t i = 0; i < m->ntrackers; i++)
		put_line("tracker:     ", m->trackers[i]);
	for (size_t i = 0; i < m->npeers; i++)
		printf("peer:        %s\n", m->peers[i]);
	for (size_t i = 0; i < m->nweb_seeds; i++)
		put_line("web seed:    ", m->web_seeds[i]);
	if (m->select_only)
		printf("select only: %s\n", m->select_only);
	printf("magnet:      %s\n", link);
}

static void print_magnet_json(const struct tl_magnet *m, const char *link)
{
	struct tl_json j;
	char hex[41];
	tl_hex(m->infohash.b, 20, hex);
	tl_json_init(&j);
	tl_json_begin_object(&j);
	tl_json_key(&j, "type");
	tl_json_string(&j, "magnet");
	tl_json_key(&j, "infohash");
	tl_json_string(&j, hex);
	tl_json_key(&j, "name");
	tl_json_string(&j, m->name);
	json_strv(&j, "trackers", m->trackers, m->ntrackers);
	json_strv(&j, "peers", m->peers, m->npeers);
	json_strv(&j, "web_seeds", m->web_seeds, m->nweb_seeds);
	tl_json_key(&j, "select_only");
	tl_json_string(&j, m->select_only);
	tl_json_key(&j, "magnet");
	tl_json_string(&j, link);
	tl_json_end_object(&j);
	puts(j.out.p);
	tl_json_clear(&j);
}

/* trackless info --scrape: the trackers of the torrent or magnet link. */
static int scrape(const struct tl_infohash *ih, const struct tl_tracker_tier *tiers, size_t ntiers,
    char *const *extra, size_t nextra, bool want_json)
{
	struct tl_strk_urls urls = { 0 };
	tl_strk_urls_add_tiers(&urls, tiers, ntiers);
	for (size_t i = 0; i < nextra; i++)
		tl_strk_urls_add(&urls, extra[i]);
	int rc = tl_scrape_print(ih, &urls, want_json);
	tl_strk_urls_clear(&urls);
	return rc;
}

static int show_magnet(const char *arg, bool want_json, bool want_scrape)
{
	struct tl_magnet *m;
	const char *why;
	if (tl_magnet_parse(arg, strlen(arg), &m, &why)) {
		/* the reason already starts with "magnet:" */
		fprintf(stderr, "trackless info: %s\n", why);
		return TL_EXIT_USAGE;
	}
	if (want_scrape) {
		int rc = scrape(&m->infohash, NULL, 0, m->trackers, m->ntrackers, want_json);
		tl_magnet_free(m);
		return rc;
	}
	char *link = tl_magnet_format(m);
	if (want_json)
		print_magnet_json(m, link);
	else
		print_magnet_text(m, link);
	free(link);
	tl_magnet_free(m);
	return TL_EXIT_OK;
}

static int show_torrent(const char *path, bool want_json, bool want_scrape)
{
	uint8_t *buf;
	size_t len;
	const char *why;
	int rc = read_capped(path, &buf, &len, &why);
	if (rc) {
		fprintf(stderr, "trackless info: %s: %s\n", path, why);
		return rc;
	}
	struct tl_metainfo *mi;
	rc = tl_metainfo_parse(buf, len, &mi, &why);
	free(buf);
	if (rc) {
		fprintf(stderr, "trackless info: %s: %s\n", path, why);
		return TL_EXIT_USAGE;
	}
	if (want_scrape) {
		rc = scrape(&mi->infohash, mi->tiers, mi->ntiers, NULL, 0, want_json);
		tl_metainfo_free(mi);
		return rc;
	}
	/* accepted, as other clients do; said once so that a file that will
	 * not round-trip through a strict tool is no surprise */
	if (mi->not_canonical && !want_json)
		fprintf(stderr, "trackless info: %s: warning: not canonical bencode: %s\n", path,
		    mi->not_canonical);
	char *link = tl_magnet_from_metainfo(mi);
	if (want_json)
		print_torrent_json(mi, link);
	else
		print_torrent_text(mi, link);
	free(link);
	tl_metainfo_free(mi);
	return TL_EXIT_OK;
}

int tl_cmd_info(int argc, char **argv)
{
	bool want_json = false, want_scrape = false;
	const char *target = NULL;
	bool no_more_opts = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!no_more_opts && strcmp(a, "--") == 0) {
			no_more_opts = true;
		} else if (!no_more_opts && strcmp(a, "--json") == 0) {
			want_json = true;
		} else if (!no_more_opts && strcmp(a, "--scrape") == 0) {
			want_scrape = true;
		} else if (!no_more_opts && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			usage(stdout);
			return TL_EXIT_OK;
		} else if (!no_more_opts && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "trackless info: unknown option '%s' (see 'trackless info --help')\n",
			    a);
			return TL_EXIT_USAGE;
		} else if (target) {
			fprintf(stderr, "trackless info: one FILE or MAGNET at a time\n");
			return TL_EXIT_USAGE;
		} else {
			target = a;
		}
	}
	if (!target) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (strncasecmp(target, "magnet:", 7) == 0)
		return show_magnet(target, want_json, want_scrape);
	return show_torrent(target, want_json, want_scrape);
}
