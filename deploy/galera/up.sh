#!/usr/bin/env bash
# The scale-out variant in one command, on loopback: a 3-node MariaDB Galera cluster
# (deploy/galera/cluster.sh), both service schemas and their users (deploy/provision-db.sh, once:
# Galera replicates them), the schema migrations (--migrate_only), two replicas of the registry
# and of the activity service (each replica on a node of its own), and two gateways balancing
# round-robin over them. Prints every address. Safe to re-run; deploy/galera/down.sh stops it and
# the data survives in $IMP_GALERA_STATE_DIR (default .imp-galera/).
#
# Ports (comma lists, two per service): IMP_GALERA_GATEWAY_PORTS (50150,50151),
# IMP_GALERA_REGISTRY_PORTS (50161,50162), IMP_GALERA_ACTIVITY_PORTS (50171,50172); the nodes' ports
# as in cluster.sh (SQL 3321-3323). IMP_TLS=off: plaintext (default: mutual TLS between services,
# as deploy/local/up.sh). IMP_GALERA_SERVICES=off: the database cluster only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_GALERA_STATE_DIR:-$ROOT/.imp-galera}"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
IFS=, read -r -a GATEWAY_PORTS <<<"${IMP_GALERA_GATEWAY_PORTS:-50150,50151}"
IFS=, read -r -a REGISTRY_PORTS <<<"${IMP_GALERA_REGISTRY_PORTS:-50161,50162}"
IFS=, read -r -a ACTIVITY_PORTS <<<"${IMP_GALERA_ACTIVITY_PORTS:-50171,50172}"
CLUSTER="$ROOT/deploy/galera/cluster.sh"
mkdir -p "$STATE/run" "$STATE/logs"

bash "$ROOT/deploy/install-deps.sh"
echo "galera up: building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)"

echo "galera up: starting the 3-node cluster (data in $STATE/cluster)"
"$CLUSTER" start "$STATE/cluster"
SOCK1=$("$CLUSTER" socket "$STATE/cluster" 1)

# Secrets, made once (mode 600): database passwords, the admin token, and the page-token key
# every replica shares (a page token from one replica must be accepted by the next).
umask_before=$(umask)
umask 077
touch "$STATE/secrets.env"
for var in REGISTRY_DB_PASSWORD ACTIVITY_DB_PASSWORD REGISTRY_DB_MIGRATION_PASSWORD \
  ACTIVITY_DB_MIGRATION_PASSWORD; do
  grep -q "^$var=" "$STATE/secrets.env" || echo "$var=$(openssl rand -hex 16)" >>"$STATE/secrets.env"
done
[ -f "$STATE/page-token.key" ] || openssl rand -hex 32 >"$STATE/page-token.key"
if [ ! -f "$STATE/admin.token" ]; then
  openssl rand -hex 24 >"$STATE/admin.token"
  printf '# sha256(token) role actor [institutions...]\n%s admin galera-admin\n' \
    "$(tr -d '\n' <"$STATE/admin.token" | sha256sum | cut -d' ' -f1)" >"$STATE/tokens.txt"
fi
umask "$umask_before"
# shellcheck disable=SC1091
source "$STATE/secrets.env"
"$ROOT/deploy/provision-db.sh" "$SOCK1" imp_registry "$REGISTRY_DB_PASSWORD" \
  "$REGISTRY_DB_MIGRATION_PASSWORD"
"$ROOT/deploy/provision-db.sh" "$SOCK1" imp_activity "$ACTIVITY_DB_PASSWORD" \
  "$ACTIVITY_DB_MIGRATION_PASSWORD"
echo "galera up: applying schema migrations (through node 1; DDL replicates to every node)"
IMP_DB_MIGRATION_PASSWORD="$REGISTRY_DB_MIGRATION_PASSWORD" "$BUILD/registry-service/registry_service" \
  --migrate_only --db_socket="$SOCK1" --db_name=imp_registry \
  --db_migration_user=imp_registry_migrate 2>>"$STATE/logs/migrate.log"
IMP_DB_MIGRATION_PASSWORD="$ACTIVITY_DB_MIGRATION_PASSWORD" "$BUILD/activity-service/activity_service" \
  --migrate_only --db_socket="$SOCK1" --db_name=imp_activity \
  --db_migration_user=imp_activity_migrate 2>>"$STATE/logs/migrate.log"

if [ "${IMP_GALERA_SERVICES:-on}" = off ]; then
  "$CLUSTER" status "$STATE/cluster"
  exit 0
fi

TLS="$STATE/tls"
TLS_ON=0
[ "${IMP_TLS:-on}" = off ] || TLS_ON=1
GATEWAY_CLIENT=()
INTERNAL_CLIENT=()
if [ "$TLS_ON" = 1 ]; then
  "$ROOT/deploy/tls-certs.sh" "$TLS" gateway registry activity impctl-internal:client
  GATEWAY_CLIENT=(--ca_cert="$TLS/ca.pem")
  INTERNAL_CLIENT=(--ca_cert="$TLS/ca.pem" --client_cert="$TLS/impctl-internal.pem"
    --client_key="$TLS/impctl-internal.key")
