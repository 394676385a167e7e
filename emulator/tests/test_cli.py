"""The command line: `python -m convox_emulator` prints exactly one ready line and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Dict, List

from convox_emulator.testing import PACKAGE_PARENT

from .conftest import HTTP


def _env() -> Dict[str, str]:
    env = dict(os.environ)
    env.pop("EMULATOR_PORT", None)
    env["EMULATOR_PASSWORD"] = "frompassenv"
    env["EMULATOR_DELAY_SCALE"] = "0.5"
    return env


def test_ready_line_env_fallbacks_and_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "convox_emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
        cwd=PACKAGE_PARENT,  # this copy of the package, as start_emulator does
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
    bad: List[List[str]] = [
        ["--host", "0.0.0.0"],
        ["--api-key", "k:root"],
        ["--delay-scale", "-1"],
        ["--password-env", "CONVOX_EMULATOR_TEST_UNSET"],
        ["--password", "x", "--password-env", "EMULATOR_PASSWORD"],
    ]
    for args in bad:
        result = subprocess.run(
            [sys.executable, "-m", "convox_emulator", "--port", "0", *args],
            capture_output=True,
            check=False,
            env=_env(),
            text=True,
            timeout=30,
            cwd=PACKAGE_PARENT,
        )
        assert result.returncode == 2, args
        assert result.stdout == ""


def test_password_env_takes_any_password_off_the_command_line() -> None:
    password = 'a\'b $x "c" d'  # quotes, a dollar and spaces: taken as they are
    env = _env()
    env["MY_RACK_PASSWORD"] = password
    proc = subprocess.Popen(
        [sys.executable, "-m", "convox_emulator", "--port", "0", "--password-env", "MY_RACK_PASSWORD"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        cwd=PACKAGE_PARENT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("convox emulator listening on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        assert HTTP.get(url + "/apps", auth=("convox", password)).status_code == 200
        # EMULATOR_PASSWORD (the fallback) is not used when --password-env names another variable
        assert HTTP.get(url + "/apps", auth=("convox", "frompassenv")).status_code == 401
        with open(f"/proc/{proc.pid}/cmdline", "rb") as handle:
            assert password.encode() not in handle.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert password not in out + err
