EXTRA_DIST += doc/ARCHITECTURE.md doc/BENCHMARKS.md doc/PROTOCOLS.md
dist_man_MANS += doc/trackless.1