fi
tls_flags() {  # NAME
  TLS_FLAGS=()
  [ "$TLS_ON" = 1 ] || return 0
  TLS_FLAGS=(--tls_cert="$TLS/$1.pem" --tls_key="$TLS/$1.key" --tls_ca="$TLS/ca.pem")
}
start_service() {  # name binary args...
  local name=$1 bin=$2 pidfile="$STATE/run/$1.pid"
  shift 2
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return; fi
  nohup "$BUILD/$bin" "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}
targets() {  # PORT...: a gRPC target naming every replica, balanced round-robin
  local list="" p
  for p in "$@"; do list="$list,127.0.0.1:$p"; done
  echo "ipv4:${list#,}"
}
REGISTRY_TARGET=$(targets "${REGISTRY_PORTS[@]}")
ACTIVITY_TARGET=$(targets "${ACTIVITY_PORTS[@]}")
COMMON=(--page_token_key_file="$STATE/page-token.key")
# registry replica i on node i (1, 2); activity replica i on node i+1 (2, 3).
for i in 0 1; do
  tls_flags registry
  IMP_DB_PASSWORD="$REGISTRY_DB_PASSWORD" start_service "registry$((i + 1))" \
    registry-service/registry_service --port="${REGISTRY_PORTS[$i]}" \
    --db_socket="$("$CLUSTER" socket "$STATE/cluster" $((i + 1)))" --db_user=imp_registry \
    --db_name=imp_registry "${COMMON[@]}" "${TLS_FLAGS[@]}"
  tls_flags activity
  IMP_DB_PASSWORD="$ACTIVITY_DB_PASSWORD" start_service "activity$((i + 1))" \
    activity-service/activity_service --port="${ACTIVITY_PORTS[$i]}" \
    --db_socket="$("$CLUSTER" socket "$STATE/cluster" $((i + 2)))" --db_user=imp_activity \
    --db_name=imp_activity --registry_target="$REGISTRY_TARGET" "${COMMON[@]}" "${TLS_FLAGS[@]}"
  tls_flags gateway
  start_service "gateway$((i + 1))" gateway/gateway --port="${GATEWAY_PORTS[$i]}" \
    --tokens_file="$STATE/tokens.txt" --registry_target="$REGISTRY_TARGET" \
    --activity_target="$ACTIVITY_TARGET" "${TLS_FLAGS[@]}"
done

IMPCTL="$BUILD/tools/impctl/impctl"
for p in "${REGISTRY_PORTS[@]}" "${ACTIVITY_PORTS[@]}"; do
  "$IMPCTL" health --target="127.0.0.1:$p" --wait_seconds=60 "${INTERNAL_CLIENT[@]}" >/dev/null \
    || { echo "galera up: 127.0.0.1:$p is not SERVING; see $STATE/logs" >&2; exit 1; }
done
for p in "${GATEWAY_PORTS[@]}"; do
  "$IMPCTL" health --target="127.0.0.1:$p" --wait_seconds=60 "${GATEWAY_CLIENT[@]}" >/dev/null \
    || { echo "galera up: 127.0.0.1:$p is not SERVING; see $STATE/logs" >&2; exit 1; }
done

export IMP_TARGET="$(targets "${GATEWAY_PORTS[@]}")" IMP_TOKEN_FILE="$STATE/admin.token"
[ "$TLS_ON" = 1 ] && export IMP_CA_CERT="$TLS/ca.pem"
if [ ! -f "$STATE/demo-loaded" ]; then
  echo "galera up: loading the demo data set (deploy/demo) through impctl"
  "$IMPCTL" import institutions "$ROOT/deploy/demo/institutions.csv" --request_id=demo-institutions-v1
  "$IMPCTL" import agreements "$ROOT/deploy/demo/agreements.csv" --request_id=demo-agreements-v1
  "$IMPCTL" import activities "$ROOT/deploy/demo/activities.csv" --request_id=demo-activities-v1
  touch "$STATE/demo-loaded"
fi

echo
echo "imp is up on a 3-node Galera cluster."
"$CLUSTER" status "$STATE/cluster" | sed 's/^/  /'
printf '  gateways  %s\n  registry  %s\n  activity  %s\n' "$IMP_TARGET" "$REGISTRY_TARGET" \
  "$ACTIVITY_TARGET"
cat <<TXT
Try:
  export IMP_TARGET=$IMP_TARGET IMP_TOKEN_FILE=$STATE/admin.token${IMP_CA_CERT:+ IMP_CA_CERT=$IMP_CA_CERT}
  $IMPCTL summary
  deploy/galera/cluster.sh status $STATE/cluster
Stop with deploy/galera/down.sh (data is kept in $STATE).
TXT
