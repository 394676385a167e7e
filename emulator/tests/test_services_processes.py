"""Services (5.6) and processes (5.7)."""

from __future__ import annotations

import re

import httpx

from .conftest import create_app, deploy, wait_for

MANIFEST = (
    "services:\n  web:\n    port: 3000\n    scale:\n      count: 2\n      cpu: 512\n      memory: 1024\n"
    "  worker:\n    internal: true\n    scale: 1\n"
)


def test_services_follow_the_manifest(client: httpx.Client) -> None:
    create_app(client)
    assert client.get("/apps/myapp/services").json() == []
    deploy(client, manifest=MANIFEST)
    services = client.get("/apps/myapp/services").json()
    assert [s["name"] for s in services] == ["web", "worker"]
    web, worker = services
    assert (web["count"], web["cpu"], web["memory"], web["min"], web["max"]) == (2, 512, 1024, 2, 2)
    assert web["ports"] == [{"balancer": 443, "certificate": "", "container": 3000}]
    assert web["domain"].startswith("web.myapp.")
    assert worker["ports"] == []
    assert worker["domain"].endswith(".local")


def test_scale_and_resize(client: httpx.Client) -> None:
    deploy(client, manifest=MANIFEST)
    assert client.put("/apps/myapp/services/web", data={"count": "3", "memory": "2048"}).text == "ok\n"
    web = client.get("/apps/myapp/services").json()[0]
    assert (web["count"], web["memory"]) == (3, 2048)
    wait_for(
        lambda: (
            [p["status"] for p in client.get("/apps/myapp/processes", params={"service": "web"}).json()]
            == ["running"] * 3
        )
    )
    assert client.get("/apps/myapp").json()["status"] == "running"
    unknown = client.put("/apps/myapp/services/nope", data={"count": "1"})
    assert (unknown.status_code, unknown.text) == (500, 'deployments.apps "nope" not found\n')
    bad = client.put("/apps/myapp/services/web", data={"count": "many"})
    assert bad.status_code == 500
    client.put("/apps/myapp/services/web", data={"count": "0", "min": "0"})
    web = client.get("/apps/myapp/services").json()[0]
    assert web["cold-start"] is True
    assert client.get("/apps/myapp/processes", params={"service": "web"}).json() == []


def test_restart_replaces_pods(client: httpx.Client) -> None:
    create_app(client)
    none = client.post("/apps/myapp/services/web/restart")
    assert (none.status_code, none.text) == (500, "no release for app: myapp\n")
    deploy(client, manifest=MANIFEST)
    before = {p["id"] for p in client.get("/apps/myapp/processes", params={"service": "web"}).json()}
    assert client.post("/apps/myapp/services/web/restart").text == "ok\n"
    after = {p["id"] for p in client.get("/apps/myapp/processes", params={"service": "web"}).json()}
    assert len(after) == 2 and not before & after
    assert client.post("/apps/myapp/services/nope/restart").text == "no such service: nope\n"


def test_process_list_filters_get_and_stop(client: httpx.Client) -> None:
    assert client.get("/apps/nope/processes").json() == []
    built = deploy(client, manifest=MANIFEST)
    procs = client.get("/apps/myapp/processes").json()
    assert [p["name"] for p in procs] == ["web", "web", "worker"]
    assert procs == sorted(procs, key=lambda p: (p["app"], p["name"], p["id"]))
    assert len(client.get("/apps/myapp/processes", params={"service": "worker"}).json()) == 1
    assert len(client.get("/apps/myapp/processes", params={"release": built["release"]}).json()) == 3
    assert client.get("/apps/myapp/processes", params={"release": "RNOPE"}).json() == []
    one = procs[0]
    assert client.get(f"/apps/myapp/processes/{one['id']}").json()["id"] == one["id"]
    assert one["ports"] == ["3000"]
    assert client.delete(f"/apps/myapp/processes/{one['id']}").text == "ok\n"
    assert client.get(f"/apps/myapp/processes/{one['id']}").status_code == 500
    assert len(client.get("/apps/myapp/processes", params={"service": "web"}).json()) == 2
    missing = client.delete("/apps/myapp/processes/web-nope")
    assert (missing.status_code, missing.text) == (500, 'pods "web-nope" not found\n')


