#!/usr/bin/env bash
# The shipped app's figures beside an empty Tauri 2 app built the same way, in the same run:
# package and binary size, time from start to the first screen, memory (PSS of the app and its
# WebKit processes) after a minute idle and after an hour, and CPU used while idle.
#
#   make bench-app                              # about 1 h 20 min, most of it the hour idle
#   LONG_SECS=600 scripts/bench-app.sh          # a shorter second memory reading
#   LOOPDESK_DEB=… EMPTY_DEB=… scripts/bench-app.sh   # packages made before, instead of building
#
# Loopdesk is `make release`'s Debian package (no demo feature; its fresh first screen is
# Reception, with nothing set up); the empty app is scripts/empty-tauri/ packaged by the same
# Tauri CLI with the workspace's [profile.release]. Both are unpacked (`dpkg-deb -x`, nothing is
# installed) and run from the package, each under its own Xvfb and D-Bus session.
#
# - Time to the first screen: from starting the process until its screen first shows what it
#   shows once settled (unchanged for 5 s), from screenshots about 0.1 s apart; the median of
#   FIRST_SCREEN_RUNS starts (3), each with a fresh data folder, one app at a time.
# - Memory: the sum of Pss (/proc/PID/smaps_rollup) over the app and every process under it, both
#   apps running at once, after IDLE_SECS (60) and after LONG_SECS (3600).
# - Idle CPU: utime + stime of the same processes between the two readings, % of one core.
#
# Idle CPU of the kiosk on the demo (with data, syncing) is `make bench-idle`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

