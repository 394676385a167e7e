"""Emulator benchmark: simple GET throughput and p99 latency, and RSS with 200 apps x 10 releases.

Usage: .venv/bin/python bench/emulator_bench.py [--requests 2000] [--apps 200] [--releases 10]
Prints one JSON object. Not a timed test: the figures are recorded in docs/emulator.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Any, Dict, List

import httpx

from convox_emulator.testing import EmulatorHandle, start_emulator

MANIFEST = "services:\n  web:\n    port: 3000\n    scale: 2\n  worker:\n    scale: 1\n"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmRSS not found")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return float(handle.read().split()[0])


def percentile(values: List[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100.0 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure_gets(client: httpx.Client, path: str, count: int, pid: int) -> Dict[str, float]:
    for _i in range(20):
        client.get(path)
    latencies: List[float] = []
    cpu_before = cpu_seconds(pid)
    started = time.perf_counter()
    for _i in range(count):
        before = time.perf_counter()
        resp = client.get(path)
        latencies.append((time.perf_counter() - before) * 1000.0)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path}: {resp.status_code}")
    elapsed = time.perf_counter() - started
    server_cpu_ms = (cpu_seconds(pid) - cpu_before) * 1000.0 / count
    return {
        "server_cpu_ms_per_request": round(server_cpu_ms, 3),
        "requests": count,
        "rps": round(count / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "max_ms": round(max(latencies), 3),
    }


def populate(emu: EmulatorHandle, client: httpx.Client, apps: int, releases: int) -> None:
    for n in range(apps):
        name = f"app{n:03d}"
        client.post("/apps", data={"name": name})
        build = client.post(f"/apps/{name}/builds", data={"external": "true"}).json()
        client.put(f"/apps/{name}/builds/{build['id']}", data={"manifest": MANIFEST, "status": "complete"})
        last = ""
        for r in range(releases):
            last = client.post(
                f"/apps/{name}/releases", data={"build": build["id"], "env": f"N={r}\nSECRETISH=value-{r}\nAPP={name}"}
            ).json()["id"]
        deadline = time.monotonic() + 30
        while client.get(f"/apps/{name}").json()["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.005)
        client.post(f"/apps/{name}/releases/{last}/promote")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--releases", type=int, default=10)
    args = parser.parse_args()
    result: Dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "load_before": load_average()}
    with (
        start_emulator(delay_scale=0.01) as emu,
        httpx.Client(base_url=emu.url, auth=("convox", emu.password), timeout=30) as client,
    ):
        result["rss_idle_mb"] = round(rss_mb(emu.pid), 1)
        result["get_system"] = measure_gets(client, "/system", args.requests, emu.pid)
        started = time.perf_counter()
        populate(emu, client, args.apps, args.releases)
        result["populate_seconds"] = round(time.perf_counter() - started, 2)
        time.sleep(0.5)
        emu.clear_requests()
        result["apps"] = args.apps
        result["releases_per_app"] = args.releases
        result["processes"] = sum(len(a["processes"]) for a in emu.rack_state()["apps"].values())
        result["rss_loaded_mb"] = round(rss_mb(emu.pid), 1)
        result["get_app_loaded"] = measure_gets(client, f"/apps/app{args.apps // 2:03d}", args.requests, emu.pid)
        result["get_apps_list_loaded"] = measure_gets(client, "/apps", max(50, args.requests // 20), emu.pid)
        emu.clear_requests()
        result["rss_after_gets_mb"] = round(rss_mb(emu.pid), 1)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
