#!/usr/bin/env bash
# Builds the control plane the end-to-end tests run against, from the Go
# module proxy, into a cache keyed by version; a warm cache skips the build.
# Cold: about 10 minutes on 2 cores. Prints the bin directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
KWOK_VERSION=v0.8.0
cache=${ROLLSPEC_CLUSTER_CACHE:-$HOME/.cache/rollspec/cluster}
bin=$cache/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
mkdir -p "$bin"
need() { for b in "$@"; do [ -x "$bin/$b" ] || return 0; done; return 1; }
if need kube-apiserver kube-controller-manager kube-scheduler etcd; then
  echo "building Kubernetes $K8S_VERSION and etcd $ETCD_VERSION into $bin" >&2
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=34"
  (cd "$here/build" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "$ldflags" -o "$bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler)
  (cd "$here/build" && GOFLAGS=-mod=readonly go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
fi
if need kwok; then
  echo "building kwok $KWOK_VERSION into $bin" >&2
  GOBIN="$bin" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi
echo "$bin"
