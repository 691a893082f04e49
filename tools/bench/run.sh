#!/usr/bin/env bash
# Benchmarks the suite hermetically and prints the report (imp_bench, see imp_bench.cc):
#
#   tools/bench/run.sh --full    1,000 institutions, 500 agreements; every scenario at 10,000
#                                and at 1,000,000 activities (imported through the API in calls
#                                of 100,000 rows); 5 s per measurement. About 25 minutes on 2
#                                cores. The report also goes to build/bench/report-<time>.md.
#   tools/bench/run.sh --smoke   tiny data, ~1 s per scenario (the bench_smoke ctest)
#
# Options: --tls (mutual TLS between bench and services, as up.sh runs them; default
# plaintext), --output=FILE (where the report goes); anything else goes to imp_bench, e.g.
#   tools/bench/run.sh --full --scenarios=GetInstitution --activities=10000 --seconds=10
#
# Like deploy/local/up.sh: a private MariaDB (free port, temporary directory), each service's
# schema with a runtime and a migration user (deploy/provision-db.sh), migrations applied by
# `--migrate_only` as the migration user, the services started with their runtime user only
# (default flags and log level), then imp_bench with the services' pids for their memory.
# IMP_BUILD_DIR (default build/) names the Release build; IMP_BENCH_NO_BUILD=1 skips building.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"

mode="" tls=0 output="" args=()
for a in "$@"; do
  case "$a" in
    --full | --smoke) mode=${a#--} ;;
    --tls) tls=1 ;;
    --output=*) output=${a#--output=} ;;
    *) args+=("$a") ;;
  esac
done
if [ -z "$mode" ]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi

if [ "${IMP_BENCH_NO_BUILD:-0}" != 1 ]; then
  bash "$ROOT/deploy/install-deps.sh"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --parallel "$(nproc)" \
    --target registry_service activity_service gateway imp_bench impctl
fi

