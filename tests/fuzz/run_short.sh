#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) in their own build directory, replays every
# committed seed (tests/fuzz/corpus/<harness>/, each at its full length: the bad-input cases are
# regression tests), then fuzzes each harness for a short, bounded time from its seeds. Exits
# non-zero on any crash, sanitizer report, leak, timeout or failed property. A ctest of the normal
# build (fuzz_short, about 2.5 minutes); longer runs: IMP_FUZZ_SECONDS=600 tests/fuzz/run_short.sh.
#
#   IMP_FUZZ_BUILD_DIR  build directory                  (default: <repo>/build-fuzz)
#   IMP_FUZZ_SECONDS    seconds per harness              (default: per harness, below)
#   IMP_FUZZ_ONLY       run only these harnesses (space-separated names)
#   IMP_FUZZ_BUILD_ONLY build the harnesses and stop (tests/run.sh builds them before ctest, so
#                       that a slow machine's build never counts against the test's timeout)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${IMP_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
# harness:seconds:max_len. The request harnesses get the most time (their inputs are whole
# requests); inputs longer than max_len are only replayed, not mutated.
SPECS=(activity_filter_fuzz:15:8192 registry_filter_fuzz:15:8192 page_token_fuzz:10:8192
       registry_request_fuzz:25:32768 activity_request_fuzz:25:32768 csv_fuzz:15:32768)
HARNESSES=()
for spec in "${SPECS[@]}"; do
  name=${spec%%:*}
  if [ -z "${IMP_FUZZ_ONLY:-}" ] || [[ " $IMP_FUZZ_ONLY " == *" $name "* ]]; then
    HARNESSES+=("$name")
  fi
done

CXX_BIN=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$CXX_BIN" ]; then
  echo "fuzz: clang++ not found (deploy/install-deps.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi

echo "fuzz: building ${HARNESSES[*]} in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DIMP_FUZZ=ON >/dev/null
cmake --build "$BUILD" --target "${HARNESSES[@]}"
[ -n "${IMP_FUZZ_BUILD_ONLY:-}" ] && exit 0

WORK=$(mktemp -d /tmp/imp-fuzz.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
status=0
for spec in "${SPECS[@]}"; do
  IFS=: read -r h seconds max_len <<<"$spec"
  [[ " ${HARNESSES[*]} " == *" $h "* ]] || continue
  seconds=${IMP_FUZZ_SECONDS:-$seconds}
  seeds=("$ROOT/tests/fuzz/corpus/$h"/*)
  # New inputs go to a scratch directory: the committed corpus is read, never written.
  mkdir -p "$WORK/$h"
  dict=()
  if [ -f "$ROOT/tests/fuzz/$h.dict" ]; then dict=(-dict="$ROOT/tests/fuzz/$h.dict"); fi
  echo "fuzz: $h: replaying ${#seeds[@]} seeds, then fuzzing for ${seconds}s"
  if ! "$BUILD/tests/fuzz/$h" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$WORK/$h-" \
      "${seeds[@]}" >"$WORK/$h.replay.log" 2>&1 ||
    ! "$BUILD/tests/fuzz/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$WORK/$h-" "${dict[@]}" \
      "$WORK/$h" "$ROOT/tests/fuzz/corpus/$h" >"$WORK/$h.log" 2>&1; then
    echo "fuzz: $h FAILED; its log:" >&2
    tail -n 60 "$WORK/$h.replay.log" "$WORK/$h.log" >&2 2>/dev/null
    for crash in "$WORK/$h"-*; do
      [ -e "$crash" ] || continue
      echo "fuzz: reproducer $(basename "$crash") (base64): $(base64 -w0 "$crash" | head -c 4000)" >&2
    done
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added|cov: .* ft: " "$WORK/$h.log" |
      tail -n 3 | sed "s/^/fuzz: $h /"
  fi
done
exit $status
