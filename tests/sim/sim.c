/*
 * sim.c: the DHT simulator (see sim.h). Nodes live in one array; the
 * address map is an open-addressing table from IPv4 address to node index
 * (addresses are never reused, so entries are never removed). Each node
 * has at most one live wake-up event: the event carries the wake time it
 * was queued for and is ignored when the node has since been rescheduled.
 */
#include "sim.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_heap.h"

/* The core sees this as time zero of the simulation: a monotonic clock
 * that has been running for a while, as on a real host. */
#define SIM_EPOCH_MS 1000000

/* NAT mappings a node remembers: probed in a small window, oldest
 * replaced. 1024 covers the peers one node talks to within a minute. */
#define NAT_SLOTS 1024u
#define NAT_PROBES 8u

#define SIM_PORT 6881

enum ev_kind {
	EV_DELIVER = 1,
	EV_WAKE,
	EV_TIMER,
	EV_BOOT_CHECK,
};

/* The libevent adapter's join policy (dht_event.c), so simulated nodes
 * behave as deployed ones: while the table is not ready (fewer than 8
 * good nodes) the bootstrap contact is offered again after 1 s, doubling
 * up to 60 s; once the table
 * is ready, one find_node toward each of the first JOIN_BITS regions of
 * the id space (our id with bit i flipped). Checked every second. */
#define BOOT_RETRY_MIN_MS 1000
#define BOOT_RETRY_MAX_MS 60000
#define JOIN_BITS 16

struct nat_slot {
	uint32_t ip;
	int64_t last_ms;
};

struct sim_node {
	struct sim *s;
	uint32_t idx;
	struct dht *dht;
	struct sockaddr_in addr;
	struct dht_id id;
	struct sim_rng rng;
	int64_t wake_ms; /* time of the live wake-up event, or -1 */
	uint32_t boot_via;      /* bootstrap contact, SIM_NONE when none */
	int64_t boot_retry_ms;  /* next retry delay while the table is empty */
	int64_t next_retry_ms;  /* when the contact is offered again */
	bool is_refreshed;      /* the join refresh was started */
	bool is_alive;
	bool is_nat;
	struct nat_slot *nat;
};

struct packet {
	uint32_t from;
	uint32_t to;
	size_t len;
	uint8_t b[];
};

struct timer {
	sim_timer_fn fn;
	void *ud;
};

struct sim {
	struct sim_config cfg;
	struct sim_rng rng;      /* network: loss, addresses, NAT choice */
	struct sim_rng user_rng; /* for the caller */
	struct sim_heap heap;
	uint64_t now_us;
	uint64_t link_seed;
	struct sim_node **nodes;
	size_t n_nodes, cap_nodes;
	uint32_t *addr_map; /* node index + 1, 0 = empty */
	uint32_t *addr_key;
	size_t addr_cap;
	sim_packet_fn observer;
	void *observer_ud;
	struct sim_stats stats;
};

static int64_t now_ms(const struct sim *s)
{
	return (int64_t)(s->now_us / 1000);
}

int64_t sim_now_ms(const struct sim *s)
{
	return now_ms(s);
}

static size_t addr_slot(const struct sim *s, uint32_t ip)
{
	size_t mask = s->addr_cap - 1;
	size_t i = sim_mix64(ip) & mask;
	while (s->addr_map[i] != 0 && s->addr_key[i] != ip)
		i = (i + 1) & mask;
	return i;
}

static int addr_grow(struct sim *s)
{
	size_t ncap = s->addr_cap ? s->addr_cap * 2 : 4096;
	uint32_t *nmap = calloc(ncap, sizeof(*nmap));
	uint32_t *nkey = calloc(ncap, sizeof(*nkey));
	if (!nmap || !nkey) {
		free(nmap);
		free(nkey);
		return -1;
	}
	uint32_t *omap = s->addr_map, *okey = s->addr_key;
	size_t ocap = s->addr_cap;
	s->addr_map = nmap;
	s->addr_key = nkey;
	s->addr_cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (omap[i] == 0)
			continue;
		size_t j = addr_slot(s, okey[i]);
		nmap[j] = omap[i];
		nkey[j] = okey[i];
	}
	free(omap);
	free(okey);
	return 0;
}

