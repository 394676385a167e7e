"""Start an emulator for tests and benchmarks: start_emulator(**options) -> EmulatorHandle.

    with start_emulator(password="secret") as emu:
        httpx.get(emu.url + "/apps", auth=("convox", emu.password))
        emu.requests(); emu.fault(method="GET", path="/apps", status=503)

By default the emulator runs in a subprocess (its own event loop and GIL, and a pid whose
memory can be measured); in_process=True runs it in a background thread instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any, Dict, List, Optional, Union

# The directory that holds this package: site-packages once installed, emulator/ in a checkout.
# Subprocesses run `python -m convox_emulator` there, so they import this very copy (`-m` puts
# the working directory first on sys.path) whether it is installed or not.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READY_PREFIX = "convox emulator listening on "


class EmulatorError(RuntimeError):
    pass


class EmulatorHandle:
    """A running emulator: its URL, credentials and the control API."""

    def __init__(
        self,
        url: str,
        password: str,
        *,
        process: Optional[subprocess.Popen[bytes]] = None,
        thread: Optional[threading.Thread] = None,
        stopper: Any = None,
        console: bool = False,
        racks: Optional[List[str]] = None,
        api_keys: Optional[Dict[str, str]] = None,
        stderr_path: Optional[str] = None,
        emulator: Any = None,
    ) -> None:
        self.url = url
        self.password = password
        self.process = process
        self.pid = process.pid if process is not None else os.getpid()
        self.console = console
        self.racks = list(racks or [])
        self.api_keys = dict(api_keys or {})
        self.emulator = emulator
        self._thread = thread
        self._stopper = stopper
        self._stderr_path = stderr_path
        self._ssl = None
        if url.startswith("https://"):
            self._ssl = ssl.create_default_context()
            self._ssl.check_hostname = False
            self._ssl.verify_mode = ssl.CERT_NONE

    def __repr__(self) -> str:
        return f"EmulatorHandle(url={self.url!r}, pid={self.pid})"

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def ws_url(self) -> str:
        return ("wss://" if self.url.startswith("https://") else "ws://") + self.url.split("://", 1)[1]

    # -- control API ------------------------------------------------------------------------
    def control(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{name}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data else {},
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=self._ssl) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise EmulatorError(
                f"control API {method} {name}: {exc.code} {exc.read().decode(errors='replace')}"
            ) from None

    def spend(
        self, app: str, usd: float, per_service: Optional[Dict[str, float]] = None, fire: bool = False
    ) -> Dict[str, Any]:
        """Set ``app``'s month-to-date spend and run one budget accumulator tick (alerts, breaker,
        auto-shutdown; ``fire``: the armed shutdown's notice window has passed)."""
        body: Dict[str, Any] = {"app": app, "spend": usd}
        if per_service is not None:
            body["per_service"] = per_service
        if fire:
            body["fire"] = True
        answer: Dict[str, Any] = self.control("POST", "budget", body)
        return answer

    def cost_tracking(self, enabled: bool) -> None:
        """Set the rack parameter cost_tracking_enable of the default rack."""
        self.control("POST", "cost-tracking", {"enabled": enabled})

    def metrics_busy(self, times: int) -> None:
        """The next ``times`` GPU metrics requests answer 503 ``metrics: server busy, retry shortly``."""
        self.control("POST", "metrics-busy", {"times": times})

    def requests(self) -> List[Dict[str, Any]]:
        entries: List[Dict[str, Any]] = self.control("GET", "requests")
        return entries

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def reset(self) -> None:
        self.control("POST", "reset")

    def state(self) -> Dict[str, Any]:
        state: Dict[str, Any] = self.control("GET", "state")
        return state

    def rack_state(self, rack: Optional[str] = None) -> Dict[str, Any]:
        racks: Dict[str, Dict[str, Any]] = self.state()["racks"]
        return racks[rack] if rack else next(iter(racks.values()))

    def fault(self, method: str = "*", path: str = "*", **fields: Any) -> List[Dict[str, Any]]:
        """Add one fault: status=, body=, headers=, delay=, action="drop"|"malformed", times=, rack=."""
        stored: List[Dict[str, Any]] = self.control("POST", "faults", dict(fields, method=method, path=path))
        return stored

    def faults(self, items: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        stored: List[Dict[str, Any]] = self.control("POST", "faults", items)
        return stored

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def hold(self, method: str = "*", path: str = "*", **fields: Any) -> Dict[str, Any]:
        """Park matching requests (``times``, ``count`` for a barrier, ``timeout``); answers the hold."""
        hold: Dict[str, Any] = self.control("POST", "holds", dict(fields, method=method, path=path))
        return hold

    def holds(self) -> List[Dict[str, Any]]:
        items: List[Dict[str, Any]] = self.control("GET", "holds")
        return items

    def wait_held(self, hold_id: int, waiting: int = 1, caught: int = 0, timeout: float = 10.0) -> Dict[str, Any]:
        """Block until ``waiting`` requests are parked on the hold (and ``caught`` were caught); raise on timeout."""
        state: Dict[str, Any] = self.control(
            "GET", f"holds/{hold_id}?waiting={waiting}&caught={caught}&timeout={timeout:g}"
        )
        if not state.get("reached"):
            raise EmulatorError(f"hold {hold_id}: {waiting} waiting / {caught} caught not reached: {state}")
        return state

    def release_hold(self, hold_id: int, count: Optional[int] = None) -> Dict[str, Any]:
        state: Dict[str, Any] = self.control("POST", f"holds/{hold_id}/release", {"count": count})
        return state

    def clear_holds(self) -> None:
        self.control("DELETE", "holds")

    def stderr(self) -> str:
        if not self._stderr_path or not os.path.exists(self._stderr_path):
            return ""
        with open(self._stderr_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    # -- lifetime ---------------------------------------------------------------------------
    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._stopper is not None:
            self._stopper()
            self._stopper = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._stderr_path and os.path.exists(self._stderr_path):
            os.unlink(self._stderr_path)
            self._stderr_path = None

    def __enter__(self) -> EmulatorHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _cli_args(
    password: str,
    tls: bool,
    console: bool,
    racks: List[str],
    api_keys: Dict[str, str],
    legacy: bool,
    delay_scale: Optional[float],
    provider: Optional[str],
    port: int,
    session: bool = False,
    rack_roles: Optional[Dict[str, Dict[str, str]]] = None,
) -> List[str]:
    args = ["--port", str(port), "--password", password]
    if tls:
        args.append("--tls")
    if console:
        args.append("--console")
    for rack in racks:
        args += ["--rack", rack]
    for key, role in api_keys.items():
        args += ["--api-key", f"{key}:{role}"]
    for key, per_rack in (rack_roles or {}).items():
        for rack, role in per_rack.items():
            args += ["--rack-role", f"{key}:{rack}:{role}"]
    if legacy:
        args.append("--legacy")
    if delay_scale is not None:
        args += ["--delay-scale", repr(float(delay_scale))]
    if provider:
        args += ["--provider", provider]
    if session:
        args.append("--session")
    return args


def start_emulator(
    *,
    password: str = "secret",
    tls: bool = False,
    console: bool = False,
    racks: Optional[List[str]] = None,
    api_keys: Union[Dict[str, str], List[str], None] = None,
    legacy: bool = False,
    delay_scale: Optional[float] = None,
    provider: Optional[str] = None,
    session: bool = False,
    port: int = 0,
    in_process: bool = False,
    timeout: float = 30.0,
    rack_roles: Optional[Dict[str, Dict[str, str]]] = None,
) -> EmulatorHandle:
    """Start an emulator on a free port (by default) and wait until it listens."""
    keys: Dict[str, str] = {}
    if isinstance(api_keys, dict):
        keys = dict(api_keys)
    elif api_keys:
        for item in api_keys:
            key, _sep, role = item.rpartition(":")
            keys[key] = role
    rack_list = list(racks or [])
    if in_process:
        return _start_thread(
            password, tls, console, rack_list, keys, legacy, delay_scale, provider, port, timeout, session, rack_roles
        )
    args = _cli_args(password, tls, console, rack_list, keys, legacy, delay_scale, provider, port, session, rack_roles)
    env = dict(os.environ)
    env.pop("EMULATOR_PORT", None)
    handle_fd, stderr_path = tempfile.mkstemp(prefix="emulator-", suffix=".log")
    with os.fdopen(handle_fd, "wb") as stderr_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "convox_emulator", *args],
            stdout=subprocess.PIPE,
            stderr=stderr_file,
            env=env,
            cwd=PACKAGE_PARENT,
        )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline and not line.endswith(b"\n"):
        ready, _wlist, _xlist = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(process.stdout.fileno(), 1)
        if not chunk:
            break
        line += chunk
    text = line.decode("utf-8", "replace").strip()
    if not text.startswith(READY_PREFIX):
        process.kill()
        process.wait()
        with open(stderr_path, encoding="utf-8", errors="replace") as handle:
            detail = handle.read()[-2000:]
        os.unlink(stderr_path)
        raise EmulatorError(f"emulator did not start: {text!r} {detail}")
    return EmulatorHandle(
        text[len(READY_PREFIX) :],
        password,
        process=process,
        console=console,
        racks=rack_list,
        api_keys=keys,
        stderr_path=stderr_path,
    )


