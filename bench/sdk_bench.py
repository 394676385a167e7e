# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client against the official Convox Python SDK (PyPI ``convox``) and raw httpx, in one run.

One emulator (a separate process, so only the caller's own work shows in ``process_time``); the
variants run in interleaved rounds so that they share the machine's load. Per operation the
client-side CPU (``time.process_time``) and the wall time (``time.perf_counter``) are summed over
the rounds (each block of calls starts after ``gc.collect()``); the ratios are ours/SDK from the
same run, of the sums and the median of the per-round ratios.

1. List 200 apps (one ``GET /apps``): ``ConvoxClient(records=True).apps.list()`` (what the modules
   use), ``ConvoxClient().apps.list()`` (pydantic models), the SDK's ``apps.list()`` (pydantic
   models) and a bare ``httpx.Client`` GET with ``response.json()``.
2. Env get + merge + set of one key, no promote: ``environment.set`` (GET app, GET active
   release, POST release) against the SDK's ``environment.set(..., promote=False)``, which sends
   the same three requests; our protected write ``environment.update`` (plan + release list
   window + create + check read, docs/concurrency.md) is reported beside them. Each variant
   writes to its own app, so that each sees the same number of releases. The request counts per
   operation come from the emulator's request log.

Usage: .venv/bin/python bench/sdk_bench.py [--rounds 10] [--lists 20] [--writes 10] [--apps 200]
       [--profile VARIANT]   (cProfile of one variant instead of the comparison; BENCH_SORT=cumulative
                              and BENCH_LINES=80 change the listing)
Needs the SDK: .venv/bin/pip install -r bench/requirements-bench.txt (bench/run.sh does it).
Results are printed and written to bench/results/sdk_bench.json.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import shutil
import statistics
import sys
import time
from typing import Any, Callable, Dict, List

from _common import collection_root, write_result

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-pw"
MANIFEST = "services:\n  web:\n    build: .\n    port: 3000\n"


def load_average() -> float:
    return os.getloadavg()[0]


def env_app(bare: Any, name: str) -> None:
    """An app with a build and a promoted release carrying a small environment."""
    bare.post("/apps", data={"name": name}).raise_for_status()
    build = bare.post(f"/apps/{name}/builds", data={"external": "true"}).json()
    bare.put(f"/apps/{name}/builds/{build['id']}", data={"manifest": MANIFEST, "status": "complete"})
    env = "\n".join(f"KEY_{n:02d}=value-{n}" for n in range(20))
    release = bare.post(f"/apps/{name}/releases", data={"build": build["id"], "env": env}).json()["id"]
    deadline = time.monotonic() + 30
    while bare.get(f"/apps/{name}").json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.005)
    bare.post(f"/apps/{name}/releases/{release}/promote").raise_for_status()
    while bare.get(f"/apps/{name}").json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.005)


def variants(url: str) -> Dict[str, Dict[str, Callable[[int], Any]]]:
    """Per group, per variant: a function of the call number doing one operation."""
    import convox  # the SDK (bench/requirements-bench.txt)
    import httpx

    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    ours_records = ConvoxClient(url, PASSWORD, config_dir=os.devnull, records=True)
    ours_models = ConvoxClient(url, PASSWORD, config_dir=os.devnull)
    sdk = convox.ConvoxClient(url, PASSWORD)
    bare = httpx.Client(base_url=url, auth=("convox", PASSWORD), headers={"Accept": "application/json"})

    def bare_list(_n: int) -> Any:
        response = bare.get("/apps")
        response.raise_for_status()
        return response.json()

    return {
        "list": {
            "ours records": lambda _n: ours_records.apps.list(),
            "ours models": lambda _n: ours_models.apps.list(),
            "sdk": lambda _n: sdk.apps.list(),
            "httpx": bare_list,
        },
        "env": {
            "ours set records": lambda n: ours_records.environment.set("env-ours-r", {"BENCH": str(n)}),
            "ours set models": lambda n: ours_models.environment.set("env-ours-m", {"BENCH": str(n)}),
            "sdk set": lambda n: sdk.environment.set("env-sdk", {"BENCH": str(n)}, promote=False),
            "ours update (protected)": lambda n: ours_records.environment.update("env-ours-p", {"BENCH": str(n)}),
        },
    }


