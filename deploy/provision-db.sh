#!/usr/bin/env bash
# provision-db.sh SOCKET NAME PASSWORD
# Creates database NAME and user NAME (same name) with PASSWORD, owning only that database.
# Idempotent: re-running resets the password and grants.
set -euo pipefail
sock=$1 name=$2 password=$3
[[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "bad database name $name" >&2; exit 2; }
[[ "$password" =~ ^[A-Za-z0-9]+$ ]] || { echo "password must be alphanumeric" >&2; exit 2; }
mariadb --no-defaults --socket="$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$name'@'localhost' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$name'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$name'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$name'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$name\`.* TO '$name'@'localhost';
GRANT ALL PRIVILEGES ON \`$name\`.* TO '$name'@'127.0.0.1';
SQL
