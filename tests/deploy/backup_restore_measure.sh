#!/usr/bin/env bash
# RPO/RTO figures of deploy/backup.sh and deploy/restore.sh on the stack deploy/local/up.sh starts
# (TLS, free ports, a temporary state directory), filled through the API by imp_bench
# (tools/bench: 1,000 institutions, 500 agreements, N activities imported with their audit trail):
#
#   tests/deploy/backup_restore_measure.sh BUILD_DIR SOURCE_DIR [ACTIVITIES]   (default 100000;
#                                         the issue's size: 1000000; not run yet: 100000 took 93 s
#                                         of import and 49 s of restore here, 1M is 10x that or more)
#
# Measures the backup (while the services serve), the dump's size, the restore under the running
# services, and how long after restore.sh began the gateway answers GetProgramSummary with the
# backup's figures again (RTO of the data path, the services never restarted). Writes the figures
# to BUILD_DIR/reports/backup-restore-<time>.md and prints the path. Not a ctest (too long).
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd) activities=${3:-100000}
free_port() { /usr/bin/python3 "$src/tests/support/free_port.py" "$@"; }
export IMP_STATE_DIR=$(mktemp -d /tmp/imp-rto.XXXXXX) IMP_BUILD_DIR=$build
ports=$(free_port 4); read -r IMP_DB_PORT IMP_GATEWAY_PORT IMP_REGISTRY_PORT IMP_ACTIVITY_PORT <<<"$ports"
export IMP_DB_PORT IMP_GATEWAY_PORT IMP_REGISTRY_PORT IMP_ACTIVITY_PORT
# Metrics ports off: up.sh's fixed defaults (9460-9462) may be taken on a shared machine.
export IMP_GATEWAY_METRICS_PORT=0 IMP_REGISTRY_METRICS_PORT=0 IMP_ACTIVITY_METRICS_PORT=0
cleanup() {
  "$src/deploy/local/down.sh" >/dev/null 2>&1 || true
  rm -rf "$IMP_STATE_DIR"
}
trap cleanup EXIT
state=$IMP_STATE_DIR tls=$IMP_STATE_DIR/tls
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

"$src/deploy/local/up.sh" >"$state/up.log" 2>&1 || { cat "$state/up.log"; exit 1; }
t=$(now)
"$build/tools/bench/imp_bench" --registry="127.0.0.1:$IMP_REGISTRY_PORT" \
  --activity="127.0.0.1:$IMP_ACTIVITY_PORT" --gateway="127.0.0.1:$IMP_GATEWAY_PORT" \
  --token="$(cat "$state/admin.token")" --ca_cert="$tls/ca.pem" \
  --client_cert="$tls/impctl-internal.pem" --client_key="$tls/impctl-internal.key" \
  --noop_cert="$tls/registry.pem" --noop_key="$tls/registry.key" \
  --activities="$activities" --scenarios=GetInstitution --seconds=0.2 --min_calls=3 \
  --max_seconds=5 --output="$state/bench.md" >"$state/bench.log" 2>&1 ||
  { tail -20 "$state/bench.log"; exit 1; }
fill_seconds=$(since "$t")

sql() { mariadb --no-defaults --socket="$state/mariadb/mysqld.sock" -u"$(id -un)" -N -e "$1"; }
rows() {
  sql "SELECT CONCAT(table_schema, '.', table_name, ' ', table_rows) FROM information_schema.tables
       WHERE table_schema IN ('imp_registry', 'imp_activity') AND table_rows > 1000
       ORDER BY table_rows DESC"
}
counted_activities=$(sql "SELECT COUNT(*) FROM imp_activity.activities")
db_bytes=$(sql "SELECT SUM(data_length + index_length) FROM information_schema.tables
                WHERE table_schema IN ('imp_registry', 'imp_activity')")
summary() {
  IMP_TARGET="127.0.0.1:$IMP_GATEWAY_PORT" IMP_TOKEN_FILE="$state/admin.token" \
    IMP_CA_CERT="$tls/ca.pem" "$build/tools/impctl/impctl" summary --json |
    /usr/bin/python3 -c 'import json, sys
s = json.load(sys.stdin)
s.pop("freshness", None)
print(json.dumps(s, sort_keys=True))'
}
at_backup=$(summary)

t=$(now)
"$src/deploy/backup.sh" >"$state/backup.log" 2>&1 || { cat "$state/backup.log"; exit 1; }
backup_seconds=$(since "$t")
dump=$(sed -n 's/^backup: \(\S*\.sql\) .*/\1/p' "$state/backup.log")
dump_bytes=$(stat -c %s "$dump")
gzip_bytes=$(gzip -1 -c "$dump" | wc -c)

# Something written after the backup, so the restore has something to undo.
IMP_TARGET="127.0.0.1:$IMP_GATEWAY_PORT" IMP_TOKEN_FILE="$state/admin.token" \
  IMP_CA_CERT="$tls/ca.pem" "$build/tools/impctl/impctl" delete activity \
  act-2023-10-fha-borodianka-assessment >/dev/null
[ "$(summary)" != "$at_backup" ] || { echo "the write after the backup changed no figure" >&2; exit 1; }

t=$(now)
"$src/deploy/restore.sh" "$dump" >"$state/restore.log" 2>&1 || { cat "$state/restore.log"; exit 1; }
restore_seconds=$(since "$t")
served_seconds=""
for _ in $(seq 1 600); do  # at most about 10 minutes
  if [ "$(summary 2>/dev/null)" = "$at_backup" ]; then served_seconds=$(since "$t"); break; fi
  sleep 0.5
done
[ -n "$served_seconds" ] || { echo "the gateway never served the backup's figures" >&2; exit 1; }

mkdir -p "$build/reports"
report="$build/reports/backup-restore-$(date -u +%Y%m%dT%H%M%SZ).md"
cat >"$report" <<MD
# Backup and restore: RPO/RTO figures

Command: \`tests/deploy/backup_restore_measure.sh BUILD SRC $activities\` at commit
$(git -C "$src" rev-parse --short HEAD) on $(nproc) cores ($(uname -m)), $(date -u +%Y-%m-%dT%H:%MZ).
Stack: deploy/local/up.sh (TLS, MariaDB 10.11, innodb_buffer_pool_size 256M), demo data plus
imp_bench's programme (1,000 institutions, 500 agreements) and $activities activities imported
through ImportActivities (with their audit trail) in $fill_seconds s.

| figure | value |
| --- | --- |
| activities in the database | $counted_activities |
| database size (data + indexes, both schemas) | $db_bytes bytes |
| deploy/backup.sh (one mariadb-dump --single-transaction, services serving) | $backup_seconds s |
| dump size | $dump_bytes bytes (gzip -1: $gzip_bytes bytes) |
| deploy/restore.sh (load under the running services, epoch rotated) | $restore_seconds s |
| restore.sh start until the gateway serves the backup's GetProgramSummary | $served_seconds s |

Largest tables (rows, InnoDB estimate):

\`\`\`
$(rows)
\`\`\`

RPO: the last backup (everything written after it is lost by a restore). RTO: the restore time
above, plus getting the dump and the files listed in its .outside.txt onto the machine.
MD
echo "$report"
