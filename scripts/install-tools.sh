#!/usr/bin/env bash
# Installs the real tools the integration tests drive and the sidecar image
# carries, into bin/:
#   bin/kustomize    kustomize v5.8.2 (v5.8.3 and later need Go 1.27)
#   bin/helm         Helm 3, the post-renderer executable case
#   bin/helm4/helm   Helm 4, the post-renderer plugin case (a directory of
#                    its own: both CLIs are called helm)
# Usage: scripts/install-tools.sh [kustomize] [helm] [helm4] [kpt]
# (no argument: all four). Each is built from the Go module proxy once and
# skipped when the pinned version is there. The Helm versions are those of
# scripts/tools/go.mod, one module for both so that their shared
# dependencies are compiled once and go.sum verifies them; the binaries
# are kept in ~/.cache/rollspec/tools (ROLLSPEC_TOOLS_CACHE) for every
# checkout, and linked into bin/. All are static and -trimpath, as the
# image needs. kpt is not on the Go module proxy in a buildable form: it
# comes with the machine image, and this script fails clearly without it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
KUSTOMIZE_VERSION=v5.8.2
tools_mod=$root/scripts/tools/go.mod
HELM3_VERSION=$(awk '$1 == "helm.sh/helm/v3" {print $2}' "$tools_mod")
HELM4_VERSION=$(awk '$1 == "helm.sh/helm/v4" {print $2}' "$tools_mod")
# The Kubernetes version helm template assumes without a cluster is one
# minor past client-go's (v0.37 -> 1.37). Helm 4 reads it from the build
# info; Helm 3 takes it from ldflags, as Helm's own Makefile sets them.
CLIENT_GO_MINOR=$(awk '$1 == "k8s.io/client-go" {split($2, v, "."); print v[2]}' "$tools_mod")
cache=${ROLLSPEC_TOOLS_CACHE:-$HOME/.cache/rollspec/tools}
bin=$root/bin
export CGO_ENABLED=0
[ $# -gt 0 ] || set -- kustomize helm helm4 kpt
mkdir -p "$bin"

# helm_version prints the version a helm binary reports, or nothing.
helm_version() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

install_helm() { # major version target
  local major=$1 version=$2 target=$3
  local built=$cache/helm-$version-k8s1.$CLIENT_GO_MINOR/helm
  local ldflags="-s -w -X helm.sh/helm/$major/internal/version.version=$version"
  if [ "$major" = v3 ]; then
    for pkg in pkg/lint/rules pkg/chartutil; do
      ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$CLIENT_GO_MINOR"
    done
  fi
  if [ "$(helm_version "$built")" != "$version" ]; then
    echo "building helm $version into $built" >&2
    local start=$SECONDS
    mkdir -p "$(dirname "$built")"
    # Helm prints its version from ldflags, as its own Makefile sets it.
    (cd "$root/scripts/tools" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "$ldflags" \
      -o "$built" "helm.sh/helm/$major/cmd/helm")
    echo "built helm $version in $((SECONDS - start))s" >&2
  fi
  mkdir -p "$(dirname "$target")"
  ln -sfn "$built" "$target"
}

for tool in "$@"; do
  case $tool in
  kustomize)
    if ! "$bin/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
      echo "installing kustomize $KUSTOMIZE_VERSION into $bin" >&2
      GOBIN=$bin go install -trimpath -ldflags '-s -w' "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
    fi
    echo "kustomize $("$bin/kustomize" version)" >&2 ;;
  helm)
    install_helm v3 "$HELM3_VERSION" "$bin/helm"
    echo "helm $(helm_version "$bin/helm")" >&2 ;;
  helm4)
    install_helm v4 "$HELM4_VERSION" "$bin/helm4/helm"
    echo "helm4 $(helm_version "$bin/helm4/helm")" >&2 ;;
  kpt)
    if ! command -v kpt >/dev/null; then
      echo "kpt is missing: the integration tests need kpt on PATH (the machine image ships it as /usr/bin/kpt)" >&2
      exit 1
    fi
    echo "kpt $(kpt version)" >&2 ;;
  *)
    echo "install-tools.sh: unknown tool $tool; allowed: kustomize, helm, helm4, kpt" >&2
    exit 2 ;;
  esac
done
