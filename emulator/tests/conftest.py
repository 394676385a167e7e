"""Shared fixtures: one emulator subprocess per session, reset before every test."""

from __future__ import annotations

import base64
import io
import tarfile
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import httpx
import pytest
import websocket

from convox_emulator.testing import EmulatorHandle, start_emulator

PASSWORD = "secret"
# One shared client for one-off requests (a new httpx client per call builds a new SSL context).
HTTP = httpx.Client(timeout=10, verify=False)
TEST_DELAY_SCALE = 0.2
WEB_MANIFEST = "services:\n  web:\n    port: 3000\n    scale: 2\n"


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[EmulatorHandle]:
    with start_emulator(password=PASSWORD, delay_scale=TEST_DELAY_SCALE) as emu:
        yield emu


@pytest.fixture
def emu(shared_emulator: EmulatorHandle) -> EmulatorHandle:
    shared_emulator.reset()
    return shared_emulator


@pytest.fixture(scope="session")
def shared_client(shared_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_emulator.url, auth=("convox", PASSWORD), timeout=10, verify=False) as http:
        yield http


@pytest.fixture
def client(emu: EmulatorHandle, shared_client: httpx.Client) -> httpx.Client:
    shared_client.headers.pop("Accept", None)
    return shared_client


def tarball(files: Dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def wait_for(probe: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def wait_until(fetch: Callable[[], Any], accept: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    """Fetch repeatedly until accept(value) holds; return that value."""
    box: Dict[str, Any] = {}

    def probe() -> bool:
        box["value"] = fetch()
        return accept(box["value"])

    wait_for(probe, timeout)
    return box["value"]


def app_status(client: httpx.Client, app: str) -> str:
    return str(client.get(f"/apps/{app}").json()["status"])


def create_app(client: httpx.Client, name: str = "myapp") -> Dict[str, Any]:
    resp = client.post("/apps", data={"name": name})
    assert resp.status_code == 200, resp.text
    wait_for(lambda: app_status(client, name) == "running")
    return resp.json()  # type: ignore[no-any-return]


def build(
    client: httpx.Client, app: str, manifest: str = WEB_MANIFEST, key: str = "tmp/src.tgz", **form: str
) -> Dict[str, Any]:
    url = client.post(
        f"/apps/{app}/objects/{key}",
        content=tarball({"convox.yml": manifest}),
        headers={"Content-Type": "application/octet-stream"},
    ).json()["Url"]
    resp = client.post(f"/apps/{app}/builds", data={"url": url, **form})
    assert resp.status_code == 200, resp.text
    bid = resp.json()["id"]
    result: Dict[str, Any] = wait_until(
        lambda: client.get(f"/apps/{app}/builds/{bid}").json(), lambda b: b["status"] in ("complete", "failed")
    )
    return result


def deploy(client: httpx.Client, app: str = "myapp", manifest: str = WEB_MANIFEST) -> Dict[str, Any]:
    """Create the app (if needed), build, promote and wait until running; returns the build."""
    if client.get(f"/apps/{app}").status_code == 404:
        create_app(client, app)
    result = build(client, app, manifest)
    assert result["status"] == "complete", result
    resp = client.post(f"/apps/{app}/releases/{result['release']}/promote")
    assert resp.status_code == 200, resp.text
    wait_for(lambda: app_status(client, app) == "running")
    return result


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def ws_frames(
    emu: EmulatorHandle,
    path: str,
    headers: Optional[Dict[str, str]] = None,
    auth: Optional[Tuple[str, str]] = ("convox", PASSWORD),
    send: Optional[List[Tuple[int, bytes]]] = None,
    timeout: float = 5.0,
    stop_after: Optional[int] = None,
) -> List[Tuple[int, bytes]]:
    """Open a websocket, optionally send frames, read until the empty binary end frame."""
    header = [f"{k}: {v}" for k, v in (headers or {}).items()]
    if auth is not None:
        header.append(f"Authorization: {basic(*auth)}")
    conn = websocket.create_connection(
        emu.ws_url + path, header=header, skip_utf8_validation=True, timeout=timeout, sslopt={"cert_reqs": 0}
    )
    frames: List[Tuple[int, bytes]] = []
    try:
        for opcode, payload in send or []:
            conn.send(payload, opcode=opcode)
        while True:
            opcode, data = conn.recv_data()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            frames.append((opcode, data))
            if opcode == websocket.ABNF.OPCODE_BINARY and data == b"":
                break
            if stop_after is not None and len(frames) >= stop_after:
                break
    finally:
        conn.close()
    return frames


def text_of(frames: List[Tuple[int, bytes]]) -> bytes:
    return b"".join(data for opcode, data in frames if opcode == websocket.ABNF.OPCODE_TEXT)
