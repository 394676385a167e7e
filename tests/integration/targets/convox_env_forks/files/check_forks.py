# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The convox_env_forks target's emulator side.

``check_forks.py hold``: a barrier hold on the app's release creates (ten writers park, then go
together). ``check_forks.py check``: the hold caught ten creates, the active release has all ten
keys, and no promoted release dropped a key that the one before it had. EMULATOR_URL from the
environment; standard library only.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.request

WRITERS = 10
RELEASES = "/apps/myapp/releases"


def control(path: str, body: object = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(os.environ["EMULATOR_URL"] + path, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def parse_env(text: str) -> dict:
    return dict(line.split("=", 1) for line in (text or "").splitlines() if "=" in line)


def check() -> list:
    problems = []
    (hold,) = control("/_emulator/holds")
    if hold["caught"] != WRITERS or hold["timed_out"]:
        problems.append(f"the barrier caught {hold['caught']} creates ({hold['timed_out']} timed out), not {WRITERS}")
    state = control("/_emulator/state")
    rack = next(iter(state["racks"].values()))  # one rack: the emulator of setup_emulator
    app = rack["apps"]["myapp"]
    envs = {r["id"]: parse_env(r["env"]) for r in app["releases"]}
    active = envs[app["release"]]
    wanted = {f"KEY_WRITER{i}" for i in range(WRITERS)}
    if not wanted <= set(active):
        problems.append(f"the active release lacks {sorted(wanted - set(active))}")
    promoted = [envs[p["release"]] for p in app["promotions"]]
    for before, after in zip(promoted, promoted[1:]):
        if set(before) - set(after):
            problems.append(f"a promoted release dropped {sorted(set(before) - set(after))}")
    creates = len(envs)
    print(f"convox_env_forks: {WRITERS} writers, {creates} releases, {len(promoted)} promotions, all keys kept")
    return problems


def main(action: str) -> int:
    if action == "hold":
        control("/_emulator/holds", {"method": "POST", "path": RELEASES, "count": WRITERS, "timeout": 120})
        return 0
    problems = check()
    for problem in problems:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
