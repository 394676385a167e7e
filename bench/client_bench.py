# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client benchmarks, in one run: import cost and request throughput against the emulator.

1. Import cost (fresh interpreters, median of --runs): ``import httpx, pydantic`` alone, against
   importing the client with httpx, pydantic and the models (``client`` + ``models``), and the
   same plus the first model validation (schemas are built on first use).
2. Throughput: --requests GETs of one app through ``ConvoxClient.apps.get`` (encoding, auth,
   error mapping, model validation) against the same GETs through a bare ``httpx.Client``
   (auth and ``response.json()``), both on one emulator, interleaved in rounds to share the noise.

Usage: .venv/bin/python bench/client_bench.py [--runs 9] [--requests 1000]
Results are printed and written to bench/results/client_bench.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List

from _common import collection_root, write_result

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "ansible_collections.convox.convox.plugins.module_utils"

IMPORT_SNIPPETS = {
    "httpx+pydantic": "import httpx\nfrom pydantic import BaseModel",
    "httpx+pydantic+one model": (
        "import httpx\nfrom pydantic import BaseModel\nclass One(BaseModel):\n    name: str = ''"
    ),
    "httpx+pydantic+one model validated": (
        "import httpx\nfrom pydantic import BaseModel\nclass One(BaseModel):\n    name: str = ''\n"
        "One.model_validate({'name': 'a'})"
    ),
    "client+models": f"from {PREFIX}.client import ConvoxClient\nfrom {PREFIX} import models",
    "client+models+App class": (f"from {PREFIX}.client import ConvoxClient\nfrom {PREFIX} import models\nmodels.App"),
    "client+first record": (
        f"from {PREFIX}.client import ConvoxClient\nfrom {PREFIX} import _records\n"
        "_records.record('App', {'name': 'a', 'status': 'running'})"
    ),
    "client+models, all classes": (
        f"from {PREFIX}.client import ConvoxClient\nfrom {PREFIX} import models\n"
        "[getattr(models, name) for name in models.LAZY_MODELS]"
    ),
    "client+models+first parse": (
        f"from {PREFIX}.client import ConvoxClient\nfrom {PREFIX} import models\n"
        "models.parse(models.App, {'name': 'a', 'status': 'running'})"
    ),
}

TIMER = """import time
_t, _c = time.perf_counter(), time.process_time()
{snippet}
print(time.perf_counter() - _t, time.process_time() - _c)
"""


