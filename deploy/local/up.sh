#!/usr/bin/env bash
# One command on a fresh machine: install what is missing, build (Release), start a private
# MariaDB and the three services, load the demo data, and print how to call the suite.
# Safe to re-run; data survives deploy/local/down.sh + up.sh (it lives in $IMP_STATE_DIR).
# Ports and directories can be moved with IMP_STATE_DIR, IMP_BUILD_DIR, IMP_DB_PORT,
# IMP_GATEWAY_PORT, IMP_REGISTRY_PORT and IMP_ACTIVITY_PORT. The services talk TLS (mutual TLS
# between them, certificates in $IMP_STATE_DIR/tls); IMP_TLS=off starts them in plaintext.
# Each service serves Prometheus metrics at http://127.0.0.1:PORT/metrics (plain HTTP, loopback
# only) on IMP_GATEWAY_METRICS_PORT, IMP_REGISTRY_METRICS_PORT and IMP_ACTIVITY_METRICS_PORT
# (9460, 9461, 9462: below the ephemeral range, the ports deploy/prometheus/prometheus.yml
# scrapes; 0 turns a service's metrics off).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${IMP_STATE_DIR:-$ROOT/.imp-local}"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"
DB_PORT="${IMP_DB_PORT:-3316}"
GATEWAY_PORT="${IMP_GATEWAY_PORT:-50050}"
REGISTRY_PORT="${IMP_REGISTRY_PORT:-50051}"
ACTIVITY_PORT="${IMP_ACTIVITY_PORT:-50052}"
GATEWAY_METRICS_PORT="${IMP_GATEWAY_METRICS_PORT:-9460}"
REGISTRY_METRICS_PORT="${IMP_REGISTRY_METRICS_PORT:-9461}"
ACTIVITY_METRICS_PORT="${IMP_ACTIVITY_METRICS_PORT:-9462}"
mkdir -p "$STATE/run" "$STATE/logs"

bash "$ROOT/deploy/install-deps.sh"

echo "up: building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)"

echo "up: starting MariaDB on 127.0.0.1:$DB_PORT (data in $STATE/mariadb)"
"$ROOT/deploy/mariadb.sh" start "$STATE/mariadb" "$DB_PORT"
SOCK="$STATE/mariadb/mysqld.sock"

# Each service owns its schema and two database users: the runtime user (DML only, what the
# running service connects as) and <schema>_migrate (DDL, used only by the --migrate_only step
# below). Passwords are generated once; an install from before the migration users gets theirs
# added here.
umask_before=$(umask)
umask 077
touch "$STATE/secrets.env"
for var in REGISTRY_DB_PASSWORD ACTIVITY_DB_PASSWORD REGISTRY_DB_MIGRATION_PASSWORD \
  ACTIVITY_DB_MIGRATION_PASSWORD; do
  grep -q "^$var=" "$STATE/secrets.env" || echo "$var=$(openssl rand -hex 16)" >>"$STATE/secrets.env"
done
umask "$umask_before"
# shellcheck disable=SC1091
source "$STATE/secrets.env"
"$ROOT/deploy/provision-db.sh" "$SOCK" imp_registry "$REGISTRY_DB_PASSWORD" \
  "$REGISTRY_DB_MIGRATION_PASSWORD"
"$ROOT/deploy/provision-db.sh" "$SOCK" imp_activity "$ACTIVITY_DB_PASSWORD" \
  "$ACTIVITY_DB_MIGRATION_PASSWORD"
# Schema migrations run as their own step, as a deploy would run them; the services themselves
# get only their runtime credentials and refuse to serve an out-of-date schema.
migrate() {  # binary schema migration-password
  IMP_DB_MIGRATION_PASSWORD="$3" "$BUILD/$1" --migrate_only --db_socket="$SOCK" --db_name="$2" \
    --db_migration_user="${2}_migrate" 2>>"$STATE/logs/migrate.log" \
    || { echo "up: $2 migrations failed; see $STATE/logs/migrate.log" >&2; exit 1; }
}
echo "up: applying schema migrations"
migrate registry-service/registry_service imp_registry "$REGISTRY_DB_MIGRATION_PASSWORD"
migrate activity-service/activity_service imp_activity "$ACTIVITY_DB_MIGRATION_PASSWORD"

