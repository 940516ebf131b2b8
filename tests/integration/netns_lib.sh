# netns_lib.sh: sourced by the tests that run in namespaces of their own
# (dht_no_bootstrap.sh, dht_same_subnet.sh). Not a test by itself.
#
# netns_run SECONDS UNSHARE_FLAGS... -- "$@": outside, check what is
# needed (skip, 77, without it), make a work dir and run the calling
# script again as `unshare FLAGS bash SCRIPT --inside WORK`, bounded by
# SECONDS, then exit with its status. Inside, it returns at once with
# $work set, lo up, pids[] killed by PID on exit and fail() counting into
# $fails.
bin=${top_builddir:-.}/trackless
node=${top_builddir:-.}/trackless-node

netns_run() {
	local secs=$1 flags=()
	shift
	while [ "$1" != -- ]; do
		flags+=("$1")
		shift
	done
	shift
	if [ "${1:-}" = --inside ]; then
		work=$2
		pids=()
		trap 'for p in "${pids[@]+"${pids[@]}"}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
		fails=0
		ip link set lo up || exit 1
		return 0
	fi
	[ -x "$bin" ] && [ -x "$node" ] || { echo "SKIP: trackless or trackless-node is not built"; exit 77; }
	local t
	for t in unshare ip "${NETNS_NEEDS[@]+"${NETNS_NEEDS[@]}"}"; do
		command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }
	done
	timeout 10 unshare "${flags[@]}" true 2>/dev/null ||
		{ echo "SKIP: cannot make namespaces (unshare ${flags[*]}: needs root)"; exit 77; }
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	# everything inside is bounded by this timeout; the namespaces go with it
	timeout -k 5 "$secs" unshare "${flags[@]}" bash "$0" --inside "$work"
	exit $?
}

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
