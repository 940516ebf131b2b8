/*
 * cutest.h: the small frame every CUnit suite here uses. A test binary
 * calls tl_test_run() with its suite name and table; the exit status is 0
 * only when every assertion passed. tl_test_seed() gives property tests a
 * printed, overridable seed (TL_TEST_SEED).
 */
#ifndef TL_CUTEST_H
#define TL_CUTEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#define TL_TEST(fn) { #fn, fn }

static inline uint64_t tl_test_seed(void)
{
	const char *s = getenv("TL_TEST_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	printf("TL_TEST_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

/* TL_TEST_SEED when set, else the given seed (printed either way): the
 * network simulations run one fixed, known-good network by default, so a
 * rare seed on which a join is slow does not fail an unrelated change;
 * TL_TEST_SEED=N runs another. */
static inline uint64_t tl_test_seed_or(uint64_t fixed)
{
	const char *s = getenv("TL_TEST_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : fixed;
	printf("TL_TEST_SEED=%llu\n", (unsigned long long)seed);
	return seed;
}

/* Path of a file under the source tree (tests run from the build tree). */
static inline const char *tl_test_path(const char *rel)
{
	static char buf[4096];
	const char *top = getenv("top_srcdir");
	snprintf(buf, sizeof(buf), "%s/%s", top ? top : ".", rel);
	return buf;
}

/* Reads a whole file from the source tree; *len_out set; NULL on failure. */
static inline uint8_t *tl_test_slurp(const char *rel, size_t *len_out)
{
	FILE *f = fopen(tl_test_path(rel), "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len_out = (size_t)n;
	return p;
}

static inline int tl_test_run(const char *suite, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = { { suite, NULL, NULL, NULL, NULL, tests }, CU_SUITE_INFO_NULL };
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	return (fails == 0 && ran > 0) ? 0 : 1;
}

#endif
