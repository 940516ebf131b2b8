/*
 * cmd_tracker.c: `trackless tracker announce|scrape URL INFOHASH`, a
 * diagnostic that asks one HTTP, HTTPS or UDP tracker (BEP 3, 15, 48) and
 * prints what it answered. Exit 0 on a good reply, 1 when the tracker
 * failed, refused or did not answer in time, 2 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "cli/cli.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/log.h"
#include "io/tracker_http.h"
#include "proto/tracker_msg.h"
#include "io/tracker_udp.h"

struct opts {
	bool is_scrape;
	bool json;
	const char *url;
	const char *ca_file;
	unsigned timeout_ms;
	unsigned udp_retry_ms;
	struct tl_announce_req req;
};

/* What the one request produced, filled by the callbacks. */
struct outcome {
	struct event_base *base;
	const struct opts *o;
	int rc;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless tracker announce URL INFOHASH [OPTIONS]\n"
	    "       trackless tracker scrape URL INFOHASH [OPTIONS]\n\n"
	    "Ask one tracker (http://, https:// or udp://) about a 40-hex-digit infohash.\n\n"
	    "  --port P          port we say we listen on (default 6881)\n"
	    "  --event E         started|stopped|completed|none (default started)\n"
	    "  --numwant N       peers wanted (default: the tracker's choice)\n"
	    "  --left N          bytes left to download (default 0)\n"
	    "  --peer-id HEX     20-byte peer id in hex (default random)\n"
	    "  --tracker-ca FILE trust the CAs in FILE as well as the system store\n"
	    "  --timeout SEC     give up after SEC seconds (default 15)\n"
	    "  --udp-retry MS    BEP 15 retransmission base (default 15000)\n"
	    "  --json            print JSON\n"
	    "  -v, --verbose     log debug lines to stderr\n\n"
	    "Exit: 0 good reply, 1 tracker failure or timeout, 2 usage error.\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *v_out)
{
	char *e;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno || e == s || *e || s[0] == '-' || v > max)
		return -1;
	*v_out = v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "event", required_argument, NULL, 'e' },
		{ "numwant", required_argument, NULL, 'n' },
		{ "left", required_argument, NULL, 'l' },
		{ "peer-id", required_argument, NULL, 'i' },
		{ "tracker-ca", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "udp-retry", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 15000;
	o->req.port = 6881;
	o->req.event = TL_TRACKER_EV_STARTED;
	o->req.numwant = -1;
	bool has_peer_id = false;
	uint64_t v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, 65535, &v) || v == 0)
				return -1;
			o->req.port = (uint16_t)v;
			break;
		case 'e':
			if (tl_tracker_event_parse(optarg, &o->req.event))
				return -1;
			break;
		case 'n':
			if (parse_u64(optarg, INT32_MAX, &v))
				return -1;
			o->req.numwant = (int32_t)v;
			break;
		case 'l':
			if (parse_u64(optarg, INT64_MAX, &v))
				return -1;
			o->req.left = v;
			break;
		case 'i':
			if (tl_unhex(optarg, strlen(optarg), o->req.peer_id.b, 20))
				return -1;
			has_peer_id = true;
			break;
		case 'c':
			o->ca_file = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 3600, &v) || v == 0)
				return -1;
			o->timeout_ms = (unsigned)v * 1000;
			break;
		case 'u':
			if (parse_u64(optarg, 600000, &v) || v == 0)
				return -1;
			o->udp_retry_ms = (unsigned)v;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			tl_log_set_level(TL_LOG_DEBUG);
			break;
		case 'h':
			usage(stdout);
			exit(TL_EXIT_OK);
		default:
			return -1;
		}
	}
	if (argc - optind != 3)
		return -1;
	if (strcmp(argv[optind], "announce") == 0)
		o->is_scrape = false;
	else if (strcmp(argv[optind], "scrape") == 0)
		o->is_scrape = true;
	else
		return -1;
	o->url = argv[optind + 1];
	if (strncasecmp(o->url, "http://", 7) != 0 && strncasecmp(o->url, "https://", 8) != 0 &&
	    strncasecmp(o->url, "udp://", 6) != 0)
		return -1;
	const char *ih = argv[optind + 2];
	if (tl_unhex(ih, strlen(ih), o->req.info_hash.b, 20))
		return -1;
	if (!has_peer_id) {
		memcpy(o->req.peer_id.b, "-TL0001-", 8);
		if (RAND_bytes(o->req.peer_id.b + 8, 12) != 1)
			return -1;
	}
	if (RAND_bytes((unsigned char *)&o->req.key, sizeof(o->req.key)) != 1)
		return -1;
	return 0;
}

