#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into the running MariaDB of the stack
# deploy/local/up.sh starts: both schemas are replaced by the dump's (every record as it was when
# the backup began; whatever was written since is gone). The services may keep running:
#
#   deploy/restore.sh [--any-schema] DUMP
#
# - The database users (each service's runtime and migration user, see deploy/provision-db.sh)
#   live outside the two schemas and are kept as they are, with their grants; the dump holds no
#   user. The files the dump does not hold (TLS material, token hashes, secrets.env: see the
#   dump's .outside.txt) are not touched.
# - The dump must be at the schema version of the database it is loaded into (the migrations
#   each schema has applied, with their checksums): a dump from another version is refused
#   unless --any-schema is given (then run the services' --migrate_only step, e.g. up.sh,
#   before serving: a newer binary migrates an older dump; an older binary refuses a newer one).
# - A truncated dump (no "Dump completed" line) is refused.
# - After loading, the registry's change feed gets a new epoch (the dump also ends by setting
#   one): every gateway notices the restore and rebuilds its copy of the registry, within its
#   poll interval, without a restart.
# Environment as deploy/backup.sh: IMP_STATE_DIR, IMP_DB_SOCKET, IMP_REGISTRY_DB, IMP_ACTIVITY_DB.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${IMP_STATE_DIR:-$ROOT/.imp-local}"
SOCK="${IMP_DB_SOCKET:-$STATE/mariadb/mysqld.sock}"
REGISTRY_DB="${IMP_REGISTRY_DB:-imp_registry}"
ACTIVITY_DB="${IMP_ACTIVITY_DB:-imp_activity}"
any_schema=0
dump=""
for arg in "$@"; do
  case "$arg" in
    --any-schema) any_schema=1 ;;
    -*) echo "usage: deploy/restore.sh [--any-schema] DUMP" >&2; exit 2 ;;
    *) [ -z "$dump" ] || { echo "restore: one dump at a time" >&2; exit 2; }; dump=$arg ;;
  esac
done
[ -n "$dump" ] || { echo "usage: deploy/restore.sh [--any-schema] DUMP" >&2; exit 2; }
[ -r "$dump" ] || { echo "restore: cannot read $dump" >&2; exit 1; }
[ -S "$SOCK" ] || { echo "restore: no MariaDB socket at $SOCK (is the stack up?)" >&2; exit 1; }
admin() { mariadb --no-defaults --socket="$SOCK" -u"$(id -un)" "$@"; }

schema_version() {  # SCHEMA: as deploy/backup.sh writes it ("none" when the schema has none)
  admin -N --raw -e "SET SESSION group_concat_max_len = 1048576;
    SELECT CONCAT('$1 ', COUNT(*), ' ',
    SHA2(GROUP_CONCAT(version, ':', checksum ORDER BY version SEPARATOR ','), 256))
    FROM \`$1\`.schema_migrations" 2>/dev/null || echo "$1 none"
}

tail -c 4096 "$dump" | grep -q '^-- Dump completed' ||
  { echo "restore: $dump is incomplete (no 'Dump completed' line): refused" >&2; exit 1; }
mismatch=0
for schema in "$REGISTRY_DB" "$ACTIVITY_DB"; do
  want=$(schema_version "$schema")
  have=$(sed -n "1,5s/^-- imp-schema: \($schema .*\)$/\1/p" "$dump")
  if [ -z "$have" ]; then
    echo "restore: $dump does not say its $schema schema version (not made by deploy/backup.sh?)" >&2
    mismatch=1
  elif [ "$have" != "$want" ]; then
    echo "restore: $dump holds $schema at migration state '$have'; the database is at '$want'" >&2
    mismatch=1
  fi
done
if [ "$mismatch" = 1 ] && [ "$any_schema" = 0 ]; then
  echo "restore: refused (another schema version); --any-schema loads it anyway" >&2
  exit 1
fi

started=$(date +%s.%N)
admin <"$dump"
# Again, whatever the dump ended with: any restore changes the feed's epoch.
admin -e "UPDATE \`$REGISTRY_DB\`.feed_counter SET epoch = UUID() WHERE id = 1"
finished=$(date +%s.%N)
seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", b - a }')

# The services' users are still there, with their grants on the restored schemas.
for user in "$REGISTRY_DB" "${REGISTRY_DB}_migrate" "$ACTIVITY_DB" "${ACTIVITY_DB}_migrate"; do
  admin -N -e "SHOW GRANTS FOR '$user'@'localhost'" >/dev/null 2>&1 ||
    echo "restore: warning: database user $user@localhost is missing (run deploy/provision-db.sh)" >&2
done
echo "restore: loaded $dump in $seconds s"
echo "restore: schemas $(schema_version "$REGISTRY_DB"); $(schema_version "$ACTIVITY_DB")"