IDLE_SECS=${IDLE_SECS:-60}
LONG_SECS=${LONG_SECS:-3600}
FIRST_SCREEN_RUNS=${FIRST_SCREEN_RUNS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/loopdesk/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

bench_name=bench-app
# shellcheck source=scripts/lib/bench.sh
. scripts/lib/bench.sh

for tool in Xvfb dbus-run-session cargo npm awk dpkg-deb import md5sum; do
  command -v "$tool" >/dev/null || bench_die "$tool is missing (make deps)"
done
[ "$LONG_SECS" -gt "$IDLE_SECS" ] || bench_die "LONG_SECS must be more than IDLE_SECS"

work=$(mktemp -d "${TMPDIR:-/tmp}/loopdesk-bench-app.XXXXXX")
pids=()
stop_all() {
  for p in "${pids[@]}"; do
    kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

# ---- build -----------------------------------------------------------------------------------
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
loopdesk_deb="$CARGO_TARGET_DIR/release/bundle/deb/Loopdesk_${version}_$(dpkg --print-architecture).deb"
if [ -n "${LOOPDESK_DEB:-}" ]; then
  loopdesk_deb=$LOOPDESK_DEB
else
  echo "bench-app: building Loopdesk's release package (make release)"
  bash scripts/release.sh
fi
[ -f "$loopdesk_deb" ] || bench_die "no package at $loopdesk_deb"
if [ -n "${EMPTY_DEB:-}" ]; then
  empty_deb=$EMPTY_DEB
else
  build_empty_app --deb
fi
[ -f "$empty_deb" ] || bench_die "no package at $empty_deb"

unpack() { # unpack NAME DEB BINARY: sets ${NAME}_app to the unpacked binary
  mkdir -p "$work/pkg/$1"
  dpkg-deb -x "$2" "$work/pkg/$1"
  [ -x "$work/pkg/$1/usr/bin/$3" ] || bench_die "$2 has no usr/bin/$3"
  printf -v "${1}_app" '%s' "$work/pkg/$1/usr/bin/$3"
}
unpack loopdesk "$loopdesk_deb" loopdesk
unpack empty "$empty_deb" empty-tauri

# ---- time to the first screen ----------------------------------------------------------------
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
first_screens() { # first_screens NAME: prints the median over FIRST_SCREEN_RUNS starts
  local name=$1 bin_var="${1}_app" run times=()
  for run in $(seq "$FIRST_SCREEN_RUNS"); do
    rm -rf "${work:?}/$name"
    start "$name" "${!bin_var}" >&2
    times+=("$(first_screen_ms "$name")")
    stop_all
  done
  echo "bench-app: $name's first screen after ${times[*]} ms" >&2
  printf '%s\n' "${times[@]}" | median
}
loopdesk_first=$(first_screens loopdesk)
empty_first=$(first_screens empty)

# ---- memory and idle CPU ---------------------------------------------------------------------
rm -rf "${work:?}/loopdesk" "${work:?}/empty"
start loopdesk "$loopdesk_app"
start empty "$empty_app"
echo "bench-app: both running; memory after ${IDLE_SECS} s and ${LONG_SECS} s"
sleep "$IDLE_SECS"
alive() {
  for p in "$loopdesk_pid" "$empty_pid"; do
    kill -0 "$p" 2>/dev/null || bench_die "process $p stopped"
  done
}
alive
l_pss1=$(pss_kib "$loopdesk_pid")
e_pss1=$(pss_kib "$empty_pid")
l_t0=$(ticks "$loopdesk_pid")
e_t0=$(ticks "$empty_pid")
t0=$(now_ms)
size() { stat -c %s "$1"; }
# What is known after the first minute is shown at once (the hour is long).
report() {
  awk -v ld="$(size "$loopdesk_deb")" -v ed="$(size "$empty_deb")" \
    -v lb="$(size "$loopdesk_app")" -v eb="$(size "$empty_app")" \
    -v lf="$loopdesk_first" -v ef="$empty_first" -v lm1="$l_pss1" -v em1="$e_pss1" \
    -v idle="$IDLE_SECS" -v runs="$FIRST_SCREEN_RUNS" -v long="$LONG_SECS" -v end="${1:-}" \
    -v lm2="${l_pss2:-0}" -v em2="${e_pss2:-0}" -v lt="${l_ticks:-0}" -v et="${e_ticks:-0}" \
    -v hz="$(getconf CLK_TCK)" -v ms="${elapsed_ms:-1}" 'BEGIN {
    mib = 1048576
    if (end == "") {
      printf "\nLoopdesk (release package) beside an empty Tauri 2 app built the same way\n"
      printf "%-34s %14s %14s %8s\n", "", "Loopdesk", "empty app", "ratio"
      printf "%-34s %10.1f MiB %10.1f MiB %7.2fx\n", "package (.deb)", ld / mib, ed / mib, ld / ed
      printf "%-34s %10.1f MiB %10.1f MiB %7.2fx\n", "binary", lb / mib, eb / mib, lb / eb
      printf "%-34s %11d ms %11d ms %7.2fx\n", "first screen (median of " runs ")", lf, ef, lf / ef
      printf "%-34s %10.1f MiB %10.1f MiB %7.2fx\n", "memory (PSS) after " idle " s", lm1 / 1024, em1 / 1024, lm1 / em1
      exit
    }
    secs = ms / 1000
    lc = 100 * (lt / hz) / secs; ec = 100 * (et / hz) / secs
    printf "%-34s %10.1f MiB %10.1f MiB %7.2fx\n", "memory (PSS) after " long " s", lm2 / 1024, em2 / 1024, lm2 / em2
    if (et > 0) ratio = sprintf("%7.2fx", lt / et); else ratio = "      -"
    printf "%-34s %12.3f %% %12.3f %% %s\n", "idle CPU (" int(secs) " s, % of a core)", lc, ec, ratio
    printf "(idle CPU: %d and %d ticks at %d a second, from %d s to %d s after start)\n", lt, et, hz, idle, long
  }'
}
report
sleep $((LONG_SECS - IDLE_SECS))
alive
l_pss2=$(pss_kib "$loopdesk_pid")
e_pss2=$(pss_kib "$empty_pid")
l_ticks=$(($(ticks "$loopdesk_pid") - l_t0))
e_ticks=$(($(ticks "$empty_pid") - e_t0))
elapsed_ms=$(($(now_ms) - t0))
report end
