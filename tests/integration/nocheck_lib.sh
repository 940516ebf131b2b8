# nocheck_lib.sh: helpers sourced by the `seed --no-check` tests (after
# engine_lib.sh). Not a test by itself.

# nocheck_seed DATA PORT NAME [SECONDS]: run `trackless seed --no-check`
# of $work/t.torrent over DATA on 127.0.0.2:PORT (state $work/NAME.state,
# JSON in $work/NAME.out, log in $work/NAME.err), its PID in spid, and
# wait for its "checked" line.
nocheck_seed() {
	timeout --foreground "${4:-40}" "$bin" seed "$work/t.torrent" "$1" --no-check --bind 127.0.0.2 \
		--port "$2" --state-dir "$work/$3.state" --json -v >"$work/$3.out" 2>"$work/$3.err" &
	spid=$!
	pids+=($spid)
	wait_json "$work/$3.out" checked 10 || fail "seeder $3 did not start"
}

# nocheck_stop: stop the seeder nocheck_seed started (its last checkpoint
# written).
nocheck_stop() {
	kill -TERM "$spid"
	wait "$spid" 2>/dev/null
}

# json_last FILE KEY: the numeric KEY of the last JSON line of FILE.
json_last() {
	grep '"event"' "$1" | tail -1 | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

# damage SRC DST OFFSET: DST is a copy of SRC with 3 bytes changed at OFFSET.
damage() {
	cp "$1" "$2"
	printf 'XYZ' | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
}
