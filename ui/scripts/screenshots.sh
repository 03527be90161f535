#!/bin/sh
# Takes the UI screenshots in docs/screenshots/ from a mock build (no desktop app needed).
# Needs Debian's `chromium`. Usage: ui/scripts/screenshots.sh   (from anywhere)
set -eu
ui=$(cd "$(dirname "$0")/.." && pwd)
out="${SCREENSHOTS_DIR:-$ui/../docs/screenshots}"
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

shot() { # name query [width,height] [virtual ms]
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size="${3:-1280,800}" --hide-scrollbars \
    --virtual-time-budget=${4:-3000} --screenshot="$out/$1.png" "http://localhost:1420/$2" \
    >/dev/null 2>&1
  echo "$out/$1.png"
}

shot ui-reception '?mock=ready'
shot ui-staff-console '?mock=ready&area=console' 1280,1500
shot ui-error-corrupt-file '?mock=corrupt'
shot ui-error-corrupt-file-confirm '?mock=corrupt&click=start-fresh-database' 1280,1300
shot ui-error-newer-schema '?mock=newer_schema'

# Staff console screens (issues 4 and 5).
c='?mock=ready&area=console'
shot ui-residents "$c&click=console-nav-residents" 1280,1000
shot ui-residents-keyboard-focus "$c&click=console-nav-residents&focus=resident-row" 1280,1000 5000
shot ui-resident-page "$c&click=console-nav-residents,resident-row" 1280,1900 6000
shot ui-care-note-errors "$c&click=console-nav-residents,resident-row,add-care-note,save-care-note" 1280,2100 8000
long=$(head -c 10000 /dev/zero | tr '\0' a)
shot ui-care-note-long-word "$c&click=console-nav-residents,resident-row&do=click:add-care-note;type:care-note-category:general;type:care-note-body:$long;click:save-care-note" 1280,2100 9000
shot ui-visits "$c&click=console-nav-visits" 1280,1900 5000
shot ui-visits-offline "$c&sync=offline&click=console-nav-visits,confirm-visit" 1280,1700 6000
shot ui-visit-cancel "$c&click=console-nav-visits,cancel-visit,confirm-cancel-visit" 1280,1700 7000
shot ui-schedule-visit-errors "$c&click=console-nav-visits,schedule-visit,save-visit" 1280,1800 7000
# The schedule form's rules (issue 10): a start in the past asks first; 24 hours, a year ahead.
yesterday=$(date -d yesterday +%F); far=$(date -d '+2 years' +%F); after=$(date -d '+2 years 2 days' +%F)
v="$c&click=console-nav-visits&do=click:schedule-visit;type:visit-new-staff:stf_001;type:visit-new-type:meal"
shot ui-schedule-visit-past "$v;type:visit-new-start:${yesterday}T10:00;type:visit-new-end:${yesterday}T10:30;click:save-visit" 1280,1800 9000
shot ui-schedule-visit-limits "$v;type:visit-new-start:${far}T10:00;type:visit-new-end:${after}T10:30;click:save-visit" 1280,1800 9000
shot ui-staff "$c&click=console-nav-staff" 1280,1300
shot ui-sync-degraded "$c&sync=degraded" 1280,500
shot ui-sync-auth-failed "$c&sync=auth_failed" 1280,500
shot ui-sync-pulling "$c&sync=pulling" 1280,500
shot ui-sync-not-configured "$c&sync=not_configured" 1280,500
shot ui-needs-attention "$c&attention=1&click=needs-attention-link" 1280,1900 5000
shot ui-settings "$c&click=console-nav-settings,test-connection" 1280,1500 5000
shot ui-settings-demo "$c&demo=1&click=console-nav-settings" 1280,1100 5000
shot ui-alert-banner "$c&alerts=open" 1280,1000
shot ui-alert-acknowledge-error "$c&alerts=open&click=acknowledge-alert" 1280,800 5000
shot ui-alerts-centre "$c&alerts=open&click=console-nav-alerts" 1280,1500 5000
shot ui-reception-staff-alert '?mock=ready&alerts=open'
shot ui-alerts-not-arriving "$c&alerts=not_arriving" 1280,800
shot ui-reception-alerts-not-arriving '?mock=ready&alerts=not_arriving'
