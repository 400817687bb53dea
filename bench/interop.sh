#!/usr/bin/env bash
# msperf's local_lat/remote_lat against the stock tools' wire: msperf speaks
# NNG's (nng+tcp://) and ZeroMQ's (zmq+tcp://) req/rep wire over a raw tcp pipe
# and pairs with the peer kit's nng_perf/zmq_perf (../shared/bench/peers) both
# ways round. Every pairing must end by itself and report:
#
#   <lib>_perf local_lat  + msperf remote_lat   (msperf measures)
#   msperf local_lat      + <lib>_perf remote_lat   (the peer measures)
#
# The stock tools exchange exactly <roundtrips> messages; the peer kit's tools
# add an untimed warm-up of min(count/10, 1000) on top.  msperf counts its
# warm-up inside <roundtrips>, so it is given count + warm-up against the
# kit's local_lat, and both sides finish on their own; msperf's local_lat
# echoes until its peer leaves, whatever the count.
#
# usage: bench/interop.sh        env: LIBS="nng zmq" COUNT=2000 SIZES="64 1000"
#        SHARED, BENCH_WORK, TIMEOUT=30 as bench/compare.sh
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
KIT="$SHARED/bench"
LIBS="${LIBS:-nng zmq}"
COUNT="${COUNT:-2000}"
SIZES="${SIZES:-64 1000}"
TIMEOUT="${TIMEOUT:-30}"
BUILD="${BENCH_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/multisocket-bench}/compare/build"

die() {
	echo "interop.sh: $*" >&2
	exit 1
}
[ -d "$KIT/peers" ] || die "peer kit not found at $KIT/peers (set SHARED)"
mkdir -p "$BUILD"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/bench-interop.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

echo "building msperf (release) and the peers:$(printf ' %s' $LIBS)" >&2
(cd "$ROOT" && swift build -c release --product msperf) >"$TMP/swift.log" 2>&1 || {
	tail -20 "$TMP/swift.log" >&2
	die "msperf build failed"
}
MSPERF="$(cd "$ROOT" && swift build -c release --show-bin-path)/msperf"
for lib in $LIBS; do
	case "$lib" in nng | zmq) ;; *) die "unknown peer '$lib' (nng zmq)" ;; esac
	make -s -C "$KIT/peers" BUILD="$BUILD" "$lib" >"$TMP/make.log" 2>&1 || {
		tail -10 "$TMP/make.log" >&2
		die "peer build failed: make -C $KIT/peers BUILD=$BUILD $lib"
	}
done

port_listening() { # port: a socket listens on it (state 0A in /proc/net/tcp)
	awk -v p=":$(printf '%04X' "$1")" 'NR > 1 && substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
wait_listening() { # port pid
	local i
	for i in $(seq 1 1000); do
		port_listening "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.005
	done
	return 1
}

NFAIL=0
# one pairing: the listener in the background, the dialer in front; both must
# exit 0 within TIMEOUT, and the dialer (remote_lat, the measuring side) must
# print its figure
pair() { # label local_cmd... -- remote_cmd...
	local label=$1 lpid rc lrc figure
	shift
	local -a lcmd=() rcmd=()
	while [ "$1" != -- ]; do lcmd+=("$1"); shift; done
	shift
	rcmd=("$@")
	timeout "$TIMEOUT" "${lcmd[@]}" >"$TMP/l.out" 2>"$TMP/l.err" &
	lpid=$!
	wait_listening "$PORT" "$lpid"
	timeout "$TIMEOUT" "${rcmd[@]}" >"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	wait "$lpid"
	lrc=$?
	figure="$(grep -h -e '^average latency' -e '^RESULT' "$TMP/r.out" | sed 's/.*lat_us=\([0-9.]*\).*/average latency: \1 [us]/')"
	if [ "$rc" -eq 0 ] && [ "$lrc" -eq 0 ] && [ -n "$figure" ]; then
		printf '  ok    %-58s %s\n' "$label" "$figure"
	else
		NFAIL=$((NFAIL + 1))
		printf '  FAIL  %-58s listener rc=%s, dialer rc=%s\n' "$label" "$lrc" "$rc"
		cat "$TMP/l.err" "$TMP/r.err" | tail -4 | sed 's/^/        /'
	fi
}

PORT=$((20000 + RANDOM % 20000))
warmup() { local w=$(($1 / 10)); [ "$w" -gt 1000 ] && w=1000; echo "$w"; }
for lib in $LIBS; do
	bin="$BUILD/${lib}_perf"
	for size in $SIZES; do
		PORT=$((PORT + 1))
		pair "${lib}_perf local_lat + msperf remote_lat ${lib}+tcp, $size B" \
			"$bin" local_lat reqrep "tcp://127.0.0.1:$PORT" "$size" "$COUNT" -- \
			"$MSPERF" remote_lat "$lib+tcp://127.0.0.1:$PORT" "$size" "$((COUNT + $(warmup "$COUNT")))"
		PORT=$((PORT + 1))
		pair "msperf local_lat ${lib}+tcp + ${lib}_perf remote_lat, $size B" \
			"$MSPERF" local_lat "$lib+tcp://127.0.0.1:$PORT" "$size" "$COUNT" -- \
			"$bin" remote_lat reqrep "tcp://127.0.0.1:$PORT" "$size" "$COUNT"
	done
done
[ "$NFAIL" -eq 0 ] || die "$NFAIL pairing(s) failed"
echo "all pairings ended by themselves and reported" >&2
