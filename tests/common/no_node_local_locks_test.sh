#!/usr/bin/env bash
# Locks that a MariaDB Galera cluster does not replicate must not come back into the code:
# named server locks (GET_LOCK and friends) and LOCK TABLES are local to one node, and XA
# transactions are not supported by Galera. Coordination across replicas goes through rows of
# replicated tables (see common/db/migrations.h: the schema_migrations_lock lease).
# Args: SOURCE_DIR
set -euo pipefail
src=$1
pattern='GET_LOCK|RELEASE_LOCK|RELEASE_ALL_LOCKS|IS_FREE_LOCK|IS_USED_LOCK|LOCK[[:space:]]+TABLES?[[:space:]]|UNLOCK[[:space:]]+TABLES|XA[[:space:]]+(START|BEGIN|END|PREPARE|COMMIT|ROLLBACK|RECOVER)'
dirs=()
for d in common registry-service activity-service gateway tools deploy; do
  [ -d "$src/$d" ] && dirs+=("$src/$d")
done
[ ${#dirs[@]} -ge 4 ] || { echo "FAIL: source directories not found under $src" >&2; exit 1; }
if hits=$(grep -rnIiE "$pattern" --include='*.cc' --include='*.h' --include='*.sql' \
  --include='*.sh' --include='*.py' --exclude-dir=node_modules "${dirs[@]}"); then
  echo "FAIL: node-local locks or XA in the sources (not valid under Galera):" >&2
  echo "$hits" >&2
  exit 1
fi
echo "no node-local locks: ok"
