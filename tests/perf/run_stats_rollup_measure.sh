#!/usr/bin/env bash
# Measures GetActivityStats as the history grows, and import throughput (see
# stats_rollup_measure.cc), against the registry and activity services of BIN_DIR (default: this
# build), on a private MariaDB and free loopback ports. Bounded: about 200,000 rows imported
# in 100,000-row calls and ~50 calls per figure. To compare with another commit, build it
# elsewhere and pass the directory holding its registry_service and activity_service:
#   tests/perf/run_stats_rollup_measure.sh [BIN_DIR] [--sizes=10000,200000 --calls=50]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
BIN="$BUILD"
registry="$BUILD/registry-service/registry_service"
activity="$BUILD/activity-service/activity_service"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  BIN=$1; shift
  registry="$BIN/registry_service"; activity="$BIN/activity_service"
fi
STATE=$(mktemp -d /tmp/imp-measure.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/deploy/mariadb.sh" stop "$STATE/mariadb" >/dev/null || true
  rm -rf "$STATE"
}
trap cleanup EXIT
free_port() { python3 "$ROOT/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
"$ROOT/deploy/mariadb.sh" start "$STATE/mariadb" "$(free_port)" >/dev/null
SOCK="$STATE/mariadb/mysqld.sock"
"$ROOT/deploy/provision-db.sh" "$SOCK" m_registry mpw1 mmpw1 >/dev/null
"$ROOT/deploy/provision-db.sh" "$SOCK" m_activity mpw2 mmpw2 >/dev/null
ports=$(free_port 2); read -r RP AP <<<"$ports"
IMP_LOG_LEVEL=warning IMP_DB_PASSWORD=mpw1 IMP_DB_MIGRATION_PASSWORD=mmpw1 "$registry" \
  --port="$RP" --db_socket="$SOCK" --db_user=m_registry --db_migration_user=m_registry_migrate \
  --db_name=m_registry 2>"$STATE/registry.log" &
pids+=($!)
IMP_LOG_LEVEL=warning IMP_DB_PASSWORD=mpw2 IMP_DB_MIGRATION_PASSWORD=mmpw2 "$activity" \
  --port="$AP" --db_socket="$SOCK" --db_user=m_activity --db_migration_user=m_activity_migrate \
  --db_name=m_activity --registry_target="127.0.0.1:$RP" 2>"$STATE/activity.log" &
pids+=($!)
for port in "$RP" "$AP"; do
  "$BUILD/tools/impctl/impctl" health --target="127.0.0.1:$port" --wait_seconds=30 >/dev/null
done
"$BUILD/tests/perf/stats_rollup_measure" --registry="127.0.0.1:$RP" --activity="127.0.0.1:$AP" "$@"
