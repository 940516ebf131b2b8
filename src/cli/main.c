/*
 * main.c: `trackless` command dispatcher. Each subcommand lives in its own
 * cmd_*.c file and is listed in the table below.
 */


#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "base/err.h"
#include "daemon/daemon.h"

static const struct tl_cmd commands[] = {
	{ "get", tl_cmd_get, "download a torrent, verify it, seed on" },
	{ "seed", tl_cmd_seed, "serve a torrent (making it first from a path)" },
	{ "create", tl_cmd_create, "make a .torrent of a file or directory" },
	{ "info", tl_cmd_info, "show what a .torrent or magnet link holds" },
	{ "dht", tl_cmd_dht, "DHT diagnostics: ping, get-peers, announce, stats, node" },
	{ "daemon", tl_cmd_daemon, "run all torrents in one process, driven over the Transmission RPC" },
	{ "tracker", tl_cmd_tracker, "ask one tracker: announce or scrape (diagnostic)" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: trackless COMMAND [OPTIONS] [ARGS]\n\n"
		   "A BitTorrent client whose tracker is the Mainline DHT.\n\ncommands:\n");
	for (const struct tl_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'trackless COMMAND --help' for a command's options.\n"
		   "Exit codes: 0 success, 1 failure, 2 usage error or bad input.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return TL_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("trackless %s\n", PACKAGE_VERSION);
		return TL_EXIT_OK;
	}
	for (const struct tl_cmd *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "trackless: unknown command '%s' (see 'trackless --help')\n", argv[1]);
	return TL_EXIT_USAGE;
}
