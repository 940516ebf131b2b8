/*
 * cmd_create.c: `trackless create PATH`: makes a .torrent on all cores,
 * writes it atomically (temp file in the same directory, fsync, rename or
 * link) and prints its infohash and magnet link.
 *
 * Exit codes: 0 done; 2 bad arguments or a path that cannot be made into a
 * torrent (nothing is written); 1 a failure while hashing or writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "codec/create.h"
#include "base/err.h"
#include "codec/magnet.h"
#include "base/mem.h"
#include "codec/metainfo.h"

static void help(FILE *f)
{
	fprintf(f,
	    "usage: trackless create PATH [OPTIONS]\n\n"
	    "Make a .torrent (BitTorrent v1) of a file or a directory, hashing on all cores.\n\n"
	    "  -o, --output FILE       where to write it (default: NAME.torrent here)\n"
	    "  -p, --piece-size SIZE   auto (default: 1000-2000 pieces, 16 KiB..16 MiB) or\n"
	    "                          a power of two >= 16K in bytes, K or M suffix allowed\n"
	    "  -t, --tracker URL       a tracker (repeatable; one tier each, in order)\n"
	    "  -w, --web-seed URL      a web seed, BEP 19 (repeatable)\n"
	    "  -n, --node HOST:PORT    a DHT node to bootstrap from (repeatable)\n"
	    "      --private           set the private flag (BEP 27: no DHT, no PEX)\n"
	    "  -c, --comment TEXT      a comment\n"
	    "      --no-date           leave out the creation date (reproducible output)\n"
	    "  -j, --threads N         hashing threads (default: one per online CPU)\n"
	    "  -f, --force             overwrite the output file if it exists\n"
	    "  -h, --help              this text\n\n"
	    "Directories are walked in byte order of names; hidden and empty files are\n"
	    "included; a symlink is followed only to a regular file inside the tree.\n");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "trackless create: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'trackless create --help')\n");
	va_end(ap);
	return TL_EXIT_USAGE;
}

struct progress {
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_cb(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;
	int pct = total ? (int)(done * 100 / total) : 100;
	double secs = since(&p->start);
	double mbs = secs > 0 ? (double)done / 1e6 / secs : 0;
	char bar[31];
	int fill = pct * 30 / 100;
	for (int i = 0; i < 30; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[30] = '\0';
	fprintf(stderr, "\rhashing [%s] %3d%% %8.1f MB/s", bar, pct, mbs);
	if (done == total)
		fprintf(stderr, "\r%*s\r", 60, "");
}

/* Write data to a temp file next to out, fsync it, then move it to out:
 * link() when not forcing (fails if out exists, atomically), else
 * rename(). Returns 0 or -1 with a message printed. */
static int write_atomic(const char *out, const uint8_t *data, size_t len, bool force)
{
	char *dup = tl_strdup(out);
	const char *dir = dirname(dup);
	size_t tlen = strlen(out) + 16;
	char *tmp = tl_malloc(tlen);
	snprintf(tmp, tlen, "%s.tmp-XXXXXX", out);
	int rc = -1;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "trackless create: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	mode_t mask = umask(0);
	umask(mask);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off < len || fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "trackless create: %s: %s\n", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fprintf(stderr, "trackless create: %s: %s\n", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	int moved = force ? rename(tmp, out) : link(tmp, out);
	if (moved != 0 && !force && errno != EEXIST && access(out, F_OK) != 0)
		moved = rename(tmp, out); /* no hard links on this filesystem */
	if (moved != 0) {
		fprintf(stderr, "trackless create: %s: %s%s\n", out, strerror(errno),
		    errno == EEXIST ? " (use --force to overwrite)" : "");
		unlink(tmp);
		goto out;
	}
	if (!force)
		unlink(tmp);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd); /* make the new name durable; best effort */
		close(dfd);
	}
	rc = 0;
out:
	free(tmp);
	free(dup);
	return rc;
}

struct args {
	const char *path;
	const char *output;
	uint32_t piece_len;
	const char **trackers;
	size_t ntrackers;
	const char **web_seeds;
	size_t nweb_seeds;
	struct tl_node_addr *nodes;
	size_t nnodes;
	const char *comment;
	bool is_private;
	bool has_date;
	bool force;
	unsigned nthreads;
};

static void args_clear(struct args *a)
{
	free(a->trackers);
	free(a->web_seeds);
	for (size_t i = 0; i < a->nnodes; i++)
		free(a->nodes[i].host);
	free(a->nodes);
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = tl_reallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Returns -1 to go on, else an exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_PRIVATE = 256, OPT_NO_DATE };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "piece-size", required_argument, NULL, 'p' },
		{ "tracker", required_argument, NULL, 't' },
		{ "web-seed", required_argument, NULL, 'w' },
		{ "node", required_argument, NULL, 'n' },
		{ "private", no_argument, NULL, OPT_PRIVATE },
		{ "comment", required_argument, NULL, 'c' },
		{ "no-date", no_argument, NULL, OPT_NO_DATE },
		{ "threads", required_argument, NULL, 'j' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	a->has_date = true;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":o:p:t:w:n:c:j:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			a->output = optarg;
			break;
		case 'p':
			if (tl_create_parse_piece_len(optarg, &a->piece_len) != TL_OK)
				return usage_error("bad piece size '%s': want auto or a power of two "
						   "from 16K to 256M", optarg);
			break;
		case 't':
			push(&a->trackers, &a->ntrackers, optarg);
			break;
		case 'w':
			push(&a->web_seeds, &a->nweb_seeds, optarg);
			break;
		case 'n':
			a->nodes = tl_reallocarray(a->nodes, a->nnodes + 1, sizeof(*a->nodes));
			if (tl_create_parse_node(optarg, &a->nodes[a->nnodes]) != TL_OK)
				return usage_error("bad node '%s': want HOST:PORT or [IPv6]:PORT", optarg);
			a->nnodes++;
			break;
		case OPT_PRIVATE:
			a->is_private = true;
			break;
		case 'c':
			a->comment = optarg;
			break;
		case OPT_NO_DATE:
			a->has_date = false;
			break;
		case 'j': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || n == 0 || n > 1024)
				return usage_error("bad thread count '%s'", optarg);
			a->nthreads = (unsigned)n;
			break;
		}
		case 'f':
			a->force = true;
			break;
		case 'h':
			help(stdout);
			return TL_EXIT_OK;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("missing PATH");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	a->path = argv[optind];
	return -1;
}

