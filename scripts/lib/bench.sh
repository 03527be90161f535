# Shared by scripts/idle-cpu.sh and scripts/bench-app.sh (sourced, not run): the empty Tauri 2 app
# they compare Loopdesk with, and running an app under its own Xvfb and D-Bus session while
# reading what it and its WebKit processes use from /proc.
#
# The caller sets `work` (a temporary folder it removes) and `pids` (an array: every process
# group started here is added, for the caller's cleanup), and names itself in `bench_name`.

# The virtual screen each app runs on (its window's size in tauri.conf.json).
SCREEN_SIZE=1280x800

bench_die() { echo "$bench_name: $*" >&2; exit 1; }

lock_version() { # the version of crate $1 in the workspace's Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# build_empty_app [--deb]: the empty app from scripts/empty-tauri/ with the tauri versions of
# the workspace's Cargo.lock (copied with it, so shared crates match) and the workspace's
# [profile.release], in $work/empty-tauri. Sets empty_bin; with --deb also empty_deb, its Debian
# package made by the same Tauri CLI as Loopdesk's.
build_empty_app() {
  local tauri_version tauri_build_version empty target="$CARGO_TARGET_DIR/empty-tauri"
  tauri_version=$(lock_version tauri)
  tauri_build_version=$(lock_version tauri-build)
  [ -n "$tauri_version" ] && [ -n "$tauri_build_version" ] || bench_die "no tauri in Cargo.lock"
  echo "$bench_name: building the empty Tauri $tauri_version app the same way"
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
  if [ "${1:-}" = --deb ]; then
    # As `make release` makes Loopdesk's: `tauri build --bundles deb`.
    sed -i 's/"active": false/"active": true, "targets": ["deb"]/' "$empty/tauri.conf.json"
    (cd "$empty" && CARGO_TARGET_DIR="$target" "$root/ui/node_modules/.bin/tauri" build --ci \
      --bundles deb -- --offline ||
      CARGO_TARGET_DIR="$target" "$root/ui/node_modules/.bin/tauri" build --ci --bundles deb)
    empty_deb=$(ls "$target"/release/bundle/deb/*.deb | head -n1)
  else
    (cd "$empty" && CARGO_TARGET_DIR="$target" cargo build --release --offline ||
      CARGO_TARGET_DIR="$target" cargo build --release)
  fi
  empty_bin="$target/release/empty-tauri"
}

free_display() {
  local n
  for n in $(seq 90 199); do
    if [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ]; then
      echo ":$n"
      return
    fi
  done
  bench_die "no free X display"
}

# start NAME BINARY [ENV=VALUE...]: Xvfb and the app in a D-Bus session, in their own process
# groups; sets ${NAME}_pid to the app's process once it is there, ${NAME}_display to its
# display and ${NAME}_started to when it was started (ms).
start() {
  local name=$1 bin=$2 display n
  shift 2
  display=$(free_display)
  n=${display#:}
  setsid Xvfb "$display" -screen 0 "${SCREEN_SIZE}x24" -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  [ -e "/tmp/.X11-unix/X$n" ] || bench_die "Xvfb did not start on $display"
  mkdir -p "$work/$name/home" "$work/$name/run"
  chmod 700 "$work/$name/run"
  printf -v "${name}_started" '%s' "$(now_ms)"
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
  [ -n "$app" ] || { cat "$work/$name/log" >&2; bench_die "$name did not start; its log is above"; }
  printf -v "${name}_pid" '%s' "$app"
  printf -v "${name}_display" '%s' "$display"
  echo "$bench_name: $name is process $app on $display"
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

# Proportional set size (KiB) of $1 and every process under it: the app, its WebKit web and
# network processes; shared pages are split between the processes sharing them.
pss_kib() {
  local p total=0 k
  for p in $(tree "$1"); do
    k=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${k:-0}))
  done
  echo "$total"
}

now_ms() { date +%s%3N; }

# first_screen_ms NAME: milliseconds from NAME's start until its screen first showed what it
# shows once settled: screenshots of its display are taken as fast as ImageMagick's `import`
# allows (about 0.1 s apart) until one stays unchanged for SETTLE_SECS (5); the answer is the
# first screenshot that differs from that settled one in at most SAME_PIXELS pixels (1 % of the
# screen: a window edge or a focus ring still fading in is not the app still drawing). The app
# is not told it is being watched.
first_screen_ms() {
  local name=$1 display_var="${1}_display" started_var="${1}_started" shots at hash f ae
  shots="$work/$name/shots"
  rm -rf "$shots"
  mkdir -p "$shots"
  local deadline=$(($(now_ms) + ${FIRST_SCREEN_MAX_SECS:-120} * 1000))
  local last="" first=0 raw=(-size "${SCREEN_SIZE}" -depth 8)
  while [ "$(now_ms)" -lt "$deadline" ]; do
    at=$(now_ms)
    DISPLAY=${!display_var} import -silent -window root -depth 8 "rgb:$shots/now.rgb" 2>/dev/null || continue
    hash=$(md5sum <"$shots/now.rgb" | cut -d' ' -f1)
    if [ "$hash" != "$last" ]; then
      last=$hash
      first=$at
      mv "$shots/now.rgb" "$shots/$at.rgb" # each different screen, named by when it was taken
    elif [ $((at - first)) -ge $((${SETTLE_SECS:-5} * 1000)) ]; then
      for f in $(cd "$shots" && ls ./*[0-9].rgb | sort -t/ -k2 -n); do
        # The count of differing pixels (ImageMagick may print it as 1.024e+06).
        ae=$(compare -metric AE "${raw[@]}" "rgb:$shots/$f" "rgb:$shots/$first.rgb" null: 2>&1 |
          awk '$1 ~ /^[0-9.e+]+$/ { printf "%d", $1; exit }')
        if [ -n "$ae" ] && [ "$ae" -le "${SAME_PIXELS:-10240}" ]; then
          f=${f#./}
          echo $((${f%.rgb} - ${!started_var}))
          return
        fi
      done
      bench_die "$name: no screenshot matched its settled screen"
    fi
  done
  bench_die "$name's screen did not settle within ${FIRST_SCREEN_MAX_SECS:-120} s"
}