uint32_t sim_find(const struct sim *s, uint32_t ip_be, uint16_t port_be)
{
	if (s->addr_cap == 0)
		return SIM_NONE;
	uint32_t ip = ntohl(ip_be);
	size_t i = addr_slot(s, ip);
	if (s->addr_map[i] == 0)
		return SIM_NONE;
	uint32_t idx = s->addr_map[i] - 1;
	if (s->nodes[idx]->addr.sin_port != port_be)
		return SIM_NONE;
	return idx;
}

/* A public unicast address: outside the private, loopback, link-local,
 * shared, multicast and reserved ranges that a core may refuse. */
static bool is_public(uint32_t ip)
{
	uint8_t a = (uint8_t)(ip >> 24), b = (uint8_t)(ip >> 16);
	if (a == 0 || a == 10 || a == 127 || a >= 224)
		return false;
	if (a == 100 && (b & 0xc0) == 64)
		return false;
	if (a == 169 && b == 254)
		return false;
	if (a == 172 && (b & 0xf0) == 16)
		return false;
	if (a == 192 && b == 168)
		return false;
	if (a == 192 && b == 0)
		return false;
	if (a == 198 && (b == 18 || b == 19 || b == 51))
		return false;
	if (a == 203 && b == 0)
		return false;
	return (ip & 0xff) != 0 && (ip & 0xff) != 255;
}

static uint32_t new_address(struct sim *s)
{
	for (;;) {
		uint32_t ip = (uint32_t)sim_rng_next(&s->rng);
		if (!is_public(ip))
			continue;
		if (s->addr_cap && s->addr_map[addr_slot(s, ip)] != 0)
			continue;
		return ip;
	}
}

/* One-way delay of the link a-b in µs: a fixed lognormal draw keyed by
 * the unordered pair, so both directions agree and nothing is stored. */
static uint64_t link_delay_us(const struct sim *s, uint32_t ip_a, uint32_t ip_b)
{
	uint32_t lo = ip_a < ip_b ? ip_a : ip_b, hi = ip_a < ip_b ? ip_b : ip_a;
	uint64_t h1 = sim_mix64(s->link_seed ^ ((uint64_t)lo << 32 | hi));
	uint64_t h2 = sim_mix64(h1);
	double u1 = (double)((h1 >> 11) + 1) * 0x1.0p-53;
	double u2 = (double)(h2 >> 11) * 0x1.0p-53;
	double n = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	double sigma = s->cfg.rtt_sigma < 0 ? 0 : s->cfg.rtt_sigma;
	double one_way_ms = s->cfg.rtt_median_ms / 2.0 * exp(sigma * n);
	uint64_t us = (uint64_t)(one_way_ms * 1000.0);
	return us > 0 ? us : 1;
}

static void nat_note(struct sim_node *n, uint32_t peer_ip)
{
	int64_t t = now_ms(n->s);
	size_t base = sim_mix64(peer_ip) & (NAT_SLOTS - 1);
	size_t oldest = base;
	for (size_t k = 0; k < NAT_PROBES; k++) {
		size_t i = (base + k) & (NAT_SLOTS - 1);
		if (n->nat[i].ip == peer_ip || n->nat[i].last_ms == 0) {
			n->nat[i].ip = peer_ip;
			n->nat[i].last_ms = t;
			return;
		}
		if (n->nat[i].last_ms < n->nat[oldest].last_ms)
			oldest = i;
	}
	n->nat[oldest].ip = peer_ip;
	n->nat[oldest].last_ms = t;
}

static bool nat_open(const struct sim_node *n, uint32_t peer_ip)
{
	int64_t t = now_ms(n->s);
	size_t base = sim_mix64(peer_ip) & (NAT_SLOTS - 1);
	for (size_t k = 0; k < NAT_PROBES; k++) {
		size_t i = (base + k) & (NAT_SLOTS - 1);
		if (n->nat[i].ip == peer_ip && n->nat[i].last_ms != 0)
			return t - n->nat[i].last_ms <= (int64_t)n->s->cfg.nat_window_ms;
	}
	return false;
}

static void push_or_die(struct sim *s, const struct sim_event *ev)
{
	if (sim_heap_push(&s->heap, ev) != 0) {
		fprintf(stderr, "sim: out of memory\n");
		abort();
	}
}

