#!/usr/bin/env bash
# Start and stop the users service the way operators of the legacy service do:
#
#   export APP_ENV=live            # and DATABASE_URL, SECRET_KEY, ... (see docs/configuration.md)
#   ./bin/run.sh start             # build bin/server if needed, run it in the foreground
#   ./bin/run.sh stop              # SIGTERM the server that start started, wait for it
#   ./bin/run.sh status            # say whether it runs
#
# start writes the server's pid to $RUN_DIR/server.pid (RUN_DIR defaults to
# this bin/ folder), then execs the server, so the pid in the file is the
# server's own and a supervisor (systemd, runit, a terminal) sees the server's
# logs and exit status. stop signals only the process named in that pid file,
# and only after checking that it is this checkout's bin/server: it never
# looks processes up by name and never sends SIGKILL to anything else.
#
# Every setting comes from the environment as it is (APP_ENV, DATABASE_URL,
# PORT, SECRET_KEY, SHUTDOWN_TIMEOUT, ...); this script reads only RUN_DIR
# and SHUTDOWN_TIMEOUT (to know how long a graceful stop may take).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
root=$(dirname "$here")
server="$root/bin/server"
run_dir=${RUN_DIR:-$here}
pidfile="$run_dir/server.pid"

say() { printf 'run.sh: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# seconds DURATION: a Go duration (20s, 1m30s, 500ms, 0) rounded up to whole
# seconds; empty means the server's default, 20s.
seconds() {
	local d=${1:-20s} total=0 num unit
	[[ $d == 0 ]] && {
		echo 0
		return
	}
	while [[ -n $d ]]; do
		[[ $d =~ ^([0-9]+)(\.[0-9]+)?(h|ms|us|µs|ns|m|s)(.*)$ ]] ||
			die "SHUTDOWN_TIMEOUT=$1 is not a duration such as 20s"
		num=${BASH_REMATCH[1]}
		[[ -n ${BASH_REMATCH[2]} ]] && num=$((num + 1)) # round a fraction up
		unit=${BASH_REMATCH[3]}
		d=${BASH_REMATCH[4]}
		case $unit in
		h) total=$((total + num * 3600)) ;;
		m) total=$((total + num * 60)) ;;
		s) total=$((total + num)) ;;
		*) total=$((total + 1)) ;; # ms, us, ns: under a second each
		esac
	done
	echo "$total"
}

# alive PID: the process exists and is not a zombie.
alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	if [[ -r /proc/$1/stat ]]; then
		state=$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
		[[ $state != Z && $state != X ]]
	fi
}

# ours PID: the process runs this checkout's bin/server. /proc/PID/exe names
# the executable (with " (deleted)" once a rebuild replaced the file); where it
# cannot be read (another user's process, no /proc), the command line does,
# since start runs the server by its absolute path.
ours() {
	local exe argv0
	if exe=$(readlink "/proc/$1/exe" 2>/dev/null); then
		exe=${exe% (deleted)}
		[[ $exe == "$server" ]]
		return
	fi
	if [[ -r /proc/$1/cmdline ]]; then
		argv0=$(tr '\0' '\n' <"/proc/$1/cmdline" | head -n 1)
	else
		argv0=$(ps -o args= -p "$1" 2>/dev/null | awk '{print $1}')
	fi
	[[ $argv0 == "$server" ]]
}

# running: the pid file names a live process that is our server; sets $pid.
# A pid file naming anything else is stale: it is reported and removed.
running() {
	pid=
	[[ -f $pidfile ]] || return 1
	pid=$(tr -d '[:space:]' <"$pidfile")
	if ! [[ $pid =~ ^[1-9][0-9]*$ ]]; then
		say "stale pid file $pidfile (no pid in it): removed"
	elif ! alive "$pid"; then
		say "stale pid file $pidfile (pid $pid is not running): removed"
	elif ! ours "$pid"; then
		say "stale pid file $pidfile (pid $pid is not $server, left alone): removed"
	else
		return 0
	fi
	rm -f "$pidfile"
	pid=
	return 1
}

# stale: bin/server is missing or older than any source it is built from.
stale() {
	[[ -x $server ]] || return 0
	[[ -n $(cd "$root" && find . \
		\( -path ./.git -o -path ./bin -o -path ./tmp -o -path ./test-artifacts -o -name node_modules -o -path ./.tools \) -prune -o \
		-type f \( \( -name '*.go' ! -name '*_test.go' \) -o -name go.mod -o -name go.sum -o -name '*.sql' \
		-o -name '*.graphqls' -o -path './internal/playground/assets/*' \) \
		-newer "$server" -print -quit) ]]
}

build() {
	if ! stale; then
		return
	fi
	if ! command -v go >/dev/null 2>&1; then
		[[ -x $server ]] || die "$server is missing and there is no Go toolchain to build it: install Go 1.26 or copy a built server there"
		say "warning: $server is older than the sources, but there is no Go toolchain to rebuild it: running it as it is"
		return
	fi
	say "building $server"
	(cd "$root" && go build -o bin/server .) || die "build failed"
	touch "$server" # go build leaves an up-to-date binary as it was: mark it as current

}

start() {
	if running; then
		die "already running (pid $pid, pid file $pidfile): stop it first with $0 stop"
	fi
	build
	mkdir -p "$run_dir"
	echo $$ >"$pidfile"
	say "starting $server (pid $$, APP_ENV=${APP_ENV:-local}, pid file $pidfile)"
	# exec keeps the pid written above: the pid file names the server itself.
	exec "$server"
}

stop() {
	if [[ ! -f $pidfile ]]; then
		die "no pid file at $pidfile: the server is not running, or was not started with $0 start (RUN_DIR=${RUN_DIR:-unset})"
	fi
	if ! running; then
		say "the server is not running"
		return 0
	fi
	local limit waited=0
	limit=$(seconds "${SHUTDOWN_TIMEOUT:-}") || exit 1
	limit=$((limit + 5))
	say "stopping pid $pid (SIGTERM, waiting up to ${limit}s for in-flight requests)"
	kill -TERM "$pid" 2>/dev/null || true
	while alive "$pid"; do
		if ((waited >= limit * 10)); then
			if ours "$pid"; then
				say "pid $pid did not exit within ${limit}s: sending SIGKILL to it (and to nothing else)"
				kill -KILL "$pid" 2>/dev/null || true
			fi
			rm -f "$pidfile"
			exit 1
		fi
		sleep 0.1
		waited=$((waited + 1))
	done
	rm -f "$pidfile"
	say "stopped"
}

status() {
	if running; then
		say "running (pid $pid)"
	else
		say "not running"
		return 3 # as LSB status does
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
