# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answer types: the pydantic models against the records (``_records``), measured.

The figures behind the "Answers" section of docs/architecture.md (one answer type per path).

1. Import cost of each path, in fresh interpreters (--runs each, interleaved; min and median):
   the client is imported first and not timed (httpx, credentials, transport: both paths pay
   it), then the timer covers the first answers of a module task, an app and a release read
   and turned into results: ``models.parse`` (pydantic, the model classes, their schemas) or
   ``_records.record`` (``_records``, ``_shapes``, no pydantic); and, as the upper bound of the
   models path, one answer of every model (every class and schema).
2. Per-call CPU of parsing typical answers in this process, after a warm-up (--repeats rounds
   of --calls calls; min and median per call): an app list of 200 apps, a release with an
   environment of 40 variables, each as models and as records, with and without
   ``to_result()`` (what a module returns), a list of 200 services (a model with kebab-case
   keys and nested models) as models, as records and as records built by the per-field loop
   every record took before the fast paths (``_Compiled(fast=False)``), plus an unusual answer on the records path
   (handed to the model, then turned into a record).

Standard library and the client only. Usage: .venv/bin/python bench/answers_bench.py
[--runs 11] [--repeats 7] [--calls 200]. Results are printed and written to
bench/results/answers_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable, Dict, List

from _common import collection_root, write_result

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIX = "ansible_collections.convox.convox.plugins.module_utils"

APP = {
    "generation": "3",
    "locked": False,
    "name": "myapp",
    "release": "RABCDEFGHIJ",
    "router": "router.rack.example.com",
    "status": "running",
    "parameters": {
        "BuildCpu": "256",
        "BuildMem": "1024",
        "BuildLabels": "",
        "Internal": "false",
        "Isolate": "false",
        "Rolling": "100",
        "Timeout": "300",
        "Tags": "team=web",
    },
}


def app_list(count: int = 200) -> List[Dict[str, Any]]:
    return [dict(APP, name=f"app{index:03d}", release=f"R{index:010d}") for index in range(count)]


MANIFEST = "\n".join(
    ["environment:", "  - PORT=3000"]
    + [line for name in ("web", "worker", "clock") for line in (f"  {name}:", "    build: .", "    scale: 2")]
    + ["services:"]
)
RELEASE = {
    "id": "RABCDEFGHIJ",
    "app": "myapp",
    "build": "BABCDEFGHIJ",
    "env": "\n".join(f"VARIABLE_{index:02d}=value-{index:02d}-abcdefghijklmnop" for index in range(40)),
    "manifest": MANIFEST * 4,
    "description": "env add VARIABLE_39",
    "created": "2024-05-01T12:00:00.123456789Z",
}
# a model with kebab-case wire keys (``gpu-vendor``, ``cold-start``...), nested models included
SERVICE = {
    "name": "web",
    "count": 2,
    "cpu": 256,
    "memory": 512,
    "gpu": 0,
    "gpu-vendor": "",
    "domain": "web.myapp.rack.example.com",
    "ports": [{"balancer": 443, "certificate": "", "container": 3000}],
    "nlb": [
        {
            "container-port": 5432,
            "port": 5432,
            "protocol": "tcp",
            "scheme": "internal",
            "certificate": "",
            "cross-zone": True,
            "allow-cidr": ["10.0.0.0/8"],
        }
    ],
    "min": 1,
    "max": 4,
    "cold-start": False,
    "agent": False,
}
UNUSUAL_APP = dict(APP, locked="false")  # a string where a bool belongs: records hand it to the model

FIRST_ANSWERS = {
    "models": (
        f"from {PREFIX} import models\n"
        "models.to_result(models.parse(models.App, APP))\n"
        "models.to_result(models.parse(models.Release, RELEASE))"
    ),
    "records": (
        f"from {PREFIX} import _records\n"
        "_records.record('App', APP).to_result()\n"
        "_records.record('Release', RELEASE).to_result()"
    ),
    # the upper bound of the models path: every model class defined and its schema built
    "models, every schema": (
        f"from {PREFIX} import models\n"
        "for _name, _group in models.LAZY_MODELS.items():\n"
        "    if _group != '_models_base':\n"
        "        models.parse(getattr(models, _name), {})"
    ),
}

CHILD = """import json, sys, time
_w0, _c0 = time.perf_counter(), time.process_time()
from {prefix}.client import ConvoxClient
_w1, _c1 = time.perf_counter(), time.process_time()
APP = json.loads({app!r})
RELEASE = json.loads({release!r})
_w2, _c2 = time.perf_counter(), time.process_time()
{snippet}
_w3, _c3 = time.perf_counter(), time.process_time()
print((_w1 - _w0) * 1000, (_w3 - _w2) * 1000, (_c3 - _c2) * 1000, "pydantic" in sys.modules)
"""