# Gateway tokens: the file stores only SHA-256 hashes; the admin token itself is kept in
# $STATE/admin.token (mode 600) for impctl.
if [ ! -f "$STATE/admin.token" ]; then
  umask 077
  openssl rand -hex 24 >"$STATE/admin.token"
  printf '# sha256(token) role actor [institutions...]\n%s admin local-admin\n' \
    "$(tr -d '\n' <"$STATE/admin.token" | sha256sum | cut -d' ' -f1)" >"$STATE/tokens.txt"
fi

# TLS: a private CA, one certificate per service (its server and its client certificate;
# CN and SAN DNS name the service, SAN also localhost and 127.0.0.1) and the internal-tools
# client certificate (CN impctl-internal) for impctl, tests and other internal clients. Made
# once (deploy/tls-certs.sh keeps existing files); keys are mode 600.
TLS="$STATE/tls"
TLS_ON=0
[ "${IMP_TLS:-on}" = off ] || TLS_ON=1
INTERNAL_CLIENT=()  # impctl flags for calling a service directly
GATEWAY_CLIENT=()   # impctl flags for calling the gateway
if [ "$TLS_ON" = 1 ]; then
  "$ROOT/deploy/tls-certs.sh" "$TLS" gateway registry activity impctl-internal:client
  INTERNAL_CLIENT=(--ca_cert="$TLS/ca.pem" --client_cert="$TLS/impctl-internal.pem"
    --client_key="$TLS/impctl-internal.key")
  GATEWAY_CLIENT=(--ca_cert="$TLS/ca.pem")
fi
tls_flags() {  # NAME: sets TLS_FLAGS to the service's --tls_* flags (none with IMP_TLS=off)
  TLS_FLAGS=()
  [ "$TLS_ON" = 1 ] || return 0
  TLS_FLAGS=(--tls_cert="$TLS/$1.pem" --tls_key="$TLS/$1.key" --tls_ca="$TLS/ca.pem")
}

start_service() {  # name binary args...
  local name=$1 bin=$2
  shift 2
  local pidfile="$STATE/run/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "up: $name already running (pid $(cat "$pidfile"))"
    return
  fi
  nohup "$BUILD/$bin" "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "up: started $name (pid $!, log $STATE/logs/$name.log)"
}

tls_flags registry
IMP_DB_PASSWORD="$REGISTRY_DB_PASSWORD" start_service registry registry-service/registry_service \
  --port=$REGISTRY_PORT --metrics_port=$REGISTRY_METRICS_PORT --db_socket="$SOCK" \
  --db_user=imp_registry --db_name=imp_registry "${TLS_FLAGS[@]}"
tls_flags activity
IMP_DB_PASSWORD="$ACTIVITY_DB_PASSWORD" start_service activity activity-service/activity_service \
  --port=$ACTIVITY_PORT --metrics_port=$ACTIVITY_METRICS_PORT --db_socket="$SOCK" \
  --db_user=imp_activity --db_name=imp_activity --registry_target=127.0.0.1:$REGISTRY_PORT \
  "${TLS_FLAGS[@]}"
tls_flags gateway
start_service gateway gateway/gateway --port=$GATEWAY_PORT --metrics_port=$GATEWAY_METRICS_PORT \
  --tokens_file="$STATE/tokens.txt" --registry_target=127.0.0.1:$REGISTRY_PORT \
  --activity_target=127.0.0.1:$ACTIVITY_PORT "${TLS_FLAGS[@]}"

IMPCTL="$BUILD/tools/impctl/impctl"
for target in 127.0.0.1:$REGISTRY_PORT 127.0.0.1:$ACTIVITY_PORT; do
  "$IMPCTL" health --target="$target" --wait_seconds=60 "${INTERNAL_CLIENT[@]}" >/dev/null \
    || { echo "up: $target is not SERVING; see $STATE/logs" >&2; exit 1; }
done
"$IMPCTL" health --target="127.0.0.1:$GATEWAY_PORT" --wait_seconds=60 "${GATEWAY_CLIENT[@]}" \
  >/dev/null || { echo "up: 127.0.0.1:$GATEWAY_PORT is not SERVING; see $STATE/logs" >&2; exit 1; }
echo "up: all three services are SERVING"