/* A JSON string; tracker text is already printable ASCII. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void print_reply(const struct opts *o, const struct tl_tracker_reply *r)
{
	char addr[64];
	if (o->json) {
		printf("{\"url\":");
		json_str(o->url);
		if (o->is_scrape) {
			printf(",\"files\":[");
			for (size_t i = 0; i < r->nfiles; i++) {
				char hex[41];
				tl_hex(r->files[i].info_hash.b, 20, hex);
				printf("%s{\"info_hash\":\"%s\",\"complete\":%lld,\"downloaded\":%lld,"
				       "\"incomplete\":%lld}",
				    i ? "," : "", hex, (long long)r->files[i].complete,
				    (long long)r->files[i].downloaded, (long long)r->files[i].incomplete);
			}
			printf("]}\n");
			return;
		}
		printf(",\"interval\":%lld,\"min_interval\":%lld,\"complete\":%lld,\"incomplete\":%lld",
		    (long long)r->interval, (long long)r->min_interval, (long long)r->complete,
		    (long long)r->incomplete);
		if (r->warning) {
			printf(",\"warning\":");
			json_str(r->warning);
		}
		if (r->tracker_id) {
			printf(",\"tracker_id\":");
			json_str(r->tracker_id);
		}
		if (r->has_external_ip) {
			tl_tracker_addr_str(&r->external_ip, addr, sizeof(addr));
			*strrchr(addr, ':') = '\0';
			printf(",\"external_ip\":");
			json_str(addr);
		}
		printf(",\"peers\":[");
		for (size_t i = 0; i < r->npeers; i++) {
			tl_tracker_addr_str(&r->peers[i], addr, sizeof(addr));
			printf("%s\"%s\"", i ? "," : "", addr);
		}
		printf("]}\n");
		return;
	}
	if (o->is_scrape) {
		for (size_t i = 0; i < r->nfiles; i++) {
			char hex[41];
			tl_hex(r->files[i].info_hash.b, 20, hex);
			printf("%s seeders %lld leechers %lld downloaded %lld\n", hex,
			    (long long)r->files[i].complete, (long long)r->files[i].incomplete,
			    (long long)r->files[i].downloaded);
		}
		return;
	}
	if (r->warning)
		printf("warning: %s\n", r->warning);
	printf("interval: %lld s", (long long)r->interval);
	if (r->min_interval >= 0)
		printf(" (min %lld s)", (long long)r->min_interval);
	printf("\nseeders: %lld leechers: %lld\n", (long long)r->complete, (long long)r->incomplete);
	if (r->has_external_ip) {
		tl_tracker_addr_str(&r->external_ip, addr, sizeof(addr));
		*strrchr(addr, ':') = '\0';
		printf("external ip: %s\n", addr);
	}
	printf("peers: %zu\n", r->npeers);
	for (size_t i = 0; i < r->npeers; i++) {
		tl_tracker_addr_str(&r->peers[i], addr, sizeof(addr));
		printf("  %s\n", addr);
	}
}

/* Judge a parsed reply: a tracker refusal or an empty scrape is a failure. */
static void report(struct outcome *out, const struct tl_tracker_reply *r)
{
	if (r->failure) {
		fprintf(stderr, "tracker: failure reason: %s\n", r->failure);
		out->rc = TL_EXIT_FAIL;
		return;
	}
	if (out->o->is_scrape && r->nfiles == 0) {
		fprintf(stderr, "tracker: the scrape reply lists no torrent\n");
		out->rc = TL_EXIT_FAIL;
		return;
	}
	print_reply(out->o, r);
	out->rc = TL_EXIT_OK;
}

