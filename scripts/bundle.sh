#!/usr/bin/env bash
# Builds the Linux installers (.deb and .rpm) offline into target/release/bundle/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

require_toolchains
install_system_packages run
install_npm_packages
step "Building the .deb and .rpm installers"
cd "$ROOT"
npx tauri build --bundles deb,rpm
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
