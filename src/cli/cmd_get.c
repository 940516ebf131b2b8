/*
 * cmd_get.c: `trackless get`: its options; the download runs in the
 * transfer runner (transfer.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/transfer.h"
#include "base/err.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "codec/metainfo.h"

static void get_usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless get FILE.torrent|MAGNET... [-o DIR] [--peer HOST:PORT]... [options]\n\n"
	    "Download torrents, verify every piece, then seed on. A magnet link's\n"
	    "metadata is fetched from peers found over the DHT (and x.pe) first.\n"
	    "Several inputs share one process, one port and one DHT node.\n\n"
	    "  -o, --output DIR       download into DIR (default .)\n"
	    "      --seed-ratio R     stop seeding once uploaded/size reaches R\n"
	    "      --seed-time SEC    stop seeding after SEC seconds\n"
	    "      --no-seed          exit as soon as the download is complete\n"
	    "      --only LIST        only these files (indexes, A-B ranges, globs; comma-separated)\n"
	    "      --skip LIST        all files but these\n"
	    "      --sequential       download pieces in order\n"
	    TL_TRANSFER_COMMON_HELP
	    "\nExit status: 0 only when the data of every input is complete and verified.\n");
}

int tl_cmd_get(int argc, char **argv)
{
	enum { O_SEED_RATIO = 1000, O_SEED_TIME, O_NO_SEED, O_ONLY, O_SKIP, O_SEQ };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed-ratio", required_argument, NULL, O_SEED_RATIO },
		{ "seed-time", required_argument, NULL, O_SEED_TIME },
		{ "no-seed", no_argument, NULL, O_NO_SEED },
		{ "only", required_argument, NULL, O_ONLY },
		{ "skip", required_argument, NULL, O_SKIP },
		{ "sequential", no_argument, NULL, O_SEQ },
		{ "help", no_argument, NULL, 'h' },
		TL_TRANSFER_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tl_transfer_opts o;
	tl_transfer_opts_init(&o);
	o.dir = ".";
	struct tl_transfer_item *items = NULL;
	struct tl_magnet **mgs = NULL;
	int c, rc = TL_EXIT_USAGE;
	char *end;
	while ((c = getopt_long(argc, argv, "o:t:hqv", longopts, NULL)) != -1) {
		int h = tl_transfer_option(c, optarg, &o);
		if (h == 1)
			continue;
		if (h < 0) {
			fprintf(stderr, "trackless get: bad value for an option: %s\n", optarg);
			goto out;
		}
		switch (c) {
		case 'o':
			o.dir = optarg;
			break;
		case O_SEED_RATIO:
			o.seed_ratio = strtod(optarg, &end);
			if (*end || !(o.seed_ratio >= 0)) {
				fprintf(stderr, "trackless get: bad --seed-ratio\n");
				goto out;
			}
			break;
		case O_SEED_TIME:
			o.seed_time = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-') {
				fprintf(stderr, "trackless get: bad --seed-time\n");
				goto out;
			}
			break;
		case O_NO_SEED:
			o.is_no_seed = true;
			break;
		case O_ONLY:
			o.only = optarg;
			break;
		case O_SKIP:
			o.skip = optarg;
			break;
		case O_SEQ:
			o.is_sequential = true;
			break;
		case 'h':
			get_usage(stdout);
			rc = TL_EXIT_OK;
			goto out;
		default:
			get_usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		get_usage(stderr);
		goto out;
	}
	size_t n = (size_t)(argc - optind);
	items = tl_calloc(n, sizeof(*items));
	mgs = tl_calloc(n, sizeof(*mgs));
	for (size_t i = 0; i < n; i++) {
		const char *arg = argv[optind + (int)i];
		items[i].dir = o.dir;
		if (strncmp(arg, "magnet:", 7) == 0) {
			const char *why = NULL;
			if (tl_magnet_parse(arg, strlen(arg), &mgs[i], &why) != 0) {
				fprintf(stderr, "trackless get: %s\n", why);
				goto out;
			}
			items[i].mg = mgs[i];
		} else if (!(items[i].mi = tl_transfer_load(arg))) {
			goto out;
		}
	}
	rc = tl_transfer_run(&o, items, n);
out:
	for (size_t i = 0; items && i < (size_t)(argc - optind); i++) {
		tl_metainfo_free(items[i].mi);
		tl_magnet_free(mgs[i]);
	}
	free(items);
	free(mgs);
	tl_transfer_opts_clear(&o);
	return rc;
}
