#!/usr/bin/env bash
# dht_put_get.sh: BEP 44 from the command line. 12 `trackless dht node`
# processes on 127.0.0.2..13; `dht keygen` makes a key (mode 0600, no
# overwrite); a mutable `dht put` through one node is read back by
# `dht get` through another, a higher --seq replaces it, a lower one does
# not (the put fails, naming error 302); an immutable put comes back by its
# target; a put reports "stored on N of M nodes" from the nodes' answers.
# Bounded, loopback only, every process stopped by PID.
set -euo pipefail
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/dht_nodes.sh"
start_nodes 2 13
sleep 3

key=$dir/k.key
pk=$("$bin" dht keygen -o "$key") || fail "keygen"
[ "${#pk}" -eq 64 ] || fail "keygen printed '$pk', not a 64-hex public key"
[ "$(stat -c %a "$key")" = 600 ] || fail "key file mode is not 0600"
if "$bin" dht keygen -o "$key" 2>/dev/null; then fail "keygen overwrote a key"; fi

put() { timeout 30 "$bin" dht put "$@" --timeout 25 >>"$dir/put.out" 2>&1; }
get() { timeout 20 "$bin" dht get "$@" --timeout 15; }

put --key "$key" --salt s1 --seq 1 "hello" --bind 127.0.0.40 --bootstrap 127.0.0.5:$port \
	|| fail "mutable put"
grep -Eq "^stored on [1-8] of [1-8] nodes$" "$dir/put.out" || fail "put did not report its nodes"
get "$pk" --salt s1 --bind 127.0.0.41 --bootstrap 127.0.0.9:$port >"$dir/get1.out" 2>&1 \
	|| fail "mutable get"
grep -qx "v: 5:hello" "$dir/get1.out" && grep -qx "seq: 1" "$dir/get1.out" || fail "get 1 output"

put --key "$key" --salt s1 --seq 2 "world" --bind 127.0.0.42 --bootstrap 127.0.0.6:$port \
	|| fail "mutable put seq 2"
get "$pk" --salt s1 --json --bind 127.0.0.43 --bootstrap 127.0.0.11:$port >"$dir/get2.out" 2>&1 \
	|| fail "get seq 2"
grep -q '"v":"5:world","seq":2' "$dir/get2.out" || fail "get 2 did not return seq 2"

# a lower seq is refused by the storing nodes (302), seq 2 stays; the put
# fails exactly when no node stored it (one of the 8 closest that missed
# seq 2, as a lookup may, would take seq 1)
rc=0
timeout 30 "$bin" dht put --key "$key" --salt s1 --seq 1 "stale" --json --bind 127.0.0.44 \
	--bootstrap 127.0.0.6:$port --timeout 25 >"$dir/stale.out" 2>&1 || rc=$?
stored=$(sed -n 's/.*"stored":\([0-9]*\),.*/\1/p' "$dir/stale.out")
refused=$(sed -n 's/.*"errors":\[{"code":302,"message":"seq not newer","nodes":\([0-9]*\)}.*/\1/p' \
	"$dir/stale.out")
[ -n "$stored" ] && [ "${refused:-0}" -ge 5 ] && [ "$stored" -le 2 ] \
	|| fail "the stale put was not refused with 302"
if [ "$stored" -eq 0 ] && [ "$rc" -eq 0 ]; then fail "a put that no node stored exited 0"; fi
if [ "$stored" -gt 0 ] && [ "$rc" -ne 0 ]; then fail "a put stored on $stored nodes exited $rc"; fi
get "$pk" --salt s1 --bind 127.0.0.45 --bootstrap 127.0.0.12:$port >"$dir/get3.out" 2>&1 \
	|| fail "get after stale put"
grep -qx "seq: 2" "$dir/get3.out" || fail "a stale seq replaced the item"

target=$(timeout 30 "$bin" dht put "immutable value" --bind 127.0.0.46 \
	--bootstrap 127.0.0.8:$port --timeout 25) || fail "immutable put"
[ "${#target}" -eq 40 ] || fail "immutable put printed '$target'"
want=$(printf '15:immutable value' | sha1sum | cut -c1-40)
[ "$target" = "$want" ] || fail "immutable target $target is not SHA-1 of the bencoded value"
get "$target" --bind 127.0.0.47 --bootstrap 127.0.0.13:$port >"$dir/get4.out" 2>&1 \
	|| fail "immutable get"
grep -qx "v: 15:immutable value" "$dir/get4.out" || fail "immutable get output"
echo "PASS: mutable put/get with seq 1 -> 2 (stale 1 refused with 302), immutable put/get"
