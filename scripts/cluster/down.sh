#!/usr/bin/env bash
# Ends every process up.sh started, by PID, and removes etcd's data.
# Usage: down.sh STATE_DIR
set -uo pipefail
state=${1:?usage: down.sh STATE_DIR}
[ -f "$state/pids" ] || exit 0
tac "$state/pids" | while read -r pid name; do
  kill "$pid" 2>/dev/null && echo "stopped $name ($pid)" >&2
done
sleep 1
tac "$state/pids" | while read -r pid name; do
  kill -9 "$pid" 2>/dev/null || true
done
[ -f "$state/etcd-dir" ] && rm -rf "$(cat "$state/etcd-dir")"
rm -f "$state/pids"
