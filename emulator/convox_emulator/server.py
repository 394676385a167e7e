"""The HTTP server: one catch-all handler, auth, errors, request log, faults, lifecycles."""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import hmac
import ipaddress
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, unquote

from aiohttp import WSMsgType, web

from . import jwt
from .control import STREAM_ACTIONS
from .holds import Holds
from .router import Route, Router
from .state import Rack
from .wire import ApiError, accepts_json, go_json, go_json_compact, request_id

VERSION = "3.24.9"
LEGACY_VERSION = "3.24.0"
ROLES = {"read": "r", "write": "rw", "admin": "rwa"}
REDACTED_HEADERS = {"authorization", "private-key", "src-creds-pass"}
SESSION_PATH = "/session"
SESSION_REQUIRED = "session required"
SESSION_CHALLENGE = f'Session path="{SESSION_PATH}" token="false"'
REQUEST_LOG_LIMIT = 10000  # oldest half dropped beyond this, to bound memory
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


@dataclass
class Options:
    host: str = "127.0.0.1"
    port: int = 5443
    password: str = "secret"
    tls: bool = False
    console: bool = False
    racks: List[str] = field(default_factory=list)
    api_keys: Dict[str, str] = field(default_factory=dict)  # key -> role name (read/write/admin)
    # key -> {rack -> role name}: a key's role on one rack instead of its api_keys role ("none": no access)
    rack_roles: Dict[str, Dict[str, str]] = field(default_factory=dict)
    legacy: bool = False
    delay_scale: float = 1.0
    provider: str = "aws"
    session: bool = False  # console mode: challenge for a `Session` header (section 2.4)


class Reply:
    """What a route handler returns; the server turns it into a response."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None,
        is_json: bool = False,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}
        self.is_json = is_json


def ok() -> Reply:
    return Reply(body=b"ok\n", content_type="text/plain; charset=utf-8")


def json_reply(value: Any) -> Reply:
    return Reply(body=go_json(value), content_type="application/json", is_json=True)


def sniff(data: bytes) -> str:
    """A small subset of Go's http.DetectContentType."""
    if data[:2] == b"\x1f\x8b":
        return "application/x-gzip"
    if data[:4] == b"PK\x03\x04":
        return "application/zip"
    if not data:
        return "text/plain; charset=utf-8"
    head = data[:512]
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D, 0x1B) for b in head):
        return "application/octet-stream"
    return "text/plain; charset=utf-8"


def stream_reply(data: bytes) -> Reply:
    return Reply(body=data, content_type=sniff(data))


class Ctx:
    """Everything a route handler needs about one request."""

    def __init__(
        self,
        emu: Emulator,
        request: web.BaseRequest,
        rack: Rack,
        params: Dict[str, str],
        query: Dict[str, str],
        form: Dict[str, str],
        body: bytes,
        role: str,
        user: str,
    ) -> None:
        self.emu = emu
        self.request = request
        self.rack = rack
        self.params = params
        self.query = query
        self.form = form
        self.body = body
        self.role = role
        self.user = user

    def value(self, name: str) -> Optional[str]:
        """The rack's "value" lookup: form (query + body) first, then a header of the same name."""
        if name in self.form:
            return self.form[name]
        return self.request.headers.get(name)

    def header(self, name: str) -> Optional[str]:
        return self.request.headers.get(name)

    def has_role(self, letter: str) -> bool:
        return letter in self.role


def _first_values(pairs: List[Tuple[str, str]]) -> Dict[str, str]:
    result: Dict[str, str] = {}
    for key, val in pairs:
        result.setdefault(key, val)
    return result


def _is_loopback(remote: Optional[str]) -> bool:
    if not remote:
        return False
    try:
        return ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