def import_times(root: str, runs: int) -> Dict[str, Dict[str, float]]:
    """Wall and CPU milliseconds of each snippet in fresh interpreters (bytecode caches warm)."""
    env = dict(os.environ, PYTHONPATH=root)
    wall: Dict[str, List[float]] = {name: [] for name in IMPORT_SNIPPETS}
    cpu: Dict[str, List[float]] = {name: [] for name in IMPORT_SNIPPETS}
    for attempt in range(runs + 1):
        for name, snippet in IMPORT_SNIPPETS.items():  # interleaved: the same load for every variant
            out = subprocess.run(
                [sys.executable, "-c", TIMER.format(snippet=snippet)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=tempfile.gettempdir(),
            )
            if attempt == 0:
                continue  # the first round writes the bytecode caches
            seconds, cpu_seconds = out.stdout.strip().splitlines()[-1].split()
            wall[name].append(float(seconds) * 1000.0)
            cpu[name].append(float(cpu_seconds) * 1000.0)
    return {
        name: {
            "median_ms": statistics.median(wall[name]),
            "min_ms": min(wall[name]),
            "max_ms": max(wall[name]),
            "cpu_median_ms": statistics.median(cpu[name]),
            "cpu_min_ms": min(cpu[name]),
        }
        for name in IMPORT_SNIPPETS
    }


def throughput(requests: int, rounds: int) -> Dict[str, Any]:
    import httpx

    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient
    from convox_emulator.testing import start_emulator

    per_round = max(1, requests // rounds)
    timings: Dict[str, float] = {"client": 0.0, "httpx": 0.0}
    with start_emulator(password="bench-pw") as emu:
        client = ConvoxClient(emu.url, "bench-pw", config_dir=os.devnull)
        bare = httpx.Client(auth=("convox", "bench-pw"), headers={"Accept": "application/json"})
        client.apps.create("bench")
        url = f"{emu.url}/apps/bench"
        for _warm in range(20):  # warm up both connections
            client.apps.get("bench")
            bare.get(url).json()
        for _round in range(rounds):
            emu.clear_requests()
            start = time.perf_counter()
            for _call in range(per_round):
                client.apps.get("bench")
            timings["client"] += time.perf_counter() - start
            start = time.perf_counter()
            for _call in range(per_round):
                response = bare.get(url)
                response.raise_for_status()
                response.json()
            timings["httpx"] += time.perf_counter() - start
        client.close()
        bare.close()
    total = per_round * rounds
    rates = {name: total / seconds for name, seconds in timings.items()}
    return {
        "requests_each": total,
        "seconds": timings,
        "requests_per_second": rates,
        "ratio_client_to_httpx": rates["client"] / rates["httpx"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per import variant")
    parser.add_argument("--requests", type=int, default=1000, help="GETs per variant")
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds for the GETs")
    args = parser.parse_args()

    root = collection_root()
    try:
        imports = import_times(root, args.runs)
        sys.path.insert(0, root)
        gets = throughput(args.requests, args.rounds)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    base = imports["httpx+pydantic"]["median_ms"]
    # models.py imports pydantic only with the first model class, so the like-for-like figure is
    # the client with one group of model classes defined over httpx+pydantic with one model class
    added = imports["client+models+App class"]["median_ms"] - imports["httpx+pydantic+one model"]["median_ms"]
    added_no_class = imports["client+models"]["median_ms"] - base
    added_records = imports["client+first record"]["median_ms"] - base
    added_parse = imports["client+models+first parse"]["median_ms"] - base
    added_all = imports["client+models, all classes"]["median_ms"] - base
    parse_over_validated = (
        imports["client+models+first parse"]["median_ms"] - imports["httpx+pydantic+one model validated"]["median_ms"]
    )
    added_cpu = (
        imports["client+models+App class"]["cpu_median_ms"] - imports["httpx+pydantic+one model"]["cpu_median_ms"]
    )
    added_min = imports["client+models+App class"]["min_ms"] - imports["httpx+pydantic+one model"]["min_ms"]
    result = {
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "imports": imports,
        "import_added_ms": added,
        "import_added_cpu_ms": added_cpu,
        "import_added_min_ms": added_min,
        "import_client_models_no_class_over_httpx_pydantic_ms": added_no_class,
        "import_client_first_record_over_httpx_pydantic_ms": added_records,
        "import_added_all_classes_ms": added_all,
        "first_parse_over_one_validated_model_ms": parse_over_validated,
        "import_added_with_first_parse_ms": added_parse,
        "throughput": gets,
    }
    print(f"Python {result['python']}, load average {result['load_average']:.2f}")
    print(f"import cost, median of {args.runs} fresh interpreters:")
    for name, figures in imports.items():
        print(
            f"  {name:<28} {figures['median_ms']:7.1f} ms wall (min {figures['min_ms']:.1f}, "
            f"max {figures['max_ms']:.1f}), {figures['cpu_median_ms']:7.1f} ms CPU"
        )
    print(
        f"  client and models (App's group defined) add {added:.1f} ms wall / {added_cpu:.1f} ms CPU (medians), "
        f"{added_min:.1f} ms (minimums) to httpx+pydantic with one model class (target <= 40 ms): "
        f"{'OK' if added <= 40 else 'OVER'}"
    )
    print(f"  ... client+models before any model class (no pydantic yet): {added_no_class:.1f} ms over httpx+pydantic")
    print(f"  ... client and a first record (the modules' path, no pydantic): {added_records:.1f} ms over the same")
    print(f"  ... {added_all:.1f} ms over httpx+pydantic with every model class defined")
    print(
        f"  ... {added_parse:.1f} ms including the first model validation (App), {parse_over_validated:.1f} ms "
        "over httpx+pydantic with one model defined and validated"
    )
    rates = gets["requests_per_second"]
    print(f"{gets['requests_each']} GETs each against the emulator:")
    print(f"  ConvoxClient.apps.get  {rates['client']:8.1f} req/s")
    print(f"  bare httpx.Client      {rates['httpx']:8.1f} req/s")
    ratio = gets["ratio_client_to_httpx"]
    print(f"  ratio client/httpx     {ratio:8.2f}x (target >= 0.9x): {'OK' if ratio >= 0.9 else 'UNDER'}")
    write_result("client_bench", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
