/*
 * persist.c: saving and restoring an instance's identity and good nodes
 * (format in persist.h), and writing it to a file atomically: a temporary
 * file in the same directory, fsync, rename, then fsync of the directory.
 */
#include "dht/persist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dht/benc.h"

#define PERSIST_VERSION 1
#define PERSIST_MAX_TOKENS 64u

int dht_save(const struct dht *d, uint8_t **buf_out, size_t *len_out)
{
	static const char *const idk[2] = { "id", "id6" }, *const ipk[2] = { "ip", "ip6" };
	static const char *const nk[2] = { "nodes", "nodes6" };
	static const int afs[2] = { AF_INET, AF_INET6 };
	static const size_t nlen[2] = { DHT_COMPACT_NODE4, DHT_COMPACT_NODE6 };
	uint8_t *nodes[2] = { NULL, NULL };
	size_t nn[2] = { 0, 0 };
	struct benc_w w;
	int rc = DHT_ENOMEM;

	*buf_out = NULL;
	*len_out = 0;
	if (!d)
		return DHT_EINVAL;
	for (int i = 0; i < 2; i++) {
		if (!dht_serves(d, afs[i]))
			continue;
		nodes[i] = malloc(DHT_SAVE_MAX_NODES * nlen[i]);
		if (!nodes[i])
			goto out;
		nn[i] = dht_compact_nodes(d, afs[i], nodes[i], DHT_SAVE_MAX_NODES);
	}
	benc_w_init(&w);
	benc_w_dict(&w);
	/* Keys in canonical order: id id6 ip ip6 nodes nodes6 v. */
	for (int i = 0; i < 2; i++) {
		const struct dht_id *id = dht_my_id(d, afs[i]);
		if (id) {
			benc_w_cstr(&w, idk[i]);
			benc_w_str(&w, id->b, 20);
		}
	}
	for (int i = 0; i < 2; i++) {
		struct dht_addr ext;
		if (dht_external_addr(d, afs[i], &ext)) {
			benc_w_cstr(&w, ipk[i]);
			benc_w_str(&w, ext.ip, dht_addr_iplen(&ext));
		}
	}
	for (int i = 0; i < 2; i++) {
		if (nodes[i]) {
			benc_w_cstr(&w, nk[i]);
			benc_w_str(&w, nodes[i], nn[i] * nlen[i]);
		}
	}
	benc_w_cstr(&w, "v");
	benc_w_int(&w, PERSIST_VERSION);
	benc_w_end(&w);
	if (w.err) {
		benc_w_clear(&w);
		goto out;
	}
	*buf_out = w.p;
	*len_out = w.len;
	rc = DHT_OK;
out:
	free(nodes[0]);
	free(nodes[1]);
	return rc;
}

int dht_load(struct dht *d, const uint8_t *buf, size_t len, int64_t now_ms)
{
	static const char *const idk[2] = { "id", "id6" }, *const ipk[2] = { "ip", "ip6" };
	static const char *const nk[2] = { "nodes", "nodes6" };
	static const int afs[2] = { AF_INET, AF_INET6 };
	static const size_t nlen[2] = { DHT_COMPACT_NODE4, DHT_COMPACT_NODE6 };
	struct benc_tok toks[PERSIST_MAX_TOKENS];
	struct benc_doc doc;
	int64_t ver;

	if (!d || (!buf && len))
		return DHT_EINVAL;
	if (len > DHT_PERSIST_MAX_FILE ||
	    benc_parse(buf, len, toks, PERSIST_MAX_TOKENS, 2, BENC_F_SORTED, &doc, NULL) != 0 ||
	    !benc_is(&doc, 0, BENC_DICT) || !benc_get_int(&doc, benc_dict_get(&doc, 0, "v"), &ver) ||
	    ver != PERSIST_VERSION)
		return DHT_EMALFORMED;
	/* Check every field before changing anything. */
	const uint8_t *id[2] = { NULL, NULL }, *ip[2] = { NULL, NULL }, *nodes[2] = { NULL, NULL };
	size_t n;
	size_t nodes_len[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		long k = benc_dict_get(&doc, 0, idk[i]);
		if (k >= 0 && (!benc_get_str(&doc, k, &id[i], &n) || n != 20))
			return DHT_EMALFORMED;
		k = benc_dict_get(&doc, 0, ipk[i]);
		if (k >= 0 && (!benc_get_str(&doc, k, &ip[i], &n) || n != (i ? 16u : 4u)))
			return DHT_EMALFORMED;
		k = benc_dict_get(&doc, 0, nk[i]);
		if (k >= 0 && (!benc_get_str(&doc, k, &nodes[i], &nodes_len[i]) ||
		    nodes_len[i] % nlen[i] != 0 || nodes_len[i] / nlen[i] > DHT_SAVE_MAX_NODES))
			return DHT_EMALFORMED;
	}
	for (int i = 0; i < 2; i++) {
		if (!dht_serves(d, afs[i]))
			continue;
		if (id[i]) {
			struct dht_id nid;
			struct dht_addr ext = { .family = (uint8_t)afs[i] };
			memcpy(nid.b, id[i], 20);
			if (ip[i])
				memcpy(ext.ip, ip[i], i ? 16 : 4);
			(void)dht_restore_id(d, afs[i], &nid, ip[i] ? &ext : NULL, now_ms);
		}
		for (size_t off = 0; off < nodes_len[i]; off += nlen[i]) {
			struct dht_addr a;
			struct sockaddr_storage ss;
			if (dht_addr_get_compact(afs[i], nodes[i] + off + 20, nlen[i] - 20, &a) != 0)
				continue;
			socklen_t sl = dht_addr_to_sa(&a, &ss);
			(void)dht_add_node(d, (const struct sockaddr *)&ss, sl, now_ms);
		}
	}
	return DHT_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int dht_save_file(const struct dht *d, const char *path)
{
	uint8_t *buf;
	size_t len;
	char tmp[4096];
	int rc = dht_save(d, &buf, &len);
	if (rc != DHT_OK)
		return rc;
	rc = DHT_EIO;
	int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		goto out;
	}
	/* Make the rename itself durable. */
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) : 0;
	if (dl == 0 && slash)
		dl = 1;
	if (dl < sizeof(dir)) {
		memcpy(dir, slash ? path : ".", slash ? dl : 1);
		dir[slash ? dl : 1] = '\0';
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	rc = DHT_OK;
out:
	free(buf);
	return rc;
}

int dht_load_file(struct dht *d, const char *path, int64_t now_ms)
{
	const size_t cap = DHT_PERSIST_MAX_FILE + 1;
	size_t len = 0;
	int rc = DHT_EIO;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return DHT_EIO;
	uint8_t *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return DHT_ENOMEM;
	}
	while (len < cap) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = len > DHT_PERSIST_MAX_FILE ? DHT_EMALFORMED : dht_load(d, buf, len, now_ms);
out:
	free(buf);
	if (close(fd) != 0 && rc == DHT_OK)
		rc = DHT_EIO;
	return rc;
}
