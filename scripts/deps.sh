#!/usr/bin/env bash
# Installs what Loopdesk needs on a Debian/Ubuntu machine. Idempotent: skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Tauri's build set (WebKitGTK 4.1 brings GTK 3, libsoup 3, JavaScriptCore),
# the headless window and WebDriver set (x11-utils: xwininfo, which the single-instance test
# counts windows with), the Secret Service keyring for headless tests, and
# Python with venv for the sandbox's conformance run (schemathesis, in a virtual environment),
# and PostgreSQL, whose server binaries (initdb, pg_ctl in /usr/lib/postgresql/15/bin) the
# bridge's tests and benchmark run as throw-away clusters (no service is started or used), with
# openssl to make the certificates of its TLS test.
packages=(
  build-essential pkg-config curl file libwebkit2gtk-4.1-dev libssl-dev
  xvfb xauth dbus x11-utils fonts-dejavu-core webkit2gtk-driver imagemagick
  gnome-keyring libsecret-tools
  python3 python3-venv
  postgresql openssl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "deps: system packages present"
fi

if ! command -v cargo >/dev/null; then
  echo "deps: Rust is missing; install it with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" ||
    rustup component add "$component"
done

if ! command -v tauri-driver >/dev/null; then
  echo "deps: installing tauri-driver"
  cargo install tauri-driver --locked
fi

# The UI's packages, exactly as package-lock.json pins them (only when they changed).
stamp=ui/node_modules/.loopdesk-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s ui/package-lock.json "$stamp"; then
  (cd ui && npm ci --prefer-offline --no-audit --no-fund)
  cp ui/package-lock.json "$stamp"
else
  echo "deps: ui/node_modules up to date"
fi
