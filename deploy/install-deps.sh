#!/usr/bin/env bash
# Installs the Debian packages the suite needs to build, test and run locally.
# Idempotent: installs only what is missing, runs `apt-get update` at most once.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  openssl coreutils python3              # scripts: secrets, token hashes, free ports
  protobuf-compiler libprotobuf-dev
  libgrpc++-dev protobuf-compiler-grpc   # gRPC's CMake config requires the plugins
  libabsl-dev
  libmysqlcppconn-dev
  libgtest-dev libgmock-dev
  libmicrohttpd-dev                      # the admin port's /metrics (Prometheus text format)
  libcurl4-openssl-dev                   # HTTP client: imp_bench's scraper, the metrics tests
  prometheus                             # promtool and a private Prometheus in the tests (#24)
  grpc-proto                             # grpc.health.v1 proto for clients (impctl health)
  mariadb-server mariadb-client
  python3-grpcio python3-protobuf        # cross-language client test (generated from protos alone)
  libxml2-utils                          # xmllint: the IATI export test validates against the schema
  galera-4 mariadb-backup socat          # deploy/galera: 3-node cluster, state transfers (SST/IST)
  python3-yaml                           # tests/deploy/manifests_test.py parses compose and k8s
  clang libclang-rt-14-dev               # fuzz_short: libFuzzer harnesses with ASan + UBSan
  procps                                 # ps/pgrep in the test scripts (a bare bookworm lacks it)
  git                                    # reports name the commit they were measured at
)
# npm fetches @bufbuild/buf for `buf lint`. Images that ship Node.js from elsewhere already have npm
# (and Debian's npm package conflicts with them), so ask apt for it only when it is absent.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # On a machine run by systemd, installing Debian's prometheus package also enables and starts
  # a system-wide Prometheus (prometheus.service, :9090 on every address, keeping data in
  # /var/lib/prometheus). The suite needs only the binaries: promtool, and the private
  # Prometheus its tests start on loopback. So stop and disable that service, but only when this
  # run just installed the package: a Prometheus the operator installed and runs is never touched.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    echo "install-deps: stopping and disabling the prometheus service the package started"
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

# buf ships its binary inside the npm package; keep it project-local (tools/node_modules is ignored).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$ROOT/tools/buf/node_modules/.bin/buf" ]; then
  echo "install-deps: installing @bufbuild/buf from npm"
  (cd "$ROOT/tools/buf" && npm install --no-audit --no-fund --silent >/dev/null)
fi
