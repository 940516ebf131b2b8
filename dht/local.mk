# libdht: the standalone Mainline DHT library (dht/ never includes src/).
lib_LIBRARIES += dht/libdht.a
dht_libdht_a_SOURCES = \
	dht/benc.c dht/benc.h \
	dht/dht.c dht/dht.h \
	dht/inst.c dht/inst.h \
	dht/txn.c dht/txn.h \
	dht/server.c dht/server.h \
	dht/search.c dht/search.h \
	dht/putwait.c dht/putwait.h \
	dht/items.c dht/items.h \
	dht/id.c \
	dht/addr.c dht/addr.h \
	dht/krpc.c dht/krpc.h \
	dht/bep42.c dht/bep42.h \
	dht/token.c dht/token.h \
	dht/rtable.c dht/rtable.h \
	dht/store.c dht/store.h \
	dht/limiter.c dht/limiter.h \
	dht/lookup.c dht/lookup.h \
	dht/persist.c dht/persist.h
dht_libdht_a_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS) -fvisibility=hidden
pkginclude_HEADERS += dht/dht.h
pkgconfig_DATA += dht/libdht.pc
DHT_LIBS = dht/libdht.a $(SODIUM_LIBS)
# dht_event adapter
# The optional libevent adapter lives in libdht.a: a program that never
# calls dht_ev_* never pulls it in, so libdht alone still needs no libevent.
dht_libdht_a_SOURCES += dht/dht_event.c dht/dht_event.h
dht_libdht_a_CFLAGS += $(LIBEVENT_CFLAGS)
pkginclude_HEADERS += dht/dht_event.h
# trackless-node
# The bootstrap router's pool and ping cookies are sans-I/O parts of libdht;
# the daemon itself (L5) uses libevent and pthreads directly.
dht_libdht_a_SOURCES += dht/pool.c dht/pool.h dht/cookie.c dht/cookie.h
sbin_PROGRAMS += trackless-node
trackless_node_SOURCES = dht/node.c dht/node.h dht/node_router.c dht/node_stats.c
trackless_node_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(SODIUM_CFLAGS) -pthread
trackless_node_LDADD = $(DHT_LIBS) $(LIBEVENT_PTHREADS_LIBS) $(LIBEVENT_LIBS) $(SODIUM_LIBS) -lpthread
# BEP 44 / 33 / 51
dht_libdht_a_SOURCES += dht/bep44.c dht/bep44.h dht/bep33.c dht/bep33.h
DHT_LIBS += -lm
