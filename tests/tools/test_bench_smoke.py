# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every bench script (bench/*.py, what ``make bench`` runs) starts and finishes on a tiny load.

Benchmarks are measurements, not tests: these runs prove that each script still runs end to end
against the current client, emulator and ansible-core (a handful of requests or tasks each), not
any figure. Their results go to a temporary directory (``CONVOX_BENCH_RESULTS``), never over a
real run's figures in bench/results/.
"""

from __future__ import annotations

import contextlib
import glob
import importlib.util
import json
import os
import subprocess
import sys

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# the fewest requests, tasks and rounds each script takes; the file each one writes, if any
TINY = {
    "answers_bench.py": (["--runs", "1", "--repeats", "1", "--calls", "2"], "answers_bench.json"),
    "client_bench.py": (["--runs", "1", "--requests", "4", "--rounds", "2"], "client_bench.json"),
    "concurrency_bench.py": (["--writes", "1", "--rounds", "1"], "concurrency_bench.json"),
    "controller_bench.py": (
        ["--items", "1", "--hosts", "1", "--forks", "1", "--module-items", "1", "--rounds", "1", "--json", "{out}"],
        "controller_bench.json",
    ),
    "emulator_bench.py": (["--requests", "4", "--apps", "2", "--releases", "1"], None),
    "modules_bench.py": (["--tasks", "1", "--rounds", "1", "--json", "{out}"], "modules_bench.json"),
    "sdk_bench.py": (["--rounds", "1", "--lists", "1", "--writes", "1", "--apps", "3"], "sdk_bench.json"),
}
HAVE_SDK = importlib.util.find_spec("convox") is not None


def test_every_bench_script_has_a_tiny_run():
    scripts = {os.path.basename(path) for path in glob.glob(os.path.join(REPO_ROOT, "bench", "[!_]*.py"))}
    assert scripts == set(TINY)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every script started at once (most of their time is spent waiting on ansible-playbook and the
    emulator's answers), each with its own results directory: {script: (process, directory)}."""
    started = {}
    with contextlib.ExitStack() as stack:  # on the way out: every process waited for
        for script, (args, _written) in TINY.items():
            directory = tmp_path_factory.mktemp(script.replace(".py", ""))
            out = str(directory / "out.json")
            command = [sys.executable, os.path.join(REPO_ROOT, "bench", script)] + [arg.format(out=out) for arg in args]
            # output to files: a full pipe would stall a script while another is waited for
            stdout = stack.enter_context(open(directory / "stdout", "w", encoding="utf-8"))
            stderr = stack.enter_context(open(directory / "stderr", "w", encoding="utf-8"))
            process = stack.enter_context(
                subprocess.Popen(
                    command,
                    env=dict(os.environ, CONVOX_BENCH_RESULTS=str(directory)),
                    cwd=REPO_ROOT,
                    stdout=stdout,
                    stderr=stderr,
                )
            )
            stack.callback(_stop, process)
            started[script] = (process, directory)
        yield started


def _stop(process):
    if process.poll() is None:  # a test that failed before reading it
        process.kill()
        process.wait()


@pytest.mark.parametrize("script", sorted(TINY))
def test_bench_script_runs(script, runs):
    process, directory = runs[script]
    process.wait(timeout=300)
    stdout = (directory / "stdout").read_text(encoding="utf-8")
    stderr = (directory / "stderr").read_text(encoding="utf-8")
    if script == "sdk_bench.py" and not HAVE_SDK:
        # the official SDK is a bench requirement (bench/requirements-bench.txt, which make bench
        # installs), not a test one: without it the script says what to install
        assert process.returncode == 2, stdout + stderr
        assert "requirements-bench.txt" in stdout
        return
    assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    assert stdout.strip()
    written = TINY[script][1]
    if written:
        name = "out.json" if "{out}" in TINY[script][0] else written
        with open(directory / name, encoding="utf-8") as handle:
            assert json.load(handle)
