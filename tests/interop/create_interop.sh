#!/usr/bin/env bash
# create_interop.sh: torrents made by `trackless create` load in libtorrent
# (python3-libtorrent) and transmission-show with the same infohash and file
# list as `trackless info --json` shows; and torrents made by mktorrent,
# transmission-create and libtorrent (v1-only and hybrid) load in
# `trackless info --json` with the infohash and file list libtorrent reads.
# Shapes: a single file, several files, nested directories, zero-byte files,
# non-ASCII names, sizes that are not a multiple of the piece size.
set -uo pipefail
py=/usr/bin/python3
for tool in mktorrent transmission-create transmission-show timeout; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
[ -x "$py" ] && "$py" -c 'import libtorrent' 2>/dev/null ||
	{ echo "SKIP: python3-libtorrent is not installed"; exit 77; }
tl="${top_builddir:-.}/trackless"
[ -x "$tl" ] || { echo "create_interop: $tl not built"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tl-create-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TL="$tl"

# check.py MODE TORRENT [DATA_DIR]: MODE "ours" compares trackless info,
# libtorrent and transmission-show, and has libtorrent verify every piece of
# the data in DATA_DIR; MODE "theirs" compares trackless info with libtorrent.
cat >"$work/check.py" <<'EOF'
import json, os, re, subprocess, sys, time
import libtorrent as lt

mode, path = sys.argv[1], sys.argv[2]

def run(*argv):
    return subprocess.run(argv, check=True, capture_output=True, timeout=30).stdout

def tl_info():
    j = json.loads(run(os.environ["TL"], "info", path, "--json"))
    # paths are relative to the torrent's directory; a single file is its name
    files = [(j["name"] + "/" + f["path"] if is_multi else f["path"], f["size"])
             for f in j["files"] if not f.get("pad")]
    return j["infohash"], files, j["piece_count"]

def lt_info():
    ti = lt.torrent_info(path)
    ih = str(ti.info_hashes().v1)
    fs = ti.files()
    files = [(fs.file_path(i), fs.file_size(i)) for i in range(fs.num_files())
             if not fs.file_flags(i) & lt.file_storage.flag_pad_file]
    return ih, files, ti.num_pieces()

def tr_show():
    out = run("transmission-show", path).decode("utf-8")
    ih = re.search(r"^\s*Hash: ([0-9a-f]{40})$", out, re.M).group(1)
    pieces = int(re.search(r"^\s*Piece Count: (\d+)$", out, re.M).group(1))
    tail = out.split("\nFILES\n", 1)[1]
    paths = [re.sub(r" \([^()]*\)$", "", l.strip()) for l in tail.splitlines() if l.strip()]
    return ih, sorted(paths), pieces

is_multi = b"files" in lt.bdecode(open(path, "rb").read())[b"info"]
ref = lt_info()
got = tl_info()
bad = []
if got != ref:
    bad.append("trackless info %r != libtorrent %r" % (got, ref))
if mode == "ours":
    tr = tr_show()
    want = (ref[0], sorted(p for p, _ in ref[1]), ref[2])
    if tr != want:
        bad.append("transmission-show %r != libtorrent %r" % (tr, want))
if mode == "ours":
    # libtorrent re-hashes the data against our pieces: every piece must pass.
    ses = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                      "enable_ip_notifier": False, "dht_bootstrap_nodes": ""})
    h = ses.add_torrent({"ti": lt.torrent_info(path), "save_path": sys.argv[3]})
    for _ in range(300):
        st = h.status()
        if st.state in (lt.torrent_status.seeding, lt.torrent_status.finished,
                        lt.torrent_status.downloading) or st.errc.value():
            break
        time.sleep(0.05)
    if not st.is_seeding or st.num_pieces != ref[2]:
        bad.append("libtorrent verified %d of %d pieces (state %s, %s)" %
                   (st.num_pieces, ref[2], st.state, st.errc.message()))
if bad:
    print("\n".join(bad))
    sys.exit(1)
print("ok %s %d files %s" % (ref[0], len(ref[1]), os.path.basename(path)))
EOF

# lt_make SRC OUT FLAGS: a torrent made by libtorrent (FLAGS "v1" or "hybrid").
cat >"$work/lt_make.py" <<'EOF'
import os, sys
import libtorrent as lt
src, out, kind = sys.argv[1], sys.argv[2], sys.argv[3]
fs = lt.file_storage()
lt.add_files(fs, src)
flags = lt.create_torrent.v1_only if kind == "v1" else 0
ct = lt.create_torrent(fs, 0, flags)
ct.set_creator("libtorrent interop test")
lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(src)))
with open(out, "wb") as f:
    f.write(lt.bencode(ct.generate()))
