# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run every Python example of docs/client.md against the emulator."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import runpy
from urllib.parse import urlsplit

from client_helpers import PASSWORD, REPO_ROOT, source_dir

DOC = os.path.join(REPO_ROOT, "docs", "client.md")
BLOCK_RE = re.compile(r"(?:<!-- doc-test: (\w+) -->\n)?```python\n(.*?)```", re.DOTALL)
PLACEHOLDER_URL = "https://api.rack.example.com"


def blocks():
    with open(DOC, encoding="utf-8") as handle:
        return BLOCK_RE.findall(handle.read())


def test_doc_has_examples():
    found = blocks()
    assert len(found) >= 8
    assert {marker for marker, _code in found} >= {"", "env", "settings"}


def test_doc_examples_run(rack, tmp_path, monkeypatch):
    home = os.environ["HOME"]
    settings = os.path.join(home, ".config", "convox")
    os.makedirs(settings)
    with open(os.path.join(settings, "console"), "w", encoding="utf-8") as handle:
        handle.write(rack.url)
    with open(os.path.join(settings, "auth"), "w", encoding="utf-8") as handle:
        json.dump({urlsplit(rack.url).netloc: PASSWORD}, handle)
    source_dir(tmp_path / "myapp")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    output = io.StringIO()
    for index, (marker, code) in enumerate(blocks()):
        if marker == "script":  # a standalone script: test_doc_first_script runs it in its own process
            continue
        code = code.replace(PLACEHOLDER_URL, rack.url).replace('"secret"', repr(PASSWORD))
        with monkeypatch.context() as patch:
            if marker == "env":
                patch.setenv("CONVOX_HOST", rack.url)
                patch.setenv("CONVOX_PASSWORD", PASSWORD)
            script = tmp_path / f"example_{index}.py"
            script.write_text(code, encoding="utf-8")
            with contextlib.redirect_stdout(output):
                namespace = runpy.run_path(str(script), init_globals=namespace)
    lines = output.getvalue().splitlines()
    assert lines[0] == "3.24.9"
    assert lines[1] == f"{rack.url} None"
    assert lines[2] == f"{rack.url} acme/production"
    assert "True" in lines
    assert "fast" in lines
    assert "{'DATABASE_POOL': '10'}" in lines
    assert "['DATABASE_POOL'] True" in lines
    assert "3 migrated\n" in output.getvalue()
    assert "404 app not found: no-such-app" in output.getvalue()
    assert "running" in lines
    assert "written True 1 []" in lines  # the optimistic-concurrency example, uncontended: one attempt
    assert any(line.startswith("object://myapp/backups/notes.txt b'hello'") for line in lines)
    assert lines[-2] == "myapp"
    assert lines[-1] == "running App {}"  # the records example: same attributes, no pydantic model


def test_doc_first_script(rack, client, tmp_path):
    """The page's first script, run as a user runs it: its own process, the collection found through
    ANSIBLE_COLLECTIONS_PATH (a link to this checkout), the rack from CONVOX_HOST/CONVOX_PASSWORD."""
    import subprocess
    import sys

    (code,) = [code for marker, code in blocks() if marker == "script"]
    collections = tmp_path / "collections"
    (collections / "ansible_collections" / "convox").mkdir(parents=True)
    (collections / "ansible_collections" / "convox" / "convox").symlink_to(REPO_ROOT, target_is_directory=True)
    script = tmp_path / "list_apps.py"
    script.write_text(code, encoding="utf-8")
    client.apps.create("first-script")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "RACK_URL", "CONVOX_RACK")}
    env.update(ANSIBLE_COLLECTIONS_PATH=f"{tmp_path / 'nowhere'}:{collections}", CONVOX_HOST=rack.url)
    env.update(CONVOX_PASSWORD=PASSWORD, HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, str(script)], env=env, cwd=str(tmp_path), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "rack version 3.24.9"
    assert any(line.startswith("first-script ") for line in lines[1:]), lines
    assert PASSWORD not in done.stdout + done.stderr
    # Without the collection on the path, the script says how to install it.
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path / "nowhere")
    missing = subprocess.run(
        [sys.executable, str(script)], env=env, cwd=str(tmp_path), capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1 and "ansible-galaxy collection install convox.convox" in missing.stderr