def test_run_detached_process(client: httpx.Client) -> None:
    built = deploy(client, manifest=MANIFEST)
    env_release = client.post("/apps/myapp/releases", data={"env": "FOO=bar"}).json()
    resp = client.post(
        "/apps/myapp/services/web/processes",
        headers={
            "Command": "sh -c 'echo $FOO $EXTRA'",
            "Environment": "EXTRA=1&B=2",
            "Release": env_release["id"],
            "Memory": "512",
        },
    )
    proc = resp.json()
    assert re.fullmatch(r"web-[a-z0-9]{5}", proc["id"])
    assert proc["status"] == "pending"
    assert proc["release"] == env_release["id"]
    assert proc["command"] == "sh -c 'echo $FOO $EXTRA'"
    wait_for(lambda: client.get(f"/apps/myapp/processes/{proc['id']}").json()["status"] == "complete")
    failing = client.post("/apps/myapp/services/web/processes", headers={"Command": "false"}).json()
    assert failing["release"] == built["release"]
    wait_for(lambda: client.get(f"/apps/myapp/processes/{failing['id']}").json()["status"] == "failed")


def test_run_attached_style_sleep_then_stop(client: httpx.Client) -> None:
    deploy(client, manifest=MANIFEST)
    proc = client.post("/apps/myapp/services/web/processes", headers={"Command": "sleep 3600"}).json()
    wait_for(lambda: client.get(f"/apps/myapp/processes/{proc['id']}").json()["status"] == "running")
    assert client.delete(f"/apps/myapp/processes/{proc['id']}").text == "ok\n"
    assert client.get(f"/apps/myapp/processes/{proc['id']}").status_code == 500


def test_run_errors(client: httpx.Client) -> None:
    assert client.post("/apps/nope/services/web/processes").status_code == 404
    create_app(client)
    no_release = client.post("/apps/myapp/services/web/processes", headers={"Command": "true"})
    assert (no_release.status_code, no_release.text) == (500, "no release for app: myapp\n")
    deploy(client, manifest=MANIFEST)
    assert client.post("/apps/myapp/services/nope/processes").text == "no such service: nope\n"
    assert client.post("/apps/myapp/services/web/processes", headers={"Release": "RNOPE"}).status_code == 500
    assert client.post("/apps/myapp/services/web/processes", headers={"Cpu": "lots"}).status_code == 500


def test_absurd_scales_are_refused_with_the_racks_error(client: httpx.Client) -> None:
    deploy(client, manifest=MANIFEST)
    # 10**12 does not fit the 32-bit replica count: int32() wraps it to a negative number,
    # which Kubernetes refuses; the request answers at once (it used to create the pods).
    huge = client.put("/apps/myapp/services/web", data={"count": str(10**12)}, timeout=10)
    assert huge.status_code == 500
    assert huge.text == (
        'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -727379968: '
        "must be greater than or equal to 0\n"
    )
    negative = client.put("/apps/myapp/services/web", data={"cpu": "-1"})
    assert negative.status_code == 500
    assert 'requests[cpu]: Invalid value: "-1m": must be greater than or equal to 0' in negative.text
    assert client.put("/apps/myapp/services/web", data={"memory": "-5"}).status_code == 500
    assert client.put("/apps/myapp/services/web", data={"count": "-1"}).status_code == 500
    web = client.get("/apps/myapp/services").json()[0]
    assert (web["count"], web["cpu"], web["memory"]) == (2, 512, 1024)  # nothing was changed


def test_a_large_valid_count_is_accepted_without_allocating_every_pod(client: httpx.Client) -> None:
    deploy(client, manifest=MANIFEST)
    assert client.put("/apps/myapp/services/web", data={"count": "2000000000"}, timeout=10).text == "ok\n"
    assert client.get("/apps/myapp/services").json()[0]["count"] == 2000000000
    pods = client.get("/apps/myapp/processes", params={"service": "web"}).json()
    assert len(pods) == 100
    # 2**32 + 1 wraps to 1, as int32() does on a rack
    assert client.put("/apps/myapp/services/web", data={"count": str(2**32 + 1)}).text == "ok\n"
    assert client.get("/apps/myapp/services").json()[0]["count"] == 1