EOF

# Deterministic pseudo-random bytes: mkdata FILE BYTES SEED.
mkdata() {
	"$py" -c 'import random, sys
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(r.randbytes(int(sys.argv[2])))' "$1" "$2" "$3"
}

s="$work/shapes"
mkdir -p "$s/multi" "$s/nested/a/b/c" "$s/nested/d" "$s/zero/sub" \
	"$s/unicode/données/日本" "$s/odd"
mkdata "$s/single.bin" 300000 1
mkdata "$s/multi/one" 70000 2
mkdata "$s/multi/two" 16384 3
mkdata "$s/multi/three" 99999 4
mkdata "$s/nested/a/b/c/deep.dat" 50001 5
mkdata "$s/nested/a/top" 1 6
mkdata "$s/nested/d/e" 40000 7
mkdata "$s/nested/z" 123456 8
: >"$s/zero/empty-first"
mkdata "$s/zero/middle" 65536 9
: >"$s/zero/sub/empty"
mkdata "$s/zero/sub/tail" 777 10
: >"$s/zero/zz-empty-last"
mkdata "$s/unicode/ünïcødé 文件.txt" 20000 11
mkdata "$s/unicode/données/日本/ファイル.bin" 33333 12
mkdata "$s/unicode/Ωmega" 5 13
mkdata "$s/odd/a" $((5 * 16384 + 123)) 14
mkdata "$s/odd/b" $((3 * 32768 - 1)) 15
mkdata "$s/odd.bin" $((7 * 16384 + 1)) 16
shapes="single.bin multi nested zero unicode odd odd.bin"

fail=0
check() { # MODE TORRENT LABEL [DATA_DIR]
	if ! timeout 60 "$py" "$work/check.py" "$1" "$2" "${4:-}"; then
		echo "FAIL: $3"
		fail=$((fail + 1))
	fi
}

theirs() { # LABEL TORRENT CMD...: made by another tool, read by trackless
	local label=$1 t=$2
	shift 2
	if timeout 60 "$@" >/dev/null 2>&1 && [ -s "$t" ]; then
		check theirs "$t" "$label"
	else
		echo "FAIL: $label: the tool could not make the torrent"
		fail=$((fail + 1))
	fi
}

out="$work/out"
mkdir -p "$out"
for shape in $shapes; do
	src="$s/$shape"
	t="$out/$shape"
	if ! timeout 60 "$tl" create "$src" -o "$t.tl.torrent" --no-date -t http://127.0.0.1:1/announce \
		>/dev/null 2>"$work/err"; then
		echo "FAIL: trackless create $shape: $(cat "$work/err")"
		fail=$((fail + 1))
	else
		check ours "$t.tl.torrent" "trackless create $shape" "$s"
	fi
	# a non-default piece size too, so a short last piece is exercised at 32 KiB
	if timeout 60 "$tl" create "$src" -o "$t.tl32.torrent" --piece-size 32K >/dev/null 2>&1; then
		check ours "$t.tl32.torrent" "trackless create --piece-size 32K $shape" "$s"
	else
		echo "FAIL: trackless create --piece-size 32K $shape"
		fail=$((fail + 1))
	fi
	theirs "mktorrent $shape" "$t.mk.torrent" mktorrent -o "$t.mk.torrent" "$src"
	theirs "transmission-create $shape" "$t.tr.torrent" transmission-create -o "$t.tr.torrent" "$src"
	for kind in v1 hybrid; do
		theirs "libtorrent ($kind) $shape" "$t.lt-$kind.torrent" \
			"$py" "$work/lt_make.py" "$src" "$t.lt-$kind.torrent" "$kind"
	done
done

# Our torrent of a tree equals mktorrent's (same rules: byte order, no date
# in the info dict) when the piece size is the same.
a=$("$tl" create "$s/nested" -o "$out/same.tl.torrent" --piece-size 32K 2>/dev/null | sed -n 's/^infohash: //p')
mktorrent -l 15 -o "$out/same.mk.torrent" "$s/nested" >/dev/null 2>&1
b=$(transmission-show "$out/same.mk.torrent" | sed -n 's/^ *Hash: //p')
if [ -z "$a" ] || [ "$a" != "$b" ]; then
	echo "FAIL: trackless ($a) and mktorrent ($b) disagree on the same tree"
	fail=$((fail + 1))
fi

if [ "$fail" -ne 0 ]; then
	echo "create_interop: $fail failure(s)"
	exit 1
fi
echo "create_interop: all shapes agree"
