#!/usr/bin/env bash
# Deploy-time migrations with the real binaries: deploy/provision-db.sh gives the runtime user DML
# only; a service started with only that user against an unmigrated schema stays NOT_SERVING and
# says which schema version it found; `--migrate_only` (as the migration user) exits 0, is
# idempotent, exits 1 with the reason when it cannot migrate; the waiting service then turns
# SERVING without a restart. Uses the test MariaDB ($IMP_TEST_DB_SOCKET).
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/imp-migrate-only.XXXXXX)
suffix=$(openssl rand -hex 4)
reg="mo_reg_$suffix" act="mo_act_$suffix"
pids=()
admin() { mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "$reg" "$act"; do
    admin -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost', '$db'@'127.0.0.1', '${db}_migrate'@'localhost', '${db}_migrate'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { /usr/bin/python3 "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
health() { "$build/tools/impctl/impctl" health --target="127.0.0.1:$1" "${@:2}" >/dev/null 2>&1; }
export IMP_LOG_LEVEL=info

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$reg" rpw rmpw
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$act" apw ampw
# Exactly the grants the privilege model promises (SHOW GRANTS escapes the '_' of the pattern).
grants=$(admin -N -e "SHOW GRANTS FOR '$reg'@'127.0.0.1'" | grep -v '^GRANT USAGE ON \*\.\*')
[ "$grants" = "GRANT SELECT, INSERT, UPDATE, DELETE ON \`${reg//_/\\\\_}\`.* TO \`$reg\`@\`127.0.0.1\`" ] \
  || fail "runtime grants: $grants"
grants=$(admin -N -e "SHOW GRANTS FOR '${reg}_migrate'@'localhost'" | grep -v '^GRANT USAGE ON \*\.\*')
[ "$grants" = "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER ON \`${reg//_/\\\\_}\`.* TO \`${reg}_migrate\`@\`localhost\`" ] \
  || fail "migration grants: $grants"

# Runtime user only, schema empty: up but NOT_SERVING (impctl health exits 3), with the reason.
RP=$(free_port)
IMP_DB_PASSWORD=rpw "$build/registry-service/registry_service" --port="$RP" \
  --db_socket="$IMP_TEST_DB_SOCKET" --db_user="$reg" --db_name="$reg" 2>"$work/registry.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'event=health' "$work/registry.log" && break; sleep 0.1; done
rc=0; health "$RP" || rc=$?
[ "$rc" = 3 ] || fail "runtime-only registry on an empty schema: impctl health exited $rc, expected 3 (NOT_SERVING)"
grep -q 'schema at version 0, binary needs' "$work/registry.log" \
  || fail "the log does not say which schema version was found: $(cat "$work/registry.log")"

# --migrate_only without usable migration credentials: exit 1 and the reason.
rc=0
IMP_DB_MIGRATION_PASSWORD=wrong "$build/registry-service/registry_service" --migrate_only \
  --db_socket="$IMP_TEST_DB_SOCKET" --db_name="$reg" --db_migration_user="${reg}_migrate" \
  2>"$work/bad.log" || rc=$?
[ "$rc" = 1 ] || fail "--migrate_only with a wrong password exited $rc"
grep -q 'event=migrate_failed' "$work/bad.log" || fail "no reason given: $(cat "$work/bad.log")"
rc=0
"$build/registry-service/registry_service" --migrate_only --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_name="$reg" 2>"$work/nouser.log" || rc=$?
[ "$rc" = 1 ] || fail "--migrate_only without a migration user exited $rc"
grep -q 'no migration user' "$work/nouser.log" || fail "no reason given: $(cat "$work/nouser.log")"

# The deploy step: exit 0, twice (idempotent); the waiting service turns SERVING on its own.
for run in 1 2; do
  IMP_DB_MIGRATION_PASSWORD=rmpw "$build/registry-service/registry_service" --migrate_only \
    --db_socket="$IMP_TEST_DB_SOCKET" --db_name="$reg" --db_migration_user="${reg}_migrate" \
    2>"$work/migrate$run.log" || fail "registry --migrate_only run $run: $(cat "$work/migrate$run.log")"
done
grep -q 'event=migration_applied' "$work/migrate1.log" || fail "first run applied nothing"
grep -q 'event=migration_applied' "$work/migrate2.log" && fail "second run applied migrations again"
health "$RP" --wait_seconds=15 || fail "registry did not turn SERVING after --migrate_only"

# The activity service the same way, over TCP this time.
IMP_DB_MIGRATION_PASSWORD=ampw "$build/activity-service/activity_service" --migrate_only \
  --db_host=127.0.0.1 --db_port="$IMP_TEST_DB_PORT" --db_name="$act" \
  --db_migration_user="${act}_migrate" 2>"$work/act-migrate.log" \
  || fail "activity --migrate_only: $(cat "$work/act-migrate.log")"
AP=$(free_port)
IMP_DB_PASSWORD=apw "$build/activity-service/activity_service" --port="$AP" \
  --db_host=127.0.0.1 --db_port="$IMP_TEST_DB_PORT" --db_user="$act" --db_name="$act" \
  --registry_target="127.0.0.1:$RP" 2>"$work/activity.log" &
pids+=($!)
health "$AP" --wait_seconds=15 || fail "activity (runtime user only, migrated schema) not SERVING: $(cat "$work/activity.log")"
echo "migrate_only: all checks passed"
