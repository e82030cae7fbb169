#!/usr/bin/env bash
# Benchmark (not a test): what a download and an install weigh. The installers, the release binary
# and the UI it embeds (all of it, and what the first frame waits for), against the 12 MB goal
# for the .deb. Usage: bench/size.sh   (run scripts/bundle.sh first)
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
debs=(target/release/bundle/deb/*.deb)
rpms=(target/release/bundle/rpm/*.rpm)
[ ${#debs[@]} -eq 1 ] && [ ${#rpms[@]} -eq 1 ] || { echo "Run scripts/bundle.sh first (one .deb and one .rpm expected)." >&2; exit 1; }

goal=$((12 * 1000 * 1000))
bytes() { stat -c %s "$1"; }
line() { printf '%-30s %12s bytes  %7.2f MB\n' "$1" "$2" "$(echo "$2 / 1000000" | bc -l)"; }

deb=$(bytes "${debs[0]}")
line ".deb" "$deb"
line ".rpm" "$(bytes "${rpms[0]}")"
# The binary inside the .deb is the one shipped (the release build may since have been rebuilt
# with test hooks).
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
dpkg-deb -x "${debs[0]}" "$unpacked"
line "binary in the .deb" "$(bytes "$unpacked/usr/bin/bucketforge")"
ui=$(find ui/dist -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
line "UI, every file" "$ui"
# What index.html loads before the first React render: its script and stylesheet.
first=0
for asset in $(grep -oE '/assets/[^"]+\.(js|css)' ui/dist/index.html); do
  first=$((first + $(bytes "ui/dist$asset")))
done
line "UI, loaded before first render" "$first"
printf '.deb / 12 MB goal: %.2f\n' "$(echo "$deb / $goal" | bc -l)"
