"""Console mode, legacy mode and TLS: each with its own emulator."""

from __future__ import annotations

import ssl
from typing import Iterator

import httpx
import pytest
import websocket

from convox_emulator.testing import EmulatorHandle, start_emulator

from .conftest import HTTP, ws_frames


@pytest.fixture(scope="module")
def console() -> Iterator[EmulatorHandle]:
    with start_emulator(
        console=True,
        racks=["acme/prod", "acme/staging"],
        password="",
        api_keys={"rkey": "read", "wkey": "write", "akey": "admin"},
        delay_scale=0.1,
    ) as emu:
        yield emu


def test_console_racks_machines_and_auth(console: EmulatorHandle) -> None:
    racks = HTTP.get(console.url + "/racks", auth=("convox", "rkey"))
    assert [(r["Organization"]["Name"], r["Name"]) for r in racks.json()] == [("acme", "prod"), ("acme", "staging")]
    assert HTTP.get(console.url + "/machines", auth=("convox", "rkey")).json() == []
    assert "id" in HTTP.get(console.url + "/auth", auth=("convox", "wkey")).json()
    assert HTTP.get(console.url + "/racks", auth=("convox", "nokey")).status_code == 401


def test_console_requires_rack_header_and_selects_state(console: EmulatorHandle) -> None:
    console.reset()
    write = httpx.Client(verify=False, base_url=console.url, auth=("convox", "wkey"))
    missing = write.get("/apps")
    assert (missing.status_code, missing.text) == (400, "rack header required\n")
    unknown = write.get("/apps", headers={"Rack": "acme/nope"})
    assert (unknown.status_code, unknown.text) == (404, "rack not found: acme/nope\n")
    assert write.post("/apps", data={"name": "a"}, headers={"Rack": "acme/prod"}).status_code == 200
    assert [a["name"] for a in write.get("/apps", headers={"Rack": "acme/prod"}).json()] == ["a"]
    assert write.get("/apps", headers={"Rack": "acme/staging"}).json() == []
    assert write.get("/system", headers={"Rack": "acme/staging"}).json()["name"] == "acme/staging"
    state = console.state()["racks"]
    assert list(state["acme/prod"]["apps"]) == ["a"] and state["acme/staging"]["apps"] == {}
    write.close()


def test_console_key_roles(console: EmulatorHandle) -> None:
    rack = {"Rack": "acme/prod"}
    read = httpx.Client(verify=False, base_url=console.url, auth=("convox", "rkey"), headers=rack)
    assert read.get("/apps").status_code == 200
    assert read.post("/apps", data={"name": "r"}).text == "you are unauthorized to access this\n"
    write = httpx.Client(verify=False, base_url=console.url, auth=("convox", "wkey"), headers=rack)
    assert write.put("/system/jwt/rotate").status_code == 403
    admin = httpx.Client(verify=False, base_url=console.url, auth=("convox", "akey"), headers=rack)
    assert admin.put("/system/jwt/rotate").text == "ok\n"
    assert HTTP.get(console.url + "/apps", auth=("convox", "bad"), headers=rack).status_code == 401
    frames = ws_frames(console, "/apps/x/logs", {"Rack": "acme/prod"}, auth=("convox", "rkey"))
    assert frames == [(1, b"ERROR: app not found: x\n"), (2, b"")]
    for client in (read, write, admin):
        client.close()


@pytest.fixture(scope="module")
def legacy() -> Iterator[EmulatorHandle]:
    with start_emulator(legacy=True, in_process=True, delay_scale=0.1) as emu:
        yield emu


def test_legacy_errors_are_500_text(legacy: EmulatorHandle) -> None:
    client = httpx.Client(
        verify=False, base_url=legacy.url, auth=("convox", "secret"), headers={"Accept": "application/json"}
    )
    missing = client.get("/apps/nope")
    assert (missing.status_code, missing.text) == (500, "app not found: nope\n")
    assert missing.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.post("/apps", data={"name": "rack"}).status_code == 500
    client.post("/apps", data={"name": "a"})
    assert client.post("/apps", data={"name": "a"}).text == "app already exists: a\n"
    assert client.get("/apps/a/releases/RX").status_code == 500
    assert client.get("/nope").status_code == 404
    assert client.get("/apps", auth=("convox", "bad")).status_code == 401
    assert "x-frame-options" not in client.get("/apps").headers
    assert client.get("/system").json()["version"] == "3.24.0"
    assert client.post("/system/jwt/token", data={"role": "admin", "durationInHour": "1"}).json() == {"token": ""}
    assert client.post("/system/jwt/token", data={"role": "read", "durationInHour": "x"}).status_code == 500
    assert client.put("/system/jwt/rotate").status_code == 403
    client.close()


