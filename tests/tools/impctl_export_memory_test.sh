#!/usr/bin/env bash
# The publishing exports stream: impctl's peak memory (max RSS) does not grow with the number of
# agreements, projects or activities exported. Two thousand large agreements (many long funder
# names: about 8 KB of XML each), a thousand projects and twenty thousand activities (long titles: about 600 bytes of CSV
# each) are exported whole and in a small slice; the whole export may use little more memory
# than the slice, and far less than the size of what it wrote.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/imp-export-mem.XXXXXX)
source "$src/tests/tools/export_suite.sh"
start_suite

$py "$src/tests/tools/gen_export_data.py" "$work/data" --seed=42 --institutions=200 \
  --agreements=2000 --activities=20000 --projects=1000 --funders=20 --funder_bytes=280 --title_bytes=400 --tag=slice
load "$work/data"
org=(--reporting_org_ref=UA-EDR-00012345 --reporting_org_name="Ministry of Health of Ukraine"
     --reporting_org_type=10)

# peak_kb FILE impctl-args...: impctl's max RSS in KiB (its own process: a fresh Python parent
# whose only child it is), the export written to FILE.
peak_kb() {
  local file=$1
  shift
  $py -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if r.returncode:
    sys.exit(r.stderr.decode())
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$impctl" "$@" --output="$file" \
    || fail "impctl $*"
}
# check NAME SLICE_KB WHOLE_KB WHOLE_FILE: the whole export's extra memory over the slice's is
# under 4 MiB and under a quarter of the bytes it wrote.
check() {
  local name=$1 slice=$2 whole=$3 bytes
  bytes=$(stat -c %s "$4")
  echo "$name: max RSS $slice KiB for the slice, $whole KiB for all of it ($bytes bytes written)"
  [ "$bytes" -gt $((10 * 1024 * 1024)) ] || fail "$name: the whole export is too small to tell ($bytes bytes)"
  [ $((whole - slice)) -lt 4096 ] && [ $(((whole - slice) * 1024 * 4)) -lt "$bytes" ] \
    || fail "$name: memory grows with the export: $slice KiB -> $whole KiB for $bytes bytes"
}

slice=$(peak_kb "$work/slice.xml" export iati "${org[@]}" --filter='"slice"' --project_filter='"slice"')
whole=$(peak_kb "$work/whole.xml" export iati "${org[@]}")
[ "$(grep -c "<iati-activity " "$work/slice.xml")" = 300 ] || fail "the IATI slice should hold 200 agreements and 100 projects"
[ "$(grep -c "<iati-activity " "$work/whole.xml")" = 3000 ] || fail "the IATI export should hold 2000 agreements and 1000 projects"
validate "$work/whole.xml"
check "export iati" "$slice" "$whole" "$work/whole.xml"

slice=$(peak_kb "$work/slice.csv" export hxl --to=2023-10-31)
whole=$(peak_kb "$work/whole.csv" export hxl)
[ "$(($(wc -l <"$work/whole.csv") - 2))" = 20000 ] || fail "the sheet should hold 20000 rows"
check "export hxl" "$slice" "$whole" "$work/whole.csv"
echo "impctl export memory: all checks passed"
