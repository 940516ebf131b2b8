# Tests: CUnit unit suites, fuzz corpus replay, integration and interop
# scripts. Each binary or script is one automake test.
AM_TESTS_ENVIRONMENT = top_srcdir=$(abs_top_srcdir) top_builddir=$(abs_top_builddir); \
	export top_srcdir top_builddir;
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = bash
TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
TEST_LIBS = $(TL_LIBS) $(CUNIT_LIBS)
EXTRA_DIST += tests/vectors tests/fuzz/corpus tests/unit/cutest.h tests/fuzz/fuzz.h

# ---- unit tests
check_PROGRAMS += tests/unit/test_benc
tests_unit_test_benc_SOURCES = tests/unit/test_benc.c
tests_unit_test_benc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_benc_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_benc
check_PROGRAMS += tests/unit/test_log
tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_log_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_log
check_PROGRAMS += tests/unit/test_fdlimit
tests_unit_test_fdlimit_SOURCES = tests/unit/test_fdlimit.c
tests_unit_test_fdlimit_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_fdlimit_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_fdlimit
check_PROGRAMS += tests/unit/test_digest
tests_unit_test_digest_SOURCES = tests/unit/test_digest.c
tests_unit_test_digest_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_digest_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_digest
# -- unit: codecs
check_PROGRAMS += tests/unit/test_create
tests_unit_test_create_SOURCES = tests/unit/test_create.c
tests_unit_test_create_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_create_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_create
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
# -- unit: dht
check_PROGRAMS += tests/unit/test_krpc
tests_unit_test_krpc_SOURCES = tests/unit/test_krpc.c
tests_unit_test_krpc_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_krpc_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_krpc
check_PROGRAMS += tests/unit/test_addr
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c
tests_unit_test_addr_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_addr_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_addr
check_PROGRAMS += tests/unit/test_bep42
tests_unit_test_bep42_SOURCES = tests/unit/test_bep42.c
tests_unit_test_bep42_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_bep42_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_bep42
check_PROGRAMS += tests/unit/test_token
tests_unit_test_token_SOURCES = tests/unit/test_token.c
tests_unit_test_token_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_token_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_token
check_PROGRAMS += tests/unit/test_rtable
tests_unit_test_rtable_SOURCES = tests/unit/test_rtable.c
tests_unit_test_rtable_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_rtable_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_rtable
check_PROGRAMS += tests/unit/test_store
tests_unit_test_store_SOURCES = tests/unit/test_store.c
tests_unit_test_store_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_store_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_store
check_PROGRAMS += tests/unit/test_limiter
tests_unit_test_limiter_SOURCES = tests/unit/test_limiter.c
tests_unit_test_limiter_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_limiter_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_limiter
check_PROGRAMS += tests/unit/test_lookup
tests_unit_test_lookup_SOURCES = tests/unit/test_lookup.c
tests_unit_test_lookup_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_lookup_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_lookup
noinst_PROGRAMS += tests/bench/bench_dht
tests_bench_bench_dht_SOURCES = tests/bench/bench_dht.c
tests_bench_bench_dht_LDADD = $(DHT_LIBS)
check_PROGRAMS += tests/unit/test_dht
tests_unit_test_dht_SOURCES = tests/unit/test_dht.c
tests_unit_test_dht_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dht_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_dht
check_PROGRAMS += tests/unit/test_persist
tests_unit_test_persist_SOURCES = tests/unit/test_persist.c
tests_unit_test_persist_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_persist_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/unit/test_persist
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
FUZZ_TARGETS += krpc dht_input dht_load
check_PROGRAMS += tests/fuzz/replay_krpc
tests_fuzz_replay_krpc_SOURCES = tests/fuzz/fuzz_krpc.c tests/fuzz/replay.c
tests_fuzz_replay_krpc_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"krpc"'
tests_fuzz_replay_krpc_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/fuzz/replay_krpc
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_krpc
tests_fuzz_fuzz_krpc_SOURCES = tests/fuzz/fuzz_krpc.c
tests_fuzz_fuzz_krpc_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_krpc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_krpc_LDADD = $(DHT_LIBS)
endif
check_PROGRAMS += tests/fuzz/replay_dht_input
tests_fuzz_replay_dht_input_SOURCES = tests/fuzz/fuzz_dht_input.c tests/fuzz/replay.c
tests_fuzz_replay_dht_input_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"dht_input"'
tests_fuzz_replay_dht_input_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/fuzz/replay_dht_input
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_dht_input
tests_fuzz_fuzz_dht_input_SOURCES = tests/fuzz/fuzz_dht_input.c
tests_fuzz_fuzz_dht_input_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_dht_input_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_dht_input_LDADD = $(DHT_LIBS)
endif
check_PROGRAMS += tests/fuzz/replay_dht_load
tests_fuzz_replay_dht_load_SOURCES = tests/fuzz/fuzz_dht_load.c tests/fuzz/replay.c
tests_fuzz_replay_dht_load_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"dht_load"'
tests_fuzz_replay_dht_load_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/fuzz/replay_dht_load
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_dht_load
tests_fuzz_fuzz_dht_load_SOURCES = tests/fuzz/fuzz_dht_load.c
tests_fuzz_fuzz_dht_load_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_dht_load_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_dht_load_LDADD = $(DHT_LIBS)
endif
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
# -- fuzz: the session's UDP port
FUZZ_TARGETS += udp_classify
check_PROGRAMS += tests/fuzz/replay_udp_classify
tests_fuzz_replay_udp_classify_SOURCES = tests/fuzz/fuzz_udp_classify.c tests/fuzz/replay.c
tests_fuzz_replay_udp_classify_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"udp_classify"'
tests_fuzz_replay_udp_classify_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_udp_classify
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_udp_classify
tests_fuzz_fuzz_udp_classify_SOURCES = tests/fuzz/fuzz_udp_classify.c
tests_fuzz_fuzz_udp_classify_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_udp_classify_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_udp_classify_LDADD = $(TEST_LIBS)
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
TESTS += tests/integration/bad_input.sh tests/integration/info_json.sh \
	tests/integration/info_unsorted.sh