STATE=$(mktemp -d /tmp/imp-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$ROOT/deploy/mariadb.sh" stop "$STATE/mariadb" >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT
fail() {
  echo "bench: $*" >&2
  for f in "$STATE"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}
free_port() { python3 "$ROOT/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range

"$ROOT/deploy/mariadb.sh" start "$STATE/mariadb" "$(free_port)" >/dev/null
SOCK="$STATE/mariadb/mysqld.sock"
pw() { openssl rand -hex 16; }
REG_PW=$(pw) REG_MIGRATE_PW=$(pw) ACT_PW=$(pw) ACT_MIGRATE_PW=$(pw)
"$ROOT/deploy/provision-db.sh" "$SOCK" bench_registry "$REG_PW" "$REG_MIGRATE_PW" >/dev/null
"$ROOT/deploy/provision-db.sh" "$SOCK" bench_activity "$ACT_PW" "$ACT_MIGRATE_PW" >/dev/null
migrate() {  # binary schema migration-password
  IMP_DB_MIGRATION_PASSWORD="$3" "$BUILD/$1" --migrate_only --db_socket="$SOCK" --db_name="$2" \
    --db_migration_user="${2}_migrate" 2>>"$STATE/migrate.log" || fail "$2 migrations failed"
}
migrate registry-service/registry_service bench_registry "$REG_MIGRATE_PW"
migrate activity-service/activity_service bench_activity "$ACT_MIGRATE_PW"

TLS="$STATE/tls"
client_flags=() gateway_client=() bench_tls=()
if [ "$tls" = 1 ]; then
  "$ROOT/deploy/tls-certs.sh" "$TLS" gateway registry activity impctl-internal:client >/dev/null
  client_flags=(--ca_cert="$TLS/ca.pem" --client_cert="$TLS/impctl-internal.pem"
    --client_key="$TLS/impctl-internal.key")
  gateway_client=(--ca_cert="$TLS/ca.pem")
  # The no-op server serves the registry's certificate (SAN 127.0.0.1), client certs optional.
  bench_tls=("${client_flags[@]}" --noop_cert="$TLS/registry.pem" --noop_key="$TLS/registry.key")
fi
service_tls() {  # NAME: prints the service's --tls_* flags
  [ "$tls" = 1 ] && printf '%s\n' --tls_cert="$TLS/$1.pem" --tls_key="$TLS/$1.key" --tls_ca="$TLS/ca.pem"
  return 0
}
ports=$(free_port 6); read -r RP AP GP RMP AMP GMP <<<"$ports"
mapfile -t reg_tls < <(service_tls registry)
mapfile -t act_tls < <(service_tls activity)
mapfile -t gw_tls < <(service_tls gateway)
IMP_DB_PASSWORD="$REG_PW" "$BUILD/registry-service/registry_service" --port="$RP" \
  --metrics_port="$RMP" \
  --db_socket="$SOCK" --db_user=bench_registry --db_name=bench_registry "${reg_tls[@]}" \
  2>"$STATE/registry.log" &
pids+=($!) REGISTRY_PID=$!
IMP_DB_PASSWORD="$ACT_PW" "$BUILD/activity-service/activity_service" --port="$AP" \
  --metrics_port="$AMP" \
  --db_socket="$SOCK" --db_user=bench_activity --db_name=bench_activity \
  --registry_target="127.0.0.1:$RP" "${act_tls[@]}" 2>"$STATE/activity.log" &
pids+=($!) ACTIVITY_PID=$!
TOKEN=$(openssl rand -hex 16)
echo "$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1) viewer imp-bench" >"$STATE/tokens.txt"
"$BUILD/gateway/gateway" --port="$GP" --metrics_port="$GMP" --tokens_file="$STATE/tokens.txt" \
  --registry_target="127.0.0.1:$RP" --activity_target="127.0.0.1:$AP" "${gw_tls[@]}" \
  2>"$STATE/gateway.log" &
pids+=($!) GATEWAY_PID=$!
for port in "$RP" "$AP"; do
  "$BUILD/tools/impctl/impctl" health --target="127.0.0.1:$port" --wait_seconds=60 \
    "${client_flags[@]}" >/dev/null || fail "127.0.0.1:$port is not SERVING"
done
"$BUILD/tools/impctl/impctl" health --target="127.0.0.1:$GP" --wait_seconds=60 \
  "${gateway_client[@]}" >/dev/null || fail "the gateway is not SERVING"

if [ "$mode" = smoke ]; then
  sizes=(--institutions=20 --agreements=10 --activities=300,1200 --import_call_rows=500
    --seconds=0.2 --min_calls=3 --max_seconds=10)
  [ -n "$output" ] || output="$STATE/report.md"
else
  sizes=()
  if [ -z "$output" ]; then
    mkdir -p "$BUILD/bench"
    output="$BUILD/bench/report-$(date -u +%Y%m%d-%H%M%S).md"
  fi
fi
IMP_BENCH_DB_PASSWORD="$ACT_MIGRATE_PW" "$BUILD/tools/bench/imp_bench" \
  --registry="127.0.0.1:$RP" --activity="127.0.0.1:$AP" --gateway="127.0.0.1:$GP" \
  --token="$TOKEN" --registry_pid="$REGISTRY_PID" --activity_pid="$ACTIVITY_PID" \
  --gateway_pid="$GATEWAY_PID" --mariadb_pid="$(cat "$STATE/mariadb/mysqld.pid")" \
  --metrics_targets="127.0.0.1:$RMP,127.0.0.1:$AMP,127.0.0.1:$GMP" \
  --db_socket="$SOCK" --db_schema=bench_activity \
  --db_user=bench_activity_migrate --output="$output" \
  --header="tools/bench/run.sh $*" "${bench_tls[@]}" "${sizes[@]}" "${args[@]}" \
  || fail "imp_bench failed"
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a service died during the run"; done
echo "bench: report written to $output" >&2
