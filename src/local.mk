# The client engine (libtrackless.a) and the `trackless` command.
noinst_LIBRARIES += src/libtrackless.a
src_libtrackless_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
src_libtrackless_a_SOURCES = \
	src/base/err.h src/base/bounds.h src/base/rd.h \
	src/base/mem.c src/base/mem.h \
	src/base/log.c src/base/log.h \
	src/base/fdlimit.c src/base/fdlimit.h \
	src/base/digest.c src/base/digest.h \
	src/base/sockaddr.c
# -- codecs (metainfo, magnet, create)
src_libtrackless_a_SOURCES += src/codec/create.c src/codec/create.h src/codec/create_hash.c src/codec/create_tree.h \
	src/base/sockaddr.h
src_libtrackless_a_SOURCES += src/base/utf8.c src/base/utf8.h src/codec/metainfo.c src/codec/metainfo.h
src_libtrackless_a_SOURCES += src/codec/magnet.c src/codec/magnet.h src/base/json.c src/base/json.h src/base/str.c src/base/str.h
# -- peer wire (handshake, wire, ext, bitfield)
src_libtrackless_a_SOURCES += src/codec/bitfield.c src/codec/bitfield.h
src_libtrackless_a_SOURCES += src/proto/handshake.c src/proto/handshake.h
src_libtrackless_a_SOURCES += src/proto/wire.c src/proto/wire.h
src_libtrackless_a_SOURCES += src/proto/ext.c src/proto/ext.h
src_libtrackless_a_SOURCES += src/proto/ut_metadata.c src/proto/ut_metadata.h
src_libtrackless_a_SOURCES += src/proto/ut_pex.c src/proto/ut_pex.h
# -- storage and policy (layout, diskio, picker, choker)
src_libtrackless_a_SOURCES += src/proto/picker.c src/proto/picker.h
src_libtrackless_a_SOURCES += src/proto/choker.c src/proto/choker.h
src_libtrackless_a_SOURCES += src/codec/layout.c src/codec/layout.h
src_libtrackless_a_SOURCES += src/io/diskio.c src/io/diskio.h
# -- session (peer, listener, torrent, session)
src_libtrackless_a_SOURCES += src/engine/resume.c src/engine/resume.h
src_libtrackless_a_SOURCES += src/io/conn.c src/io/conn.h src/io/conn_impl.h src/io/conn_tcp.c
src_libtrackless_a_SOURCES += src/io/peer.c src/io/peer.h src/io/listener.c src/io/listener.h
src_libtrackless_a_SOURCES += src/engine/torrent.c src/engine/torrent.h \
	src/engine/swarm.c src/engine/swarm.h src/engine/piecebuf.c src/engine/piecebuf.h \
	src/engine/upload.c src/engine/upload.h src/engine/download.c src/engine/download.h \
	src/engine/slots.c src/engine/slots.h src/engine/seedcheck.c src/engine/seedcheck.h \
	src/engine/startcheck.c src/engine/startcheck.h src/engine/checkpoint.c src/engine/checkpoint.h \
	src/engine/intake.c src/engine/intake.h
src_libtrackless_a_SOURCES += src/engine/session.c src/engine/session.h src/engine/statedir.c src/engine/statedir.h \
	src/engine/entry.c src/engine/entry.h src/engine/announce.c src/engine/announce.h \
	src/engine/queue.c src/engine/queue.h src/engine/catalog.c src/engine/catalog.h
# -- trackers
src_libtrackless_a_SOURCES += \
	src/proto/tracker_msg.c src/proto/tracker_msg.h \
	src/io/tracker_http.c src/io/tracker_http.h \
	src/io/tracker_udp.c src/io/tracker_udp.h \
	src/io/httpd.c src/io/httpd.h \
	src/engine/tracker.c src/engine/tracker.h

TL_LIBS = src/libtrackless.a $(DHT_LIBS) $(LIBEVENT_PTHREADS_LIBS) $(LIBEVENT_OPENSSL_LIBS) \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(SODIUM_LIBS) -lpthread -lm

# The daemon's RPC and settings (jansson), shared by `trackless daemon`
# and the RPC fuzz target.
noinst_LIBRARIES += src/libtldaemon.a
src_libtldaemon_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS) $(JANSSON_CFLAGS)
src_libtldaemon_a_SOURCES = src/daemon/rpc.c src/daemon/rpc.h src/daemon/rpc_int.h \
	src/daemon/rpc_torrent.c src/daemon/settings.c src/daemon/settings.h
TL_DAEMON_LIBS = src/libtldaemon.a $(JANSSON_LIBS)

bin_PROGRAMS += trackless
trackless_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS)
trackless_SOURCES = \
	src/cli/main.c src/cli/cli.h
# -- cli: codecs
trackless_SOURCES += src/cli/cmd_create.c
trackless_SOURCES += src/cli/cmd_info.c
# -- cli: dht
trackless_SOURCES += src/cli/cmd_dht.c src/cli/cmd_dht_ping.c src/cli/cmd_dht_node.c \
	src/cli/cmd_dht_int.h
# -- cli: get/seed
trackless_SOURCES += src/cli/cmd_get.c src/cli/cmd_seed.c src/cli/transfer.c \
	src/cli/transfer_opts.c src/cli/transfer_status.c src/cli/transfer.h src/cli/transfer_int.h
trackless_LDADD = $(TL_DAEMON_LIBS) $(TL_LIBS)
# -- daemon
trackless_SOURCES += src/daemon/daemon.c src/daemon/daemon.h
# -- cli: trackers
trackless_SOURCES += src/cli/cmd_tracker.c
# -- cli: dht extensions (BEP 44 items)
trackless_SOURCES += src/cli/cmd_dht_item.c
# -- trackerless (dht glue, metadata, pex)
src_libtrackless_a_SOURCES += src/engine/session_dht.c src/engine/session_dht.h src/io/udp.c src/io/udp.h
src_libtrackless_a_SOURCES += src/engine/torrent_ext.c src/engine/torrent_ext.h
src_libtrackless_a_SOURCES += src/engine/metafetch.c src/engine/metafetch.h
src_libtrackless_a_SOURCES += src/proto/early_have.c src/proto/early_have.h

# -- session trackers
src_libtrackless_a_SOURCES += src/engine/session_tracker.c src/engine/session_tracker.h
trackless_SOURCES += src/cli/scrape.c src/cli/scrape.h
