"""Files of a process (5.7, ``convox cp``): upload, download and delete.

The rack runs ``tar``/``rm`` in the pod's container through the Kubernetes exec API
(provider/k8s file.go): upload ``tar [tar-extra flags] -C / -xf -`` with the request body as
stdin, download ``tar -cf - <file>`` streamed as the response, delete ``rm -f -- <files>``.
Here every process keeps a small filesystem (``Process.files``: absolute path -> bytes, and
``Process.file_modes``) that these routes and the exec shell (``cat``, ``sha256sum``) share.
"""

from __future__ import annotations

import io
import posixpath
import re
import tarfile
from typing import List, Optional, Tuple

from .router import Router
from .server import Ctx, Reply, ok, stream_reply
from .services import find_process
from .state import Process
from .wire import ApiError

WORKDIR = "/app"  # what `pwd` answers in the emulated containers; relative paths start here
EMPTY_ARCHIVE = b"\0" * 10240  # what GNU tar writes for `tar -cf - <missing file>`
_STRIP = re.compile(r"--strip-components=[0-9]+")
_ALLOWED_FLAGS = ("--no-same-owner", "--no-same-permissions")


def absolute(path: str, cwd: str = WORKDIR) -> str:
    """``path`` as an absolute, normalised path (relative paths start at ``cwd``)."""
    joined = posixpath.join(cwd, path) if not path.startswith("/") else path
    normal = posixpath.normpath(joined)
    return "/" + normal.lstrip("/")


def _exit_error(argv: List[str], code: int) -> ApiError:
    # client-go reports a command that exits non-zero like this (approximation, docs/emulator.md).
    return ApiError(
        500, f"command terminated with non-zero exit code: error executing command [{' '.join(argv)}], exit code {code}"
    )


def _running(app_name: str, ctx: Ctx) -> Process:
    """The pod by id (a service name is not accepted here: the rack names the pod directly)."""
    proc = find_process(ctx.rack.apps.get(app_name), ctx.params["pid"])
    if proc.status != "running":
        raise ApiError(500, f'unable to upgrade connection: container not found ("{proc.name}")')
    return proc


def _tar_flags(ctx: Ctx) -> Tuple[List[str], int]:
    """The ``tar-extra`` query option: comma list of allowed flags (provider/k8s isAllowedTarFlag)."""
    raw = ctx.query.get("tar-extra")
    if raw is None or raw == "":
        return [], 0
    flags = raw.split(",")
    strip = 0
    for flag in flags:
        if flag in _ALLOWED_FLAGS:
            continue
        if _STRIP.fullmatch(flag):
            strip = int(flag.split("=", 1)[1])
            continue
        raise ApiError(500, f"unsupported tar flag: {flag}")
    return flags, strip


def _content(archive: tarfile.TarFile, member: tarfile.TarInfo) -> Optional[bytes]:
    if not member.isfile():
        return None
    handle = archive.extractfile(member)
    return handle.read() if handle is not None else b""


def upload(ctx: Ctx) -> Reply:
    flags, strip = _tar_flags(ctx)
    proc = _running(ctx.params["app"], ctx)
    argv = ["tar", *flags, "-C", "/", "-xf", "-"]
    try:
        with tarfile.open(fileobj=io.BytesIO(ctx.body), mode="r:*") as archive:
            entries = [(m, _content(archive, m)) for m in archive.getmembers()]
    except (tarfile.TarError, EOFError, OSError):
        raise _exit_error(argv, 2) from None
    failed = False
    for member, content in entries:
        parts = [p for p in member.name.split("/") if p not in ("", ".")]
        if ".." in parts:  # GNU tar skips such members, extracts the rest and exits 2
            failed = True
            continue
        if len(parts) <= strip:
            continue
        path = "/" + "/".join(parts[strip:])
        if member.isdir():
            if path in proc.files:
                failed = True  # a file where a directory is wanted
            continue
        if content is None:
            continue  # links and devices: not kept by the emulator
        if any(p.startswith(path + "/") for p in proc.files):
            failed = True  # cannot overwrite a directory with a file
            continue
        proc.files[path] = content
        proc.file_modes[path] = member.mode & 0o7777
    if failed:
        raise _exit_error(argv, 2)
    return ok()


def download(ctx: Ctx) -> Reply:
    app = ctx.rack.apps.get(ctx.params["app"])
    proc: Optional[Process] = app.processes.get(ctx.params["pid"]) if app is not None else None
    if proc is None or proc.status != "running":
        # The rack streams tar's stdout and drops the exec error: 200 with an empty body.
        return Reply(body=b"", content_type="application/octet-stream")
    name = ctx.query.get("file", "")
    if not name:
        return stream_reply(EMPTY_ARCHIVE)
    path = absolute(name)
    inside = sorted(p for p in proc.files if p.startswith(path.rstrip("/") + "/"))
    if path not in proc.files and not inside:
        return stream_reply(EMPTY_ARCHIVE)
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as archive:
        entries = [path] if path in proc.files else inside
        if path not in proc.files:
            folder = tarfile.TarInfo(path.lstrip("/") + "/")
            folder.type = tarfile.DIRTYPE
            folder.mode = 0o755
            archive.addfile(folder)
        for entry in entries:
            data = proc.files[entry]
            info = tarfile.TarInfo(entry.lstrip("/"))  # tar drops the leading "/" of member names
            info.size = len(data)
            info.mode = proc.file_modes.get(entry, 0o644)
            archive.addfile(info, io.BytesIO(data))
    return stream_reply(out.getvalue())


def delete(ctx: Ctx) -> Reply:
    names = (ctx.query.get("files") or "").split(",")
    proc = _running(ctx.params["app"], ctx)
    failed = False
    for name in names:
        if name == "":
            failed = True  # rm: cannot remove '': No such file or directory
            continue
        path = absolute(name)
        if path in proc.files:
            del proc.files[path]
            proc.file_modes.pop(path, None)
        elif any(p.startswith(path.rstrip("/") + "/") for p in proc.files):
            failed = True  # rm: cannot remove '...': Is a directory
    if failed:
        raise _exit_error(["rm", "-f", "--", *names], 1)
    return ok()


def register(router: Router) -> None:
    router.add("POST", "/apps/{app}/processes/{pid}/files", upload)
    router.add("GET", "/apps/{app}/processes/{pid}/files", download)
    router.add("DELETE", "/apps/{app}/processes/{pid}/files", delete)
