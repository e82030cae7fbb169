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
# Test hooks need the `test-hooks` feature; the shipped binary must not carry one.
if grep -q ipc_calls target/release/bucketforge; then
  fail "the release binary contains the test hook ipc_calls: build it without --features test-hooks"
fi
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