static int send_hook(void *ud, const struct sockaddr *to, socklen_t tolen, const uint8_t *buf,
    size_t len)
{
	struct sim_node *n = ud;
	struct sim *s = n->s;
	if (to->sa_family != AF_INET || tolen < sizeof(struct sockaddr_in))
		return -1;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
	uint32_t dst = sim_find(s, sin->sin_addr.s_addr, sin->sin_port);
	s->stats.sent++;
	s->stats.bytes += len;
	if (n->is_nat)
		nat_note(n, ntohl(sin->sin_addr.s_addr));
	if (s->observer)
		s->observer(s->observer_ud, s, n->idx, dst, buf, len);
	if (dst == SIM_NONE) {
		s->stats.to_dead++;
		return 0;
	}
	if (s->cfg.loss > 0 && sim_rng_unit(&s->rng) < s->cfg.loss) {
		s->stats.lost++;
		return 0;
	}
	struct packet *p = malloc(sizeof(*p) + len);
	if (!p)
		return -1;
	p->from = n->idx;
	p->to = dst;
	p->len = len;
	memcpy(p->b, buf, len);
	uint64_t delay = link_delay_us(s, ntohl(n->addr.sin_addr.s_addr), ntohl(sin->sin_addr.s_addr));
	struct sim_event ev = { .at = s->now_us + delay, .kind = EV_DELIVER, .node = dst, .data = p };
	push_or_die(s, &ev);
	return 0;
}

static void random_hook(void *ud, void *buf, size_t n)
{
	struct sim_node *node = ud;
	sim_rng_bytes(&node->rng, buf, n);
}

static void event_hook(void *ud, const struct dht_event *ev)
{
	struct sim_node *n = ud;
	if (ev->type == DHT_EV_LOG && n->s->cfg.is_verbose && ev->level >= DHT_LOG_WARN)
		fprintf(stderr, "[%lld node %u] %s\n", (long long)now_ms(n->s), n->idx, ev->msg);
}

static void schedule(struct sim_node *n, int64_t at_ms)
{
	int64_t now = now_ms(n->s);
	if (at_ms <= now)
		at_ms = now + 1;
	if (n->wake_ms >= 0 && n->wake_ms <= at_ms)
		return;
	n->wake_ms = at_ms;
	struct sim_event ev = { .at = (uint64_t)at_ms * 1000, .kind = EV_WAKE, .node = n->idx,
		.arg = (uint64_t)at_ms };
	push_or_die(n->s, &ev);
}

void sim_touch(struct sim *s, uint32_t node)
{
	struct sim_node *n = s->nodes[node];
	if (!n->is_alive)
		return;
	schedule(n, dht_periodic(n->dht, now_ms(s)));
}

struct sim *sim_new(const struct sim_config *cfg)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	if (s->cfg.rtt_median_ms <= 0)
		s->cfg.rtt_median_ms = 100;
	if (s->cfg.rtt_sigma == 0)
		s->cfg.rtt_sigma = 0.6;
	if (s->cfg.nat_window_ms == 0)
		s->cfg.nat_window_ms = 60000;
	sim_rng_seed(&s->rng, cfg->seed);
	sim_rng_fork(&s->rng, 0x75736572, &s->user_rng);
	s->link_seed = sim_rng_next(&s->rng);
	s->now_us = (uint64_t)SIM_EPOCH_MS * 1000;
	sim_heap_init(&s->heap);
	if (addr_grow(s) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	struct sim_event ev;
	while (sim_heap_pop(&s->heap, &ev))
		free(ev.data);
	sim_heap_clear(&s->heap);
	for (size_t i = 0; i < s->n_nodes; i++) {
		dht_free(s->nodes[i]->dht);
		free(s->nodes[i]->nat);
		free(s->nodes[i]);
	}
	free(s->nodes);
	free(s->addr_map);
	free(s->addr_key);
	free(s);
}

