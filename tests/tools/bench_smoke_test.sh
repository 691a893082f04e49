#!/usr/bin/env bash
# The benchmark tool works end to end on tiny data (tools/bench/run.sh --smoke, ~1 s per
# scenario): every scenario is measured against its service and the no-op baseline at both data
# sizes, the imports are compared with raw INSERTs, each service's memory is reported, and the
# targets are evaluated. It checks that the tool runs, not the figures.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/imp-bench-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

IMP_BUILD_DIR=$build IMP_BENCH_NO_BUILD=1 "$src/tools/bench/run.sh" --smoke \
  --output="$work/report.md" >"$work/stdout" 2>"$work/stderr" \
  || { cat "$work/stderr"; fail "run.sh --smoke"; }
report=$work/report.md
cmp -s "$report" "$work/stdout" || fail "the printed report differs from the file"
for scenario in GetInstitution ListInstitutions GetActivityStats/month \
  GetActivityStats/institution GetInstitutionOverview GetProgramSummary GetPartnershipMap \
  CreateActivity; do
  # At each size (300, 1200) and at two concurrencies, with answered calls and a no-op figure.
  rows=$(grep -cE "^\| $scenario \| (300|1200) \| [0-9]+ \| [1-9][0-9]* \|" "$report" || true)
  [ "$rows" = 4 ] || { cat "$report"; fail "$scenario: $rows rows with answered calls, want 4"; }
done
grep -qE '^\| 900 \| 2 \| 1200 \| .* \| [0-9]+ \| [0-9.]+x \|' "$report" \
  || { cat "$report"; fail "no import row with a raw INSERT ratio"; }
for service in registry activity gateway; do
  grep -qE "^\| $service \| [1-9]" "$report" || fail "no memory row for $service"
done
grep -q '^## Targets' "$report" || fail "no targets section"
grep -q 'ImportActivities of 900 rows >= 0.3x raw INSERT rate' "$report" || fail "no import target"
echo "bench smoke: ok"
