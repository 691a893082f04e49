#!/usr/bin/env bash
# impctl over TLS: the real registry, activity and gateway binaries with mutual TLS between them
# (certificates from deploy/tls-certs.sh, as deploy/local/up.sh makes them), the gateway serving
# TLS to impctl, and impctl calling a backend directly with the internal-tools certificate.
# Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
impctl="$build/tools/impctl/impctl"
py=/usr/bin/python3
work=$(mktemp -d /tmp/imp-impctl-tls.XXXXXX)
pids=()
suffix=$(openssl rand -hex 4)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for db in "rtls_$suffix" "atls_$suffix"; do
    mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -e "DROP DATABASE IF EXISTS $db; DROP USER IF EXISTS '$db'@'localhost', '$db'@'127.0.0.1', '${db}_migrate'@'localhost', '${db}_migrate'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { $py "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
run() {  # EXPECTED_RC impctl-args...
  local want=$1 rc=0
  shift
  "$impctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || fail "impctl $* exited $rc, expected $want; stdout: $(head -c 2000 "$work/out"); stderr: $(head -c 2000 "$work/err")"
}
out_has() { grep -qF -- "$1" "$work/out" || fail "stdout lacks '$1': $(head -c 2000 "$work/out")"; }
err_has() { grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(head -c 2000 "$work/err")"; }

tls="$work/tls"
"$src/deploy/tls-certs.sh" "$tls" gateway registry activity impctl-internal:client
"$src/deploy/tls-certs.sh" "$work/other" gateway   # an unrelated CA
for f in "$tls"/*.key; do [ "$(stat -c %a "$f")" = 600 ] || fail "$f is not mode 600"; done
svc_tls() { echo "--tls_cert=$tls/$1.pem --tls_key=$tls/$1.key --tls_ca=$tls/ca.pem"; }

"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "rtls_$suffix" pw1 pw1
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "atls_$suffix" pw2 pw2
ports=$(free_port 3); read -r RP AP GP <<<"$ports"
admin=admin-$suffix
echo "$(printf %s "$admin" | sha256sum | cut -d' ' -f1) admin tls-admin" >"$work/tokens.txt"
# Debug level: the checks below read each call's log line, and fast successful calls are logged
# at debug only.
# shellcheck disable=SC2046
IMP_LOG_LEVEL=debug IMP_DB_PASSWORD=pw1 IMP_DB_MIGRATION_PASSWORD=pw1 "$build/registry-service/registry_service" --port="$RP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="rtls_$suffix" --db_migration_user="rtls_${suffix}_migrate" --db_name="rtls_$suffix" $(svc_tls registry) 2>"$work/registry.log" & pids+=($!)
# shellcheck disable=SC2046
IMP_DB_PASSWORD=pw2 IMP_DB_MIGRATION_PASSWORD=pw2 "$build/activity-service/activity_service" --port="$AP" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="atls_$suffix" --db_migration_user="atls_${suffix}_migrate" --db_name="atls_$suffix" --registry_target="127.0.0.1:$RP" $(svc_tls activity) \
  2>"$work/activity.log" & pids+=($!)
# shellcheck disable=SC2046
IMP_LOG_LEVEL=warning "$build/gateway/gateway" --port="$GP" --tokens_file="$work/tokens.txt" --registry_target="127.0.0.1:$RP" \
  --activity_target="127.0.0.1:$AP" $(svc_tls gateway) 2>"$work/gateway.log" & pids+=($!)

unset IMP_TOKEN IMP_TOKEN_FILE IMP_CA_CERT IMP_CLIENT_CERT IMP_CLIENT_KEY
internal=(--ca_cert="$tls/ca.pem" --client_cert="$tls/impctl-internal.pem" --client_key="$tls/impctl-internal.key")
for p in "$RP" "$AP"; do run 0 health --target="127.0.0.1:$p" --wait_seconds=30 "${internal[@]}"; done
run 0 health --target="127.0.0.1:$GP" --wait_seconds=30 --ca_cert="$tls/ca.pem"
out_has "SERVING"

# --- Who gets in ------------------------------------------------------------------------------
run 8 health --target="127.0.0.1:$RP"                               # plaintext to a TLS port
err_has "needs --ca_cert"
run 8 health --target="127.0.0.1:$RP" --ca_cert="$tls/ca.pem"       # no client certificate
err_has "--client_cert"
run 8 health --target="127.0.0.1:$GP" --ca_cert="$work/other/ca.pem"   # the gateway is not verified
run 8 health --target="127.0.0.1:$RP" --ca_cert="$tls/ca.pem" \
  --client_cert="$work/other/gateway.pem" --client_key="$work/other/gateway.key"   # another CA's "gateway"
run 2 health --target="127.0.0.1:$RP" --client_cert="$tls/impctl-internal.pem" --client_key="$tls/impctl-internal.key"
err_has "--client_cert needs --ca_cert"
run 2 health --target="127.0.0.1:$GP" --ca_cert="$work/missing.pem"
err_has "--ca_cert: cannot read"
run 2 whoami --target="127.0.0.1:$GP" --ca_cert="$tls/ca.pem" --client_cert="$tls/impctl-internal.pem" \
  --client_key="$tls/gateway.key" --token="$admin"
err_has "--client_key"

# --- impctl through the gateway over TLS, as up.sh sets it up (IMP_CA_CERT) --------------------
export IMP_TARGET="127.0.0.1:$GP" IMP_TOKEN="$admin" IMP_CA_CERT="$tls/ca.pem"
run 0 whoami
out_has "tls-admin"
echo '{"display_name": "Lviv Regional Children'\''s Hospital", "kind": "KIND_HOSPITAL", "country": "UA", "region": "UA-46"}' \
  >"$work/lviv.json"
run 0 create institution "$work/lviv.json" lviv-rch
run 0 get institution lviv-rch
out_has "Lviv Regional Children"
run 0 list institutions --json
out_has "lviv-rch"

# The registry's request log: the gateway's calls carry the token's actor; impctl calling the
# registry directly with the internal-tools certificate is recorded as that certificate.
IMP_TARGET="127.0.0.1:$RP" IMP_CLIENT_CERT="$tls/impctl-internal.pem" IMP_CLIENT_KEY="$tls/impctl-internal.key" \
  run 0 delete institution lviv-rch
for _ in $(seq 1 50); do grep -q "DeleteInstitution" "$work/registry.log" && break; sleep 0.1; done
grep "method=/imp.registry.v1.RegistryService/CreateInstitution " "$work/registry.log" | grep -q "actor=tls-admin" \
  || fail "registry log: the gateway's create is not recorded as tls-admin: $(grep CreateInstitution "$work/registry.log")"
grep "method=/imp.registry.v1.RegistryService/DeleteInstitution " "$work/registry.log" | grep -q "actor=peer:impctl-internal" \
  || fail "registry log: the direct delete is not recorded as peer:impctl-internal: $(grep DeleteInstitution "$work/registry.log")"
echo "impctl over TLS: all checks passed"
