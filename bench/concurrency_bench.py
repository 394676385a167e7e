# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cost of optimistic concurrency per env write, against the single-shot write of before.

One emulator, one app with a build; in interleaved rounds, one env write of one new key through
``environment.set`` (plan + one create: what the modules did before) and through
``environment.update`` (plan + window read + create + check read: what they do now), each
without promoting (the promote costs the same both ways) and with ``promote=True`` (no wait).
Reported: requests per write (from the emulator's request log) and the median wall time per
write, and the ratio new/old measured in the same run. Nothing here is a pass/fail test.

Usage: .venv/bin/python bench/concurrency_bench.py [--writes 40] [--rounds 5]
Results are printed and written to bench/results/concurrency_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List

from _common import collection_root, write_result

MANIFEST = "services:\n  web:\n    build: .\n    port: 3000\n"


def measure(writes: int, rounds: int) -> Dict[str, Any]:
    from ansible_collections.convox.convox.plugins.module_utils import waits
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient
    from convox_emulator.testing import start_emulator

    waits.FIRST_DELAY = 0.01
    source = tempfile.mkdtemp(prefix="convox-bench-src-")
    for name, text in {"convox.yml": MANIFEST, "Dockerfile": "FROM scratch\n"}.items():
        with open(os.path.join(source, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    with start_emulator(password="bench", delay_scale=0.0) as emu, ConvoxClient(emu.url, "bench", records=True) as c:
        c.apps.create("myapp")
        waits.wait_app_running(c, "myapp", interval=0.05)
        build = waits.wait_build_finished(c, "myapp", c.builds.create_from_directory("myapp", source).id, interval=0.05)
        c.releases.promote("myapp", build.release, wait=True, timeout=60)
        counter = [0]

        def key() -> Dict[str, str]:
            counter[0] += 1
            return {f"K{counter[0]}": "v"}

        ways: Dict[str, Callable[[bool], Any]] = {
            "before (set)": lambda promote: c.environment.set("myapp", key(), promote=promote),
            "now (update)": lambda promote: c.environment.update("myapp", key(), promote=promote),
        }
        results: Dict[str, Dict[str, List[float]]] = {}
        for promote in (False, True):
            for _round in range(rounds):
                for name, write in ways.items():
                    label = f"{name}{', promote' if promote else ''}"
                    slot = results.setdefault(label, {"seconds": [], "requests": []})
                    for _write in range(writes):
                        if promote:
                            _settle(c)
                        emu.clear_requests()
                        started = time.perf_counter()
                        write(promote)
                        slot["seconds"].append(time.perf_counter() - started)
                        slot["requests"].append(len(emu.requests()))
        summary = {
            label: {
                "requests_per_write": statistics.median(data["requests"]),
                "median_ms": round(statistics.median(data["seconds"]) * 1000, 2),
            }
            for label, data in results.items()
        }
        for suffix in ("", ", promote"):
            old, new = summary[f"before (set){suffix}"], summary[f"now (update){suffix}"]
            summary[f"ratio now/before{suffix}"] = {
                "requests": round(new["requests_per_write"] / old["requests_per_write"], 2),
                "time": round(new["median_ms"] / old["median_ms"], 2),
            }
        return summary


def _settle(client: Any) -> None:
    """Wait (outside the measurement) until the app runs again after the previous promote."""
    for _attempt in range(500):
        if client.apps.get("myapp").status == "running":
            return
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--writes", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    root = collection_root()
    sys.path.insert(0, root)
    try:
        summary = measure(args.writes, args.rounds)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    report = {
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "writes_per_round": args.writes,
        "rounds": args.rounds,
        "results": summary,
    }
    print(json.dumps(report, indent=2))
    write_result("concurrency_bench", report)


if __name__ == "__main__":
    main()
