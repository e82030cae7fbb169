#!/usr/bin/env bash
# Installs the built .deb, checks the installed app opens a window, then removes the package.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PACKAGE=bucket-forge
ARTIFACTS="$ROOT/artifacts/install"
mkdir -p "$ARTIFACTS"

deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1)
rpm=$(ls -t target/release/bundle/rpm/*.rpm 2>/dev/null | head -1)
[ -n "$deb" ] || fail "No .deb in target/release/bundle/deb: run scripts/bundle.sh first."
[ -n "$rpm" ] || fail "No .rpm in target/release/bundle/rpm: run scripts/bundle.sh first."

step "Checking the installers' metadata"
[ "$(dpkg-deb -f "$deb" Package)" = "$PACKAGE" ] || fail "the .deb is not named $PACKAGE"
# Captured first: with pipefail, `grep -q` closing the pipe early would fail the check.
description=$(dpkg-deb -f "$deb" Description)
[[ "$description" == *"S3 bucket"* ]] || fail "the .deb has no real description"
rpm_info=$(rpm -qp --queryformat '%{NAME} %{LICENSE}' "$rpm" 2>/dev/null)
[ "$rpm_info" = "$PACKAGE MIT" ] || fail "the .rpm's name or license is wrong: $rpm_info"
echo "$(basename "$deb"): $(du -k "$deb" | cut -f1) KiB; $(basename "$rpm"): $(du -k "$rpm" | cut -f1) KiB"
# bundle.sh repacks the .deb with xz; a gzip one would be about a third bigger.
ar t "$deb" | grep -qx 'data.tar.xz' || fail "the .deb's files are not xz-compressed: $(ar t "$deb" | tr '\n' ' ')"

remove_package() { as_root dpkg -r "$PACKAGE" >/dev/null 2>&1 || true; }
trap remove_package EXIT

step "Installing $deb"
as_root apt-get install -y -qq "./$deb" >/dev/null
[ -x /usr/bin/bucketforge ] || fail "/usr/bin/bucketforge was not installed"
grep -q '^Exec=bucketforge' /usr/share/applications/BucketForge.desktop ||
  fail "the desktop entry does not start bucketforge"
version=$(env -u DISPLAY -u WAYLAND_DISPLAY /usr/bin/bucketforge --version)
[[ "$version" == "bucketforge "* ]] || fail "bucketforge --version printed “$version” without a display"

step "Starting the installed app under Xvfb"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash -s "$ARTIFACTS" <<'INNER'
set -euo pipefail
artifacts=$1
/usr/bin/bucketforge &
app=$!
trap 'kill $app 2>/dev/null || true; wait $app 2>/dev/null || true' EXIT
# The window appears first; the page inside it paints a moment later.
timeout 20 xdotool search --sync --onlyvisible --name '^BucketForge$' >/dev/null ||
  { echo "error: no BucketForge window appeared within 20 s" >&2; exit 1; }
for _ in $(seq 1 40); do
  import -window root "$artifacts/window.png"
  colours=$(identify -format '%k' "$artifacts/window.png")
  [ "$colours" -gt 64 ] && break
  sleep 0.5
done
[ "$colours" -gt 64 ] || { echo "error: the window stayed blank ($colours colours)" >&2; exit 1; }
kill -0 $app || { echo "error: the app exited on its own" >&2; exit 1; }
echo "Window painted ($colours colours): $artifacts/window.png"
INNER

step "Removing the package"
remove_package
trap - EXIT
[ ! -e /usr/bin/bucketforge ] || fail "/usr/bin/bucketforge is still there after removal"
echo "Installed, opened and removed cleanly."
