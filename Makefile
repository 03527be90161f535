# Loopdesk: `make demo` runs the app, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Build outside the clone so that a fresh clone on the same machine reuses earlier builds.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/loopdesk/target
export CARGO_TERM_COLOR ?= never

.PHONY: help deps ui demo test lint release-deps release test-release test-rust test-ui conformance app \
	bench bench-idle bench-app mutants icons clean

help:
	@echo "make demo   run Loopdesk on an embedded demo backend"
	@echo "make test   lint and run every test (Rust, UI, the real window under Xvfb, the release package)"
	@echo "make release  build the release app and its Debian package; prints where it is"
	@echo "make test-release  make release, then start the packaged app in a window test"
	@echo "make bench  run the benchmarks"
	@echo "make bench-idle  idle CPU of the app (demo) against an empty Tauri 2 app"
	@echo "make bench-app  the shipped app's size, start, memory and idle CPU against an empty Tauri 2 app"
	@echo "make mutants run cargo-mutants on MUTANTS_FILES; fails if any mutant survives"
	@echo "make conformance  check the CareLoop sandbox against its OpenAPI document (schemathesis)"
	@echo "make deps   install system packages, tauri-driver and the UI's packages (idempotent)"

deps:
	@bash scripts/deps.sh

ui: deps
	cd ui && npm run build

# The app with its `demo` feature (the built-in demo backend and the demo-only commands), built
# the same way for `make demo` and for the window tests (`cargo test` below builds the same
# binary). A release build leaves the feature out: see `release-deps`.
DEMO_FEATURES := --features loopdesk/demo

app: ui
	cargo build -p loopdesk $(DEMO_FEATURES)

# The app keeps its data file's key in the desktop's keyring (the Secret Service). Without a
# desktop session bus (a bare machine, an SSH shell with Xvfb), the demo runs in a D-Bus session
# of its own with gnome-keyring unlocked with an empty password: its keyring file stays in
# ~/.local/share/keyrings, so the next `make demo` opens the same data file.
demo: app
	@if [ -n "$${DBUS_SESSION_BUS_ADDRESS:-}" ]; then \
	  LOOPDESK_DEMO=$${LOOPDESK_DEMO:-1} "$(CARGO_TARGET_DIR)/debug/loopdesk"; \
	else \
	  echo "demo: no session bus; starting one with gnome-keyring for the data file's key"; \
	  export XDG_RUNTIME_DIR="$${XDG_RUNTIME_DIR:-$$(mktemp -d)}"; \
	  LOOPDESK_DEMO=$${LOOPDESK_DEMO:-1} dbus-run-session -- \
	    sh crates/core/tests/keyring-session.sh "$(CARGO_TARGET_DIR)/debug/loopdesk"; \
	fi

lint: ui release-deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets $(DEMO_FEATURES) -- -D warnings
	@# The release feature set of the app compiles clean too.
	cargo clippy -p loopdesk --all-targets -- -D warnings
	cd ui && npm run check

# The release feature set of the app must link neither the sandbox, the bridge nor the demo.
release-deps:
	@if cargo tree -p loopdesk -e normal,build --prefix none 2>/dev/null \
	    | grep -E '^loopdesk-(sandbox|bridge|demo) '; then \
	  echo "the release app pulls in a demo server (above): it must only come with --features demo"; \
	  exit 1; fi
	@cargo tree -p loopdesk -e normal --prefix none >/dev/null
	@echo "release-deps: the release app links neither the sandbox nor the bridge"

# The release app (default features: never `demo`) and its Debian package, built by the Tauri CLI
# with the workspace's [profile.release] (scripts/release.sh). Prints the package's path and size.
release: deps release-deps
	@bash scripts/release.sh

# The package's app starts and shows its first screen: the window test unpacks the package
# (dpkg-deb -x, nothing is installed) and runs its binary (tests/window/release.rs). And the
# app's commands without the demo feature: none of the demo's is there.
test-release: release
	cargo test --workspace $(DEMO_FEATURES) --test window -- --ignored --test-threads=1 release::
	cargo test -p loopdesk --test app -- the_demo_commands_are_there_only

test-rust: app
	@bash scripts/cargo-test.sh $(DEMO_FEATURES)
	@# The TypeScript bindings that `cargo test` writes must match the committed ones.
	@if [ -n "$$(git status --porcelain -- ui/src/bindings 2>/dev/null)" ]; then \
	  echo "ui/src/bindings is out of date: commit the files cargo test generated"; \
	  git status --short -- ui/src/bindings; exit 1; fi

test-ui: deps
	cd ui && npm test

