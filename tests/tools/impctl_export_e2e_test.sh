#!/usr/bin/env bash
# impctl export iati / export hxl end to end: real registry, activity and gateway binaries on
# loopback, the demo data and then a random data set (fixed seed) loaded through impctl; the IATI
# document validated with xmllint against the official 2.03 schema, the HXL sheet's columns summed
# in Python and compared with GetProgramSummary for the same scope.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/imp-export.XXXXXX)
source "$src/tests/tools/export_suite.sh"
start_suite

org=(--reporting_org_ref=UA-EDR-00012345 --reporting_org_name="Ministry of Health of Ukraine"
     --reporting_org_type=10)
# run EXPECTED_RC impctl-args...: stderr to $work/err.
run() {
  local want=$1 rc=0
  shift
  "$impctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "impctl $* exited $rc, expected $want: $(head -c 2000 "$work/err")"
}

# hxl_matches_summary SHEET SUMMARY_JSON: every count column of the sheet, summed, equals the
# summary's figure (and the sheet has the HXL hashtag row under its header).
cat >"$work/sums.py" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
summary = json.load(open(sys.argv[2]))
assert not summary["missing_sources"], summary
tags = rows[1]
assert all(t.startswith("#") for t in tags), tags
for tag, key in {"#reached+trainees": "trainees", "#reached+trainees+doctors": "trainee_doctors",
                 "#reached+patients": "patients_helped", "#indicator+num+operations": "operations",
                 "#indicator+num+visits": "visits",
                 "#indicator+num+consultations": "consultations"}.items():
    i = tags.index(tag)
    total = sum(int(r[i]) for r in rows[2:])
    if total != int(summary[key]):
        sys.exit(f"{tag} sums to {total}, the summary's {key} is {summary[key]}")
print(len(rows) - 2)
PY
hxl_matches_summary() {
  local sheet=$1
  shift
  "$impctl" summary --json "$@" >"$work/summary.json" || fail "summary $*"
  $py "$work/sums.py" "$sheet" "$work/summary.json" || fail "HXL sums for $* differ from the summary"
}

# --- The demo data ----------------------------------------------------------------------------
load "$src/deploy/demo"
run 0 export iati "${org[@]}" --output="$work/demo.xml"
grep -q "exported 13 IATI activities (11 agreements, 2 projects)" "$work/err" || fail "$(cat "$work/err")"
validate "$work/demo.xml"
$py - "$work/demo.xml" <<'PY' || fail "demo IATI content"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
acts = {a.findtext("iati-identifier"): a for a in root.findall("iati-activity")}
assert len(acts) == 13, len(acts)
for ident, a in acts.items():
    assert ident.startswith(a.find("reporting-org").get("ref") + "-"), ident
nci = acts["UA-EDR-00012345-gustave-roussy-nci-2025"]
assert [(s.get("vocabulary"), s.get("code"), s.get("percentage")) for s in nci.findall("sector")] \
    == [("1", "12350", "100"), ("99", "oncology", "100")]
assert nci.find("activity-status").get("code") == "2"
assert [o.get("role") for o in nci.findall("participating-org")] == ["4", "4"]
assert [l.get("ref") for l in nci.findall("location")] == ["UA-30"]
proposal = acts["UA-EDR-00012345-volyn-rch-uh-sussex-2023"]
assert proposal.find("activity-status").get("code") == "1"
assert proposal.find("activity-date").get("type") == "1"
# The demo's personal-data rule holds in the publication too: no free-text notes.
assert "ILLUSTRATIVE" not in open(sys.argv[1], encoding="utf-8").read()
# The two demo projects (deploy/demo/projects), after the agreements.
idents = [a.findtext("iati-identifier") for a in root.findall("iati-activity")]
assert sorted(idents[-2:]) == ["UA-EDR-00012345-P-mammography-machines",
                               "UA-EDR-00012345-P-modular-care-centres"], idents[-2:]
modular = acts["UA-EDR-00012345-P-modular-care-centres"]
assert modular.find("activity-status").get("code") == "1"
assert [n.text for n in modular.findall("title/narrative")][1].startswith("Будівництво")
assert [l.get("ref") for l in modular.findall("location")] == ["borodianka-crh", "UA-32"]
assert modular.find("budget") is None  # no period, no planned dates: not a budget element
assert "35000000 EUR" in modular.find("description[@type='4']/narrative").text
assert [(o.get("ref"), o.get("role")) for o in modular.findall("participating-org")] \
    == [("UA-EDR-00012345", "2")]
