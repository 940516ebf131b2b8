#!/usr/bin/env bash
# bad_input.sh: `trackless info` on hostile or broken input prints exactly
# one error line on stderr, nothing on stdout, exits 2 (1 for an unreadable
# file), never crashes, and writes nothing into the current directory.
set -uo pipefail
bin=${top_builddir:-.}/trackless
vec=${top_srcdir:-.}/tests/vectors
[ -x "$bin" ] || { echo "SKIP: $bin is not built"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/in" "$work/cwd"
fails=0

# expect WANT_RC WANT_SUBSTRING ARG...: one run of `trackless info ARG...`
# from an empty directory.
expect() {
	local want_rc=$1 want=$2
	shift 2
	(cd "$work/cwd" && timeout 20 "$bin" info "$@" >"$work/out" 2>"$work/err")
	local rc=$? lines
	lines=$(wc -l <"$work/err")
	if [ $rc -ne "$want_rc" ] || [ "$lines" -ne 1 ] || [ -s "$work/out" ] ||
		! grep -qF -- "$want" "$work/err" || [ -n "$(ls -A "$work/cwd")" ]; then
		echo "FAIL: info $(echo "$*" | cut -c1-80): rc=$rc (want $want_rc), $lines stderr lines, want \"$want\""
		head -c 300 "$work/err"
		fails=$((fails + 1))
	else
		echo "ok: rc=$rc: $(cat "$work/err")"
	fi
	[ $rc -lt 128 ] || { echo "FAIL: crashed (rc=$rc)"; fails=$((fails + 1)); }
}

head -c 200 "$vec/multi.torrent" >"$work/in/truncated.torrent"
expect 2 "truncated" "$work/in/truncated.torrent"

truncate -s $((64 * 1024 * 1024 + 1)) "$work/in/huge.torrent" # sparse
expect 2 "larger than 67108864 bytes" "$work/in/huge.torrent"

printf 'l%.0s' $(seq 5000) >"$work/in/deep.torrent"
printf 'e%.0s' $(seq 5000) >>"$work/in/deep.torrent"
expect 2 "nested too deeply" "$work/in/deep.torrent"

printf 'd4:infod6:lengthi01e4:name1:x12:piece lengthi16384e6:pieces20:AAAAAAAAAAAAAAAAAAAAee' \
	>"$work/in/noncanonical.torrent"
expect 2 "bencode:" "$work/in/noncanonical.torrent"

expect 2 'info.files[0].path: component ".." is not allowed' "$vec/traversal.torrent"
expect 2 "v2-only torrents are not supported yet" "$vec/v2only.torrent"
: >"$work/in/empty.torrent"
expect 2 "empty input" "$work/in/empty.torrent"
expect 2 "is a directory" "$work/in"
expect 1 "cannot open" "$work/in/missing.torrent"

expect 2 "magnet: xt is missing" 'magnet:?dn=x'
expect 2 "btih must be 40 hex or 32 base32" 'magnet:?xt=urn:btih:1234'
expect 2 "malformed %-escape" 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=%zz'
expect 2 "v2-only magnet links" \
	'magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e'
expect 2 "longer than 65536" "magnet:?xt=$(head -c 70000 /dev/zero | tr '\0' a)"

expect 2 "unknown option" --frobnicate x.torrent
expect 2 "one FILE or MAGNET" a.torrent b.torrent

# and a good one still works, writing nothing
(cd "$work/cwd" && timeout 20 "$bin" info --json "$vec/multi.torrent" >"$work/out") || fails=$((fails + 1))
grep -q '"infohash":"80e47ecdb49e135cb3ab0e366070fe54873661a7"' "$work/out" ||
	{ echo "FAIL: good torrent"; fails=$((fails + 1)); }
[ -z "$(ls -A "$work/cwd")" ] || { echo "FAIL: files written"; fails=$((fails + 1)); }

# control characters from a name never reach the terminal raw
"$bin" info 'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=a%1B%5B2Jb%07' >"$work/out"
if LC_ALL=C grep -q $'[\x01-\x08\x1b\x7f]' "$work/out" || ! grep -qF 'a\x1b[2Jb\x07' "$work/out"; then
	echo "FAIL: control characters in text output"
	fails=$((fails + 1))
fi

[ $fails -eq 0 ] && echo "bad_input: all passed"
exit $((fails > 0))
