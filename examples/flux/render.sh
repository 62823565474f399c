#!/usr/bin/env bash
# The CI render step for Flux: renders every app directory (one that holds
# a release.yaml) under SRC into OUT/<path of the app under SRC>/manifests.yaml,
# plus a kustomization.yaml that lists it, for Flux's kustomize-controller.
# apps/team-a/web and apps/team-b/web land in OUT/team-a/web and
# OUT/team-b/web: two apps of one name never share a file. When SRC is
# itself an app, it lands in OUT/<name of SRC>.
# A failed render stops the script before anything is written to OUT.
# Usage: render.sh SRC OUT
set -euo pipefail
src=${1:?usage: render.sh SRC OUT}
out=${2:?usage: render.sh SRC OUT}
src=${src%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
apps=()
while IFS= read -r -d '' release; do
  dir=$(dirname "$release")
  app=${dir#"$src"}
  app=${app#/}
  [ -n "$app" ] || app=$(basename "$(cd "$src" && pwd)")
  mkdir -p "$tmp/$app"
  rollspec render "$dir" > "$tmp/$app/manifests.yaml"
  printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - manifests.yaml\n' > "$tmp/$app/kustomization.yaml"
  apps+=("$app")
done < <(find "$src" -name release.yaml -print0 | sort -z)
[ ${#apps[@]} -gt 0 ] || { echo "render.sh: no release.yaml under $src" >&2; exit 1; }
mkdir -p "$out"
for app in "${apps[@]}"; do
  # Only this app's own files: an app nested in it has its own entry.
  mkdir -p "$out/$app"
  cp "$tmp/$app/manifests.yaml" "$tmp/$app/kustomization.yaml" "$out/$app/"
done
echo "rendered ${apps[*]} into $out" >&2
