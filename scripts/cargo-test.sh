#!/usr/bin/env bash
# `cargo test --workspace --no-fail-fast` with the given arguments, its output kept in a log.
# When a test fails, libtest's report of the failures (the "failures:" sections: each failing
# test's name and panic message) is printed again at the very end, so that a CI log cut down to
# its first and last lines still says which test failed and why.
set -uo pipefail
log="${CARGO_TARGET_DIR:-target}/cargo-test.log"
mkdir -p "$(dirname "$log")"
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "==== cargo test failed; the failures again (whole output: $log) ===="
  awk '/^failures:$/ { on = 1 } on { print } /^test result: FAILED/ { on = 0 }' "$log"
fi
exit "$status"
