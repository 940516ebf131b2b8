/*
 * cmd_dht_item.c: `trackless dht keygen|put|get|scrape|sample`: BEP 44
 * items, BEP 33 scrape and BEP 51 sampling from the command line.
 *
 *   keygen [-o FILE]          a new ed25519 key: the 32-byte libsodium seed
 *                             as 64 hex digits, file mode 0600, never
 *                             overwriting; prints the public key
 *   put [--key FILE [--salt S] [--seq N]] VALUE
 *                             store VALUE (as a bencoded string): immutable
 *                             without a key, else mutable (seq defaults to
 *                             the current time in seconds); prints the target,
 *                             and "stored on N of M nodes" (N: nodes that
 *                             answered the put without error) with the error
 *                             codes of the others on stderr; fails when N = 0
 *   get TARGET|PUBKEY [--salt S]
 *                             fetch and print the item (value and, for a
 *                             mutable one, seq)
 *   scrape INFOHASH           estimated seeds and peers (BEP 33)
 *   sample [--target ID] [--max-queries N]
 *                             infohashes sampled by the nodes of a walk
 *                             (BEP 51), each printed once
 *
 * Each runs a short-lived, read-only (BEP 43) node (libevent adapter): it
 * asks, and no node adds it to its routing table. The usual
 * --bootstrap/--bind/--port/--json/--timeout options. Main thread only.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>

#include "dht/dht.h"
#include "dht/dht_event.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"

#define ITEM_MAX_BOOTSTRAP 16

struct item_opts {
	const char *cmd;
	const char *out_path;      /* keygen -o */
	const char *key_path;      /* put --key */
	const char *salt;
	bool has_seq;
	int64_t seq;
	const char *bind;
	uint16_t port;
	bool is_json;
	double timeout_s;
	const char *bootstrap[ITEM_MAX_BOOTSTRAP];
	size_t n_bootstrap;
	bool is_same_subnet;       /* no one-node-per-/24 (/64) rule */
	const char *arg;           /* VALUE, TARGET, PUBKEY or INFOHASH */
	const char *target;        /* sample --target */
	size_t max_queries;        /* sample --max-queries */
};

struct item_run {
	const struct item_opts *o;
	struct event_base *base;
	bool is_done;
	bool has_item;
	size_t nodes;
	struct dht_put_report put; /* put: the answers */
	struct dht_id target;
	int64_t seq;
	bool is_mutable;
	size_t v_len;
	uint8_t v[DHT_ITEM_MAX_V];
	double seeds, peers;       /* scrape */
	uint8_t (*seen)[20];       /* sample: distinct infohashes */
	size_t nseen, capseen;
	uint64_t num_max;
};

bool tl_dht_item_is_cmd(const char *name)
{
	return strcmp(name, "keygen") == 0 || strcmp(name, "put") == 0 || strcmp(name, "get") == 0 ||
	    strcmp(name, "scrape") == 0 || strcmp(name, "sample") == 0;
}

static void item_usage(FILE *f)
{
	fprintf(f,
	    "usage: trackless dht keygen [-o FILE]\n"
	    "       trackless dht put [--key FILE [--salt S] [--seq N]] VALUE [options]\n"
	    "       trackless dht get TARGET|PUBKEY [--salt S] [options]\n"
	    "       trackless dht scrape INFOHASH [options]\n"
	    "       trackless dht sample [--target ID] [--max-queries N] [options]\n"
	    "options: --bootstrap HOST:PORT (repeatable), --bind ADDR, --port PORT, --json,\n"
	    "         --timeout SEC (default 30), --dht-same-subnet (nodes of one /24 or\n"
	    "         /64 may all be asked; on with a loopback --bind)\n"
	    "TARGET is 40 hex digits, PUBKEY 64. keygen writes the 32-byte ed25519 seed as\n"
	    "hex with mode 0600 (default FILE: dht.key) and refuses to overwrite. put prints\n"
	    "the target, then \"stored on N of M nodes\" and the error codes of refusals on\n"
	    "stderr, and fails when no node stored the item.\n");
}

