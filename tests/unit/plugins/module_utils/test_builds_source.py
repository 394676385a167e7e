# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Source archives: .dockerignore rules, deterministic bytes, upload then build."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from urllib.parse import parse_qsl

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError
from ansible_collections.convox.convox.plugins.module_utils.resources.builds import DockerIgnore, source_archive


def make_tree(root, files):
    for name, content in files.items():
        path = os.path.join(str(root), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)


def names(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return sorted(member.name for member in tar.getmembers())


@pytest.mark.parametrize(
    ("rules", "path", "excluded"),
    [
        (["*.log"], "debug.log", True),
        (["*.log"], "sub/debug.log", False),
        (["**/*.log"], "sub/deep/debug.log", True),
        (["**/*.log"], "debug.log", True),
        (["node_modules"], "node_modules/x/y.js", True),
        (["/build"], "build/out", True),
        (["build/"], "build/out", True),
        (["*.md", "!README.md"], "README.md", False),
        (["*.md", "!README.md"], "CHANGES.md", True),
        (["!README.md", "*.md"], "README.md", True),
        (["# comment", "", "  tmp  "], "tmp", True),
        (["a?c"], "abc", True),
        (["a?c"], "a/c", False),
        (["[ab]x"], "bx", True),
        (["[!ab]x"], "cx", True),
        (["[^ab]x"], "ax", False),
        (["[unclosed"], "[unclosed", True),
        (["docs/**"], "docs/a/b.txt", True),
        (["esc\\*aped"], "esc*aped", True),
        (["."], "anything", False),
    ],
)
def test_dockerignore(rules, path, excluded):
    assert DockerIgnore(rules).excluded(path) is excluded


def test_archive_honours_dockerignore_and_is_deterministic(tmp_path):
    src = tmp_path / "src"
    make_tree(
        src,
        {
            "convox.yml": "services:\n  web:\n    build: .\n",
            "Dockerfile": "FROM scratch\n",
            ".dockerignore": "*.log\nnode_modules\nsecrets/\n!keep.log\n",
            "app/main.py": "print('x')\n",
            "app/debug.log": "no\n",
            "debug.log": "no\n",
            "keep.log": "yes\n",
            "node_modules/pkg/index.js": "no\n",
            "secrets/key": "no\n",
        },
    )
    os.chmod(str(src / "app" / "main.py"), 0o755)
    os.symlink("Dockerfile", str(src / "link"))
    os.makedirs(str(src / "empty"))
    data, digest = source_archive(str(src))
    assert names(data) == [
        ".dockerignore",
        "Dockerfile",
        "app",
        "app/debug.log",
        "app/main.py",
        "convox.yml",
        "empty",
        "keep.log",
        "link",
    ]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        main = tar.getmember("app/main.py")
        assert (main.mode, main.mtime, main.uid, main.uname) == (0o755, 0, 0, "")
        assert tar.getmember("convox.yml").mode == 0o644
        assert tar.getmember("link").issym()
        assert tar.extractfile("convox.yml").read().startswith(b"services:")
    assert gzip.decompress(data)
    # touching files does not change the archive
    os.utime(str(src / "convox.yml"), (1, 1))
    again, digest2 = source_archive(str(src))
    assert (again, digest2) == (data, digest)
    assert len(digest) == 64


def test_excluded_directory_without_exceptions_is_pruned(tmp_path):
    make_tree(tmp_path, {".dockerignore": "big\n", "big/a": "x", "small/b": "y"})
    assert names(source_archive(str(tmp_path))[0]) == [".dockerignore", "small", "small/b"]


def test_missing_directory(tmp_path):
    with pytest.raises(ConvoxInputError, match="source directory not found"):
        source_archive(str(tmp_path / "nope"))


def test_create_from_directory(client, router, tmp_path):
    make_tree(tmp_path, {"convox.yml": "services: {}\n"})
    data, digest = source_archive(str(tmp_path))
    key = f"tmp/{digest[:30]}.tgz"
    store = router.post(f"/apps/myapp/objects/{key}").mock(
        return_value=httpx.Response(200, json={"Url": f"object://myapp/{key}"})
    )
    create = router.post("/apps/myapp/builds").mock(
        return_value=httpx.Response(200, json={"id": "B1", "status": "running"})
    )
    build = client.builds.create_from_directory("myapp", str(tmp_path), description="first", no_cache=True)
    assert build.id == "B1"
    assert store.calls.last.request.content == data
    assert store.calls.last.request.headers["content-type"] == "application/octet-stream"
    assert dict(parse_qsl(create.calls.last.request.content.decode())) == {
        "url": f"object://myapp/{key}",
        "description": "first",
        "no-cache": "true",
    }
    assert client.builds.source_archive(str(tmp_path)) == (data, digest)


def test_upload_of_same_key_is_retried(client, router, tmp_path):
    make_tree(tmp_path, {"convox.yml": "services: {}\n"})
    store = router.post(path__startswith="/apps/myapp/objects/tmp/").mock(
        side_effect=[httpx.Response(503, text="busy"), httpx.Response(200, json={"Url": "object://myapp/tmp/x.tgz"})]
    )
    router.post("/apps/myapp/builds").mock(return_value=httpx.Response(200, json={"id": "B1"}))
    client.builds.create_from_directory("myapp", str(tmp_path))
    assert store.call_count == 2
