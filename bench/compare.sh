#!/usr/bin/env bash
# Side-by-side benchmark: MultiSocket (msperf) against NNG, nanomsg and ZeroMQ
# (the C peers in ../shared/bench/peers), interleaved in one sitting, then a
# table of medians per transport (bench/compare.py).
#
# usage: bench/compare.sh            (from anywhere; REPS etc. from the environment)
# env:   REPS=3                  repetitions, interleaved (every case of a rep
#                                runs ours, then each peer, back to back)
#        TRANSPORTS="inproc ipc tcp"   (also sp+tcp sp+ipc: ours on the
#                                Scalability Protocols wire, plain sockets
#                                announcing pair v0; the peers on tcp/ipc, which
#                                is that same wire for nng and nanomsg; their
#                                rows are filed under the sp+ transport too;
#                                and tls+tcp: ours over TLS with the test
#                                certificates made at the start, or those
#                                of MSPERF_TLS_CERT/_KEY/_CA; no peer rows: the
#                                peers' perf tools here have no TLS)
#        LIBS="nng nanomsg zmq"  peers; add nng-pynng for the NNG bundled in
#                                the pynng wheel (fetched with pip on first use)
#        PATTERNS="reqrep pair"  peer rows: reqrep = req/rep latency + push/pull
#                                throughput; pair = pair for both
#        SCALE=1                 multiplies every message count (0.05: smoke run)
#        TIMEOUT=60              seconds, per process
#        RSS=1                   0 skips the peak-RSS run
#        MANY=1                  0 skips the many-connection case: one load
#                                generator, CONNECTIONS req sockets (each its
#                                own tcp connection, one request in flight on
#                                each) against one rep server process; ours
#                                once per IO_THREADS value, beside the nng and
#                                zmq peers of bench/many
#        DEPTHS="1 16"           the wire_many rows once per depth (requests in
#                                flight per connection, MANY_DEPTH)
#        CONNECTIONS=64  IO_THREADS="1 2"   (MULTISOCKET_IO_THREADS of both
#                                msperf processes, one table row each); then
#                                the same servers again, all driven by one C
#                                load generator (bench/many/wire_many), with
#                                each side's CPU time per request
#        QUIET_MAX=0.25 QUIET_WAIT=5    before each measurement wait up to
#                                QUIET_WAIT s for total CPU use to drop below
#                                QUIET_MAX (recorded as pre_busy=; CPU used by
#                                other processes meanwhile as foreign=)
#        PIN=none|same           same: every process on CPU 0 (see lib.sh)
#        SHARED=DIR              holds bench/ (the peer kit); default: the
#                                project root's sibling ../shared
#        BENCH_WORK=~/.cache/multisocket-bench   builds and results
#        OUT=file                default $BENCH_WORK/compare/compare-DATE.txt
#        NO_INSTALL=1            never call apt-get
#
# Everything runs on loopback (127.0.0.1), unix sockets in a private temp
# directory, or in-process.  Each process is bounded by `timeout`.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
KIT="$(cd "$SHARED/bench" 2>/dev/null && pwd)" || KIT="$SHARED/bench"
REPS="${REPS:-3}"
TRANSPORTS="${TRANSPORTS:-inproc ipc tcp}"
LIBS="${LIBS:-nng nanomsg zmq}"
PATTERNS="${PATTERNS:-reqrep pair}"
PYNNG_VERSION="${PYNNG_VERSION:-0.9.0}"
SCALE="${SCALE:-1}"
TIMEOUT="${TIMEOUT:-60}"
RSS="${RSS:-1}"
MANY="${MANY:-1}"
CONNECTIONS="${CONNECTIONS:-64}"
IO_THREADS="${IO_THREADS:-1 2}"
DEPTHS="${DEPTHS:-1 16}"
export QUIET_MAX="${QUIET_MAX:-0.25}"
export QUIET_WAIT="${QUIET_WAIT:-5}"
WORK="${BENCH_WORK:-${XDG_CACHE_HOME:-$HOME/.cache}/multisocket-bench}/compare"
BUILD="$WORK/build"
STARTED=$(date +%s)

