#!/usr/bin/env bash
# A private MariaDB server for local runs and tests: data in a directory of ours, loopback only,
# never the system service.
#
#   deploy/mariadb.sh start DIR PORT   initialise DIR on first use, start the server, wait for it
#   deploy/mariadb.sh stop DIR         stop the server whose data is in DIR (waits for exit)
#   deploy/mariadb.sh status DIR       exit 0 when it is running
#
# Clients connect as root over the socket DIR/mysqld.sock (root has no password and is reachable
# only through that socket, which lives in our own directory).
set -euo pipefail

cmd=${1:?usage: mariadb.sh start|stop|status DIR [PORT]}
dir=$(realpath -m "${2:?data directory required}")
sock="$dir/mysqld.sock"
pidfile="$dir/mysqld.pid"

find_bin() { command -v "$1" 2>/dev/null || ls "/usr/sbin/$1" 2>/dev/null || true; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "$cmd" in
  start)
    port=${3:?port required}
    if running; then exit 0; fi
    mkdir -p "$dir"
    mkdir -p "$dir/tmp"  # a tmpdir of its own: concurrent servers never share temporary files
    if [ ! -d "$dir/data/mysql" ]; then
      # The bootstrap has been seen to crash (signal 11 in Aria) when another one runs at the same
      # time; a clean second attempt succeeds.
      for attempt in 1 2; do
        if "$(find_bin mariadb-install-db)" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
          --auth-root-authentication-method=normal --skip-test-db --tmpdir="$dir/tmp" \
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
    for _ in $(seq 1 300); do
      if [ -S "$sock" ] && mariadb --no-defaults --socket="$sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
        exit 0
      fi
      sleep 0.1
    done
    echo "mariadb did not start; see $dir/error.log:" >&2
    tail -20 "$dir/error.log" >&2 || true
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
