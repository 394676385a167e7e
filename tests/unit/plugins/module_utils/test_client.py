# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ConvoxClient: construction, lazy accessors, and imports without the third-party libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import client as client_mod
from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_UTILS = [
    "_convert",
    "_pydantic",
    "_models_base",
    "_models_apps",
    "_models_runtime",
    "_models_rack",
    "errors",
    "credentials",
    "transport",
    "models",
    "websocket",
    "waits",
    "client",
    "_version",
    "_shapes",
    "_records",
    "resources",
    "resources._base",
    "resources.apps",
    "resources.builds",
    "resources.releases",
    "resources.environment",
    "resources.services",
    "resources.processes",
    "resources.resources",
    "resources.instances",
    "resources.registries",
    "resources.certificates",
    "resources.system",
    "resources.objects",
]

BLOCKED_IMPORT = """
import importlib, json, sys
sys.path.insert(0, {here!r})
import conftest; conftest._install()  # makes the collection importable
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked " + name)
        return None
sys.meta_path.insert(0, Blocker())
prefix = "ansible_collections.convox.convox.plugins.module_utils."
for name in {modules!r}:
    importlib.import_module(prefix + name)
client = importlib.import_module(prefix + "client")
out = {{"has": client.HAS_DEPENDENCIES, "missing": client.missing_dependency(websocket=True)}}
try:
    client.ConvoxClient("h", "p")
except Exception as exc:
    out["error"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


def run_blocked(blocked):
    code = BLOCKED_IMPORT.format(here=HERE, blocked=blocked, modules=MODULE_UTILS)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("blocked", "missing"),
    [
        (["httpx", "pydantic", "websocket"], "httpx"),
        (["pydantic"], "pydantic"),
        (["websocket"], "websocket-client"),
    ],
)
def test_imports_with_standard_library_only(blocked, missing):
    result = run_blocked(blocked)
    name, trace = result["missing"]
    assert name == missing
    assert "ImportError" in trace
    if missing == "websocket-client":
        assert result["has"] is True
        assert "error" not in result
    else:
        assert result["has"] is False
        assert result["error"] == f"ConvoxError: the Python library {missing} is required by the Convox client"


def test_missing_dependency_none_when_installed():
    assert client_mod.HAS_DEPENDENCIES is True
    assert client_mod.missing_dependency() is None
    assert client_mod.missing_dependency(websocket=True) is None


def test_accessors_are_lazy_and_cached():
    code = (
        f"import sys; sys.path.insert(0, {HERE!r}); import conftest; conftest._install()\n"
        "from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient\n"
        "c = ConvoxClient('https://h', 'p', config_dir='/nonexistent')\n"
        "p = 'ansible_collections.convox.convox.plugins.module_utils.'\n"
        "before = sorted(n for n in sys.modules if n.startswith(p + 'resources.') or n == p + 'websocket')\n"
        "c.apps\n"
        "after = sorted(n[len(p):] for n in sys.modules if n.startswith(p + 'resources.'))\n"
        "print(before, after)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[] ['resources._base', 'resources.apps']"


def test_context_manager_and_repr(router):
    route = router.get("/base/apps").mock(return_value=httpx.Response(200, json=[]))
    with ConvoxClient("https://convox:pw123@rack.test/base", rack="org/rack", config_dir="/nonexistent") as client:
        assert client.host == "https://rack.test/base"
        assert client.rack == "org/rack"
        assert repr(client) == "ConvoxClient(host='https://rack.test/base', rack='org/rack')"
        assert client.apps is client.apps
        assert client.api.get("/apps") == []
        for name in (
            "apps",
            "builds",
            "releases",
            "environment",
            "services",
            "processes",
            "resources",
            "instances",
            "registries",
            "certificates",
            "system",
            "objects",
        ):
            accessor = getattr(client, name)
            assert "pw123" not in repr(accessor)
    assert route.call_count == 1
    with pytest.raises(ConvoxError, match="closed"):
        client.apps.list()


def test_client_from_environment(router, monkeypatch, tmp_path):
    monkeypatch.setenv("RACK_URL", "https://convox:envpw@rack.test")
    route = router.get("/system").mock(return_value=httpx.Response(200, json={"name": "r"}))
    client = ConvoxClient(config_dir=str(tmp_path))
    assert client.system.get().name == "r"
    assert route.calls.last.request.headers["authorization"] == "Basic Y29udm94OmVudnB3"


def test_client_without_any_host(monkeypatch, tmp_path):
    for name in ("RACK_URL", "CONVOX_HOST", "CONVOX_RACK", "CONVOX_PASSWORD", "CONVOX_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConvoxError, match="no Convox host"):
        ConvoxClient(config_dir=str(tmp_path))