export IMP_TARGET="127.0.0.1:$GATEWAY_PORT"
export IMP_TOKEN_FILE="$STATE/admin.token"
if [ "$TLS_ON" = 1 ]; then export IMP_CA_CERT="$TLS/ca.pem"; fi
# The demo data goes in through impctl and the gateway, so it passes the services' validation
# like any other data. It is loaded only into an empty database: no change ever made to the
# registry (its change feed's counter is 0) and no activity. The database decides, not a file in
# $STATE: a database restored from a backup (deploy/restore.sh), or filled any other way, is never
# given the demo again (its update of moh-ua-giz-2025 would be a real change to real data).
changes=$(mariadb --no-defaults --socket="$SOCK" -u"$(id -un)" -N -e "SELECT
  (SELECT COALESCE(MAX(seq), 0) FROM imp_registry.feed_counter)
  + (SELECT COUNT(*) FROM (SELECT 1 FROM imp_activity.activities LIMIT 1) AS any_activity)")
if [ "$changes" = 0 ]; then
  echo "up: loading the demo data set (deploy/demo) through impctl"
  "$IMPCTL" import institutions "$ROOT/deploy/demo/institutions.csv" --request_id=demo-institutions-v1
  "$IMPCTL" import agreements "$ROOT/deploy/demo/agreements.csv" --request_id=demo-agreements-v1
  "$IMPCTL" import activities "$ROOT/deploy/demo/activities.csv" --request_id=demo-activities-v1
  # The MoH-GIZ memorandum "integrates 17 more medical institutions from Germany" without naming
  # them (seed 004): a framework declaring 17 members, none named (the CSV has no such column).
  echo '{"declaredMemberCount": 17}' | "$IMPCTL" update agreement moh-ua-giz-2025 - \
    --update_mask=declared_member_count >/dev/null
  # The two projects of the seed documents, one proto JSON file each (their notes quote the
  # source and say what it leaves empty), created under the file's name as id.
  for project in modular-care-centres mammography-machines; do
    "$IMPCTL" create project "$ROOT/deploy/demo/projects/$project.json" "$project" \
      --request_id="demo-project-$project-v1" >/dev/null
  done
else
  echo "up: the database holds data already; the demo data set is not loaded"
fi

cat <<TXT

imp is up.
  gateway   127.0.0.1:$GATEWAY_PORT   (imp.gateway.v1.GatewayService, the admin door)
  registry  127.0.0.1:$REGISTRY_PORT   (imp.registry.v1.RegistryService)
  activity  127.0.0.1:$ACTIVITY_PORT   (imp.activity.v1.ActivityService)
  MariaDB   127.0.0.1:$DB_PORT    (socket $SOCK)
Admin token: $STATE/admin.token
TXT
echo "Prometheus metrics (plain HTTP; scrape config and alert rules in deploy/prometheus/):"
for m in gateway:$GATEWAY_METRICS_PORT registry:$REGISTRY_METRICS_PORT \
  activity:$ACTIVITY_METRICS_PORT; do
  if [ "${m#*:}" = 0 ]; then
    printf '  %-9s off\n' "${m%%:*}"
  else
    printf '  %-9s http://127.0.0.1:%s/metrics\n' "${m%%:*}" "${m#*:}"
  fi
done
if [ "$TLS_ON" = 1 ]; then
  cat <<TXT
TLS: the gateway serves TLS, the services mutual TLS between them.
  CA certificate                 $TLS/ca.pem   (IMP_CA_CERT, impctl --ca_cert)
  internal-tools client cert     $TLS/impctl-internal.pem, key $TLS/impctl-internal.key
                                 (IMP_CLIENT_CERT/IMP_CLIENT_KEY: call a service directly;
                                 the audit trail records it as peer:impctl-internal)
Try:
  export IMP_TARGET=127.0.0.1:$GATEWAY_PORT IMP_TOKEN_FILE=$STATE/admin.token IMP_CA_CERT=$TLS/ca.pem
  $IMPCTL summary
  $IMPCTL map
  $IMPCTL list institutions --filter='country = "FR"'
  $IMPCTL health --target=127.0.0.1:$REGISTRY_PORT ${INTERNAL_CLIENT[*]:1}
TXT
else
  cat <<TXT
TLS is off (IMP_TLS=off): every port is plaintext and the services believe any x-imp-actor.
Try:
  export IMP_TARGET=127.0.0.1:$GATEWAY_PORT IMP_TOKEN_FILE=$STATE/admin.token
  $IMPCTL summary
  $IMPCTL health --target=127.0.0.1:$REGISTRY_PORT
TXT
fi
echo "Stop with deploy/local/down.sh (data is kept in $STATE)."
