/*
 * transfer.h: what `trackless get` and `trackless seed` share: their
 * options, loading a .torrent, and running one torrent in a session until
 * it is done or interrupted. Front-end code (L5).
 */
#ifndef TL_CLI_TRANSFER_H
#define TL_CLI_TRANSFER_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_magnet;
struct tl_metainfo;

struct tl_transfer_opts {
	const char *dir;
	const char **peers; /* --peer values (borrowed from argv) */
	size_t npeers;
	const char *bind;
	uint16_t port;
	bool is_port_given; /* --port, even 0 (any free port, not the saved one) */
	const char *state_dir;
	unsigned max_peers;
	unsigned max_active; /* --max-active: torrents downloading (and seeding) at once; 0: all */
	uint64_t up_limit, down_limit;
	double seed_ratio;
	uint64_t seed_time;
	const char *only, *skip;
	bool is_no_seed, is_sequential, is_quiet, is_json;
	bool is_read_only; /* seed: never write to the data */
	bool is_buffered_io; /* --no-direct-io: every write through the page cache */
	bool is_seed_cmd;  /* exit status does not depend on completion */
	bool is_no_check;  /* seed --no-check: serve at once, verify pieces as read */
	/* DHT */
	bool is_no_dht;
	uint16_t dht_port;
	uint32_t dht_announce_ms; /* --dht-announce-interval; 0: the default */
	const char **bootstrap; /* --bootstrap values (borrowed from argv) */
	size_t nbootstrap;
	bool is_no_bootstrap;   /* never the built-in routers */
	bool is_dht_same_subnet; /* no one-node-per-/24 (/64) rule */
	/* trackers */
	bool is_no_trackers;
	const char **trackers;  /* -t values (borrowed from argv), each a tier of its own */
	size_t ntrackers;
	const char *tracker_ca; /* extra trusted CAs for HTTPS trackers */
};

enum {
	TL_OPT_PORT = 2000,
	TL_OPT_BIND,
	TL_OPT_STATE_DIR,
	TL_OPT_MAX_PEERS,
	TL_OPT_MAX_ACTIVE,
	TL_OPT_UP_LIMIT,
	TL_OPT_DOWN_LIMIT,
	TL_OPT_PEER,
	TL_OPT_JSON,
	TL_OPT_LOG_LEVEL,
	TL_OPT_BOOTSTRAP,
	TL_OPT_NO_DHT,
	TL_OPT_DHT_PORT,
	TL_OPT_NO_TRACKERS,
	TL_OPT_TRACKER_CA,
	TL_OPT_NO_DIRECT_IO,
	TL_OPT_DHT_ANNOUNCE_INTERVAL,
	TL_OPT_NO_BOOTSTRAP,
	TL_OPT_DHT_SAME_SUBNET,
};

#define TL_TRANSFER_LONGOPTS \
	{ "port", required_argument, NULL, TL_OPT_PORT }, \
	{ "bind", required_argument, NULL, TL_OPT_BIND }, \
	{ "state-dir", required_argument, NULL, TL_OPT_STATE_DIR }, \
	{ "max-peers", required_argument, NULL, TL_OPT_MAX_PEERS }, \
	{ "max-active", required_argument, NULL, TL_OPT_MAX_ACTIVE }, \
	{ "upload-limit", required_argument, NULL, TL_OPT_UP_LIMIT }, \
	{ "download-limit", required_argument, NULL, TL_OPT_DOWN_LIMIT }, \
	{ "peer", required_argument, NULL, TL_OPT_PEER }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "log-level", required_argument, NULL, TL_OPT_LOG_LEVEL }, \
	{ "json", no_argument, NULL, TL_OPT_JSON }, \
	{ "bootstrap", required_argument, NULL, TL_OPT_BOOTSTRAP }, \
	{ "no-bootstrap", no_argument, NULL, TL_OPT_NO_BOOTSTRAP }, \
	{ "dht-same-subnet", no_argument, NULL, TL_OPT_DHT_SAME_SUBNET }, \
	{ "no-dht", no_argument, NULL, TL_OPT_NO_DHT }, \
	{ "dht-port", required_argument, NULL, TL_OPT_DHT_PORT }, \
	{ "dht-announce-interval", required_argument, NULL, TL_OPT_DHT_ANNOUNCE_INTERVAL }, \
	{ "tracker", required_argument, NULL, 't' }, \
	{ "no-trackers", no_argument, NULL, TL_OPT_NO_TRACKERS }, \
	{ "tracker-ca", required_argument, NULL, TL_OPT_TRACKER_CA }, \
	{ "no-direct-io", no_argument, NULL, TL_OPT_NO_DIRECT_IO }

