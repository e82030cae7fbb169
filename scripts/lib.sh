# Shared by the scripts in this folder: output helpers and the install steps each one needs.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }
fail() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Packages listed under [section] in system-packages.txt.
packages_in() {
  awk -v want="[$1]" '/^\[/ { on = ($0 == want); next } on && NF && !/^#/ { print $1 }' \
    "$ROOT/scripts/system-packages.txt"
}

# Installs whatever is missing from the given sections of system-packages.txt.
install_system_packages() {
  if ! command -v apt-get >/dev/null; then
    echo "Not a Debian/Ubuntu system: install the equivalents of scripts/system-packages.txt yourself."
    return 0
  fi
  local missing=()
  for section in "$@"; do
    while read -r pkg; do
      dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < <(packages_in "$section")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "System packages: all present."
    return 0
  fi
  step "Installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

require_toolchains() {
  command -v cargo >/dev/null || fail "Rust is not installed. Install it from https://rustup.rs and run this again."
  command -v node >/dev/null || fail "Node.js is not installed. Install Node.js 20.19 or newer and run this again."
  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$node_major" -ge 20 ] || fail "Node.js $(node --version) is too old: install Node.js 20.19 or newer."
}

# npm packages for the UI, the Tauri CLI and the end-to-end tests, from the lock file.
install_npm_packages() {
  if [ ! -d "$ROOT/node_modules" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    step "Installing npm packages"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  else
    echo "npm packages: up to date."
  fi
}