static int parse_item_args(int argc, char **argv, struct item_opts *o)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "salt", required_argument, NULL, 'S' },
		{ "seq", required_argument, NULL, 'q' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "bootstrap", required_argument, NULL, 'B' },
		{ "target", required_argument, NULL, 'T' },
		{ "max-queries", required_argument, NULL, 'M' },
		{ "dht-same-subnet", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	memset(o, 0, sizeof(*o));
	o->cmd = argv[1];
	o->timeout_s = 30;
	argc--;
	argv++;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		char *end = NULL;
		errno = 0;
		switch (c) {
		case 'o': o->out_path = optarg; break;
		case 'k': o->key_path = optarg; break;
		case 'S': o->salt = optarg; break;
		case 'q':
			o->has_seq = true;
			o->seq = strtoll(optarg, &end, 10);
			if (errno || *end || o->seq < 0)
				goto bad;
			break;
		case 'b': o->bind = optarg; break;
		case 'p': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v > 65535)
				goto bad;
			o->port = (uint16_t)v;
			break;
		}
		case 'j': o->is_json = true; break;
		case 't':
			o->timeout_s = strtod(optarg, &end);
			if (errno || *end || !(o->timeout_s > 0) || o->timeout_s > 86400)
				goto bad;
			break;
		case 'B':
			if (o->n_bootstrap == ITEM_MAX_BOOTSTRAP)
				goto bad;
			o->bootstrap[o->n_bootstrap++] = optarg;
			break;
		case 'T': o->target = optarg; break;
		case 'U': o->is_same_subnet = true; break;
		case 'M': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 100000)
				goto bad;
			o->max_queries = v;
			break;
		}
		case 'h': item_usage(stdout); return 1;
		default: goto bad;
		}
	}
	int want = strcmp(o->cmd, "keygen") == 0 || strcmp(o->cmd, "sample") == 0 ? 0 : 1;
	if (argc - optind != want)
		goto bad;
	o->arg = want ? argv[optind] : NULL;
	if (o->salt && strlen(o->salt) > DHT_ITEM_MAX_SALT) {
		fprintf(stderr, "trackless dht: --salt is at most %u bytes\n", DHT_ITEM_MAX_SALT);
		return -1;
	}
	return 0;
bad:
	item_usage(stderr);
	return -1;
}

static int keygen(const struct item_opts *o)
{
	const char *path = o->out_path ? o->out_path : "dht.key";
	uint8_t seed[32], pk[32], sk[64];
	char hex[65], pkhex[65];
	randombytes_buf(seed, sizeof(seed));
	crypto_sign_seed_keypair(pk, sk, seed);
	tl_hex(seed, 32, hex);
	tl_hex(pk, 32, pkhex);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "trackless dht keygen: %s: %s\n", path, strerror(errno));
		return TL_EXIT_FAIL;
	}
	hex[64] = '\n';
	bool ok = write(fd, hex, 65) == 65;
	sodium_memzero(hex, sizeof(hex));
	if (close(fd) != 0 || !ok) {
		fprintf(stderr, "trackless dht keygen: writing %s failed\n", path);
		return TL_EXIT_FAIL;
	}
	if (o->is_json)
		printf("{\"key_file\":\"%s\",\"public_key\":\"%s\"}\n", path, pkhex);
	else
		printf("%s\n", pkhex);
	return TL_EXIT_OK;
}

/* The seed in path (64 hex digits) into a libsodium key pair. */
static int load_key(const char *path, uint8_t pk[32], uint8_t sk[64])
{
	char buf[80];
	uint8_t seed[32];
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "trackless dht: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n != 64 || tl_unhex(buf, 64, seed, 32) != 0) {
		fprintf(stderr, "trackless dht: %s is not a 64-hex-digit key\n", path);
		return -1;
	}
	crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

static void item_sha1(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	tl_sha1(p, n, out);
}

static void item_cb(void *ud, uint32_t sid, const struct dht_id *target,
    const struct dht_item *item, const struct dht_put_report *put)
{
	struct item_run *r = ud;
	(void)sid;
	r->is_done = true;
	r->target = *target;
	if (put)
		r->put = *put;
	r->has_item = item != NULL;
	if (item) {
		r->is_mutable = item->is_mutable;
		r->seq = item->seq;
		r->v_len = item->v_len;
		memcpy(r->v, item->v, item->v_len);
	}
	event_base_loopbreak(r->base);
}

