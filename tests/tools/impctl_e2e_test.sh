#!/usr/bin/env bash
# impctl end to end: real registry, activity and gateway binaries on free loopback ports, a fresh
# database per service on the test MariaDB ($IMP_TEST_DB_SOCKET), and the real impctl binary.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
work=$(mktemp -d /tmp/imp-impctl.XXXXXX)
pids=()
suffix=$(openssl rand -hex 4)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "reg_$suffix" "act_$suffix"; do
    mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -uroot -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost'; DROP USER IF EXISTS '$db'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "reg_$suffix" pw1
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "act_$suffix" pw2
RP=$(free_port) AP=$(free_port) GP=$(free_port)
admin=admin-$suffix viewer=viewer-$suffix
{
  echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin e2e-admin"
  echo "$(printf %s "$viewer" | sha256sum | cut -d' ' -f1) viewer e2e-viewer"
} >"$work/tokens.txt"
export IMP_LOG_LEVEL=warning
IMP_DB_PASSWORD=pw1 "$build/registry-service/registry_service" --port="$RP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="reg_$suffix" --db_name="reg_$suffix" 2>"$work/registry.log" & pids+=($!)
IMP_DB_PASSWORD=pw2 "$build/activity-service/activity_service" --port="$AP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="act_$suffix" --db_name="act_$suffix" --registry_target="127.0.0.1:$RP" 2>"$work/activity.log" & pids+=($!)
"$build/gateway/gateway" --port="$GP" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
  --activity_target="127.0.0.1:$AP" 2>"$work/gateway.log" & pids+=($!)
for p in "$RP" "$AP" "$GP"; do "$impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null || fail "port $p not serving"; done

export IMP_TARGET="127.0.0.1:$GP" IMP_TOKEN="$admin"
demo="$src/deploy/demo"

# Import the demo data set.
"$impctl" import institutions "$demo/institutions.csv" >"$work/out" 2>/dev/null || fail "institutions import"
grep -q "imported 36 of 36 rows (0 failed)" "$work/out" || fail "institutions: $(cat "$work/out")"
"$impctl" import agreements "$demo/agreements.csv" >"$work/out" 2>/dev/null || fail "agreements import"
grep -q "imported 11 of 11 rows (0 failed)" "$work/out" || fail "agreements: $(cat "$work/out")"

# Activities with bad rows: line 3 has an unknown host, line 5 a bad date. All-or-nothing.
/usr/bin/python3 - "$demo/activities.csv" "$work/bad.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))
rows[2][4] = "no-such-hospital"   # line 3: host_institution
rows[4][6] = "2024-13-40"         # line 5: start_date
csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""), lineterminator="\n").writerows(rows[:20])
PY
set +e
"$impctl" import activities "$work/bad.csv" --mode=best_effort --errors_csv="$work/errors.csv" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 4 ] || fail "bad rows must exit 4, got $rc: $(cat "$work/err")"
grep -q "^line 3: activity.host_institution: institutions/no-such-hospital does not exist" "$work/err" || fail "line 3 report: $(cat "$work/err")"
grep -q "^line 5: activity.start_date:" "$work/err" || fail "line 5 report: $(cat "$work/err")"
grep -q "imported 17 of 19 rows (2 failed)" "$work/out" || fail "best effort count: $(cat "$work/out")"
[ "$(wc -l <"$work/errors.csv")" = 3 ] || fail "errors csv: $(cat "$work/errors.csv")"

# The whole file, all-or-nothing: the 17 already there are row errors, nothing else applied.
set +e
"$impctl" import activities "$demo/activities.csv" >"$work/out" 2>"$work/err"
rc=$?
set -e
[ "$rc" = 4 ] || fail "re-import over existing ids must report rows: rc $rc"
grep -q "imported 0 of 91 rows" "$work/out" || fail "all-or-nothing: $(cat "$work/out")"
# Best effort imports the rest; the same call again is a replay that applies nothing.
"$impctl" import activities "$demo/activities.csv" --mode=best_effort --request_id=full >"$work/out" 2>"$work/err" || true
grep -q "imported 74 of 91 rows (17 failed)" "$work/out" || fail "best effort: $(cat "$work/out")"
"$impctl" import activities "$demo/activities.csv" --mode=best_effort --request_id=full >"$work/out" 2>"$work/err" || true
grep -q "applied before" "$work/err" || fail "replay not reported: $(cat "$work/err")"

