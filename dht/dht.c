/*
 * dht.c: the instance (placeholder that keeps the API linkable while the
 * modules behind it are written): creation, ids, and inert entry points.
 */
#include "dht/dht.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct dht {
	struct dht_config cfg;
	struct dht_id id[2];
	struct dht_stats stats;
};

const char *dht_strerror(enum dht_err err)
{
	switch (err) {
	case DHT_OK: return "ok";
	case DHT_EINVAL: return "invalid argument";
	case DHT_ENOMEM: return "out of memory";
	case DHT_EFULL: return "table full";
	case DHT_ENOTFOUND: return "not found";
	case DHT_EMALFORMED: return "malformed input";
	case DHT_EIO: return "i/o error";
	case DHT_EREADONLY: return "read-only node";
	}
	return "unknown error";
}

struct dht *dht_new(const struct dht_config *cfg, int64_t now_ms, enum dht_err *err_out)
{
	(void)now_ms;
	if (!cfg || !cfg->send || !cfg->random) {
		if (err_out)
			*err_out = DHT_EINVAL;
		return NULL;
	}
	struct dht *d = calloc(1, sizeof(*d));
	if (!d) {
		if (err_out)
			*err_out = DHT_ENOMEM;
		return NULL;
	}
	d->cfg = *cfg;
	cfg->random(cfg->ud, d->id, sizeof(d->id));
	if (err_out)
		*err_out = DHT_OK;
	return d;
}

void dht_free(struct dht *dht)
{
	free(dht);
}

int dht_input(struct dht *dht, const struct sockaddr *from, socklen_t fromlen, const uint8_t *buf,
    size_t len, int64_t now_ms)
{
	(void)fromlen, (void)buf, (void)now_ms;
	if (!dht || !from)
		return DHT_EINVAL;
	dht->stats.packets_in++;
	dht->stats.bytes_in += len;
	return DHT_OK;
}

int64_t dht_periodic(struct dht *dht, int64_t now_ms)
{
	(void)dht;
	return now_ms + 1000;
}

int dht_add_node(struct dht *dht, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	(void)dht, (void)sa, (void)salen, (void)now_ms;
	return DHT_OK;
}

int dht_search(struct dht *dht, const struct dht_id *infohash, int af, uint16_t announce_port,
    bool is_seed, dht_peers_fn cb, void *ud, int64_t now_ms, uint32_t *search_id_out)
{
	(void)dht, (void)infohash, (void)af, (void)announce_port, (void)is_seed, (void)cb, (void)ud;
	(void)now_ms, (void)search_id_out;
	return DHT_EFULL;
}

int dht_find_node(struct dht *dht, const struct dht_id *target, int af, dht_peers_fn cb, void *ud,
    int64_t now_ms, uint32_t *search_id_out)
{
	(void)dht, (void)target, (void)af, (void)cb, (void)ud, (void)now_ms, (void)search_id_out;
	return DHT_EFULL;
}

int dht_search_cancel(struct dht *dht, uint32_t search_id)
{
	(void)dht, (void)search_id;
	return DHT_ENOTFOUND;
}

void dht_get_stats(const struct dht *dht, struct dht_stats *out)
{
	*out = dht->stats;
}

size_t dht_nodes(const struct dht *dht, int af, struct sockaddr_storage *out, size_t max)
{
	(void)dht, (void)af, (void)out, (void)max;
	return 0;
}

const struct dht_id *dht_my_id(const struct dht *dht, int af)
{
	return &dht->id[af == AF_INET6];
}

bool dht_is_ready(const struct dht *dht, int af)
{
	(void)dht, (void)af;
	return false;
}

int dht_set_external_ip(struct dht *dht, const struct sockaddr *sa, socklen_t salen, int64_t now_ms)
{
	(void)dht, (void)sa, (void)salen, (void)now_ms;
	return DHT_OK;
}

int dht_save(const struct dht *dht, uint8_t **buf_out, size_t *len_out)
{
	(void)dht;
	*buf_out = NULL;
	*len_out = 0;
	return DHT_ENOMEM;
}

int dht_load(struct dht *dht, const uint8_t *buf, size_t len, int64_t now_ms)
{
	(void)dht, (void)buf, (void)len, (void)now_ms;
	return DHT_EMALFORMED;
}

int dht_save_file(const struct dht *dht, const char *path)
{
	(void)dht, (void)path;
	errno = ENOSYS;
	return DHT_EIO;
}

int dht_load_file(struct dht *dht, const char *path, int64_t now_ms)
{
	(void)dht, (void)path, (void)now_ms;
	errno = ENOENT;
	return DHT_EIO;
}

void dht_id_hex(const struct dht_id *id, char out[41])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < 20; i++) {
		out[2 * i] = hex[id->b[i] >> 4];
		out[2 * i + 1] = hex[id->b[i] & 15];
	}
	out[40] = '\0';
}

int dht_id_cmp_dist(const struct dht_id *target, const struct dht_id *a, const struct dht_id *b)
{
	for (size_t i = 0; i < 20; i++) {
		uint8_t x = a->b[i] ^ target->b[i], y = b->b[i] ^ target->b[i];
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}
