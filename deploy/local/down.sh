#!/usr/bin/env bash
# Stops what deploy/local/up.sh started (services first, then MariaDB). Data is kept.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_STATE_DIR:-$ROOT/.imp-local}"

for name in gateway activity registry; do
  pidfile="$STATE/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"  # graceful: health NOT_SERVING, in-flight calls drain
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "down: stopped $name"
  fi
  rm -f "$pidfile"
done
"$ROOT/deploy/mariadb.sh" stop "$STATE/mariadb"
echo "down: stopped MariaDB (data kept in $STATE)"
