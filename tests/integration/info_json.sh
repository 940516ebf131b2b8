#!/usr/bin/env bash
# info_json.sh: `trackless info --json` prints one JSON object with exactly
# the documented keys and types (doc/trackless.1), for a torrent and for a
# magnet link, with values matching the sample torrents.
set -uo pipefail
bin=${top_builddir:-.}/trackless
vec=${top_srcdir:-.}/tests/vectors
[ -x "$bin" ] || { echo "SKIP: $bin is not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

timeout 20 "$bin" info --json "$vec/multi.torrent" >"$work/t.json" || exit 1
timeout 20 "$bin" info --json \
	'magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&dn=a+b&tr=udp://t.example:1&x.pe=[::1]:2&so=0,2-3' \
	>"$work/m.json" || exit 1
timeout 20 "$bin" info --json "$vec/single.torrent" >"$work/s.json" || exit 1

timeout 20 python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def load(name):
    text = open(f"{w}/{name}").read()
    assert text.count("\n") == 1, "one line"
    return json.loads(text)
S, I, B, N = str, int, bool, type(None)
torrent = {"type": S, "name": S, "infohash": S, "size": I, "piece_size": I, "piece_count": I,
           "private": B, "hybrid": B, "files": list, "trackers": list, "web_seeds": list,
           "nodes": list, "comment": (S, N), "created_by": (S, N), "creation_date": (I, N),
           "not_canonical": (S, N), "magnet": S}
magnet = {"type": S, "infohash": S, "name": (S, N), "trackers": list, "peers": list,
          "web_seeds": list, "select_only": (S, N), "magnet": S}
def check(obj, schema):
    assert set(obj) == set(schema), sorted(set(obj) ^ set(schema))
    for k, t in schema.items():
        assert isinstance(obj[k], t) and not (t is I and isinstance(obj[k], bool)), k
t = load("t.json")
check(t, torrent)
assert t["type"] == "torrent" and t["name"] == "multi" and t["private"] is True
assert t["infohash"] == "80e47ecdb49e135cb3ab0e366070fe54873661a7"
assert t["size"] == 102768 and t["piece_size"] == 32768 and t["piece_count"] == 4
assert t["files"][1] == {"path": ".pad/12768", "size": 12768, "pad": True}
assert t["files"][3]["path"] == "src/deep/dir/caf\u00e9 \u00fcber.bin"
assert t["trackers"] == [["udp://tier1.example:6969/announce", "http://tier1b.example/announce"],
                         ["http://tier2.example/announce"]]
assert t["nodes"] == ["router.example:6881", "127.0.0.1:6882"]
assert t["comment"] is None and t["creation_date"] is None
assert t["magnet"].startswith("magnet:?xt=urn:btih:80e47ecdb49e135cb3ab0e366070fe54873661a7&dn=multi")
s = load("s.json")
check(s, torrent)
assert s["comment"] == "a sample" and s["creation_date"] == 1700000000 and s["hybrid"] is False
m = load("m.json")
check(m, magnet)
assert m["type"] == "magnet" and m["infohash"] == "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
assert m["name"] == "a b" and m["trackers"] == ["udp://t.example:1"] and m["peers"] == ["[::1]:2"]
assert m["select_only"] == "0,2-3" and m["web_seeds"] == []
print("info_json: ok")
PY
