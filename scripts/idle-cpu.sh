#!/usr/bin/env bash
# Idle CPU: Loopdesk as a kiosk leaves it (release profile with the demo feature, on its demo
# backend, on the Reception screen) against an empty Tauri 2 app built the same way. Each runs
# under its own Xvfb with its own D-Bus session, both at the same time; after Loopdesk's first
# sync and a warm-up, the CPU each uses over IDLE_SECS is read from /proc (utime + stime of the
# app and every process under it: WebKit's web and network processes, with what they reaped)
# and shown as % of one core, with the ratio. Fails when Loopdesk uses more than IDLE_MAX_RATIO
# times the empty app's.
#
#   scripts/idle-cpu.sh                    # or: make bench-idle (not part of make test)
#   IDLE_SECS=60 WARMUP_SECS=10 scripts/idle-cpu.sh   # a quick look
#
# The empty app is generated into a temporary folder from scripts/empty-tauri/ with the tauri
# versions of the workspace's Cargo.lock (copied with it, so shared crates match) and the
# workspace's [profile.release]. Needs what `make deps` installs; the network only for crates
# missing from cargo's cache (crates.io).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

IDLE_SECS=${IDLE_SECS:-300}
WARMUP_SECS=${WARMUP_SECS:-60}
IDLE_MAX_RATIO=${IDLE_MAX_RATIO:-2}
# Loopdesk's first sync of the demo (three homes) must be over before measuring.
FIRST_SYNC_MAX_SECS=${FIRST_SYNC_MAX_SECS:-600}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/loopdesk/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

