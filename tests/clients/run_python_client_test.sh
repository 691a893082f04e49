#!/usr/bin/env bash
# Cross-language proof: a Python client generated from proto/ alone (plus the standard health
# and reflection protos) drives the real registry_service binary over loopback, in plaintext and
# (a second registry) under mutual TLS with the internal-tools certificate.
# Needs IMP_TEST_DB_SOCKET (tests/run.sh sets it). Args: BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
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

mkdir -p "$work/gen" "$work/std/grpc_std"
protoc -I "$src/proto" -I /usr/include \
  --python_out="$work/gen" --grpc_out="$work/gen" --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \
  $(cd "$src/proto" && find imp google -name '*.proto')
# The standard health and reflection protos, under a file path that does not collide with the
# grpc runtime package (the wire names grpc.health.v1 / grpc.reflection.v1alpha are unchanged).
cp -r /usr/share/grpc-proto/grpc/health /usr/share/grpc-proto/grpc/reflection "$work/std/grpc_std/"
protoc -I "$work/std" --python_out="$work/gen" --grpc_out="$work/gen" \
  --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin \
  grpc_std/health/v1/health.proto grpc_std/reflection/v1alpha/reflection.proto

# Regular packages for our trees: the standard library has a module named `imp`, and a
# namespace package would lose to it. (google/ stays a namespace package: google.protobuf.)
find "$work/gen/imp" "$work/gen/grpc_std" -type d -exec touch {}/__init__.py \;

password=$(openssl rand -hex 12)
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db" "$password" "$password"
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db_act" "$password" "$password"
"$src/deploy/provision-db.sh" "$IMP_TEST_DB_SOCKET" "$db_tls" "$password" "$password"
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port) act_port=$(free_port) gw_port=$(free_port) tls_port=$(free_port)
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