EXTRA_DIST += tests/integration/bad_input.sh tests/integration/info_json.sh \
	tests/integration/info_unsorted.sh
# -- interop
TESTS += tests/interop/create_interop.sh
EXTRA_DIST += tests/interop/create_interop.sh

# ---- trackless create: the command's behaviour
TESTS += tests/integration/create_cli.sh
EXTRA_DIST += tests/integration/create_cli.sh

# -- dht simulator, integration and interop
check_PROGRAMS += tests/unit/test_dht_event
tests_unit_test_dht_event_SOURCES = tests/unit/test_dht_event.c
tests_unit_test_dht_event_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_dht_event_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_dht_event
check_PROGRAMS += tests/unit/test_udp
tests_unit_test_udp_SOURCES = tests/unit/test_udp.c
tests_unit_test_udp_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_udp_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_udp
# the simulator: a library of the real core in virtual time, its tests and
# the benchmark driver (tests/sim/dht-sim --bench)
noinst_LIBRARIES += tests/sim/libsim.a
tests_sim_libsim_a_SOURCES = tests/sim/sim.c tests/sim/sim.h tests/sim/sim_heap.c \
	tests/sim/sim_heap.h tests/sim/sim_rng.c tests/sim/sim_rng.h tests/sim/krpc_msg.c \
	tests/sim/krpc_msg.h tests/sim/sim_track.c tests/sim/sim_track.h \
	tests/sim/sim_scenario.c tests/sim/sim_scenario.h
