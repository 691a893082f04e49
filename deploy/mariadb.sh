#!/usr/bin/env bash
# A private MariaDB server for local runs and tests: data in a directory of ours, loopback only,
# never the system service.
#
#   deploy/mariadb.sh start DIR PORT   initialise DIR on first use, start the server, wait for it
#                                      (exit 98 when PORT is in use: the caller may pick another)
#   deploy/mariadb.sh stop DIR         stop the server whose data is in DIR (waits for exit)
#   deploy/mariadb.sh status DIR       exit 0 when it is running
#
# The administrator is root (or, when this runs as another OS user, that user): it authenticates
# with unix_socket only, i.e. only over the socket DIR/mysqld.sock and only as the same OS user.
# No root account exists for TCP connections. Services connect with their own users (see
# provision-db.sh), over TCP or the socket.
#
# `start` also hardens a data directory created by an older version of this script (root with an
# empty password, reachable over TCP as root@127.0.0.1 / root@::1): every run drops root accounts
# other than root@localhost and anonymous accounts, and makes root@localhost unix_socket only.
set -euo pipefail

cmd=${1:?usage: mariadb.sh start|stop|status DIR [PORT]}
dir=$(realpath -m "${2:?data directory required}")
sock="$dir/mysqld.sock"
pidfile="$dir/mysqld.pid"

find_bin() { command -v "$1" 2>/dev/null || ls "/usr/sbin/$1" 2>/dev/null || true; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

admin=$(id -un)
# Runs SQL as the administrator over the socket. A data directory from before the hardening has
# only root with an empty password: when the OS user is not root, that is the way in (once).
admin_sql() {
  local user=$admin
  if ! mariadb --no-defaults --socket="$sock" -u"$user" -e 'SELECT 1' >/dev/null 2>&1; then user=root; fi
  mariadb --no-defaults --socket="$sock" -u"$user" "$@"
}

harden() {
  # 1. The OS user (when not root) keeps a way in that needs no password: unix_socket.
  if [ "$admin" != root ]; then
    admin_sql <<SQL
CREATE USER IF NOT EXISTS '$admin'@'localhost' IDENTIFIED VIA unix_socket;
GRANT ALL PRIVILEGES ON *.* TO '$admin'@'localhost' WITH GRANT OPTION;
SQL
  fi
  # 2. No root over TCP, no anonymous accounts (DROP USER takes names, not a query: list them).
  local drops
  drops=$(admin_sql -N -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
    FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
  # 3. root@localhost: unix_socket only (no password alternative).
  admin_sql <<SQL
$drops
ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED VIA unix_socket;
SQL
}

case "$cmd" in
  start)
    port=${3:?port required}
    if running; then harden; exit 0; fi
    mkdir -p "$dir"
    mkdir -p "$dir/tmp"  # a tmpdir of its own: concurrent servers never share temporary files
    if [ ! -d "$dir/data/mysql" ]; then
      # The bootstrap has been seen to crash (signal 11 in Aria) when another one runs at the same
      # time; a clean second attempt succeeds.
      for attempt in 1 2; do
        if "$(find_bin mariadb-install-db)" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
          --auth-root-authentication-method=socket --skip-test-db --tmpdir="$dir/tmp" \
          >"$dir/install.log" 2>&1; then
          break
        fi
        if [ "$attempt" = 2 ]; then cat "$dir/install.log" >&2; exit 1; fi
        rm -rf "$dir/data"
        sleep 1
      done
    fi
    "$(find_bin mariadbd)" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --port="$port" --bind-address=127.0.0.1 --socket="$sock" --pid-file="$pidfile" \
      --log-error="$dir/error.log" --tmpdir="$dir/tmp" --character-set-server=utf8mb4 \
      --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=256M \
      --innodb-flush-log-at-trx-commit=1 --max-connections=500 --skip-name-resolve \
      </dev/null >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 300); do
      if [ -S "$sock" ] && admin_sql -e 'SELECT 1' >/dev/null 2>&1; then
        harden
        exit 0
      fi
      kill -0 "$server" 2>/dev/null || break  # it gave up: no use waiting
      sleep 0.1
    done
    echo "mariadb did not start; see $dir/error.log:" >&2
    tail -20 "$dir/error.log" >&2 || true
    # The port was taken after the caller picked it: exit 98 (EADDRINUSE) so it can pick another.
    if ! kill -0 "$server" 2>/dev/null && tail -5 "$dir/error.log" | grep -q 'Address already in use'; then
      exit 98
    fi
    exit 1
    ;;
  stop)
    if ! running; then exit 0; fi
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  status)
    running
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
