/*
 * daemon.c: `trackless daemon` (daemon.h): options over settings.json
 * over the defaults, the persistent session, the RPC server, signals.
 * Thread: the loop thread, which is the only one here.
 */
#include "daemon/daemon.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "base/err.h"
#include "base/fdlimit.h"
#include "base/log.h"
#include "base/mem.h"
#include "daemon/rpc.h"
#include "daemon/settings.h"
#include "engine/entry.h"
#include "engine/session.h"
#include "engine/statedir.h"
#include "io/httpd.h"

#define MAX_BOOTSTRAP 16
/* RPC connections that may have sent a request at once */
#define RPC_MAX_CONNS 16u
#define RPC_MAX_HEADERS (16u * 1024)
#define RPC_TIMEOUT_S 30u

struct daemon_opts {
	const char *config_dir, *state_dir, *download_dir, *rpc_bind, *bind, *log_level;
	long port; /* -1: not given */
	const char *bootstrap[MAX_BOOTSTRAP];
	size_t nbootstrap;
	bool is_no_dht, is_no_bootstrap;
};

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless daemon [OPTIONS]\n\n"
	    "Run one session for all torrents in the foreground, driven over the\n"
	    "Transmission RPC (transmission-remote and other remotes work with it).\n\n"
	    "  --config-dir DIR      settings.json here (default $XDG_CONFIG_HOME/trackless)\n"
	    "  --state-dir DIR       torrents, resume files, DHT state (default $XDG_STATE_HOME/trackless)\n"
	    "  --download-dir DIR    where new torrents go (default ~/Downloads)\n"
	    "  --rpc-bind HOST:PORT  the RPC's address (default 127.0.0.1:9091)\n"
	    "  --bind ADDR           listen and dial peers from this address\n"
	    "  --port PORT           peer port (default: the last run's, else any)\n"
	    "  --bootstrap HOST:PORT DHT bootstrap node instead of the built-in ones (repeatable)\n"
	    "  --no-dht              no DHT node\n"
	    "  --no-bootstrap        never contact the built-in DHT routers\n"
	    "  --log-level L         error, warn, info (default) or debug\n\n"
	    "Stops on SIGTERM or SIGINT with everything saved.\n");
}

static int parse_opts(int argc, char **argv, struct daemon_opts *o)
{
	enum { O_CONFIG = 256, O_STATE, O_DL, O_RPC, O_BIND, O_PORT, O_BOOT, O_NODHT, O_NOBOOT, O_LOG };
	static const struct option longs[] = {
		{ "config-dir", required_argument, NULL, O_CONFIG },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "download-dir", required_argument, NULL, O_DL },
		{ "rpc-bind", required_argument, NULL, O_RPC },
		{ "bind", required_argument, NULL, O_BIND },
		{ "port", required_argument, NULL, O_PORT },
		{ "bootstrap", required_argument, NULL, O_BOOT },
		{ "no-dht", no_argument, NULL, O_NODHT },
		{ "no-bootstrap", no_argument, NULL, O_NOBOOT },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*o = (struct daemon_opts){ .port = -1 };
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case O_CONFIG: o->config_dir = optarg; break;
		case O_STATE: o->state_dir = optarg; break;
		case O_DL: o->download_dir = optarg; break;
		case O_RPC: o->rpc_bind = optarg; break;
		case O_BIND: o->bind = optarg; break;
		case O_PORT:
			o->port = strtol(optarg, &end, 10);
			if (*optarg == 0 || *end || o->port < 0 || o->port > 65535) {
				fprintf(stderr, "trackless: --port %s: expected 0..65535\n", optarg);
				return -1;
			}
			break;
		case O_BOOT:
			if (o->nbootstrap == MAX_BOOTSTRAP) {
				fprintf(stderr, "trackless: at most %d --bootstrap\n", MAX_BOOTSTRAP);
				return -1;
			}
			o->bootstrap[o->nbootstrap++] = optarg;
			break;
		case O_NODHT: o->is_no_dht = true; break;
		case O_NOBOOT: o->is_no_bootstrap = true; break;
		case O_LOG: o->log_level = optarg; break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "trackless: daemon takes no arguments ('%s')\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT" into host (allocated) and port (1..65535). */
static int split_hostport(const char *s, char **host_out, uint16_t *port_out)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return -1;
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == 0 || *end || p < 1 || p > 65535)
		return -1;
	const char *h = s;
	size_t n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -1;
		h++;
		n -= 2;
	}
	*host_out = tl_strndup(h, n);
	*port_out = (uint16_t)p;
	return 0;
}