tests_sim_libsim_a_CFLAGS = $(AM_CFLAGS)
SIM_LIBS = tests/sim/libsim.a $(DHT_LIBS) -lm
check_PROGRAMS += tests/sim/test_sim
tests_sim_test_sim_SOURCES = tests/sim/test_sim.c
tests_sim_test_sim_CFLAGS = $(TEST_CFLAGS)
tests_sim_test_sim_LDADD = $(SIM_LIBS) $(TEST_LIBS)
TESTS += tests/sim/test_sim
# a node joining through one bootstrap node has >= 30 good nodes after 5 s
# (the same source built with TL_SIM_JOIN, on a fresh network)
check_PROGRAMS += tests/sim/test_sim_join
tests_sim_test_sim_join_SOURCES = tests/sim/test_sim.c
tests_sim_test_sim_join_CFLAGS = $(TEST_CFLAGS) -DTL_SIM_JOIN
tests_sim_test_sim_join_LDADD = $(SIM_LIBS) $(TEST_LIBS)
TESTS += tests/sim/test_sim_join
# notes/dht.md §6.3 with 30 % of the nodes behind NAT: few NATed table
# entries, announcer found >= 99.5 %, >= 6 of 8 closest in >= 99 %
check_PROGRAMS += tests/sim/test_sim_nat
tests_sim_test_sim_nat_SOURCES = tests/sim/test_sim_nat.c
tests_sim_test_sim_nat_CFLAGS = $(TEST_CFLAGS)
tests_sim_test_sim_nat_LDADD = $(SIM_LIBS) $(TEST_LIBS)
TESTS += tests/sim/test_sim_nat
noinst_PROGRAMS += tests/sim/dht-sim
tests_sim_dht_sim_SOURCES = tests/sim/dht_sim.c
tests_sim_dht_sim_LDADD = $(SIM_LIBS)
# the DHT load generator of scripts/bench-dht
noinst_PROGRAMS += tests/bench/dht_load
tests_bench_dht_load_SOURCES = tests/bench/dht_load.c
tests_bench_dht_load_LDADD = $(SIM_LIBS)
TESTS += tests/integration/dht_swarm.sh
EXTRA_DIST += tests/integration/dht_swarm.sh
# IPv4-only bootstrap nodes, a dual-stack client: re-announces go on (in a
# network namespace of its own; skipped where one cannot be made)
TESTS += tests/integration/dht_v4only.sh
EXTRA_DIST += tests/integration/dht_v4only.sh
TESTS += tests/interop/dht_libtorrent.sh
EXTRA_DIST += tests/interop/dht_libtorrent.sh

# -- tracker integration
TESTS += tests/integration/tracker_bad.sh
EXTRA_DIST += tests/integration/tracker_bad.sh tests/integration/bad_tracker.py
TESTS += tests/interop/tracker_opentracker.sh
EXTRA_DIST += tests/interop/tracker_opentracker.sh

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
TESTS += tests/integration/fd_exhaust.sh
EXTRA_DIST += tests/integration/fd_exhaust.sh tests/integration/idle_conns.py
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
FUZZ_TARGETS += catalog
check_PROGRAMS += tests/fuzz/replay_catalog
tests_fuzz_replay_catalog_SOURCES = tests/fuzz/fuzz_catalog.c tests/fuzz/replay.c
tests_fuzz_replay_catalog_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"catalog"'
tests_fuzz_replay_catalog_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_catalog
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_catalog
tests_fuzz_fuzz_catalog_SOURCES = tests/fuzz/fuzz_catalog.c
tests_fuzz_fuzz_catalog_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_catalog_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_catalog_LDADD = $(TEST_LIBS)
endif
TESTS += tests/integration/violations.sh
EXTRA_DIST += tests/integration/violations.sh tests/integration/violations.py
TESTS += tests/integration/upload_noread.sh tests/integration/slow_peers.sh \
	tests/integration/multi_torrent.sh tests/integration/statedir_lock.sh \
	tests/integration/slots_shared.sh
EXTRA_DIST += tests/integration/upload_noread.sh tests/integration/slow_peers.sh \
	tests/integration/multi_torrent.sh tests/integration/statedir_lock.sh \
	tests/integration/slots_shared.sh tests/integration/rogue_peer.py