for tool in Xvfb dbus-run-session cargo npm awk; do
  command -v "$tool" >/dev/null || { echo "idle-cpu: $tool is missing (make deps)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/loopdesk-idle.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ---- build -----------------------------------------------------------------------------------
echo "idle-cpu: building the UI and the release app with the demo feature"
[ -d ui/node_modules ] || (cd ui && npm ci --no-audit --no-fund)
(cd ui && npm run build >/dev/null)
cargo build --release -p loopdesk --features loopdesk/demo
app_bin="$CARGO_TARGET_DIR/release/loopdesk"

lock_version() { # the version of crate $1 in the workspace's Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}
tauri_version=$(lock_version tauri)
tauri_build_version=$(lock_version tauri-build)
[ -n "$tauri_version" ] && [ -n "$tauri_build_version" ] || {
  echo "idle-cpu: no tauri in Cargo.lock" >&2; exit 1; }
echo "idle-cpu: building the empty Tauri $tauri_version app the same way"
empty="$work/empty-tauri"
cp -R scripts/empty-tauri "$empty"
sed -e "s/@TAURI_VERSION@/$tauri_version/" -e "s/@TAURI_BUILD_VERSION@/$tauri_build_version/" \
  "$empty/Cargo.toml.in" >"$empty/Cargo.toml"
rm "$empty/Cargo.toml.in"
# The workspace's release profile, as it is.
awk '/^\[profile\.release\]/ { on = 1; print ""; print; next } /^\[/ { on = 0 } on' Cargo.toml \
  >>"$empty/Cargo.toml"
cp Cargo.lock "$empty/Cargo.lock"
mkdir -p "$empty/icons"
cp icons/128x128.png "$empty/icons/icon.png"
(cd "$empty" && CARGO_TARGET_DIR="$CARGO_TARGET_DIR/empty-tauri" cargo build --release --offline \
  || CARGO_TARGET_DIR="$CARGO_TARGET_DIR/empty-tauri" cargo build --release)
empty_bin="$CARGO_TARGET_DIR/empty-tauri/release/empty-tauri"

# ---- run -------------------------------------------------------------------------------------
free_display() {
  local n
  for n in $(seq 90 199); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
      echo ":$n"
      return
    fi
  done
  echo "idle-cpu: no free X display" >&2
  exit 1
}

# start NAME BINARY [ENV=VALUE...]: Xvfb and the app in a D-Bus session, in their own process
# groups; sets ${NAME}_pid to the app's process once it is there.
start() {
  local name=$1 bin=$2 display n
  shift 2
  display=$(free_display)
  n=${display#:}
  setsid Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  [ -e "/tmp/.X11-unix/X$n" ] || { echo "idle-cpu: Xvfb did not start on $display" >&2; exit 1; }
  mkdir -p "$work/$name/home" "$work/$name/run"
  chmod 700 "$work/$name/run"
  # In a D-Bus session with its own unlocked gnome-keyring (Loopdesk keeps its data file's key
  # there), in a throw-away home.
  setsid env DISPLAY="$display" LOOPDESK_DATA_DIR="$work/$name/data" HOME="$work/$name/home" \
    XDG_RUNTIME_DIR="$work/$name/run" "$@" \
    dbus-run-session -- sh crates/core/tests/keyring-session.sh "$bin" >"$work/$name/log" 2>&1 &
  local session=$!
  pids+=("$session")
  local app=""
  for _ in $(seq 300); do
    app=$(app_pid "$session" "$bin")
    [ -n "$app" ] && break
    sleep 0.1
  done
  [ -n "$app" ] || { echo "idle-cpu: $name did not start; its log:" >&2; cat "$work/$name/log" >&2; exit 1; }
  printf -v "${name}_pid" '%s' "$app"
  echo "idle-cpu: $name is process $app on $display"
}

# The process under $1 running the binary $2.
app_pid() {
  local p
  for p in $(tree "$1"); do
    if [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$2" ]; then
      echo "$p"
      return
    fi
  done
}

# $1 and every process under it.
tree() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
    {
      pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      parent[pid] = f[2]
    }
    END {
      print root; found[root] = 1; grew = 1
      while (grew) {
        grew = 0
        for (p in parent) if (!(p in found) && (parent[p] in found)) { found[p] = 1; print p; grew = 1 }
      }
    }'
}

# Clock ticks used so far by $1 and every process under it: utime + stime, and cutime + cstime
# (what each reaped from its children, so a helper that exits mid-way still counts).
ticks() {
  local files=() p
  for p in $(tree "$1"); do files+=("/proc/$p/stat"); done
  { cat "${files[@]}" 2>/dev/null || true; } | awk '{ line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
         total += f[12] + f[13] + f[14] + f[15] }
       END { printf "%d\n", total }'
}

now_ms() { date +%s%3N; }

# Loopdesk: the demo, on Reception (where a kiosk stays); the empty app.
start loopdesk "$app_bin" LOOPDESK_DEMO=1
start empty "$empty_bin"

echo "idle-cpu: waiting for Loopdesk's first sync of the demo (at most ${FIRST_SYNC_MAX_SECS} s)"
# The data file is encrypted: the app's log says when its first full sync cycle is complete.
pulled=0
for _ in $(seq "$FIRST_SYNC_MAX_SECS"); do
  kill -0 "$loopdesk_pid" 2>/dev/null || { echo "idle-cpu: Loopdesk stopped; its log:" >&2; cat "$work/loopdesk/log" >&2; exit 1; }
  if grep -q "first full sync cycle complete" "$work/loopdesk/log" "$work/loopdesk/data/logs/"* 2>/dev/null; then
    pulled=7
    break
  fi
  sleep 1
done
[ "${pulled:-0}" -ge 7 ] || { echo "idle-cpu: the first sync did not finish" >&2; exit 1; }
echo "idle-cpu: warming up for ${WARMUP_SECS} s, then measuring for ${IDLE_SECS} s"
sleep "$WARMUP_SECS"

hz=$(getconf CLK_TCK)
t0=$(now_ms)
l0=$(ticks "$loopdesk_pid")
e0=$(ticks "$empty_pid")
sleep "$IDLE_SECS"
l1=$(ticks "$loopdesk_pid")
e1=$(ticks "$empty_pid")
t1=$(now_ms)
for p in "$loopdesk_pid" "$empty_pid"; do
  kill -0 "$p" 2>/dev/null || { echo "idle-cpu: process $p stopped while measuring" >&2; exit 1; }
done

awk -v l=$((l1 - l0)) -v e=$((e1 - e0)) -v hz="$hz" -v ms=$((t1 - t0)) -v max="$IDLE_MAX_RATIO" \
  -v procs_l="$(tree "$loopdesk_pid" | wc -l)" -v procs_e="$(tree "$empty_pid" | wc -l)" 'BEGIN {
  secs = ms / 1000
  lp = 100 * (l / hz) / secs; ep = 100 * (e / hz) / secs
  printf "\nidle CPU over %.0f s, %% of one core (utime+stime, app and its WebKit processes)\n", secs
  printf "  Loopdesk (demo, Reception)  %6.3f %%  (%d ticks, %d processes)\n", lp, l, procs_l
  printf "  empty Tauri 2 app           %6.3f %%  (%d ticks, %d processes)\n", ep, e, procs_e
  if (e == 0) { printf "  ratio: the empty app used nothing measurable\n"; exit (l > 0 ? 1 : 0) }
  ratio = l / e
  printf "  ratio                       %6.2f x  (goal: at most %s x)\n", ratio, max
  exit (ratio <= max ? 0 : 1)
}'
