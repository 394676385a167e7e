# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes: ``/apps/{app}/processes`` and one-off runs (convox-api.md 5.7, 6.5, 7)."""

from __future__ import annotations

import io
import posixpath
import shlex
import tarfile
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

from ..errors import ConvoxError, ConvoxNotFoundError, ConvoxTimeoutError
from ..models import RunResult
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Process
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Process = "Process"

Command = Union[str, Sequence[str]]

_RUN_HEADERS = (
    ("command", "Command"),
    ("cpu", "Cpu"),
    ("cpu_limit", "Cpu-Limit"),
    ("memory", "Memory"),
    ("memory_limit", "Memory-Limit"),
    ("gpu", "Gpu"),
    ("gpu_vendor", "Gpu-Vendor"),
    ("environment", "Environment"),
    ("image", "Image"),
    ("release", "Release"),
    ("volumes", "Volumes"),
    ("use_service_volume", "Use-Service-Volume"),
    ("node_labels", "Node-Labels"),
    ("system_critical", "System-Critical"),
    ("privileged", "Privileged"),
    ("height", "Height"),
    ("width", "Width"),
)


def command_text(command: Command) -> str:
    """A command as the rack expects it (a string it splits with POSIX shell rules)."""
    if isinstance(command, str):
        return command
    return " ".join(shlex.quote(str(part)) for part in command)


TAR_EXTRA_FLAGS = ("--no-same-owner", "--no-same-permissions")  # and --strip-components=N (provider/k8s file.go)


def remote_path(path: str, field: str = "path") -> str:
    """An absolute path in a process, normalised (``convox cp`` refuses relative ones)."""
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConvoxError(f"{field} must be an absolute path in the process (starting with /), got {path!r}")
    if "," in path or any(ord(c) < 0x20 or c == "\x7f" for c in path):
        raise ConvoxError(f"{field} must not contain a comma or control characters")
    normal = "/" + posixpath.normpath(path).lstrip("/")
    if normal == "/":
        raise ConvoxError(f"{field} must name a file, not /")
    return normal