#define TL_TRANSFER_COMMON_HELP \
	"      --peer HOST:PORT   connect to this peer (repeatable)\n" \
	"      --port PORT        listen on PORT; 0: any free port (default: the port of\n" \
	"                         the last run with this state directory, else any)\n" \
	"      --bootstrap H:P    DHT entry node (repeatable; replaces the built-in routers)\n" \
	"      --no-bootstrap     never contact the built-in routers (a private or test DHT:\n" \
	"                         only the saved nodes, --bootstrap and nodes that reach us)\n" \
	"      --dht-port PORT    DHT UDP port (default: the same number as --port)\n" \
	"      --dht-announce-interval SEC  look up and announce again every SEC\n" \
	"                         seconds (default 900; 5 at least; short ones for tests)\n" \
	"      --dht-same-subnet  let DHT nodes of one /24 (IPv6 /64) fill the routing table\n" \
	"                         and lookups (a DHT inside one LAN; on with a loopback --bind)\n" \
	"      --no-dht           no DHT: peers only from trackers, --peer and incoming connections\n" \
	"  -t, --tracker URL      announce to this tracker too (repeatable; http, https, udp)\n" \
	"      --no-trackers      never contact a tracker (the torrent's or the magnet link's)\n" \
	"      --tracker-ca FILE  PEM file of extra CAs trusted for https trackers\n" \
	"      --bind ADDR        listen on and connect from ADDR\n" \
	"      --state-dir DIR    resume files, DHT nodes, fetched metadata (default $XDG_STATE_HOME/trackless)\n" \
	"      --max-peers N      connections at most (default 50 per torrent, 200 in all;\n" \
	"                         idle ones give their slot to newcomers)\n" \
	"      --max-active N     at most N torrents download at once, and N seed; the\n" \
	"                         others wait in order, state \"queued\" (default: all run)\n" \
	"      --upload-limit R   bytes/s (K, M, G suffixes); default unlimited\n" \
	"      --download-limit R bytes/s\n" \
	"      --no-direct-io     write pieces through the page cache (default: pieces of\n" \
	"                         256 KiB or more go straight to the disk, O_DIRECT)\n" \
	"  -q, --quiet            only errors\n" \
	"  -v, --verbose          log connections and pieces\n" \
	"      --log-level L      error|warn|info|debug\n" \
	"      --json             one JSON status line per second on stdout\n"

void tl_transfer_opts_init(struct tl_transfer_opts *o);
void tl_transfer_opts_clear(struct tl_transfer_opts *o);
/* A shared option from getopt_long: 1 handled, 0 not shared, -1 bad value. */
int tl_transfer_option(int c, const char *arg, struct tl_transfer_opts *o);
/* Read and parse a .torrent (errors printed); NULL on failure. */
struct tl_metainfo *tl_transfer_load(const char *path);
/* One input of a transfer: a torrent, or with mi NULL a magnet link whose
 * metadata is loaded from the state directory or fetched from peers. */
struct tl_transfer_item {
	struct tl_metainfo *mi;      /* taken by tl_transfer_run (NULL after) */
	const struct tl_magnet *mg;  /* borrowed; used when mi is NULL */
	const char *dir;             /* its data directory (borrowed) */
	bool is_no_check;            /* seed --no-check for this one */
};
/* Run items[0..n) in one session until each is complete (get --no-seed),
 * stopped or failed; returns the exit code: get 0 only when every input
 * completed, seed 0 when none failed. */
int tl_transfer_run(const struct tl_transfer_opts *o, struct tl_transfer_item *items, size_t n);

#endif
