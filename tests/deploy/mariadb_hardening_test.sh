#!/usr/bin/env bash
# deploy/mariadb.sh never leaves root reachable over TCP: a fresh data directory gets root through
# unix_socket only, and a data directory created by the old bootstrap (root with an empty password
# at localhost, 127.0.0.1, ::1 and the host name) is hardened on the next start, idempotently;
# provision-db.sh then takes the old ALL PRIVILEGES away from the service user.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
src=$2
work=$(mktemp -d /tmp/imp-hardening.XXXXXX)
cleanup() {
  for d in fresh legacy; do "$src/deploy/mariadb.sh" stop "$work/$d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { /usr/bin/python3 "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
find_bin() { command -v "$1" 2>/dev/null || ls "/usr/sbin/$1"; }
tcp_root() {  # port: exit 0 when root gets in over TCP; the server's answer in $work/tcp.out
  mariadb --no-defaults -h127.0.0.1 -P"$1" -uroot -N -e 'SELECT CURRENT_USER()' >"$work/tcp.out" 2>&1
}
socket_admin() { mariadb --no-defaults --socket="$work/$1/mysqld.sock" -u"$(id -un)" -N "${@:2}"; }
expect_hardened() {  # dir port
  tcp_root "$2" && fail "$1: root got in over TCP: $(cat "$work/tcp.out")"
  grep -qE '1130|1045|1698' "$work/tcp.out" || fail "$1: TCP refusal not from the server: $(cat "$work/tcp.out")"
  [ "$(socket_admin "$1" -e 'SELECT 1')" = 1 ] || fail "$1: the administrator lost the socket"
  local others
  others=$(socket_admin "$1" -e "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
  [ -z "$others" ] || fail "$1: accounts left: $others"
  [ "$(socket_admin "$1" -e "SELECT JSON_VALUE(Priv, '$.plugin') FROM mysql.global_priv WHERE User = 'root' AND Host = 'localhost'")" = unix_socket ] \
    || fail "$1: root@localhost is not unix_socket only"
}

# A fresh directory.
port=$(free_port)
"$src/deploy/mariadb.sh" start "$work/fresh" "$port"
expect_hardened fresh "$port"
"$src/deploy/mariadb.sh" stop "$work/fresh"

# A directory from the old bootstrap, with a service user provisioned the old way.
mkdir -p "$work/legacy/tmp"
"$(find_bin mariadb-install-db)" --no-defaults --datadir="$work/legacy/data" --user="$(id -un)" \
  --auth-root-authentication-method=normal --skip-test-db --tmpdir="$work/legacy/tmp" \
  >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "old bootstrap"; }
port=$(free_port)
"$(find_bin mariadbd)" --no-defaults --datadir="$work/legacy/data" --user="$(id -un)" --port="$port" \
  --bind-address=127.0.0.1 --socket="$work/legacy/mysqld.sock" --pid-file="$work/legacy/mysqld.pid" \
  --log-error="$work/legacy/error.log" --tmpdir="$work/legacy/tmp" --skip-name-resolve \
  </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 300); do tcp_root "$port" && break; sleep 0.1; done
tcp_root "$port" || fail "the old bootstrap should let root in over TCP (test premise): $(cat "$work/tcp.out")"
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e "CREATE USER ''@'localhost';
  CREATE DATABASE imp_registry; CREATE USER imp_registry@'127.0.0.1' IDENTIFIED BY 'old';
  GRANT ALL PRIVILEGES ON imp_registry.* TO imp_registry@'127.0.0.1'"
"$src/deploy/mariadb.sh" stop "$work/legacy"

"$src/deploy/mariadb.sh" start "$work/legacy" "$port"
expect_hardened legacy "$port"
"$src/deploy/mariadb.sh" start "$work/legacy" "$port"  # already running: harden again, no error
expect_hardened legacy "$port"
"$src/deploy/mariadb.sh" stop "$work/legacy"
"$src/deploy/mariadb.sh" start "$work/legacy" "$port"
expect_hardened legacy "$port"

"$src/deploy/provision-db.sh" "$work/legacy/mysqld.sock" imp_registry newpw newmpw
out=$(mariadb --no-defaults -h127.0.0.1 -P"$port" -uimp_registry -pnewpw imp_registry \
  -e 'CREATE TABLE t (id INT PRIMARY KEY)' 2>&1) && fail "the old service user can still CREATE"
echo "$out" | grep -q 1142 || fail "unexpected answer to CREATE: $out"
echo "mariadb hardening: all checks passed"
