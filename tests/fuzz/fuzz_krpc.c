/* fuzz_krpc.c: the KRPC decoder. Every accepted message must have the
 * shapes the decoder promises, point only inside the input, and survive
 * re-encoding (which must decode again and stay within 1024 bytes). */
#include <stdlib.h>
#include <string.h>

#include "dht/krpc.h"
#include "fuzz.h"

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
	if (len && (!p || p < data || p + len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct krpc_msg m, m2;
	const char *why = NULL;
	uint8_t out[KRPC_MAX_OUT];

	if (krpc_decode(data, size, &m, &why) != 0) {
		if (!why)
			abort();
		return 0;
	}
	if (m.tid_len > KRPC_MAX_TID || m.token_len > KRPC_MAX_TOKEN ||
	    m.nodes_len % DHT_COMPACT_NODE4 || m.nodes6_len % DHT_COMPACT_NODE6 ||
	    m.nvalues > KRPC_MAX_VALUES)
		abort();
	inside(data, size, m.tid, m.tid_len);
	inside(data, size, m.token, m.token_len);
	inside(data, size, m.nodes, m.nodes_len);
	inside(data, size, m.nodes6, m.nodes6_len);
	inside(data, size, m.v, m.v_len);
	for (size_t i = 0; i < m.nvalues; i++) {
		if (m.values[i].len != 6 && m.values[i].len != 18)
			abort();
		inside(data, size, m.values[i].p, m.values[i].len);
	}
	struct krpc_hdr h = { .tid = m.tid, .tid_len = m.tid_len, .ip = m.has_ip ? &m.ip : NULL,
		.is_read_only = m.is_read_only };
	size_t n = 0;
	if (m.type == KRPC_QUERY && m.method != KRPC_UNKNOWN) {
		struct krpc_query q = { .method = m.method, .id = &m.id, .target = &m.target,
			.want = m.want, .token = m.token, .token_len = m.token_len, .port = m.port,
			.implied_port = m.implied_port, .seed = m.seed };
		n = krpc_encode_query(&h, &q, out, sizeof(out));
	} else if (m.type == KRPC_REPLY) {
		uint8_t vals[KRPC_MAX_VALUES * 6];
		size_t nv = 0;
		for (size_t i = 0; i < m.nvalues; i++)
			if (m.values[i].len == 6)
				memcpy(vals + 6 * nv++, m.values[i].p, 6);
		struct krpc_reply r = { .id = &m.id, .nodes = m.nodes, .nodes_len = m.nodes_len,
			.nodes6 = m.nodes6, .nodes6_len = m.nodes6_len, .token = m.token,
			.token_len = m.token_len, .values = vals, .nvalues = nv, .value_len = 6 };
		n = krpc_encode_reply(&h, &r, out, sizeof(out));
	}
	if (n > KRPC_MAX_OUT)
		abort();
	if (n && krpc_decode(out, n, &m2, &why) != 0)
		abort();
	return 0;
}
