#!/usr/bin/env bash
# seed_nocheck.sh: `trackless seed --no-check` serves at once and verifies
# each piece the first time a peer reads it (or when idle, in the
# background pass). (1) Intact data: the seeder
# starts with every piece unverified, a leecher gets it all byte for byte,
# then nothing is left unverified, and a restart trusts what was hashed
# (the resume file). (2) A few bytes changed in piece K: piece K is never
# sent (the leecher does not complete and sees no hash failure; every
# other piece arrives intact),
# the seeder reports it damaged naming the piece and the file, and its
# have_bytes drop; the resume file never vouches for an unhashed piece. (3) A missing or short file is refused, exit 1.
set -uo pipefail
. "${top_srcdir:-.}/tests/integration/engine_lib.sh"
. "${top_srcdir:-.}/tests/integration/nocheck_lib.sh"
"$bin" seed --help | grep -q -- "--no-check" || fail "seed --help does not document --no-check"
plen=$((256 * 1024))
k=100
mkdir -p "$work/data" "$work/bad"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$work/data/big.bin"
timeout 30 "$bin" create "$work/data/big.bin" -p 256K -o "$work/t.torrent" >/dev/null 2>&1 || fail create
npieces=$(((64 * 1024 * 1024) / plen))

# (1) intact data
sport=$((port_base + 41))
t0=$(date +%s%N)
nocheck_seed "$work/data" $sport seed1 50
t1=$(date +%s%N)
unv=$(json_field "$work/seed1.out" checked unverified_pieces)
echo "started in $(((t1 - t0) / 1000000)) ms with ${unv:-?} of $npieces pieces unverified"
[ "${unv:-0}" -eq $npieces ] || fail "expected $npieces unverified pieces at start, got ${unv:-none}"
[ "$(json_field "$work/seed1.out" checked have_bytes)" = $((64 * 1024 * 1024)) ] ||
	fail "the seeder does not start complete"
[ $(((t1 - t0) / 1000000)) -lt 5000 ] || fail "the seeder took more than 5 s to start"
timeout 40 "$bin" get "$work/t.torrent" -o "$work/dl1" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--state-dir "$work/g1" --no-seed --json >"$work/get1.out" 2>"$work/get1.err" ||
	fail "get exited $?"
cmp -s "$work/data/big.bin" "$work/dl1/big.bin" || fail "the downloaded data differs"
for _ in $(seq 30); do
	[ "$(json_last "$work/seed1.out" unverified_pieces)" = 0 ] && break
	sleep 0.2
done
[ "$(json_last "$work/seed1.out" unverified_pieces)" = 0 ] ||
	fail "pieces left unverified after a full download: $(json_last "$work/seed1.out" unverified_pieces)"
nocheck_stop
# a restart trusts the pieces hashed before (the resume file)
cp -r "$work/seed1.state" "$work/seed1b.state"
nocheck_seed "$work/data" $sport seed1b 20
[ "$(json_field "$work/seed1b.out" checked unverified_pieces)" = 0 ] ||
	fail "the restart did not trust the verified pieces"
nocheck_stop

# (2) piece k damaged
damage "$work/data/big.bin" "$work/bad/big.bin" $((k * plen + 1000))
sport=$((port_base + 42))
nocheck_seed "$work/bad" $sport seed2
timeout --foreground 12 "$bin" get "$work/t.torrent" -o "$work/dl2" --peer 127.0.0.2:$sport --bind 127.0.0.3 \
	--state-dir "$work/g2" --no-seed --json >"$work/get2.out" 2>"$work/get2.err"
grep -q '"complete":true' "$work/get2.out" && fail "the leecher completed from damaged data"
[ "$(json_last "$work/get2.out" hash_fails)" = 0 ] || fail "the seeder sent data that failed its hash"
grep -q "piece $k (in big.bin) is damaged" "$work/seed2.err" || fail "the seeder did not log piece $k damaged"
wait_json "$work/seed2.out" damaged 5 || fail "no damaged JSON event"
[ "$(json_field "$work/seed2.out" damaged damaged_piece)" = $k ] || fail "damaged_piece is not $k"
grep '"event":"damaged"' "$work/seed2.out" | grep -q '"damaged_file":"big.bin"' || fail "damaged_file is not big.bin"
[ "$(json_field "$work/seed2.out" damaged have_bytes)" = $((64 * 1024 * 1024 - plen)) ] ||
	fail "the seeder's have_bytes did not drop by one piece"
got=$(json_last "$work/get2.out" have_bytes)
[ "${got:-0}" = $((64 * 1024 * 1024 - plen)) ] || fail "the leecher has ${got:-?} bytes, not all but piece $k"
# every piece but k arrived intact; piece k was never written
for i in $(seq 0 $((npieces - 1))); do
	if [ $i -eq $k ]; then
		[ -z "$(dd if="$work/dl2/big.bin" bs=$plen skip=$i count=1 status=none | tr -d '\0' | head -c 1)" ] ||
			fail "piece $k reached the leecher"
	elif ! cmp -s <(dd if="$work/data/big.bin" bs=$plen skip=$i count=1 status=none) \
		<(dd if="$work/dl2/big.bin" bs=$plen skip=$i count=1 status=none); then
		fail "piece $i differs"
		break
	fi
done
nocheck_stop
# stopped at once, before piece k could be read: the resume file vouches
# only for hashed pieces, so a checked restart still finds k missing
nocheck_seed "$work/bad" $sport seed2b
nocheck_stop
timeout --foreground 30 "$bin" seed "$work/t.torrent" "$work/bad" --bind 127.0.0.2 --port $sport \
	--state-dir "$work/seed2b.state" --json >"$work/seed2c.out" 2>"$work/seed2c.err" &
spid=$!
pids+=($spid)
wait_json "$work/seed2c.out" checked 20 || fail "the checked restart did not start"
[ "$(json_field "$work/seed2c.out" checked pieces_have)" = $((npieces - 1)) ] ||
	fail "the restart has $(json_field "$work/seed2c.out" checked pieces_have) pieces, not all but $k"
nocheck_stop

# (3) a missing file, then a short one
mkdir -p "$work/empty"
timeout 10 "$bin" seed "$work/t.torrent" "$work/empty" --no-check --bind 127.0.0.2 --port $((port_base + 43)) \
	--state-dir "$work/s3" >"$work/seed3.out" 2>"$work/seed3.err"
rc=$?
[ $rc -eq 1 ] || fail "a missing file: exit $rc, not 1"
grep -q "big.bin is missing" "$work/seed3.err" || fail "the error does not name the missing file"
head -c $((64 * 1024 * 1024 - 1)) "$work/data/big.bin" >"$work/empty/big.bin"
timeout 10 "$bin" seed "$work/t.torrent" "$work/empty" --no-check --bind 127.0.0.2 --port $((port_base + 43)) \
	--state-dir "$work/s3" >"$work/seed3.out" 2>"$work/seed3.err"
rc=$?
[ $rc -eq 1 ] || fail "a short file: exit $rc, not 1"
grep -q "big.bin is short" "$work/seed3.err" || fail "the error does not name the short file"

if [ $fails -ne 0 ]; then
	tail -n 15 "$work"/seed*.err "$work"/get*.err
	exit 1
fi
echo ok