static void scrape_cb(void *ud, uint32_t sid, const struct dht_id *ih, double seeds, double peers,
    size_t nodes)
{
	struct item_run *r = ud;
	(void)sid;
	r->is_done = true;
	r->target = *ih;
	r->seeds = seeds;
	r->peers = peers;
	r->nodes = nodes;
	event_base_loopbreak(r->base);
}

static void sample_cb(void *ud, uint32_t sid, const uint8_t *samples, size_t n, uint64_t num,
    bool is_done)
{
	struct item_run *r = ud;
	(void)sid;
	if (is_done) {
		r->is_done = true;
		event_base_loopbreak(r->base);
		return;
	}
	r->nodes++;
	if (num > r->num_max)
		r->num_max = num;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = samples + 20 * i;
		size_t k = 0;
		while (k < r->nseen && memcmp(r->seen[k], s, 20) != 0)
			k++;
		if (k < r->nseen)
			continue;
		if (r->nseen == r->capseen) {
			size_t nc = r->capseen ? r->capseen * 2 : 64;
			r->seen = tl_realloc(r->seen, nc * sizeof(*r->seen));
			r->capseen = nc;
		}
		memcpy(r->seen[r->nseen++], s, 20);
		if (!r->o->is_json) {
			char hex[41];
			tl_hex(s, 20, hex);
			printf("%s\n", hex);
		}
	}
}

/* scrape and sample: the outcome; returns the exit code. */
static int report_walk(const struct item_run *r, bool is_scrape)
{
	char hex[41];
	tl_hex(r->target.b, 20, hex);
	bool ok = is_scrape ? r->is_done && r->nodes > 0 : r->nodes > 0;
	if (r->o->is_json) {
		struct tl_json j;
		tl_json_init(&j);
		tl_json_begin_object(&j);
		if (is_scrape) {
			tl_json_key(&j, "infohash");
			tl_json_string(&j, hex);
			tl_json_key(&j, "seeds");
			tl_json_int(&j, (int64_t)(r->seeds + 0.5));
			tl_json_key(&j, "peers");
			tl_json_int(&j, (int64_t)(r->peers + 0.5));
		} else {
			tl_json_key(&j, "samples");
			tl_json_begin_array(&j);
			for (size_t i = 0; i < r->nseen; i++) {
				tl_hex(r->seen[i], 20, hex);
				tl_json_string(&j, hex);
			}
			tl_json_end_array(&j);
			tl_json_key(&j, "max_num");
			tl_json_int(&j, (int64_t)r->num_max);
		}
		tl_json_key(&j, "nodes");
		tl_json_int(&j, (int64_t)r->nodes);
		tl_json_end_object(&j);
		char *s = tl_json_take(&j);
		printf("%s\n", s);
		free(s);
	} else if (is_scrape) {
		printf("seeds: %.0f\npeers: %.0f\nnodes: %zu\n", r->seeds, r->peers, r->nodes);
	} else {
		fprintf(stderr, "%zu infohash(es) from %zu node(s)\n", r->nseen, r->nodes);
	}
	return ok ? TL_EXIT_OK : TL_EXIT_FAIL;
}

static void item_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	event_base_loopbreak(arg);
}

/* What a BEP 5/44 error code of a put answer means. */
static const char *put_code_name(int code)
{
	switch (code) {
	case 201: return "generic error";
	case 202: return "server error";
	case 203: return "protocol error";
	case 204: return "method unknown";
	case 205: return "v too big";
	case 206: return "bad signature";
	case 207: return "salt too big";
	case 301: return "cas mismatch";
	case 302: return "seq not newer";
	}
	return "other";
}

/* put, not --json: "stored on N of M nodes", then the refusals. */
static void print_put_outcome(const struct item_run *r)
{
	const struct dht_put_report *p = &r->put;
	if (!r->is_done) {
		fprintf(stderr, "trackless dht put: not done within --timeout\n");
		return;
	}
	if (p->sent == 0) {
		fprintf(stderr, "trackless dht put: no node gave a write token\n");
		return;
	}
	fprintf(stderr, "%sstored on %zu of %zu nodes", p->stored ? "" : "trackless dht put: ",
	    p->stored, p->sent);
	for (size_t i = 0; i < p->ncodes; i++)
		fprintf(stderr, "%s%d %s x%zu", i ? ", " : "; refused: ", p->codes[i].code,
		    put_code_name(p->codes[i].code), p->codes[i].count);
	if (p->sent > p->stored + p->errors)
		fprintf(stderr, "; %zu did not answer", p->sent - p->stored - p->errors);
	fputc('\n', stderr);
}