def file_archive(files: Mapping[str, bytes], *, mode: int = 0o644) -> bytes:
    """A tar archive of ``files`` (absolute path -> content), the way ``convox cp`` sends it:
    members named by their absolute path, extracted by the rack at ``/``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for path in sorted(files):
            data = bytes(files[path])
            info = tarfile.TarInfo(remote_path(path))
            info.size = len(data)
            info.mode = mode
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def archive_file(data: bytes, path: str) -> Optional[bytes]:
    """The content of ``path`` in a downloaded archive; ``None`` when the archive holds no such file
    (the rack answers a missing file, or a process that is gone, with an empty archive or body)."""
    if not data or not data.strip(b"\0"):
        return None
    wanted = remote_path(path).lstrip("/")
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            members = archive.getmembers()
            for member in members:
                if member.name.lstrip("/") != wanted:
                    continue
                if member.isdir():
                    raise ConvoxError(f"{path} is a directory in the process, not a file")
                if not member.isfile():
                    raise ConvoxError(f"{path} is not a regular file in the process")
                handle = archive.extractfile(member)
                return handle.read() if handle is not None else b""
    except tarfile.TarError as exc:
        raise ConvoxError(f"the rack answered with an unreadable archive for {path}: {exc}") from None
    return None


def _run_headers(options: Mapping[str, Any]) -> Dict[str, Any]:
    known = dict(_RUN_HEADERS)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError("unknown run option(s): {}".format(", ".join(unknown)))
    headers: Dict[str, Any] = {}
    for name, header in _RUN_HEADERS:
        value = options.get(name)
        if value is None:
            continue
        if name == "command":
            value = command_text(value)
        elif name == "node_labels" and isinstance(value, Mapping):
            value = [f"{key}={value[key]}" for key in sorted(value)]
        headers[header] = value
    return headers


class ProcessesAccessor(Accessor):
    """``client.processes``"""

    def list(self, app: str, *, service: Optional[str] = None, release: Optional[str] = None) -> List[Process]:
        path = build_path("apps", require(app, "app"), "processes")
        return self._parse_list(Process, self._call("GET", path, params={"service": service, "release": release}))

    def get(self, app: str, pid: str) -> Process:
        path = build_path("apps", require(app, "app"), "processes", require(pid, "pid"))
        return self._parse(Process, self._call("GET", path))

    def stop(self, app: str, pid: str) -> None:
        self._call("DELETE", build_path("apps", require(app, "app"), "processes", require(pid, "pid")))

    def run(self, app: str, service: str, *, command: Optional[Command] = None, **options: Any) -> Process:
        """Start a one-off process (detached); options travel as headers.

        Options: ``cpu``, ``cpu_limit``, ``memory``, ``memory_limit``, ``gpu``, ``gpu_vendor``,
        ``environment`` (dict), ``image``, ``release``, ``volumes`` (dict from -> to),
        ``use_service_volume``, ``node_labels`` (dict or ``k=v`` list), ``system_critical``,
        ``privileged``, ``height``, ``width``. Never retried (each call starts a process).
        """
        headers = _run_headers(dict(options, command=command))
        path = build_path("apps", require(app, "app"), "services", require(service, "service"), "processes")
        return self._parse(Process, self._call("POST", path, headers=headers, idempotent=False))

    def exec(
        self, app: str, pid: str, command: Command, *, entrypoint: bool = False, timeout: Optional[float] = None
    ) -> RunResult:
        """Run ``command`` in a running process (or a service name: any of its processes)."""
        from ..websocket import exec_stream

        headers: Dict[str, Any] = {"Command": command_text(command), "Tty": False, "Disable-Stdin": True}
        if entrypoint:
            headers["Entrypoint"] = True
        path = build_path("apps", require(app, "app"), "processes", require(pid, "pid"), "exec")
        output, code = exec_stream(self._transport, path, headers, timeout=timeout)
        return RunResult(output=output, exit_code=code, process_id=pid)

    def files_upload(
        self,
        app: str,
        pid: str,
        files: Optional[Mapping[str, bytes]] = None,
        *,
        archive: Optional[bytes] = None,
        mode: int = 0o644,
        tar_extra: Optional[Sequence[str]] = None,
    ) -> None:
        """Write files into a running process (``convox cp local pid:/path``).

        ``files`` maps absolute paths to contents (sent as one tar archive, each with ``mode``);
        or ``archive`` is a ready tar archive, extracted by the rack at ``/``. ``tar_extra`` are
        extra tar flags (``--no-same-owner``, ``--no-same-permissions``,
        ``--strip-components=N``: the only ones the rack accepts). ``pid`` must be a pod id (a
        service name is not accepted here). Retried when safe: writing the same files twice
        leaves the same result.
        """
        if (files is None) == (archive is None):
            raise ConvoxError("give either files or archive")
        body = file_archive(files, mode=mode) if files is not None else bytes(archive or b"")
        params: Dict[str, Any] = {}
        if tar_extra:
            for flag in tar_extra:
                if flag not in TAR_EXTRA_FLAGS and not (
                    flag.startswith("--strip-components=") and flag.split("=", 1)[1].isdigit()
                ):
                    raise ConvoxError(f"unsupported tar flag: {flag}")
            params["tar-extra"] = ",".join(tar_extra)
        path = build_path("apps", require(app, "app"), "processes", require(pid, "pid"), "files")
        self._call("POST", path, params=params or None, content=body, idempotent=True)

    def files_download(self, app: str, pid: str, path: str) -> bytes:
        """A tar archive of ``path`` (a file or a directory) in a running process, as the rack
        sends it: member names without the leading ``/``. A missing file, or a process that is
        gone, comes back as an empty archive or an empty body, not as an error (``file_read``
        tells them apart from a file)."""
        where = build_path("apps", require(app, "app"), "processes", require(pid, "pid"), "files")
        return bytes(self._transport.request("GET", where, params={"file": remote_path(path)}).content)

    def file_read(self, app: str, pid: str, path: str) -> Optional[bytes]:
        """The content of the file ``path`` in a running process, ``None`` when there is none."""
        return archive_file(self.files_download(app, pid, path), path)

    def files_delete(self, app: str, pid: str, paths: Sequence[str]) -> None:
        """Remove files from a running process (``rm -f``: a missing file is no error, a directory is)."""
        if isinstance(paths, str) or not paths:
            raise ConvoxError("paths must be a non-empty list of absolute paths")
        names = [remote_path(p) for p in paths]
        where = build_path("apps", require(app, "app"), "processes", require(pid, "pid"), "files")
        self._call("DELETE", where, params={"files": ",".join(names)})

    def run_attached(
        self,
        app: str,
        service: str,
        command: Command,
        *,
        release: Optional[str] = None,
        environment: Optional[Dict[str, str]] = None,
        cpu: Optional[int] = None,
        memory: Optional[int] = None,
        timeout: float = 3600,
        entrypoint: bool = True,
        start_timeout: float = 300,
        **options: Any,
    ) -> RunResult:
        """Run a command and return its output and exit code (the CLI's ``convox run`` recipe).

        Starts ``sleep <timeout>`` in a new process, waits until it runs, execs the command
        (``Tty: false``, ``Disable-Stdin: true``), and always deletes the process. An ``ERROR:``
        frame or a stream without the exit marker raises ``ConvoxStreamError``; running out of
        ``timeout`` raises ``ConvoxTimeoutError``.
        """
        from .. import waits
        from ..websocket import exec_stream

        require(app, "app")
        text = command_text(command)
        if not text.strip():
            raise ConvoxError("a command is required")
        deadline = time.monotonic() + timeout
        process = self.run(
            app,
            service,
            command=f"sleep {max(1, int(timeout))}",
            release=release,
            environment=environment,
            cpu=cpu,
            memory=memory,
            **options,
        )
        pid = process.id
        failed = True
        try:
            waits.wait_process_status(
                self._client, app, pid, ["running"], timeout=min(start_timeout, timeout), interval=1.0
            )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConvoxTimeoutError(f"process {pid} did not finish within {timeout} seconds")
            headers: Dict[str, Any] = {"Command": text, "Tty": False, "Disable-Stdin": True}
            if entrypoint:
                headers["Entrypoint"] = True
            path = build_path("apps", app, "processes", pid, "exec")
            output, code = exec_stream(self._transport, path, headers, timeout=remaining)
            failed = False
        finally:
            try:
                self.stop(app, pid)
            except ConvoxNotFoundError:
                pass
            except ConvoxError:
                if not failed:
                    raise
        return RunResult(output=output, exit_code=code, process_id=pid)