TESTS += tests/interop/transfer_transmission.sh
EXTRA_DIST += tests/interop/transfer_transmission.sh
check_PROGRAMS += tests/unit/test_queue
tests_unit_test_queue_SOURCES = tests/unit/test_queue.c
tests_unit_test_queue_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_queue_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_queue
check_PROGRAMS += tests/unit/test_announce
tests_unit_test_announce_SOURCES = tests/unit/test_announce.c
tests_unit_test_announce_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_announce_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_announce
check_PROGRAMS += tests/unit/test_catalog
tests_unit_test_catalog_SOURCES = tests/unit/test_catalog.c
tests_unit_test_catalog_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_catalog_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_catalog
# the engine's runtime controls, driven through its API
check_PROGRAMS += tests/integration/engine_ctl
tests_integration_engine_ctl_SOURCES = tests/integration/engine_ctl.c
tests_integration_engine_ctl_CFLAGS = $(TEST_CFLAGS)
tests_integration_engine_ctl_LDADD = $(TL_LIBS)
check_PROGRAMS += tests/integration/engine_many
tests_integration_engine_many_SOURCES = tests/integration/engine_many.c
tests_integration_engine_many_CFLAGS = $(TEST_CFLAGS)
tests_integration_engine_many_LDADD = $(TL_LIBS)
TESTS += tests/integration/engine_ctl.sh tests/integration/queue_get.sh tests/integration/engine_many.sh
EXTRA_DIST += tests/integration/engine_ctl.sh tests/integration/queue_get.sh tests/integration/engine_many.sh

check_PROGRAMS += tests/unit/test_peer
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_peer_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_peer
check_PROGRAMS += tests/unit/test_conn
tests_unit_test_conn_SOURCES = tests/unit/test_conn.c
tests_unit_test_conn_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_conn_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_conn
check_PROGRAMS += tests/unit/test_listener
tests_unit_test_listener_SOURCES = tests/unit/test_listener.c
tests_unit_test_listener_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_listener_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_listener
TESTS += tests/integration/hash_fail.sh
EXTRA_DIST += tests/integration/hash_fail.sh tests/integration/bad_seeder.py
# a full disk: one line with the reason, an error state, exit 1
TESTS += tests/integration/disk_full.sh
EXTRA_DIST += tests/integration/disk_full.sh
# -- trackless-node
check_PROGRAMS += tests/unit/test_pool
tests_unit_test_pool_SOURCES = tests/unit/test_pool.c
tests_unit_test_pool_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_pool_LDADD = $(DHT_LIBS) $(CUNIT_LIBS) -lpthread
TESTS += tests/unit/test_pool
TESTS += tests/integration/node_router.sh tests/integration/node_abuse.sh \
	tests/integration/node_swarm.sh tests/interop/node_libtorrent.sh
EXTRA_DIST += tests/integration/node_router.sh tests/integration/node_abuse.sh \
	tests/integration/node_swarm.sh tests/interop/node_libtorrent.sh \
	tests/integration/node_common.sh tests/integration/krpc_tool.py
FUZZ_TARGETS += pool_load
check_PROGRAMS += tests/fuzz/replay_pool_load
tests_fuzz_replay_pool_load_SOURCES = tests/fuzz/fuzz_pool_load.c tests/fuzz/replay.c
tests_fuzz_replay_pool_load_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"pool_load"'
tests_fuzz_replay_pool_load_LDADD = $(DHT_LIBS) $(CUNIT_LIBS) -lpthread
TESTS += tests/fuzz/replay_pool_load
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_pool_load
tests_fuzz_fuzz_pool_load_SOURCES = tests/fuzz/fuzz_pool_load.c
tests_fuzz_fuzz_pool_load_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_pool_load_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_pool_load_LDADD = $(DHT_LIBS) -lpthread
endif
# -- dht extensions
check_PROGRAMS += tests/unit/test_bep44 tests/unit/test_bep33
tests_unit_test_bep44_SOURCES = tests/unit/test_bep44.c
tests_unit_test_bep44_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_bep44_LDADD = $(TEST_LIBS)
tests_unit_test_bep33_SOURCES = tests/unit/test_bep33.c
tests_unit_test_bep33_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_bep33_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_bep44 tests/unit/test_bep33
check_PROGRAMS += tests/sim/test_sim_items
tests_sim_test_sim_items_SOURCES = tests/sim/test_sim_items.c
tests_sim_test_sim_items_CFLAGS = $(TEST_CFLAGS)
tests_sim_test_sim_items_LDADD = $(SIM_LIBS) $(TEST_LIBS)
TESTS += tests/sim/test_sim_items
TESTS += tests/integration/dht_put_get.sh
EXTRA_DIST += tests/integration/dht_put_get.sh
TESTS += tests/integration/dht_oneshot_ro.sh
EXTRA_DIST += tests/integration/dht_oneshot_ro.sh
FUZZ_TARGETS += bep44
check_PROGRAMS += tests/fuzz/replay_bep44
tests_fuzz_replay_bep44_SOURCES = tests/fuzz/fuzz_bep44.c tests/fuzz/replay.c
tests_fuzz_replay_bep44_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"bep44"'
tests_fuzz_replay_bep44_LDADD = $(DHT_LIBS) $(CUNIT_LIBS)
TESTS += tests/fuzz/replay_bep44
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_bep44
tests_fuzz_fuzz_bep44_SOURCES = tests/fuzz/fuzz_bep44.c
tests_fuzz_fuzz_bep44_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_bep44_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_bep44_LDADD = $(DHT_LIBS)
endif
TESTS += tests/integration/dht_scrape_sample.sh
EXTRA_DIST += tests/integration/dht_scrape_sample.sh
# a damaged DHT state file: reported once by every program that keeps one
TESTS += tests/integration/dht_state_bad.sh
EXTRA_DIST += tests/integration/dht_state_bad.sh
# --no-bootstrap: no lookup of the built-in routers (own net and mount namespaces)
TESTS += tests/integration/dht_no_bootstrap.sh
EXTRA_DIST += tests/integration/dht_no_bootstrap.sh
# a DHT inside one /24 with and without --dht-same-subnet (own net namespace)
TESTS += tests/integration/dht_same_subnet.sh
EXTRA_DIST += tests/integration/dht_same_subnet.sh tests/integration/netns_lib.sh
TESTS += tests/interop/dht_bep44_libtorrent.sh
EXTRA_DIST += tests/interop/dht_bep44_libtorrent.sh tests/integration/dht_nodes.sh

