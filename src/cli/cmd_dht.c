/*
 * cmd_dht.c: `trackless dht`, diagnostics of the Mainline DHT (BEP 5/32):
 *   ping HOST:PORT              one KRPC ping, prints the node id and RTT
 *   get-peers INFOHASH          an iterative lookup, prints peers
 *   announce INFOHASH PORT      a lookup, then announce_peer to the closest
 *   stats                       runs a node for --duration s, prints counters
 *   node                        runs a node until SIGINT/SIGTERM
 * This file parses the options and dispatches: ping is in cmd_dht_ping.c,
 * the commands that run a node in cmd_dht_node.c, the BEP 44/33/51 ones
 * (keygen, put, get, scrape, sample) in cmd_dht_item.c. Exit codes: 0
 * something was found or answered, 1 nothing within --timeout (or a
 * run-time failure), 2 usage. Main thread only.
 */
#include "cli/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_dht_int.h"
#include "dht/dht_event.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/log.h"

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless dht ping HOST:PORT [options]\n"
	    "       trackless dht get-peers INFOHASH [options]\n"
	    "       trackless dht announce INFOHASH PORT [options]\n"
	    "       trackless dht stats [--duration SEC] [options]\n"
	    "       trackless dht node [options]\n"
	    "       trackless dht keygen|put|get|scrape|sample ... (BEP 44/33/51; put --help)\n"
	    "options:\n"
	    "  --bind ADDR          local IPv4 or IPv6 address (default: both families, any)\n"
	    "  --port PORT          local UDP port (default: chosen by the system)\n"
	    "  --bootstrap HOST:PORT  contact this node first (repeatable); replaces the\n"
	    "                       built-in routers\n"
	    "  --no-bootstrap       never contact the built-in routers (the first node of a\n"
	    "                       private or test DHT; saved nodes and --bootstrap still used)\n"
	    "  --dht-same-subnet    let nodes of one /24 (IPv6 /64) fill the routing table and\n"
	    "                       lookups (a DHT inside one LAN; on with a loopback --bind)\n"
	    "  --state-dir DIR      load and save the node state in DIR/" TL_CMD_DHT_STATE_FILE "\n"
	    "  --timeout SEC        give up after SEC seconds (default 5 for ping, 30 otherwise)\n"
	    "  --duration SEC       how long `stats` runs (default 60)\n"
	    "  --max-infohashes N   how many infohashes the node stores (default 10000)\n"
	    "  --json               machine-readable output\n"
	    "  -v, --verbose        log what the DHT does on stderr\n"
	    "INFOHASH is 40 hex digits. Exit: 0 found/answered (announce: taken by the\n"
	    "closest nodes of either family), 1 nothing before the timeout, 2 usage error.\n");
}

/* A positive number (seconds, or a count). */
static bool parse_seconds(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 86400 * 365)
		return false;
	*out = v;
	return true;
}

static bool parse_port(const char *s, uint16_t *out, bool allow_zero)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 65535 || (v == 0 && !allow_zero))
		return false;
	*out = (uint16_t)v;
	return true;
}

static int parse_args(int argc, char **argv, struct tl_cmd_dht_opts *o)
{
	static const struct option longopts[] = {
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "no-bootstrap", no_argument, NULL, 'N' },
		{ "dht-same-subnet", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "max-infohashes", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct {
		const char *name;
		enum tl_cmd_dht_kind cmd;
		int nargs;
	} cmds[] = {
		{ "ping", TL_CMD_DHT_PING, 1 },
		{ "get-peers", TL_CMD_DHT_GET_PEERS, 1 },
		{ "announce", TL_CMD_DHT_ANNOUNCE, 2 },
		{ "stats", TL_CMD_DHT_STATS, 0 },
		{ "node", TL_CMD_DHT_NODE, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->duration_s = 60;
	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 1;
	}
	int nargs = -1;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			o->cmd = cmds[i].cmd;
			nargs = cmds[i].nargs;
		}
	if (nargs < 0) {
		fprintf(stderr, "trackless dht: unknown subcommand '%s'\n", argv[1]);
		usage(stderr);
		return -1;
	}
	argc--;
	argv++;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 'b': o->bind = optarg; break;
		case 'p': ok = parse_port(optarg, &o->port, true); break;
		case 's': o->state_dir = optarg; break;
		case 'j': o->is_json = true; break;
		case 't': ok = parse_seconds(optarg, &o->timeout_s); break;
		case 'd': ok = parse_seconds(optarg, &o->duration_s); break;
		case 'v': o->is_verbose = true; break;
		case 'N': o->is_no_bootstrap = true; break;
		case 'S': o->is_same_subnet = true; break;
		case 'm': {
			double v;
			ok = parse_seconds(optarg, &v) && v >= 1 && v <= 1e8;
			o->max_infohashes = ok ? (size_t)v : 0;
			break;
		}
		case 'B':
			ok = o->n_bootstrap < TL_CMD_DHT_MAX_BOOTSTRAP;
			if (ok)
				o->bootstrap[o->n_bootstrap++] = optarg;
			break;
		case 'h': usage(stdout); return 1;
		default: ok = false; break;
		}
		if (!ok) {
			if (c != '?')
				fprintf(stderr, "trackless dht: bad option value '%s'\n", optarg ? optarg : "");
			usage(stderr);
			return -1;
		}
	}
	if (argc - optind != nargs) {
		fprintf(stderr, "trackless dht %s: expected %d argument(s)\n", argv[0], nargs);
		usage(stderr);
		return -1;
	}
	if (o->timeout_s == 0)
		o->timeout_s = o->cmd == TL_CMD_DHT_PING ? 5 : 30;
	if (o->cmd == TL_CMD_DHT_PING)
		o->target = argv[optind];
	if (o->cmd == TL_CMD_DHT_GET_PEERS || o->cmd == TL_CMD_DHT_ANNOUNCE) {
		const char *h = argv[optind];
		if (strlen(h) != 40 || tl_unhex(h, 40, o->infohash.b, 20) != 0) {
			fprintf(stderr, "trackless dht: INFOHASH must be 40 hex digits: '%s'\n", h);
			return -1;
		}
	}
	if (o->cmd == TL_CMD_DHT_ANNOUNCE && !parse_port(argv[optind + 1], &o->announce_port, false)) {
		fprintf(stderr, "trackless dht: bad PORT '%s'\n", argv[optind + 1]);
		return -1;
	}
	for (size_t i = 0; i < o->n_bootstrap; i++) {
		char host[256];
		uint16_t p;
		if (dht_ev_parse_hostport(o->bootstrap[i], host, sizeof(host), &p) != 0) {
			fprintf(stderr, "trackless dht: bad --bootstrap '%s' (want HOST:PORT)\n", o->bootstrap[i]);
			return -1;
		}
	}
	return 0;
}

double tl_cmd_dht_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tl_cmd_dht_format_addr(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

int tl_cmd_dht(int argc, char **argv)
{
	struct tl_cmd_dht_opts o;
	/* BEP 44 items: keygen, put, get (cmd_dht_item.c) */
	if (argc >= 2 && tl_dht_item_is_cmd(argv[1]))
		return tl_cmd_dht_item(argc, argv);
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? TL_EXIT_OK : TL_EXIT_USAGE;
	if (o.is_verbose)
		tl_log_set_level(TL_LOG_INFO);
	if (o.cmd == TL_CMD_DHT_PING)
		return tl_cmd_dht_ping(&o);
	return tl_cmd_dht_node(&o);
}
