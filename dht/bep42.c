/*
 * bep42.c: BEP 42 ids and the external-address vote. See bep42.h.
 */
#include "dht/bep42.h"

#include <string.h>

/* Bitwise CRC32C (Castagnoli polynomial, reflected). The inputs are 4 to
 * 8 bytes, so a table would buy nothing and would need initialising
 * shared state. */
uint32_t dht_crc32c(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return c ^ 0xffffffffu;
}

/* CRC32C of the masked address with r (0..7) in the top three bits. */
static uint32_t masked_crc(const struct dht_addr *ip, unsigned r)
{
	static const uint8_t m4[4] = { 0x03, 0x0f, 0x3f, 0xff };
	static const uint8_t m6[8] = { 0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff };
	uint8_t in[8];
	size_t n = ip->family == AF_INET6 ? 8 : 4;
	const uint8_t *mask = n == 8 ? m6 : m4;
	for (size_t i = 0; i < n; i++)
		in[i] = ip->ip[i] & mask[i];
	in[0] |= (uint8_t)(r << 5);
	return dht_crc32c(in, n);
}

void bep42_make_id(const struct dht_addr *ip, const uint8_t rnd[20], struct dht_id *out)
{
	unsigned r = rnd[19] & 7;
	uint32_t crc = masked_crc(ip, r);
	memcpy(out->b, rnd, 20);
	out->b[0] = (uint8_t)(crc >> 24);
	out->b[1] = (uint8_t)(crc >> 16);
	out->b[2] = (uint8_t)(((crc >> 8) & 0xf8) | (rnd[2] & 7));
}

bool bep42_check(const struct dht_id *id, const struct dht_addr *ip)
{
	if (dht_addr_is_local(ip))
		return true;
	uint32_t crc = masked_crc(ip, id->b[19] & 7);
	return id->b[0] == (uint8_t)(crc >> 24) && id->b[1] == (uint8_t)(crc >> 16) &&
	    (id->b[2] & 0xf8) == ((crc >> 8) & 0xf8);
}

void bep42_vote_init(struct bep42_vote *v)
{
	memset(v, 0, sizeof(*v));
}

static void new_round(struct bep42_vote *v)
{
	memset(v->cand, 0, sizeof(v->cand));
	v->nvoters = 0;
	v->voter_next = 0;
}

bool bep42_vote_add(struct bep42_vote *v, const struct dht_addr *voter,
    const struct dht_addr *voted)
{
	struct dht_addr ip = *voted;
	ip.port = 1; /* the martian check looks at the address, not the port */
	if (voter->family != ip.family || dht_addr_is_local(&ip) || dht_addr_is_martian(&ip))
		return false;
	ip.port = 0;
	for (size_t i = 0; i < v->nvoters; i++) {
		if (dht_addr_ip_eq(&v->voters[i], voter))
			return false;
	}
	v->voters[v->voter_next] = *voter;
	v->voter_next = (v->voter_next + 1) % BEP42_VOTERS;
	if (v->nvoters < BEP42_VOTERS)
		v->nvoters++;

	size_t slot = BEP42_CANDIDATES, weakest = 0;
	for (size_t i = 0; i < BEP42_CANDIDATES; i++) {
		if (v->cand[i].votes && dht_addr_ip_eq(&v->cand[i].ip, &ip))
			slot = i;
		if (v->cand[i].votes < v->cand[weakest].votes)
			weakest = i;
	}
	if (slot == BEP42_CANDIDATES) {
		/* A newcomer replaces the weakest candidate: liars spread over
		 * many addresses cannot crowd out the real one for long. */
		slot = weakest;
		v->cand[slot].ip = ip;
		v->cand[slot].votes = 0;
	}
	if (++v->cand[slot].votes < BEP42_VOTES_TO_SETTLE)
		return false;
	bool is_new = !v->has_settled || !dht_addr_ip_eq(&v->settled, &ip);
	v->settled = ip;
	v->has_settled = true;
	new_round(v);
	return is_new;
}