uint32_t sim_spawn(struct sim *s)
{
	if (s->n_nodes == s->cap_nodes) {
		size_t ncap = s->cap_nodes ? s->cap_nodes * 2 : 256;
		struct sim_node **nv = realloc(s->nodes, ncap * sizeof(*nv));
		if (!nv)
			return SIM_NONE;
		s->nodes = nv;
		s->cap_nodes = ncap;
	}
	if ((s->n_nodes + 1) * 2 > s->addr_cap && addr_grow(s) != 0)
		return SIM_NONE;
	struct sim_node *n = calloc(1, sizeof(*n));
	if (!n)
		return SIM_NONE;
	n->s = s;
	n->idx = (uint32_t)s->n_nodes;
	n->wake_ms = -1;
	n->boot_via = SIM_NONE;
	sim_rng_fork(&s->rng, n->idx, &n->rng);
	uint32_t ip = new_address(s);
	n->addr.sin_family = AF_INET;
	n->addr.sin_addr.s_addr = htonl(ip);
	n->addr.sin_port = htons(SIM_PORT);
	n->is_nat = s->cfg.nat_fraction > 0 && sim_rng_unit(&s->rng) < s->cfg.nat_fraction;
	if (n->is_nat && !(n->nat = calloc(NAT_SLOTS, sizeof(*n->nat)))) {
		free(n);
		return SIM_NONE;
	}
	struct dht_config dc = s->cfg.dht;
	dc.family_mask = DHT_F_INET;
	dc.send = send_hook;
	dc.random = random_hook;
	dc.event = event_hook;
	dc.sha1 = NULL;
	dc.ud = n;
	enum dht_err err;
	n->dht = dht_new(&dc, now_ms(s), &err);
	if (!n->dht) {
		free(n->nat);
		free(n);
		return SIM_NONE;
	}
	/* As on the Internet, the node's id matches its address (BEP 42): what
	 * the external-IP vote would settle on after its first replies. */
	dht_set_external_ip(n->dht, (const struct sockaddr *)&n->addr, sizeof(n->addr), now_ms(s));
	n->id = *dht_my_id(n->dht, AF_INET);
	n->is_alive = true;
	s->nodes[s->n_nodes++] = n;
	size_t slot = addr_slot(s, ip);
	s->addr_map[slot] = n->idx + 1;
	s->addr_key[slot] = ip;
	sim_touch(s, n->idx);
	return n->idx;
}

static void boot_check_at(struct sim_node *n, int64_t at_ms)
{
	struct sim_event ev = { .at = (uint64_t)at_ms * 1000, .kind = EV_BOOT_CHECK, .node = n->idx };
	push_or_die(n->s, &ev);
}

void sim_bootstrap(struct sim *s, uint32_t node, uint32_t via)
{
	struct sim_node *n = s->nodes[node];
	if (!n->is_alive)
		return;
	const struct sim_node *v = s->nodes[via];
	dht_add_node(n->dht, (const struct sockaddr *)&v->addr, sizeof(v->addr), now_ms(s));
	sim_touch(s, node);
	if (n->boot_via == SIM_NONE)
		boot_check_at(n, now_ms(s) + BOOT_RETRY_MIN_MS);
	n->boot_via = via;
	n->boot_retry_ms = 2 * BOOT_RETRY_MIN_MS;
	n->next_retry_ms = now_ms(s) + BOOT_RETRY_MIN_MS;
}