static void print_size(FILE *f, uint64_t n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u)
		fprintf(f, "%.1f %s", v, units[u]);
	else
		fprintf(f, "%.0f %s", v, units[u]);
}

int tl_cmd_create(int argc, char **argv)
{
	struct args a = { 0 };
	struct tl_create_tree *tree = NULL;
	uint8_t *pieces = NULL;
	struct tl_create_result res = { 0 };
	struct tl_create_err err;
	char *out_path = NULL;
	struct tl_metainfo *mi = NULL;
	char *magnet = NULL;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		goto out;
	rc = TL_EXIT_USAGE;
	int e = tl_create_scan(a.path, &tree, &err);
	if (e != TL_OK) {
		fprintf(stderr, "trackless create: %s\n", err.msg);
		rc = e == TL_EIO ? TL_EXIT_FAIL : TL_EXIT_USAGE;
		goto out;
	}
	if (a.output) {
		out_path = tl_strdup(a.output);
	} else {
		size_t n = strlen(tl_create_tree_name(tree)) + sizeof(".torrent");
		out_path = tl_malloc(n);
		snprintf(out_path, n, "%s.torrent", tl_create_tree_name(tree));
	}
	char *dir = tl_strdup(out_path);
	if (access(dirname(dir), W_OK) != 0) {
		/* found now rather than after minutes of hashing */
		fprintf(stderr, "trackless create: cannot write %s: %s\n", out_path, strerror(errno));
		free(dir);
		goto out;
	}
	free(dir);
	if (!a.force && access(out_path, F_OK) == 0) {
		fprintf(stderr, "trackless create: %s exists (use --force to overwrite)\n", out_path);
		goto out;
	}
	uint32_t plen = a.piece_len ? a.piece_len : tl_create_auto_piece_len(tl_create_tree_size(tree));
	struct progress prog;
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	bool is_tty = isatty(STDERR_FILENO);
	e = tl_create_hash(tree, plen, a.nthreads, is_tty ? progress_cb : NULL, &prog, &pieces, &err);
	if (e != TL_OK) {
		if (is_tty)
			fprintf(stderr, "\n");
		fprintf(stderr, "trackless create: %s\n", err.msg);
		rc = e == TL_ELIMIT ? TL_EXIT_USAGE : TL_EXIT_FAIL;
		goto out;
	}
	double secs = since(&prog.start);
	struct tl_create_opts o = {
		.trackers = a.trackers,
		.ntrackers = a.ntrackers,
		.web_seeds = a.web_seeds,
		.nweb_seeds = a.nweb_seeds,
		.nodes = a.nodes,
		.nnodes = a.nnodes,
		.comment = a.comment,
		.created_by = "trackless/" PACKAGE_VERSION,
		.creation_date = a.has_date ? (int64_t)time(NULL) : 0,
		.is_private = a.is_private,
	};
	e = tl_create_encode(tree, &o, plen, pieces, &res, &err);
	if (e != TL_OK) {
		fprintf(stderr, "trackless create: %s\n", err.msg);
		rc = TL_EXIT_USAGE;
		goto out;
	}
	if (write_atomic(out_path, res.torrent, res.torrent_len, a.force) != 0) {
		rc = TL_EXIT_FAIL;
		goto out;
	}
	printf("wrote %s: %zu file%s, ", out_path, res.nfiles, res.nfiles == 1 ? "" : "s");
	print_size(stdout, res.total_len);
	printf(", %u pieces of ", res.npieces);
	print_size(stdout, res.piece_len);
	printf(", hashed in %.2f s (%.0f MB/s)\n", secs,
	    secs > 0 ? (double)res.total_len / 1e6 / secs : 0.0);
	/* Read back what was written, as any client will: a self-check, and the
	 * source of the magnet link. */
	const char *why;
	if (tl_metainfo_parse(res.torrent, res.torrent_len, &mi, &why) != 0) {
		fprintf(stderr, "trackless create: the torrent written does not parse back: %s\n", why);
		rc = TL_EXIT_FAIL;
		goto out;
	}
	char hex[41];
	tl_hex(res.infohash.b, 20, hex);
	magnet = tl_magnet_from_metainfo(mi);
	printf("infohash: %s\nmagnet: %s\n", hex, magnet);
	rc = TL_EXIT_OK;
out:
	free(magnet);
	tl_metainfo_free(mi);
	free(out_path);
	tl_create_result_clear(&res);
	free(pieces);
	tl_create_tree_free(tree);
	args_clear(&a);
	return rc;
}
