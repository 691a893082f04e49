#!/usr/bin/env bash
# Restarts what deploy/galera/up.sh started, one piece at a time, without an outage.
#
#   deploy/galera/rolling-restart.sh [processes|nodes|all]      default: processes
#
# processes: every service replica and both gateways (registry1 registry2 activity1 activity2
# gateway1 gateway2, the names of up.sh's pid files; IMP_ROLLING_PROCESSES names others), one at
# a time: each is drained (SIGTERM: health NOT_SERVING at once, calls still answered for
# --shutdown_grace_ms, then refused while the calls in flight finish within --drain_seconds),
# started again with exactly the command line and environment it ran with (read from /proc, so
# a rebuilt binary at the same path is what starts: this is how an upgrade is rolled out), and
# must be SERVING on grpc.health.v1 (a gateway: also its two facades, i.e. it reaches a replica
# of each backend) before the next one is touched.
#
# nodes: the three Galera nodes, one at a time (e.g. a MariaDB package upgrade): the replicas
# whose --db_socket is that node's are drained and stopped first (their partners on other nodes
# take their calls), the node is stopped cleanly and started again, it must be Synced (it catches
# up by IST) and its replicas SERVING again before the next node. all: processes, then nodes.
#
# Nothing is touched unless every process is running and SERVING (and, for nodes, every node is
# Synced in a cluster of 3) first: a restart of a replica whose partner is down would be an
# outage. It stops at the first process or node that does not come back (exit 1; the rest keep
# running as they were) and names its log.
#
# Environment: IMP_GALERA_STATE_DIR (default .imp-galera/: run/NAME.pid, logs/NAME.log),
# IMP_GALERA_CLUSTER_DIR (default $IMP_GALERA_STATE_DIR/cluster), IMP_BUILD_DIR (impctl),
# IMP_ROLLING_SETTLE_SECONDS (default 3: after a process is SERVING, the time its clients' health
# watches take to send it calls again, before its partner goes down), IMP_ROLLING_SERVING_SECONDS
# (default 60). TLS for the health checks comes from each process's own --tls_ca/--tls_cert/
# --tls_key (a service's certificate is also its client certificate).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_GALERA_STATE_DIR:-$ROOT/.imp-galera}"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
IMPCTL="${IMP_IMPCTL:-$BUILD/tools/impctl/impctl}"
SETTLE="${IMP_ROLLING_SETTLE_SECONDS:-3}"
SERVING_SECONDS="${IMP_ROLLING_SERVING_SECONDS:-60}"
CLUSTER_DIR="${IMP_GALERA_CLUSTER_DIR:-$STATE/cluster}"
CLUSTER="$ROOT/deploy/galera/cluster.sh"
MODE=${1:-processes}
case "$MODE" in processes | nodes | all) ;; *) echo "usage: $0 [processes|nodes|all]" >&2; exit 2 ;; esac
read -r -a NAMES <<<"${IMP_ROLLING_PROCESSES:-registry1 registry2 activity1 activity2 gateway1 gateway2}"

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
  local a ca="" cert="" key="" grace_ms=1000 drain=10 rollback=15 gateway=0
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
      --drain_rollback_seconds=*) rollback=${a#--drain_rollback_seconds=} ;;
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
  # The grace, the drain, the rollback of a call cut by the drain (activity-service's
  # --drain_rollback_seconds, 15 s by default; assumed for every binary: the wait ends when the
  # process exits) and time to exit after it. Only then is it killed.
  DRAIN_LIMIT=$((grace_ms / 1000 + 1 + drain + rollback + 5))
}

serving() {  # WAIT_SECONDS: every name in SERVICES is SERVING on PORT
  local service
  for service in "${SERVICES[@]}"; do
    "$IMPCTL" health --target="127.0.0.1:$PORT" --service="$service" --wait_seconds="$1" \
      "${FLAGS[@]}" >/dev/null 2>&1 || return 1
  done
}

# Drains NAME and waits until it has exited; leaves its ARGV, ENVIRONMENT... (inspect) behind.
stop_process() {  # NAME
  local pid start
  pid=$(cat "$STATE/run/$1.pid")
  OLD_PID=$pid
  inspect "$1" "$pid"
  start=$(now)
  kill -TERM "$pid"
  for _ in $(seq 1 $((DRAIN_LIMIT * 10))); do alive "$pid" || break; sleep 0.1; done
  DRAINED="drained in $(since "$start") s"
  if alive "$pid"; then
    kill -KILL "$pid"
    DRAINED="did not drain within $DRAIN_LIMIT s: killed"
  fi
}

