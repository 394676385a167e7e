"""Apps (5.1) and their lifecycles (6.1)."""

from __future__ import annotations

import base64

import httpx

from .conftest import app_status, create_app, deploy, wait_for


def test_create_goes_updating_then_running(client: httpx.Client) -> None:
    created = client.post("/apps", data={"name": "myapp"}).json()
    assert created["status"] == "updating"
    assert created["generation"] == "3"
    assert created["locked"] is False
    assert created["router"].startswith("router.")
    wait_for(lambda: app_status(client, "myapp") == "running")


def test_create_errors(client: httpx.Client) -> None:
    for reserved in ("rack", "system"):
        resp = client.post("/apps", data={"name": reserved})
        assert (resp.status_code, resp.text) == (400, "app name is reserved\n")
    create_app(client)
    dup = client.post("/apps", data={"name": "myapp"})
    assert (dup.status_code, dup.text) == (409, "app already exists: myapp\n")
    assert client.post("/apps", data={"name": "myapp2", "timeout": "abc"}).status_code == 500


def test_get_and_list(client: httpx.Client) -> None:
    create_app(client, "one")
    assert client.get("/apps/one").json()["name"] == "one"
    missing = client.get("/apps/two")
    assert (missing.status_code, missing.text) == (404, "app not found: two\n")
    assert [a["name"] for a in client.get("/apps").json()] == ["one"]


def test_lock_unlock_and_locked_delete(client: httpx.Client) -> None:
    create_app(client)
    assert client.put("/apps/myapp", data={"lock": "true"}).text == "ok\n"
    assert client.get("/apps/myapp").json()["locked"] is True
    assert app_status(client, "myapp") == "updating"
    locked = client.delete("/apps/myapp")
    assert (locked.status_code, locked.text) == (409, "app is locked: myapp\n")
    client.put("/apps/myapp", data={"lock": "yes"})
    assert client.get("/apps/myapp").json()["locked"] is False
    client.put("/apps/myapp", data={"parameters": "BuildCpu=256"})
    assert client.get("/apps/myapp").json()["locked"] is False


def test_delete_goes_deleting_then_404(client: httpx.Client) -> None:
    create_app(client)
    assert client.delete("/apps/myapp").text == "ok\n"
    assert app_status(client, "myapp") == "deleting"
    wait_for(lambda: client.get("/apps/myapp").status_code == 404)
    assert client.delete("/apps/myapp").status_code == 404


def test_cancel(client: httpx.Client) -> None:
    create_app(client)
    resp = client.post("/apps/myapp/cancel")
    assert (resp.status_code, resp.text) == (403, "app is not updating\n")
    built = deploy(client)
    second = client.post("/apps/myapp/releases", data={"env": "A=1"}).json()
    client.post(f"/apps/myapp/releases/{second['id']}/promote")
    assert client.get("/apps/myapp").json()["release"] == second["id"]
    assert client.post("/apps/myapp/cancel").text == "ok\n"
    assert app_status(client, "myapp") == "rollback"
    wait_for(lambda: app_status(client, "myapp") == "running")
    assert client.get("/apps/myapp").json()["release"] == built["release"]


def test_configs(client: httpx.Client) -> None:
    create_app(client)
    assert client.get("/apps/myapp/configs").json() == []
    missing = client.get("/apps/myapp/configs/cli-env-mask")
    assert (missing.status_code, missing.text) == (404, "app config not found: cli-env-mask\n")
    value = base64.b64encode(b"A,B").decode()
    assert client.put("/apps/myapp/configs/cli-env-mask", data={"value": value}).text == "ok\n"
    assert client.get("/apps/myapp/configs/cli-env-mask").json() == {"name": "cli-env-mask", "value": "A,B"}
    assert client.get("/apps/myapp/configs").json() == [{"name": "cli-env-mask", "value": "A,B"}]
    bad = client.put("/apps/myapp/configs/x", data={"value": "ab!d"})
    assert bad.status_code == 400
    assert bad.text == "failed to parse base 64 value: illegal base64 data at input byte 2\n"


def test_manifest_service(client: httpx.Client) -> None:
    create_app(client)
    none = client.get("/apps/myapp/manifest/services/web")
    assert (none.status_code, none.text) == (500, "no release for app: myapp\n")
    deploy(
        client,
        manifest="services:\n  web:\n    environment:\n      - FOO\n      - BAR=1\n    scale:\n      count: 1-3\n",
    )
    assert client.get("/apps/myapp/manifest/services/web").json() == {
        "name": "web",
        "environment": ["FOO", "BAR=1"],
        "scale": {"min": 1, "max": 3},
    }
    assert client.get("/apps/myapp/manifest/services/nope").text == "no such service: nope\n"


def test_misc_app_routes(client: httpx.Client) -> None:
    create_app(client)
    assert client.get("/apps/myapp/balancers").json() == []
    metrics = client.get("/apps/myapp/metrics")
    assert (metrics.status_code, metrics.text) == (501, "unimplemented\n")
    deploy(client)
    report = client.get("/apps/myapp/diagnose").json()
    assert report["app"] == "myapp"
    assert report["summary"]["total"] == 2
    assert client.get("/apps/nope/diagnose").status_code == 404
