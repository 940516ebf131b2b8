/* statedir.c: see statedir.h. */
#include "engine/statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bounds.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/err.h"
#include "codec/metainfo.h"
#include "engine/resume.h"

char *tl_statedir_default(void)
{
	const char *x = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char buf[4096];
	if (x && x[0] == '/')
		snprintf(buf, sizeof(buf), "%s/trackless", x);
	else if (home && home[0])
		snprintf(buf, sizeof(buf), "%s/.local/state/trackless", home);
	else
		return NULL;
	return tl_strdup(buf);
}

void tl_statedir_make(const char *dir)
{
	char *p = tl_strdup(dir);
	for (char *q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(p, 0700);
			*q = '/';
		}
	mkdir(p, 0700);
	free(p);
}

char *tl_statedir_path(const char *dir, const char *name)
{
	if (!dir)
		return NULL;
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = tl_malloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* The decimal number a small file holds, or 0. */
static unsigned long read_number(const char *path)
{
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	char buf[24] = { 0 }, *end;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	unsigned long v = strtoul(buf, &end, 10);
	if (n == 0 || buf[0] < '0' || buf[0] > '9' || (*end != '\0' && strcmp(end, "\n") != 0))
		return 0;
	return v;
}

int tl_statedir_lock(const char *dir, pid_t *pid_out, const char **why_out)
{
	*pid_out = 0;
	char *path = tl_statedir_path(dir, "lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		tl_warn("state directory: %s: %s", path, strerror(errno));
		*why_out = "cannot open its lock file";
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		bool is_held = errno == EWOULDBLOCK;
		unsigned long pid = read_number(path);
		*pid_out = pid <= (unsigned long)INT32_MAX ? (pid_t)pid : 0;
		*why_out = is_held ? "in use by another trackless process" : "cannot lock it";
		close(fd);
		free(path);
		return -1;
	}
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		tl_warn("state directory: cannot write our PID in %s", path);
	free(path);
	return fd;
}

uint16_t tl_statedir_load_port(const char *dir)
{
	char *path = tl_statedir_path(dir, "port");
	unsigned long v = read_number(path);
	free(path);
	return v >= 1 && v <= 65535 ? (uint16_t)v : 0;
}

void tl_statedir_save_port(const char *dir, uint16_t port)
{
	if (!dir || port == 0 || tl_statedir_load_port(dir) == port)
		return;
	char *path = tl_statedir_path(dir, "port"), *tmp = tl_statedir_path(dir, "port.tmp");
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%u\n", port) > 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		tl_warn("cannot save the listen port in %s", dir);
		remove(tmp);
	}
	free(path);
	free(tmp);
}

/* ---- a torrent's files: fetched metadata, resume ---- */

/* dir/sub/HEX.ext (allocated). */
static char *torrent_path(const char *dir, const char *sub, const struct tl_infohash *ih, const char *ext)
{
	char hex[41];
	tl_hex(ih->b, 20, hex);
	size_t n = strlen(dir) + strlen(sub) + strlen(ext) + 48;
	char *p = tl_malloc(n);
	snprintf(p, n, "%s/%s/%s%s", dir, sub, hex, ext);
	return p;
}

struct tl_metainfo *tl_statedir_load_metadata(const char *dir, const struct tl_infohash *ih)
{
	if (!dir)
		return NULL;
	char *path = torrent_path(dir, "torrents", ih, ".torrent");
	struct tl_metainfo *mi = NULL;
	uint8_t *buf = NULL;
	size_t n = 0;
	const char *why = NULL;
	/* read at its size: a buffer of the largest torrent for each of ten
	 * thousand restored torrents cost more than the parsing */
	if (tl_resume_read(path, &buf, &n) == TL_OK && n <= TL_MAX_TORRENT_FILE &&
	    tl_metainfo_parse(buf, n, &mi, &why) == 0 && memcmp(mi->infohash.b, ih->b, 20) != 0) {
		tl_metainfo_free(mi);
		mi = NULL;
	}
	if (mi)
		tl_debug("metadata: loaded from %s", path);
	free(buf);
	free(path);
	return mi;
}

/*
 * "d4:info<info>e" through a temp file and a rename. No fsync: the file
 * is a cache that tl_statedir_load_metadata checks against the infohash,
 * so what a crash leaves behind (nothing, or a torn file) only costs a
 * fetch again, while a sync would delay the download on every magnet.
 */
void tl_statedir_save_metadata(const char *dir, const struct tl_infohash *ih, const uint8_t *info, size_t len)
{
	if (!dir)
		return;
	char *sub = tl_statedir_path(dir, "torrents");
	tl_statedir_make(sub);
	free(sub);
	char *tmp = torrent_path(dir, "torrents", ih, ".torrent.tmp");
	char *path = torrent_path(dir, "torrents", ih, ".torrent");
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	bool ok = fd >= 0;
	if (ok) {
		FILE *out = fdopen(fd, "wb");
		ok = out && fputs("d4:info", out) >= 0 && fwrite(info, 1, len, out) == len &&
		    fputc('e', out) != EOF && fflush(out) == 0;
		if (out)
			ok = fclose(out) == 0 && ok;
		else
			close(fd);
		ok = ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		tl_warn("metadata: cannot save %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	free(path);
}

bool tl_statedir_has_metadata(const char *dir, const struct tl_infohash *ih)
{
	if (!dir)
		return false;
	char *path = torrent_path(dir, "torrents", ih, ".torrent");
	bool has = access(path, F_OK) == 0;
	free(path);
	return has;
}

void tl_statedir_forget(const char *dir, const struct tl_infohash *ih)
{
	if (!dir)
		return;
	char *paths[2] = { torrent_path(dir, "torrents", ih, ".torrent"),
		torrent_path(dir, "resume", ih, ".resume") };
	for (int i = 0; i < 2; i++) {
		if (unlink(paths[i]) != 0 && errno != ENOENT)
			tl_warn("cannot delete %s: %s", paths[i], strerror(errno));
		free(paths[i]);
	}
}

int tl_statedir_take(const char *dir, const char **why_out)
{
	static _Thread_local char msg[768];
	pid_t holder;
	const char *why;
	tl_statedir_make(dir);
	int fd = tl_statedir_lock(dir, &holder, &why);
	if (fd >= 0)
		return fd;
	if (holder)
		snprintf(msg, sizeof(msg), "the state directory %s is %s (PID %ld): several torrents can "
		    "run in that one process (trackless get A B ..., trackless seed A B ...), or give this "
		    "one its own --state-dir", dir, why, (long)holder);
	else
		snprintf(msg, sizeof(msg), "the state directory %s: %s", dir, why);
	*why_out = msg;
	return -1;
}