/* The put's counts and error codes as JSON members. */
static void json_put(struct tl_json *j, const struct dht_put_report *p)
{
	tl_json_key(j, "stored");
	tl_json_int(j, (int64_t)p->stored);
	tl_json_key(j, "sent");
	tl_json_int(j, (int64_t)p->sent);
	tl_json_key(j, "errors");
	tl_json_begin_array(j);
	for (size_t i = 0; i < p->ncodes; i++) {
		tl_json_begin_object(j);
		tl_json_key(j, "code");
		tl_json_int(j, p->codes[i].code);
		tl_json_key(j, "message");
		tl_json_string(j, put_code_name(p->codes[i].code));
		tl_json_key(j, "nodes");
		tl_json_int(j, (int64_t)p->codes[i].count);
		tl_json_end_object(j);
	}
	tl_json_end_array(j);
}

/* Print the outcome; returns the exit code. */
static int report(const struct item_run *r, bool is_put)
{
	char hex[41];
	tl_hex(r->target.b, 20, hex);
	bool ok = r->is_done && (is_put ? r->put.stored > 0 : r->has_item);
	if (r->o->is_json) {
		struct tl_json j;
		tl_json_init(&j);
		tl_json_begin_object(&j);
		tl_json_key(&j, "target");
		tl_json_string(&j, hex);
		tl_json_key(&j, "ok");
		tl_json_bool(&j, ok);
		if (is_put)
			json_put(&j, &r->put);
		if (r->has_item) {
			tl_json_key(&j, "v");
			tl_json_string_n(&j, r->v, r->v_len);
			if (r->is_mutable) {
				tl_json_key(&j, "seq");
				tl_json_int(&j, r->seq);
			}
		}
		tl_json_end_object(&j);
		char *s = tl_json_take(&j);
		printf("%s\n", s);
		free(s);
	} else if (is_put) {
		printf("%s\n", hex);
		fflush(stdout);
		print_put_outcome(r);
	} else if (ok) {
		printf("v: %.*s\n", (int)r->v_len, (const char *)r->v);
		if (r->is_mutable)
			printf("seq: %lld\n", (long long)r->seq);
	} else {
		fprintf(stderr, "trackless dht get: no item for %s\n", hex);
	}
	return ok ? TL_EXIT_OK : TL_EXIT_FAIL;
}

/* Start the put or get on a running node. */
static int start_op(struct item_run *r, struct dht *d, int af, int64_t now)
{
	const struct item_opts *o = r->o;
	size_t salt_len = o->salt ? strlen(o->salt) : 0;
	if (strcmp(o->cmd, "scrape") == 0 || strcmp(o->cmd, "sample") == 0) {
		const char *h = strcmp(o->cmd, "scrape") == 0 ? o->arg : o->target;
		if (h && (strlen(h) != 40 || tl_unhex(h, 40, r->target.b, 20) != 0)) {
			fprintf(stderr, "trackless dht %s: want 40 hex digits, not '%s'\n", o->cmd, h);
			return TL_EXIT_USAGE;
		}
		if (!h)
			randombytes_buf(r->target.b, 20);
		int rc = h == o->arg ? dht_scrape(d, &r->target, af, scrape_cb, r, now, NULL) :
				       dht_sample(d, &r->target, af, o->max_queries, sample_cb, r, now, NULL);
		return rc == DHT_OK ? 0 : TL_EXIT_FAIL;
	}
	if (strcmp(o->cmd, "get") == 0) {
		size_t n = strlen(o->arg);
		uint8_t raw[32 + DHT_ITEM_MAX_SALT];
		struct dht_id t;
		if (n == 40 && tl_unhex(o->arg, 40, t.b, 20) == 0) {
			r->target = t;
		} else if (n == 64 && tl_unhex(o->arg, 64, raw, 32) == 0) {
			memcpy(raw + 32, o->salt, salt_len);
			tl_sha1(raw, 32 + salt_len, r->target.b);
		} else {
			fprintf(stderr, "trackless dht get: want a 40-hex target or a 64-hex key\n");
			return TL_EXIT_USAGE;
		}
		return dht_get_item(d, &r->target, (const uint8_t *)o->salt, salt_len, af, item_cb, r, now,
		    NULL) == DHT_OK ? 0 : TL_EXIT_FAIL;
	}
	uint8_t v[DHT_ITEM_MAX_V + 8], pk[32], sk[64], sig[64];
	int n = snprintf((char *)v, sizeof(v), "%zu:%s", strlen(o->arg), o->arg);
	if (n < 0 || (size_t)n > DHT_ITEM_MAX_V) {
		fprintf(stderr, "trackless dht put: VALUE is over %u bytes bencoded\n", DHT_ITEM_MAX_V);
		return TL_EXIT_USAGE;
	}
	struct dht_item it = { .v = v, .v_len = (size_t)n };
	if (o->key_path) {
		if (load_key(o->key_path, pk, sk) != 0)
			return TL_EXIT_FAIL;
		it.k = pk;
		it.salt = (const uint8_t *)o->salt;
		it.salt_len = salt_len;
		it.seq = o->has_seq ? o->seq : (int64_t)time(NULL);
		int rc = dht_item_sign(&it, sk, sig);
		sodium_memzero(sk, sizeof(sk));
		if (rc != DHT_OK)
			return TL_EXIT_FAIL;
	}
	int rc = dht_put_item(d, &it, af, item_cb, r, now, NULL);
	if (rc != DHT_OK)
		fprintf(stderr, "trackless dht put: %s\n", dht_strerror(rc));
	return rc == DHT_OK ? 0 : TL_EXIT_FAIL;
}

