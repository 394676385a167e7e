"""The command line: `python -m emulator` prints exactly one ready line and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Dict

from .conftest import HTTP

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = TESTS_DIR
    env["EMULATOR_PASSWORD"] = "frompassenv"
    env["EMULATOR_DELAY_SCALE"] = "0.5"
    return env


def test_ready_line_env_fallbacks_and_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("convox emulator listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        assert HTTP.get(url + "/apps", auth=("convox", "frompassenv")).status_code == 200
        assert HTTP.get(url + "/_emulator/state").json()["options"]["delay_scale"] == 0.5
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out == ""
    assert "frompassenv" not in err


def test_bad_flags_are_rejected() -> None:
    for args in (["--host", "0.0.0.0"], ["--api-key", "k:root"], ["--delay-scale", "-1"]):
        result = subprocess.run(
            [sys.executable, "-m", "emulator", "--port", "0", *args],
            capture_output=True,
            check=False,
            env=_env(),
            text=True,
            timeout=30,
        )
        assert result.returncode == 2, args
        assert result.stdout == ""