die() {
	echo "compare.sh: $*" >&2
	exit 1
}

[ -f "$KIT/lib.sh" ] && [ -d "$KIT/peers" ] ||
	die "peer kit not found at $KIT (set SHARED to the directory holding bench/)"
. "$KIT/lib.sh"
command -v python3 >/dev/null || die "python3 is needed for the tables"

# ---- install the peers' libraries and GNU time if missing -----------------
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		return 1
	fi
}

have_header() { # header: found by the C compiler (libnng-dev ships no .pc file)
	if command -v cc >/dev/null; then
		printf '#include <%s>\n' "$1" | cc -E -x c - >/dev/null 2>&1
	else
		[ -f "/usr/include/$1" ]
	fi
}

missing_packages() {
	local pkgs=""
	command -v pkg-config >/dev/null || pkgs="$pkgs pkg-config"
	have_header nng/nng.h || pkgs="$pkgs libnng-dev"
	have_header nanomsg/nn.h || pkgs="$pkgs libnanomsg-dev"
	have_header zmq.h || pkgs="$pkgs libzmq3-dev"
	[ "$RSS" = 1 ] && [ ! -x /usr/bin/time ] && pkgs="$pkgs time"
	echo "$pkgs"
}

MISSING="$(missing_packages)"
if [ -n "$MISSING" ] && [ "${NO_INSTALL:-0}" != 1 ]; then
	echo "installing:$MISSING" >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $MISSING >&2 ||
		die "could not install$MISSING (run as root or with passwordless sudo, or install them yourself)"
fi

# ---- build ----------------------------------------------------------------
mkdir -p "$WORK" "$BUILD"
# (not /tmp/ms-*: the test suites put their ipc sockets there, and a
# cleanup of those would take this directory with them)
TMP="$(mktemp -d "${TMPDIR:-/tmp}/bench-compare.XXXXXX")"
# msperf's TLS settings (only tls+tcp endpoints read them): the listening side presents the certificate, the
# dialing side trusts the CA. Without MSPERF_TLS_*, a throwaway CA and server certificate are made here.
if [[ " $TRANSPORTS " == *" tls+tcp "* ]] && [ -z "${MSPERF_TLS_CERT:-}" ]; then
	mkdir -p "$TMP/tls"
	(
		cd "$TMP/tls" &&
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-ca -keyout ca.key -out ca.pem &&
			openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr &&
			printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext \
				-out server.pem
	) >"$TMP/tls.log" 2>&1 || die "cannot make the TLS test certificates (is openssl installed?): $TMP/tls.log"
	export MSPERF_TLS_CERT="$TMP/tls/server.pem" MSPERF_TLS_KEY="$TMP/tls/server.key" MSPERF_TLS_CA="$TMP/tls/ca.pem"
fi
PIDS=""
kill_tree() { # pid: it and its descendants (timeout, /usr/bin/time, the program)
	local c
	for c in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$c"; done
	kill "$1" 2>/dev/null
}
cleanup() {
	local p
	for p in $PIDS; do kill_tree "$p"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building msperf (release)" >&2
(cd "$ROOT" && swift build -c release --product msperf) >"$TMP/swift.log" 2>&1 || {
	tail -20 "$TMP/swift.log" >&2
	die "msperf build failed (swift build -c release --product msperf)"
}
MSPERF="$(cd "$ROOT" && swift build -c release --show-bin-path)/msperf"
[ -x "$MSPERF" ] || die "msperf build failed: no binary at $MSPERF"

for tr in $TRANSPORTS; do
	case "$tr" in inproc | ipc | tcp | sp+tcp | sp+ipc | tls+tcp) ;;
	*) die "unknown transport '$tr' in TRANSPORTS (inproc ipc tcp sp+tcp sp+ipc tls+tcp)" ;;
	esac
done
for pattern in $PATTERNS; do
	case "$pattern" in reqrep | pair) ;; *) die "unknown pattern '$pattern' in PATTERNS (reqrep pair)" ;; esac
done
for lib in $LIBS; do
	case "$lib" in nng | nng-pynng | nanomsg | zmq) ;; *) die "unknown peer '$lib' in LIBS (nng nng-pynng nanomsg zmq)" ;; esac
