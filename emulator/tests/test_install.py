"""The package installs on its own: a wheel built from emulator/ has the package, its metadata and
the `convox-emulator` console script, and both entry points serve from the installed copy.

Built offline with the running interpreter's pip and setuptools (`--no-build-isolation`,
`--no-index`, `--no-deps`: the dependencies are those of the current environment) into a
temporary `--target`, from a copy of the sources so that the checkout gets no build output.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from .conftest import HTTP

PROJECT = Path(__file__).resolve().parents[1]  # emulator/: pyproject.toml, README.md, convox_emulator/
READY = "convox emulator listening on http://127.0.0.1:"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("install")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT / name, source / name)
    shutil.copytree(
        PROJECT / "convox_emulator", source / "convox_emulator", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    target = base / "target"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=str(base),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    yield target


def _env(target: Path) -> Dict[str, str]:
    env = dict(os.environ)
    for name in ("EMULATOR_PORT", "EMULATOR_PASSWORD", "EMULATOR_DELAY_SCALE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(target)  # the installed copy comes before any other on sys.path
    env["EMU_TEST_PASSWORD"] = "installed-pw"
    return env


def _serve_and_stop(command: List[str], target: Path) -> None:
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(target),
        text=True,
        cwd=str(target.parent),  # not a directory with a convox_emulator/ of its own
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(READY), line
        url = line[len("convox emulator listening on ") :].strip()
        with urllib.request.urlopen(url + "/_emulator/state", timeout=10) as response:
            state = json.loads(response.read().decode("utf-8"))
        assert state["version"] == "3.24.9"
        assert list(state["racks"]) == ["convox"]
        assert HTTP.get(url + "/apps", auth=("convox", "installed-pw")).status_code == 200
        assert HTTP.get(url + "/apps", auth=("convox", "secret")).status_code == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert out == ""


def test_wheel_contents(installed: Path) -> None:
    package = installed / "convox_emulator"
    sources = sorted(path.name for path in (PROJECT / "convox_emulator").glob("*.py"))
    assert sorted(path.name for path in package.glob("*.py")) == sources
    assert "__main__.py" in sources and "testing.py" in sources
    assert not (installed / "tests").exists(), "the emulator's tests must stay out of the wheel"
    (dist_info,) = installed.glob("convox_emulator-*.dist-info")
    entry_points = (dist_info / "entry_points.txt").read_text(encoding="utf-8")
    assert "convox-emulator = convox_emulator.__main__:main" in entry_points
    metadata = (dist_info / "METADATA").read_text(encoding="utf-8")
    requires = {
        line.split(":", 1)[1].split(";")[0].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    }
    for name in ("aiohttp", "cryptography", "pyyaml"):
        assert any(item.lower().startswith(name) for item in requires), (name, requires)


def test_installed_copy_is_the_one_imported(installed: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import convox_emulator, sys; sys.stdout.write(convox_emulator.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(installed),
        cwd=str(installed.parent),
        timeout=60,
    )
    assert Path(result.stdout).resolve().parent == (installed / "convox_emulator").resolve()


def test_console_script_serves(installed: Path) -> None:
    script = installed / "bin" / "convox-emulator"
    assert script.is_file()
    _serve_and_stop([str(script), "--port", "0", "--password-env", "EMU_TEST_PASSWORD"], installed)


def test_python_m_serves(installed: Path) -> None:
    _serve_and_stop(
        [sys.executable, "-m", "convox_emulator", "--port", "0", "--password-env", "EMU_TEST_PASSWORD"], installed
    )
