/*
 * cmd_seed.c: `trackless seed FILE.torrent [DIR]` serves existing data
 * (verified at start, or with --no-check piece by piece as peers read
 * it; never written); `trackless seed PATH` makes the
 * torrent of PATH first (written next to it as PATH.torrent unless
 * --torrent-out says otherwise) and prints its magnet link.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/transfer.h"
#include "create.h"
#include "err.h"
#include "magnet.h"
#include "mem.h"
#include "metainfo.h"

static void seed_usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless seed FILE.torrent [DIR] [options]\n"
	    "       trackless seed PATH [options]\n\n"
	    "Serve a torrent whose data is in DIR (default .), or make the torrent of\n"
	    "PATH (a file or directory), print its magnet link and serve it.\n\n"
	    "      --torrent-out FILE write the torrent made from PATH here\n"
	    "                         (-t URL: its trackers, one tier each)\n"
	    "      --no-check         serve FILE.torrent's data at once, without hashing it\n"
	    "                         first: every file must exist with its full size; each\n"
	    "                         piece is verified the first time a peer asks for it\n"
	    "                         (idle pieces in the background), and a piece that\n"
	    "                         fails is never sent (logged as damaged)\n"
	    TL_TRANSFER_COMMON_HELP);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Make the torrent of path; *dir_out gets the directory holding it. */
static struct tl_metainfo *make_torrent(const char *path, const char *out_path,
    const struct tl_transfer_opts *o, char **dir_out)
{
	struct tl_create_opts co = {
		.created_by = "trackless " PACKAGE_VERSION,
		.trackers = o->trackers,
		.ntrackers = o->ntrackers,
	};
	struct tl_create_result res;
	struct tl_create_err err;
	if (tl_create(path, &co, &res, &err) != 0) {
		fprintf(stderr, "trackless seed: %s\n", err.msg);
		return NULL;
	}
	struct tl_metainfo *mi = NULL;
	const char *why = NULL;
	if (tl_metainfo_parse(res.torrent, res.torrent_len, &mi, &why) != 0) {
		fprintf(stderr, "trackless seed: the torrent made of %s: %s\n", path, why);
		tl_create_result_clear(&res);
		return NULL;
	}
	if (out_path) {
		FILE *f = fopen(out_path, "wb");
		if (!f || fwrite(res.torrent, 1, res.torrent_len, f) != res.torrent_len ||
		    fclose(f) != 0) {
			fprintf(stderr, "trackless seed: %s: %s\n", out_path, strerror(errno));
			tl_create_result_clear(&res);
			tl_metainfo_free(mi);
			return NULL;
		}
	}
	tl_create_result_clear(&res);
	char *copy = tl_strdup(path);
	*dir_out = tl_strdup(dirname(copy));
	free(copy);
	return mi;
}

int tl_cmd_seed(int argc, char **argv)
{
	enum { O_TORRENT_OUT = 1000, O_NO_CHECK };
	static const struct option longopts[] = {
		{ "torrent-out", required_argument, NULL, O_TORRENT_OUT },
		{ "no-check", no_argument, NULL, O_NO_CHECK },
		{ "help", no_argument, NULL, 'h' },
		TL_TRANSFER_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tl_transfer_opts o;
	tl_transfer_opts_init(&o);
	o.is_read_only = true;
	o.is_seed_cmd = true;
	const char *torrent_out = NULL;
	char *dir = NULL;
	int c, rc = TL_EXIT_USAGE;
	while ((c = getopt_long(argc, argv, "t:hqv", longopts, NULL)) != -1) {
		int h = tl_transfer_option(c, optarg, &o);
		if (h == 1)
			continue;
		if (h < 0) {
			fprintf(stderr, "trackless seed: bad value for an option: %s\n", optarg);
			goto out;
		}
		if (c == O_TORRENT_OUT) {
			torrent_out = optarg;
		} else if (c == O_NO_CHECK) {
			o.is_no_check = true;
		} else if (c == 'h') {
			seed_usage(stdout);
			rc = TL_EXIT_OK;
			goto out;
		} else {
			seed_usage(stderr);
			goto out;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		seed_usage(stderr);
		goto out;
	}
	const char *arg = argv[optind];
	struct stat st;
	struct tl_metainfo *mi;
	if (ends_with(arg, ".torrent") && stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
		mi = tl_transfer_load(arg);
		dir = tl_strdup(optind + 1 < argc ? argv[optind + 1] : ".");
	} else {
		if (optind + 1 < argc) {
			seed_usage(stderr);
			goto out;
		}
		mi = make_torrent(arg, torrent_out, &o, &dir);
		o.is_no_check = false; /* making the torrent just hashed every piece */
	}
	if (!mi) {
		rc = TL_EXIT_FAIL;
		goto out;
	}
	o.dir = dir;
	rc = tl_transfer_run(&o, mi, NULL);
out:
	free(dir);
	tl_transfer_opts_clear(&o);
	return rc;
}
