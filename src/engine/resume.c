/* resume.c: see resume.h. */
#include "engine/resume.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bounds.h"
#include "dht/benc.h"
#include "io/diskio.h"
#include "base/err.h"
#include "codec/layout.h"
#include "base/log.h"
#include "base/mem.h"

#define RESUME_VERSION 1

static size_t bits_len(uint32_t npieces)
{
	return ((size_t)npieces + 7) / 8;
}

int tl_resume_decode(const uint8_t *p, size_t len, const struct tl_infohash *expect,
    uint32_t npieces, size_t nfiles, struct tl_resume *r_out, const char **why_out)
{
	memset(r_out, 0, sizeof(*r_out));
	if (len > TL_MAX_RESUME_FILE || nfiles > TL_MAX_FILES) {
		*why_out = "resume file too large";
		return TL_EINVAL;
	}
	/* dict + 4 keys/values + files list + 3 tokens per file */
	size_t max_toks = 16 + 3 * nfiles;
	struct benc_tok *toks = tl_calloc(max_toks, sizeof(*toks));
	struct benc_doc d;
	struct benc_err e;
	int rc = TL_EINVAL;
	const uint8_t *s;
	size_t n;
	int64_t v;
	if (benc_parse(p, len, toks, max_toks, 4, BENC_F_SORTED, &d, &e) != 0) {
		*why_out = e.what;
		goto out;
	}
	if (!benc_is(&d, 0, BENC_DICT)) {
		*why_out = "not a dictionary";
		goto out;
	}
	if (!benc_get_int(&d, benc_dict_get(&d, 0, "version"), &v) || v != RESUME_VERSION) {
		*why_out = "unknown version";
		goto out;
	}
	if (!benc_get_str(&d, benc_dict_get(&d, 0, "infohash"), &s, &n) || n != 20 ||
	    memcmp(s, expect->b, 20) != 0) {
		*why_out = "resume file of another torrent";
		goto out;
	}
	if (!benc_get_str(&d, benc_dict_get(&d, 0, "pieces"), &s, &n) || n != bits_len(npieces)) {
		*why_out = "piece bitfield of the wrong length";
		goto out;
	}
	if (npieces % 8 && (s[n - 1] & (0xffu >> (npieces % 8)))) {
		*why_out = "spare bits set in the piece bitfield";
		goto out;
	}
	long files = benc_dict_get(&d, 0, "files");
	if (!benc_is(&d, files, BENC_LIST) || d.toks[files].count != nfiles) {
		*why_out = "file list does not match the torrent";
		goto out;
	}
	r_out->infohash = *expect;
	r_out->have = tl_malloc(n ? n : 1);
	memcpy(r_out->have, s, n);
	r_out->files = tl_calloc(nfiles ? nfiles : 1, sizeof(*r_out->files));
	size_t i = (size_t)files + 1;
	for (size_t k = 0; k < nfiles; k++, i = benc_next(&d, i)) {
		int64_t size, mt;
		if (!benc_is(&d, (long)i, BENC_LIST) || d.toks[i].count != 2 ||
		    !benc_get_int(&d, (long)i + 1, &size) || !benc_get_int(&d, (long)i + 2, &mt) ||
		    size < -1) {
			*why_out = "bad file entry";
			tl_resume_clear(r_out);
			goto out;
		}
		r_out->files[k].size = size;
		r_out->files[k].mtime_ns = mt;
	}
	rc = TL_OK;
out:
	free(toks);
	return rc;
}

void tl_resume_clear(struct tl_resume *r)
{
	if (!r)
		return;
	free(r->have);
	free(r->files);
	memset(r, 0, sizeof(*r));
}

void tl_resume_encode(const struct tl_infohash *ih, const uint8_t *have, uint32_t npieces,
    const struct tl_resume_file *files, size_t nfiles, uint8_t **out, size_t *len_out)
{
	struct benc_w w;
	benc_w_init(&w);
	benc_w_dict(&w);
	benc_w_cstr(&w, "files");
	benc_w_list(&w);
	for (size_t i = 0; i < nfiles; i++) {
		benc_w_list(&w);
		benc_w_int(&w, files[i].size);
		benc_w_int(&w, files[i].mtime_ns);
		benc_w_end(&w);
	}
	benc_w_end(&w);
	benc_w_cstr(&w, "infohash");
	benc_w_str(&w, ih->b, 20);
	benc_w_cstr(&w, "pieces");
	benc_w_str(&w, have, bits_len(npieces));
	benc_w_cstr(&w, "version");
	benc_w_int(&w, RESUME_VERSION);
	benc_w_end(&w);
	if (w.err)
		abort(); /* a heap writer only fails when out of memory */
	*out = w.p;
	*len_out = w.len;
}

