/*
 * svc_hist.h: the service-time histogram that tests/bench/svc_shim.so
 * keeps inside a loaded DHT node and tests/bench/dht_load reads
 * (scripts/bench-dht). Both map the same file: the shim writes, the load
 * generator takes a copy before and after its closed loop and reads the
 * difference.
 *
 * A service-time sample (b) is the time, inside the node, from the
 * receive call that returned a datagram (or a batch of them) to the send
 * call that carries a reply, counted once per reply datagram: a node that
 * reads a batch and sends the replies together makes each wait for the
 * batch. A processing sample (per) is the time from that receive to the
 * first send after it divided by the datagrams the receive returned,
 * counted once per datagram: the work one datagram costs, batch or not.
 * Buckets are log-linear over nanoseconds: 16 per power of two, so a
 * quantile is read to within 6 %.
 */
#ifndef TL_BENCH_SVC_HIST_H
#define TL_BENCH_SVC_HIST_H

#include <stdint.h>

#define SVC_MAGIC 0x7376636869737432ull /* "svchist2" */
#define SVC_BUCKETS 640

struct svc_hist {
	uint64_t magic;
	uint64_t recv_calls;  /* receive calls that returned datagrams */
	uint64_t datagrams;   /* datagrams those calls returned */
	uint64_t replies;     /* sampled reply datagrams */
	uint64_t b[SVC_BUCKETS];
	uint64_t per[SVC_BUCKETS];
};

static inline unsigned svc_bucket(uint64_t ns)
{
	if (ns < 16)
		return (unsigned)ns;
	unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
	unsigned i = (msb - 3) * 16 + (unsigned)((ns >> (msb - 4)) & 15);
	return i < SVC_BUCKETS ? i : SVC_BUCKETS - 1;
}

/* Smallest value of bucket i, in nanoseconds. */
static inline uint64_t svc_bucket_floor(unsigned i)
{
	if (i < 16)
		return i;
	unsigned msb = i / 16 + 3;
	return (16ull + i % 16) << (msb - 4);
}

#endif