def run_group(emu: Any, funcs: Dict[str, Callable[[int], Any]], per_round: int, rounds: int) -> Dict[str, Any]:
    cpu: Dict[str, List[float]] = {name: [] for name in funcs}
    wall: Dict[str, List[float]] = {name: [] for name in funcs}
    requests: Dict[str, int] = {}
    counter = 0
    for name, func in funcs.items():  # warm-up: connections, validators, caches
        for _warm in range(3):
            counter += 1
            func(counter)
        emu.clear_requests()
        counter += 1
        func(counter)
        requests[name] = len(emu.requests())
    for round_no in range(rounds):
        names = list(funcs)
        if round_no % 2:
            names.reverse()  # neither side always runs first
        for name in names:
            func = funcs[name]
            gc.collect()  # each block starts with a clean collector: no variant pays for another's garbage
            start_cpu, start_wall = time.process_time(), time.perf_counter()
            for _call in range(per_round):
                counter += 1
                func(counter)
            cpu[name].append((time.process_time() - start_cpu) * 1000.0 / per_round)
            wall[name].append((time.perf_counter() - start_wall) * 1000.0 / per_round)
        emu.clear_requests()
    return {
        name: {
            "requests_per_operation": requests[name],
            "cpu_ms_per_operation": sum(cpu[name]) / rounds,
            "cpu_ms_median_round": statistics.median(cpu[name]),
            "wall_ms_per_operation": sum(wall[name]) / rounds,
            "wall_ms_median_round": statistics.median(wall[name]),
            "cpu_ms_rounds": [round(value, 3) for value in cpu[name]],
        }
        for name in funcs
    }


def ratios(figures: Dict[str, Any], base: str) -> Dict[str, Dict[str, float]]:
    out = {}
    for name, row in figures.items():
        if name == base:
            continue
        per_round = [a / b for a, b in zip(row["cpu_ms_rounds"], figures[base]["cpu_ms_rounds"])]
        out[name] = {
            "cpu": row["cpu_ms_per_operation"] / figures[base]["cpu_ms_per_operation"],
            "cpu_median_of_rounds": statistics.median(per_round),
            "wall": row["wall_ms_per_operation"] / figures[base]["wall_ms_per_operation"],
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds")
    parser.add_argument("--lists", type=int, default=20, help="app lists per variant and round")
    parser.add_argument("--writes", type=int, default=10, help="env writes per variant and round")
    parser.add_argument("--apps", type=int, default=200, help="apps in the list")
    parser.add_argument("--profile", help="profile this variant of ours (for example 'ours records')")
    args = parser.parse_args()
    try:
        import convox  # noqa: F401  # the SDK
    except ImportError:
        print("the Convox Python SDK is missing: .venv/bin/pip install -r bench/requirements-bench.txt")
        return 2
    import httpx

    from convox_emulator.testing import start_emulator

    root = collection_root()
    sys.path.insert(0, root)
    result: Dict[str, Any] = {
        "python": platform.python_version(),
        "sdk": f"convox {__import__('importlib.metadata').metadata.version('convox')}",
        "httpx": httpx.__version__,
        "load_average_before": load_average(),
        "apps": args.apps,
    }
    try:
        with start_emulator(password=PASSWORD, delay_scale=0.0) as emu:
            with httpx.Client(base_url=emu.url, auth=("convox", PASSWORD), timeout=30) as bare:
                for n in range(args.apps - 4):
                    bare.post("/apps", data={"name": f"app{n:03d}"}).raise_for_status()
                for name in ("env-ours-r", "env-ours-m", "env-sdk", "env-ours-p"):
                    env_app(bare, name)
            groups = variants(emu.url)
            if args.profile:
                func = {**groups["list"], **groups["env"]}[args.profile]
                profiler = cProfile.Profile()
                count = args.lists * args.rounds
                profiler.enable()
                for n in range(count):
                    func(n)
                profiler.disable()
                pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(
                    int(os.environ.get("BENCH_LINES", "35"))
                )
                return 0
            result["list"] = run_group(emu, groups["list"], args.lists, args.rounds)
            result["env"] = run_group(emu, groups["env"], args.writes, args.rounds)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    result["load_average_after"] = load_average()
    result["list_ratios_to_sdk"] = ratios(result["list"], "sdk")
    result["list_ratios_to_httpx"] = ratios(result["list"], "httpx")
    result["env_ratios_to_sdk"] = ratios(result["env"], "sdk set")

    print(
        f"Python {result['python']}, {result['sdk']}, httpx {result['httpx']}, load average "
        f"{result['load_average_before']:.2f} -> {result['load_average_after']:.2f}; {args.rounds} rounds"
    )
    for group, base in (("list", "sdk"), ("env", "sdk set")):
        title = f"list of {args.apps} apps" if group == "list" else "env get + merge + set of one key (no promote)"
        print(f"{title}: per operation, client-side CPU and wall (ms), ratio to {base} (CPU, wall)")
        for name, row in result[group].items():
            ratio = result[f"{group}_ratios_to_sdk"].get(name)
            text = (
                f"{ratio['cpu']:.2f}x CPU (median of rounds {ratio['cpu_median_of_rounds']:.2f}x), "
                f"{ratio['wall']:.2f}x wall"
                if ratio
                else "1.00x"
            )
            print(
                f"  {name:<24} {row['requests_per_operation']:2d} req  {row['cpu_ms_per_operation']:7.2f} ms CPU  "
                f"{row['wall_ms_per_operation']:7.2f} ms wall  {text}"
            )
    for name, ratio in result["list_ratios_to_httpx"].items():
        print(
            f"  list, {name} / httpx: {ratio['cpu']:.2f}x CPU (median of rounds "
            f"{ratio['cpu_median_of_rounds']:.2f}x), {ratio['wall']:.2f}x wall"
        )
    write_result("sdk_bench", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
