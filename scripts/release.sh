#!/usr/bin/env bash
# make release: the release app (no demo feature) and its Debian package, built by the Tauri CLI
# (`tauri build --bundles deb`, from ui/node_modules, pinned in ui/package.json) with the
# workspace's [profile.release]. Prints where the package is. Needs what `make deps` installs;
# the network only for crates or npm packages missing from this machine's caches.
#
#   make release                   # or: bash scripts/release.sh
#   RELEASE_PROFILE_OVERRIDES=1 CARGO_PROFILE_RELEASE_LTO=off bash scripts/release.sh  # a quick try
#
# The package lands in $CARGO_TARGET_DIR/release/bundle/deb/ (Tauri's place for it).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/loopdesk/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
started=$(date +%s)

# A release is built with the workspace's [profile.release] as it is. Settings that override it
# from the environment (CARGO_PROFILE_RELEASE_LTO=off, say, to try things out faster) are
# dropped, unless RELEASE_PROFILE_OVERRIDES=1 keeps them for a package that is then no release.
for var in $(compgen -e | grep '^CARGO_PROFILE_RELEASE_' || true); do
  if [ "${RELEASE_PROFILE_OVERRIDES:-}" = 1 ]; then
    echo "release: keeping $var=${!var} (RELEASE_PROFILE_OVERRIDES=1): not a real release build"
  else
    echo "release: ignoring $var: a release uses the workspace's [profile.release]"
    unset "$var"
  fi
done

tauri=$root/ui/node_modules/.bin/tauri
[ -x "$tauri" ] || { echo "release: the Tauri CLI is missing from ui/node_modules (make deps)" >&2; exit 1; }
for tool in cargo npm dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "release: $tool is missing (make deps)" >&2; exit 1; }
done

echo "release: building the UI (ui/dist)"
(cd ui && npm run build >/dev/null)

# Offline when every crate the app needs is already on this machine (cargo's cache), so a
# build never waits on a network that is not there; otherwise cargo fetches what is missing.
if cargo tree -p loopdesk --locked --offline -e normal,build --prefix none >/dev/null 2>&1; then
  export CARGO_NET_OFFLINE=true
  echo "release: all crates are here; building offline"
else
  echo "release: some crates are not in cargo's cache; cargo will fetch them"
fi

# The release app has default features only: never `demo`. The Tauri CLI runs
# `cargo build --release` (the workspace's profile: LTO, one codegen unit, stripped) and then
# bundles ui/dist into the binary and the binary into the .deb. `--ci`: no prompts.
echo "release: building the app and its Debian package (tauri build --bundles deb)"
(cd src-tauri && "$tauri" build --ci --bundles deb -- --locked)

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
deb="$CARGO_TARGET_DIR/release/bundle/deb/Loopdesk_${version}_${arch}.deb"
[ -f "$deb" ] || { echo "release: the package $deb was not made" >&2; exit 1; }

# The package is what a care home installs: check it holds the app, its menu entry and icon,
# and asks for the WebKitGTK and GTK it runs on.
contents=$(dpkg-deb --contents "$deb")
depends=$(dpkg-deb --field "$deb" Depends)
problems=()
grep -Eq ' (\./)?usr/bin/loopdesk$' <<<"$contents" || problems+=("no /usr/bin/loopdesk")
grep -Eq ' (\./)?usr/share/applications/Loopdesk\.desktop$' <<<"$contents" ||
  problems+=("no /usr/share/applications/Loopdesk.desktop")
grep -Eq ' (\./)?usr/share/icons/hicolor/[^/]+/apps/loopdesk\.png$' <<<"$contents" ||
  problems+=("no icon")
for dep in libwebkit2gtk-4.1-0 libgtk-3-0; do
  grep -q "$dep" <<<"$depends" || problems+=("Depends lacks $dep ($depends)")
done
if ((${#problems[@]})); then
  printf 'release: the package is not right: %s\n' "${problems[@]}" >&2
  exit 1
fi

# Signed for the in-app updater when the release manager gives the private key (never kept in
# this repository): TAURI_SIGNING_PRIVATE_KEY (the key's text) or TAURI_SIGNING_PRIVATE_KEY_PATH,
# and TAURI_SIGNING_PRIVATE_KEY_PASSWORD when it has one. The signature (`<package>.sig`, base64
# minisign, as the update information's "signature" carries it) is checked by every Loopdesk
# against the public key built into it (src-tauri/keys/update.pub).
if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}${TAURI_SIGNING_PRIVATE_KEY_PATH:-}" ]; then
  "$tauri" signer sign "$deb" >/dev/null
  [ -s "$deb.sig" ] || { echo "release: the package was not signed" >&2; exit 1; }
  echo "release: signed for updates: $deb.sig"
else
  echo "release: not signed for updates (no TAURI_SIGNING_PRIVATE_KEY): fine for a try, not for a home"
fi

size=$(stat -c %s "$deb")
echo
echo "release: built in $(($(date +%s) - started)) s"
echo "release: package $deb"
printf 'release: size %s bytes (%s)\n' "$size" "$(numfmt --to=iec-i --suffix=B "$size")"
echo "release: install it with: sudo apt install $deb"
