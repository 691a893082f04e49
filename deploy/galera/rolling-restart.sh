#!/usr/bin/env bash
# Restarts every service replica and both gateways that deploy/galera/up.sh started, one process
# at a time, without an outage: each is drained (SIGTERM: health NOT_SERVING at once, calls still
# answered for --shutdown_grace_ms, then refused while the calls in flight finish within
# --drain_seconds), started again with exactly the command line and environment it ran with (read
# from /proc, so a rebuilt binary at the same path is what starts: this is how an upgrade is
# rolled out), and must be SERVING on grpc.health.v1 (a gateway: also its two facades, i.e. it
# reaches a replica of each backend) before the next one is touched. The Galera nodes are not
# restarted (see the README's operator notes for restarting a node).
#
#   deploy/galera/rolling-restart.sh [NAME...]   default: registry1 registry2 activity1 activity2
#                                                gateway1 gateway2 (the names of up.sh's pid files)
#
# Nothing is touched unless every named process is running and SERVING first (a restart of a
# replica whose partner is down would be an outage). It stops at the first process that does not
# come back SERVING (exit 1; the rest keep running as they were) and names its log.
#
# Environment: IMP_GALERA_STATE_DIR (default .imp-galera/: run/NAME.pid, logs/NAME.log),
# IMP_BUILD_DIR (impctl), IMP_ROLLING_SETTLE_SECONDS (default 3: after a process is SERVING, the
# time its clients' health watches take to send it calls again, before its partner goes down),
# IMP_ROLLING_SERVING_SECONDS (default 60). TLS for the health checks comes from each process's
# own --tls_ca/--tls_cert/--tls_key (a service's certificate is also its client certificate).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_GALERA_STATE_DIR:-$ROOT/.imp-galera}"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
IMPCTL="${IMP_IMPCTL:-$BUILD/tools/impctl/impctl}"
SETTLE="${IMP_ROLLING_SETTLE_SECONDS:-3}"
SERVING_SECONDS="${IMP_ROLLING_SERVING_SECONDS:-60}"
NAMES=("$@")
[ "${#NAMES[@]}" -gt 0 ] || NAMES=(registry1 registry2 activity1 activity2 gateway1 gateway2)

say() { echo "rolling-restart: $*"; }
die() { echo "rolling-restart: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# A process that has exited is gone or a zombie (its parent, e.g. a test harness, has not reaped
# it yet): either way it serves nothing.
alive() {  # PID
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# ARGV, ENVIRONMENT, PORT, FLAGS (impctl TLS flags), SERVICES ("" and a gateway's facades) and
# DRAIN_LIMIT (seconds) of the running process PID.
inspect() {  # NAME PID
  local a ca="" cert="" key="" grace_ms=1000 drain=10 gateway=0
  mapfile -d '' ARGV <"/proc/$2/cmdline" || die "$1: cannot read /proc/$2/cmdline"
  mapfile -d '' ENVIRONMENT <"/proc/$2/environ" || die "$1: cannot read /proc/$2/environ"
  WORKDIR=$(readlink "/proc/$2/cwd")
  # Output goes back where it went (up.sh: logs/NAME.log), appended.
  LOG=$(readlink "/proc/$2/fd/2" || true)
  [ -f "$LOG" ] || LOG="$STATE/logs/$1.log"
  PORT=""
  for a in "${ARGV[@]:1}"; do
    case "$a" in
      --port=*) PORT=${a#--port=} ;;
      --tls_ca=*) ca=${a#--tls_ca=} ;;
      --tls_cert=*) cert=${a#--tls_cert=} ;;
      --tls_key=*) key=${a#--tls_key=} ;;
      --shutdown_grace_ms=*) grace_ms=${a#--shutdown_grace_ms=} ;;
      --drain_seconds=*) drain=${a#--drain_seconds=} ;;
      --tokens_file=*) gateway=1 ;;
    esac
  done
  if [ -z "$PORT" ] || [ "$PORT" = 0 ]; then die "$1: no --port in its command line (${ARGV[*]})"; fi
  FLAGS=()
  if [ -n "$ca" ]; then
    FLAGS=(--ca_cert="$ca")
    [ -n "$cert" ] && FLAGS+=(--client_cert="$cert" --client_key="$key")
  fi
  SERVICES=("")
  [ "$gateway" = 1 ] && SERVICES+=(imp.registry.v1.RegistryService imp.activity.v1.ActivityService)
  # The grace, the drain, and time to exit after it.
  DRAIN_LIMIT=$((grace_ms / 1000 + 1 + drain + 5))
}

serving() {  # WAIT_SECONDS: every name in SERVICES is SERVING on PORT
  local service
  for service in "${SERVICES[@]}"; do
    "$IMPCTL" health --target="127.0.0.1:$PORT" --service="$service" --wait_seconds="$1" \
      "${FLAGS[@]}" >/dev/null 2>&1 || return 1
  done
}

[ -x "$IMPCTL" ] || die "impctl not found at $IMPCTL (build it, or set IMP_BUILD_DIR)"
# Before anything is touched: every process is there and SERVING.
for name in "${NAMES[@]}"; do
  pidfile="$STATE/run/$name.pid"
  [ -f "$pidfile" ] || die "$name: no $pidfile (is the deployment up? deploy/galera/up.sh)"
  pid=$(cat "$pidfile")
  alive "$pid" || die "$name (pid $pid) is not running: start it (deploy/galera/up.sh) first"
  inspect "$name" "$pid"
  serving 5 || die "$name (127.0.0.1:$PORT) is not SERVING: nothing restarted"
done

for name in "${NAMES[@]}"; do
  pidfile="$STATE/run/$name.pid"
  pid=$(cat "$pidfile")
  inspect "$name" "$pid"
  start=$(now)
  kill -TERM "$pid"
  for _ in $(seq 1 $((DRAIN_LIMIT * 10))); do alive "$pid" || break; sleep 0.1; done
  drained="drained in $(since "$start") s"
  if alive "$pid"; then
    kill -KILL "$pid"
    drained="did not drain within $DRAIN_LIMIT s: killed"
  fi
  # The same command line and environment, in a session of its own (no terminal hangs it up).
  cd "$WORKDIR"
  setsid env -i "${ENVIRONMENT[@]}" "${ARGV[@]}" >>"$LOG" 2>&1 </dev/null &
  new=$!
  cd - >/dev/null
  echo "$new" >"$pidfile"
  up=$(now)
  if ! serving "$SERVING_SECONDS" || ! alive "$new"; then
    tail -20 "$LOG" >&2 || true
    die "$name (pid $new, 127.0.0.1:$PORT) is not SERVING after ${SERVING_SECONDS} s; stopped here, see $LOG"
  fi
  say "$name pid $pid -> $new: $drained, SERVING $(since "$up") s after start"
  [ "$name" = "${NAMES[-1]}" ] || sleep "$SETTLE"
done
say "done: ${NAMES[*]} restarted"
