#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) in their own build directory and runs each
# for a short, bounded time on its committed seed corpus (tests/fuzz/corpus/<harness>/). Exits
# non-zero on any crash, sanitizer report, leak, timeout or failed property. A ctest of the normal
# build (fuzz_short); longer runs: IMP_FUZZ_SECONDS=600 tests/fuzz/run_short.sh.
#
#   IMP_FUZZ_BUILD_DIR  build directory        (default: <repo>/build-fuzz)
#   IMP_FUZZ_SECONDS    seconds per harness    (default: 20)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${IMP_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_EACH="${IMP_FUZZ_SECONDS:-20}"
HARNESSES=(activity_filter_fuzz registry_filter_fuzz page_token_fuzz)

CXX_BIN=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$CXX_BIN" ]; then
  echo "fuzz: clang++ not found (deploy/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

echo "fuzz: building ${HARNESSES[*]} in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DIMP_FUZZ=ON >/dev/null
cmake --build "$BUILD" --target "${HARNESSES[@]}"

WORK=$(mktemp -d /tmp/imp-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
status=0
for h in "${HARNESSES[@]}"; do
  # New inputs go to a scratch directory: the committed corpus is read, never written.
  mkdir -p "$WORK/$h"
  dict=()
  if [ -f "$ROOT/tests/fuzz/$h.dict" ]; then dict=(-dict="$ROOT/tests/fuzz/$h.dict"); fi
  echo "fuzz: $h for ${SECONDS_EACH}s"
  if ! "$BUILD/tests/fuzz/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$WORK/$h-" "${dict[@]}" \
      "$WORK/$h" "$ROOT/tests/fuzz/corpus/$h" >"$WORK/$h.log" 2>&1; then
    echo "fuzz: $h FAILED; its log:" >&2
    tail -n 60 "$WORK/$h.log" >&2
    for crash in "$WORK/$h"-*; do
      [ -e "$crash" ] || continue
      echo "fuzz: reproducer $(basename "$crash") (base64): $(base64 -w0 "$crash" | head -c 4000)" >&2
    done
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$WORK/$h.log" | sed "s/^/fuzz: $h /"
  fi
done
exit $status
