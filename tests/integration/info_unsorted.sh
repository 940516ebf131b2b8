#!/usr/bin/env bash
# info_unsorted.sh: a .torrent whose dictionary keys are out of order loads
# (exit 0) with one warning line naming the first misplaced key, the JSON
# output carries the same reason in "not_canonical", and the infohash is
# SHA-1 over the info bytes as they stand in the file (computed here by an
# independent bencode walker), not over a sorted copy.
set -uo pipefail
bin=${top_builddir:-.}/trackless
vec=${top_srcdir:-.}/tests/vectors
[ -x "$bin" ] || { echo "SKIP: $bin is not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

t=$vec/unsorted.torrent
timeout 20 "$bin" info "$t" >"$work/text" 2>"$work/text.err" || { echo "info refused"; cat "$work/text.err"; exit 1; }
timeout 20 "$bin" info --json "$t" >"$work/json" 2>"$work/json.err" || exit 1
timeout 20 "$bin" info "$vec/single.torrent" >/dev/null 2>"$work/sorted.err" || exit 1
timeout 20 "$bin" info --json "$vec/single.torrent" >"$work/sorted.json" || exit 1

timeout 20 python3 - "$work" "$t" <<'PY'
import hashlib, json, sys
w, path = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()

def skip(b, i):
    """Index one past the bencoded value at b[i]."""
    c = b[i:i + 1]
    if c == b"i":
        return b.index(b"e", i) + 1
    if c in (b"l", b"d"):
        i += 1
        while b[i:i + 1] != b"e":
            i = skip(b, i)
        return i + 1
    colon = b.index(b":", i)
    return colon + 1 + int(b[i:colon])

# walk the top dictionary for the value of "info", keys in file order
i, info = 1, None
while raw[i:i + 1] != b"e":
    kend = skip(raw, i)
    key = raw[raw.index(b":", i) + 1:kend]
    vend = skip(raw, kend)
    if key == b"info":
        info = raw[kend:vend]
    i = vend
assert info is not None
want = hashlib.sha1(info).hexdigest()

err = open(f"{w}/text.err").read().splitlines()
reason = "dictionary keys out of order at byte 30, inside info"
assert err == [f"trackless info: {path}: warning: not canonical bencode: {reason}"], err
text = open(f"{w}/text").read()
assert f"infohash:    {want}\n" in text, text
j = json.loads(open(f"{w}/json").read())
assert j["infohash"] == want and j["not_canonical"] == reason, j
assert open(f"{w}/json.err").read() == ""
assert open(f"{w}/sorted.err").read() == ""
assert json.loads(open(f"{w}/sorted.json").read())["not_canonical"] is None
print("info_unsorted: ok, infohash", want)
PY