done
echo "building peers:$(printf ' %s' $LIBS)" >&2
for lib in $LIBS; do
	if [ "$lib" = nng-pynng ] && [ ! -f "$BUILD/pynng/pynng/_nng.abi3.so" ]; then
		echo "fetching pynng==$PYNNG_VERSION (for its bundled NNG) into $BUILD/pynng" >&2
		python3 -m pip install --quiet --disable-pip-version-check --no-deps \
			--target "$BUILD/pynng" "pynng==$PYNNG_VERSION" >"$TMP/pip.log" 2>&1 || {
			tail -5 "$TMP/pip.log" >&2
			die "nng-pynng: pip install pynng==$PYNNG_VERSION failed"
		}
	fi
	make -s -C "$KIT/peers" BUILD="$BUILD" "$lib" >"$TMP/make.log" 2>&1 || {
		tail -10 "$TMP/make.log" >&2
		die "peer build failed: make -C $KIT/peers BUILD=$BUILD $lib (is its -dev package installed?)"
	}
done

# the many-connection peers (bench/many: NNG and ZeroMQ only)
MANY_LIBS=""
if [ "$MANY" = 1 ]; then
	for lib in $LIBS; do
		case "$lib" in nng | zmq) MANY_LIBS="$MANY_LIBS $lib" ;; esac
	done
	for lib in $MANY_LIBS wire; do
		make -s -C "$HERE/many" BUILD="$BUILD" "$lib" >"$TMP/make.log" 2>&1 || {
			tail -10 "$TMP/make.log" >&2
			die "many-connection peer build failed: make -C $HERE/many BUILD=$BUILD $lib"
		}
	done
fi

bin_of() {
	case "$1" in
	nng) echo "$BUILD/nng_perf" ;;
	nng-pynng) echo "$BUILD/nng_pynng_perf" ;;
	nanomsg) echo "$BUILD/nn_perf" ;;
	zmq) echo "$BUILD/zmq_perf" ;;
	esac
}
declare -A NAME
for lib in $LIBS; do
	[ -x "$(bin_of "$lib")" ] || die "peer build failed: no $(bin_of "$lib")"
	NAME[$lib]="$("$(bin_of "$lib")" --version 2>/dev/null | head -1 | cut -d' ' -f1)"
	[ -n "${NAME[$lib]}" ] || NAME[$lib]=$lib
done

# ---- helpers ----------------------------------------------------------------
SUFFIX=""
[ "$PIN" = same ] && SUFFIX="-cpu0"
OUT="${OUT:-$WORK/compare-$(date +%Y%m%d-%H%M%S)$SUFFIX.txt}"

# run a command in the background and wait for it, so a signal to this
# script is handled at once and cleanup can end it
run_fg() {
	local p rc
	"$@" &
	p=$!
	PIDS="$PIDS $p"
	wait "$p"
	rc=$?
	PIDS="${PIDS% $p}"
	return "$rc"
}

# message counts: like peers/run.sh's count_of; ours sends 2M small messages
count_of() { # lib test size
	local n
	case "$2:$3" in
	lat:64) n=10000 ;;
	lat:*) n=2000 ;;
	thr:64) case "$1" in nng*) n=50000 ;; nanomsg) n=200000 ;; *) n=2000000 ;; esac ;;
	thr:*) n=$((1300000000 / $3)); [ "$n" -gt 20000 ] && n=20000; [ "$n" -lt 200 ] && n=200
		[ "$3" = 65536 ] && n=20000 ;;
	rss:*) n=1000000 ;;
	many:*) n=100000 ;;
	esac
	awk -v n="$n" -v s="$SCALE" 'BEGIN { c = int(n * s); if (c < 10) c = 10; print c }'
}

# tcp port $1 has a socket in state $2 (0A = LISTEN; "" = any state)
port_state() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" -v st="$2" 'NR > 1 && substr($2, length($2) - 4) == p && (st == "" || $4 == st) { f = 1; exit } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

