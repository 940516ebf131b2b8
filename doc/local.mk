EXTRA_DIST += doc/ARCHITECTURE.md doc/BENCHMARKS.md doc/PROTOCOLS.md
dist_man_MANS += doc/trackless.1
EXTRA_DIST += doc/dht-api.md
# trackless-node
dist_man_MANS += doc/trackless-node.8