def test_tls_serves_https_with_a_self_signed_certificate() -> None:
    with start_emulator(tls=True, delay_scale=0.1) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        with pytest.raises(httpx.ConnectError):
            httpx.get(emu.url + "/system", auth=("convox", "secret"))
        resp = httpx.get(emu.url + "/system", auth=("convox", "secret"), verify=False)
        assert resp.json()["version"] == "3.24.9"
        pem = ssl.get_server_certificate(("127.0.0.1", emu.port))
        assert pem.startswith("-----BEGIN CERTIFICATE-----")
        httpx.post(emu.url + "/apps", data={"name": "a"}, auth=("convox", "secret"), verify=False)
        frames = ws_frames(emu, "/apps/a/logs", {"Follow": "false"})
        assert frames[-1] == (websocket.ABNF.OPCODE_BINARY, b"")
        assert emu.state()["options"]["tls"] is True


def test_console_session_challenge() -> None:
    with start_emulator(
        console=True, racks=["acme/prod"], password="", api_keys={"key": "write"}, session=True, in_process=True
    ) as emu:
        rack = {"Rack": "acme/prod"}
        challenged = HTTP.get(emu.url + "/apps", auth=("convox", "key"), headers=rack)
        assert (challenged.status_code, challenged.text) == (401, "session required\n")
        assert challenged.headers["www-authenticate"] == 'Session path="/session" token="false"'
        assert HTTP.get(emu.url + "/racks", auth=("convox", "key")).status_code == 401
        assert HTTP.get(emu.url + "/auth", auth=("convox", "key")).status_code == 200
        assert HTTP.post(emu.url + "/session", auth=("convox", "bad")).status_code == 401
        session = HTTP.post(emu.url + "/session", auth=("convox", "key")).json()["id"]
        headers = dict(rack, Session=session)
        assert HTTP.get(emu.url + "/apps", auth=("convox", "key"), headers=headers).json() == []
        assert HTTP.get(emu.url + "/racks", auth=("convox", "key"), headers={"Session": session}).status_code == 200
        wrong = HTTP.get(emu.url + "/apps", auth=("convox", "key"), headers=dict(rack, Session="nope"))
        assert wrong.status_code == 401
        frames = ws_frames(emu, "/apps/x/logs", rack, auth=("convox", "key"))
        assert frames == [(1, b"ERROR: session required\n"), (2, b"")]
        frames = ws_frames(emu, "/apps/x/logs", headers, auth=("convox", "key"))
        assert frames == [(1, b"ERROR: app not found: x\n"), (2, b"")]


def test_console_rack_roles() -> None:
    """--rack-role KEY:RACK:ROLE: a key's role on one rack ("none": no access), over the CLI."""
    with start_emulator(
        console=True,
        racks=["acme/prod", "acme/staging"],
        password="",
        api_keys={"key": "write"},
        rack_roles={"key": {"acme/staging": "none", "acme/prod": "read"}},
    ) as emu:
        auth = ("convox", "key")
        denied = HTTP.get(emu.url + "/apps", auth=auth, headers={"Rack": "acme/staging"})
        assert (denied.status_code, denied.text) == (401, "you are unauthorized to access this\n")
        assert HTTP.get(emu.url + "/apps", auth=auth, headers={"Rack": "acme/prod"}).json() == []
        read_only = HTTP.post(emu.url + "/apps", data={"name": "a"}, auth=auth, headers={"Rack": "acme/prod"})
        assert read_only.status_code == 401
        # the console still lists both racks; the per-rack role applies to the rack API
        assert len(HTTP.get(emu.url + "/racks", auth=auth).json()) == 2


def test_rack_role_argument_is_checked() -> None:
    from convox_emulator.__main__ import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--console", "--rack-role", "key:acme/prod:owner"])
    options = parse_args(["--console", "--api-key", "k:write", "--rack-role", "k:acme/prod:none"])
    assert options.rack_roles == {"k": {"acme/prod": "none"}}