# Export round trip: institutions and agreements export to the very rows imported.
for kind in institutions agreements; do
  "$impctl" export "$kind" --output="$work/$kind.csv" || fail "export $kind"
  diff <(tail -n +2 "$demo/$kind.csv" | sort) <(tail -n +2 "$work/$kind.csv" | sort) >"$work/diff" || fail "$kind round trip: $(head "$work/diff")"
done
"$impctl" export activities --output="$work/activities.csv"
[ "$(/usr/bin/python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1])))) - 1)' "$work/activities.csv")" = 91 ] || fail "activities export count"
"$impctl" import activities "$work/activities.csv" --validate_only --request_id=check >"$work/out" 2>"$work/err" || fail "exported activities must validate: $(cat "$work/err")"

# Summary figures against totals computed here from the CSV (an independent implementation).
"$impctl" summary --json >"$work/summary.json" || fail "summary"
/usr/bin/python3 - "$demo/activities.csv" "$work/summary.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
got = json.load(open(sys.argv[2]))
n = lambda v: int(v) if v else 0
trainees = sum(int(p.split(":")[2]) for r in rows if r["kind"] in ("TRAINING", "EVENT") for p in r["participants"].split("|") if p)
doctors = sum(int(p.split(":")[2]) for r in rows if r["kind"] in ("TRAINING", "EVENT") for p in r["participants"].split("|") if p and p.split(":")[1] == "DOCTOR")
want = {
    "trainees": trainees, "trainee_doctors": doctors,
    "operations": sum(n(r["operations"]) for r in rows if r["kind"] == "OPERATION"),
    "patients_helped": sum(n(r["patients"]) for r in rows if r["kind"] in ("OPERATION", "TELEMEDICINE")),
    "visits": sum(1 for r in rows if r["kind"] == "VISIT"),
    "consultations": sum(n(r["consultations"]) for r in rows if r["kind"] == "TELEMEDICINE"),
}
for key, value in want.items():
    if int(got.get(key, 0)) != value:
        sys.exit(f"FAIL: summary {key} = {got.get(key)}, computed from the CSV {value}")
if got.get("missing_sources"):
    sys.exit(f"FAIL: unexpected partial answer {got['missing_sources']}")
print("summary matches the CSV:", want)
PY
"$impctl" summary | grep -q "joint operations" || fail "summary table"
"$impctl" map --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["countries"], d'
"$impctl" list agreements --json --filter='state = "ACTIVE"' | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["agreements"]) == 10, len(d["agreements"])'

# Exit codes for gRPC errors.
set +e
"$impctl" get institution no-such-thing 2>/dev/null; [ $? = 5 ] || fail "NOT_FOUND must exit 5"
IMP_TOKEN=wrong "$impctl" list institutions >/dev/null 2>&1; [ $? = 7 ] || fail "UNAUTHENTICATED must exit 7"
IMP_TOKEN="$viewer" "$impctl" delete institution okhmatdyt 2>/dev/null; [ $? = 7 ] || fail "PERMISSION_DENIED must exit 7"
echo '{"display_name": "X", "kind": "KIND_HOSPITAL", "country": "XX"}' | "$impctl" create institution - 2>"$work/err"; [ $? = 4 ] || fail "INVALID_ARGUMENT must exit 4"
grep -q "INVALID_ARGUMENT: institution.country" "$work/err" || fail "field not named: $(cat "$work/err")"
IMP_TARGET=127.0.0.1:1 "$impctl" list institutions >/dev/null 2>&1; [ $? = 8 ] || fail "UNAVAILABLE must exit 8"
set -e
echo "impctl end to end: all checks passed"
