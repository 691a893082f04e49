#!/usr/bin/env bash
# One request followed everywhere (issue #24), end to end: real registry, activity and gateway
# binaries at their default log level, impctl through the gateway. One impctl command that reaches
# both services (an activity create, which the activity service checks against the registry)
# is found by its trace id on a request-log line of all three logs; a failing command prints the
# trace id to grep for, and that grep finds it in all three logs too.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
py=/usr/bin/python3
work=$(mktemp -d /tmp/imp-trace.XXXXXX)
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
run() {
  local want=$1 rc=0
  shift
  "$impctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "impctl $* exited $rc, expected $want; stdout: $(head -c 2000 "$work/out"); stderr: $(head -c 2000 "$work/err")"
}
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 2000 "$work/err")"; }
# logged LOG TRACE_ID METHOD [LEVEL]: a request-log line of METHOD with that trace id is in LOG
# (waited for, at most 5 s: a server writes the line as it sends the status).
logged() {
  local log=$1 id=$2 method=$3 level=${4:-}
  for _ in $(seq 1 50); do
    grep "event=rpc" "$work/$log" | grep -F "method=$method " | grep -F " trace_id=$id " |
      grep -qF "level=$level" && return 0
    sleep 0.1
  done
  fail "$log has no ${level:+$level }event=rpc line of $method with trace_id=$id: $(grep -F "$method" "$work/$log" | tail -5)"
}

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "reg_$suffix" pw1 mpw1
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "act_$suffix" pw2 mpw2
ports=$(free_port 3); read -r RP AP GP <<<"$ports"
admin=admin-$suffix
echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin trace-admin" >"$work/tokens.txt"
unset IMP_LOG_LEVEL IMP_TRACEPARENT   # the servers' default level (info), as deployed
IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=mpw1 "$build/registry-service/registry_service" --port="$RP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="reg_$suffix" --db_migration_user="reg_${suffix}_migrate" --db_name="reg_$suffix" 2>"$work/registry.log" & pids+=($!)
IMP_DB_PASSWORD=pw2 IMP_DB_MIGRATION_PASSWORD=mpw2 "$build/activity-service/activity_service" --port="$AP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="act_$suffix" --db_migration_user="act_${suffix}_migrate" --db_name="act_$suffix" --registry_target="127.0.0.1:$RP" 2>"$work/activity.log" & pids+=($!)
"$build/gateway/gateway" --port="$GP" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
  --activity_target="127.0.0.1:$AP" 2>"$work/gateway.log" & pids+=($!)
for p in "$RP" "$AP" "$GP"; do "$impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null || fail "port $p not serving"; done
export IMP_TARGET="127.0.0.1:$GP" IMP_TOKEN="$admin"

echo '{"display_name": "Volyn Regional Hospital", "kind": "KIND_HOSPITAL", "country": "UA", "region": "UA-07"}' >"$work/volyn.json"
run 0 create institution "$work/volyn.json" volyn
activity() {  # HOST_INSTITUTION_ID
  cat <<JSON
{"title": "Internship", "host_institution": "institutions/$1", "start_date": {"year": 2024, "month": 3, "day": 1},
 "location": {"country": "FR"}, "direction": "DIRECTION_FROM_UKRAINE",
 "training": {"format": "FORMAT_INTERNSHIP", "participant_groups": [
   {"institution": "institutions/$1", "profession": "PROFESSION_DOCTOR", "headcount": 2}]}}
JSON
}
activity volyn >"$work/good.json"
activity nobody-here >"$work/bad.json"

# --- A command that succeeds, under a trace the caller chose ------------------------------------
# Sampled (flag 01), as impctl's own traces are: fast successful calls are then logged at info.
trace=$(openssl rand -hex 16)
IMP_TRACEPARENT="00-$trace-$(openssl rand -hex 8)-01" run 0 create activity "$work/good.json"
logged gateway.log "$trace" /imp.activity.v1.ActivityService/CreateActivity info
logged activity.log "$trace" /imp.activity.v1.ActivityService/CreateActivity info
logged registry.log "$trace" /imp.registry.v1.RegistryService/BatchGetInstitutions info
# The same with the flag.
trace=$(openssl rand -hex 16)
run 0 create activity "$work/good.json" --traceparent="00-$trace-$(openssl rand -hex 8)-01"
logged registry.log "$trace" /imp.registry.v1.RegistryService/BatchGetInstitutions info

# An import stream: its rows' reference checks reach the registry under the caller's trace too.
trace=$(openssl rand -hex 16)
{
  head -1 "$src/deploy/demo/activities.csv"
  echo "trace-import-1,TRAINING,Internship,,volyn,,2024-03-01,,FR,,,FROM_UKRAINE,,,INTERNSHIP,volyn:DOCTOR:2,,,,,,,"
} >"$work/import.csv"
IMP_TRACEPARENT="00-$trace-$(openssl rand -hex 8)-01" run 0 import activities "$work/import.csv"
logged gateway.log "$trace" /imp.activity.v1.ActivityService/ImportActivities
logged activity.log "$trace" /imp.activity.v1.ActivityService/ImportActivities
logged registry.log "$trace" /imp.registry.v1.RegistryService/BatchGetInstitutions info

# --- A command that fails: impctl names the trace, the logs have it -----------------------------
run 4 create activity "$work/bad.json"
err_has "institutions/nobody-here"
failed=$(sed -n 's/^impctl: trace_id=\([0-9a-f]\{32\}\) .*/\1/p' "$work/err")
[ -n "$failed" ] || fail "no 'impctl: trace_id=' line: $(cat "$work/err")"
logged gateway.log "$failed" /imp.activity.v1.ActivityService/CreateActivity warning
logged activity.log "$failed" /imp.activity.v1.ActivityService/CreateActivity warning
logged registry.log "$failed" /imp.registry.v1.RegistryService/BatchGetInstitutions
# One trace per command: every line with it belongs to that one create.
others=$(grep -hF " trace_id=$failed " "$work/gateway.log" "$work/activity.log" "$work/registry.log" |
  grep -vE "method=/imp.(activity.v1.ActivityService/CreateActivity|registry.v1.RegistryService/Batch)" || true)
[ -z "$others" ] || fail "lines of other calls under trace $failed: $others"

# The error details carry the trace the servers logged (google.rpc.RequestInfo), which impctl prints.
chosen=$(openssl rand -hex 16)
IMP_TRACEPARENT="00-$chosen-$(openssl rand -hex 8)-01" run 4 create activity "$work/bad.json"
err_has "impctl: trace_id=$chosen "

# A traceparent that is not one is a usage error, naming where it came from.
IMP_TRACEPARENT="00-$chosen-0000000000000000-01" run 2 whoami
err_has "IMP_TRACEPARENT"
run 2 whoami --traceparent=nonsense
err_has "--traceparent"
run 0 --help
grep -qF "trace_id" "$work/out" || fail "--help says nothing of trace ids: $(cat "$work/out")"
echo "trace e2e: ok"
