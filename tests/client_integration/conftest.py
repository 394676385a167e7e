# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client against a live emulator (plain pytest): fixtures and import paths."""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile

import pytest
from client_helpers import DELAY_SCALE, PASSWORD, REPO_ROOT


def _make_collection_importable() -> None:
    try:
        importlib.import_module("ansible_collections.convox.convox.plugins.module_utils.errors")
        return
    except ImportError:
        pass
    for name in list(sys.modules):
        if name == "ansible_collections" or name.startswith("ansible_collections."):
            del sys.modules[name]
    root = tempfile.mkdtemp(prefix="convox-collection-")
    atexit.register(shutil.rmtree, root, True)
    os.makedirs(os.path.join(root, "ansible_collections", "convox"))
    os.symlink(REPO_ROOT, os.path.join(root, "ansible_collections", "convox", "convox"))
    sys.path.insert(0, root)
    importlib.invalidate_caches()


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    # after pytest-ansible, which may install Ansible's collection finder for the checkout
    _make_collection_importable()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    for name in ("RACK_URL", "CONVOX_HOST", "CONVOX_PASSWORD", "CONVOX_RACK", "CONVOX_CONFIG", "CONVOX_ACTOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def emu():
    from convox_emulator.testing import start_emulator

    handle = start_emulator(password=PASSWORD, delay_scale=DELAY_SCALE)
    yield handle
    handle.stop()


@pytest.fixture
def rack(emu):
    """The shared emulator, reset before each test."""
    emu.reset()
    return emu


@pytest.fixture
def client(rack):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    with ConvoxClient(rack.url, PASSWORD, retries=2, backoff=0.01, config_dir="/nonexistent") as instance:
        yield instance
