#!/usr/bin/env bash
# Benchmark (not a test): release build's time to a visible and to a painted window, and idle RSS.
# Usage: bench/startup.sh [runs] [binary]   (run scripts/bundle.sh first for the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${2:-target/release/bucketforge}
[ -x "$bin" ] || { echo "No $bin: run scripts/bundle.sh first." >&2; exit 1; }

xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -s "$runs" "$bin" <<'INNER'
set -euo pipefail
runs=$1 bin=$2
now_ms() { date +%s%3N; }
# The app plus the WebKit processes it spawns (threads excluded): what the machine really pays.
# RSS counts shared libraries in full in every process; PSS splits them fairly.
tree_pids() { echo "$1" $(pgrep -P "$1"); }
sum_kb() { # field pid...
  local field=$1 total=0 kb
  shift
  for pid in "$@"; do
    kb=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$pid/smaps_rollup")
    total=$((total + kb))
  done
  echo "$total"
}
mb() { printf '%.1f' "$(echo "$1 / 1024" | bc -l)"; }
printf '%-4s %11s %11s %13s %13s %13s\n' run visible_ms painted_ms app_rss_mb tree_rss_mb tree_pss_mb
for i in $(seq 1 "$runs"); do
  shot=$(mktemp --suffix .png)
  start=$(now_ms)
  "$bin" & app=$!
  # Polled every 10 ms: `xdotool search --sync` sleeps half a second between its own tries.
  until xdotool search --onlyvisible --name '^BucketForge$' >/dev/null; do sleep 0.01; done
  visible=$(( $(now_ms) - start ))
  until import -window root "$shot" && [ "$(identify -format '%k' "$shot")" -gt 64 ]; do :; done
  painted=$(( $(now_ms) - start ))
  sleep 5
  pids=$(tree_pids "$app")
  printf '%-4s %11s %11s %13s %13s %13s\n' "$i" "$visible" "$painted" \
    "$(mb "$(sum_kb Rss "$app")")" "$(mb "$(sum_kb Rss $pids)")" "$(mb "$(sum_kb Pss $pids)")"
  kill $app; wait $app 2>/dev/null || true
  rm -f "$shot"
done
INNER
