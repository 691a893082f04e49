#!/usr/bin/env bash
# Benchmarks the suite hermetically: a private MariaDB and fresh registry and activity servers on
# free loopback ports (Release build), then imp_bench. Extra arguments go to imp_bench, e.g.
#   tools/bench/run.sh --scenarios=stats --stats_base_rows=20000
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
bash "$ROOT/deploy/install-deps.sh"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)" --target registry_service activity_service gateway imp_bench impctl

STATE=$(mktemp -d /tmp/imp-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$ROOT/deploy/mariadb.sh" stop "$STATE/mariadb" || true
  rm -rf "$STATE"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
"$ROOT/deploy/mariadb.sh" start "$STATE/mariadb" "$(free_port)"
SOCK="$STATE/mariadb/mysqld.sock"
"$ROOT/deploy/provision-db.sh" "$SOCK" bench_registry benchpw1 benchmigratepw1
"$ROOT/deploy/provision-db.sh" "$SOCK" bench_activity benchpw2 benchmigratepw2
RP=$(free_port) AP=$(free_port)
IMP_LOG_LEVEL=warning IMP_DB_PASSWORD=benchpw1 IMP_DB_MIGRATION_PASSWORD=benchmigratepw1 \
  "$BUILD/registry-service/registry_service" --port="$RP" --db_socket="$SOCK" \
  --db_user=bench_registry --db_migration_user=bench_registry_migrate --db_name=bench_registry 2>"$STATE/registry.log" &
pids+=($!)
IMP_LOG_LEVEL=warning IMP_DB_PASSWORD=benchpw2 IMP_DB_MIGRATION_PASSWORD=benchmigratepw2 \
  "$BUILD/activity-service/activity_service" --port="$AP" --db_socket="$SOCK" \
  --db_user=bench_activity --db_migration_user=bench_activity_migrate --db_name=bench_activity \
  --registry_target="127.0.0.1:$RP" 2>"$STATE/activity.log" &
pids+=($!)
GP=$(free_port) TOKEN=$(openssl rand -hex 16)
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) viewer bench" >"$STATE/tokens.txt"
IMP_LOG_LEVEL=warning "$BUILD/gateway/gateway" --port="$GP" --tokens_file="$STATE/tokens.txt" \
  --registry_target="127.0.0.1:$RP" --activity_target="127.0.0.1:$AP" 2>"$STATE/gateway.log" &
pids+=($!)
for port in "$RP" "$AP" "$GP"; do
  "$BUILD/tools/impctl/impctl" health --target="127.0.0.1:$port" --wait_seconds=30 >/dev/null
done
"$BUILD/tools/bench/imp_bench" --registry="127.0.0.1:$RP" --activity="127.0.0.1:$AP" \
  --gateway="127.0.0.1:$GP" --token="$TOKEN" "$@"
