#!/usr/bin/env bash
# The local runtime as a newcomer uses it: deploy/local/up.sh on fresh state loads the demo data
# and serves it; re-running up.sh is safe; data survives down.sh + up.sh, and the demo data is
# not loaded twice; MariaDB's root is not reachable over TCP and the services' runtime users may not
# change the schema; an install whose secrets predate the migration users gets them added.
# Runs the real scripts on free ports in a temporary state directory.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
free_port() { /usr/bin/python3 "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
export IMP_STATE_DIR=$(mktemp -d /tmp/imp-up.XXXXXX) IMP_BUILD_DIR=$build
ports=$(free_port 7); read -r IMP_DB_PORT IMP_GATEWAY_PORT IMP_REGISTRY_PORT IMP_ACTIVITY_PORT \
  IMP_GATEWAY_METRICS_PORT IMP_REGISTRY_METRICS_PORT IMP_ACTIVITY_METRICS_PORT <<<"$ports"
export IMP_DB_PORT IMP_GATEWAY_PORT IMP_REGISTRY_PORT IMP_ACTIVITY_PORT IMP_GATEWAY_METRICS_PORT \
  IMP_REGISTRY_METRICS_PORT IMP_ACTIVITY_METRICS_PORT
cleanup() {
  "$src/deploy/local/down.sh" >/dev/null 2>&1 || true
  rm -rf "$IMP_STATE_DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
tls=$IMP_STATE_DIR/tls
impctl() { IMP_TARGET="127.0.0.1:$IMP_GATEWAY_PORT" IMP_TOKEN_FILE="$IMP_STATE_DIR/admin.token" IMP_CA_CERT="$tls/ca.pem" "$build/tools/impctl/impctl" "$@"; }
operations() { impctl summary --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("operations", 0))'; }

"$src/deploy/local/up.sh" >"$IMP_STATE_DIR/up1.log" 2>&1 || { cat "$IMP_STATE_DIR/up1.log"; fail "first up.sh"; }
grep -q "imported 91 of 91 rows" "$IMP_STATE_DIR/up1.log" || fail "demo activities not loaded"
[ "$(operations)" = 104 ] || fail "demo operations after first start: $(operations)"
# The two seed projects and the MoH-GIZ memorandum's 17 declared members are in the summary.
impctl summary --json >"$IMP_STATE_DIR/summary.json" || fail "impctl summary --json"
/usr/bin/python3 - "$IMP_STATE_DIR/summary.json" <<'PY' || fail "projects or declared members missing from the summary"
import json, sys
s = json.load(open(sys.argv[1]))
by_status = {c["key"]: int(c["count"]) for c in s["projects"]["projects_by_status"]}
assert by_status == {"STATUS_IDENTIFICATION": 1, "STATUS_IMPLEMENTATION": 1}, by_status
budget = {m["currency_code"]: m["units"] for m in s["projects"]["budget"]}
assert budget == {"EUR": "35000000"}, budget
assert int(s["network"]["institutions_declared_unnamed"]) == 17, s["network"]
print(s["network"]["explanation"])
PY
impctl summary | grep -q "^Projects: 2$" || fail "no projects table in impctl summary"
grep -q " admin " "$IMP_STATE_DIR/tokens.txt" || fail "no admin token line"
grep -qF "$(cat "$IMP_STATE_DIR/admin.token")" "$IMP_STATE_DIR/tokens.txt" && fail "the tokens file must not hold the token itself"
tcp_sql() {  # user password sql: runs over TCP on the up.sh MariaDB, output in $IMP_STATE_DIR/sql.out
  mariadb --no-defaults -h127.0.0.1 -P"$IMP_DB_PORT" -u"$1" ${2:+-p"$2"} -N -e "$3" >"$IMP_STATE_DIR/sql.out" 2>&1
}
tcp_sql root "" 'SELECT CURRENT_USER()' && fail "root got into MariaDB over TCP: $(cat "$IMP_STATE_DIR/sql.out")"
grep -qE '1130|1045|1698' "$IMP_STATE_DIR/sql.out" || fail "root over TCP: $(cat "$IMP_STATE_DIR/sql.out")"
registry_password=$(sed -n 's/^REGISTRY_DB_PASSWORD=//p' "$IMP_STATE_DIR/secrets.env")
tcp_sql imp_registry "$registry_password" 'SELECT COUNT(*) FROM imp_registry.institutions' \
  || fail "the registry's runtime user cannot read its schema: $(cat "$IMP_STATE_DIR/sql.out")"
tcp_sql imp_registry "$registry_password" 'CREATE TABLE imp_registry.extra (id INT PRIMARY KEY)' \
  && fail "the registry's runtime user may create tables"
grep -q 1142 "$IMP_STATE_DIR/sql.out" || fail "runtime user CREATE: $(cat "$IMP_STATE_DIR/sql.out")"
tcp_sql imp_registry "$registry_password" 'SELECT COUNT(*) FROM imp_activity.activities' \
  && fail "the registry's runtime user may read the activity schema"

# TLS by default: the certificates exist (keys private), up.sh says where, the gateway is TLS
# and a service refuses a client without the internal-tools certificate.
for f in ca gateway registry activity impctl-internal; do [ -s "$tls/$f.pem" ] || fail "no $tls/$f.pem"; done
for f in "$tls"/*.key; do [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 600"; done
grep -qF "$tls/ca.pem" "$IMP_STATE_DIR/up1.log" || fail "up.sh does not say where the CA is"
grep -qF "$tls/impctl-internal.pem" "$IMP_STATE_DIR/up1.log" || fail "up.sh does not name the internal-tools certificate"
"$build/tools/impctl/impctl" health --target="127.0.0.1:$IMP_GATEWAY_PORT" >/dev/null 2>&1 && fail "the gateway answers plaintext"
impctl health --target="127.0.0.1:$IMP_REGISTRY_PORT" >/dev/null 2>&1 && fail "the registry answers a client without a certificate"
impctl health --target="127.0.0.1:$IMP_REGISTRY_PORT" --client_cert="$tls/impctl-internal.pem" \
  --client_key="$tls/impctl-internal.key" >/dev/null || fail "the registry refuses the internal-tools certificate"
ca_before=$(sha256sum <"$tls/ca.pem")

# Each service serves Prometheus metrics on its metrics port (plaintext, loopback), and up.sh
# says where.
for m in gateway:$IMP_GATEWAY_METRICS_PORT registry:$IMP_REGISTRY_METRICS_PORT \
  activity:$IMP_ACTIVITY_METRICS_PORT; do
  url="http://127.0.0.1:${m#*:}/metrics"
  grep -qF "$url" "$IMP_STATE_DIR/up1.log" || fail "up.sh does not say where ${m%%:*}'s metrics are"
  /usr/bin/python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
    "$url" >"$IMP_STATE_DIR/metrics.txt" || fail "no answer from $url"
  grep -q '^imp_serving 1$' "$IMP_STATE_DIR/metrics.txt" || fail "$url: no imp_serving 1"
done

"$src/deploy/local/up.sh" >"$IMP_STATE_DIR/up2.log" 2>&1 || fail "re-running up.sh"
[ "$(sha256sum <"$tls/ca.pem")" = "$ca_before" ] || fail "re-running up.sh made a new CA"
grep -q "already running" "$IMP_STATE_DIR/up2.log" || fail "re-run should find the services running"

echo '{"display_name": "Persistence check hospital", "kind": "KIND_HOSPITAL", "country": "PL"}' \
  | impctl create institution - persistence-check >/dev/null || fail "create"
"$src/deploy/local/down.sh" >/dev/null || fail "down.sh"
impctl health --target="127.0.0.1:$IMP_GATEWAY_PORT" >/dev/null 2>&1 && fail "gateway still answering after down.sh"
# An install from before the migration users: its secrets hold only the runtime passwords.
sed -i '/_MIGRATION_PASSWORD=/d' "$IMP_STATE_DIR/secrets.env"
"$src/deploy/local/up.sh" >"$IMP_STATE_DIR/up3.log" 2>&1 || { cat "$IMP_STATE_DIR/up3.log"; fail "up.sh after down.sh"; }
[ "$(grep -c '_MIGRATION_PASSWORD=' "$IMP_STATE_DIR/secrets.env")" = 2 ] || fail "migration passwords not added to secrets.env"
[ "$(stat -c %a "$IMP_STATE_DIR/secrets.env")" = 600 ] || fail "secrets.env is not private"
grep -q "loading the demo data" "$IMP_STATE_DIR/up3.log" && fail "demo data loaded twice"
impctl get institution persistence-check >/dev/null || fail "data did not survive down.sh + up.sh"
[ "$(operations)" = 104 ] || fail "operations after restart: $(operations)"
echo "up/down: all checks passed"
