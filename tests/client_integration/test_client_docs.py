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