# -- trackerless end to end
check_PROGRAMS += tests/unit/test_metafetch
tests_unit_test_metafetch_SOURCES = tests/unit/test_metafetch.c
tests_unit_test_metafetch_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_metafetch_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_metafetch
EXTRA_DIST += tests/integration/magnet_lib.sh
TESTS += tests/integration/magnet_dht.sh
EXTRA_DIST += tests/integration/magnet_dht.sh
TESTS += tests/integration/magnet_swarm.sh
EXTRA_DIST += tests/integration/magnet_swarm.sh
TESTS += tests/integration/magnet_hostile.sh
EXTRA_DIST += tests/integration/magnet_hostile.sh tests/integration/hostile_peer.py
TESTS += tests/interop/magnet_libtorrent.sh
EXTRA_DIST += tests/interop/magnet_libtorrent.sh tests/interop/lt_dht_peer.py

# -- tracker fallback
TESTS += tests/interop/tracker_download.sh
EXTRA_DIST += tests/interop/tracker_download.sh
TESTS += tests/integration/tracker_fallback_bad.sh
EXTRA_DIST += tests/integration/tracker_fallback_bad.sh
check_PROGRAMS += tests/unit/test_session_tracker
tests_unit_test_session_tracker_SOURCES = tests/unit/test_session_tracker.c
tests_unit_test_session_tracker_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_session_tracker_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_session_tracker
check_PROGRAMS += tests/unit/test_swarm
tests_unit_test_swarm_SOURCES = tests/unit/test_swarm.c
tests_unit_test_swarm_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_swarm_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_swarm
check_PROGRAMS += tests/unit/test_piecebuf
tests_unit_test_piecebuf_SOURCES = tests/unit/test_piecebuf.c
tests_unit_test_piecebuf_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_piecebuf_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_piecebuf
check_PROGRAMS += tests/unit/test_download
tests_unit_test_download_SOURCES = tests/unit/test_download.c
tests_unit_test_download_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_download_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_download
check_PROGRAMS += tests/unit/test_intake
tests_unit_test_intake_SOURCES = tests/unit/test_intake.c
tests_unit_test_intake_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_intake_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_intake
check_PROGRAMS += tests/unit/test_seedcheck
tests_unit_test_seedcheck_SOURCES = tests/unit/test_seedcheck.c
tests_unit_test_seedcheck_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_seedcheck_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_seedcheck
check_PROGRAMS += tests/unit/test_startcheck
tests_unit_test_startcheck_SOURCES = tests/unit/test_startcheck.c
tests_unit_test_startcheck_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_startcheck_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_startcheck

