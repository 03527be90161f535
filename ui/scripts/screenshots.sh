#!/bin/sh
# Takes the UI screenshots in docs/screenshots/ from a mock build (no desktop app needed).
# Needs Debian's `chromium`. Usage: ui/scripts/screenshots.sh   (from anywhere)
set -eu
ui=$(cd "$(dirname "$0")/.." && pwd)
out="$ui/../docs/screenshots"
mkdir -p "$out"
cd "$ui"

npm run --silent build:mock >/dev/null
./node_modules/.bin/vite preview --mode mock --outDir dist-mock >/dev/null 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$profile"' EXIT

# Wait for the preview server to answer (it uses port 1420, strictPort).
until curl -fs -o /dev/null http://localhost:1420/; do
  kill -0 "$server" 2>/dev/null || { echo "vite preview did not start" >&2; exit 1; }
  sleep 0.2
done

shot() { # name query [width,height]
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size="${3:-1280,800}" --hide-scrollbars \
    --virtual-time-budget=3000 --screenshot="$out/$1.png" "http://localhost:1420/$2" \
    >/dev/null 2>&1
  echo "$out/$1.png"
}

shot ui-reception '?mock=ready'
shot ui-staff-console '?mock=ready&area=console'
shot ui-error-corrupt-file '?mock=corrupt'
shot ui-error-corrupt-file-confirm '?mock=corrupt&click=start-fresh-database' 1280,1300
shot ui-error-newer-schema '?mock=newer_schema'
