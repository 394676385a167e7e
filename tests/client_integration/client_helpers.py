# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers shared by the client integration tests."""

from __future__ import annotations

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PASSWORD = "emu-secret-7f3a"
DELAY_SCALE = 0.02

MANIFEST = """services:
  web:
    build: .
    port: 3000
    scale:
      count: 1
"""


def source_dir(root, manifest=MANIFEST, extra=None):
    """A source tree with a convox.yml (and a .dockerignore) under root."""
    os.makedirs(str(root), exist_ok=True)
    files = {"convox.yml": manifest, "Dockerfile": "FROM scratch\n", ".dockerignore": "*.log\n", "debug.log": "x\n"}
    files.update(extra or {})
    for name, content in files.items():
        path = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    return str(root)


def deploy(client, app, root, manifest=MANIFEST):
    """Create an app, build the source and promote the build's release; return (build, release id)."""
    from ansible_collections.convox.convox.plugins.module_utils import waits

    client.apps.create(app)
    waits.wait_app_running(client, app, interval=0.2)
    build = client.builds.create_from_directory(app, source_dir(root, manifest), description="test build")
    build = waits.wait_build_finished(client, app, build.id, interval=0.2)
    client.releases.promote(app, build.release, wait=True, timeout=60)
    return build, build.release


def sent(rack, method=None, path=None):
    """Requests the emulator logged (optionally filtered by method and path)."""
    return [
        r for r in rack.requests() if (method is None or r["method"] == method) and (path is None or r["path"] == path)
    ]


def connect(handle, **kwargs):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff", 0.01)
    kwargs.setdefault("config_dir", "/nonexistent")
    password = kwargs.pop("password", handle.password)
    return ConvoxClient(handle.url, password, **kwargs)
