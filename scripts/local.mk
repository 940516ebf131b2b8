EXTRA_DIST += scripts/setup scripts/test scripts/demo scripts/check-style scripts/fuzz scripts/build
EXTRA_DIST += scripts/bench-create
# dht benchmark (scripts/bench-dht)
EXTRA_DIST += scripts/bench-dht
EXTRA_DIST += scripts/bench-transfer
EXTRA_DIST += scripts/bench-hostile
EXTRA_DIST += scripts/bench-magnet
# many torrents in one process, beside transmission-daemon
EXTRA_DIST += scripts/bench-many
# trackless-node
EXTRA_DIST += scripts/trackless-node.service scripts/bench-node