# Starts NAME again as stop_process found it, and waits until it is SERVING (exits if not).
start_process() {  # NAME
  local new up
  # The same command line and environment, in a session of its own (no terminal hangs it up).
  cd "$WORKDIR"
  setsid env -i "${ENVIRONMENT[@]}" "${ARGV[@]}" >>"$LOG" 2>&1 </dev/null &
  new=$!
  cd - >/dev/null
  echo "$new" >"$STATE/run/$1.pid"
  up=$(now)
  if ! serving "$SERVING_SECONDS" || ! alive "$new"; then
    tail -20 "$LOG" >&2 || true
    die "$1 (pid $new, 127.0.0.1:$PORT) is not SERVING after ${SERVING_SECONDS} s; stopped here, see $LOG"
  fi
  say "$1 pid $OLD_PID -> $new: $DRAINED, SERVING $(since "$up") s after start"
}

synced() {  # N: node N is Synced in a cluster of 3
  local line
  line=$("$CLUSTER" status "$CLUSTER_DIR" | sed -n "$1p")
  [[ "$line" == *"state Synced cluster_size 3" ]]
}

[ -x "$IMPCTL" ] || die "impctl not found at $IMPCTL (build it, or set IMP_BUILD_DIR)"
# Before anything is touched: every process is there and SERVING, every node Synced.
for name in "${NAMES[@]}"; do
  pidfile="$STATE/run/$name.pid"
  [ -f "$pidfile" ] || die "$name: no $pidfile (is the deployment up? deploy/galera/up.sh)"
  pid=$(cat "$pidfile")
  alive "$pid" || die "$name (pid $pid) is not running: start it (deploy/galera/up.sh) first"
  inspect "$name" "$pid"
  serving 5 || die "$name (127.0.0.1:$PORT) is not SERVING: nothing restarted"
done
if [ "$MODE" != processes ]; then
  [ -f "$CLUSTER_DIR/cluster.env" ] || die "no Galera cluster in $CLUSTER_DIR"
  for n in 1 2 3; do synced "$n" || die "node $n is not Synced in a cluster of 3: nothing restarted"; done
fi

if [ "$MODE" != nodes ]; then
  for name in "${NAMES[@]}"; do
    stop_process "$name"
    start_process "$name"
    if [ "$name" != "${NAMES[-1]}" ] || [ "$MODE" != processes ]; then sleep "$SETTLE"; fi
  done
fi

if [ "$MODE" != processes ]; then
  for n in 1 2 3; do
    socket=$("$CLUSTER" socket "$CLUSTER_DIR" "$n")
    # The replicas on this node, drained before their database goes.
    on_node=()
    for name in "${NAMES[@]}"; do
      pid=$(cat "$STATE/run/$name.pid")
      tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "--db_socket=$socket" && on_node+=("$name")
    done
    # Two replicas of one service on this node would both be down while it restarts.
    services_on_node=$(printf '%s\n' "${on_node[@]}" | sed 's/[0-9]*$//' | sort)
    [ "$(uniq <<<"$services_on_node")" = "$services_on_node" ] \
      || die "node $n serves more than one replica of a service (${on_node[*]}): not restarted"
    declare -A SAVED=()
    for name in "${on_node[@]}"; do
      stop_process "$name"
      SAVED[$name]=$(declare -p ARGV ENVIRONMENT WORKDIR LOG PORT FLAGS SERVICES OLD_PID DRAINED)
    done
    start=$(now)
    "$CLUSTER" stop-node "$CLUSTER_DIR" "$n"
    "$CLUSTER" start-node "$CLUSTER_DIR" "$n" >/dev/null || die "node $n did not come back Synced"
    synced "$n" || die "node $n is not Synced in a cluster of 3 after its restart"
    say "node $n restarted and Synced in $(since "$start") s (replicas on it: ${on_node[*]:-none})"
    for name in "${on_node[@]}"; do
      eval "${SAVED[$name]}"
      start_process "$name"
    done
    [ "$n" = 3 ] || sleep "$SETTLE"
  done
fi
say "done: $MODE restarted"
