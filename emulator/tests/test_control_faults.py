"""The control API and fault injection."""

from __future__ import annotations

import time

import httpx
import pytest

from convox_emulator.testing import EmulatorError

from .conftest import HTTP, create_app


def test_reset_and_state(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    client.post("/registries", data={"server": "r.io", "username": "u", "password": "hunter2"})
    state = emu.state()
    assert state["version"] == "3.24.9"
    rack = state["racks"]["convox"]
    assert list(rack["apps"]) == ["myapp"]
    assert rack["registries"] == ["r.io"]
    assert "hunter2" not in str(state) and "secret" not in str(state["options"])
    emu.reset()
    assert emu.rack_state()["apps"] == {}
    assert emu.requests() == []
    assert client.get("/apps").json() == []


def test_control_calls_are_not_logged(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    client.get("/apps")
    emu.state()
    assert [e["path"] for e in emu.requests()] == ["/apps"]
    emu.clear_requests()
    assert emu.requests() == []
    assert HTTP.get(emu.url + "/_emulator/nope").status_code == 404


def test_status_fault_for_the_next_n_requests(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    emu.fault(method="GET", path="/apps*", status=503, body="busy", headers={"Retry-After": "1"}, times=2)
    for _i in range(2):
        resp = client.get("/apps")
        assert (resp.status_code, resp.text, resp.headers["retry-after"]) == (503, "busy", "1")
    assert client.get("/apps").status_code == 200
    assert client.post("/apps", data={"name": "x"}).status_code == 200
    assert emu.state()["faults"][0]["hits"] == 2


def test_delay_fault(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    emu.fault(path="/system", delay=0.3)
    started = time.monotonic()
    assert client.get("/system").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_fault(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    emu.fault(method="GET", path="/system", action="drop")
    with pytest.raises(httpx.TransportError):
        httpx.get(emu.url + "/system", auth=("convox", "secret"))
    assert client.get("/system").status_code == 200
    assert emu.requests()[0]["status"] == 0


def test_malformed_fault(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    emu.fault(path="/apps", action="malformed")
    resp = client.get("/apps")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        resp.json()


def test_unlimited_faults_and_clear(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    emu.faults([{"path": "/apps", "status": 502, "times": None}])
    assert [client.get("/apps").status_code for _i in range(3)] == [502, 502, 502]
    emu.clear_faults()
    assert client.get("/apps").status_code == 200


def test_invalid_faults_are_rejected(emu) -> None:  # type: ignore[no-untyped-def]
    for bad in ({"path": "/x"}, {"status": 99}, {"status": 500, "bogus": 1}, {"action": "explode"}, {"delay": -1}):
        with pytest.raises(EmulatorError):
            emu.faults([bad])
    assert emu.state()["faults"] == []
