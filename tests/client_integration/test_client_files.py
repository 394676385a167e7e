# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""client.processes.files_upload / files_download / file_read / files_delete against the emulator."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from client_helpers import deploy, sent

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils.resources.processes import archive_file, file_archive


def _pid(client):
    return next(p.id for p in client.processes.list("myapp", service="web") if p.status == "running")


def test_files_round_trip_and_exec_sees_them(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    pid = _pid(client)
    client.processes.files_upload("myapp", pid, {"/app/conf/settings.yml": b"a: 1\n", "/tmp/blob": b"\x00\xff"})
    files = rack.rack_state()["apps"]["myapp"]["files"][pid]
    assert files["/app/conf/settings.yml"]["sha256"] == hashlib.sha256(b"a: 1\n").hexdigest()
    assert files["/tmp/blob"]["mode"] == "0o644"
    upload = sent(rack, "POST", f"/apps/myapp/processes/{pid}/files")[0]
    assert upload["headers"]["Content-Type"] == "application/octet-stream"

    archive = client.processes.files_download("myapp", pid, "/app/conf/settings.yml")
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        assert opened.getnames() == ["app/conf/settings.yml"]
    assert client.processes.file_read("myapp", pid, "/app/conf/settings.yml") == b"a: 1\n"
    assert client.processes.file_read("myapp", pid, "/tmp/blob") == b"\x00\xff"
    assert client.processes.file_read("myapp", pid, "/app/nope") is None
    with pytest.raises(e.ConvoxError, match="is a directory"):
        client.processes.file_read("myapp", pid, "/app/conf")
    result = client.processes.exec("myapp", pid, "sha256sum /app/conf/settings.yml")
    assert result.exit_code == 0 and result.text.split()[0] == hashlib.sha256(b"a: 1\n").hexdigest()

    client.processes.files_delete("myapp", pid, ["/tmp/blob", "/tmp/never-there"])
    assert sorted(rack.rack_state()["apps"]["myapp"]["files"][pid]) == ["/app/conf/settings.yml"]
    assert sent(rack, "DELETE", f"/apps/myapp/processes/{pid}/files")[0]["query"] == {
        "files": "/tmp/blob,/tmp/never-there"
    }


def test_files_options_and_errors(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    pid = _pid(client)
    client.processes.files_upload(
        "myapp", pid, archive=file_archive({"/x/y/z.txt": b"z"}), tar_extra=["--no-same-owner", "--strip-components=1"]
    )
    assert list(rack.rack_state()["apps"]["myapp"]["files"][pid]) == ["/y/z.txt"]
    before = len(rack.requests())
    for bad in (
        lambda: client.processes.files_upload("myapp", pid, {"relative.txt": b"1"}),
        lambda: client.processes.files_upload("myapp", pid, {"/a,b": b"1"}),
        lambda: client.processes.files_upload("myapp", pid, {"/a": b"1"}, tar_extra=["--to-command=sh"]),
        lambda: client.processes.files_upload("myapp", pid),
        lambda: client.processes.files_delete("myapp", pid, []),
        lambda: client.processes.files_delete("myapp", pid, "/a"),
        lambda: client.processes.files_download("myapp", pid, "app/x"),
    ):
        with pytest.raises(e.ConvoxError):
            bad()
    assert len(rack.requests()) == before  # refused before sending
    with pytest.raises(e.ConvoxError, match="not found"):
        client.processes.files_upload("myapp", "web-zzzzz", {"/a": b"1"})
    assert client.processes.file_read("myapp", "web-zzzzz", "/a") is None  # the rack answers 200, empty


def test_archive_helpers():
    data = file_archive({"/etc/app.conf": b"k=v"}, mode=0o600)
    with tarfile.open(fileobj=io.BytesIO(data)) as opened:
        member = opened.getmembers()[0]
        assert (member.name, member.mode, member.size) == ("/etc/app.conf", 0o600, 3)
    assert archive_file(data, "/etc/app.conf") == b"k=v"
    assert archive_file(data, "/etc/other") is None
    assert archive_file(b"", "/x") is None and archive_file(b"\0" * 10240, "/x") is None
    with pytest.raises(e.ConvoxError, match="unreadable"):
        archive_file(b"garbage" * 100, "/x")
