#!/usr/bin/env bash
# Cross-language proof: a Python client generated from proto/ alone (plus the standard health
# and reflection protos) by tools/gen-python-stubs.sh imports as generated (isolated and through
# PYTHONPATH) and drives the real registry_service binary over loopback, in plaintext and (a
# second registry) under mutual TLS with the internal-tools certificate.
# Needs IMP_TEST_DB_SOCKET (tests/run.sh sets it). Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/imp-pyclient.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "$db" "$db_act" "$db_tls"; do
    mariadb --no-defaults --socket="$IMP_TEST_DB_SOCKET" -u"$(id -un)" -e "DROP DATABASE IF EXISTS $d; DROP USER IF EXISTS '$d'@'localhost', '$d'@'127.0.0.1', '${d}_migrate'@'localhost', '${d}_migrate'@'127.0.0.1'" || true
  done
  rm -rf "$work"
}
db="py_$(openssl rand -hex 6)"
db_act="${db}_act"
db_tls="${db}_tls"
trap cleanup EXIT

# The stubs come from the documented command, run from a clean directory: nothing of the source
# tree is on sys.path but what the script generated.
mkdir -p "$work/clean"
(cd "$work/clean" && "$src/tools/gen-python-stubs.sh" "$work/gen" >/dev/null)
for dir in $(cd "$work/gen" && find imp google grpc_health grpc_reflection -type d); do
  [ -f "$work/gen/$dir/__init__.py" ] || { echo "FAIL: $dir is not a regular package" >&2; exit 1; }
done
# They import as generated: isolated (-I ignores PYTHONPATH and the user's site, so the
# directory goes on sys.path by hand) and through PYTHONPATH. `imp` must be the generated
# package, not the standard library's module of that name; google.protobuf and grpc must still be
# the runtime's.
cat >"$work/clean/imports.py" <<'PY'
import sys
gen = sys.argv[1]
import grpc
import google.protobuf.field_mask_pb2
import imp.registry.v1.registry_pb2_grpc as registry_grpc
import imp.activity.v1.activity_pb2_grpc, imp.gateway.v1.gateway_pb2_grpc
import google.api.field_behavior_pb2, google.rpc.error_details_pb2, google.type.date_pb2
import grpc_health.v1.health_pb2_grpc, grpc_reflection.v1alpha.reflection_pb2_grpc
import imp
assert imp.__file__ == gen + "/imp/__init__.py", imp.__file__
assert not grpc.__file__.startswith(gen), grpc.__file__
assert not google.protobuf.__file__.startswith(gen), google.protobuf.__file__
assert registry_grpc.RegistryServiceStub(grpc.insecure_channel("127.0.0.1:1"))
PY
(cd "$work/clean" && /usr/bin/python3 -I -c 'import sys; sys.path.insert(0, sys.argv[1]); exec(open("imports.py").read())' "$work/gen") \
  || { echo "FAIL: the generated stubs do not import with python3 -I" >&2; exit 1; }
(cd "$work/clean" && PYTHONPATH="$work/gen" /usr/bin/python3 imports.py "$work/gen") \
  || { echo "FAIL: the generated stubs do not import through PYTHONPATH" >&2; exit 1; }

password=$(openssl rand -hex 12)
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db" "$password" "$password"
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db_act" "$password" "$password"
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db_tls" "$password" "$password"
free_port() { /usr/bin/python3 "$src/tests/support/free_port.py" "$@"; }  # N distinct, below the ephemeral range
ports=$(free_port 4); read -r port act_port gw_port tls_port <<<"$ports"
tls="$work/tls"
"$src/deploy/tls-certs.sh" "$tls" registry impctl-internal:client
export IMP_DB_PASSWORD=$password IMP_DB_MIGRATION_PASSWORD=$password IMP_LOG_LEVEL=warning
"$build/registry-service/registry_service" --port="$port" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="$db" --db_migration_user="${db}_migrate" --db_name="$db" >"$work/registry.log" 2>&1 &
pids+=($!)
"$build/activity-service/activity_service" --port="$act_port" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="$db_act" --db_migration_user="${db_act}_migrate" --db_name="$db_act" --registry_target="127.0.0.1:$port" >"$work/activity.log" 2>&1 &
pids+=($!)
echo "$(printf %s py-token | sha256sum | cut -d' ' -f1) viewer py" >"$work/tokens.txt"
"$build/gateway/gateway" --port="$gw_port" --tokens_file="$work/tokens.txt" \
  --registry_target="127.0.0.1:$port" --activity_target="127.0.0.1:$act_port" >"$work/gateway.log" 2>&1 &
pids+=($!)
"$build/registry-service/registry_service" --port="$tls_port" --db_socket="$IMP_TEST_DB_SOCKET" \
  --db_user="$db_tls" --db_migration_user="${db_tls}_migrate" --db_name="$db_tls" --tls_cert="$tls/registry.pem" --tls_key="$tls/registry.key" \
  --tls_ca="$tls/ca.pem" >"$work/registry-tls.log" 2>&1 &
pids+=($!)
for p in "$port" "$act_port" "$gw_port"; do
  "$build/tools/impctl/impctl" health --target="127.0.0.1:$p" --wait_seconds=30 >/dev/null \
    || { cat "$work"/*.log; exit 1; }
done
"$build/tools/impctl/impctl" health --target="127.0.0.1:$tls_port" --wait_seconds=30 --ca_cert="$tls/ca.pem" \
  --client_cert="$tls/impctl-internal.pem" --client_key="$tls/impctl-internal.key" >/dev/null \
  || { cat "$work"/*.log; exit 1; }
PYTHONPATH="$work/gen" /usr/bin/python3 "$src/tests/clients/python_client_test.py" \
  "127.0.0.1:$port" "127.0.0.1:$act_port" "127.0.0.1:$gw_port" "127.0.0.1:$tls_port" "$tls"
