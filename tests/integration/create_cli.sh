#!/usr/bin/env bash
# create_cli.sh: `trackless create` as a command: exit codes, nothing written
# on bad input, the default output name, refusing to overwrite without
# --force, no temp file left behind, reproducible output with --no-date,
# quiet stderr when it is not a terminal, and every option reaching the
# torrent (read back with `trackless info --json`).
set -uo pipefail
tl="${top_builddir:-.}/trackless"
[ -x "$tl" ] || { echo "create_cli: $tl not built"; exit 1; }
tl=$(cd "$(dirname "$tl")" && pwd)/trackless
py=$(command -v python3) || { echo "SKIP: python3 is not installed"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/tl-create-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
umask 022
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

mkdir -p data/sub empty/sub
head -c 100000 /dev/urandom >data/one
head -c 777 /dev/urandom >data/sub/two
mkfifo data-fifo

# expect_usage DESCRIPTION ARGS...: exit 2, one line on stderr, no torrent.
expect_usage() {
	local what=$1
	shift
	timeout 20 "$tl" create "$@" >out.txt 2>err.txt
	local rc=$?
	[ "$rc" -eq 2 ] || bad "$what: exit $rc, want 2"
	[ "$(wc -l <err.txt)" -eq 1 ] || bad "$what: want one line on stderr, got: $(cat err.txt)"
	[ -z "$(ls ./*.torrent 2>/dev/null)" ] || bad "$what: a torrent was written"
	rm -f ./*.torrent
}
expect_usage "no path"
expect_usage "bad piece size" data --piece-size 3K
expect_usage "piece size too small" data --piece-size 8K
expect_usage "bad node" data --node foo
expect_usage "bad node port" data --node host:0
expect_usage "missing path" nothere
expect_usage "empty tree" empty
expect_usage "fifo" data-fifo
expect_usage "unknown option" data --bogus
expect_usage "two paths" data data
expect_usage "unwritable output dir" data -o nodir/x.torrent

# A good run with the default name, in the current directory.
timeout 20 "$tl" create data >out.txt 2>err.txt || bad "create data: exit $?: $(cat err.txt)"
[ -f data.torrent ] || bad "default output data.torrent missing"
[ -s err.txt ] && bad "stderr not empty when not a terminal: $(cat err.txt)"
ih=$(sed -n 's/^infohash: \([0-9a-f]\{40\}\)$/\1/p' out.txt)
[ -n "$ih" ] || bad "no infohash line: $(cat out.txt)"
grep -q "^magnet: magnet:?xt=urn:btih:$ih" out.txt || bad "no magnet line: $(cat out.txt)"
[ "$(stat -c %a data.torrent)" = 644 ] || bad "mode $(stat -c %a data.torrent), want 644 under umask 022"
ls -a | grep -q 'tmp-' && bad "a temp file was left: $(ls -a)"

# Existing output: refused without --force (file untouched), replaced with it.
cp data.torrent before.torrent
timeout 20 "$tl" create data --comment changed >/dev/null 2>err.txt
[ $? -eq 2 ] || bad "overwrite without --force did not exit 2"
grep -q -- '--force' err.txt || bad "refusal does not mention --force: $(cat err.txt)"
cmp -s data.torrent before.torrent || bad "data.torrent changed without --force"
timeout 20 "$tl" create data --comment changed --force >/dev/null 2>&1 || bad "--force failed"
cmp -s data.torrent before.torrent && bad "--force did not replace data.torrent"
rm -f before.torrent

# Reproducible without a date; different with one.
timeout 20 "$tl" create data --no-date -o a.torrent >/dev/null 2>&1
timeout 20 "$tl" create data --no-date -o b.torrent -j 1 >/dev/null 2>&1
cmp -s a.torrent b.torrent || bad "--no-date output differs between runs (or thread counts)"

# Every option reaches the torrent.
timeout 20 "$tl" create data/ -o full.torrent --no-date --private --piece-size 32K \
	-t http://t1.example/announce -t udp://t2.example:80 -w http://ws.example/ \
	--node 127.0.0.2:6881 --node '[::1]:6882' --comment 'ünïcødé comment' >/dev/null 2>&1 ||
	bad "create with every option failed"
timeout 20 "$tl" info full.torrent --json >info.json || bad "info --json failed"
"$py" - info.json "$tl" <<'EOF' || bad "info --json of full.torrent: see above"
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
version = subprocess.run([sys.argv[2], "--version"], capture_output=True, text=True).stdout.split()[1]
want = {
    "name": "data", "private": True, "piece_size": 32768, "size": 100777, "piece_count": 4,
    "trackers": [["http://t1.example/announce"], ["udp://t2.example:80"]],
    "web_seeds": ["http://ws.example/"], "comment": "ünïcødé comment",
    "created_by": "trackless/" + version,
    "files": [{"path": "one", "size": 100000, "pad": False},
              {"path": "sub/two", "size": 777, "pad": False}],
}
bad = [k for k, v in want.items() if j.get(k) != v]
if len(j.get("nodes", [])) != 2:
    bad.append("nodes")
if j.get("creation_date") not in (None, 0):
    bad.append("creation_date")
for k in bad:
    print("%s: got %r, want %r" % (k, j.get(k), want.get(k)))
sys.exit(1 if bad else 0)
EOF

if [ "$fail" -ne 0 ]; then
	echo "create_cli: $fail failure(s)"
	exit 1
fi
echo "create_cli: ok"
