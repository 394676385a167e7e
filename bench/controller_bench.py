"""Benchmark: loops and many hosts on the controller path, next to ansible.builtin.uri in the same run.

Run from the repository root with the dev venv:

    .venv/bin/python bench/controller_bench.py [--items 200] [--hosts 50] [--forks 10] [--rounds 1]
        [--module-items 20] [--json out.json]

It starts the emulator, creates the app ``bench`` with an environment, then times, interleaved
round by round so that machine load hits all of them alike:

* a loop of ``--items`` no-op ``convox_app`` items (name=bench) and the same loop of
  ``ansible.builtin.uri`` GET /apps/bench;
* a loop of ``--items`` no-op ``convox_env`` items (the environment the app has) and the uri loop;
* ``--hosts`` local hosts with ``--forks`` forks, one no-op ``convox_app`` task each, and the same
  with uri;
* the module path (``CONVOX_CONTROLLER_PATH=false``): a loop of ``--module-items`` no-op
  ``convox_app`` items and a uri loop of the same length, to show that the module path costs
  what it did (no per-task regression);
* an empty playbook, whose time is subtracted from every case.

Figures are CPU time (user + system of ansible-playbook and every process it waited for) and
wall-clock time, as ratios against uri in the same run. Target: the no-op loops at 0.25x of uri
or less in CPU time. A benchmark, not a test: nothing is asserted on times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Tuple

from modules_bench import ENV, _children_cpu, collection_tree

from convox_emulator.testing import start_emulator  # the installed package (make venv installs it)


def playbook(path: str, hosts: str, task: Dict[str, Any], items: int) -> None:
    body = dict(task)
    if items:
        body["loop"] = list(range(items))
    play = {"hosts": hosts, "gather_facts": False, "tasks": [body] if task else []}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([play], handle)


def inventory(path: str, hosts: int) -> None:
    lines = ["[many]"] + [f"h{i:03d}" for i in range(hosts)]
    lines += ["", "[all:vars]", "ansible_connection=local", f"ansible_python_interpreter={sys.executable}"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def run(path: str, env: Dict[str, str], inv: str, forks: int = 5) -> Tuple[float, float]:
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inv, "-f", str(forks), path],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--module-items", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="controller-bench-") as tmp, start_emulator(password="bench-pw") as emu:
        env = dict(os.environ)
        env.update(
            ANSIBLE_COLLECTIONS_PATH=collection_tree(tmp),
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_HOST_KEY_CHECKING="false",
            CONVOX_HOST=emu.url,
            CONVOX_PASSWORD=emu.password,
        )
        env.pop("CONVOX_CONTROLLER_PATH", None)
        modules_env = dict(env, CONVOX_CONTROLLER_PATH="false")
        local = os.path.join(tmp, "local.ini")
        with open(local, "w", encoding="utf-8") as handle:
            handle.write(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
        many = os.path.join(tmp, "many.ini")
        inventory(many, args.hosts)

        app = {"convox.convox.convox_app": {"name": "bench"}}
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
        playbook(setup, "localhost", app, 0)
        run(setup, env, local)
        playbook(setup, "localhost", env_noop, 0)
        run(setup, env, local)

        # name: (task, items, hosts pattern, inventory, forks, environment)
        cases: Dict[str, Tuple[Dict[str, Any], int, str, str, int, Dict[str, str]]] = {
            "empty": ({}, 0, "localhost", local, 5, env),
            "uri loop": (uri, args.items, "localhost", local, 5, env),
            "convox_app loop": (app, args.items, "localhost", local, 5, env),
            "convox_env loop": (env_noop, args.items, "localhost", local, 5, env),
            "uri hosts": (uri, 0, "many", many, args.forks, env),
            "convox_app hosts": (app, 0, "many", many, args.forks, env),
            "empty hosts": ({}, 0, "many", many, args.forks, env),
            "uri loop (short)": (uri, args.module_items, "localhost", local, 5, env),
            "convox_app loop, module path": (app, args.module_items, "localhost", local, 5, modules_env),
        }
        times: Dict[str, List[Tuple[float, float]]] = {name: [] for name in cases}
        for _round in range(args.rounds):
            for name, (task, items, hosts, inv, forks, case_env) in cases.items():
                path = os.path.join(tmp, name.replace(" ", "_").replace(",", "") + ".json")
                playbook(path, hosts, task, items)
                times[name].append(run(path, case_env, inv, forks))

    def cost(name: str, empty: str) -> Tuple[float, float]:
        pairs = list(zip(times[name], times[empty]))
        return (
            statistics.median(t[0] - e[0] for t, e in pairs),
            statistics.median(t[1] - e[1] for t, e in pairs),
        )

    comparisons = [
        ("convox_app loop", "uri loop", "empty", args.items),
        ("convox_env loop", "uri loop", "empty", args.items),
        ("convox_app hosts", "uri hosts", "empty hosts", args.hosts),
        ("convox_app loop, module path", "uri loop (short)", "empty", args.module_items),
    ]
    result: Dict[str, Any] = {"items": args.items, "hosts": args.hosts, "forks": args.forks, "rounds": args.rounds}
    print(f"median of {args.rounds} interleaved round(s), empty playbook subtracted:")
    print(f"  {'case':32s} {'cpu s':>8s} {'wall s':>8s} {'cpu/uri':>8s} {'wall/uri':>9s} {'cpu ms/task':>12s}")
    for name, reference, empty, count in comparisons:
        wall, cpu = cost(name, empty)
        ref_wall, ref_cpu = cost(reference, empty)
        result[name] = {
            "cpu_s": round(cpu, 3),
            "wall_s": round(wall, 3),
            "uri_cpu_s": round(ref_cpu, 3),
            "uri_wall_s": round(ref_wall, 3),
            "cpu_ratio": round(cpu / ref_cpu, 3),
            "wall_ratio": round(wall / ref_wall, 3),
        }
        print(
            f"  {name:32s} {cpu:8.2f} {wall:8.2f} {cpu / ref_cpu:7.2f}x {wall / ref_wall:8.2f}x "
            f"{cpu / count * 1000:12.1f}"
        )
        print(f"  {'  ' + reference:32s} {ref_cpu:8.2f} {ref_wall:8.2f} {'':8s} {'':9s} {ref_cpu / count * 1000:12.1f}")
    result["load_average"] = os.getloadavg()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