bool tl_resume_plan(const struct tl_layout *l, const struct tl_resume *r,
    const struct tl_resume_file *cur, uint8_t *have_out, uint8_t *check_out)
{
	size_t nb = bits_len(l->npieces);
	memset(have_out, 0, nb);
	memset(check_out, 0, nb);
	bool ok = r != NULL;
	for (size_t i = 0; ok && i < l->nfiles; i++)
		if (!l->files[i].is_pad && l->files[i].length > 0 && r->files[i].size != cur[i].size)
			ok = false;
	if (!ok) {
		memset(check_out, 0xff, nb);
		if (l->npieces % 8)
			check_out[nb - 1] = (uint8_t)(0xff00u >> (l->npieces % 8));
		return false;
	}
	memcpy(have_out, r->have, nb);
	for (size_t i = 0; i < l->nfiles; i++) {
		const struct tl_layout_file *f = &l->files[i];
		if (f->is_pad || f->length == 0 || cur[i].size < 0 ||
		    r->files[i].mtime_ns == cur[i].mtime_ns)
			continue;
		for (uint32_t p = f->first_piece; p <= f->last_piece; p++) {
			uint8_t bit = (uint8_t)(0x80u >> (p & 7));
			if (!(have_out[p >> 3] & bit))
				check_out[p >> 3] |= bit;
		}
	}
	return true;
}

void tl_resume_stat_files(struct tl_disk_store *s, size_t nfiles, struct tl_resume_file *cur_out)
{
	for (size_t i = 0; i < nfiles; i++) {
		uint64_t size;
		int64_t mt;
		if (tl_disk_store_stat(s, i, &size, &mt) == 0 && size <= INT64_MAX) {
			cur_out[i].size = (int64_t)size;
			cur_out[i].mtime_ns = mt;
		} else {
			cur_out[i].size = -1;
			cur_out[i].mtime_ns = 0;
		}
	}
}

int tl_resume_read(const char *path, uint8_t **p_out, size_t *len_out)
{
	*p_out = NULL;
	*len_out = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? TL_ENOENT : TL_EIO;
	struct stat st;
	int rc = TL_EIO;
	if (fstat(fd, &st) != 0)
		goto out;
	if ((uint64_t)st.st_size > TL_MAX_RESUME_FILE) {
		rc = TL_ELIMIT;
		goto out;
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *p = tl_malloc(n ? n : 1);
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			goto out;
		}
		got += (size_t)r;
	}
	*p_out = p;
	*len_out = n;
	rc = TL_OK;
out:
	close(fd);
	return rc;
}

int tl_resume_write_atomic(const char *path, const uint8_t *p, size_t len)
{
	char tmp[TL_MAX_PATH + 16];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return TL_ELIMIT;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		tl_warn("resume: open %s: %s", tmp, strerror(errno));
		return TL_EIO;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			tl_warn("resume: write %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return TL_EIO;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		tl_warn("resume: fsync %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return TL_EIO;
	}
	if (rename(tmp, path) != 0) {
		tl_warn("resume: rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return TL_EIO;
	}
	/* The rename is durable once the directory is synced. */
	char dir[TL_MAX_PATH + 16];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) != 0)
			tl_warn("resume: fsync of the directory of %s: %s", path, strerror(errno));
		close(dfd);
	}
	return TL_OK;
}

void tl_resume_save_work(struct tl_disk_job *job)
{
	struct tl_resume_save *sv = job->arg;
	struct tl_resume_file *cur = tl_calloc(sv->nfiles ? sv->nfiles : 1, sizeof(*cur));
	tl_resume_stat_files(sv->store, sv->nfiles, cur);
	/* A file written in the last moments may be written again within the
	 * same timestamp tick, after this stat: its mtime would not move and
	 * its new pieces would never be re-verified. Record it as unknown. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t now_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	for (size_t i = 0; i < sv->nfiles && !sv->is_quiescent; i++)
		if (cur[i].size >= 0 && now_ns - cur[i].mtime_ns < TL_RESUME_SETTLE_NS)
			cur[i].mtime_ns = -1;
	for (size_t i = 0; i < sv->nfiles && sv->is_unknown; i++)
		if (sv->is_unknown[i] && cur[i].size >= 0)
			cur[i].mtime_ns = -1;
	uint8_t *p;
	size_t len;
	tl_resume_encode(&sv->infohash, sv->have, sv->npieces, cur, sv->nfiles, &p, &len);
	sv->rc = tl_resume_write_atomic(sv->path, p, len) == TL_OK ? TL_OK : TL_EIO;
	free(p);
	free(cur);
}

void tl_resume_save_free(struct tl_resume_save *sv)
{
	if (!sv)
		return;
	free(sv->path);
	free(sv->have);
	free(sv->is_unknown);
	free(sv);
}
