#!/usr/bin/env bash
# The CI render step for Flux: renders every app directory (one that holds
# a release.yaml) under SRC into OUT/<app>/manifests.yaml, plus a
# kustomization.yaml that lists them, for Flux's kustomize-controller.
# A failed render stops the script before anything is written to OUT.
# Usage: render.sh SRC OUT
set -euo pipefail
src=${1:?usage: render.sh SRC OUT}
out=${2:?usage: render.sh SRC OUT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apps=()
for release in $(find "$src" -name release.yaml | sort); do
  app=$(basename "$(dirname "$release")")
  mkdir -p "$tmp/$app"
  rollspec render "$(dirname "$release")" > "$tmp/$app/manifests.yaml"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - manifests.yaml\n' > "$tmp/$app/kustomization.yaml"
  apps+=("$app")
done
[ ${#apps[@]} -gt 0 ] || { echo "render.sh: no release.yaml under $src" >&2; exit 1; }
mkdir -p "$out"
for app in "${apps[@]}"; do
  rm -rf "${out:?}/$app"
  cp -r "$tmp/$app" "$out/$app"
done
echo "rendered ${apps[*]} into $out" >&2