assert "Source: MoH news" not in open(sys.argv[1], encoding="utf-8").read()
mammo = acts["UA-EDR-00012345-P-mammography-machines"]
assert mammo.find("activity-status").get("code") == "2"
assert [s.get("code") for s in mammo.findall("sector[@vocabulary='1']")] == ["12350", "12191"]
ind = mammo.find("result/indicator")
assert ind.findtext("title/narrative") == "Latest-generation mammography machine"
assert ind.findtext("description/narrative") == "Unit: machine. Planned: 30; delivered: 0."
PY
# The results of every agreement add up to the activities that name an agreement.
run 0 export hxl --output="$work/demo.csv"
$py - "$work/demo.xml" "$work/demo.csv" <<'PY' || fail "IATI results vs the HXL sheet"
import csv, sys, xml.etree.ElementTree as ET
results = {}
agreements = [a for a in ET.parse(sys.argv[1]).getroot().findall("iati-activity")
              if "-P-" not in a.findtext("iati-identifier")]  # projects' results are deliverables
for ind in (i for a in agreements for i in a.iter("indicator")):
    title = ind.find("title/narrative").text
    results[title] = results.get(title, 0) + sum(int(p.find("actual").get("value")) for p in ind.iter("period"))
rows = list(csv.reader(open(sys.argv[2], encoding="utf-8")))
tags = rows[1]
col = lambda t: sum(int(r[tags.index(t)]) for r in rows[2:] if r[tags.index("#x_agreement+code")])
want = {"Health workers trained (trainings and events)": col("#reached+trainees"),
        "Joint operations performed": col("#indicator+num+operations"),
        "Patients helped (joint operations and telemedicine)": col("#reached+patients"),
        "International visits and missions": col("#indicator+num+visits"),
        "Telemedical consultations": col("#indicator+num+consultations")}
want = {k: v for k, v in want.items() if v}
assert results == want, (results, want)
PY
[ "$(hxl_matches_summary "$work/demo.csv")" = 91 ] || fail "the demo sheet should have 91 rows"
run 0 export hxl --from=2024-01-01 --to=2024-12-31 --output="$work/demo-2024.csv"
hxl_matches_summary "$work/demo-2024.csv" --from=2024-01-01 --to=2024-12-31 >/dev/null
run 0 export hxl --oblast=UA-46 --output="$work/demo-lviv.csv"
hxl_matches_summary "$work/demo-lviv.csv" --oblast=UA-46 >/dev/null
run 0 export hxl --area=reconstructive-plastic-surgery --output="$work/demo-area.csv"
hxl_matches_summary "$work/demo-area.csv" --area=reconstructive-plastic-surgery >/dev/null
# Publishing is reading: a viewer's token does.
IMP_TOKEN=$viewer run 0 export iati "${org[@]}" --output="$work/viewer.xml"
cmp -s <(grep -v generated-datetime "$work/demo.xml") <(grep -v generated-datetime "$work/viewer.xml") \
  || fail "the viewer's export differs from the admin's"
IMP_TOKEN=$viewer run 0 export hxl
IMP_TOKEN=wrong run 7 export hxl
run 0 export hxl   # to standard output
head -2 "$work/out" | tail -1 | grep -q "^#activity+code," || fail "stdout sheet: $(head -2 "$work/out")"

# --- Usage errors and failures leave no file ------------------------------------------------
run 2 export iati --reporting_org_name=X --reporting_org_type=10
grep -q -- "--reporting_org_ref" "$work/err" || fail "$(cat "$work/err")"
run 2 export iati --reporting_org_ref='UA EDR 1' --reporting_org_name=X --reporting_org_type=10
run 2 export iati --reporting_org_ref=UA-EDR-1 --reporting_org_name=X --reporting_org_type=12
run 2 export iati --reporting_org_ref=UA-EDR-1 --reporting_org_type=10
run 2 export hxl --country='FR" OR x'
run 2 export hxl --from=2024-02-30
run 4 export hxl --country=XX --output="$work/none.csv"
grep -q "country" "$work/err" || fail "$(cat "$work/err")"
run 5 export iati "${org[@]}" --filter='state = "EXPIRED"' --projects=false --output="$work/none.xml"
run 5 export iati "${org[@]}" --filter='state = "EXPIRED"' --project_filter='status = CLOSED' \
  --output="$work/none.xml"
