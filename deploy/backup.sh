#!/usr/bin/env bash
# Backs up the suite's data: both schemas (the registry's and the activity service's) in ONE
# consistent `mariadb-dump --single-transaction` run, so the two agree with each other as of one
# instant (an activity never names an agreement the registry part lacks), while the services
# keep serving (InnoDB: no table locks).
#
#   deploy/backup.sh [--out DIR]
#
# Writes DIR/imp-backup-<UTC time>.sql (default DIR: $IMP_STATE_DIR/backups) and, beside it,
# <same>.outside.txt: the files the database does not hold, which must be kept with the backup
# (TLS material, the gateway's token hashes, the services' database passwords), each with its
# SHA-256. The dump holds no secret of those files; copy them (securely: they include private keys
# and passwords) wherever the dump goes.
#
# The dump starts with the schema versions it was made at (deploy/restore.sh refuses a dump from
# another version unless told) and ends with a statement that gives the registry's change feed a
# new epoch: whatever loads this dump, by restore.sh or by hand, the gateways' copies of the
# registry notice that the registry was restored and rebuild (see ListRegistryChanges).
#
# Works against the stack deploy/local/up.sh starts: the administrator over its socket
# ($IMP_STATE_DIR/mariadb/mysqld.sock, unix_socket authentication, see deploy/mariadb.sh).
# Environment: IMP_STATE_DIR (default .imp-local), IMP_DB_SOCKET, IMP_REGISTRY_DB (imp_registry),
# IMP_ACTIVITY_DB (imp_activity).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${IMP_STATE_DIR:-$ROOT/.imp-local}"
SOCK="${IMP_DB_SOCKET:-$STATE/mariadb/mysqld.sock}"
REGISTRY_DB="${IMP_REGISTRY_DB:-imp_registry}"
ACTIVITY_DB="${IMP_ACTIVITY_DB:-imp_activity}"
OUT="$STATE/backups"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    *) echo "usage: deploy/backup.sh [--out DIR]" >&2; exit 2 ;;
  esac
done
[ -S "$SOCK" ] || { echo "backup: no MariaDB socket at $SOCK (is the stack up?)" >&2; exit 1; }
admin() { mariadb --no-defaults --socket="$SOCK" -u"$(id -un)" "$@"; }

# A schema's version: its applied migrations and their checksums, one line (what restore.sh
# compares with the database it loads into).
schema_version() {  # SCHEMA
  admin -N --raw -e "SET SESSION group_concat_max_len = 1048576;
    SELECT CONCAT('$1 ', COUNT(*), ' ',
    SHA2(GROUP_CONCAT(version, ':', checksum ORDER BY version SEPARATOR ','), 256))
    FROM \`$1\`.schema_migrations"
}

mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$OUT/imp-backup-$stamp.sql"
[ ! -e "$file" ] || { echo "backup: $file exists already" >&2; exit 1; }
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
umask 077  # the dump holds every record (and the token hashes' owners' names): private

before_registry=$(schema_version "$REGISTRY_DB")
before_activity=$(schema_version "$ACTIVITY_DB")
started=$(date +%s.%N)
{
  echo "-- imp backup (deploy/backup.sh) of $REGISTRY_DB and $ACTIVITY_DB, $stamp"
  echo "-- imp-schema: $before_registry"
  echo "-- imp-schema: $before_activity"
  mariadb-dump --no-defaults --socket="$SOCK" -u"$(id -un)" --single-transaction --quick \
    --add-drop-database --routines --triggers --hex-blob --default-character-set=utf8mb4 \
    --databases "$REGISTRY_DB" "$ACTIVITY_DB"
  cat <<SQL
-- deploy/backup.sh: loading this dump is a restore. The registry's change feed numbers start
-- again from the backup's head, so it gets a new epoch: readers of the feed (the gateway's copy
-- of the registry) rebuild instead of skipping the numbers they had already passed.
UPDATE \`$REGISTRY_DB\`.feed_counter SET epoch = UUID() WHERE id = 1;
-- imp backup complete
SQL
} >"$partial"
finished=$(date +%s.%N)
# A migration that ran during the dump would leave the header naming another version than the
# tables hold: refuse it rather than keep a dump restore.sh would misjudge.
if [ "$(schema_version "$REGISTRY_DB")" != "$before_registry" ] ||
  [ "$(schema_version "$ACTIVITY_DB")" != "$before_activity" ]; then
  echo "backup: a schema migration ran during the backup; run it again" >&2
  exit 1
fi
grep -q '^-- Dump completed' "$partial" || { echo "backup: mariadb-dump did not finish" >&2; exit 1; }
mv "$partial" "$file"
trap - EXIT

# What lives outside the database (see deploy/local/up.sh and deploy/tls-certs.sh).
outside="$file.outside.txt"
{
  echo "# Kept outside the database; keep these with $(basename "$file") (sha256, path):"
  for f in "$STATE/tokens.txt" "$STATE/admin.token" "$STATE/secrets.env" "$STATE"/tls/*.pem \
    "$STATE"/tls/*.key; do
    [ -f "$f" ] && sha256sum "$f"
  done
} >"$outside"

size=$(stat -c %s "$file")
seconds=$(awk -v a="$started" -v b="$finished" 'BEGIN { printf "%.1f", b - a }')
echo "backup: $file ($size bytes, $seconds s)"
echo "backup: schemas $before_registry; $before_activity"
echo "backup: kept outside the database (listed in $outside):"
sed -n 's/^[0-9a-f]*  /  /p' "$outside"
