# Tests: CUnit unit suites, fuzz corpus replay, integration and interop
# scripts. Each binary or script is one automake test.
AM_TESTS_ENVIRONMENT = top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir); \
	export top_srcdir top_builddir;
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(BASH)
TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
TEST_LIBS = $(TL_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/vectors tests/fuzz/corpus tests/unit/cutest.h tests/fuzz/fuzz.h

# ---- unit tests
check_PROGRAMS += tests/unit/test_benc
tests_unit_test_benc_SOURCES = tests/unit/test_benc.c
tests_unit_test_benc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_benc_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_benc
# -- unit: codecs
# -- unit: dht
# -- unit: peer wire
# -- unit: storage and policy
# -- unit: trackers
check_PROGRAMS += tests/unit/test_tracker_msg
tests_unit_test_tracker_msg_SOURCES = tests/unit/test_tracker_msg.c
tests_unit_test_tracker_msg_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracker_msg_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_tracker_msg
check_PROGRAMS += tests/unit/test_tracker
tests_unit_test_tracker_SOURCES = tests/unit/test_tracker.c
tests_unit_test_tracker_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracker_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_tracker
check_PROGRAMS += tests/unit/test_tracker_udp
tests_unit_test_tracker_udp_SOURCES = tests/unit/test_tracker_udp.c
tests_unit_test_tracker_udp_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracker_udp_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_tracker_udp
check_PROGRAMS += tests/unit/test_tracker_http
tests_unit_test_tracker_http_SOURCES = tests/unit/test_tracker_http.c
tests_unit_test_tracker_http_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracker_http_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_tracker_http

# ---- fuzz targets: a replay binary for make check, a libFuzzer binary with --enable-fuzz
FUZZ_TARGETS = benc
# -- fuzz: codecs
# -- fuzz: dht
# -- fuzz: peer wire
# -- fuzz: trackers
FUZZ_TARGETS += tracker_http tracker_udp
check_PROGRAMS += tests/fuzz/replay_tracker_http
tests_fuzz_replay_tracker_http_SOURCES = tests/fuzz/fuzz_tracker_http.c tests/fuzz/replay.c
tests_fuzz_replay_tracker_http_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"tracker_http"'
tests_fuzz_replay_tracker_http_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_tracker_http
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_tracker_http
tests_fuzz_fuzz_tracker_http_SOURCES = tests/fuzz/fuzz_tracker_http.c
tests_fuzz_fuzz_tracker_http_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_tracker_http_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_tracker_http_LDADD = $(TEST_LIBS)
endif
check_PROGRAMS += tests/fuzz/replay_tracker_udp
tests_fuzz_replay_tracker_udp_SOURCES = tests/fuzz/fuzz_tracker_udp.c tests/fuzz/replay.c
tests_fuzz_replay_tracker_udp_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"tracker_udp"'
tests_fuzz_replay_tracker_udp_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_tracker_udp
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_tracker_udp
tests_fuzz_fuzz_tracker_udp_SOURCES = tests/fuzz/fuzz_tracker_udp.c
tests_fuzz_fuzz_tracker_udp_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_tracker_udp_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_tracker_udp_LDADD = $(TEST_LIBS)
endif

check_PROGRAMS += tests/fuzz/replay_benc
tests_fuzz_replay_benc_SOURCES = tests/fuzz/fuzz_benc.c tests/fuzz/replay.c
tests_fuzz_replay_benc_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"benc"'
tests_fuzz_replay_benc_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_benc
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_benc
tests_fuzz_fuzz_benc_SOURCES = tests/fuzz/fuzz_benc.c
tests_fuzz_fuzz_benc_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_benc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_benc_LDADD = $(TEST_LIBS)
endif

# ---- integration (real processes on loopback) and interop (real clients)
# -- integration
# -- interop

# -- tracker integration
TESTS += tests/integration/tracker_bad.sh
EXTRA_DIST += tests/integration/tracker_bad.sh tests/integration/bad_tracker.py
TESTS += tests/interop/tracker_opentracker.sh
EXTRA_DIST += tests/interop/tracker_opentracker.sh