# Projects only: no agreement selected, one project.
run 0 export iati "${org[@]}" --filter='state = "EXPIRED"' --project_filter='status = IMPLEMENTATION' \
  --output="$work/mammo.xml"
grep -q "exported 1 IATI activities (0 agreements, 1 projects)" "$work/err" || fail "$(cat "$work/err")"
validate "$work/mammo.xml"
[ ! -e "$work/none.xml" ] && [ ! -e "$work/none.xml.partial" ] && [ ! -e "$work/none.csv" ] \
  || fail "a failed export left a file"

# --- A random data set (fixed seed): every state, area, form, odd characters ------------------
$py "$src/tests/tools/gen_export_data.py" "$work/random" --seed=20231009 --institutions=120 \
  --agreements=400 --activities=3000 --projects=150
load "$work/random"
run 0 export iati "${org[@]}" --output="$work/all.xml" --page_size=37
grep -q "exported 563 IATI activities (411 agreements, 152 projects)" "$work/err" || fail "$(cat "$work/err")"
validate "$work/all.xml"
$py - "$work/all.xml" <<'PY' || fail "random IATI content"
import collections, sys, xml.etree.ElementTree as ET
acts = ET.parse(sys.argv[1]).getroot().findall("iati-activity")
assert len({a.findtext("iati-identifier") for a in acts}) == 563
statuses = collections.Counter(a.find("activity-status").get("code") for a in acts)
assert set(statuses) == {"1", "2", "3", "4", "5", "6"}, statuses
projects = [a for a in acts if "-P-" in a.findtext("iati-identifier")]
assert len(projects) == 152
assert sum(1 for p in projects if p.find("budget") is not None) > 50
assert {t.get("code") for p in projects for t in p.iter("transaction-type")} == {"2", "3", "4"}
assert sum(1 for p in projects if p.find("related-activity") is not None) > 50
assert sum(1 for p in projects for _ in p.iter("target")) > 20
assert sum(1 for p in projects if p.find("default-currency") is None and p.get("default-currency") is None) > 10
for a in acts:
    for vocabulary in ("1", "99"):
        shares = [float(s.get("percentage")) for s in a.findall("sector") if s.get("vocabulary") == vocabulary]
        assert not shares or abs(sum(shares) - 100) < 1e-9, (a.findtext("iati-identifier"), shares)
assert sum(1 for a in acts if a.find("result") is not None) > 100
PY
run 0 export hxl --output="$work/all.csv" --page_size=999
[ "$(hxl_matches_summary "$work/all.csv")" = 3091 ] || fail "the sheet should have 3091 rows"
run 0 export hxl --from=2025-01-01 --to=2025-06-30 --country=UA --output="$work/part.csv"
hxl_matches_summary "$work/part.csv" --from=2025-01-01 --to=2025-06-30 --country=UA >/dev/null

# --- Projects as CSV: export -> import into an empty suite -> export gives the same bytes ------
for kind in institutions agreements projects; do
  run 0 export "$kind" --output="$work/rt-$kind.csv" --page_size=40
done
[ "$(($(grep -c '^prj-\|^modular\|^mammography' "$work/rt-projects.csv")))" -ge 152 ] \
  || fail "projects export: $(head -c 500 "$work/rt-projects.csv")"
start_suite 2
for kind in institutions agreements; do
  run 0 import "$kind" "$work/rt-$kind.csv"
done
# The projects import is interrupted partway and run again. impctl creates one project per row,
# one call each, with request id "<file's hash>-<line>". It starts stopped and runs in 10 ms
# slices until the registry has stored at least 20 projects, then is killed (SIGKILL: no
# goodbye, a call may be in flight). The same command again replays the rows done (their first
# answers: imported, not "already there") and creates the rest: each project exactly once.
projects_stored() {  # "COUNT DISTINCT-IDS" of suite 2's registry, committed rows
  mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -N \
    -e "SELECT COUNT(*), COUNT(DISTINCT id) FROM reg_${suffix}2.projects" | tr '\t' ' '
}
(kill -STOP "$BASHPID"; exec "$impctl" import projects "$work/rt-projects.csv" \
   >"$work/cut.out" 2>"$work/cut.err") &
