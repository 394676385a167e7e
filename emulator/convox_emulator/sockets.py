"""Websocket routes (section 7): exec, log streams, resource console, instance shell, proxy."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
from datetime import timedelta
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import core
from .router import Router
from .server import Ctx, Socket
from .services import find_process
from .shell import Interpreter
from .state import LogBook, LogLine
from .wire import EXIT_MARKER, ApiError, go_time, parse_bool, parse_duration, parse_env, parse_int, utcnow

FOLLOW_POLL = 0.5


def _bool_header(ctx: Ctx, name: str, default: bool) -> bool:
    value = ctx.header(name)
    if value is None:
        return default
    return parse_bool(value)


def _int_headers(ctx: Ctx, *names: str) -> None:
    for name in names:
        value = ctx.header(name)
        if value:
            parse_int(value)


async def _marker(sock: Socket, code: int) -> None:
    await sock.text(f"{EXIT_MARKER}:{code}\n".encode())


# -- exec -------------------------------------------------------------------------------------


async def exec_process(ctx: Ctx, sock: Socket) -> None:
    if not ctx.has_role("w"):
        raise ApiError(403, "process exec requires write access")
    app = core.get_app(ctx.rack, ctx.params["app"])
    command = ctx.header("Command")
    if command is None:
        raise ApiError(400, "command required")
    tty = _bool_header(ctx, "Tty", True)
    disable_stdin = _bool_header(ctx, "Disable-Stdin", False)
    entrypoint = _bool_header(ctx, "Entrypoint", False)
    _int_headers(ctx, "Height", "Width")
    pid = ctx.params["pid"]
    proc = app.processes.get(pid)
    if proc is None:
        running = [p for p in app.processes.values() if p.name == pid and p.status == "running" and p.kind != "build"]
        if running:
            proc = running[secrets.randbelow(len(running))]
    if proc is None:
        await _marker(sock, 0)
        raise ApiError(500, f'pods "{pid}" not found')
    if proc.status != "running":
        await _marker(sock, 0)
        raise ApiError(500, f'unable to upgrade connection: container not found ("{proc.name}")')
    env = dict(proc.env) if proc.env else {}
    if not env and proc.release in app.releases:
        env = parse_env(app.releases[proc.release].env)
    env.setdefault("HOSTNAME", proc.id)
    env.setdefault("APP", app.name)
    env.setdefault("SERVICE", proc.name)
    env.setdefault("RELEASE", proc.release)

    async def write(data: bytes) -> None:
        if tty:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        await sock.text(data)

    async def no_stdin() -> bytes:
        return b""

    if not disable_stdin:
        sock.start_reader()
    interpreter = Interpreter(env, write, no_stdin if disable_stdin else sock.read_stdin, proc.id, proc.files)
    if entrypoint:
        release = app.releases.get(proc.release)
        build = app.find_build(release.build) if release is not None and release.build else None
        if build is not None and build.entrypoint.strip():
            command = f"{build.entrypoint.strip()} {command}"
    run = asyncio.ensure_future(interpreter.run(command))
    gone = asyncio.ensure_future(sock.gone.wait())
    await asyncio.wait([run, gone], return_when=asyncio.FIRST_COMPLETED)
    if not run.done():
        run.cancel()
        return
    gone.cancel()
    await _marker(sock, run.result())


# -- log streams --------------------------------------------------------------------------------


def _since(ctx: Ctx) -> Optional[float]:
    raw = ctx.header("Since")
    if raw is None or raw == "":
        return 120.0
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise ApiError(500, str(exc)) from None


async def _stream(
    sock: Socket,
    book: LogBook,
    select: Callable[[LogLine], bool],
    fmt: Callable[[LogLine], str],
    follow: bool,
    since: Optional[float],
    alive: Callable[[], bool],
    tail: Optional[int] = None,
) -> None:
    cutoff = utcnow() - timedelta(seconds=since) if since is not None else None
    lines = [ln for ln in book.lines if select(ln) and (cutoff is None or ln.time >= cutoff)]
    if tail is not None and tail >= 0:
        # kubectl's --tail, per pod: the rack streams each pod's log with TailLines
        left: Dict[str, int] = {}
        kept: List[LogLine] = []
        for line in reversed(lines):
            if left.setdefault(line.pod, tail) > 0:
                left[line.pod] -= 1
                kept.append(line)
        lines = kept[::-1]
    for line in lines:
        await sock.text(fmt(line).encode("utf-8", "replace"))
    if not follow:
        return
    sock.start_reader()
    seq = book.next_seq
    event = asyncio.Event()
    book.waiters.append(event)
    try:
        while alive() and not sock.closed:
            for line in book.since(seq):
                if select(line) and (cutoff is None or line.time >= cutoff):
                    await sock.text(fmt(line).encode("utf-8", "replace"))
            seq = book.next_seq
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), FOLLOW_POLL)
            except asyncio.TimeoutError:
                pass
        for line in book.since(seq):
            if select(line) and (cutoff is None or line.time >= cutoff):
                await sock.text(fmt(line).encode("utf-8", "replace"))
    finally:
        book.waiters.remove(event)


def _filter(ctx: Ctx) -> Callable[[LogLine], bool]:
    text = ctx.header("Filter") or ""
    terms = [t for t in re.split(r"\s+", text.strip().strip('"')) if t]
    return lambda line: all(term in line.text for term in terms)


async def app_logs(ctx: Ctx, sock: Socket) -> None:
    app = core.get_app(ctx.rack, ctx.params["name"])
    prefix = _bool_header(ctx, "Prefix", False)
    follow = _bool_header(ctx, "Follow", True)
    matches = _filter(ctx)

    def fmt(line: LogLine) -> str:
        return f"{go_time(line.time)} {line.stream} {line.text}\n" if prefix else f"{line.text}\n"

    await _stream(sock, app.logs, matches, fmt, follow, _since(ctx), lambda: ctx.rack.apps.get(app.name) is app)


async def service_logs(ctx: Ctx, sock: Socket) -> None:
    app = core.get_app(ctx.rack, ctx.params["app"])
    service = ctx.params["service"]
    prefix = _bool_header(ctx, "Prefix", True)
    follow = _bool_header(ctx, "Follow", True)
    _bool_header(ctx, "Previous", False)
    tail_raw = ctx.header("Tail")
    tail = parse_int(tail_raw) if tail_raw else None
    if ctx.header("Maxlogrequests"):
        parse_int(ctx.header("Maxlogrequests") or "")
    if not any(p.name == service and p.kind == "service" for p in app.processes.values()):
        raise ApiError(500, f"no resources found in {ctx.rack.name.replace('/', '-')}-{app.name} namespace")

    def select(line: LogLine) -> bool:
        return line.service == service and line.stream.startswith("service/")

    def fmt(line: LogLine) -> str:
        return f"[pod/{line.pod}/{service}] {go_time(line.time)} {line.text}\n" if prefix else f"{line.text}\n"

    await _stream(sock, app.logs, select, fmt, follow, _since(ctx), lambda: ctx.rack.apps.get(app.name) is app, tail)


async def process_logs(ctx: Ctx, sock: Socket) -> None:
    app = core.get_app(ctx.rack, ctx.params["app"])
    proc = find_process(app, ctx.params["pid"])
    prefix = _bool_header(ctx, "Prefix", False)
    _bool_header(ctx, "Follow", True)
    since = _since(ctx)

    def select(line: LogLine) -> bool:
        return line.pod == proc.id and line.stream.startswith("service/")

    def fmt(line: LogLine) -> str:
        return f"{go_time(line.time)} service/{proc.name}/{proc.id} {line.text}\n" if prefix else f"{line.text}\n"

    def alive() -> bool:
        return app.processes.get(proc.id) is proc and proc.status in ("pending", "starting", "running")

    # Real v3 providers other than local ignore Follow: false here and add Since to the current
    # time instead of subtracting it (convox-api.md 5.11): the stream shows only lines from
    # now + Since on, and follows while the pod lives.
    await _stream(sock, app.logs, select, fmt, True, -(since or 0.0), alive)


async def build_logs(ctx: Ctx, sock: Socket) -> None:
    app = core.get_app(ctx.rack, ctx.params["app"])
    build = core.get_build(app, ctx.params["id"])
    # Since is ignored (the rack clears it). Prefix applies only while the build runs: the rack
    # then streams the build pod's process log (service "build"), which with Prefix: true starts
    # each line with `<RFC3339> service/build/<pid> `; a finished build's log is the stored
    # object, sent as it is whatever the headers say (convox-api.md 5.11, 6.2).
    prefix = _bool_header(ctx, "Prefix", False)
    _bool_header(ctx, "Follow", True)
    if build.status != "running":
        key = build.logs.split(f"object://{app.name}/", 1)[-1] if build.logs.startswith("object://") else ""
        stored = app.objects.get(key) if key else None
        if stored is None and build.log_text and build.logs:
            stored = "".join(build.log_text).encode()
        if stored is None:
            raise ApiError(500, f"unable to read logs for build: {build.id}")
        await sock.text(stored)
        return

    def chunk_from(first: int) -> str:
        entries = build.log_text[first:]
        if not prefix:
            return "".join(entries)
        times = build.log_times[first:]
        source = f"service/build/{build.process}"
        return "".join(
            f"{go_time(when)} {source} {line}" for entry, when in zip(entries, times) for line in entry.splitlines(True)
        )

    sent = 0
    event = asyncio.Event()
    build.log_waiters.append(event)
    sock.start_reader()
    try:
        while not sock.closed:
            chunk = chunk_from(sent)
            sent = len(build.log_text)
            if chunk:
                await sock.text(chunk.encode("utf-8", "replace"))
            if build.status != "running" or app.builds.get(build.id) is not build:
                chunk = chunk_from(sent)
                if chunk:
                    await sock.text(chunk.encode("utf-8", "replace"))
                break
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), FOLLOW_POLL)
            except asyncio.TimeoutError:
                pass
    finally:
        build.log_waiters.remove(event)


async def system_logs(ctx: Ctx, sock: Socket) -> None:
    prefix = _bool_header(ctx, "Prefix", False)
    follow = _bool_header(ctx, "Follow", True)
    book = ctx.rack.system_logs
    if not book.lines:
        book.add("system/k8s/api", "", "", "api started")

    def fmt(line: LogLine) -> str:
        return f"{go_time(line.time)} {line.stream} {line.text}\n" if prefix else f"{line.text}\n"

    await _stream(sock, book, _filter(ctx), fmt, follow, _since(ctx), lambda: True)


# -- resource console, instance shell, proxy ------------------------------------------------------

CONSOLE_TYPES = {"postgres", "postgis", "mysql", "mariadb", "redis"}


async def resource_console(ctx: Ctx, sock: Socket) -> None:
    if not ctx.has_role("w"):
        raise ApiError(403, "resource console requires write access")
    app = core.get_app(ctx.rack, ctx.params["app"])
    _int_headers(ctx, "Height", "Width")
    manifest = core.manifest_for(app)
    resource = manifest.resource(ctx.params["name"])
    if resource is None:
        raise ApiError(500, f"no such resource: {ctx.params['name']}")
    if resource.type not in CONSOLE_TYPES:
        raise ApiError(400, f"console not available for resources of type: {resource.type}")
    prompt = f"{resource.name}=> ".encode()
    await sock.text(prompt)
    data = await sock.read_stdin()
    for line in data.decode("utf-8", "replace").splitlines():
        await sock.text(f"{line}\r\n".encode() + prompt)


async def instance_shell(ctx: Ctx, sock: Socket) -> None:
    if not ctx.has_role("w"):
        raise ApiError(403, "instance shell requires write access")
    _int_headers(ctx, "Height", "Width")
    instance = ctx.rack.instances.get(ctx.params["id"])
    if instance is None:
        raise ApiError(404, f"instance not found: {ctx.params['id']}")
    command = ctx.header("Command") or "true"

    async def write(data: bytes) -> None:
        await sock.text(data.replace(b"\n", b"\r\n"))

    code = await Interpreter({"HOSTNAME": instance.id}, write, sock.read_stdin, instance.id).run(command)
    await _marker(sock, code)


def _bad_host(host: str) -> bool:
    lowered = host.lower()
    if lowered in ("localhost", "metadata", "metadata.google.internal") or lowered.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast


async def proxy(ctx: Ctx, sock: Socket) -> None:
    if not ctx.has_role("w"):
        raise ApiError(403, "proxy requires write access")
    host, port = ctx.params["host"], ctx.params["port"]
    if not host or _bad_host(host):
        raise ApiError(400, "invalid proxy host")
    if not re.fullmatch(r"\d{1,5}", port) or not 0 < int(port) < 65536:
        raise ApiError(400, "invalid proxy port")
    raise ApiError(500, f"dial tcp {host}:{port}: connect: connection refused")


def register(router: Router) -> None:
    router.socket("/apps/{name}/logs", app_logs)
    router.socket("/apps/{app}/builds/{id}/logs", build_logs)
    router.socket("/apps/{app}/services/{service}/logs", service_logs)
    router.socket("/apps/{app}/processes/{pid}/exec", exec_process)
    router.socket("/apps/{app}/processes/{pid}/logs", process_logs)
    router.socket("/apps/{app}/resources/{name}/console", resource_console)
    router.socket("/instances/{id}/shell", instance_shell)
    router.socket("/system/logs", system_logs)
    router.socket("/proxy/{host}/{port}", proxy)


# -- control: POST/DELETE /_emulator/logs (docs/emulator.md) ---------------------------------------

DRIPS: Dict[int, asyncio.Future[Any]] = {}


def _log_target(emu: Any, raw: Dict[str, Any]) -> Tuple[LogBook, str, str, str]:
    rack = emu.racks.get(raw["rack"]) if raw.get("rack") else emu.default_rack()
    if rack is None:
        raise ValueError(f"no such rack: {raw['rack']}")
    stream = raw.get("stream")
    if stream is not None and (not isinstance(stream, str) or not stream.strip()):
        raise ValueError("stream must be a non-empty string")
    if raw.get("app") is None:
        return rack.system_logs, stream or "system/k8s/api", "", ""
    app = rack.apps.get(str(raw["app"]))
    if app is None:
        raise ValueError(f"app not found: {raw['app']}")
    stream = stream or "service/web/web-0"
    parts = stream.split("/")
    service = parts[1] if len(parts) > 1 else ""
    pod = parts[2] if len(parts) > 2 else ""
    return app.logs, stream, service, pod


def add_logs(emu: Any, raw: Any) -> Dict[str, Any]:
    """``{"app"?, "rack"?, "stream"?, "lines": [...], "age"?: seconds, "every"?: seconds}``.

    Adds ``lines`` to the app's log (or the rack's system log without ``app``), dated ``age``
    seconds ago. With ``every``, a drip instead: the lines are added one by one, one per
    ``every`` seconds, round and round, until ``DELETE /_emulator/logs`` or a reset (a stream
    that keeps going).
    """
    if not isinstance(raw, dict):
        raise ValueError("a JSON object is expected")
    lines = raw.get("lines")
    if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
        raise ValueError("lines must be a non-empty list of strings")
    age = raw.get("age", 0)
    every = raw.get("every")
    for name, value in (("age", age), ("every", every)):
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name} must be a non-negative number")
    if every is not None and every < 0.01:
        raise ValueError("every must be at least 0.01 seconds")
    book, stream, service, pod = _log_target(emu, raw)
    if every is None:
        when = utcnow() - timedelta(seconds=float(age))
        for text in lines:
            book.add(stream, service, pod, text, when)
        return {"added": len(lines)}

    async def drip() -> None:
        index = 0
        while True:
            book.add(stream, service, pod, lines[index % len(lines)])
            index += 1
            await asyncio.sleep(float(every))

    task = asyncio.ensure_future(drip())
    emu.track(task)
    drip_id = max(DRIPS, default=0) + 1
    DRIPS[drip_id] = task
    return {"drip": drip_id}


def stop_drips() -> int:
    count = 0
    for task in DRIPS.values():
        if not task.done():
            task.cancel()
            count += 1
    DRIPS.clear()
    return count


__all__: List[str] = ["add_logs", "register", "stop_drips"]
