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
check_PROGRAMS += tests/unit/test_metainfo tests/unit/test_magnet tests/unit/test_json
tests_unit_test_metainfo_SOURCES = tests/unit/test_metainfo.c
tests_unit_test_metainfo_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_metainfo_LDADD = $(TEST_LIBS)
tests_unit_test_magnet_SOURCES = tests/unit/test_magnet.c
tests_unit_test_magnet_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_magnet_LDADD = $(TEST_LIBS)
tests_unit_test_json_SOURCES = tests/unit/test_json.c
tests_unit_test_json_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_json_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_metainfo tests/unit/test_magnet tests/unit/test_json
check_PROGRAMS += tests/unit/test_create
tests_unit_test_create_SOURCES = tests/unit/test_create.c
tests_unit_test_create_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_create_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_create
# -- unit: dht
# -- unit: peer wire
# -- unit: storage and policy
# -- unit: trackers

# ---- fuzz targets: a replay binary for make check, a libFuzzer binary with --enable-fuzz
FUZZ_TARGETS = benc
# -- fuzz: codecs
FUZZ_TARGETS += metainfo magnet
check_PROGRAMS += tests/fuzz/replay_metainfo tests/fuzz/replay_magnet
tests_fuzz_replay_metainfo_SOURCES = tests/fuzz/fuzz_metainfo.c tests/fuzz/replay.c
tests_fuzz_replay_metainfo_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"metainfo"'
tests_fuzz_replay_metainfo_LDADD = $(TEST_LIBS)
tests_fuzz_replay_magnet_SOURCES = tests/fuzz/fuzz_magnet.c tests/fuzz/replay.c
tests_fuzz_replay_magnet_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"magnet"'
tests_fuzz_replay_magnet_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_metainfo tests/fuzz/replay_magnet
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_metainfo tests/fuzz/fuzz_magnet
tests_fuzz_fuzz_metainfo_SOURCES = tests/fuzz/fuzz_metainfo.c
tests_fuzz_fuzz_metainfo_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_metainfo_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_metainfo_LDADD = $(TEST_LIBS)
tests_fuzz_fuzz_magnet_SOURCES = tests/fuzz/fuzz_magnet.c
tests_fuzz_fuzz_magnet_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_magnet_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_magnet_LDADD = $(TEST_LIBS)
endif
# -- fuzz: dht
# -- fuzz: peer wire
# -- fuzz: trackers

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
TESTS += tests/integration/bad_input.sh tests/integration/info_json.sh
EXTRA_DIST += tests/integration/bad_input.sh tests/integration/info_json.sh
# -- interop
TESTS += tests/interop/create_interop.sh
EXTRA_DIST += tests/interop/create_interop.sh

# ---- trackless create: the command's behaviour
TESTS += tests/integration/create_cli.sh
EXTRA_DIST += tests/integration/create_cli.sh
