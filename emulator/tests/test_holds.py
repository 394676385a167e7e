"""Holds: park a request until released (a race reproduced on purpose), barriers, timeouts."""

from __future__ import annotations

import threading
from typing import Any, Dict, List

import httpx
import pytest

from convox_emulator.testing import EmulatorError

from .conftest import PASSWORD, app_status, deploy, wait_for


def _post_in_thread(url: str, path: str, data: Dict[str, str], out: List[Any]) -> threading.Thread:
    def run() -> None:
        with httpx.Client(base_url=url, auth=("convox", PASSWORD), timeout=20) as http:
            out.append(http.post(path, data=data))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_hold_parks_a_create_until_released(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    first = deploy(client)
    hold = emu.hold("POST", "/apps/myapp/releases")
    assert hold["caught"] == 0 and hold["waiting"] == 0
    out: List[Any] = []
    # writer A read the newest release (first), its create is parked
    thread = _post_in_thread(emu.url, "/apps/myapp/releases", {"env": "A=1", "parent-release": first["release"]}, out)
    state = emu.wait_held(hold["id"], waiting=1)
    assert state["paths"] == ["/apps/myapp/releases"]
    # meanwhile writer B creates its release (the hold caught only one request)
    other = client.post("/apps/myapp/releases", data={"env": "B=1"}).json()
    assert out == []
    emu.release_hold(hold["id"])
    thread.join(10)
    created = out[0].json()
    assert out[0].status_code == 200
    newest = client.get("/apps/myapp/releases", params={"limit": 2}).json()
    # A's release came after B's although A read before B wrote: the race, on purpose
    assert [r["id"] for r in newest] == [created["id"], other["id"]]
    log = [e for e in emu.requests() if e["method"] == "POST" and e["path"] == "/apps/myapp/releases"]
    assert [e.get("held") for e in log] == [1, None]
    assert log[0]["held_for"] > 0
    assert emu.holds()[0]["released"] == 1 and emu.holds()[0]["timed_out"] == 0


def test_barrier_lets_all_go_together(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    hold = emu.hold("POST", "/apps/myapp/releases", count=3)
    out: List[Any] = []
    threads = [_post_in_thread(emu.url, "/apps/myapp/releases", {"env": f"K{i}=1"}, out) for i in range(2)]
    emu.wait_held(hold["id"], waiting=2)
    assert out == []  # two of three parked
    threads.append(_post_in_thread(emu.url, "/apps/myapp/releases", {"env": "K2=1"}, out))
    for thread in threads:
        thread.join(10)
    assert sorted(r.status_code for r in out) == [200, 200, 200]
    state = emu.holds()[0]
    assert (state["caught"], state["released"], state["waiting"], state["timed_out"]) == (3, 3, 0, 0)
    # the barrier is spent: the next create goes straight through
    assert client.post("/apps/myapp/releases", data={"env": "X=1"}).status_code == 200
    assert emu.holds()[0]["caught"] == 3


def test_hold_timeout_lets_the_request_go(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    hold = emu.hold("GET", "/apps", timeout=0.2)
    assert client.get("/apps").status_code == 200
    state = emu.holds()[0]
    assert state["timed_out"] == 1 and state["released"] == 0 and state["id"] == hold["id"]


def test_wait_held_times_out_and_bad_holds_are_refused(emu) -> None:  # type: ignore[no-untyped-def]
    hold = emu.hold("POST", "/apps/x/releases")
    with pytest.raises(EmulatorError, match="not reached"):
        emu.wait_held(hold["id"], waiting=1, timeout=0.1)
    for bad in ({"count": 0}, {"times": "2"}, {"timeout": 0}, {"nope": 1}):
        with pytest.raises(EmulatorError, match="400"):
            emu.control("POST", "holds", bad)
    with pytest.raises(EmulatorError, match="404"):
        emu.control("GET", "holds/99")


def test_reset_and_clear_release_parked_requests(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    hold = emu.hold("GET", "/apps", times=None)
    out: List[Any] = []

    def run() -> None:
        with httpx.Client(base_url=emu.url, auth=("convox", PASSWORD), timeout=20) as http:
            out.append(http.get("/apps"))

    thread = threading.Thread(target=run)
    thread.start()
    emu.wait_held(hold["id"], waiting=1)
    emu.clear_holds()
    thread.join(10)
    assert out[0].status_code == 200 and emu.holds() == []


def test_promotions_are_recorded_and_contention_answers(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    first = deploy(client)
    older = client.post("/apps/myapp/releases", data={"env": "A=1"}).json()
    newer = client.post("/apps/myapp/releases", data={"env": "A=1\nB=2"}).json()
    assert client.post(f"/apps/myapp/releases/{newer['id']}/promote").text == "ok\n"
    busy = client.post(f"/apps/myapp/releases/{older['id']}/promote")
    assert (busy.status_code, busy.text) == (403, "app is currently updating\n")
    wait_for(lambda: app_status(client, "myapp") == "running")
    old = client.post(f"/apps/myapp/releases/{older['id']}/promote")
    assert (old.status_code, old.text) == (400, "can not promote an older release, try rollback\n")
    promotions = emu.rack_state()["apps"]["myapp"]["promotions"]
    assert [(p["release"], p["previous"]) for p in promotions][-1] == (newer["id"], first["release"])
    assert older["id"] not in [p["release"] for p in promotions]
