#!/usr/bin/env bash
# impctl import of hostile or broken CSV files against real registry, activity and gateway
# binaries (fresh databases on the test MariaDB):
# - a file that is not UTF-8 (a Windows-1251 export): exit 2 naming the line and column, and no
#   request sent (no CreateInstitution in the gateway's request log, nothing stored);
# - projects CSV cells crafted to set another field or carrying output-only delivered_quantity:
#   exit 4 naming the line and column, those rows not created, the others created as written;
# - mapping errors quote at most 64 bytes of a cell, control characters escaped.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
py=/usr/bin/python3
work=$(mktemp -d /tmp/imp-impctl-csv.XXXXXX)
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
free_port() { $py "$src/tests/support/free_port.py" "$@"; }
run() {  # run EXPECTED_RC impctl-args...: stdout to $work/out, stderr to $work/err
  local want=$1 rc=0
  shift
  "$impctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "impctl $* exited $rc, expected $want; stdout: $(head -c 2000 "$work/out"); stderr: $(head -c 2000 "$work/err")"
}
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 2000 "$work/err")"; }
out_has() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 2000 "$work/out")"; }
# Requests the gateway received for METHOD (its request log, at debug level).
requests() { grep -c "event=rpc .*method=/imp.registry.v1.RegistryService/$1 " "$work/gateway.log" || true; }
# The ids of the stored KIND (institutions, projects), sorted, one line.
ids() {
  run 0 list "$1" --json --page_size=1000
  $py - "$work/out" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(r["name"].split("/", 1)[1] for r in d.get(sys.argv[2], []))))
PY
}

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "reg_$suffix" pw1 mpw1
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "act_$suffix" pw2 mpw2
read -r RP AP GP <<<"$(free_port 3)"
admin=admin-$suffix
echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin csv-admin" >"$work/tokens.txt"
export IMP_LOG_LEVEL=warning
IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=mpw1 "$build/registry-service/registry_service" --port="$RP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="reg_$suffix" --db_migration_user="reg_${suffix}_migrate" --db_name="reg_$suffix" 2>"$work/registry.log" & pids+=($!)
IMP_DB_PASSWORD=pw2 IMP_DB_MIGRATION_PASSWORD=mpw2 "$build/activity-service/activity_service" --port="$AP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="act_$suffix" --db_migration_user="act_${suffix}_migrate" --db_name="act_$suffix" --registry_target="127.0.0.1:$RP" 2>"$work/activity.log" & pids+=($!)
# The gateway logs every request (debug level): the proof of what impctl sent.
IMP_LOG_LEVEL=debug "$build/gateway/gateway" --port="$GP" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
  --activity_target="127.0.0.1:$AP" 2>"$work/gateway.log" & pids+=($!)
for p in "$RP" "$AP" "$GP"; do "$impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null || fail "port $p not serving"; done
export IMP_TARGET="127.0.0.1:$GP" IMP_TOKEN="$admin"
header="id,display_name,local_name,short_names,kind,country,region,city,website,notes"

# --- A Windows-1251 export: refused before anything is sent ------------------------------------
$py - "$work/cp1251.csv" "$header" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.write((sys.argv[2] + "\n").encode())
    f.write("lviv-rch,Lviv Regional Hospital,,,HOSPITAL,UA,UA-46,Lviv,,\n".encode("utf-8"))
    f.write("lviv-okl,Lviv Oblast Hospital,,,HOSPITAL,UA,UA-46,".encode() + "Львів".encode("cp1251") + b",,\n")
PY
run 2 import institutions "$work/cp1251.csv"
err_has "line 3: city: is not UTF-8"
[ "$(requests CreateInstitution)" = 0 ] || fail "impctl sent $(requests CreateInstitution) CreateInstitution requests for a file it refused"
[ -z "$(ids institutions)" ] || fail "institutions stored from a refused file: $(ids institutions)"

