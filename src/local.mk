# The client engine (libtrackless.a) and the `trackless` command.
noinst_LIBRARIES += src/libtrackless.a
src_libtrackless_a_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS) $(SODIUM_CFLAGS)
src_libtrackless_a_SOURCES = \
	src/err.h src/bounds.h src/rd.h \
	src/mem.c src/mem.h \
	src/log.c src/log.h \
	src/fdlimit.c src/fdlimit.h \
	src/digest.c src/digest.h
# -- codecs (metainfo, magnet, create)
src_libtrackless_a_SOURCES += src/create.c src/create.h src/create_hash.c src/create_tree.h \
	src/sockaddr.h
src_libtrackless_a_SOURCES += src/utf8.c src/utf8.h src/metainfo.c src/metainfo.h
src_libtrackless_a_SOURCES += src/magnet.c src/magnet.h src/json.c src/json.h src/str.c src/str.h
# -- peer wire (handshake, wire, ext, bitfield)
src_libtrackless_a_SOURCES += src/bitfield.c src/bitfield.h
src_libtrackless_a_SOURCES += src/handshake.c src/handshake.h
src_libtrackless_a_SOURCES += src/wire.c src/wire.h
src_libtrackless_a_SOURCES += src/ext.c src/ext.h
src_libtrackless_a_SOURCES += src/ut_metadata.c src/ut_metadata.h
src_libtrackless_a_SOURCES += src/ut_pex.c src/ut_pex.h
# -- storage and policy (layout, diskio, picker, choker)
src_libtrackless_a_SOURCES += src/picker.c src/picker.h
src_libtrackless_a_SOURCES += src/choker.c src/choker.h
src_libtrackless_a_SOURCES += src/layout.c src/layout.h
src_libtrackless_a_SOURCES += src/diskio.c src/diskio.h
# -- session (peer, listener, torrent, session)
src_libtrackless_a_SOURCES += src/resume.c src/resume.h
src_libtrackless_a_SOURCES += src/peer.c src/peer.h src/listener.c src/listener.h
src_libtrackless_a_SOURCES += src/torrent.c src/torrent.h src/torrent_int.h src/torrent_state.c
src_libtrackless_a_SOURCES += src/session.c src/session.h src/statedir.c src/statedir.h
# -- trackers
src_libtrackless_a_SOURCES += \
	src/tracker_msg.c src/tracker_msg.h \
	src/tracker_http.c src/tracker_http.h \
	src/tracker_udp.c src/tracker_udp.h \
	src/tracker.c src/tracker.h

TL_LIBS = src/libtrackless.a $(DHT_LIBS) $(LIBEVENT_PTHREADS_LIBS) $(LIBEVENT_OPENSSL_LIBS) \
	$(LIBEVENT_LIBS) $(OPENSSL_LIBS) $(SODIUM_LIBS) -lpthread -lm

bin_PROGRAMS += trackless
trackless_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS)
trackless_SOURCES = \
	src/cli/main.c src/cli/cli.h
# -- cli: codecs
trackless_SOURCES += src/cli/cmd_create.c
trackless_SOURCES += src/cli/cmd_info.c
# -- cli: dht
trackless_SOURCES += src/cli/cmd_dht.c
# -- cli: get/seed
trackless_SOURCES += src/cli/cmd_get.c src/cli/cmd_seed.c src/cli/transfer.c \
	src/cli/transfer_opts.c src/cli/transfer_status.c src/cli/transfer.h src/cli/transfer_int.h
trackless_LDADD = $(TL_LIBS)
# -- cli: trackers
trackless_SOURCES += src/cli/cmd_tracker.c
# -- cli: dht extensions (BEP 44 items)
trackless_SOURCES += src/cli/cmd_dht_item.c
# -- trackerless (dht glue, metadata, pex)
src_libtrackless_a_SOURCES += src/session_dht.c src/session_dht.h
src_libtrackless_a_SOURCES += src/torrent_ext.c src/torrent_ext.h
src_libtrackless_a_SOURCES += src/metafetch.c src/metafetch.h
src_libtrackless_a_SOURCES += src/early_have.c src/early_have.h
trackless_SOURCES += src/cli/fetch.c src/cli/fetch.h

# -- session trackers
src_libtrackless_a_SOURCES += src/session_tracker.c src/session_tracker.h
trackless_SOURCES += src/cli/scrape.c src/cli/scrape.h
