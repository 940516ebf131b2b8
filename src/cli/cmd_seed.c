/*
 * cmd_seed.c: `trackless seed FILE.torrent [DIR]` serves existing data
 * (verified at start, or with --no-check piece by piece as peers read
 * it; never written); `trackless seed PATH` makes the
 * torrent of PATH first (written next to it as PATH.torrent unless
 * --torrent-out says otherwise) and prints its magnet link. Several
 * inputs (PATHs, .torrent files, every .torrent of --torrent-dir) run in
 * one session: one process, one port, one DHT node.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/transfer.h"
#include "codec/create.h"
#include "base/err.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "codec/metainfo.h"

static void seed_usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless seed FILE.torrent [DIR] [options]\n"
	    "       trackless seed PATH|FILE.torrent... [--data DIR] [--torrent-dir TDIR] [options]\n\n"
	    "Serve a torrent whose data is in DIR (default .), or make the torrent of\n"
	    "PATH (a file or directory), print its magnet link and serve it. Several\n"
	    "inputs share one process, one port and one DHT node.\n\n"
	    "      --data DIR         the data of every FILE.torrent is in DIR (default .)\n"
	    "      --torrent-dir TDIR serve every *.torrent file in TDIR too\n"
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

/* Every *.torrent in dir, sorted, appended to names (count in *n). */
static bool list_torrents(const char *dir, char ***names, size_t *n)
{
	struct dirent **ents = NULL;
	int k = scandir(dir, &ents, NULL, alphasort);
	if (k < 0) {
		fprintf(stderr, "trackless seed: %s: %s\n", dir, strerror(errno));
		return false;
	}
	for (int i = 0; i < k; i++) {
		if (ents[i]->d_name[0] != '.' && ends_with(ents[i]->d_name, ".torrent")) {
			size_t len = strlen(dir) + strlen(ents[i]->d_name) + 2;
			char *path = tl_malloc(len);
			snprintf(path, len, "%s/%s", dir, ents[i]->d_name);
			*names = tl_reallocarray(*names, *n + 1, sizeof(**names));
			(*names)[(*n)++] = path;
		}
		free(ents[i]);
	}
	free(ents);
	return true;
}

static bool is_torrent_file(const char *path)
{
	struct stat st;
	return ends_with(path, ".torrent") && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int tl_cmd_seed(int argc, char **argv)
{
	enum { O_TORRENT_OUT = 1000, O_NO_CHECK, O_DATA, O_TORRENT_DIR };
	static const struct option longopts[] = {
		{ "torrent-out", required_argument, NULL, O_TORRENT_OUT },
		{ "no-check", no_argument, NULL, O_NO_CHECK },
		{ "data", required_argument, NULL, O_DATA },
		{ "torrent-dir", required_argument, NULL, O_TORRENT_DIR },
		{ "help", no_argument, NULL, 'h' },
		TL_TRANSFER_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tl_transfer_opts o;
	tl_transfer_opts_init(&o);
	o.is_read_only = true;
	o.is_seed_cmd = true;
	const char *torrent_out = NULL, *data = NULL, *torrent_dir = NULL;
	char **inputs = NULL;   /* what to seed: .torrent files and PATHs */
	size_t ninputs = 0;
	char **dirs = NULL;     /* the directory of each made torrent (owned) */
	struct tl_transfer_item *items = NULL;
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
		} else if (c == O_DATA) {
			data = optarg;
		} else if (c == O_TORRENT_DIR) {
			torrent_dir = optarg;
		} else if (c == 'h') {
			seed_usage(stdout);
			rc = TL_EXIT_OK;
			goto out;
		} else {
			seed_usage(stderr);
			goto out;
		}
	}
	int nargs = argc - optind;
	/* FILE.torrent DIR: the data directory of that one torrent */
	if (nargs == 2 && !data && is_torrent_file(argv[optind]) && !is_torrent_file(argv[optind + 1])) {
		data = argv[optind + 1];
		nargs = 1;
	}
	for (int i = 0; i < nargs; i++) {
		inputs = tl_reallocarray(inputs, ninputs + 1, sizeof(*inputs));
		inputs[ninputs++] = tl_strdup(argv[optind + i]);
	}
	if (torrent_dir && !list_torrents(torrent_dir, &inputs, &ninputs)) {
		rc = TL_EXIT_FAIL;
		goto out;
	}
	if (ninputs == 0 || (torrent_out && ninputs != 1)) {
		seed_usage(stderr);
		goto out;
	}
	items = tl_calloc(ninputs, sizeof(*items));
	dirs = tl_calloc(ninputs, sizeof(*dirs));
	for (size_t i = 0; i < ninputs; i++) {
		if (is_torrent_file(inputs[i])) {
			items[i].mi = tl_transfer_load(inputs[i]);
			items[i].dir = data ? data : ".";
			items[i].is_no_check = o.is_no_check;
		} else {
			/* making the torrent just hashed every piece: no --no-check */
			items[i].mi = make_torrent(inputs[i], torrent_out, &o, &dirs[i]);
			items[i].dir = dirs[i];
		}
		if (!items[i].mi) {
			rc = TL_EXIT_FAIL;
			goto out;
		}
	}
	rc = tl_transfer_run(&o, items, ninputs);
out:
	for (size_t i = 0; i < ninputs; i++) {
		if (items)
			tl_metainfo_free(items[i].mi);
		if (dirs)
			free(dirs[i]);
		free(inputs[i]);
	}
	free(items);
	free(dirs);
	free(inputs);
	tl_transfer_opts_clear(&o);
	return rc;
}
