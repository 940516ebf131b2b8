/* fuzz_dht_input.c: whole datagrams into a running instance with fake
 * hooks. The input is a sequence of frames [flags][len hi][len lo][bytes]
 * (a short tail is one last datagram): flags picks the sender among a few
 * endpoints (low 3 bits), advances the clock and runs dht_periodic (0x80),
 * or sends from IPv6 (0x40). Everything the instance sends must be at most
 * 1024 bytes, or 1452 for a BEP 44 put or get reply carrying a value, and
 * must decode as KRPC. A BEP 44 get and a put (of a 1000-byte value) run
 * besides two searches; the put's report must add up. Randomness is a
 * fixed sequence, so the transaction ids of our queries can be learnt by
 * the fuzzer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dht/benc.h"
#include "dht/bep44.h"
#include "dht/dht.h"
#include "dht/krpc.h"
#include "fuzz.h"

static uint64_t rng;

static void fz_random(void *ud, void *buf, size_t n)
{
	(void)ud;
	uint8_t *b = buf;
	for (size_t i = 0; i < n; i++) {
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		b[i] = (uint8_t)(rng >> 56);
	}
}

static int fz_send(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	static struct krpc_msg m;
	(void)ud, (void)to, (void)tolen;
	if (len > KRPC_MAX_OUT_ITEM || krpc_decode(buf, len, &m, NULL) != 0)
		abort();
	if (len > KRPC_MAX_OUT) {
		/* only a put query or a get reply with v may be larger */
		struct benc_tok toks[KRPC_MAX_TOKENS];
		struct benc_doc d;
		if (benc_parse(buf, len, toks, KRPC_MAX_TOKENS, KRPC_MAX_DEPTH, 0, &d, NULL) != 0)
			abort();
		long r = benc_dict_get(&d, 0, "r");
		if (bep44_method(buf, len) != 2 && (r < 0 || benc_dict_get(&d, (size_t)r, "v") < 0))
			abort();
	}
	return 0;
}

/* SHA-1 is not in libdht; any 20-byte hash exercises the same paths. */
static void fz_hash(void *ud, uint8_t out[20], const void *p, size_t n)
{
	(void)ud;
	crypto_generichash(out, 20, p, n, NULL, 0);
}

static void fz_item(void *ud, uint32_t sid, const struct dht_id *target,
    const struct dht_item *item, const struct dht_put_report *put)
{
	(void)ud, (void)sid, (void)target;
	if (item && item->v_len > DHT_ITEM_MAX_V)
		abort();
	if (put && (put->sent > 8 || put->stored + put->errors > put->sent ||
	    put->ncodes > DHT_PUT_MAX_CODES))
		abort();
}

static void fz_peers(void *ud, uint32_t sid, const struct dht_id *ih, int af, const uint8_t *peers,
    size_t n, bool is_done)
{
	(void)ud, (void)sid, (void)ih, (void)af;
	if (is_done && n)
		abort();
	for (size_t i = 0; i < n * 6; i++)
		(void)peers[i];
}

static void from_addr(uint8_t flags, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (flags & 0x40) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[0] = 0x20;
		s6->sin6_addr.s6_addr[15] = (uint8_t)(flags & 7);
		s6->sin6_port = htons(6881);
		*len = sizeof(*s6);
		return;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(0x01020300u | (flags & 7));
	s4->sin_port = htons(6881);
	*len = sizeof(*s4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dht_config c = { 0 };
	c.send = fz_send;
	c.random = fz_random;
	c.sha1 = fz_hash;
	c.max_infohashes = 64;
	c.max_peers_per_infohash = 16;
	rng = 1;
	int64_t now = 1000000;
	struct dht *d = dht_new(&c, now, NULL);
	if (!d)
		return 0;
	/* Something outstanding to answer: pings and two searches. */
	struct sockaddr_storage ss;
	socklen_t sl;
	for (uint8_t k = 0; k < 4; k++) {
		from_addr(k, &ss, &sl);
		dht_add_node(d, (struct sockaddr *)&ss, sl, now);
	}
	from_addr(0x40, &ss, &sl);
	dht_add_node(d, (struct sockaddr *)&ss, sl, now);
	struct dht_id ih;
	memset(ih.b, 0x11, 20);
	dht_search(d, &ih, AF_INET, 6881, false, fz_peers, NULL, now, NULL);
	dht_search(d, &ih, AF_INET6, 0, false, fz_peers, NULL, now, NULL);
	static uint8_t big[DHT_ITEM_MAX_V];
	memcpy(big, "996:", 4);
	memset(big + 4, 'v', sizeof(big) - 4);
	struct dht_item it = { .v = big, .v_len = sizeof(big) };
	dht_put_item(d, &it, AF_INET, fz_item, NULL, now, NULL);
	dht_get_item(d, &ih, NULL, 0, AF_INET, fz_item, NULL, now, NULL);

	size_t off = 0;
	while (off < size) {
		uint8_t flags = data[off];
		size_t len;
		const uint8_t *p;
		if (size - off >= 3) {
			len = (size_t)data[off + 1] << 8 | data[off + 2];
			off += 3;
			if (len > size - off)
				len = size - off;
		} else {
			len = size - off - 1;
			off += 1;
		}
		p = data + off;
		off += len;
		from_addr(flags, &ss, &sl);
		dht_input(d, (struct sockaddr *)&ss, sl, p, len, now);
		if (flags & 0x80) {
			now += 700;
			dht_periodic(d, now);
		}
	}
	now += 10000;
	dht_periodic(d, now);
	struct dht_stats st;
	dht_get_stats(d, &st);
	uint8_t *blob;
	size_t blen;
	if (dht_save(d, &blob, &blen) == DHT_OK)
		free(blob);
	dht_free(d);
	return 0;
}