PORT=$((20000 + RANDOM % 20000))
next_url() { # transport
	PORT=$((PORT + 1))
	while port_state "$PORT" ""; do PORT=$((PORT + 1)); done
	case "$1" in
	ipc) echo "ipc://$TMP/perf$PORT.ipc" ;;
	tcp) echo "tcp://127.0.0.1:$PORT" ;;
	sp+ipc) echo "sp+ipc://$TMP/perf$PORT.ipc" ;;
	sp+tcp) echo "sp+tcp://127.0.0.1:$PORT" ;;
	tls+tcp) echo "tls+tcp://127.0.0.1:$PORT" ;;
	*) echo "inproc://perf$PORT" ;;
	esac
}

# the transport a peer library runs for TRANSPORTS entry $1: nng and nanomsg
# speak the SP wire on plain tcp and ipc
peer_transport() { # transport
	echo "${1#sp+}"
}

# the peers measured on TRANSPORTS entry $1: none on tls+tcp (the perf tools
# of the peer kit, like NNG's own, have no TLS)
peers_on() { # transport
	[ "$1" = tls+tcp ] || echo "$LIBS"
}

# wait (up to 5 s) until URL is listening or process PID has died
wait_listening() { # url pid
	local i
	local url="${1%%\?*}"
	url="${url#sp+}"
	url="${url#tls+}"
	for i in $(seq 1 1000); do
		case "$url" in
		tcp://*) port_state "${url##*:}" 0A && return 0 ;;
		ipc://*) [ -S "${url#ipc://}" ] && return 0 ;;
		*) return 0 ;;
		esac
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.005
	done
	return 1
}

record() { # RESULT line (without the prefix)
	echo "RESULT $* pre_busy=$BUSY foreign=$FOREIGN pin=$PIN" >>"$OUT"
	echo "  $*" | sed 's/ pre_busy=.*//' >&2
}

NFAIL=0
fail() {
	NFAIL=$((NFAIL + 1))
	case "$*" in *" rc=124") set -- "$@" "(timeout ${TIMEOUT} s)" ;; esac
	echo "FAIL $*" >>"$OUT"
	echo "  FAIL $*" >&2
	cat "$TMP"/l.err "$TMP"/r.err 2>/dev/null | grep -v '^$' | tail -3 | sed 's/^/    /' >&2
}

