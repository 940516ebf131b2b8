#!/usr/bin/env bash
# dht_bep44_libtorrent.sh: BEP 44 items between our DHT and libtorrent's
# (python3-libtorrent 2.0) on loopback, both directions:
#   1. libtorrent dht_put_mutable_item (the BEP 44 test key, salt "lt") and
#      dht_put_immutable_item; `trackless dht get` reads both back;
#   2. `trackless dht put` of a mutable item (our keygen key, salt "tl",
#      seq 7) and of an immutable one; libtorrent dht_get_mutable_item and
#      dht_get_immutable_item read them back.
# Each direction also with 1000-byte values (bencoded, the BEP 44 maximum:
# put queries and get replies over 1024 bytes), compared byte for byte;
# our 1000-byte puts must be stored by every node they went to, libtorrent
# included.
# Our nodes on 127.0.0.2..6, libtorrent on 127.0.0.9 bootstrapping from
# 127.0.0.2; settings per notes/interop.md (dht_restrict_routing_ips and
# dht_restrict_search_ips off). Bounded; every process stopped by PID.
set -euo pipefail
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/dht_nodes.sh"
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c 'import libtorrent' 2>/dev/null ||
	{ echo "SKIP: python3-libtorrent is not installed"; exit 77; }
start_nodes 2 6
sleep 2

key=$dir/k.key
ourpk=$("$bin" dht keygen -o "$key") || fail "keygen"
# 1000-byte values ("996:" + 996 bytes), one per direction and kind
for f in lt-big-m lt-big-i tl-big-m tl-big-i; do
	head -c 1200 /dev/urandom | base64 -w0 | head -c 996 >"$dir/$f"
done

# BEP 44 test vector key: public key and the expanded secret key, the form
# libtorrent signs with
ltpk=77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548
ltsk=e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74db7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d

cat >"$dir/lt.py" <<'PY'
import os, sys, time
import libtorrent as lt
port, d, ltpk, ltsk, ourpk = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
s = lt.session({
    'listen_interfaces': '127.0.0.9:%d' % port,
    'outgoing_interfaces': '127.0.0.9',
    'listen_system_port_fallback': False,
    'enable_lsd': False, 'enable_upnp': False, 'enable_natpmp': False,
    'enable_ip_notifier': False, 'enable_dht': True,
    'dht_bootstrap_nodes': '127.0.0.2:%d' % port,
    'dht_restrict_routing_ips': False, 'dht_restrict_search_ips': False,
    'alert_mask': lt.alert.category_t.dht_notification | lt.alert.category_t.error_notification |
                  lt.alert.category_t.dht_operation_notification,
})
def wait_for(pred, limit):
    end = time.time() + limit
    while time.time() < end:
        for a in s.pop_alerts():
            r = pred(a)
            if r is not None:
                return r
        time.sleep(0.1)
    return None
def nodes():
    s.post_dht_stats()
    return wait_for(lambda a: sum(b['num_nodes'] for b in a.routing_table)
                    if isinstance(a, lt.dht_stats_alert) else None, 2) or 0
end = time.time() + 15
while nodes() < 3 and time.time() < end:
    time.sleep(0.3)
print('libtorrent: DHT up', flush=True)
# 1. libtorrent puts
s.dht_put_mutable_item(bytes.fromhex(ltsk), bytes.fromhex(ltpk), b'from libtorrent', b'lt')
ok = wait_for(lambda a: a.num_success if isinstance(a, lt.dht_put_alert) and a.public_key != bytes(32) else None, 20)
print('libtorrent: mutable put to %s nodes' % ok, flush=True)
t = s.dht_put_immutable_item(b'immutable from libtorrent')
ok = wait_for(lambda a: a.num_success if isinstance(a, lt.dht_put_alert) else None, 20)
print('libtorrent: immutable put %s to %s nodes' % (t, ok), flush=True)
open(os.path.join(d, 'target'), 'w').write(str(t))
big = {f: open(os.path.join(d, f), 'rb').read() for f in ('lt-big-m', 'lt-big-i', 'tl-big-m', 'tl-big-i')}
s.dht_put_mutable_item(bytes.fromhex(ltsk), bytes.fromhex(ltpk), big['lt-big-m'], b'ltbig')
okm = wait_for(lambda a: a.num_success if isinstance(a, lt.dht_put_alert) and a.public_key != bytes(32) else None, 20)
t = s.dht_put_immutable_item(big['lt-big-i'])
oki = wait_for(lambda a: a.num_success if isinstance(a, lt.dht_put_alert) else None, 20)
print('libtorrent: 1000-byte puts: mutable to %s nodes, immutable %s to %s nodes' % (okm, t, oki), flush=True)
open(os.path.join(d, 'target-big'), 'w').write(str(t))
open(os.path.join(d, 'lt-put'), 'w').close()
# 2. then reads ours
end = time.time() + 60
while not os.path.exists(os.path.join(d, 'go')) and time.time() < end:
    s.pop_alerts()
    time.sleep(0.1)
