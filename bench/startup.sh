#!/usr/bin/env bash
# Benchmark (not a test): release build's time to a visible and to a painted window, and idle
# memory, with the app's renderer (`cpu`: no GL in the app process, src-tauri/src/renderer.rs)
# and with WebKit's and GTK's defaults (`gpu`: BUCKETFORGE_GPU=1), taking turns in one run.
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
table=$(mktemp)
# Set, the renderer's variables would leave the app's choice to the environment: every run unsets them.
quiet=(-u GDK_GL -u WEBKIT_DISABLE_COMPOSITING_MODE -u WEBKIT_FORCE_COMPOSITING_MODE -u __EGL_VENDOR_LIBRARY_FILENAMES -u BUCKETFORGE_GPU)
printf '%-4s %-9s %11s %11s %11s %11s %12s %12s\n' run renderer visible_ms painted_ms app_rss_mb app_pss_mb tree_rss_mb tree_pss_mb
for i in $(seq 1 "$runs"); do
  # Each run measures both, the one that goes first alternating.
  if [ $((i % 2)) -eq 1 ]; then order="cpu gpu"; else order="gpu cpu"; fi
  for renderer in $order; do
    shot=$(mktemp --suffix .png)
    start=$(now_ms)
    if [ "$renderer" = gpu ]; then
      env "${quiet[@]}" BUCKETFORGE_GPU=1 "$bin" & app=$!
    else
      env "${quiet[@]}" "$bin" & app=$!
    fi
    # Polled every 10 ms: `xdotool search --sync` sleeps half a second between its own tries.
    until xdotool search --onlyvisible --name '^BucketForge$' >/dev/null; do sleep 0.01; done
    visible=$(( $(now_ms) - start ))
    until import -window root "$shot" && [ "$(identify -format '%k' "$shot")" -gt 64 ]; do :; done
    painted=$(( $(now_ms) - start ))
    sleep 5
    pids=$(tree_pids "$app")
    row=$(printf '%-4s %-9s %11s %11s %11s %11s %12s %12s' "$i" "$renderer" "$visible" "$painted" \
      "$(mb "$(sum_kb Rss "$app")")" "$(mb "$(sum_kb Pss "$app")")" \
      "$(mb "$(sum_kb Rss $pids)")" "$(mb "$(sum_kb Pss $pids)")")
    echo "$row"
    echo "$row" >> "$table"
    kill $app; wait $app 2>/dev/null || true
    rm -f "$shot"
  done
done
# The median of each column per renderer, and cpu ÷ gpu.
awk '
  { for (c = 3; c <= 8; c++) v[$2, c, ++n[$2, c]] = $c }
  function median(r, c,   k, i, j, t, a) {
    k = n[r, c]; for (i = 1; i <= k; i++) a[i] = v[r, c, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    split("visible_ms painted_ms app_rss_mb app_pss_mb tree_rss_mb tree_pss_mb", name, " ")
    for (c = 3; c <= 8; c++)
      printf "median %-12s gpu %8.1f  cpu %8.1f  cpu/gpu %.3f\n", name[c - 2], median("gpu", c), median("cpu", c), median("cpu", c) / median("gpu", c)
  }' "$table"
rm -f "$table"
INNER
