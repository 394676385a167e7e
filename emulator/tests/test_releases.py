"""Releases (5.4, 6.3): create semantics, promote validation order, lifecycles and rollback."""

from __future__ import annotations

import time

import httpx

from .conftest import WEB_MANIFEST, app_status, build, create_app, deploy, wait_for


def test_create_copies_newest_release_and_describes_env_changes(client: httpx.Client) -> None:
    create_app(client)
    first = client.post("/apps/myapp/releases", data={"env": "BAR=1\nBAZ=2"}).json()
    assert first["description"] == "env add:BAR add:BAZ"
    assert first["build"] == ""
    assert first["manifest"] == ""
    second = client.post("/apps/myapp/releases", data={"env": "BAR=9\nFOO=1"}).json()
    assert second["description"] == "env add:FOO change:BAR remove:BAZ"
    same = client.post("/apps/myapp/releases", data={"env": "FOO=1\nBAR=9"}).json()
    assert same["description"] == ""
    assert same["env"] == "FOO=1\nBAR=9"
    copy = client.post("/apps/myapp/releases").json()
    assert copy["env"] == "FOO=1\nBAR=9"
    assert copy["description"] == ""
    explicit = client.post("/apps/myapp/releases", data={"env": "X=1", "description": "mine"}).json()
    assert explicit["description"] == "mine"


def test_parent_release_and_build(client: httpx.Client) -> None:
    create_app(client)
    built = build(client, "myapp", description="the build")
    base = client.post("/apps/myapp/releases", data={"env": "A=1"}).json()
    assert base["build"] == built["id"]
    assert base["manifest"] == WEB_MANIFEST
    newer = client.post("/apps/myapp/releases", data={"env": "A=2"}).json()
    from_parent = client.post("/apps/myapp/releases", data={"env": "A=1\nB=2", "parent-release": base["id"]}).json()
    assert from_parent["description"] == "env add:B"
    assert newer["id"] != from_parent["id"]
    with_build = client.post("/apps/myapp/releases", data={"build": built["id"].lower()}).json()
    assert with_build["build"] == built["id"]
    assert with_build["description"] == "the build"
    assert with_build["env"] == "A=1\nB=2"
    bad_parent = client.post("/apps/myapp/releases", data={"parent-release": "RNOPE"})
    assert (bad_parent.status_code, bad_parent.text) == (500, 'releases.convox.com "rnope" not found\n')
    bad_build = client.post("/apps/myapp/releases", data={"build": "BNOPE"})
    assert bad_build.status_code == 500


def test_list_limit_and_missing_app(client: httpx.Client) -> None:
    create_app(client)
    for n in range(12):
        client.post("/apps/myapp/releases", data={"env": f"N={n}"})
    assert len(client.get("/apps/myapp/releases").json()) == 10
    assert len(client.get("/apps/myapp/releases", params={"limit": "20"}).json()) == 12
    assert client.get("/apps/nope/releases").status_code == 404


def test_promote_validation_order(client: httpx.Client) -> None:
    missing_app = client.post("/apps/nope/releases/RNOPE/promote")
    assert (missing_app.status_code, missing_app.text) == (404, "app not found: nope\n")
    client.post("/apps", data={"name": "myapp"})
    busy = client.post("/apps/myapp/releases/RNOPE/promote", data={"force": "false"})
    assert (busy.status_code, busy.text) == (403, "app is currently updating\n")
    forced = client.post("/apps/myapp/releases/RNOPE/promote", data={"force": "true"})
    assert (forced.status_code, forced.text) == (500, 'releases.convox.com "rnope" not found\n')
    wait_for(lambda: app_status(client, "myapp") == "running")
    empty = client.post("/apps/myapp/releases", data={"env": "A=1"}).json()
    no_manifest = client.post(f"/apps/myapp/releases/{empty['id']}/promote")
    assert (no_manifest.status_code, no_manifest.text) == (400, "can not promote a release with an empty manifest\n")


def test_promote_lifecycle_and_older_release(client: httpx.Client) -> None:
    create_app(client)
    built = build(client, "myapp")
    older = client.post("/apps/myapp/releases", data={"env": "V=1"}).json()
    newer = client.post("/apps/myapp/releases", data={"env": "V=2"}).json()
    assert client.post(f"/apps/myapp/releases/{newer['id']}/promote").text == "ok\n"
    app = client.get("/apps/myapp").json()
    assert (app["status"], app["release"]) == ("updating", newer["id"])
    pods = client.get("/apps/myapp/processes").json()
    assert {p["status"] for p in pods} <= {"pending", "running"}
    wait_for(lambda: app_status(client, "myapp") == "running")
    assert client.get("/apps/myapp").json()["release"] == newer["id"]
    pods = client.get("/apps/myapp/processes").json()
    assert len(pods) == 2
    assert {(p["release"], p["status"], p["name"]) for p in pods} == {(newer["id"], "running", "web")}
    older_resp = client.post(f"/apps/myapp/releases/{older['id']}/promote")
    assert (older_resp.status_code, older_resp.text) == (400, "can not promote an older release, try rollback\n")
    assert client.post(f"/apps/myapp/releases/{newer['id']}/promote").text == "ok\n"
    wait_for(lambda: app_status(client, "myapp") == "running")
    assert built["release"] != newer["id"]


def test_rollback_is_copy_forward_and_promote(client: httpx.Client) -> None:
    first = deploy(client)
    second = client.post("/apps/myapp/releases", data={"env": "V=2"}).json()
    client.post(f"/apps/myapp/releases/{second['id']}/promote")
    wait_for(lambda: app_status(client, "myapp") == "running")
    old = client.get(f"/apps/myapp/releases/{first['release']}").json()
    copy = client.post("/apps/myapp/releases", data={"build": old["build"], "env": old["env"]}).json()
    assert client.post(f"/apps/myapp/releases/{copy['id']}/promote").text == "ok\n"
    wait_for(lambda: app_status(client, "myapp") == "running")
    assert client.get("/apps/myapp").json()["release"] == copy["id"]


def test_failed_promote_rolls_back(client: httpx.Client) -> None:
    good = deploy(client)
    bad_build = build(client, "myapp", WEB_MANIFEST + "# emulator: fail-promote\n")
    assert bad_build["status"] == "complete"
    assert client.post(f"/apps/myapp/releases/{bad_build['release']}/promote").text == "ok\n"
    assert client.get("/apps/myapp").json()["release"] == bad_build["release"]
    seen = set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        app = client.get("/apps/myapp").json()
        seen.add(app["status"])
        if app["status"] == "running":
            break
        time.sleep(0.01)
    assert "rollback" in seen
    app = client.get("/apps/myapp").json()
    assert (app["status"], app["release"]) == ("running", good["release"])
    pods = client.get("/apps/myapp/processes").json()
    assert {p["release"] for p in pods} == {good["release"]}