# -- magnet: metadata over incoming connections
TESTS += tests/integration/magnet_incoming.sh
EXTRA_DIST += tests/integration/magnet_incoming.sh

# ---- get/seed: the listen port is kept in the state directory
TESTS += tests/integration/port_saved.sh
EXTRA_DIST += tests/integration/port_saved.sh

# scripts/bench-dht: a preloaded library that measures a node's service
# time inside its process (recv to send), read by dht_load --svc
noinst_PROGRAMS += tests/bench/svc_shim.so
tests_bench_svc_shim_so_SOURCES = tests/bench/svc_shim.c tests/bench/svc_hist.h
tests_bench_svc_shim_so_CFLAGS = $(AM_CFLAGS) -fPIC
tests_bench_svc_shim_so_LDFLAGS = -shared
tests_bench_svc_shim_so_LDADD = -ldl

# BEP 44 values of the largest size (1000 bytes) between real processes
TESTS += tests/integration/dht_item_big.sh
EXTRA_DIST += tests/integration/dht_item_big.sh

# peer engine throughput: session rate limits
TESTS += tests/integration/rate_limit.sh
EXTRA_DIST += tests/integration/rate_limit.sh

# magnet handover: piece sets kept before the metadata, the connections
# of the metadata fetch carried on into the download
check_PROGRAMS += tests/unit/test_early_have
tests_unit_test_early_have_SOURCES = tests/unit/test_early_have.c
tests_unit_test_early_have_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_early_have_LDADD = $(TEST_LIBS)
TESTS += tests/unit/test_early_have
TESTS += tests/integration/magnet_handover.sh
EXTRA_DIST += tests/integration/magnet_handover.sh
FUZZ_TARGETS += early_have
check_PROGRAMS += tests/fuzz/replay_early_have
tests_fuzz_replay_early_have_SOURCES = tests/fuzz/fuzz_early_have.c tests/fuzz/replay.c
tests_fuzz_replay_early_have_CFLAGS = $(TEST_CFLAGS) -DTL_FUZZ_CORPUS='"early_have"'
tests_fuzz_replay_early_have_LDADD = $(TEST_LIBS)
TESTS += tests/fuzz/replay_early_have
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_early_have
tests_fuzz_fuzz_early_have_SOURCES = tests/fuzz/fuzz_early_have.c
tests_fuzz_fuzz_early_have_CFLAGS = $(TEST_CFLAGS)
tests_fuzz_fuzz_early_have_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_early_have_LDADD = $(TEST_LIBS)
endif

# seed --no-check (seed mode: pieces verified as peers read them)
TESTS += tests/integration/seed_nocheck.sh
EXTRA_DIST += tests/integration/seed_nocheck.sh tests/integration/nocheck_lib.sh
TESTS += tests/interop/seed_nocheck_libtorrent.sh
EXTRA_DIST += tests/interop/seed_nocheck_libtorrent.sh

# ---- trackless daemon: the Transmission RPC
FUZZ_TARGETS += rpc
check_PROGRAMS += tests/fuzz/replay_rpc
tests_fuzz_replay_rpc_SOURCES = tests/fuzz/fuzz_rpc.c tests/fuzz/replay.c
tests_fuzz_replay_rpc_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS) -DTL_FUZZ_CORPUS='"rpc"'
tests_fuzz_replay_rpc_LDADD = $(TL_DAEMON_LIBS) $(TEST_LIBS)
TESTS += tests/fuzz/replay_rpc
if ENABLE_FUZZ
noinst_PROGRAMS += tests/fuzz/fuzz_rpc
tests_fuzz_fuzz_rpc_SOURCES = tests/fuzz/fuzz_rpc.c
tests_fuzz_fuzz_rpc_CFLAGS = $(TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_fuzz_fuzz_rpc_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_rpc_LDADD = $(TL_DAEMON_LIBS) $(TEST_LIBS)
endif
TESTS += tests/interop/daemon_remote.sh
EXTRA_DIST += tests/interop/daemon_remote.sh