cut_pid=$!
stored=0
for _ in $(seq 1 3000); do
  kill -CONT "$cut_pid"
  sleep 0.01
  kill -STOP "$cut_pid"
  read -r stored _ <<<"$(projects_stored)"
  [ "$stored" -ge 20 ] && break
done
kill -KILL "$cut_pid"
cut_rc=0
wait "$cut_pid" || cut_rc=$?
[ "$cut_rc" = 137 ] || fail "the import was not interrupted (exit $cut_rc): $(cat "$work/cut.out" "$work/cut.err")"
[ "$stored" -ge 20 ] && [ "$stored" -lt 152 ] || fail "interrupted after $stored of 152 projects"
echo "projects import interrupted after $stored of 152 projects were stored"
run 0 import projects "$work/rt-projects.csv"
grep -q "imported 152 of 152 rows (0 failed)$" "$work/out" \
  || fail "the re-run after the interruption: $(cat "$work/out")"
[ "$(projects_stored)" = "152 152" ] || fail "projects after the re-run: $(projects_stored)"
run 0 export projects --output="$work/rt-projects-2.csv"
cmp "$work/rt-projects.csv" "$work/rt-projects-2.csv" || fail "projects CSV round trip differs"
# Same bytes could hide a field both exports drop: the projects themselves are equal too.
run 0 list projects --json --page_size=1000
mv "$work/out" "$work/projects-2.json"
IMP_TARGET=$IMP_TARGET_1 run 0 list projects --json --page_size=1000
$py - "$work/out" "$work/projects-2.json" <<'PY' || fail "the imported projects differ from the exported ones"
import json, sys
def projects(path):
    out = {}
    for p in json.load(open(path))["projects"]:
        for key in ("create_time", "update_time", "etag", "delete_time"):
            p.pop(key, None)
        out[p["name"]] = p
    return out
first, second = projects(sys.argv[1]), projects(sys.argv[2])
assert len(first) == 152 and first == second, [n for n in first if first[n] != second.get(n)][:3]
assert any(p["notes"] and p["transactions"] and p["deliverables"] for p in first.values())
PY
# Idempotent: the same file again (same request ids: each row's first answer is replayed) and
# with another request id (each row already there) change nothing.
run 0 import projects "$work/rt-projects.csv"
run 0 import projects "$work/rt-projects.csv" --request_id=again
grep -q "imported 0 of 152 rows (0 failed, 152 already there)" "$work/out" || fail "re-import: $(cat "$work/out")"
run 0 export projects --output="$work/rt-projects-3.csv"
cmp "$work/rt-projects.csv" "$work/rt-projects-3.csv" || fail "a re-import changed the projects"
# A bad row is reported by line and column, the good ones imported.
$py - "$work/rt-projects.csv" "$work/bad-projects.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
good, bad = list(rows[1]), list(rows[2])
good[0], bad[0] = "new-good", "new-bad"
bad[rows[0].index("budget")] = "COMMITTED:12,5 EUR"
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows([rows[0], good, bad])
PY
run 4 import projects "$work/bad-projects.csv"
grep -q "^line 3: budget: 'COMMITTED:12,5 EUR' is not an amount" "$work/err" || fail "$(cat "$work/err")"
grep -q "imported 1 of 2 rows (1 failed)" "$work/out" || fail "$(cat "$work/out")"
export IMP_TARGET=$IMP_TARGET_1

# --- A backend that stops answering: an error, not a short file --------------------------------
kill "${pids[1]}"   # the activity service
wait "${pids[1]}" 2>/dev/null || true
run 8 export iati "${org[@]}" --output="$work/down.xml"
run 8 export hxl --output="$work/down.csv"
[ ! -e "$work/down.xml" ] && [ ! -e "$work/down.xml.partial" ] && [ ! -e "$work/down.csv" ] \
  || fail "a failed export left a file"
echo "impctl export end to end: all checks passed"