class Emulator:
    def __init__(self, options: Optional[Options] = None) -> None:
        self.options = options or Options()
        self.router = Router()
        self.generation = 0
        self.requests: List[Dict[str, Any]] = []
        self.faults: List[Dict[str, Any]] = []
        self.holds = Holds()
        self.racks: Dict[str, Rack] = {}
        self.version = LEGACY_VERSION if self.options.legacy else VERSION
        self._timers: List[asyncio.TimerHandle] = []
        self._tasks: List[asyncio.Future[Any]] = []
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.sessions: Dict[str, str] = {}
        self._build_racks()
        from . import routes  # late import: the route modules import this module

        routes.register_all(self.router)

    # -- state ---------------------------------------------------------------------------
    def _build_racks(self) -> None:
        names = self.options.racks or (["org/rack"] if self.options.console else ["convox"])
        self.racks = {name: Rack(name) for name in names}

    def reset(self) -> None:
        self.generation += 1
        for timer in self._timers:
            timer.cancel()
        self._timers = []
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        self.requests = []
        self.faults = []
        self.holds.clear()
        self.sessions = {}
        self._build_racks()

    def describe_options(self) -> Dict[str, Any]:
        """The options without secrets (for the state dump)."""
        opts = self.options
        return {
            "host": opts.host,
            "port": opts.port,
            "tls": opts.tls,
            "console": opts.console,
            "racks": sorted(self.racks),
            "api_key_roles": sorted(opts.api_keys.values()),
            "legacy": opts.legacy,
            "delay_scale": opts.delay_scale,
            "provider": opts.provider,
            "session": opts.session,
            "password_set": bool(opts.password),
        }

    def default_rack(self) -> Rack:
        return next(iter(self.racks.values()))

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run callback after delay (scaled) unless the state was reset in between."""
        generation = self.generation
        loop = self.loop or asyncio.get_event_loop()

        def fire() -> None:
            if generation != self.generation:
                return
            try:
                callback()
            except Exception as exc:
                print(f"emulator: lifecycle step failed: {type(exc).__name__}: {exc}", file=sys.stderr)

        self._timers.append(loop.call_later(max(0.0, delay * self.options.delay_scale), fire))
        if len(self._timers) > 2000:
            self._timers = [t for t in self._timers if not t.cancelled() and t.when() > loop.time()]

    def spawn(self, coro: Any) -> None:
        """Run a lifecycle coroutine in the background; reset cancels it."""
        self.track(asyncio.ensure_future(coro))

    def track(self, task: asyncio.Future[Any]) -> None:
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(task)

    def scaled(self, delay: float) -> float:
        return delay * self.options.delay_scale

    # -- errors ----------------------------------------------------------------------------
    def error_response(
        self, request: web.BaseRequest, status: int, message: str, extra: Optional[Dict[str, str]] = None
    ) -> web.Response:
        if self.options.legacy and status not in (401, 403) and status >= 400:
            status = 500
        headers = dict(extra or {})
        if not self.options.legacy and accepts_json(request.headers.get("Accept", "")):
            headers["Content-Type"] = "application/json"
            body = go_json_compact({"error": message})
        else:
            headers["Content-Type"] = "text/plain; charset=utf-8"
            headers["X-Content-Type-Options"] = "nosniff"
            body = (message + "\n").encode("utf-8", "replace")
        return web.Response(status=status, body=body, headers=headers)

    # -- auth -------------------------------------------------------------------------------
    def authenticate(self, request: web.BaseRequest, rack: Optional[Rack]) -> Tuple[str, str]:
        """Return (role, user) or raise ApiError(401)."""
        header = request.headers.get("Authorization", "")
        user, password = "", ""
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                decoded = ""
            user, _sep, password = decoded.partition(":")
        if user == "jwt" and rack is not None:
            try:
                claims = jwt.verify(rack.jwt_key, password)
            except jwt.TokenError as exc:
                raise ApiError(401, f"invalid authentication: {exc}") from None
            role = str(claims.get("role", ""))
            return role, str(claims.get("user", "jwt"))
        if self.options.console:
            for key, role_name in self.options.api_keys.items():
                if password and hmac.compare_digest(password.encode(), key.encode()):
                    if rack is not None:
                        role_name = self.options.rack_roles.get(key, {}).get(rack.name, role_name)
                    return ("" if role_name == "none" else ROLES.get(role_name, "r")), user or "convox"
        expected = self.options.password
        if not expected and not self.options.console:
            return "rwa", user
        if expected and hmac.compare_digest(password.encode(), expected.encode()):
            return ("rw" if self.options.legacy else "rwa"), user
        raise ApiError(401, "invalid authentication")

    def check_session(self, request: web.BaseRequest) -> None:
        """In console mode with --session, every call but /auth needs a Session from POST /session."""
        if self.options.console and self.options.session:
            session = request.headers.get("Session", "")
            if not session or session not in self.sessions:
                raise ApiError(401, SESSION_REQUIRED)

    # -- faults -----------------------------------------------------------------------------
    def take_fault(self, method: str, path: str, rack_name: str, stream: bool = False) -> Optional[Dict[str, Any]]:
        for fault in self.faults:
            if fault.get("action") in STREAM_ACTIONS and not stream:
                continue  # cut and error act on websocket streams only
            if fault.get("method", "*") not in ("*", method):
                continue
            if not fnmatch.fnmatchcase(path, fault.get("path", "*")):
                continue
            if fault.get("rack") and fault["rack"] != rack_name:
                continue
            times = fault.get("times", 1)
            if times is not None:
                if times <= 0:
                    continue
                fault["times"] = times - 1
            fault["hits"] = fault.get("hits", 0) + 1
            return fault
        return None

    # -- the handler --------------------------------------------------------------------------
    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        raw = request.raw_path
        raw_path, _sep, raw_query = raw.partition("?")
        path = unquote(raw_path)
        if path.startswith("/_emulator/") or path == "/_emulator":
            from .control import handle_control

            return await handle_control(self, request, path)
        started = time.monotonic()
        query = _first_values(parse_qsl(raw_query, keep_blank_values=True))
        entry: Dict[str, Any] = {
            "method": request.method,
            "path": path,
            "raw_path": raw,
            "query": query,
            "form": {},
            "headers": {k: ("<redacted>" if k.lower() in REDACTED_HEADERS else v) for k, v in request.headers.items()},
            "status": None,
            "time": time.time(),
            "websocket": request.headers.get("Upgrade") == "websocket",
            "body_size": 0,
            "rack": None,
            "auth_user": None,
        }
        self.requests.append(entry)
        if len(self.requests) > REQUEST_LOG_LIMIT:
            del self.requests[: REQUEST_LOG_LIMIT // 2]
        try:
            response = await self._handle(request, path, query, entry)
        except asyncio.CancelledError:
            if entry["status"] is None:
                entry["status"] = 0
            raise
        except Exception as exc:
            print(f"emulator: internal error on {request.method} {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            response = web.Response(
                status=500, body=b"internal emulator error\n", headers={"Content-Type": "text/plain; charset=utf-8"}
            )
        if entry["status"] is None:
            entry["status"] = response.status
        entry["duration"] = round(time.monotonic() - started, 6)
        return response

    def _rack_for(self, request: web.BaseRequest) -> Tuple[Optional[Rack], Optional[str]]:
        if not self.options.console:
            return self.default_rack(), None
        name = request.headers.get("Rack")
        if not name:
            return None, "rack header required"
        rack = self.racks.get(name)
        if rack is None:
            return None, f"rack not found: {name}"
        return rack, None

    async def _handle(
        self, request: web.BaseRequest, path: str, query: Dict[str, str], entry: Dict[str, Any]
    ) -> web.StreamResponse:
        method = request.method
        upgrade = request.headers.get("Upgrade")
        stream = (upgrade or "").lower() == "websocket"
        fault = self.take_fault(method, path, request.headers.get("Rack", ""), stream)
        if fault is not None:
            if fault.get("delay"):
                await asyncio.sleep(float(fault["delay"]))
            if fault.get("action") == "drop":
                entry["status"] = 0
                if request.transport is not None:
                    request.transport.close()
                raise asyncio.CancelledError()
            if fault.get("status"):
                body = str(fault.get("body", "")).encode("utf-8")
                headers = {str(k): str(v) for k, v in (fault.get("headers") or {}).items()}
                headers.setdefault("Content-Type", "text/plain; charset=utf-8")
                headers.setdefault("Request-Id", request_id())
                return web.Response(status=int(fault["status"]), body=body, headers=headers)

        await self.holds.park(method, path, request.headers.get("Rack", "") or "", entry)

        if self.options.console and self.options.session and path == SESSION_PATH and upgrade != "websocket":
            return await self._new_session(request, entry)
        if self.options.console and path in ("/racks", "/machines", "/auth") and upgrade != "websocket":
            return await self._console_level(request, path, entry)
        if path == "/check" and method == "GET":
            return web.Response(
                body=b"ok", headers={"Content-Type": "text/plain; charset=utf-8", "Request-Id": request_id()}
            )
        route, params, status = self.router.match(method, path, upgrade)
        if route is None:
            return web.Response(status=status)

        body = b""
        if not route.socket:
            body = await request.content.read()
        entry["body_size"] = len(body)
        form: Dict[str, str] = dict(query)
        ctype = request.headers.get("Content-Type", "")
        if method in ("POST", "PUT", "PATCH") and ctype.split(";", 1)[0].strip() == "application/x-www-form-urlencoded":
            body_pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            form = _first_values(
                body_pairs + list(parse_qsl(request.raw_path.partition("?")[2], keep_blank_values=True))
            )
            entry["form"] = _first_values(body_pairs)

        if route.socket:
            stream_fault = fault if fault is not None and fault.get("action") in STREAM_ACTIONS else None
            return await self._socket(request, route, params, form, entry, stream_fault)

        rid = request_id()
        base_headers = {"Request-Id": rid}
        base_headers.update(SECURITY_HEADERS if not self.options.legacy else {})
        rack, rack_error = self._rack_for(request)
        try:
            if rack_error is not None:
                raise ApiError(404 if rack_error.startswith("rack not found") else 400, rack_error)
            assert rack is not None
            entry["rack"] = rack.name
            role, user = self.authenticate(request, rack)
            entry["auth_user"] = user
            self.check_session(request)
            if path != "/auth":
                needed = "r" if method == "GET" else "w"
                if needed not in role:
                    raise ApiError(401, "you are unauthorized to access this")
            ctx = Ctx(self, request, rack, params, query, form, body, role, user)
            result = route.handler(ctx)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as exc:
            extra = dict(base_headers)
            if exc.status == 401 and exc.message == "invalid authentication" and not self.options.console:
                extra["WWW-Authenticate"] = 'Basic realm="convox"'
            if exc.message == SESSION_REQUIRED:
                extra["WWW-Authenticate"] = SESSION_CHALLENGE
            return self.error_response(request, exc.status, exc.message, extra)
        if isinstance(result, web.StreamResponse):
            return result
        reply: Reply = result
        headers = dict(base_headers)
        headers.update(reply.headers)
        if reply.content_type:
            headers["Content-Type"] = reply.content_type
        payload = reply.body
        if fault is not None and fault.get("action") == "malformed":
            payload = b'{"malformed": ' + payload[: max(0, len(payload) // 2)]
            headers["Content-Type"] = "application/json"
        if method == "HEAD":
            return web.Response(status=reply.status, headers=headers)
        return web.Response(status=reply.status, body=payload, headers=headers)

    async def _new_session(self, request: web.BaseRequest, entry: Dict[str, Any]) -> web.StreamResponse:
        rid = {"Request-Id": request_id()}
        if request.method != "POST":
            return web.Response(status=405)
        try:
            _role, user = self.authenticate(request, None)
        except ApiError as exc:
            return self.error_response(request, exc.status, exc.message, rid)
        entry["auth_user"] = user
        session = secrets.token_hex(16)
        self.sessions[session] = user
        return web.Response(body=go_json({"id": session}), headers={"Content-Type": "application/json", **rid})

    async def _console_level(self, request: web.BaseRequest, path: str, entry: Dict[str, Any]) -> web.StreamResponse:
        rid = {"Request-Id": request_id()}
        try:
            role, user = self.authenticate(request, None)
            if path != "/auth":
                self.check_session(request)
        except ApiError as exc:
            if exc.message == SESSION_REQUIRED:
                rid["WWW-Authenticate"] = SESSION_CHALLENGE
            return self.error_response(request, exc.status, exc.message, rid)
        entry["auth_user"] = user
        if request.method != "GET":
            return web.Response(status=405)
        if path == "/auth":
            return web.Response(
                body=go_json({"id": f"user-{user or 'convox'}"}), headers={"Content-Type": "application/json", **rid}
            )
        if path == "/machines":
            return web.Response(body=go_json([]), headers={"Content-Type": "application/json", **rid})
        racks = []
        for name in sorted(self.racks):
            org, _sep, short = name.rpartition("/")
            racks.append(
                {
                    "Name": short or name,
                    "Organization": {"Name": org},
                    "Provider": self.options.provider,
                    "Status": "running",
                    "Parameters": {},
                    "State": "",
                    "Version": self.version,
                    "Deletable": False,
                    "Role": role,
                }
            )
        return web.Response(body=go_json(racks), headers={"Content-Type": "application/json", **rid})

    async def _socket(
        self,
        request: web.BaseRequest,
        route: Route,
        params: Dict[str, str],
        form: Dict[str, str],
        entry: Dict[str, Any],
        fault: Optional[Dict[str, Any]] = None,
    ) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None:
            host = origin.split("://", 1)[-1].rstrip("/")
            if host.lower() != (request.headers.get("Host") or "").lower():
                return web.Response(
                    status=403,
                    body=b"Forbidden\n",
                    headers={"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"},
                )
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        entry["status"] = 101
        sock = Socket(ws)
        if fault is not None:
            sock.inject(fault, request.transport)
        rack, rack_error = self._rack_for(request)
        try:
            if rack_error is not None:
                raise ApiError(400, rack_error)
            assert rack is not None
            entry["rack"] = rack.name
            role, user = self.authenticate(request, rack)
            entry["auth_user"] = user
            self.check_session(request)
            if "r" not in role:
                raise ApiError(401, "you are unauthorized to access this")
            ctx = Ctx(self, request, rack, params, {}, {}, b"", role, user)
            await sock.maybe_inject()  # a fault with frames: 0 acts before any output
            await route.handler(ctx, sock)
        except ApiError as exc:
            await sock.error(exc.message)
        except StreamCut:
            entry["status"] = 0
            return ws
        except StreamFailed:
            pass
        except (ConnectionError, asyncio.CancelledError):
            return ws
        await sock.finish()
        return ws


class StreamCut(Exception):
    """A ``cut`` fault closed the connection in the middle of a stream."""


class StreamFailed(Exception):
    """An ``error`` fault ended a stream with an ``ERROR:`` frame."""


class Socket:
    """Thin wrapper over a server websocket with the rack's framing.

    A single reader task owns ws.receive(): it collects stdin (text frames), notices the
    stdin EOF (any binary frame) and the client going away.

    A stream fault (``inject``) acts once ``frames`` text frames have been sent: ``cut`` closes
    the TCP connection with no close frame, exit marker or end frame; ``error`` sends
    ``ERROR: <body>`` and ends the stream as a rack does after a failure.
    """

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.sent = 0
        self._fault: Optional[Dict[str, Any]] = None
        self._transport: Any = None
        self.finished = False
        self.stdin = bytearray()
        self.stdin_event = asyncio.Event()
        self.stdin_eof = False
        self.gone = asyncio.Event()
        self._reader: Optional[asyncio.Task[None]] = None

    @property
    def closed(self) -> bool:
        return self.ws.closed or self.gone.is_set()

    def start_reader(self) -> None:
        if self._reader is None:
            self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            while True:
                msg = await self.ws.receive()
                if msg.type == WSMsgType.TEXT:
                    self.stdin += msg.data.encode("utf-8", "surrogateescape")
                elif msg.type == WSMsgType.BINARY:
                    self.stdin_eof = True
                else:
                    break
                self.stdin_event.set()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            self.stdin_eof = True
            self.gone.set()
            self.stdin_event.set()

    async def read_stdin(self) -> bytes:
        """Everything sent until the stdin EOF frame (or the client closing)."""
        self.start_reader()
        while not self.stdin_eof:
            self.stdin_event.clear()
            await self.stdin_event.wait()
        data = bytes(self.stdin)
        self.stdin.clear()
        return data

    def inject(self, fault: Dict[str, Any], transport: Any) -> None:
        self._fault = fault
        self._transport = transport

    async def maybe_inject(self) -> None:
        """Act on the stream fault when its frame count has been reached."""
        fault = self._fault
        if fault is None or self.sent < int(fault.get("frames", 1)):
            return
        self._fault = None
        if fault["action"] == "cut":
            if self._transport is not None:
                self._transport.close()
            raise StreamCut()
        message = str(fault.get("body") or "injected failure")
        await self.ws.send_frame(f"ERROR: {message}\n".encode("utf-8", "replace"), WSMsgType.TEXT)
        raise StreamFailed()

    async def text(self, data: bytes) -> None:
        if data and not self.ws.closed:
            await self.ws.send_frame(data, WSMsgType.TEXT)
            self.sent += 1
            await self.maybe_inject()

    async def error(self, message: str) -> None:
        await self.text(f"ERROR: {message}\n".encode("utf-8", "replace"))

    async def wait_gone(self, timeout: float) -> bool:
        self.start_reader()
        try:
            await asyncio.wait_for(self.gone.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return True

    async def finish(self, wait: float = 10.0) -> None:
        """Send the empty binary end frame, then wait (briefly) for the client to close."""
        if self.finished or self.ws.closed:
            return
        self.finished = True
        try:
            await self.ws.send_frame(b"", WSMsgType.BINARY)
            await self.wait_gone(wait)
        except (ConnectionError, RuntimeError):
            pass
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        if not self.ws.closed:
            await self.ws.close()


async def serve(
    emu: Emulator, ready: Optional[Callable[[str], None]] = None, stop: Optional[asyncio.Event] = None
) -> None:
    """Run the server until `stop` is set (forever when None)."""
    emu.loop = asyncio.get_running_loop()
    ssl_context = None
    if emu.options.tls:
        from .tls import server_context

        ssl_context = server_context()
    server = web.Server(emu.handle, handler_cancellation=True)
    runner = web.ServerRunner(server, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, emu.options.host, emu.options.port, ssl_context=ssl_context, reuse_address=True)
    await site.start()
    listener: Any = getattr(site, "_server")  # noqa: B009 - aiohttp keeps the asyncio server private
    sockets = listener.sockets
    port = sockets[0].getsockname()[1]
    scheme = "https" if emu.options.tls else "http"
    url = f"{scheme}://{emu.options.host}:{port}"
    if ready is not None:
        ready(url)
    try:
        if stop is None:
            await asyncio.Event().wait()
        else:
            await stop.wait()
    finally:
        await runner.cleanup()