static char *default_config_dir(void)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char buf[4096];
	if (x && x[0] == '/')
		snprintf(buf, sizeof(buf), "%s/trackless", x);
	else if (home && *home)
		snprintf(buf, sizeof(buf), "%s/.config/trackless", home);
	else
		return NULL;
	return tl_strdup(buf);
}

struct daemon {
	struct tl_session *s;
	bool is_stopping;
};

static void event_cb(struct tl_entry *e, enum tl_entry_event ev, void *arg)
{
	(void)arg;
	struct tl_entry_stat st;
	tl_entry_stat(e, &st);
	long long id = (long long)tl_rpc_id(e);
	const char *name = st.name ? st.name : "(magnet)";
	switch (ev) {
	case TL_EEV_METADATA:
		tl_info("torrent %lld %s: metadata received", id, name);
		break;
	case TL_EEV_COMPLETE:
		tl_info("torrent %lld %s: complete", id, name);
		break;
	case TL_EEV_ERROR:
		tl_warn("torrent %lld %s: %s", id, name, st.error ? st.error : "error");
		break;
	case TL_EEV_STOPPED:
		tl_info("torrent %lld %s: stopped", id, name);
		break;
	case TL_EEV_STARTED:
	case TL_EEV_CHECKED:
	case TL_EEV_DAMAGED:
	case TL_EEV_SELF_CHECK:
	case TL_EEV_IDLE:
		break;
	}
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	tl_info("signal %d: saving and stopping", (int)sig);
	d->is_stopping = true;
	tl_session_break(d->s);
}

static char *rpc_cb(const uint8_t *body, size_t len, size_t *len_out, void *arg)
{
	return tl_rpc_handle(arg, body, len, len_out);
}

/* The settings: the defaults, then the file, then the options. */
static int load_settings(const struct daemon_opts *o, const char *path, struct tl_dset *d)
{
	char why[512];
	tl_dset_init(d);
	if (tl_dset_load(d, path, why, sizeof(why)) != 0) {
		fprintf(stderr, "trackless: settings: %s\n", why);
		return -1;
	}
	if (o->download_dir)
		tl_dset_set_str(&d->download_dir, o->download_dir);
	if (o->bind)
		tl_dset_set_str(&d->bind, o->bind);
	if (o->port >= 0)
		d->peer_port = (uint16_t)o->port;
	if (o->is_no_dht)
		d->is_dht = false;
	if (o->rpc_bind) {
		char *host;
		if (split_hostport(o->rpc_bind, &host, &d->rpc_port) != 0) {
			fprintf(stderr, "trackless: --rpc-bind %s: expected HOST:PORT\n", o->rpc_bind);
			return -1;
		}
		free(d->rpc_bind);
		d->rpc_bind = host;
	}
	return 0;
}

