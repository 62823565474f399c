#!/usr/bin/env bash
# Installs the real tools the integration tests drive, into bin/:
# kustomize (pinned; v5.8.3 and later need Go 1.27). kpt is not on the Go
# module proxy in a buildable form: it comes with the machine image, and
# this script fails clearly when it is missing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KUSTOMIZE_VERSION=v5.8.2
export GOBIN=$root/bin
mkdir -p "$GOBIN"
if ! "$GOBIN/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
  echo "installing kustomize $KUSTOMIZE_VERSION into $GOBIN" >&2
  go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
if ! command -v kpt >/dev/null; then
  echo "kpt is missing: the integration tests need kpt on PATH (the machine image ships it as /usr/bin/kpt)" >&2
  exit 1
fi
echo "kustomize $("$GOBIN/kustomize" version), kpt $(kpt version)" >&2
