EXTRA_DIST += doc/ARCHITECTURE.md doc/BENCHMARKS.md doc/PROTOCOLS.md
EXTRA_DIST += doc/dht-api.md