static void http_done(void *arg, const char *error, const uint8_t *body, size_t len)
{
	struct outcome *out = arg;
	event_base_loopbreak(out->base);
	if (error) {
		fprintf(stderr, "tracker: %s\n", error);
		return;
	}
	struct tl_tracker_reply r;
	const char *why = NULL;
	int rc = out->o->is_scrape ? tl_tracker_parse_scrape(body, len, &r, &why)
				   : tl_tracker_parse_announce(body, len, &r, &why);
	if (rc != TL_OK) {
		fprintf(stderr, "tracker: bad reply: %s\n", why);
		return;
	}
	report(out, &r);
	tl_tracker_reply_clear(&r);
}

static void udp_done(void *arg, const char *error, const struct tl_tracker_reply *r)
{
	struct outcome *out = arg;
	event_base_loopbreak(out->base);
	if (error) {
		fprintf(stderr, "tracker: %s\n", error);
		return;
	}
	report(out, r);
}

static int run(const struct opts *o)
{
	struct outcome out = { event_base_new(), o, TL_EXIT_FAIL };
	struct evdns_base *dns = NULL;
	struct tl_tracker_http *http = NULL;
	struct tl_tracker_udp *udp = NULL;
	char err[256] = "";
	bool started = false;
	if (!out.base) {
		fprintf(stderr, "tracker: cannot create an event loop\n");
		return TL_EXIT_FAIL;
	}
	/* A tracker closing early must be an error, not a fatal signal. */
	signal(SIGPIPE, SIG_IGN);
	dns = evdns_base_new(out.base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (strncasecmp(o->url, "udp://", 6) == 0) {
		udp = tl_tracker_udp_new(out.base, dns, o->udp_retry_ms, 0);
		started = o->is_scrape
		    ? tl_tracker_udp_scrape(udp, o->url, &o->req.info_hash, 1, o->timeout_ms, udp_done,
			  &out, err, sizeof(err)) != NULL
		    : tl_tracker_udp_announce(udp, o->url, &o->req, o->timeout_ms, udp_done, &out, err,
			  sizeof(err)) != NULL;
	} else {
		http = tl_tracker_http_new(out.base, dns, o->ca_file, err, sizeof(err));
		char *url = NULL;
		int rc = TL_EINVAL;
		if (http)
			rc = o->is_scrape ? tl_tracker_scrape_url(o->url, &o->req.info_hash, 1, &url)
					  : tl_tracker_announce_url(o->url, &o->req, &url);
		if (http && rc == TL_ENOTSUP)
			snprintf(err, sizeof(err), "this announce URL has no scrape URL (BEP 48)");
		else if (http && rc != TL_OK)
			snprintf(err, sizeof(err), "not a usable http(s) tracker URL");
		if (url) {
			tl_debug("tracker: GET %s", url);
			started = tl_tracker_http_get(http, url, o->timeout_ms, http_done, &out, err,
				      sizeof(err)) != NULL;
		}
		free(url);
	}
	if (started)
		event_base_dispatch(out.base);
	else
		fprintf(stderr, "tracker: %s\n", err);
	tl_tracker_http_free(http);
	tl_tracker_udp_free(udp);
	if (dns)
		evdns_base_free(dns, 0);
	event_base_free(out.base);
	return started ? out.rc : TL_EXIT_FAIL;
}

int tl_cmd_tracker(int argc, char **argv)
{
	struct opts o;
	if (parse_args(argc, argv, &o) != 0) {
		usage(stderr);
		return TL_EXIT_USAGE;
	}
	return run(&o);
}
