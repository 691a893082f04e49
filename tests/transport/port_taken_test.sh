#!/usr/bin/env bash
# A second server binary started on a port another server holds exits 1 saying
# `cannot listen on ...: the port is in use ...`, and the first keeps serving: a connection opened
# before the attempt still answers (an HTTP/2 PING on it), new ones reach it too. Real registry
# and gateway binaries on loopback, the registry on a fresh database of the test MariaDB.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
py=/usr/bin/python3
work=$(mktemp -d /tmp/imp-port-taken.XXXXXX)
pids=()
suffix=$(openssl rand -hex 4)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -e "DROP DATABASE IF EXISTS reg_$suffix; DROP USER IF EXISTS 'reg_$suffix'@'localhost', 'reg_$suffix'@'127.0.0.1', 'reg_${suffix}_migrate'@'localhost', 'reg_${suffix}_migrate'@'127.0.0.1'" || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { $py "$src/tests/support/free_port.py" "$@"; }

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "reg_$suffix" pw1 mpw1
read -r RP GP <<<"$(free_port 2)"
echo "$(printf %s "token-$suffix" | sha256sum | cut -d' ' -f1) admin port-admin" >"$work/tokens.txt"
registry() {  # registry PORT: becomes a registry binary (exec: $! of "registry P &" is its pid)
  IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=mpw1 exec "$build/registry-service/registry_service" --port="$1" \
    --db_socket="$IMP_TEST_DB_SOCKET" --db_user="reg_$suffix" --db_migration_user="reg_${suffix}_migrate" \
    --db_name="reg_$suffix"
}
gateway() {  # gateway PORT
  exec "$build/gateway/gateway" --port="$1" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
    --activity_target=127.0.0.1:1
}
registry "$RP" 2>"$work/registry.log" & pids+=($!)
gateway "$GP" 2>"$work/gateway.log" & pids+=($!)
# serves NAME PORT: the server answers a new connection (the gateway a whoami: its health follows
# the activity backend, which this test does not run).
serves() {
  if [ "$1" = registry ]; then "$impctl" health --target="127.0.0.1:$2" --wait_seconds=30 >/dev/null 2>&1
  else IMP_TOKEN="token-$suffix" "$impctl" whoami --target="127.0.0.1:$2" 2>&1 | grep -q port-admin; fi
}
serves registry "$RP" || fail "registry not serving: $(tail -5 "$work/registry.log")"
deadline=$((SECONDS + 30))
until serves gateway "$GP"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "gateway not answering: $(tail -5 "$work/gateway.log")"
  kill -0 "${pids[1]}" 2>/dev/null || fail "gateway exited: $(tail -5 "$work/gateway.log")"
done

# A plaintext HTTP/2 connection to each first server, held open across the second start: it
# prints "open" once the server's SETTINGS arrived, then on a line from stdin sends a PING and
# prints "pong" when that PING is acknowledged on the same connection ("closed" otherwise).
cat >"$work/held.py" <<'PY'
import socket, struct, sys
def frame(kind, flags, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", 0) + payload
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
buf = b""
def read_frame():
    global buf
    while len(buf) < 9 or len(buf) < 9 + int.from_bytes(buf[:3], "big"):
        chunk = s.recv(65536)
        if not chunk:
            print("closed", flush=True)
            sys.exit(1)
        buf += chunk
    n = int.from_bytes(buf[:3], "big")
    kind, flags, payload, buf = buf[3], buf[4], buf[9:9 + n], buf[9 + n:]
    return kind, flags, payload
s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, b""))
while True:
    kind, flags, _ = read_frame()
    if kind == 4 and not flags & 1:
        s.sendall(frame(4, 1, b""))  # acknowledge the server's SETTINGS
        break
print("open", flush=True)
sys.stdin.readline()
s.sendall(frame(6, 0, b"heldconn"))
while True:
    kind, flags, payload = read_frame()
    if kind == 6 and flags & 1 and payload == b"heldconn":
        print("pong", flush=True)
        sys.exit(0)
PY

second_start() {  # second_start NAME PORT: the second server on PORT must exit 1 naming the port
  local name=$1 port=$2 rc=0 held
  coproc HELD { $py "$work/held.py" "$port"; }
  held=$HELD_PID
  local line=""
  read -r -t 20 line <&"${HELD[0]}" || true
  [ "$line" = open ] || fail "$name: no HTTP/2 connection to the first server ($line)"
  # A server that did start would never exit by itself: past the deadline it is stopped (rc 124).
  "$name" "$port" 2>"$work/second-$name.log" >/dev/null &
  local second=$! deadline=$((SECONDS + 20))
  while kill -0 "$second" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  if kill -0 "$second" 2>/dev/null; then kill "$second"; wait "$second" 2>/dev/null || true; rc=124
  else wait "$second" || rc=$?; fi
  [ "$rc" = 1 ] || fail "second $name on taken port $port exited $rc, expected 1: $(tail -5 "$work/second-$name.log")"
  grep -q "cannot listen on [0-9.]*:$port" "$work/second-$name.log" \
    || fail "second $name: no 'cannot listen on ...:$port': $(tail -5 "$work/second-$name.log")"
  grep -q "in use" "$work/second-$name.log" || fail "second $name: no 'in use': $(tail -5 "$work/second-$name.log")"
  echo ping >&"${HELD[1]}"
  read -r -t 20 line <&"${HELD[0]}" || true
  wait "$held" 2>/dev/null || true
  [ "$line" = pong ] || fail "$name: the connection opened before the second start no longer answers ($line)"
  serves "$name" "$port" || fail "$name: the first server no longer serves new connections"
  echo "second $name on taken port $port: exit 1, $(grep -o 'cannot listen on [^"]*' "$work/second-$name.log" | head -1)"
}
second_start registry "$RP"
second_start gateway "$GP"
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a first server (pid $p) is gone"; done
echo "port taken: all checks passed"
