# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers to run a convox.convox module in-process with a scripted fake client."""

from __future__ import annotations

import contextlib
import json
from typing import Any, Dict, Iterator

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


@contextlib.contextmanager
def module_args(args: Dict[str, Any]) -> Iterator[None]:
    """Hand ``args`` to the next AnsibleModule, whatever the ansible-core version."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
    except ImportError:
        old = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = old
        return
    with patch_module_args(args):
        yield


class ModuleRunner:
    """Runs ``module.main()`` with arguments and a fake client; returns the parsed result."""

    def __init__(self, capsys: Any, monkeypatch: Any) -> None:
        self.capsys = capsys
        self.monkeypatch = monkeypatch
        self.client: Any = None

    def args(self, args: Dict[str, Any]) -> Any:
        return module_args(args)

    def use_client(self, client: Any) -> None:
        # Imported here: conftest files load before pytest-ansible makes the collection importable.
        from ansible_collections.convox.convox.plugins.module_utils import _module

        self.client = client
        self.monkeypatch.setattr(_module.ConvoxModule, "_build_client", lambda _self: self.client)

    def __call__(self, module: Any, args: Dict[str, Any], check: bool = False, diff: bool = False) -> Dict[str, Any]:
        full = dict(args)
        full.setdefault("host", "http://127.0.0.1:9")
        full.setdefault("password", "s3cr3t-pw")
        if check:
            full["_ansible_check_mode"] = True
        if diff:
            full["_ansible_diff"] = True
        self.capsys.readouterr()
        with module_args(full), pytest.raises(SystemExit):
            module.main()
        out = self.capsys.readouterr().out
        return json.loads(out)


@pytest.fixture
def run_module(capsys: Any, monkeypatch: Any) -> ModuleRunner:
    return ModuleRunner(capsys, monkeypatch)
