#!/usr/bin/env bash
# Drives one release of an app directory (manifests and a release.yaml) to
# its end with rollspec's verbs, one step at a time: set-image, then step
# while the canary has steps left, then promote. After each step it commits
# (COMMIT=1), deploys, and waits for `rollspec status --wait` before the
# next one. When a step fails (status exits 1, or 2 on timeout) it rolls
# back (abort for a canary, flip after a blue/green promote), deploys and
# waits for that, and exits 1.
#
# Usage: release.sh APP_DIR IMAGE
#   CANARY_STEPS=10,50   start a canary of IMAGE with these weights (a rolling
#                        Release becomes a canary; without it set-image
#                        releases the way the Release says)
#   DEPLOY=kubectl       render and kubectl apply, pruning with an ApplySet
#                        named after the app (default)
#   DEPLOY=push          git push, and let Argo CD apply the commit
#   DEPLOY='COMMAND'     any other value is run with bash -c (for Flux: render
#                        into the branch it watches and push that)
#   COMMIT=1             commit each step with the message rollspec suggests
#   NAMESPACE=devops     namespace for the ApplySet and for objects that name none
#   TIMEOUT=10m          how long each step may take
set -euo pipefail
app=${1:?usage: release.sh APP_DIR IMAGE}
image=${2:?usage: release.sh APP_DIR IMAGE}
ns=${NAMESPACE:-default}
applyset=${APPLYSET:-rollspec-$(basename "$(cd "$app" && pwd)")}

say() { echo "release.sh: $*" >&2; }

# commit MESSAGE: one commit per step, so Git holds every step of the release.
commit() {
  [ "${COMMIT:-}" = 1 ] || return 0
  git -C "$app" add -A .
  git -C "$app" commit -q -m "$1"
  say "committed: $1"
}

deploy() {
  case "${DEPLOY:-kubectl}" in
    kubectl)
      # render prints nothing on error, so nothing is applied then; the
      # ApplySet prunes what left the render (a promoted or aborted canary).
      local out
      out=$(rollspec render "$app")
      KUBECTL_APPLYSET=true kubectl apply -n "$ns" --prune --applyset="$applyset" -f - <<<"$out" >&2 ;;
    push) git -C "$app" push -q ;;
    *) bash -c "$DEPLOY" ;;
  esac
}

# wait_step: status exits 0 healthy, 1 failed, 2 timed out, 3 no verdict.
wait_step() {
  local code=0
  rollspec status "$app" -n "$ns" --wait --timeout "${TIMEOUT:-10m}" >&2 || code=$?
  say "status --wait: exit $code"
  return "$code"
}

# run VERB ARGS...: one step: edit, commit, deploy, wait. It is called
# as `run ... || rollback`, where bash ignores set -e, so every failure
# that is not the step's own verdict exits here.
run() {
  local msg
  msg=$(rollspec "$@" --message-only) || { say "rollspec $1 failed"; exit 2; }
  if [ -n "$msg" ]; then
    say "$1: $msg"
    commit "$msg" || { say "git commit failed"; exit 2; }
  else
    # Nothing to change (a release already started, already promoted): the
    # current state is still deployed and waited for before going on.
    say "$1: nothing to change"
  fi
  deploy || { say "deploy failed"; exit 2; }
  wait_step
}

promoted=0
rollback() {
  say "the step failed; rolling back"
  if rollspec abort "$app" --dry-run >/dev/null 2>&1; then
    run abort "$app"
  elif [ "$promoted" = 1 ] && rollspec flip "$app" --dry-run >/dev/null 2>&1; then
    run flip "$app"
  else
    say "nothing to roll back with a verb: the Services still reach the serving release"
  fi
  exit 1
}

start=(set-image "$app" "$image")
[ -z "${CANARY_STEPS:-}" ] || start+=(--canary-steps "$CANARY_STEPS")
run "${start[@]}" || rollback
# step --dry-run succeeds while a canary has a next step.
while rollspec step "$app" --dry-run >/dev/null 2>&1; do
  run step "$app" || rollback
done
promoted=1
run promote "$app" --expect-image "$image" || rollback
say "released $image"
