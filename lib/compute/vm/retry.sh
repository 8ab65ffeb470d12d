#!/bin/sh
# Usage: retry STATE_FILE COMMAND [ARGUMENT ...]
set -u
# the step, for the log lines: the state file's name (after the shift, $1 is the command)
step=$(basename "$1" .state)
state="${SLOTENV_PREFIX:-}$1"; shift
delay="${RETRY_FIRST_SECONDS:-5}"
max="${RETRY_MAX_SECONDS:-300}"
attempts="${RETRY_ATTEMPTS:-0}"
mkdir -p "$(dirname "$state")"
err=$(mktemp)
trap 'rm -f "$err" "$state.new"' EXIT
record() { printf '%s\n' "$1" > "$state.new" && mv -f "$state.new" "$state"; }
attempt=1
while :; do
  record "running attempt $attempt"
  "$@" 2> "$err"
  status=$?
  cat "$err" >&2
  reason=$(grep -v '^[[:space:]]*$' "$err" | tail -n 1 | tr -d '\r')
  case $status in
    0) record "ready"; exit 0 ;;
    65) record "failed ${reason:-exit 65}"; echo "retry: $step failed for good" >&2; exit 65 ;;
  esac
  if [ "$attempts" -gt 0 ] && [ "$attempt" -ge "$attempts" ]; then
    record "failed after $attempt attempts: ${reason:-exit $status}"; exit 1
  fi
  record "retrying after attempt $attempt (exit $status: ${reason:-no message}), next in ${delay}s"
  echo "retry: $step attempt $attempt failed (exit $status); next in ${delay}s" >&2
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2)); [ "$delay" -gt "$max" ] && delay="$max"
done
