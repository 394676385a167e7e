# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode before the parent exists: an app that an earlier task of the play would create.

For each module that needs an app: in check mode on a rack without the app the task succeeds,
predicts a change, says so in ``check_mode_note`` and sends no write; its result has the keys of
the applied result once the app exists; outside check mode the missing app fails, naming it,
before any write. convox_exec, whose outcome cannot be predicted, is skipped in check mode with
the same note.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict

import pytest

from ansible_collections.convox.convox.plugins.modules import (
    convox_build,
    convox_copy,
    convox_deploy,
    convox_env,
    convox_exec,
    convox_release,
)

# Keys a check-mode result may carry beside the applied result's (docs/check-mode.md).
CHECK_ONLY = {"check_mode_note", "msg"}
ANSIBLE_KEYS = {"changed", "failed", "invocation", "warnings", "skipped"}


def _source(tmp_path: Any) -> str:
    (tmp_path / "convox.yml").write_text("services:\n  web:\n    build: .\n    port: 3000\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    return os.fspath(tmp_path)


CASES: Dict[str, Callable[[Any], Any]] = {
    "env": lambda tmp: (convox_env, {"app": "newapp", "env": {"A": "1", "SECRET": "s3cr3t-value-42"}}),
    "env-absent": lambda tmp: (convox_env, {"app": "newapp", "state": "absent", "keys": ["A"]}),
    "build": lambda tmp: (convox_build, {"app": "newapp", "path": _source(tmp)}),
    "deploy": lambda tmp: (convox_deploy, {"app": "newapp", "path": _source(tmp)}),
    "release": lambda tmp: (convox_release, {"app": "newapp", "release": "RABCDEFGHIJ"}),
    "copy-content": lambda tmp: (
        convox_copy,
        {"app": "newapp", "service": "web", "path": "/app/s.yml", "content": "token: s3cr3t-value-42\n"},
    ),
    "copy-src": lambda tmp: (convox_copy, {"app": "newapp", "process": "web-1", "path": "/app/s", "src": _file(tmp)}),
    "copy-dest": lambda tmp: (
        convox_copy,
        {"app": "newapp", "service": "web", "path": "/app/report.txt", "dest": os.fspath(tmp / "report.txt")},
    ),
    "copy-absent": lambda tmp: (
        convox_copy,
        {"app": "newapp", "service": "web", "path": "/app/s.yml", "state": "absent"},
    ),
}
# Skipped in check mode (a command's outcome cannot be predicted), with the same note.
SKIPPED: Dict[str, Callable[[Any], Any]] = {
    "exec-service": lambda tmp: (convox_exec, {"app": "newapp", "service": "web", "command": "echo s3cr3t-value-42"}),
    "exec-process": lambda tmp: (convox_exec, {"app": "newapp", "process": "web-1", "command": "true"}),
}


def _file(tmp_path: Any) -> str:
    (tmp_path / "settings").write_text("a: 1\n")
    return os.fspath(tmp_path / "settings")


def _keys(result: Dict[str, Any]) -> set:
    return set(result) - ANSIBLE_KEYS - CHECK_ONLY


@pytest.mark.parametrize("case", sorted(CASES))
def test_missing_app_is_predicted_in_check_mode(case: str, run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    module, args = CASES[case](tmp_path)
    check = run_module(module, args, check=True, diff=True)
    assert not check.get("failed"), check.get("msg")
    assert "App newapp does not exist" in check["check_mode_note"], check
    assert fake_client.writes == []
    if case not in ("env-absent", "copy-absent"):  # removing from an app that is not there changes nothing
        assert check["changed"] is True
    assert "s3cr3t-value-42" not in str(check)
    assert not [op for op in fake_client.ops if op.startswith("processes.")]  # no app: nothing else asked
    if case == "copy-dest":
        assert not (tmp_path / "report.txt").exists()  # check mode writes no local file


@pytest.mark.parametrize("case", sorted(SKIPPED))
def test_missing_app_skips_exec_in_check_mode(case: str, run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    module, args = SKIPPED[case](tmp_path)
    check = run_module(module, args, check=True)
    assert not check.get("failed"), check.get("msg")
    assert check["skipped"] is True
    assert "App newapp does not exist" in check["check_mode_note"], check
    assert fake_client.ops == ["apps.get"]
    assert fake_client.writes == []


@pytest.mark.parametrize("case", sorted(SKIPPED))
def test_missing_app_fails_exec_outside_check_mode(case: str, run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    module, args = SKIPPED[case](tmp_path)
    result = run_module(module, args)
    assert result["failed"] is True
    assert "app newapp does not exist" in result["msg"], result["msg"]
    assert result["failure"]["kind"] == "ParentNotFound" and result["failure"]["parent"] == "app newapp"
    assert fake_client.writes == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_missing_app_fails_outside_check_mode(case: str, run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    module, args = CASES[case](tmp_path)
    result = run_module(module, args)
    assert result["failed"] is True
    assert "app newapp does not exist" in result["msg"], result["msg"]
    assert result["failure"]["kind"] == "ParentNotFound" and result["failure"]["parent"] == "app newapp"
    assert fake_client.writes == []


@pytest.mark.parametrize("case", ["env", "build", "deploy"])
def test_predicted_keys_are_the_applied_keys(case: str, run_module: Any, fake_client: Any, tmp_path: Any) -> None:
    module, args = CASES[case](tmp_path)
    check = run_module(module, args, check=True, diff=True)
    fake_client.app_data["newapp"] = {"name": "newapp", "status": "running", "locked": False, "release": ""}
    fake_client.app_data["newapp"]["parameters"] = {}
    applied = run_module(module, args, diff=True)
    assert not applied.get("failed"), applied.get("msg")
    assert "check_mode_note" not in applied
    assert _keys(check) == _keys(applied)
    assert check["changed"] == applied["changed"]
