#!/usr/bin/env bash
# Runs BucketForge from source, installing whatever is missing first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_toolchains
install_system_packages run
install_npm_packages
step "Starting BucketForge (the first build takes a few minutes)"
cd "$ROOT"
exec npx tauri dev "$@"