static void join_refresh(struct sim *s, struct sim_node *n)
{
	n->is_refreshed = true;
	for (unsigned bit = 0; bit < JOIN_BITS; bit++) {
		struct dht_id t = n->id;
		sim_rng_bytes(&n->rng, t.b + bit / 8 + 1, sizeof(t.b) - bit / 8 - 1);
		t.b[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
		(void)dht_find_node(n->dht, &t, AF_INET, NULL, NULL, now_ms(s), NULL);
	}
	sim_touch(s, n->idx);
}

static void boot_check(struct sim *s, struct sim_node *n)
{
	if (!n->is_alive || n->boot_via == SIM_NONE || n->is_refreshed)
		return;
	if (dht_is_ready(n->dht, AF_INET)) {
		if (s->cfg.no_join_refresh)
			return;
		n->id = *dht_my_id(n->dht, AF_INET);
		join_refresh(s, n);
		return;
	}
	if (now_ms(s) >= n->next_retry_ms) {
		const struct sim_node *v = s->nodes[n->boot_via];
		dht_add_node(n->dht, (const struct sockaddr *)&v->addr, sizeof(v->addr), now_ms(s));
		sim_touch(s, n->idx);
		n->next_retry_ms = now_ms(s) + n->boot_retry_ms;
		n->boot_retry_ms = n->boot_retry_ms * 2 < BOOT_RETRY_MAX_MS ? n->boot_retry_ms * 2 : BOOT_RETRY_MAX_MS;
	}
	boot_check_at(n, now_ms(s) + BOOT_RETRY_MIN_MS);
}

void sim_silence(struct sim *s, uint32_t node)
{
	struct sim_node *n = s->nodes[node];
	if (!n->is_alive)
		return;
	n->id = *dht_my_id(n->dht, AF_INET);
	dht_free(n->dht);
	n->dht = NULL;
	n->is_alive = false;
	n->wake_ms = -1;
}

static void deliver(struct sim *s, struct packet *p)
{
	struct sim_node *dst = s->nodes[p->to];
	const struct sim_node *src = s->nodes[p->from];
	if (!dst->is_alive) {
		s->stats.to_dead++;
		return;
	}
	if (dst->is_nat && !nat_open(dst, ntohl(src->addr.sin_addr.s_addr))) {
		s->stats.nat_blocked++;
		return;
	}
	s->stats.delivered++;
	dht_input(dst->dht, (const struct sockaddr *)&src->addr, sizeof(src->addr), p->b, p->len,
	    now_ms(s));
	/* the datagram may have started or ended work with its own timers */
	sim_touch(s, p->to);
}

static void run_event(struct sim *s, const struct sim_event *ev)
{
	switch (ev->kind) {
	case EV_DELIVER:
		deliver(s, ev->data);
		free(ev->data);
		break;
	case EV_WAKE: {
		struct sim_node *n = s->nodes[ev->node];
		if (!n->is_alive || n->wake_ms != (int64_t)ev->arg)
			break;
		n->wake_ms = -1;
		schedule(n, dht_periodic(n->dht, now_ms(s)));
		break;
	}
	case EV_BOOT_CHECK:
		boot_check(s, s->nodes[ev->node]);
		break;
	case EV_TIMER: {
		struct timer *t = ev->data;
		t->fn(t->ud, s);
		free(t);
		break;
	}
	default:
		free(ev->data);
		break;
	}
}

void sim_run_until(struct sim *s, int64_t t_ms)
{
	uint64_t end = (uint64_t)t_ms * 1000;
	struct sim_event ev;
	while (sim_heap_peek_time(&s->heap) <= end && sim_heap_pop(&s->heap, &ev)) {
		if (ev.at > s->now_us)
			s->now_us = ev.at;
		run_event(s, &ev);
	}
	if (end > s->now_us)
		s->now_us = end;
}

void sim_run_for(struct sim *s, int64_t d_ms)
{
	sim_run_until(s, now_ms(s) + d_ms);
}

int sim_at(struct sim *s, int64_t t_ms, sim_timer_fn fn, void *ud)
{
	struct timer *t = malloc(sizeof(*t));
	if (!t)
		return -1;
	t->fn = fn;
	t->ud = ud;
	uint64_t at = (uint64_t)t_ms * 1000;
	struct sim_event ev = { .at = at > s->now_us ? at : s->now_us, .kind = EV_TIMER, .data = t };
	if (sim_heap_push(&s->heap, &ev) != 0) {
		free(t);
		return -1;
	}
	return 0;
}

size_t sim_count(const struct sim *s)
{
	return s->n_nodes;
}

bool sim_is_alive(const struct sim *s, uint32_t node)
{
	return s->nodes[node]->is_alive;
}

bool sim_is_nat(const struct sim *s, uint32_t node)
{
	return s->nodes[node]->is_nat;
}

struct dht *sim_dht(struct sim *s, uint32_t node)
{
	return s->nodes[node]->dht;
}

const struct sockaddr_in *sim_addr(const struct sim *s, uint32_t node)
{
	return &s->nodes[node]->addr;
}

const struct dht_id *sim_id(const struct sim *s, uint32_t node)
{
	const struct sim_node *n = s->nodes[node];
	return n->is_alive ? dht_my_id(n->dht, AF_INET) : &n->id;
}

struct sim_rng *sim_rng(struct sim *s)
{
	return &s->user_rng;
}

void sim_get_stats(const struct sim *s, struct sim_stats *out)
{
	*out = s->stats;
}

void sim_set_observer(struct sim *s, sim_packet_fn fn, void *ud)
{
	s->observer = fn;
	s->observer_ud = ud;
}
