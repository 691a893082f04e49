#!/usr/bin/env bash
# provision-db.sh SOCKET NAME PASSWORD MIGRATION_PASSWORD
#
# Creates database NAME and the two users of the service that owns it, each at 'localhost'
# (socket) and '127.0.0.1' (TCP):
#   NAME          the runtime user:   SELECT, INSERT, UPDATE, DELETE on NAME.*          (PASSWORD)
#   NAME_migrate  the migration user: the same plus CREATE, ALTER, INDEX, DROP, REFERENCES
#                                     on NAME.*                                   (MIGRATION_PASSWORD)
# and nothing else: no global privilege, nothing on another schema, no GRANT OPTION, no role.
# Idempotent: re-running resets both passwords, grants what is missing and revokes anything
# extra (e.g. the ALL PRIVILEGES older versions of this script granted). Extras are revoked one by
# one after the grant, so a running service never loses a privilege it needs, not even briefly.
# Connects as the administrator over SOCKET (unix_socket authentication, see mariadb.sh).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: provision-db.sh SOCKET NAME PASSWORD MIGRATION_PASSWORD" >&2; exit 2; }
sock=$1 name=$2 password=$3 migration_password=$4
[[ "$name" =~ ^[a-z_][a-z0-9_]{0,55}$ ]] || { echo "bad database name $name" >&2; exit 2; }
for p in "$password" "$migration_password"; do
  [[ "$p" =~ ^[A-Za-z0-9]+$ ]] || { echo "passwords must be alphanumeric" >&2; exit 2; }
done
admin() { mariadb --no-defaults --socket="$sock" -u"$(id -un)" "$@"; }

# In a database-level grant '_' is a wildcard (imp_registry would also match impXregistry):
# grants name the schema with it escaped.
pattern=${name//_/\\_}
runtime_privileges="SELECT,INSERT,UPDATE,DELETE"
migration_privileges="$runtime_privileges,CREATE,ALTER,INDEX,DROP,REFERENCES"

admin -e "CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

provision_user() {  # user password privileges
  local user=$1 pw=$2 privileges=$3 host grantee revokes
  for host in localhost 127.0.0.1; do
    grantee="'$user'@'$host'"
    admin <<SQL
CREATE USER IF NOT EXISTS $grantee IDENTIFIED BY '$pw';
ALTER USER $grantee IDENTIFIED BY '$pw';
GRANT ${privileges//,/, } ON \`$pattern\`.* TO $grantee;
SQL
    # Everything the account holds beyond that, as one REVOKE per privilege (global, schema,
    # table, column and routine privileges, GRANT OPTION, roles, proxies).
    revokes=$(admin -N --raw <<SQL
SET @g = "$grantee", @u = '$user', @h = '$host', @schema = '$pattern', @wanted = '$privileges';
SELECT CONCAT('REVOKE ', PRIVILEGE_TYPE, ' ON *.* FROM ', @g, ';')
  FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = @g AND PRIVILEGE_TYPE <> 'USAGE'
UNION ALL SELECT DISTINCT CONCAT('REVOKE GRANT OPTION ON *.* FROM ', @g, ';')
  FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = @g AND IS_GRANTABLE = 'YES'
UNION ALL SELECT CONCAT('REVOKE ', PRIVILEGE_TYPE, ' ON \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'),
    '\`.* FROM ', @g, ';')
  FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = @g
    AND NOT (TABLE_SCHEMA = @schema AND FIND_IN_SET(PRIVILEGE_TYPE, @wanted))
UNION ALL SELECT DISTINCT CONCAT('REVOKE GRANT OPTION ON \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'),
    '\`.* FROM ', @g, ';')
  FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = @g AND IS_GRANTABLE = 'YES'
UNION ALL SELECT CONCAT('REVOKE ', PRIVILEGE_TYPE, ' ON \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'),
    '\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\` FROM ', @g, ';')
  FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = @g
UNION ALL SELECT DISTINCT CONCAT('REVOKE GRANT OPTION ON \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'),
    '\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\` FROM ', @g, ';')
  FROM information_schema.TABLE_PRIVILEGES WHERE GRANTEE = @g AND IS_GRANTABLE = 'YES'
UNION ALL SELECT CONCAT('REVOKE ', PRIVILEGE_TYPE, ' (\`', REPLACE(COLUMN_NAME, '\`', '\`\`'),
    '\`) ON \`', REPLACE(TABLE_SCHEMA, '\`', '\`\`'), '\`.\`', REPLACE(TABLE_NAME, '\`', '\`\`'),
    '\` FROM ', @g, ';')
  FROM information_schema.COLUMN_PRIVILEGES WHERE GRANTEE = @g
UNION ALL SELECT CONCAT('REVOKE ', REPLACE(REPLACE(Proc_priv, 'Grant', 'GRANT OPTION'), ',', ', '),
    ' ON ', Routine_type, ' \`', REPLACE(Db, '\`', '\`\`'), '\`.\`',
    REPLACE(Routine_name, '\`', '\`\`'), '\` FROM ', @g, ';')
  FROM mysql.procs_priv WHERE User = @u AND Host = @h AND Proc_priv <> ''
UNION ALL SELECT CONCAT('REVOKE \`', REPLACE(Role, '\`', '\`\`'), '\` FROM ', @g, ';')
  FROM mysql.roles_mapping WHERE User = @u AND Host = @h
UNION ALL SELECT CONCAT('REVOKE PROXY ON ', QUOTE(Proxied_user), '@', QUOTE(Proxied_host),
    ' FROM ', @g, ';')
  FROM mysql.proxies_priv WHERE User = @u AND Host = @h;
SQL
)
    admin <<SQL
$revokes
SET DEFAULT ROLE NONE FOR $grantee;
SQL
  done
}

provision_user "$name" "$password" "$runtime_privileges"
provision_user "${name}_migrate" "$migration_password" "$migration_privileges"
