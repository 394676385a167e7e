"""Benchmark: what a no-op module task costs, next to ansible.builtin.uri doing the same GET.

Run from the repository root with the dev venv:

    .venv/bin/python bench/modules_bench.py [--tasks 10] [--rounds 3] [--json out.json]

It starts the emulator, prepares an app (deployed, with an environment), then, in one run,
times playbooks of N identical tasks, interleaved round by round so machine load hits all of
them alike:

* ``ansible.builtin.uri`` GET /apps/bench (basic auth), the baseline;
* ``convox.convox.convox_app_info`` name=bench (the same single GET);
* ``convox.convox.convox_env`` with the environment the app already has (no-op);
* an empty playbook, whose time is subtracted.

Per-task cost = (T(N tasks) - T(empty)) / N, median over the rounds, both in wall-clock time
and in CPU time (user + system of ansible-playbook and every process it waited for: the
controller, its workers and the modules). CPU time is what a task costs the machine and hardly
moves with the load of other processes; wall-clock time does. The ratio is judged on CPU time
and both are printed. It also counts the
requests one no-op task sends (from the emulator's request log): convox_app_info must send
exactly one GET, a no-op convox_env exactly two GETs and nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple

from convox_emulator.testing import start_emulator  # the installed package (make venv installs it)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ENV = {"LOG_LEVEL": "info", "WORKERS": "4"}


def collection_tree(tmp: str) -> str:
    """A collections path whose ansible_collections/convox/convox is this repository."""
    parent = os.path.join(tmp, "collections", "ansible_collections", "convox")
    os.makedirs(parent)
    os.symlink(ROOT, os.path.join(parent, "convox"))
    return os.path.join(tmp, "collections")


def write_playbook(path: str, tasks: List[Dict[str, Any]], count: int) -> None:
    play = {"hosts": "localhost", "gather_facts": False, "tasks": [dict(t) for t in tasks for _copy in range(count)]}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([play], handle)  # JSON is YAML


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_playbook(path: str, env: Dict[str, str]) -> Tuple[float, float]:
    """(wall-clock seconds, CPU seconds) of one ansible-playbook run."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local", path],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", type=int, default=10, help="tasks per timed playbook (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="modules-bench-") as tmp, start_emulator(password="bench-pw") as emu:
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=collection_tree(tmp),
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            CONVOX_HOST=emu.url,
            CONVOX_PASSWORD=emu.password,
        )
        source = os.path.join(tmp, "src")
        os.makedirs(source)
        with open(os.path.join(source, "convox.yml"), "w", encoding="utf-8") as handle:
            handle.write("services:\n  web:\n    build: .\n    port: 3000\n")
        with open(os.path.join(source, "Dockerfile"), "w", encoding="utf-8") as handle:
            handle.write("FROM alpine:3.20\n")

        app_info = {"convox.convox.convox_app_info": {"name": "bench"}}
        env_noop = {"convox.convox.convox_env": {"app": "bench", "env": ENV}}
        uri = {
            "ansible.builtin.uri": {
                "url": emu.url + "/apps/bench",
                "url_username": "convox",
                "url_password": emu.password,
                "force_basic_auth": True,
            }
        }
        setup = os.path.join(tmp, "setup.json")
        write_playbook(setup, [{"convox.convox.convox_app": {"name": "bench"}}], 1)
        run_playbook(setup, env)
        write_playbook(setup, [{"convox.convox.convox_deploy": {"app": "bench", "path": source}}, env_noop], 1)
        run_playbook(setup, env)

        # requests sent by one no-op task of each kind
        counts: Dict[str, List[str]] = {}
        for name, task in (("convox_app_info", app_info), ("convox_env", env_noop), ("uri", uri)):
            path = os.path.join(tmp, f"one-{name}.json")
            write_playbook(path, [task], 1)
            emu.clear_requests()
            run_playbook(path, env)
            counts[name] = [f"{r['method']} {r['path']}" for r in emu.requests()]

        cases: Dict[str, Tuple[List[Dict[str, Any]], int]] = {
            "empty": ([], 0),
            "uri": ([uri], args.tasks),
            "convox_app_info": ([app_info], args.tasks),
        }
        cases["convox_env (no-op)"] = ([env_noop], args.tasks)
        times: Dict[str, List[Tuple[float, float]]] = {name: [] for name in cases}
        for _round in range(args.rounds):
            for name, (tasks, count) in cases.items():
                path = os.path.join(tmp, f"{name.split()[0]}.json")
                write_playbook(path, tasks, count)
                times[name].append(run_playbook(path, env))

    wall: Dict[str, float] = {}
    cpu: Dict[str, float] = {}
    for name in cases:
        if name == "empty":
            continue
        pairs = list(zip(times[name], times["empty"]))
        wall[name] = statistics.median((t[0] - e[0]) / args.tasks for t, e in pairs)
        cpu[name] = statistics.median((t[1] - e[1]) / args.tasks for t, e in pairs)
    ratio = cpu["convox_app_info"] / cpu["uri"]
    wall_ratio = wall["convox_app_info"] / wall["uri"]
    result = {
        "tasks_per_playbook": args.tasks,
        "rounds": args.rounds,
        "empty_playbook_s": statistics.median(t[0] for t in times["empty"]),
        "per_task_wall_s": {k: round(v, 3) for k, v in wall.items()},
        "per_task_cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "app_info_vs_uri_cpu": round(ratio, 2),
        "app_info_vs_uri_wall": round(wall_ratio, 2),
        "requests": counts,
        "load_average": os.getloadavg(),
    }
    print(f"per-task cost, median of {args.rounds} interleaved rounds of {args.tasks} tasks:")
    print(f"  {'':20s} {'cpu':>7s}    {'wall':>7s}")
    for name in wall:
        print(f"  {name:20s} {cpu[name] * 1000:7.0f} ms {wall[name] * 1000:7.0f} ms")
    print(f"  convox_app_info / uri = {ratio:.2f}x in CPU time (target <= 1.2x), {wall_ratio:.2f}x wall-clock")
    for name, sent in counts.items():
        print(f"requests of one no-op {name}: {len(sent)} {sent}")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
    ok = counts["convox_app_info"] == ["GET /apps/bench"] and len(counts["convox_env"]) == 2
    ok = ok and all(c.startswith("GET ") for c in counts["convox_env"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
