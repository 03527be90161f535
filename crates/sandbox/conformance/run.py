"""`make conformance`: schemathesis against a sandbox, on the sandbox's own OpenAPI document.

Starts the sandbox binary on 127.0.0.1 (a free port) with the test controls, without rate
limits and with a known admin key; waits for the address it prints; runs schemathesis with
schemathesis.toml and checks.py from this folder; stops the sandbox. Exits with schemathesis's
status (0 only when every check passed on every operation).

    python run.py --sandbox BIN --schemathesis EXE --artifacts DIR
"""

import argparse
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# How long the sandbox may take to print its address, and to stop.
START_DEADLINE_S = 60
STOP_DEADLINE_S = 30


def start_sandbox(binary, key, log):
    """Starts the sandbox and returns (process, base URL), once it has printed its address."""
    cmd = [
        binary,
        "--listen", "127.0.0.1:0",
        "--seed", "42",
        "--size", "small",
        "--test-controls",
        "--no-rate-limits",
        "--key", f"{key}=admin",
        # Deliveries to list and resend: a target that refuses connections, so each fails and
        # waits for its retry (minutes away); the run never waits for one.
        "--webhook-url", "http://127.0.0.1:9/conformance",
        "--webhook-secret", "conformance",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_DEADLINE_S)
    except queue.Empty:
        stop(proc)
        sys.exit(f"conformance: the sandbox printed no address within {START_DEADLINE_S} s")
    if not line:
        proc.wait()
        sys.exit(f"conformance: the sandbox exited ({proc.returncode}) before printing its address")
    return proc, json.loads(line)["base_url"]


def stop(proc):
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sandbox", required=True, help="the loopdesk-sandbox binary")
    parser.add_argument("--schemathesis", required=True, help="the schemathesis executable")
    parser.add_argument("--artifacts", required=True, help="folder for the report and the log")
    args = parser.parse_args()

    artifacts = Path(args.artifacts).resolve()
    artifacts.mkdir(parents=True, exist_ok=True)
    key = f"cl_test_conformance_{secrets.token_hex(8)}"
    with open(artifacts / "sandbox.log", "w") as log:
        proc, base_url = start_sandbox(args.sandbox, key, log)
        try:
            env = {
                **os.environ,
                "SANDBOX_ADMIN_KEY": key,
                "SCHEMATHESIS_HOOKS": str(HERE / "checks.py"),
                # No __pycache__ beside checks.py in the source tree.
                "PYTHONDONTWRITEBYTECODE": "1",
            }
            started = time.monotonic()
            run = subprocess.run(
                [
                    args.schemathesis,
                    "--config-file", str(HERE / "schemathesis.toml"),
                    "run", f"{base_url}/v1/openapi.json",
                    "--no-color",
                    "--report", "junit",
                    "--report-junit-path", str(artifacts / "junit.xml"),
                ],
                env=env,
                cwd=artifacts,
                check=False,
            )
            took = time.monotonic() - started
        finally:
            stop(proc)
    verdict = "passed" if run.returncode == 0 else f"FAILED ({run.returncode})"
    print(f"conformance: {verdict} in {took:.0f} s; report and sandbox log in {artifacts}")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
