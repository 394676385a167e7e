"""``make demo``: run docs/examples/demo.yml against the rack emulator three times.

1. apply: the first run creates things (changed > 0);
2. apply again: the same playbook reports changed=0;
3. check mode with ``--diff`` after changing a variable: shows the difference, and the
   emulator's request log proves that only GET requests were sent.

The emulator is started on a free port with a random password (never printed) and
stopped at the end, whatever happens. Run it with the dev venv's Python
(``.venv/bin/python docs/examples/run_demo.py``); the exit code is 0 only when all three
runs behaved as described.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
BIN = Path(sys.executable).parent
COLLECTIONS = ROOT / "build" / "demo" / "collections"
READY = re.compile(r"convox emulator listening on (https?://\S+)")
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
CHANGED_GREETING = "bonjour"


def say(text: str) -> None:
    sys.stdout.write(f"\n==> {text}\n")
    sys.stdout.flush()


def link_collection() -> None:
    """build/demo/collections/ansible_collections/convox/convox -> this checkout."""
    link = COLLECTIONS / "ansible_collections" / "convox" / "convox"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.resolve() == ROOT:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(ROOT, target_is_directory=True)


def start_emulator(password: str, log_path: Path) -> Tuple[subprocess.Popen[bytes], str]:
    """The installed emulator (``make venv`` installs emulator/); the password goes by environment."""
    env = dict(os.environ, CONVOX_DEMO_EMULATOR_PASSWORD=password)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "convox_emulator", "--port", "0", "--password-env", "CONVOX_DEMO_EMULATOR_PASSWORD"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = READY.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    if "No module named convox_emulator" in tail:
        tail += "\ninstall the emulator first: make venv, or pip install ./emulator from a checkout"
    raise RuntimeError(f"the emulator did not start:\n{tail}")


def stop_emulator(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def control(url: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url + path, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def playbook(env: Dict[str, str], *extra: str) -> Tuple[int, Optional[int]]:
    """Run demo.yml, echoing its output; return (exit code, changed count from the recap)."""
    command = [
        str(BIN / "ansible-playbook"),
        "-i",
        str(EXAMPLES / "inventory.yml"),
        str(EXAMPLES / "demo.yml"),
        *extra,
    ]
    proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    output = proc.stdout.decode("utf-8", errors="replace")
    sys.stdout.write(output)
    sys.stdout.flush()
    match = RECAP.search(output)
    return proc.returncode, int(match.group(2)) if match else None


def main() -> int:
    link_collection()
    password = secrets.token_urlsafe(18)
    failures: List[str] = []
    report: List[str] = []
    with tempfile.TemporaryDirectory(prefix="convox-demo-") as tmp:
        say("starting the rack emulator")
        proc, url = start_emulator(password, Path(tmp) / "emulator.log")
        try:
            print(f"emulator at {url}")
            env = dict(
                os.environ,
                CONVOX_HOST=url,
                CONVOX_PASSWORD=password,
                ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
                ANSIBLE_LOCALHOST_WARNING="false",
                ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                ANSIBLE_RETRY_FILES_ENABLED="false",
            )
            env.pop("CONVOX_RACK", None)

            say("run 1: apply (creates the app, sets its environment, builds and promotes)")
            rc, changed = playbook(env)
            report.append(f"run 1 (apply):             exit {rc}, changed={changed}")
            if rc != 0 or not changed:
                failures.append("run 1 should succeed and change something")

            say("run 2: apply again (nothing to do)")
            rc, changed = playbook(env)
            report.append(f"run 2 (apply again):       exit {rc}, changed={changed}")
            if rc != 0 or changed != 0:
                failures.append("run 2 should succeed with changed=0")

            say(f"run 3: check mode + diff with greeting={CHANGED_GREETING} (shows the change, sends only GETs)")
            control(url, "/_emulator/requests", "DELETE")
            rc, changed = playbook(env, "--check", "--diff", "-e", f"greeting={CHANGED_GREETING}")
            requests = control(url, "/_emulator/requests")
            methods = sorted({str(item.get("method")) for item in requests or [] if isinstance(item, dict)})
            count = len(requests) if isinstance(requests, list) else 0
            report.append(f"run 3 (check + diff):      exit {rc}, changed={changed}, {count} requests {methods}")
            if rc != 0 or not changed:
                failures.append("run 3 should succeed and report the change it would make")
            if not count or methods != ["GET"]:
                failures.append(f"run 3 must send only GET requests; it sent {methods}")
        finally:
            say("stopping the emulator")
            stop_emulator(proc)

    say("what happened")
    for line in report:
        print("  " + line)
    if failures:
        for failure in failures:
            print("  FAILED: " + failure)
        return 1
    print("  ok: the first run changed the rack, the second changed nothing, check mode only read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
