#!/usr/bin/env bash
# Makes a private CA and certificates it signs, for TLS and mutual TLS between the suite's
# processes. deploy/local/up.sh uses it for $IMP_STATE_DIR/tls; the tests make a throwaway CA
# with it in a temporary directory.
#
#   deploy/tls-certs.sh DIR NAME[:client]...
#
# DIR/ca.pem (the CA certificate, what --tls_ca / --ca_cert / IMP_CA_CERT name) and DIR/ca.key.
# For each NAME: DIR/NAME.pem and DIR/NAME.key, subject CN=NAME (the identity services see).
#   NAME         server and client certificate: SAN DNS:localhost, IP:127.0.0.1, DNS:NAME;
#                extended key usage serverAuth and clientAuth (a service calls others with it).
#   NAME:client  client certificate only (clientAuth, no SAN), e.g. impctl-internal:client.
# Idempotent: existing files are kept; a new CA re-issues every certificate named. Keys are
# EC P-256 (quick to make, supported by gRPC's TLS), mode 600, unencrypted (services read them
# at start-up). Certificates: the CA 10 years, the others 825 days.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 DIR NAME[:client]..." >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

fresh_ca=0
if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/ca.key" ]; then
  new_key "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -out "$dir/ca.pem.tmp" -days 3650 -subj "/CN=imp local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  mv "$dir/ca.pem.tmp" "$dir/ca.pem"
  fresh_ca=1
fi

for spec in "$@"; do
  name=${spec%:client}
  if [ "$fresh_ca" = 0 ] && [ -f "$dir/$name.pem" ] && [ -f "$dir/$name.key" ]; then continue; fi
  if [ "$spec" = "$name" ]; then
    ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:$name"
  else
    ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
  fi
  new_key "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 825 -extfile <(printf '%s\n' "$ext") \
    -out "$dir/$name.pem.tmp" 2>/dev/null
  mv "$dir/$name.pem.tmp" "$dir/$name.pem"
  rm -f "$dir/$name.csr"
done
chmod 600 "$dir"/*.key
chmod 644 "$dir"/*.pem