start_measure() {
	mkdir -p "$TMP" # in case something removed it meanwhile
	rm -f "$TMP"/*.out "$TMP"/*.err
	BUSY="$(wait_quiet)"
	M0="$(cpu_mark)"
}
end_measure() { FOREIGN="$(foreign_cpu "$M0" "$(cpu_mark)")"; }

# msperf's remote side (a command line, maybe under /usr/bin/time), retried
# while the listener (process $1) refuses because it is not up yet
ours_remote() { # pid_of_local command...
	local lpid=$1 try rc
	shift
	for try in 1 2 3 4 5 6; do
		run_fg "${PIN_CMD[@]}" "$@" >"$TMP/r.out" 2>"$TMP/r.err"
		rc=$?
		[ "$rc" -eq 0 ] && return 0
		grep -qi -e 'refused' -e 'No such file' "$TMP/r.err" || return "$rc"
		kill -0 "$lpid" 2>/dev/null || return "$rc"
		sleep 0.02
	done
	return "$rc"
}

# parse msperf output: prints "lat_us=…" or "msg_s=… mb_s=…" (+ count, elapsed)
parse_ours() { # file test size count
	awk -v test="$2" -v size="$3" -v count="$4" '
		/^average latency:/ { lat = $3 }
		/^mean throughput:/ && /msg\/s/ { mps = $3 }
		/^total time:/ { el = $3 }
		END {
			if (test == "lat" && lat != "") printf "count=%d elapsed_s=%s lat_us=%s\n", count, el, lat
			else if (test == "thr" && mps != "") printf "count=%d elapsed_s=%s msg_s=%d mb_s=%.1f\n", count, el, mps, mps * size / 1e6
		}' "$1"
}

# one measurement of ours: test = lat | reqlat | thr; pattern for thr
run_ours() { # transport test pattern size
	local tr=$1 test=$2 pattern=$3 size=$4 kind=lat count url lpid rc lrc figures args name
	[ "$test" = thr ] && kind=thr
	count="$(count_of multisocket "$kind" "$size")"
	name="lib=multisocket test=$kind pattern=$pattern transport=$tr size=$size"
	args=()
	[ "$test" = thr ] && args=("$pattern")
	start_measure
	if [ "$tr" = inproc ]; then
		run_fg "${PIN_CMD[@]}" timeout "$TIMEOUT" "$MSPERF" "inproc_$test" "$size" "$count" "${args[@]}" \
			>"$TMP/l.out" 2>"$TMP/l.err"
		rc=$?
		figures="$(parse_ours "$TMP/l.out" "$kind" "$size" "$count")"
	else
		url="$(next_url "$tr")"
		# plain sockets on the SP wire name the protocol they announce (pair v0: no header)
		case "$tr" in sp+*) [ "$pattern" = socket ] && url="$url?spProtocol=0x10" ;; esac
		"${PIN_CMD[@]}" timeout "$TIMEOUT" "$MSPERF" "local_$test" "$url" "$size" "$count" "${args[@]}" \
			>"$TMP/l.out" 2>"$TMP/l.err" &
		lpid=$!
		PIDS="$lpid"
		wait_listening "$url" "$lpid"
		ours_remote "$lpid" timeout "$TIMEOUT" "$MSPERF" "remote_$test" "$url" "$size" "$count" "${args[@]}"
		rc=$?
		# both sides end by themselves (the sender once its queue is flushed);
		# a failed remote would leave the local side waiting
		[ "$rc" -ne 0 ] && kill "$lpid" 2>/dev/null
		wait "$lpid"
		lrc=$?
		[ "$rc" -eq 0 ] && rc=$lrc
		PIDS=""
		if [ "$kind" = thr ]; then
			figures="$(parse_ours "$TMP/l.out" thr "$size" "$count")"
		else
			figures="$(parse_ours "$TMP/r.out" lat "$size" "$count")"
		fi
	fi
	end_measure
	if [ "$rc" -eq 0 ] && [ -n "$figures" ]; then
		record "$name $figures"
	else
		fail "$name count=$count rc=$rc"
	fi
}

# one measurement of a peer (protocol of peers/run.sh)
run_peer() { # lib transport test pattern size
	local lib=$1 tr=$2 test=$3 pattern=$4 size=$5 bin count url lpid rpid rc line
	bin="$(bin_of "$lib")"
	count="$(count_of "$lib" "$test" "$size")"
	url="$(next_url "$(peer_transport "$tr")")"
	start_measure
	if [ "$tr" = inproc ]; then
		run_fg "${PIN_CMD[@]}" timeout "$TIMEOUT" "$bin" "inproc_$test" "$pattern" "$url" "$size" "$count" \
			>"$TMP/l.out" 2>"$TMP/l.err"
		rc=$?
	else
		"${PIN_CMD[@]}" timeout "$TIMEOUT" "$bin" "local_$test" "$pattern" "$url" "$size" "$count" \
			>"$TMP/l.out" 2>"$TMP/l.err" &
		lpid=$!
		PIDS="$lpid"
		# the peers dial in the background and retry; starting the dialer once
		# the listener is up spares them a reconnect back-off
		wait_listening "$url" "$lpid"
		"${PIN_CMD[@]}" timeout "$TIMEOUT" "$bin" "remote_$test" "$pattern" "$url" "$size" "$count" \
			>"$TMP/r.out" 2>"$TMP/r.err" &
		rpid=$!
		PIDS="$lpid $rpid"
		if [ "$test" = thr ]; then
			# the receiver measures; the sender lingers until ended by PID
			wait "$lpid"
			rc=$?
			kill "$rpid" 2>/dev/null
			wait "$rpid" 2>/dev/null
		else
			# the client measures; the server would linger 0.2 s after the
			# last echo, which the client has already received
			wait "$rpid"
			rc=$?
			kill "$lpid" 2>/dev/null
			wait "$lpid" 2>/dev/null
		fi
		PIDS=""
	fi
	end_measure
	line="$(grep -h '^RESULT' "$TMP"/*.out 2>/dev/null | head -1)"
	# an sp+ entry's peer rows sit beside ours under the sp+ transport
	[ "$tr" != "$(peer_transport "$tr")" ] && line="${line/transport=$(peer_transport "$tr")/transport=$tr}"
	if [ -n "$line" ]; then
		record "${line#RESULT }"
	else
		fail "lib=${NAME[$lib]} test=$test pattern=$pattern transport=$tr size=$size count=$count rc=$rc"
	fi
}

# parse msperf remote_many output: prints "req_s=… p50_us=… p99_us=…" (+ count, elapsed)
parse_many() { # file count
	awk -v count="$2" '
		/^mean throughput:/ && /req\/s/ { rps = $3 }
		/^p50 round-trip latency:/ { p50 = $4 }
		/^p99 round-trip latency:/ { p99 = $4 }
		/^total time:/ { el = $3 }
		END { if (rps != "") printf "count=%d elapsed_s=%s req_s=%d p50_us=%s p99_us=%s\n", count, el, rps, p50, p99 }' "$1"
}

# the many-connection case, ours: local_many serves until the load generator
# (remote_many) has left; both processes get MULTISOCKET_IO_THREADS=$1
run_many_ours() { # io_threads
	local io=$1 size=64 count url lpid rc lrc figures name
	count="$(count_of multisocket many "$size")"
	name="lib=multisocket test=many pattern=reqrep transport=tcp size=$size connections=$CONNECTIONS io_threads=$io"
	url="$(next_url tcp)"
	start_measure
	"${PIN_CMD[@]}" env MULTISOCKET_IO_THREADS="$io" timeout "$TIMEOUT" \
		"$MSPERF" local_many "$url" "$size" "$count" "$CONNECTIONS" >"$TMP/l.out" 2>"$TMP/l.err" &
	lpid=$!
	PIDS="$lpid"
	wait_listening "$url" "$lpid"
	ours_remote "$lpid" env MULTISOCKET_IO_THREADS="$io" timeout "$TIMEOUT" \
		"$MSPERF" remote_many "$url" "$size" "$count" "$CONNECTIONS"
	rc=$?
	[ "$rc" -ne 0 ] && kill "$lpid" 2>/dev/null
	wait "$lpid"
	lrc=$?
	[ "$rc" -eq 0 ] && rc=$lrc
	PIDS=""
	end_measure
	figures="$(parse_many "$TMP/r.out" "$count")"
	if [ "$rc" -eq 0 ] && [ -n "$figures" ]; then
		record "$name $figures"
	else
		fail "$name count=$count rc=$rc"
	fi
}

# the many-connection case with one load generator for every server: bench/many's
# wire_many, one C thread speaking the server's own wire (ms: multisocket frames,
# sp: NNG's, zmtp: ZeroMQ's), so that the rows compare the servers alone and the
# generator leaves the server as much of the machine as it can. Records the CPU
# time per request of the server and of the generator (server_us=, gen_us=).
# server: ours:IO_THREADS | nng | zmq; depth: requests in flight per connection
run_many_wire() {
	local server=$1 depth=$2 size=64 count url lpid rc wire label io="" line cpu_s cpu_g cmd gen=wire
	[ "$depth" -gt 1 ] && gen="wire:$depth"
	# the same run time at any depth: more requests in flight answer more of them
	count=$(($(count_of multisocket many "$size") * depth))
	url="$(next_url tcp)"
	case "$server" in
	ours:*)
		io=${server#ours:} wire=ms label=multisocket
		cmd=(env MULTISOCKET_IO_THREADS="$io" "$MSPERF" local_many "$url" "$size" "$count" "$CONNECTIONS") ;;
	nng) wire=sp label=${NAME[nng]} cmd=("$BUILD/nng_many" local "$url" "$size" "$count" "$CONNECTIONS") ;;
	zmq) wire=zmtp label=${NAME[zmq]} cmd=("$BUILD/zmq_many" local "$url" "$size" "$count" "$CONNECTIONS") ;;
	esac
	start_measure
	/usr/bin/time -f "%U %S" -o "$TMP/s.time" "${PIN_CMD[@]}" timeout "$TIMEOUT" "${cmd[@]}" \
		>"$TMP/l.out" 2>"$TMP/l.err" &
	lpid=$!
	PIDS="$lpid"
	wait_listening "$url" "$lpid"
	run_fg /usr/bin/time -f "%U %S" -o "$TMP/g.time" "${PIN_CMD[@]}" env MANY_DEPTH="$depth" timeout "$TIMEOUT" \
		"$BUILD/wire_many" "$wire" "$label" "$url" "$size" "$count" "$CONNECTIONS" >"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	# ours ends when its peers have left; a peer's server runs until ended
	# (timeout, the child of time, passes the signal on)
	if [ -z "$io" ] || [ "$rc" -ne 0 ]; then pkill -TERM -P "$lpid" 2>/dev/null; fi
	wait "$lpid" 2>/dev/null
	PIDS=""
	end_measure
	line="$(grep -h '^RESULT' "$TMP/r.out" 2>/dev/null | head -1)"
	cpu_s="$(tail -1 "$TMP/s.time" 2>/dev/null | awk -v n="$count" 'NF == 2 { printf "%.2f", ($1 + $2) * 1e6 / n }')"
	cpu_g="$(tail -1 "$TMP/g.time" 2>/dev/null | awk -v n="$count" 'NF == 2 { printf "%.2f", ($1 + $2) * 1e6 / n }')"
	if [ "$rc" -eq 0 ] && [ -n "$line" ]; then
		record "${line#RESULT } generator=$gen${io:+ io_threads=$io} server_us=${cpu_s:-na} gen_us=${cpu_g:-na}"
	else
		fail "lib=$label test=many pattern=reqrep transport=tcp size=$size connections=$CONNECTIONS count=$count generator=$gen${io:+ io_threads=$io} rc=$rc"
	fi
}

# the many-connection case, a peer of bench/many: its server runs until ended
run_many_peer() { # lib
	local lib=$1 size=64 bin count url lpid rc line
	bin="$BUILD/${lib}_many"
	count="$(count_of "$lib" many "$size")"
	url="$(next_url tcp)"
	start_measure
	"${PIN_CMD[@]}" timeout "$TIMEOUT" "$bin" local "$url" "$size" "$count" "$CONNECTIONS" \
		>"$TMP/l.out" 2>"$TMP/l.err" &
	lpid=$!
	PIDS="$lpid"
	wait_listening "$url" "$lpid"
	run_fg "${PIN_CMD[@]}" timeout "$TIMEOUT" "$bin" remote "$url" "$size" "$count" "$CONNECTIONS" \
		>"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	PIDS=""
	end_measure
	line="$(grep -h '^RESULT' "$TMP/r.out" 2>/dev/null | head -1)"
	if [ -n "$line" ]; then
		record "${line#RESULT }"
	else
		fail "lib=${NAME[$lib]} test=many pattern=reqrep transport=tcp size=$size connections=$CONNECTIONS count=$count rc=$rc"
	fi
}

# peak RSS of our local_thr and remote_thr (tcp, 64 B, socket pattern);
# GNU time reports the largest RSS of timeout and its child, msperf
run_rss() {
	local count url lpid rc lrc figures name lk rk
	count="$(count_of multisocket rss 64)"
	url="$(next_url tcp)"
	name="lib=multisocket test=rss pattern=socket transport=tcp size=64"
	rm -f "$TMP"/*.rss
	start_measure
	"${PIN_CMD[@]}" /usr/bin/time -f %M -o "$TMP/l.rss" timeout "$TIMEOUT" \
		"$MSPERF" local_thr "$url" 64 "$count" >"$TMP/l.out" 2>"$TMP/l.err" &
	lpid=$!
	PIDS="$lpid"
	wait_listening "$url" "$lpid"
	ours_remote "$lpid" /usr/bin/time -f %M -o "$TMP/r.rss" timeout "$TIMEOUT" "$MSPERF" remote_thr "$url" 64 "$count"
	rc=$?
	[ "$rc" -ne 0 ] && kill_tree "$lpid"
	wait "$lpid"
	lrc=$?
	[ "$rc" -eq 0 ] && rc=$lrc
	PIDS=""
	end_measure
	figures="$(parse_ours "$TMP/l.out" thr 64 "$count")"
	lk="$(tail -1 "$TMP/l.rss" 2>/dev/null)"
	rk="$(tail -1 "$TMP/r.rss" 2>/dev/null)"
	if [ "$rc" -eq 0 ] && [ -n "$figures" ] && [ -n "$lk" ] && [ -n "$rk" ]; then
		record "$name $figures local_rss_kib=$lk remote_rss_kib=$rk"
	else
		fail "$name count=$count rc=$rc"
	fi
}

# ---- run --------------------------------------------------------------------
{
	echo "# compare run $(date -u +%Y-%m-%dT%H:%M:%SZ) reps=$REPS scale=$SCALE pin=$PIN transports=$TRANSPORTS libs=$LIBS patterns=$PATTERNS"
	host_info
	echo "# multisocket $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?') ($(cd "$ROOT" && git rev-parse --abbrev-ref HEAD 2>/dev/null)), $(swift --version 2>/dev/null | head -1)"
	for lib in $LIBS; do echo "# $("$(bin_of "$lib")" --version 2>&1 | head -1)"; done
	dpkg-query -W -f='# package ${Package} ${Version}\n' libnng1 libzmq5 libnanomsg5 2>/dev/null
	case " $TRANSPORTS " in *" tls+tcp "*)
		echo "# tls+tcp: ours only (certificate $MSPERF_TLS_CERT); the peers' perf tools here have no TLS"
		;;
	esac
} >>"$OUT"

for rep in $(seq 1 "$REPS"); do
	echo "# rep $rep start $(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT"
	echo "== rep $rep/$REPS" >&2
	for tr in $TRANSPORTS; do
		echo "-- $tr: latency 64 B" >&2
		run_ours "$tr" lat socket 64
		run_ours "$tr" reqlat reqrep 64
		for pattern in $PATTERNS; do
			for lib in $(peers_on "$tr"); do run_peer "$lib" "$tr" lat "$pattern" 64; done
		done
		for size in 64 65536; do
			echo "-- $tr: throughput $size B" >&2
			run_ours "$tr" thr socket "$size"
			run_ours "$tr" thr pushpull "$size"
			for pattern in $PATTERNS; do
				tp=$pattern
				[ "$pattern" = reqrep ] && tp=pushpull
				for lib in $(peers_on "$tr"); do run_peer "$lib" "$tr" thr "$tp" "$size"; done
			done
		done
	done
	if [ "$MANY" = 1 ]; then
		echo "-- tcp: $CONNECTIONS connections, req/rep 64 B, one load-generator process" >&2
		for io in $IO_THREADS; do run_many_ours "$io"; done
		for lib in $MANY_LIBS; do run_many_peer "$lib"; done
		for depth in $DEPTHS; do
			echo "-- tcp: the same, every server driven by bench/many/wire_many, $depth in flight per connection" >&2
			for io in $IO_THREADS; do run_many_wire "ours:$io" "$depth"; done
			for lib in $MANY_LIBS; do run_many_wire "$lib" "$depth"; done
		done
	fi
	if [ "$RSS" = 1 ]; then
		echo "-- peak RSS, tcp, $(count_of multisocket rss 64) x 64 B" >&2
		run_rss
	fi
done
ELAPSED=$(($(date +%s) - STARTED))
echo "# end $(date -u +%H:%M:%S) loadavg $(cut -d' ' -f1-3 /proc/loadavg) duration_s=$ELAPSED" >>"$OUT"

echo "results: $OUT" >&2
python3 "$HERE/compare.py" "$OUT" || die "compare.py failed on $OUT"
printf '\nrun took %dm%02ds\n' $((ELAPSED / 60)) $((ELAPSED % 60))
[ "$NFAIL" -gt 0 ] && echo "compare.sh: $NFAIL measurement(s) failed: FAIL in the tables, FAIL lines in $OUT" >&2
exit 0
