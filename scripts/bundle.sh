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
# Tauri compresses the .deb's files with gzip. Repacked with xz, as Debian's own packages are,
# it is about a third smaller (the app's binary is most of it); every dpkg and apt reads it.
for deb in target/release/bundle/deb/*.deb; do
  unpacked=$(mktemp -d)
  dpkg-deb --raw-extract "$deb" "$unpacked/root"
  dpkg-deb --root-owner-group -Zxz -z9 --build "$unpacked/root" "$deb" >/dev/null
  rm -rf "$unpacked"
done
# Test hooks need the `test-hooks` feature; the shipped binary must not carry one.
if grep -q ipc_calls target/release/bucketforge; then
  fail "the release binary contains the test hook ipc_calls: build it without --features test-hooks"
fi
ls -l target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