static int run_item(const struct item_opts *o)
{
	struct item_run r = { .o = o };
	struct dht_ev *ev = NULL;
	struct event *timer = NULL;
	int rc = TL_EXIT_FAIL;
	struct dht_ev_config c;
	memset(&c, 0, sizeof(c));
	if (sodium_init() < 0 || !(r.base = event_base_new()))
		return TL_EXIT_FAIL;
	bool is_v6 = o->bind && strchr(o->bind, ':');
	int af = is_v6 ? AF_INET6 : AF_INET;
	c.dht.family_mask = is_v6 ? DHT_F_INET6 : DHT_F_INET;
	c.bind_v4 = is_v6 ? NULL : o->bind;
	c.bind_v6 = is_v6 ? o->bind : NULL;
	/* loopback tests: every node shares one /24 */
	c.dht.allow_same_subnet = o->is_same_subnet ||
	    (o->bind && (strncmp(o->bind, "127.", 4) == 0 || strcmp(o->bind, "::1") == 0));
	c.dht.sha1 = item_sha1;
	/* Gone in seconds: read-only (BEP 43), so no node keeps it in its
	 * routing table to hand out to others' lookups. */
	c.dht.is_read_only = true;
	c.port = o->port;
	c.bootstrap = o->bootstrap;
	c.n_bootstrap = o->n_bootstrap;
	enum dht_err err;
	ev = dht_ev_new(r.base, &c, &err);
	if (!ev) {
		fprintf(stderr, "trackless dht: cannot start a DHT node: %s\n", dht_strerror(err));
		goto out;
	}
	timer = evtimer_new(r.base, item_timeout_cb, r.base);
	struct timeval tv = { .tv_sec = (time_t)o->timeout_s,
		.tv_usec = (suseconds_t)((o->timeout_s - (double)(time_t)o->timeout_s) * 1e6) };
	if (!timer || evtimer_add(timer, &tv) != 0)
		goto out;
	rc = start_op(&r, dht_ev_dht(ev), af, dht_ev_now(ev));
	if (rc != 0)
		goto out;
	dht_ev_kick(ev);
	event_base_dispatch(r.base);
	if (strcmp(o->cmd, "scrape") == 0 || strcmp(o->cmd, "sample") == 0)
		rc = report_walk(&r, strcmp(o->cmd, "scrape") == 0);
	else
		rc = report(&r, strcmp(o->cmd, "put") == 0);
out:
	free(r.seen);
	if (timer)
		event_free(timer);
	dht_ev_free(ev);
	event_base_free(r.base);
	return rc;
}

int tl_cmd_dht_item(int argc, char **argv)
{
	struct item_opts o;
	int rc = parse_item_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? TL_EXIT_OK : TL_EXIT_USAGE;
	if (strcmp(o.cmd, "keygen") == 0)
		return keygen(&o);
	return run_item(&o);
}
