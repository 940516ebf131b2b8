/*
 * cli.h: the subcommands of the `trackless` front end. Each takes the
 * arguments after its name (argv[0] is the subcommand name) and returns a
 * process exit code (TL_EXIT_*).
 */
#ifndef TL_CLI_H
#define TL_CLI_H

#include <stdbool.h>

struct tl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/* trackless info FILE|MAGNET [--json] (cmd_info.c) */
int tl_cmd_info(int argc, char **argv);
/* cmd_create.c: make a .torrent (trackless create --help). */
int tl_cmd_create(int argc, char **argv);
/* `trackless dht ...` (cmd_dht.c, cmd_dht_ping.c, cmd_dht_node.c). */
int tl_cmd_dht(int argc, char **argv);
/* cmd_dht_item.c: `trackless dht keygen|put|get` (BEP 44 items), reached
 * through tl_cmd_dht; argv[1] is the subcommand. */
bool tl_dht_item_is_cmd(const char *name);
int tl_cmd_dht_item(int argc, char **argv);
/* cmd_tracker.c: `trackless tracker announce|scrape URL INFOHASH`. */
int tl_cmd_tracker(int argc, char **argv);

/* trackless get FILE.torrent (cmd_get.c) */
int tl_cmd_get(int argc, char **argv);
/* trackless seed FILE.torrent|PATH (cmd_seed.c) */
int tl_cmd_seed(int argc, char **argv);

#endif
