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
EXTRA_DIST += tests/unit/prop.h
check_PROGRAMS += tests/unit/test_bitfield
tests_unit_test_bitfield_SOURCES = tests/unit/test_bitfield.c
tests_unit_test_bitfield_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_bitfield_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_bitfield
check_PROGRAMS += tests/unit/test_handshake
tests_unit_test_handshake_SOURCES = tests/unit/test_handshake.c
tests_unit_test_handshake_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_handshake_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_handshake
check_PROGRAMS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c
tests_unit_test_wire_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_wire_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_wire
check_PROGRAMS += tests/unit/test_ext
tests_unit_test_ext_SOURCES = tests/unit/test_ext.c
tests_unit_test_ext_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ext_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_ext
check_PROGRAMS += tests/unit/test_ut_metadata
tests_unit_test_ut_metadata_SOURCES = tests/unit/test_ut_metadata.c
tests_unit_test_ut_metadata_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ut_metadata_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_ut_metadata
check_PROGRAMS += tests/unit/test_ut_pex
tests_unit_test_ut_pex_SOURCES = tests/unit/test_ut_pex.c
tests_unit_test_ut_pex_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ut_pex_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_ut_pex
# -- unit: storage and policy
check_PROGRAMS += tests/unit/test_picker
tests_unit_test_picker_SOURCES = tests/unit/test_picker.c
tests_unit_test_picker_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_picker_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_picker
check_PROGRAMS += tests/unit/test_choker
tests_unit_test_choker_SOURCES = tests/unit/test_choker.c
tests_unit_test_choker_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_choker_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_choker
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
FUZZ_TARGETS += handshake
check_PROGRAMS += tests/fuzz/replay_handshake
tests_fuzz_replay_handshake_SOURCES = tests/fuzz/fuzz_handshake.c tests/fuzz/replay.c
tests_fuzz_replay_handshake_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"handshake"'
tests_fuzz_replay_handshake_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_handshake
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_handshake
tests_fuzz_fuzz_handshake_SOURCES = tests/fuzz/fuzz_handshake.c
tests_fuzz_fuzz_handshake_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_handshake_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_handshake_LDADD = $(TEST_LIBS)
endif
FUZZ_TARGETS += wire
check_PROGRAMS += tests/fuzz/replay_wire
tests_fuzz_replay_wire_SOURCES = tests/fuzz/fuzz_wire.c tests/fuzz/replay.c
tests_fuzz_replay_wire_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"wire"'
tests_fuzz_replay_wire_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_wire
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_wire
tests_fuzz_fuzz_wire_SOURCES = tests/fuzz/fuzz_wire.c
tests_fuzz_fuzz_wire_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_wire_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_wire_LDADD = $(TEST_LIBS)
endif
FUZZ_TARGETS += ext
check_PROGRAMS += tests/fuzz/replay_ext
tests_fuzz_replay_ext_SOURCES = tests/fuzz/fuzz_ext.c tests/fuzz/replay.c
tests_fuzz_replay_ext_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"ext"'
tests_fuzz_replay_ext_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_ext
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_ext
tests_fuzz_fuzz_ext_SOURCES = tests/fuzz/fuzz_ext.c
tests_fuzz_fuzz_ext_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_ext_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_ext_LDADD = $(TEST_LIBS)
endif
FUZZ_TARGETS += ut_metadata
check_PROGRAMS += tests/fuzz/replay_ut_metadata
tests_fuzz_replay_ut_metadata_SOURCES = tests/fuzz/fuzz_ut_metadata.c tests/fuzz/replay.c
tests_fuzz_replay_ut_metadata_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"ut_metadata"'
tests_fuzz_replay_ut_metadata_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_ut_metadata
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_ut_metadata
tests_fuzz_fuzz_ut_metadata_SOURCES = tests/fuzz/fuzz_ut_metadata.c
tests_fuzz_fuzz_ut_metadata_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_ut_metadata_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_ut_metadata_LDADD = $(TEST_LIBS)
endif
FUZZ_TARGETS += ut_pex
check_PROGRAMS += tests/fuzz/replay_ut_pex
tests_fuzz_replay_ut_pex_SOURCES = tests/fuzz/fuzz_ut_pex.c tests/fuzz/replay.c
tests_fuzz_replay_ut_pex_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"ut_pex"'
tests_fuzz_replay_ut_pex_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_ut_pex
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_ut_pex
tests_fuzz_fuzz_ut_pex_SOURCES = tests/fuzz/fuzz_ut_pex.c
tests_fuzz_fuzz_ut_pex_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_ut_pex_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_ut_pex_LDADD = $(TEST_LIBS)
endif
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

# -- engine: storage, session, integration
EXTRA_DIST += tests/unit/engine_fixture.h
check_PROGRAMS += tests/unit/test_layout
tests_unit_test_layout_SOURCES = tests/unit/test_layout.c
tests_unit_test_layout_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_layout_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_layout
check_PROGRAMS += tests/unit/test_diskio
tests_unit_test_diskio_SOURCES = tests/unit/test_diskio.c
tests_unit_test_diskio_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_diskio_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_diskio
check_PROGRAMS += tests/unit/test_resume
tests_unit_test_resume_SOURCES = tests/unit/test_resume.c
tests_unit_test_resume_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_resume_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_resume
TESTS += tests/integration/transfer.sh
EXTRA_DIST += tests/integration/transfer.sh tests/integration/engine_lib.sh
TESTS += tests/integration/resume.sh tests/integration/swarm.sh
EXTRA_DIST += tests/integration/resume.sh tests/integration/swarm.sh
TESTS += tests/interop/transfer_libtorrent.sh
EXTRA_DIST += tests/interop/transfer_libtorrent.sh tests/interop/lt_peer.py
TESTS += tests/interop/transfer_aria2.sh
EXTRA_DIST += tests/interop/transfer_aria2.sh
FUZZ_TARGETS += resume
check_PROGRAMS += tests/fuzz/replay_resume
tests_fuzz_replay_resume_SOURCES = tests/fuzz/fuzz_resume.c tests/fuzz/replay.c
tests_fuzz_replay_resume_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"resume"'
tests_fuzz_replay_resume_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_resume
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_resume
tests_fuzz_fuzz_resume_SOURCES = tests/fuzz/fuzz_resume.c
tests_fuzz_fuzz_resume_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_resume_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_resume_LDADD = $(TEST_LIBS)
endif
TESTS += tests/integration/violations.sh
EXTRA_DIST += tests/integration/violations.sh tests/integration/violations.py
TESTS += tests/interop/transfer_transmission.sh
EXTRA_DIST += tests/interop/transfer_transmission.sh
check_PROGRAMS += tests/unit/test_peer
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_peer_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_peer
TESTS += tests/interop/create_interop.sh
EXTRA_DIST += tests/interop/create_interop.sh

# ---- trackless create: the command's behaviour
TESTS += tests/integration/create_cli.sh
EXTRA_DIST += tests/integration/create_cli.sh
TESTS += tests/integration/hash_fail.sh
EXTRA_DIST += tests/integration/hash_fail.sh tests/integration/bad_seeder.py