static int run(const struct daemon_opts *o, struct tl_dset *set, const char *config_dir, const char *path)
{
	struct daemon d = { 0 };
	tl_fdlimit_raise();
	signal(SIGPIPE, SIG_IGN);
	struct tl_session_opts so = {
		.bind = set->bind,
		.port = set->peer_port,
		.is_port_fixed = o->port >= 0,
		.state_dir = o->state_dir,
		.is_persistent = true,
		.event_fn = event_cb,
		.event_arg = &d,
		.down_limit = set->is_down_limited ? set->down_kbps * 1000 : 0,
		.up_limit = set->is_up_limited ? set->up_kbps * 1000 : 0,
		.want_dht = set->is_dht,
		.bootstrap = o->bootstrap,
		.nbootstrap = o->nbootstrap,
		.is_no_bootstrap = o->is_no_bootstrap,
	};
	const char *why = NULL;
	d.s = tl_session_new(&so, &why);
	if (!d.s) {
		fprintf(stderr, "trackless: %s\n", why);
		return TL_EXIT_FAIL;
	}
	size_t n = tl_session_restore(d.s);
	struct tl_rpc_env env = { .s = d.s, .set = set, .settings_path = path, .config_dir = config_dir };
	struct tl_rpc *rpc = tl_rpc_new(&env);
	tl_rpc_adopt(rpc);
	struct tl_httpd_opts ho = {
		.host = set->rpc_bind,
		.port = set->rpc_port,
		.path = "/transmission/rpc",
		.csrf_header = "X-Transmission-Session-Id",
		.max_body = TL_RPC_MAX_BODY,
		.max_headers = RPC_MAX_HEADERS,
		.max_conns = RPC_MAX_CONNS,
		.timeout_s = RPC_TIMEOUT_S,
		.fn = rpc_cb,
		.arg = rpc,
	};
	struct event_base *base = tl_session_base(d.s);
	struct tl_httpd *http = tl_httpd_new(base, &ho, &why);
	int rc = TL_EXIT_OK;
	if (!http) {
		fprintf(stderr, "trackless: RPC: %s\n", why);
		rc = TL_EXIT_FAIL;
		goto out;
	}
	tl_info("daemon: %zu torrents restored; peers on port %u; RPC on %s:%u; settings %s", n,
	    (unsigned)tl_session_port(d.s), set->rpc_bind, (unsigned)tl_httpd_port(http), path);
	struct event *sigint = evsignal_new(base, SIGINT, signal_cb, &d);
	struct event *sigterm = evsignal_new(base, SIGTERM, signal_cb, &d);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	tl_session_run(d.s);
	event_free(sigint);
	event_free(sigterm);
out:
	tl_httpd_free(http);
	tl_session_free(d.s); /* saves the list of torrents and their resume files */
	tl_rpc_free(rpc);
	if (rc == TL_EXIT_OK)
		tl_info("daemon: stopped, state saved");
	return rc;
}

int tl_cmd_daemon(int argc, char **argv)
{
	struct daemon_opts o;
	int prc = parse_opts(argc, argv, &o);
	if (prc != 0)
		return prc > 0 ? TL_EXIT_OK : TL_EXIT_USAGE;
	tl_log_set_level(TL_LOG_INFO);
	if (o.log_level) {
		int lv = tl_log_parse_level(o.log_level);
		if (lv < 0) {
			fprintf(stderr, "trackless: --log-level %s: expected error, warn, info or debug\n", o.log_level);
			return TL_EXIT_USAGE;
		}
		tl_log_set_level((enum tl_log_level)lv);
	}
	char *config_dir = o.config_dir ? tl_strdup(o.config_dir) : default_config_dir();
	if (!config_dir) {
		fprintf(stderr, "trackless: no config directory: set HOME or use --config-dir\n");
		return TL_EXIT_USAGE;
	}
	tl_statedir_make(config_dir);
	char *abs = realpath(config_dir, NULL);
	if (abs) {
		free(config_dir);
		config_dir = abs;
	}
	char *path = tl_statedir_path(config_dir, "settings.json");
	struct tl_dset set;
	int rc = TL_EXIT_USAGE;
	if (load_settings(&o, path, &set) == 0)
		rc = run(&o, &set, config_dir, path);
	tl_dset_clear(&set);
	free(path);
	free(config_dir);
	return rc;
}
