#!/usr/bin/env bash
# Idle CPU: Loopdesk as a kiosk leaves it (release profile with the demo feature, on its demo
# backend, on the Reception screen) against an empty Tauri 2 app built the same way. Each runs
# under its own Xvfb with its own D-Bus session, both at the same time; after Loopdesk's first
# sync and a warm-up, the CPU each uses over IDLE_SECS is read from /proc (utime + stime of the
# app and every process under it: WebKit's web and network processes, with what they reaped)
# and shown as % of one core, with the ratio, in ROUNDS windows one after the other; then the
# median round, each process's ticks and each thread's (by name). Fails when, in the median
# round, Loopdesk uses more than IDLE_MAX_RATIO times the empty app's.
#
#   scripts/idle-cpu.sh                    # or: make bench-idle (not part of make test)
#   IDLE_SECS=60 WARMUP_SECS=10 ROUNDS=1 scripts/idle-cpu.sh   # a quick look
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

bench_name=idle-cpu
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

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
# Only when the UI changed: a rebuilt ui/dist, even the same, makes cargo relink the app (LTO:
# minutes) for nothing.
if [ ! -f ui/dist/index.html ] || [ -n "$(find ui/src ui/public ui/index.html ui/package.json \
    ui/package-lock.json ui/scripts ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json \
    -newer ui/dist/index.html 2>/dev/null | head -n1)" ]; then
  (cd ui && npm run build >/dev/null)
else
  echo "idle-cpu: ui/dist is newer than the UI's sources; not rebuilt"
fi
cargo build --release -p loopdesk --features loopdesk/demo
app_bin="$CARGO_TARGET_DIR/release/loopdesk"

build_empty_app

# ---- run -------------------------------------------------------------------------------------
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

# "name pid command ticks" for each process of app $2 (named $1): the app, its WebKit web and
# network processes.
each() {
  local p
  for p in $(tree "$2"); do
    awk -v n="$1" -v p="$p" '{ c = $0; sub(/^[^(]*\(/, "", c); sub(/\).*$/, "", c)
      line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
      print n, p, c, f[12] + f[13] + f[14] + f[15] }' "/proc/$p/stat" 2>/dev/null || true
  done
}

# "name tid process/thread ticks" for each thread of app $2 (named $1): where in a process the
# time goes (tokio's workers, the GTK main thread, WebKit's own threads), by the names they gave.
threads() {
  local p t comm
  for p in $(tree "$2"); do
    comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    for t in /proc/"$p"/task/*; do
      awk -v n="$1" -v t="${t##*/}" -v pc="${comm// /_}" '{ c = $0; sub(/^[^(]*\(/, "", c)
        sub(/\).*$/, "", c); gsub(/ /, "_", c)
        line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
        print n, t, pc "/" c, f[12] + f[13] }' "$t/stat" 2>/dev/null || true
    done
  done
}

hz=$(getconf CLK_TCK)
# ROUNDS windows of IDLE_SECS one after the other, both apps at once; the verdict is on the
# median round's ratio, since a window where something else on the machine woke up can move
# one round several-fold (the same build has measured 2.2x and 7.3x twelve minutes apart).
ROUNDS=${ROUNDS:-3}
{ each loopdesk "$loopdesk_pid"; each empty "$empty_pid"; } >"$work/each.before"
{ threads loopdesk "$loopdesk_pid"; threads empty "$empty_pid"; } >"$work/threads.before"
: >"$work/rounds"
for round in $(seq "$ROUNDS"); do
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
  echo "$round $((l1 - l0)) $((e1 - e0)) $((t1 - t0))" >>"$work/rounds"
  awk -v r="$round" -v n="$ROUNDS" -v l=$((l1 - l0)) -v e=$((e1 - e0)) -v hz="$hz" \
    -v ms=$((t1 - t0)) 'BEGIN {
    secs = ms / 1000
    printf "idle-cpu: round %d of %d, %.0f s: Loopdesk %.3f %% (%d ticks), empty app %.3f %% (%d ticks), %s\n",
      r, n, secs, 100 * (l / hz) / secs, l, 100 * (e / hz) / secs, e,
      (e > 0 ? sprintf("%.2fx", l / e) : "ratio not measurable")
  }'
done
{ each loopdesk "$loopdesk_pid"; each empty "$empty_pid"; } >"$work/each.after"
{ threads loopdesk "$loopdesk_pid"; threads empty "$empty_pid"; } >"$work/threads.after"

# The median round by ratio (the lower middle one for an even count); a round where the empty
# app used nothing measurable counts as the highest ratio.
sort -k5,5g <(awk '{ print $0, ($3 > 0 ? $2 / $3 : 1e9) }' "$work/rounds") >"$work/rounds.sorted"
median=$(sed -n "$(((ROUNDS + 1) / 2))p" "$work/rounds.sorted")
read -r round l e ms _ <<<"$median"
awk -v l="$l" -v e="$e" -v hz="$hz" -v ms="$ms" -v max="$IDLE_MAX_RATIO" -v round="$round" \
  -v rounds="$ROUNDS" -v procs_l="$(tree "$loopdesk_pid" | wc -l)" \
  -v procs_e="$(tree "$empty_pid" | wc -l)" 'BEGIN {
  secs = ms / 1000
  lp = 100 * (l / hz) / secs; ep = 100 * (e / hz) / secs
  printf "\nidle CPU over %.0f s, %% of one core (utime+stime, app and its WebKit processes),\n", secs
  printf "the median of %d rounds (round %d)\n", rounds, round
  printf "  Loopdesk (demo, Reception)  %6.3f %%  (%d ticks, %d processes)\n", lp, l, procs_l
  printf "  empty Tauri 2 app           %6.3f %%  (%d ticks, %d processes)\n", ep, e, procs_e
  if (e == 0) { printf "  ratio: the empty app used nothing measurable\n"; exit (l > 0 ? 1 : 0) }
  ratio = l / e
  printf "  ratio                       %6.2f x  (goal: at most %s x)\n", ratio, max
  exit (ratio <= max ? 0 : 1)
}' || verdict=$?
# Where it went over all the rounds: each process's ticks, then the threads that used any.
echo "  per process (ticks, all rounds):"
awk 'NR == FNR { before[$2] = $4; next }
     { printf "    %-9s %-16s %d\n", $1, $3, $4 - before[$2] }' "$work/each.before" "$work/each.after"
echo "  per thread name (ticks, all rounds; threads that used none left out):"
awk 'NR == FNR { before[$2] = $4; next }
     { used[$1 " " $3] += $4 - before[$2] }
     END { for (k in used) if (used[k] > 0) { split(k, a, " "); printf "    %-9s %-40s %d\n", a[1], a[2], used[k] } }' \
  "$work/threads.before" "$work/threads.after" | sort -k1,1 -k3,3nr
exit "${verdict:-0}"
