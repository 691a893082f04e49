#!/usr/bin/env bash
# tools/gen-python-stubs.sh OUTDIR
#
# Python message and gRPC stubs for the imp API, generated with the stock protoc and
# grpc_python_plugin (Debian: protobuf-compiler, protobuf-compiler-grpc) into OUTDIR, ready to
# import with OUTDIR on sys.path (PYTHONPATH=OUTDIR) and Debian's python3-grpcio and
# python3-protobuf:
#
#   imp/{registry,activity,gateway}/v1/*_pb2(_grpc).py     the API (packages imp.*.v1)
#   google/{api,rpc,type}/*_pb2.py                         the vendored Google protos
#   grpc_health/v1/health_pb2(_grpc).py                    grpc.health.v1 Health
#   grpc_reflection/v1alpha/reflection_pb2(_grpc).py       grpc.reflection.v1alpha
#
# Every generated directory is made a regular package (an __init__.py). protoc writes none, and
# a directory without one is only a namespace package, which loses to any module of the same
# name: Python 3.11's standard library has a (deprecated) module `imp`, so `import
# imp.registry.v1.registry_pb2` fails with "'imp' is not a package" unless `imp/` is a regular
# package found first on sys.path. The proto packages and the module paths stay what protoc
# makes of them (imp.registry.v1...), so client code does not change.
#
# `google/__init__.py` also extends the package over the other `google` directories on
# sys.path (pkgutil.extend_path), because the protobuf runtime's google.protobuf lives there.
# The health and reflection protos are generated under grpc_health/ and grpc_reflection/, the
# module paths of the grpcio-health-checking and grpcio-reflection packages, because a generated
# `grpc/` package would hide the grpc runtime itself. Their wire names (grpc.health.v1.Health)
# are unchanged.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: tools/gen-python-stubs.sh OUTDIR" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
protoc=$(command -v protoc) || { echo "gen-python-stubs: protoc not found (protobuf-compiler)" >&2; exit 1; }
plugin=$(command -v grpc_python_plugin) \
  || { echo "gen-python-stubs: grpc_python_plugin not found (protobuf-compiler-grpc)" >&2; exit 1; }
grpc_proto=/usr/share/grpc-proto/grpc   # Debian's grpc-proto package
[ -f "$grpc_proto/health/v1/health.proto" ] \
  || { echo "gen-python-stubs: $grpc_proto/health/v1/health.proto not found (grpc-proto)" >&2; exit 1; }

# The API and the vendored Google protos; google/protobuf/* imports resolve from /usr/include
# and are not generated (the protobuf runtime ships them).
mapfile -t protos < <(cd "$root/proto" && find imp google -name '*.proto' | sort)
"$protoc" -I "$root/proto" -I /usr/include --python_out="$out" --grpc_out="$out" \
  --plugin=protoc-gen-grpc="$plugin" "${protos[@]}"

# Health and reflection, under the file paths grpcio-health-checking / grpcio-reflection use.
std=$(mktemp -d)
trap 'rm -rf "$std"' EXIT
mkdir -p "$std/grpc_health/v1" "$std/grpc_reflection/v1alpha"
cp "$grpc_proto/health/v1/health.proto" "$std/grpc_health/v1/"
cp "$grpc_proto/reflection/v1alpha/reflection.proto" "$std/grpc_reflection/v1alpha/"
"$protoc" -I "$std" --python_out="$out" --grpc_out="$out" --plugin=protoc-gen-grpc="$plugin" \
  grpc_health/v1/health.proto grpc_reflection/v1alpha/reflection.proto

# Regular packages, all the way down from each top-level tree this script generates.
for top in imp google grpc_health grpc_reflection; do
  find "$out/$top" -type d | while read -r dir; do
    [ -e "$dir/__init__.py" ] || : >"$dir/__init__.py"
  done
done
cat >"$out/google/__init__.py" <<'PY'
# Written by tools/gen-python-stubs.sh: a regular package (google.api, google.rpc and google.type
# generated here) that also spans the other `google` directories on sys.path, where the protobuf
# runtime keeps google.protobuf.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
PY
echo "gen-python-stubs: Python stubs in $out (put it first on sys.path: PYTHONPATH=$out)"
