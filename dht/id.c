/*
 * id.c: 160-bit ids (node ids, infohashes, BEP 44 targets): the XOR
 * distance order of BEP 5 and the hex form. Their prototypes are part of
 * the public API in dht.h; this module depends on nothing else, so the
 * routing table and the lookups can order ids without the instance.
 */
#include "dht/dht.h"

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
