# Sourced by the export tests: starts real registry, activity and gateway binaries on free
# loopback ports with a fresh database per service on the test MariaDB ($IMP_TEST_DB_SOCKET),
# writes an admin token, and cleans everything up on exit. Needs $build, $src and $work set.
# After `start_suite`: $impctl, $IMP_TARGET and $IMP_TOKEN (an admin's) are ready for impctl
# calls; $viewer is a viewer's token. `start_suite N` starts another, empty suite (its own
# databases and servers) and points IMP_TARGET at it; the first's target stays in $IMP_TARGET_1.
py=/usr/bin/python3
impctl="$build/tools/impctl/impctl"
pids=()
dbs=()
suffix=$(openssl rand -hex 4)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "${dbs[@]}"; do
    mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost', '$db'@'127.0.0.1', '${db}_migrate'@'localhost', '${db}_migrate'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { $py "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range

start_suite() {
  local n=${1:-}
  local reg="reg_$suffix$n" act="act_$suffix$n"
  dbs+=("$reg" "$act")
  "$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$reg" pw1 mpw1
  "$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$act" pw2 mpw2
  local rp ap gp
  local ports
  ports=$(free_port 3); read -r rp ap gp <<<"$ports"
  local admin=admin-$suffix
  viewer=viewer-$suffix
  {
    echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin export-admin"
    echo "$(printf %s "$viewer" | sha256sum | cut -d' ' -f1) viewer export-viewer"
  } >"$work/tokens$n.txt"
  export IMP_LOG_LEVEL=warning
  IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=mpw1 "$build/registry-service/registry_service" \
    --port="$rp" --db_socket="$IMP_TEST_DB_SOCKET" --db_user="$reg" \
    --db_migration_user="${reg}_migrate" --db_name="$reg" 2>"$work/registry$n.log" &
  pids+=($!)
  IMP_DB_PASSWORD=pw2 IMP_DB_MIGRATION_PASSWORD=mpw2 "$build/activity-service/activity_service" \
    --port="$ap" --db_socket="$IMP_TEST_DB_SOCKET" --db_user="$act" \
    --db_migration_user="${act}_migrate" --db_name="$act" \
    --registry_target="127.0.0.1:$rp" 2>"$work/activity$n.log" &
  pids+=($!)
  "$build/gateway/gateway" --port="$gp" --tokens_file="$work/tokens$n.txt" \
    --registry_target="127.0.0.1:$rp" --activity_target="127.0.0.1:$ap" 2>"$work/gateway$n.log" &
  pids+=($!)
  for p in "$rp" "$ap" "$gp"; do
    "$impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null || fail "port $p not serving"
  done
  unset IMP_TOKEN_FILE
  export IMP_TARGET="127.0.0.1:$gp" IMP_TOKEN="$admin"
  [ -n "$n" ] || IMP_TARGET_1=$IMP_TARGET
}

# load DIR: imports DIR/{institutions,agreements,activities,projects}.csv through impctl and the
# gateway, then creates a project per DIR/projects/ID.json (the demo's form).
# A busy machine can make a service shed a row's call (OVERLOADED); the same file again carries
# the same request ids, so a re-run applies only what is missing: up to three runs.
load() {
  local dir=$1 kind attempt
  for kind in institutions agreements activities projects; do
    [ -f "$dir/$kind.csv" ] || continue
    for attempt in 1 2 3; do
      if "$impctl" import "$kind" "$dir/$kind.csv" >"$work/load.out" 2>"$work/load.err"; then
        break
      fi
      grep -q "OVERLOADED\|server overloaded" "$work/load.err" && [ "$attempt" -lt 3 ] \
        || fail "import $kind from $dir: $(tail -5 "$work/load.err")"
      sleep 1
    done
  done
  local project
  for project in "$dir"/projects/*.json; do
    [ -f "$project" ] || continue
    "$impctl" create project "$project" "$(basename "$project" .json)" \
      --request_id="load-$(basename "$project" .json)" >/dev/null 2>"$work/load.err" \
      || fail "create project $project: $(tail -5 "$work/load.err")"
  done
}

# validate FILE: the official IATI 2.03 activity schema accepts FILE.
validate() {
  xmllint --noout --schema "$src/tests/tools/iati-2.03/iati-activities-schema.xsd" "$1" \
    2>"$work/xmllint.err" || fail "xmllint rejects $1: $(head -20 "$work/xmllint.err")"
}
