#!/usr/bin/env bash
# Prints the Kubernetes Secrets of deploy/k8s/ (namespace imp) from the files
# deploy/container/make-secrets.sh makes; apply them before the manifests:
#
#   deploy/container/make-secrets.sh deploy/secrets
#   deploy/k8s/secrets.sh deploy/secrets | kubectl apply -f -
#   kubectl apply -f deploy/k8s/
#
# imp-db (MariaDB passwords), imp-tokens (the gateway's tokens file), imp-page-token (the key
# every replica signs page tokens with), imp-tls (CA and certificates; not the CA's key).
set -euo pipefail
DIR=${1:?usage: secrets.sh SECRETS_DIR}
secret() {  # NAME FILE...: one Secret, each file a key named after it
  local name=$1 f
  shift
  printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: imp\ntype: Opaque\ndata:\n' "$name"
  for f in "$@"; do printf '  %s: %s\n' "$(basename "$f")" "$(base64 -w0 <"$f")"; done
}
secret imp-db "$DIR"/db/*
secret imp-tokens "$DIR/tokens/tokens.txt"
secret imp-page-token "$DIR/page-token/page-token.key"
secret imp-tls "$DIR/tls/ca.pem" "$DIR"/tls/{gateway,registry,activity}.{pem,key}
