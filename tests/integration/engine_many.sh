#!/usr/bin/env bash
# engine_many.sh: 10,000 torrents in one session: added, found by
# infohash, half removed while it runs and added again
# (tests/integration/engine_many.c).
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
many=${top_builddir:-.}/tests/integration/engine_many
[ -x "$many" ] || { echo "SKIP: $many is not built"; exit 77; }
mkdir -p "$work/data"
timeout 60 "$many" 10000 "$work/state" "$work/data"
rc=$?
[ $rc -eq 0 ] || fail "engine_many exited $rc"
[ $fails -eq 0 ] && echo "PASS: engine_many" || exit 1
