#!/usr/bin/env bash
# Stops what deploy/galera/up.sh started: the service replicas (SIGTERM: health NOT_SERVING, the
# calls in flight drain), then the three Galera nodes one after the other. Data is kept; the next
# up.sh bootstraps the cluster from the node that stopped last.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_GALERA_STATE_DIR:-$ROOT/.imp-galera}"

for name in gateway1 gateway2 activity1 activity2 registry1 registry2; do
  pidfile="$STATE/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "galera down: stopped $name"
  fi
  rm -f "$pidfile"
done
if [ -d "$STATE/cluster" ]; then
  "$ROOT/deploy/galera/cluster.sh" stop "$STATE/cluster"
  echo "galera down: stopped the 3 Galera nodes (data kept in $STATE/cluster)"
fi
