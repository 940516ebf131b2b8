#!/usr/bin/env bash
# dht_item_big.sh: BEP 44 values of the largest size, 1000 bytes bencoded,
# between real processes: 10 `trackless dht node` processes on
# 127.0.0.2..11; a mutable (64-byte salt) and an immutable `dht put` of a
# 1000-byte value through one node come back byte for byte from `dht get`
# through another. Such a put query and get reply do not fit 1024 bytes
# (krpc.h KRPC_MAX_OUT_ITEM). A newer seq of the same size replaces the
# first. Bounded, loopback only, every process stopped by PID.
set -euo pipefail
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/dht_nodes.sh"
start_nodes 2 11
sleep 3

key=$dir/k.key
pk=$("$bin" dht keygen -o "$key") || fail "keygen"
value() { head -c 1200 /dev/urandom | base64 -w0 | head -c 996; } # "996:" + 996 = 1000
salt=$(printf 's%.0s' $(seq 1 64))
put() { timeout 30 "$bin" dht put "$@" --timeout 25; }
get() { timeout 20 "$bin" dht get "$@" --timeout 15; }

v1=$(value)
[ "${#v1}" -eq 996 ] || fail "could not make a value"
put --key "$key" --salt "$salt" --seq 3 "$v1" --bind 127.0.0.40 --bootstrap 127.0.0.4:$port \
	>"$dir/put1.out" 2>&1 || fail "1000-byte mutable put"
grep -Eq "^stored on [1-8] of [1-8] nodes$" "$dir/put1.out" || fail "put1 did not report its nodes"
get "$pk" --salt "$salt" --bind 127.0.0.41 --bootstrap 127.0.0.9:$port >"$dir/get1.out" 2>&1 \
	|| fail "1000-byte mutable get"
[ "$(head -n 1 "$dir/get1.out")" = "v: 996:$v1" ] || fail "1000-byte mutable value differs"
grep -qx "seq: 3" "$dir/get1.out" || fail "1000-byte mutable seq"

v2=$(value)
put --key "$key" --salt "$salt" --seq 4 "$v2" --json --bind 127.0.0.42 \
	--bootstrap 127.0.0.6:$port >"$dir/put2.out" 2>&1 || fail "1000-byte mutable put, seq 4"
grep -q '"ok":true,"stored":[1-8],"sent":[1-8],"errors":\[\]' "$dir/put2.out" \
	|| fail "put2 json"
get "$pk" --salt "$salt" --json --bind 127.0.0.43 --bootstrap 127.0.0.11:$port \
	>"$dir/get2.out" 2>&1 || fail "1000-byte mutable get, seq 4"
grep -qF "\"v\":\"996:$v2\",\"seq\":4}" "$dir/get2.out" || fail "seq 4 did not replace seq 3"

v3=$(value)
target=$(put "$v3" --bind 127.0.0.44 --bootstrap 127.0.0.8:$port 2>"$dir/put3.out") \
	|| fail "1000-byte immutable put"
want=$(printf '996:%s' "$v3" | sha1sum | cut -c1-40)
[ "$target" = "$want" ] || fail "immutable put printed '$target', not SHA-1 of the value"
get "$target" --bind 127.0.0.45 --bootstrap 127.0.0.3:$port >"$dir/get3.out" 2>&1 \
	|| fail "1000-byte immutable get"
[ "$(cat "$dir/get3.out")" = "v: 996:$v3" ] || fail "1000-byte immutable value differs"
echo "PASS: 1000-byte mutable (seq 3 -> 4) and immutable values put and read back byte for byte"
