#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, starts a private MariaDB on a free port,
# runs ctest (unit tests, integration tests against real gRPC servers on loopback, buf lint, the
# cross-language client test), stops what it started, and exits non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${IMP_BUILD_DIR:-$ROOT/build}"

bash "$ROOT/deploy/install-deps.sh"

echo "tests: building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" --parallel "$(nproc)"
# The libFuzzer harnesses (clang, ASan + UBSan, their own build directory) are built here, not
# inside the fuzz_short test: on a fresh machine that build is most of the test's time, and a
# loaded machine ran it past the test's timeout.
# A run of a selection (`tests/run.sh -R x`) leaves the build to fuzz_short, if it selects it.
if [ $# -eq 0 ] || [[ "$*" == *fuzz* ]]; then
  echo "tests: building the fuzz harnesses"
  IMP_FUZZ_BUILD_ONLY=1 bash "$ROOT/tests/fuzz/run_short.sh"
fi

STATE=$(mktemp -d /tmp/imp-tests.XXXXXX)
# Below the kernel's ephemeral range (an outgoing connection cannot take it before MariaDB binds).
free_port() { /usr/bin/python3 "$ROOT/tests/support/free_port.py" "$@"; }
PORT=$(free_port)
cleanup() {
  "$ROOT/deploy/mariadb.sh" stop "$STATE/mariadb" || true
  rm -rf "$STATE"
}
trap cleanup EXIT
# mariadb.sh exits 98 when the port was taken after all: another port, a few times.
for attempt in 1 2 3 4 5; do
  echo "tests: starting MariaDB on 127.0.0.1:$PORT"
  status=0
  "$ROOT/deploy/mariadb.sh" start "$STATE/mariadb" "$PORT" || status=$?
  [ "$status" = 0 ] && break
  if [ "$status" != 98 ] || [ "$attempt" = 5 ]; then exit "$status"; fi
  PORT=$(free_port)
done

# Test fixtures create a fresh database and user per test on this server (root over the socket).
export IMP_TEST_DB_SOCKET="$STATE/mariadb/mysqld.sock"
export IMP_TEST_DB_PORT="$PORT"
export IMP_SOURCE_DIR="$ROOT"

cd "$BUILD"
ctest --output-on-failure --parallel "$(nproc)" --timeout 600 "$@"
