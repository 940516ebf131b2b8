/* test_metafetch.c: the pure rules of the magnet phase: which candidate
 * is dialed next (against a naive reference), the "why stuck" reasons of
 * the status line, and the DHT lookup pacing (session_dht.h). */
#include "cutest.h"

#include "engine/metafetch.h"
#include "engine/session_dht.h"

/* Reference: never-tried dialable first (lowest index), else the due one
 * with the smallest next_try (lowest index among equals), else n. */
static size_t naive_pick(const uint64_t *next, const bool *ok, size_t n, uint64_t now)
{
	for (size_t i = 0; i < n; i++)
		if (ok[i] && next[i] == 0)
			return i;
	size_t best = n;
	for (size_t i = 0; i < n; i++)
		if (ok[i] && next[i] <= now && (best == n || next[i] < next[best]))
			best = i;
	return best;
}

static void test_pick_dial_cases(void)
{
	uint64_t next[4] = { 500, 0, 100, 0 };
	bool ok[4] = { true, false, true, true };
	CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, 4, 50), 3);  /* never tried wins */
	ok[3] = false;
	CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, 4, 50), 4);  /* nothing due */
	CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, 4, 100), 2); /* due at exactly now */
	CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, 4, 1000), 2); /* longest waiting */
	CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, 0, 1000), 0);
}

static void test_pick_dial_property(void)
{
	uint64_t seed = tl_test_seed();
	uint64_t x = seed | 1;
	for (int round = 0; round < 2000; round++) {
		uint64_t next[16];
		bool ok[16];
		size_t n = (size_t)(x % 17);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			next[i] = (x & 3) == 0 ? 0 : x % 1000;
			ok[i] = (x >> 20) % 3 != 0;
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t now = x % 1200;
		CU_ASSERT_EQUAL(tl_mf_pick_dial(next, ok, n, now), naive_pick(next, ok, n, now));
	}
}

static void test_stuck_reasons(void)
{
	struct tl_mf_stats st = { 0 };
	CU_ASSERT_STRING_EQUAL(tl_mf_stuck_reason(&st, 0), "no DHT nodes");
	CU_ASSERT_STRING_EQUAL(tl_mf_stuck_reason(&st, 5), "no peers found yet");
	CU_ASSERT_STRING_EQUAL(tl_mf_stuck_reason(&st, -1), "no peers found yet");
	st.candidates = 3;
	st.no_utm = 2;
	st.unreachable = 1;
	CU_ASSERT_STRING_EQUAL(tl_mf_stuck_reason(&st, 5), "peers do not support ut_metadata");
	st.unreachable = 3;
	st.candidates = 5;
	CU_ASSERT_STRING_EQUAL(tl_mf_stuck_reason(&st, 5), "peers unreachable");
	st.connecting = 1;
	CU_ASSERT_PTR_NULL(tl_mf_stuck_reason(&st, 5));
	st.connecting = 0;
	st.connected = 1;
	CU_ASSERT_PTR_NULL(tl_mf_stuck_reason(&st, 0));
	/* candidates waiting for their retry: not stuck for a known reason */
	struct tl_mf_stats idle = { .candidates = 2 };
	CU_ASSERT_PTR_NULL(tl_mf_stuck_reason(&idle, 5));
}

static void test_lookup_pacing(void)
{
	uint64_t x = tl_test_seed() | 1;
	uint32_t lo_found = UINT32_MAX, hi_found = 0, lo_none = UINT32_MAX, hi_none = 0;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t f = tl_sdht_next_delay(1 + (unsigned)(x % 50), TL_SDHT_ANNOUNCE_MS, (uint32_t)x);
		uint32_t z = tl_sdht_next_delay(0, TL_SDHT_ANNOUNCE_MS, (uint32_t)(x >> 32));
		lo_found = f < lo_found ? f : lo_found;
		hi_found = f > hi_found ? f : hi_found;
		lo_none = z < lo_none ? z : lo_none;
		hi_none = z > hi_none ? z : hi_none;
	}
	/* 15 min +- 2 min when peers were found; 20 s +- 25% otherwise */
	CU_ASSERT_TRUE(lo_found >= TL_SDHT_ANNOUNCE_MS - TL_SDHT_JITTER_MS);
	CU_ASSERT_TRUE(hi_found <= TL_SDHT_ANNOUNCE_MS + TL_SDHT_JITTER_MS);
	CU_ASSERT_TRUE(hi_found - lo_found > TL_SDHT_JITTER_MS); /* the jitter spreads */
	CU_ASSERT_TRUE(lo_none >= TL_SDHT_RETRY_MS * 3 / 4);
	CU_ASSERT_TRUE(hi_none <= TL_SDHT_RETRY_MS * 5 / 4);
	CU_ASSERT_TRUE(hi_none < lo_found);
	CU_ASSERT_EQUAL(tl_sdht_next_delay(1, TL_SDHT_ANNOUNCE_MS, 0), TL_SDHT_ANNOUNCE_MS - TL_SDHT_JITTER_MS);
	CU_ASSERT_EQUAL(tl_sdht_next_delay(0, TL_SDHT_ANNOUNCE_MS, 0), TL_SDHT_RETRY_MS * 3 / 4);
	/* A short period (tests): the jitter scales with it, and the retry
	 * after nothing found is never later than the period. */
	uint32_t p = TL_SDHT_ANNOUNCE_MIN_MS, jit = p / 15 * 2;
	for (uint32_t r = 0; r < 5000; r += 7) {
		uint32_t f = tl_sdht_next_delay(3, p, r), z = tl_sdht_next_delay(0, p, r);
		CU_ASSERT_TRUE(f >= p - jit && f <= p + jit);
		CU_ASSERT_TRUE(z >= p * 3 / 4 && z <= p * 5 / 4);
	}
}

int main(void)
{
	CU_TestInfo tests[] = {
		TL_TEST(test_pick_dial_cases),
		TL_TEST(test_pick_dial_property),
		TL_TEST(test_stuck_reasons),
		TL_TEST(test_lookup_pacing),
		CU_TEST_INFO_NULL,
	};
	return tl_test_run("metafetch", tests);
}
