#!/usr/bin/env bash
# Makes the secrets deploy/compose.yaml and deploy/k8s/ run with, as files in DIR (default
# deploy/secrets, ignored by git and by the image build). Idempotent: existing files are kept.
#
#   db/<schema>-password, db/<schema>-migration-password   MariaDB passwords (alphanumeric)
#   tokens/tokens.txt, tokens/admin.token                   the gateway's tokens file (hashes
#                                                           only) and the admin token it accepts
#   page-token/page-token.key                               page-token key every replica shares
#   tls/ca.pem, tls/NAME.pem, tls/NAME.key                  deploy/tls-certs.sh: gateway,
#                                                           registry, activity (SAN DNS:NAME, the
#                                                           Service names) and impctl-internal
# deploy/k8s/secrets.sh turns DIR into Kubernetes Secrets.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR=${1:-$ROOT/deploy/secrets}
umask 077
mkdir -p "$DIR/db" "$DIR/tokens" "$DIR/page-token" "$DIR/tls"
for schema in imp_registry imp_activity; do
  for f in "$schema-password" "$schema-migration-password"; do
    [ -f "$DIR/db/$f" ] || openssl rand -hex 16 >"$DIR/db/$f"
  done
done
if [ ! -f "$DIR/tokens/admin.token" ]; then
  openssl rand -hex 24 >"$DIR/tokens/admin.token"
  printf '# sha256(token) role actor [institutions...]\n%s admin office-admin\n' \
    "$(tr -d '\n' <"$DIR/tokens/admin.token" | sha256sum | cut -d' ' -f1)" >"$DIR/tokens/tokens.txt"
fi
[ -f "$DIR/page-token/page-token.key" ] || openssl rand -hex 32 >"$DIR/page-token/page-token.key"
bash "$ROOT/deploy/tls-certs.sh" "$DIR/tls" gateway registry activity impctl-internal:client
# The images run as uid 65532; compose mounts these files as they are.
[ "$(id -u)" = 0 ] && chown -R 65532:65532 "$DIR"
echo "secrets in $DIR (admin token: $DIR/tokens/admin.token)"