# schemathesis (a third-party OpenAPI fuzzer, from PyPI) sends the sandbox requests made from
# its own OpenAPI document and fails on any answer the document does not allow: a 5xx, an
# undocumented status, content type or response shape, valid data refused, invalid data
# accepted. What it runs and why is in crates/sandbox/conformance/ (README in
# crates/sandbox/README.md). It lives in a virtual environment in the build folder, one per
# version. Pinned: 4.32.5 was the newest release when this target was written (2026-11) and
# installs with pip on Python 3.11 here; a newer one may generate other data and find new
# things, so bump it on purpose and run `make conformance`.
SCHEMATHESIS_VERSION := 4.32.5
CONFORMANCE_VENV := $(CARGO_TARGET_DIR)/conformance-venv-$(SCHEMATHESIS_VERSION)

$(CONFORMANCE_VENV)/bin/schemathesis:
	python3 -m venv "$(CONFORMANCE_VENV)"
	"$(CONFORMANCE_VENV)/bin/pip" install --quiet --disable-pip-version-check \
	  "schemathesis==$(SCHEMATHESIS_VERSION)"

conformance: $(CONFORMANCE_VENV)/bin/schemathesis
	cargo build -p loopdesk-sandbox
	"$(CONFORMANCE_VENV)/bin/python" crates/sandbox/conformance/run.py \
	  --sandbox "$(CARGO_TARGET_DIR)/debug/loopdesk-sandbox" \
	  --schemathesis "$(CONFORMANCE_VENV)/bin/schemathesis" \
	  --artifacts .artifacts/conformance

# Last, the release package: `make release` and its window test (test-release), so a change that
# breaks the shipped app (its feature set, the bundle, the first screen) fails here too.
test: deps lint test-ui test-rust conformance test-release
	@echo "make test: all passed"

bench: deps
	cargo bench -p loopdesk-bridge
	cargo bench -p loopdesk-core --bench writes
	cargo bench -p loopdesk-core --bench reception
	cargo bench -p loopdesk-core --bench sync
	cargo bench -p loopdesk-core --bench training

# Idle CPU: the release app with the demo feature, idle on Reception, against an empty Tauri 2
# app built the same way, both at once under Xvfb, in three 5-minute windows after a warm-up
# (scripts/idle-cpu.sh; IDLE_SECS, ROUNDS, WARMUP_SECS, IDLE_MAX_RATIO). Fails when the median
# window is above 2 times the empty app's. Not in make test.
bench-idle: deps
	bash scripts/idle-cpu.sh

# The shipped app's figures (make release's package) beside an empty Tauri 2 app packaged the
# same way: package and binary size, time to the first screen, memory after a minute and an
# hour, idle CPU (scripts/bench-app.sh; LONG_SECS shortens the hour). Not in make test.
bench-app: deps
	bash scripts/bench-app.sh

# Mutation testing (cargo-mutants): every mutant of each file below must make a test fail.
# One `package:file:tests` per line; `tests` selects what `cargo test` runs for each mutant
# (`--lib`: the package's unit tests; `--test=it`: an integration test binary), with `+` for a
# space (`--test=it+--+push::` runs the integration tests whose names start with `push::`).
MUTANTS_FILES := \
	loopdesk-bridge:crates/bridge/src/schemes.rs:--lib \
	loopdesk-core:crates/core/src/api/limit.rs:--lib \
	loopdesk-core:crates/core/src/sync/push.rs:--test=it+--+push::+outbox::+desk:: \
	loopdesk-core:crates/core/src/outbox/mod.rs:--lib+--test=it+--+outbox::+push::
# Mutants build in their own target dir: cargo matches a crate's sources by their path inside
# the workspace, so a mutated build in the shared dir would pass for the real one elsewhere.
MUTANTS_TARGET_DIR ?= $(CARGO_TARGET_DIR)/mutants/target
MUTANTS_OUT ?= $(CARGO_TARGET_DIR)/mutants/out

mutants:
	@cargo mutants --version >/dev/null 2>&1 || cargo install cargo-mutants --locked
	@failed=""; for m in $(MUTANTS_FILES); do \
	  IFS=: read -r pkg file tests <<< "$$m"; tests="$${tests//+/ }"; \
	  echo "== cargo mutants -p $$pkg -f $$file -- $$tests"; \
	  out="$(MUTANTS_OUT)/$${file//\//_}"; mkdir -p "$$out"; \
	  CARGO_TARGET_DIR="$(MUTANTS_TARGET_DIR)" cargo mutants -j 1 -p "$$pkg" -f "$$file" \
	    -o "$$out" -- $$tests || failed="$$failed $$file"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "make mutants: failed for$$failed (see missed.txt, timeout.txt in $(MUTANTS_OUT))"; \
	  exit 1; fi
	@echo "make mutants: every mutant was caught"

# Regenerates the platform icons from the one source image.
icons: deps
	cd ui && npx tauri icon ../icons/loopdesk.svg -o ../icons && rm -rf ../icons/android ../icons/ios

clean:
	cargo clean
	rm -rf ui/dist ui/node_modules .artifacts
