"""Files of a process (5.7, convox cp): upload, download, delete, and exec reading them."""

from __future__ import annotations

import hashlib
import io
import tarfile
from typing import Dict, List, Tuple

import httpx

from .conftest import deploy, text_of, ws_frames

MARKER = b"F1E49A85-0AD7-4AEF-A618-C249C6E6568D"


def _pid(client: httpx.Client) -> str:
    return str(client.get("/apps/myapp/processes", params={"service": "web"}).json()[0]["id"])


def _tar(entries: Dict[str, bytes], mode: int = 0o640) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _members(data: bytes) -> List[Tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        found = []
        for member in archive.getmembers():
            handle = archive.extractfile(member) if member.isfile() else None
            found.append((member.name, handle.read() if handle else b""))
        return found


def _files(emu, pid: str):  # type: ignore[no-untyped-def]
    return emu.rack_state()["apps"]["myapp"]["files"].get(pid, {})


def test_upload_download_delete_round_trip(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    path = f"/apps/myapp/processes/{pid}/files"
    answer = client.post(path, content=_tar({"/tmp/conf/a.txt": b"hello\n", "tmp/b.bin": b"\x00\xff"}))
    assert answer.status_code == 200 and answer.text == "ok\n"
    files = _files(emu, pid)
    assert sorted(files) == ["/tmp/b.bin", "/tmp/conf/a.txt"]
    assert files["/tmp/conf/a.txt"] == {"sha256": hashlib.sha256(b"hello\n").hexdigest(), "size": 6, "mode": "0o640"}

    one = client.get(path, params={"file": "/tmp/conf/a.txt"})
    assert one.status_code == 200
    assert _members(one.content) == [("tmp/conf/a.txt", b"hello\n")]  # tar drops the leading "/"
    folder = client.get(path, params={"file": "/tmp/conf"})
    assert _members(folder.content) == [("tmp/conf", b""), ("tmp/conf/a.txt", b"hello\n")]

    # a file that does not exist: GNU tar's empty archive, still 200
    missing = client.get(path, params={"file": "/tmp/nope"})
    assert missing.status_code == 200 and missing.content == b"\0" * 10240 and _members(missing.content) == []

    assert client.delete(path, params={"files": "/tmp/conf/a.txt,/tmp/nope"}).status_code == 200
    assert sorted(_files(emu, pid)) == ["/tmp/b.bin"]
    # rm -f of a directory or of an empty name fails (exit code 1)
    bad = client.delete(path, params={"files": "/tmp"})
    assert bad.status_code == 500 and "exit code 1" in bad.text and "rm -f -- /tmp" in bad.text
    assert client.delete(path).status_code == 500


def test_exec_sees_copied_files(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    client.post(f"/apps/myapp/processes/{pid}/files", content=_tar({"/app/config.yml": b"a: 1\n"}))
    frames = ws_frames(
        emu,
        f"/apps/myapp/processes/{pid}/exec",
        {"Command": "sh -c 'cat config.yml; sha256sum /app/config.yml; cat /nope'", "Tty": "false"},
    )
    digest = hashlib.sha256(b"a: 1\n").hexdigest().encode()
    assert text_of(frames) == (
        b"a: 1\n" + digest + b"  /app/config.yml\ncat: /nope: No such file or directory\n" + MARKER + b":1\n"
    )
    # files belong to one pod: the other process of the service (scale 2) does not see them
    other = [p["id"] for p in client.get("/apps/myapp/processes", params={"service": "web"}).json() if p["id"] != pid]
    assert len(other) == 1
    again = ws_frames(emu, f"/apps/myapp/processes/{other[0]}/exec", {"Command": "cat /app/config.yml"})
    assert again[-2] == (1, MARKER + b":1\n")


def test_tar_extra_flags(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    path = f"/apps/myapp/processes/{pid}/files"
    body = _tar({"/base/x/file.txt": b"x"})
    stripped = client.post(path, params={"tar-extra": "--no-same-owner,--strip-components=2"}, content=body)
    assert stripped.status_code == 200
    assert list(_files(emu, pid)) == ["/file.txt"]
    refused = client.post(path, params={"tar-extra": "--to-command=sh"}, content=body)
    assert refused.status_code == 500 and "unsupported tar flag: --to-command=sh" in refused.text
    assert client.post(path, params={"tar-extra": "--strip-components="}, content=body).status_code == 500


def test_errors_as_the_rack_gives_them(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    unknown = client.post("/apps/myapp/processes/web-nosuch/files", content=_tar({"/a": b"1"}))
    assert unknown.status_code == 500 and 'pods "web-nosuch" not found' in unknown.text
    # a service name is not a pod name for these routes (unlike exec)
    assert client.delete("/apps/myapp/processes/web/files", params={"files": "/a"}).status_code == 500
    # download swallows the exec error: 200 and an empty body
    gone = client.get("/apps/myapp/processes/web-nosuch/files", params={"file": "/a"})
    assert gone.status_code == 200 and gone.content == b""
    bad = client.post(f"/apps/myapp/processes/{pid}/files", content=b"not a tar archive" * 40)
    assert bad.status_code == 500 and "exit code 2" in bad.text
    sneaky = client.post(f"/apps/myapp/processes/{pid}/files", content=_tar({"../../etc/x": b"1", "/ok": b"2"}))
    assert sneaky.status_code == 500 and list(_files(emu, pid)) == ["/ok"]


def test_read_token_may_download_but_not_upload(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    token = client.post("/system/jwt/token", data={"role": "read", "durationInHour": "1"}).json()["token"]
    reader = httpx.Client(base_url=str(client.base_url), auth=("jwt", token))
    path = f"/apps/myapp/processes/{pid}/files"
    assert reader.get(path, params={"file": "/a"}).status_code == 200
    assert reader.post(path, content=_tar({"/a": b"1"})).status_code == 401
    assert reader.delete(path, params={"files": "/a"}).status_code == 401
    assert _files(emu, pid) == {}