def summary(values: List[float]) -> Dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def import_times(root: str, runs: int) -> Dict[str, Any]:
    """Milliseconds of the client import and of each path's first answers, in fresh interpreters."""
    env = dict(os.environ, PYTHONPATH=root)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    client: List[float] = []
    wall: Dict[str, List[float]] = {name: [] for name in FIRST_ANSWERS}
    cpu: Dict[str, List[float]] = {name: [] for name in FIRST_ANSWERS}
    pydantic: Dict[str, bool] = {}
    for attempt in range(runs + 1):
        for name, snippet in FIRST_ANSWERS.items():  # interleaved: the same load for every path
            code = CHILD.format(prefix=PREFIX, app=json.dumps(APP), release=json.dumps(RELEASE), snippet=snippet)
            out = subprocess.run(
                [sys.executable, "-c", code],
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=tempfile.gettempdir(),
            )
            if attempt == 0:
                continue  # the first round writes the bytecode caches
            client_ms, wall_ms, cpu_ms, loaded = out.stdout.split()
            client.append(float(client_ms))
            wall[name].append(float(wall_ms))
            cpu[name].append(float(cpu_ms))
            pydantic[name] = loaded == "True"
    return {
        "client_import_ms": summary(client),
        "first_answers_wall_ms": {name: summary(values) for name, values in wall.items()},
        "first_answers_cpu_ms": {name: summary(values) for name, values in cpu.items()},
        "imports_pydantic": pydantic,
    }


def per_call(func: Callable[[], Any], repeats: int, calls: int) -> Dict[str, float]:
    """CPU microseconds per call (process time), min/median/max over ``repeats`` rounds."""
    for _warm in range(max(3, calls // 10)):
        func()
    rounds = []
    for _round in range(repeats):
        start = time.process_time()
        for _call in range(calls):
            func()
        rounds.append((time.process_time() - start) * 1e6 / calls)
    return summary(rounds)


def service_list(count: int = 200) -> List[Dict[str, Any]]:
    return [dict(SERVICE, name=f"service{index:03d}") for index in range(count)]


def parse_costs(repeats: int, calls: int) -> Dict[str, Dict[str, float]]:
    from ansible_collections.convox.convox.plugins.module_utils import _records, _shapes, models

    apps = app_list()
    services = service_list()
    # every model on the per-field loop (``_Compiled(fast=False)``): the records before the fast paths
    loop_shapes = {name: _records._Compiled(name, fast=False) for name in _shapes.SHAPES}

    def loop_records(name: str, data: Any) -> Any:
        fast_shapes, _records._COMPILED = _records._COMPILED, loop_shapes
        try:
            return _records.record_list(name, data)
        finally:
            _records._COMPILED = fast_shapes

    cases: Dict[str, Callable[[], Any]] = {
        "200 apps: models": lambda: models.parse_list(models.App, apps),
        "200 apps: records": lambda: _records.record_list("App", apps),
        "200 apps: models + to_result": lambda: models.to_result(models.parse_list(models.App, apps)),
        "200 apps: records + to_result": lambda: models.to_result(_records.record_list("App", apps)),
        "200 services: models": lambda: models.parse_list(models.Service, services),
        "200 services: records": lambda: _records.record_list("Service", services),
        "200 services: records, per-field loop": lambda: loop_records("Service", services),
        "200 apps: records, per-field loop": lambda: loop_records("App", apps),
        "release with env: models": lambda: models.parse(models.Release, RELEASE),
        "release with env: records": lambda: _records.record("Release", RELEASE),
        "release with env: models + to_result": lambda: models.parse(models.Release, RELEASE).to_result(),
        "release with env: records + to_result": lambda: _records.record("Release", RELEASE).to_result(),
        "unusual app: models": lambda: models.parse(models.App, UNUSUAL_APP),
        "unusual app: records (via the model)": lambda: _records.record("App", UNUSUAL_APP),
    }
    costs = {}
    for name, func in cases.items():
        # the big list gets fewer calls per round, so every case takes a comparable time
        costs[name] = per_call(func, repeats, max(1, calls // 20) if name.startswith("200") else calls)
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="fresh interpreters per path")
    parser.add_argument("--repeats", type=int, default=7, help="rounds per parse case")
    parser.add_argument("--calls", type=int, default=200, help="calls per round (a tenth for 200 apps)")
    args = parser.parse_args()

    root = collection_root("convox-answers-bench-")
    try:
        imports = import_times(root, args.runs)
        sys.path.insert(0, root)
        parses = parse_costs(args.repeats, args.calls)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    result = {
        "python": platform.python_version(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "runs": args.runs,
        "imports": imports,
        "parse_cpu_us": parses,
    }
    print(f"Python {result['python']}, load average {result['load_average']:.2f}")
    client = imports["client_import_ms"]
    print(
        f"fresh interpreters ({args.runs} runs each): client import {client['min']:.1f} ms min, "
        f"{client['median']:.1f} ms median (both paths)"
    )
    for name in FIRST_ANSWERS:
        wall = imports["first_answers_wall_ms"][name]
        cpu = imports["first_answers_cpu_ms"][name]
        print(
            f"  first answers, {name:<20} {wall['min']:7.1f} ms min, {wall['median']:7.1f} ms median wall; "
            f"{cpu['median']:7.1f} ms CPU median; pydantic imported: {imports['imports_pydantic'][name]}"
        )
    saved = imports["first_answers_wall_ms"]["models"]["median"] - imports["first_answers_wall_ms"]["records"]["median"]
    print(f"  records save {saved:.1f} ms per process (medians)")
    print(f"per-call CPU ({args.repeats} rounds, microseconds per call):")
    for name, figures in parses.items():
        print(f"  {name:<40} {figures['min']:9.1f} min {figures['median']:9.1f} median")

    write_result("answers_bench", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
