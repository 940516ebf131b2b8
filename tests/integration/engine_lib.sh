# engine_lib.sh: helpers sourced by the transfer tests: a private work dir,
# a random port base, processes stopped by PID on exit, waiting for a JSON
# event line. Not a test by itself.
bin=${top_builddir:-.}/trackless
[ -x "$bin" ] || { echo "SKIP: $bin is not built"; exit 77; }
work=$(mktemp -d)
pids=()
# Background processes run under `timeout`, which passes SIGTERM on to its
# child but not SIGKILL: stop them with SIGTERM first, then kill what is
# left, children (by parent PID) before their `timeout`.
cleanup() {
	local p i alive
	for p in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 30); do
		alive=0
		for p in "${pids[@]+"${pids[@]}"}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]+"${pids[@]}"}"; do
		pkill -9 -P "$p" 2>/dev/null
		kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# A block of 100 ports below the ephemeral range (32768+, so no outgoing
# socket holds one) in which nothing listens yet: other test runs on the
# same host use 127.0.0.x too.
for _ in $(seq 50); do
	port_base=$((20000 + (RANDOM % 120) * 100))
	ss -Hltn 2>/dev/null | awk '{print $4}' | grep -qE ":$((port_base / 100))[0-9][0-9]\$" || break
done
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# wait_json FILE EVENT SECONDS: wait until FILE has a line with that event.
wait_json() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "\"event\":\"$2\"" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_json_count FILE EVENT N SECONDS: wait until FILE has N lines with
# that event (N torrents checked, say).
wait_json_count() {
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(grep -c "\"event\":\"$2\"" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

# json_field FILE EVENT KEY: the numeric KEY of the last EVENT line of FILE.
json_field() {
	grep "\"event\":\"$2\"" "$1" | tail -1 | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p"
}

# same_tree A B: every regular file under A equals the one under B.
same_tree() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/sum.a"
	(cd "$2" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$work/sum.b"
	cmp -s "$work/sum.a" "$work/sum.b"
}
