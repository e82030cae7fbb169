#!/usr/bin/env bash
# Runs a command next to a fresh, unlocked gnome-keyring on the current D-Bus session (start
# it inside dbus-run-session). The keyring's files live in a temp dir, so a keyring left by an
# earlier run (with another password) can never turn into an unlock prompt nobody answers.
set -euo pipefail
keyrings=$(mktemp -d)
trap 'rm -rf "$keyrings"' EXIT
printf 'test-keyring' | XDG_DATA_HOME="$keyrings" gnome-keyring-daemon --unlock --components=secrets >/dev/null
"$@"
