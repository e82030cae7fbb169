#!/usr/bin/env bash
# Runs every test: lints, Rust unit and integration tests, UI tests, the installers, and the real
# window end to end. Installs whatever is missing first, so it works on a fresh machine.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

timings=()
timed() {
  local name=$1 start=$SECONDS
  shift
  step "$name"
  "$@"
  timings+=("$(printf '%-28s %4ss' "$name" $((SECONDS - start)))")
}

install_test_tools() {
  require_toolchains
  install_system_packages run test
  install_npm_packages
  command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version 2.1.0
  # S3 servers the storage tests start: moto from PyPI, Garage from crates.io (a long build,
  # once per machine).
  command -v moto_server >/dev/null || python3 -m pip install --quiet 'moto[server]'
  command -v garage >/dev/null || cargo install garage --locked --version 2.5.0
}

rust_lints() {
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
  # What ships: the app without its tests, so without the `test-hooks` feature they turn on.
  cargo clippy -p bucketforge --locked -- -D warnings
}

rust_tests() {
  # A private D-Bus session with an unlocked gnome-keyring: the keyring tests use the real
  # Secret Service, and nothing of the user's own keyring is touched.
  dbus-run-session -- bash scripts/with-keyring.sh cargo test --workspace --locked
  # `cargo test` regenerates the UI's TypeScript bindings from the Rust types.
  if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
    git status --short -- ui/src/bindings
    fail "ui/src/bindings is out of date with the Rust types: commit what cargo test generated."
  fi
}

ui_tests() {
  npm run typecheck --workspace ui
  npm test --workspace ui
}

end_to_end() {
  # The scripted LLM server and the S3 servers' start-up (moto, Garage) the suite runs.
  cargo build -p bucketforge-scripted-llm -p bucketforge-test-support --bins --locked
  # The suite reads the app's call counter (`ipc_calls`), a test hook: after the installers are
  # built, target/release/bucketforge is rebuilt with it for the window under test.
  npx tauri build --no-bundle --features test-hooks
  # Every test home gets a D-Bus session and an unlocked gnome-keyring of its own (e2e/driver.mjs);
  # dbus-run-session keeps anything else off the desktop's session bus.
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
    node --test --test-concurrency=1 e2e/
}

# A cold run writes about 8 GB (debug and release builds, Garage's build, npm packages): say so
# up front rather than fail half-way with "No space left on device".
free_gb=$(( $(df --output=avail -k "$ROOT" | tail -1) / 1024 / 1024 ))
if [ "$free_gb" -lt 8 ]; then
  printf '\033[1;33mwarning:\033[0m only %s GB free on this disk; a cold test run needs about 8 GB. Free some space (cargo clean removes old builds) if it fails.\n' "$free_gb" >&2
fi

timed "Install test tools" install_test_tools
timed "Rust format and lints" rust_lints
timed "Rust tests" rust_tests
timed "UI typecheck and tests" ui_tests
# Every installer tauri.conf.json names, including the ones only Windows and macOS can build.
timed "Installer settings" node --test scripts/bundle-config.test.mjs
timed "Build installers" bash scripts/bundle.sh
timed "End to end (real window)" end_to_end
timed "Install the .deb" bash scripts/test-install.sh

step "All tests passed"
printf '  %s\n' "${timings[@]}"
printf '  %-28s %4ss\n' "Total" "$SECONDS"
