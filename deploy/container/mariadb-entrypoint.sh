#!/usr/bin/env bash
# The imp-mariadb image's entrypoint (Dockerfile, target mariadb): one MariaDB server, or one
# member of a Galera cluster, with the service schemas and users provisioned by
# deploy/provision-db.sh.
#
# Environment:
#   IMP_DB_SECRETS_DIR  directory of password files (default /run/secrets/imp-db), each one line:
#                       <schema>-password and <schema>-migration-password for every schema in
#                       IMP_DB_SCHEMAS (default "imp_registry imp_activity").
#   IMP_GALERA_PEERS    empty: a single server. Else the cluster's members, comma-separated
#                       host names (a StatefulSet's pods: galera-0.galera,galera-1.galera,...);
#                       this member is the one whose name starts with $(hostname).
#   IMP_GALERA_CLUSTER  wsrep cluster name (default imp).
# Root exists only over the local socket (unix_socket): no root account for TCP. A new cluster is
# bootstrapped by the first member (ordinal 0) when it has no data yet; any other member, or a
# member with data, joins the others (IST, or SST by mariabackup). Provisioning runs on the
# single server or on member 0 only (Galera replicates users and schemas).
set -euo pipefail

DATADIR=/var/lib/mysql
SOCKET=/run/mysqld/mysqld.sock
SECRETS=${IMP_DB_SECRETS_DIR:-/run/secrets/imp-db}
SCHEMAS=${IMP_DB_SCHEMAS:-imp_registry imp_activity}
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$DATADIR"

if [ ! -d "$DATADIR/mysql" ]; then
  mariadb-install-db --no-defaults --user=mysql --datadir="$DATADIR" \
    --auth-root-authentication-method=socket >/dev/null
fi

args=(--no-defaults --user=mysql --datadir="$DATADIR" --socket="$SOCKET" --port=3306
  --bind-address=0.0.0.0 --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci
  --skip-name-resolve --max-connections=500)
bootstrap=0
if [ -n "${IMP_GALERA_PEERS:-}" ]; then
  me=$(hostname)
  ordinal=${me##*-}
  if [ "$ordinal" = 0 ] && [ ! -f "$DATADIR/grastate.dat" ]; then bootstrap=1; fi
  address="gcomm://${IMP_GALERA_PEERS}"
  [ "$bootstrap" = 1 ] && address="gcomm://"
  args+=(--binlog-format=ROW --innodb-autoinc-lock-mode=2 --wsrep-on=ON
    --wsrep-provider=/usr/lib/galera/libgalera_smm.so
    --wsrep-cluster-name="${IMP_GALERA_CLUSTER:-imp}" --wsrep-cluster-address="$address"
    --wsrep-node-name="$me" --wsrep-sst-method=mariabackup --wsrep-sst-auth=root:)
fi

provision() {
  for _ in $(seq 1 120); do
    mariadb --no-defaults --socket="$SOCKET" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
    sleep 1
  done
  for schema in $SCHEMAS; do
    # The image's admin is root over the socket; provision-db.sh connects as the current user.
    provision-db.sh "$SOCKET" "$schema" "$(cat "$SECRETS/$schema-password")" \
      "$(cat "$SECRETS/$schema-migration-password")"
  done
  echo "mariadb-entrypoint: provisioned $SCHEMAS"
}
if [ -z "${IMP_GALERA_PEERS:-}" ] || [ "${ordinal:-}" = 0 ]; then provision & fi
exec mariadbd "${args[@]}"