target, target_big = open(os.path.join(d, 'go')).read().split()
s.dht_get_mutable_item(bytes.fromhex(ourpk), b'tl')
m = wait_for(lambda a: a.item if isinstance(a, lt.dht_mutable_item_alert) else None, 20)
print('libtorrent: mutable item %r' % (m,), flush=True)
s.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(target)))
i = wait_for(lambda a: a.item if isinstance(a, lt.dht_immutable_item_alert) else None, 20)
print('libtorrent: immutable item %r' % (i,), flush=True)
s.dht_get_mutable_item(bytes.fromhex(ourpk), b'tlbig')
bm = wait_for(lambda a: a.item if isinstance(a, lt.dht_mutable_item_alert) else None, 20)
s.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(target_big)))
bi = wait_for(lambda a: a.item if isinstance(a, lt.dht_immutable_item_alert) else None, 20)
print('libtorrent: 1000-byte items: mutable seq %s, %s bytes; immutable %s bytes' % (
    bm and bm.get('seq'), bm and len(bm.get('value') or b''), bi and len(bi.get('value') or b'')), flush=True)
ok = (m is not None and m.get('seq') == 7 and m.get('value') == b'from trackless' and
      i is not None and i.get('value') == b'our immutable' and
      bm is not None and bm.get('seq') == 8 and bm.get('value') == big['tl-big-m'] and
      bi is not None and bi.get('value') == big['tl-big-i'])
print('libtorrent: read ours' if ok else 'libtorrent: did not read ours', flush=True)
sys.exit(0 if ok else 1)
PY
"$py" "$dir/lt.py" "$port" "$dir" "$ltpk" "$ltsk" "$ourpk" >"$dir/lt.log" 2>&1 &
ltpid=$!
pids+=($ltpid)

for _ in $(seq 1 450); do [ -f "$dir/lt-put" ] && break; sleep 0.1; done
[ -f "$dir/lt-put" ] || fail "libtorrent did not put its items"

# 1. libtorrent's items through our nodes
timeout 20 "$bin" dht get "$ltpk" --salt lt --bind 127.0.0.20 --bootstrap 127.0.0.4:$port \
	--timeout 15 >"$dir/get-lt-mutable.out" 2>&1 || fail "our get of libtorrent's mutable item"
grep -qx "v: 15:from libtorrent" "$dir/get-lt-mutable.out" || fail "libtorrent's mutable value"
ltt=$(cat "$dir/target")
timeout 20 "$bin" dht get "$ltt" --bind 127.0.0.21 --bootstrap 127.0.0.5:$port \
	--timeout 15 >"$dir/get-lt-immutable.out" 2>&1 || fail "our get of libtorrent's immutable item"
grep -qx "v: 25:immutable from libtorrent" "$dir/get-lt-immutable.out" || fail "libtorrent's immutable value"
timeout 20 "$bin" dht get "$ltpk" --salt ltbig --bind 127.0.0.24 --bootstrap 127.0.0.5:$port \
	--timeout 15 >"$dir/get-lt-big-m.out" 2>&1 || fail "our get of libtorrent's 1000-byte mutable item"
[ "$(head -n 1 "$dir/get-lt-big-m.out")" = "v: 996:$(cat "$dir/lt-big-m")" ] \
	|| fail "libtorrent's 1000-byte mutable value differs"
timeout 20 "$bin" dht get "$(cat "$dir/target-big")" --bind 127.0.0.25 --bootstrap 127.0.0.3:$port \
	--timeout 15 >"$dir/get-lt-big-i.out" 2>&1 || fail "our get of libtorrent's 1000-byte immutable item"
[ "$(cat "$dir/get-lt-big-i.out")" = "v: 996:$(cat "$dir/lt-big-i")" ] \
	|| fail "libtorrent's 1000-byte immutable value differs"

# 2. our items, read by libtorrent
timeout 20 "$bin" dht put --key "$key" --salt tl --seq 7 "from trackless" --bind 127.0.0.22 \
	--bootstrap 127.0.0.3:$port --timeout 15 >"$dir/put-mutable.out" 2>&1 || fail "our mutable put"
target=$(timeout 20 "$bin" dht put "our immutable" --bind 127.0.0.23 --bootstrap 127.0.0.6:$port \
	--timeout 15) || fail "our immutable put"
# every node the 1000-byte puts went to stored them (libtorrent's among them)
timeout 20 "$bin" dht put --key "$key" --salt tlbig --seq 8 "$(cat "$dir/tl-big-m")" --json \
	--bind 127.0.0.26 --bootstrap 127.0.0.4:$port --timeout 15 >"$dir/put-big-m.out" 2>&1 \
	|| fail "our 1000-byte mutable put"
grep -Eq '"ok":true,"stored":([5-8]),"sent":\1,' "$dir/put-big-m.out" \
	|| fail "our 1000-byte mutable put was not stored by every node"
target_big=$(timeout 20 "$bin" dht put "$(cat "$dir/tl-big-i")" --json --bind 127.0.0.27 \
	--bootstrap 127.0.0.2:$port --timeout 15 | tee "$dir/put-big-i.out" |
	sed -n 's/^{"target":"\([0-9a-f]*\)","ok":true,"stored":\([5-8]\),"sent":\2,.*/\1/p')
[ -n "$target_big" ] || fail "our 1000-byte immutable put was not stored by every node"
echo "$target $target_big" >"$dir/go"
wait "$ltpid" || fail "libtorrent did not read our items"
cat "$dir/lt.log"
sed 's/"v":"[^"]*"/"v":"..."/' "$dir/put-big-m.out" "$dir/put-big-i.out"
echo "PASS: libtorrent -> trackless and trackless -> libtorrent, mutable and immutable," \
	"small and 1000-byte values"