def _start_thread(
    password: str,
    tls: bool,
    console: bool,
    racks: List[str],
    keys: Dict[str, str],
    legacy: bool,
    delay_scale: Optional[float],
    provider: Optional[str],
    port: int,
    timeout: float,
    session: bool = False,
    rack_roles: Optional[Dict[str, Dict[str, str]]] = None,
) -> EmulatorHandle:
    from .server import Emulator, Options, serve

    options = Options(
        port=port,
        password=password,
        tls=tls,
        console=console,
        racks=racks,
        api_keys=keys,
        legacy=legacy,
        delay_scale=1.0 if delay_scale is None else float(delay_scale),
        provider=provider or "aws",
        session=session,
        rack_roles=dict(rack_roles or {}),
    )
    emu = Emulator(options)
    started = threading.Event()
    box: Dict[str, Any] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        box["loop"] = loop
        stop = asyncio.Event()
        box["stop"] = stop

        def ready(url: str) -> None:
            box["url"] = url
            started.set()

        try:
            loop.run_until_complete(serve(emu, ready, stop))
        except Exception as exc:
            box["error"] = exc
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="convox-emulator", daemon=True)
    thread.start()
    if not started.wait(timeout) or "url" not in box:
        raise EmulatorError(f"emulator did not start: {box.get('error')!r}")

    def stopper() -> None:
        loop = box["loop"]
        if not loop.is_closed():
            loop.call_soon_threadsafe(box["stop"].set)

    return EmulatorHandle(
        box["url"], password, thread=thread, stopper=stopper, console=console, racks=racks, api_keys=keys, emulator=emu
    )
