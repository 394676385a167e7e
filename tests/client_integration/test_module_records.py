# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Modules read through records: a task against the emulator never imports pydantic.

Each module runs as Ansible runs it, a fresh Python process given its arguments on stdin, under
``python -X importtime``, which lists every module the process imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from client_helpers import PASSWORD


def collections_root() -> str:
    import ansible_collections.convox.convox as collection

    # .../ansible_collections/convox/convox -> the directory holding ansible_collections
    return os.path.dirname(os.path.dirname(os.path.dirname(next(iter(collection.__path__)))))


def run_module(name: str, args: dict) -> tuple:
    """(result, imported module names) of one module run."""
    env = dict(os.environ, PYTHONPATH=collections_root())
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", f"ansible_collections.convox.convox.plugins.modules.{name}"],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines() if "|" in line}
    assert completed.stdout.strip(), completed.stderr[-2000:]
    return json.loads(completed.stdout), imported


@pytest.mark.parametrize(
    ("module", "args", "changed"),
    [
        ("convox_app_info", {"name": "myapp"}, False),
        ("convox_app", {"name": "second", "wait": False}, True),
        ("convox_env", {"app": "myapp", "env": {"POOL": "5"}, "wait": False}, True),
        ("convox_release_info", {"app": "myapp"}, False),
    ],
)
def test_module_tasks_do_not_import_pydantic(rack, client, module, args, changed):
    from ansible_collections.convox.convox.plugins.module_utils import waits

    client.apps.create("myapp")
    waits.wait_app_running(client, "myapp", interval=0.2)
    rack.clear_requests()
    result, imported = run_module(module, dict(args, host=rack.url, password=PASSWORD))
    assert not result.get("failed"), result
    assert result["changed"] is changed
    assert not [name for name in imported if name.split(".")[0] in ("pydantic", "pydantic_core")]
    assert "ansible_collections.convox.convox.plugins.module_utils._records" in imported
    sent = [f"{r['method']} {r['path']}" for r in rack.requests()]
    assert sent, "the module sent nothing"
    if module == "convox_app_info":
        assert sent == ["GET /apps/myapp"]
        assert result["apps"][0]["name"] == "myapp"
    if module == "convox_app":
        assert "POST /apps" in sent
        assert "second" in rack.rack_state()["apps"]
    if module == "convox_env":
        assert result["env_keys"] == ["POOL"]
        assert "POOL=5" not in json.dumps(result)
