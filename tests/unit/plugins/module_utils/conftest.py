# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.convox.convox`` importable under plain pytest.

Under ``ansible-test units`` (or with pytest-ansible's collection finder) the collection is
already importable and nothing happens. Otherwise, under plain pytest from a git checkout, a
temporary ``ansible_collections/convox/convox`` symlink to the repository root is created and
put on ``sys.path``.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def _importable() -> bool:
    try:
        importlib.import_module("ansible_collections.convox.convox.plugins.module_utils.errors")
    except ImportError:
        return False
    return True


def _install() -> None:
    if _importable():
        return
    for name in list(sys.modules):
        if name == "ansible_collections" or name.startswith("ansible_collections."):
            del sys.modules[name]
    root = tempfile.mkdtemp(prefix="convox-collection-")
    atexit.register(shutil.rmtree, root, True)
    namespace = os.path.join(root, "ansible_collections", "convox")
    os.makedirs(namespace)
    os.symlink(REPO_ROOT, os.path.join(namespace, "convox"))
    sys.path.insert(0, root)
    importlib.invalidate_caches()


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # after pytest-ansible, which may install Ansible's collection finder for the checkout
    _install()


BASE = "https://rack.test"


@pytest.fixture
def router():
    """A respx router for the test rack; every route must be declared by the test."""
    import respx

    with respx.mock(base_url=BASE, assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def client(router):
    """A client for ``https://rack.test`` with password ``secret`` and no real sleeping."""
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    instance = ConvoxClient(BASE, "secret", retries=2, backoff=0, config_dir="/nonexistent")
    instance.transport.sleep = lambda seconds: None
    yield instance
    instance.close()


@pytest.fixture
def no_sleep(monkeypatch):
    """Fake clock for waits: sleeping advances time instantly."""
    from ansible_collections.convox.convox.plugins.module_utils import waits

    clock = {"now": 1000.0, "slept": []}

    def fake_sleep(seconds):
        clock["slept"].append(seconds)
        clock["now"] += seconds

    monkeypatch.setattr(waits, "sleep", fake_sleep)
    monkeypatch.setattr(waits, "monotonic", lambda: clock["now"])
    return clock