# --- Mapping errors quote at most 64 bytes of the cell, control characters escaped -------------
$py - "$work/cells.csv" "$header" <<'PY'
import csv, sys
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(sys.argv[2].split(","))
    w.writerow(["volyn", "Volyn Regional Hospital", "", "", "HOSPITAL", "UA", "UA-07", "Lutsk", "", ""])
    w.writerow(["huge", "Huge", "", "", "K" * 15000, "UA", "", "", "", ""])
    w.writerow(["control", "Control", "", "", "HOSP\x1bITAL\r\nX", "UA", "", "", "", ""])
PY
run 4 import institutions "$work/cells.csv"
out_has "imported 1 of 3 rows (2 failed)"
cp "$work/err" "$work/cells.err"
[ "$(requests CreateInstitution)" -ge 1 ] || fail "the request log shows no CreateInstitution: it could not have shown one above"
[ "$(ids institutions)" = volyn ] || fail "institutions stored: $(ids institutions)"
$py - "$work/cells.err" <<'PY' || fail "mapping error quotes: $(head -c 1500 "$work/cells.err")"
import re, sys
text = open(sys.argv[1], "rb").read()
lines = text.split(b"\n")
huge = [l for l in lines if l.startswith(b"line 3: kind: ")]
control = [l for l in lines if l.startswith(b"line 4: kind: ")]
assert len(huge) == 1 and len(control) == 1, lines
quoted = re.search(rb"'(K*)'?", huge[0]).group(1)
assert 0 < len(quoted) <= 64, (len(quoted), huge[0][:200])
assert b"(15000 bytes)" in huge[0] and len(huge[0]) < 300, huge[0][:300]
# The cell's control characters are written as escapes; no raw control byte reaches the report.
assert b"HOSP\\x1BITAL\\r\\nX" in control[0] or b"HOSP\\x1bITAL\\r\\nX" in control[0], control[0]
assert not re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", text), [l for l in lines if re.search(rb"[\x00-\x1f\x7f]", l)]
print("huge cell quoted as %d bytes: %s" % (len(quoted), huge[0][:40].decode() + "..." + huge[0][-40:].decode()))
print("control cell: %s" % control[0].decode())
PY

# --- Projects cells crafted to set another field, or output-only delivered_quantity -----------
$py - "$work/projects.csv" <<'PY'
import csv, sys
columns = ["id", "title", "local_title", "description", "local_description", "status", "agreements",
           "participants", "planned_start", "planned_end", "actual_start", "actual_end",
           "cooperation_areas", "locations", "budget", "transactions", "deliverables", "notes"]
def row(id, title, transactions="", deliverables=""):
    r = dict.fromkeys(columns, "")
    r.update(id=id, title=title, status="IMPLEMENTATION", transactions=transactions,
             deliverables=deliverables)
    return [r[c] for c in columns]
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(columns)
    w.writerow(row("first-good", "Ventilators"))
    w.writerow(row("smuggler", "Smuggled notes", transactions='[], "notes": "smuggled"'))
    w.writerow(row("overdelivered", "Output only",
                   deliverables='[{"what": "Ventilator", "delivered_quantity": "5"}]'))
    w.writerow(row("second-good", "Kits",
                   deliverables='[{"what": "Kit", "unit": "machine", "planned_quantity": "5"}]'))
PY
run 4 import projects "$work/projects.csv"
err_has "line 3: transactions: must be a JSON list"
err_has "line 4: deliverables: delivered_quantity is output only"
out_has "imported 2 of 4 rows (2 failed)"
[ "$(ids projects)" = "first-good second-good" ] || fail "projects stored: $(ids projects)"
run 0 get project first-good --json
$py - "$work/out" <<'PY' || fail "first-good as stored: $(cat "$work/out")"
import json, sys
p = json.load(open(sys.argv[1]))
assert p.get("notes", "") == "" and p["title"] == "Ventilators", p
PY
run 0 get project second-good --json
grep -q '"planned_quantity": "5"' "$work/out" || fail "second-good as stored: $(cat "$work/out")"
echo "impctl CSV errors: all checks passed"
