"""System (5.10), instances, registries, Let's Encrypt config and events."""

from __future__ import annotations

import json

import httpx

from .conftest import HTTP, deploy, wait_for


def test_system_info(client: httpx.Client) -> None:
    system = client.get("/system").json()
    assert system["version"] == "3.24.9"
    assert system["status"] == "running"
    assert system["version"] > "20180708231844"
    assert system["rack-domain"].startswith("api.") and system["domain"].startswith("router.")
    assert "outputs" not in system and "parameters" not in system
    update = client.put("/system", data={"count": "3"})
    assert update.status_code == 501
    assert update.text.startswith("direct rack doesn't support update")
    assert client.get("/system/releases").text == "release history is unavailable\n"
    assert client.get("/system/releases").status_code == 501


def test_capacity_processes_metrics(client: httpx.Client) -> None:
    deploy(client)
    capacity = client.get("/system/capacity").json()
    assert capacity["process-count"] == 2
    assert capacity["process-cpu"] == 512 and capacity["process-memory"] == 1024
    assert {p["name"] for p in client.get("/system/processes", params={"all": "true"}).json()} >= {"api", "router"}
    metrics = client.get("/system/metrics", params={"metrics": "a,b"}).json()
    assert [m["name"] for m in metrics] == ["a", "b"]
    assert client.get("/system/metrics", params={"start": "bad"}).status_code == 500


def test_jwt_token_validation_and_use(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.post("/system/jwt/token", data={"role": "boss", "durationInHour": "1"}).text
        == "invalid role: must be read, write, or admin\n"
    )
    assert client.post("/system/jwt/token", data={"role": "read", "durationInHour": "x"}).text == "invalid duration\n"
    assert (
        client.post("/system/jwt/token", data={"role": "read", "durationInHour": "9000"}).text
        == "duration must be between 1 and 8760 hours\n"
    )
    token = client.post("/system/jwt/token", data={"role": "read", "durationInHour": "1"}).json()["token"]
    reader = httpx.Client(verify=False, base_url=emu.url, auth=("jwt", token))
    assert reader.get("/apps").status_code == 200
    denied = reader.post("/apps", data={"name": "x"})
    assert (denied.status_code, denied.text) == (401, "you are unauthorized to access this\n")
    assert "www-authenticate" not in denied.headers
    assert reader.request("OPTIONS", "/resources").status_code == 401
    assert reader.head("/apps/x/objects/y").status_code == 401
    assert reader.get("/auth").text == "ok\n"
    assert reader.post("/system/jwt/token", data={"role": "read", "durationInHour": "1"}).status_code == 401
    writer_token = client.post("/system/jwt/token", data={"role": "write", "durationInHour": "1"}).json()["token"]
    writer = httpx.Client(verify=False, base_url=emu.url, auth=("jwt", writer_token))
    assert writer.post("/apps", data={"name": "w"}).status_code == 200
    admin_denied = writer.post("/system/jwt/token", data={"role": "admin", "durationInHour": "1"})
    assert (admin_denied.status_code, admin_denied.text) == (403, "admin role required to mint admin tokens\n")
    rotate_denied = writer.put("/system/jwt/rotate")
    assert (rotate_denied.status_code, rotate_denied.text) == (403, "admin role required\n")
    assert client.post("/system/jwt/token", data={"role": "admin", "durationInHour": "1"}).status_code == 200
    assert client.put("/system/jwt/rotate").text == "ok\n"
    expired = reader.get("/apps")
    assert (expired.status_code, expired.text) == (401, "invalid authentication: signature is invalid\n")
    garbage = HTTP.get(emu.url + "/apps", auth=("jwt", "not-a-token"))
    assert garbage.text == "invalid authentication: token contains an invalid number of segments\n"
    reader.close()
    writer.close()


def test_instances(client: httpx.Client) -> None:
    instances = client.get("/instances").json()
    assert len(instances) == 3
    assert instances == sorted(instances, key=lambda i: i["id"])
    first = instances[0]["id"]
    assert client.delete(f"/instances/{first}").text == "ok\n"
    wait_for(lambda: first not in [i["id"] for i in client.get("/instances").json()])
    assert len(client.get("/instances").json()) == 3
    missing = client.delete("/instances/nope")
    assert (missing.status_code, missing.text) == (404, "instance not found: nope\n")
    keys = client.post("/instances/keyroll").json()
    assert keys["private-key"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert keys["name"]


def test_registries(client: httpx.Client) -> None:
    added = client.post("/registries", data={"server": "quay.io/org", "username": "u", "password": "p1"}).json()
    assert added == {"password": "p1", "server": "quay.io/org", "username": "u"}
    client.post("/registries", data={"server": "quay.io/org", "username": "u", "password": "p2"})
    assert client.get("/registries").json() == [{"password": "p2", "server": "quay.io/org", "username": "u"}]
    assert client.delete("/registries/quay.io/org").text == "ok\n"
    missing = client.delete("/registries/quay.io/org")
    assert (missing.status_code, missing.text) == (404, "no such registry: quay.io/org\n")


def test_letsencrypt_config(client: httpx.Client) -> None:
    assert client.get("/letsencrypt/config").json() == {"role": "", "solvers": []}
    config = {
        "role": "arn:aws:iam::1:role/x",
        "solvers": [
            {"id": 1, "dns-zones": ["example.com"], "route53": {"hosted-zone-id": "Z1", "region": "us-east-1"}}
        ],
    }
    assert client.put("/letsencrypt/config", content=json.dumps(config).encode()).text == "ok\n"
    stored = client.get("/letsencrypt/config").json()
    assert stored["solvers"][0]["route53"] == {"hosted-zone-id": "Z1", "region": "us-east-1", "role": None}
    assert client.put("/letsencrypt/config", content=b"{nope").status_code == 500


def test_events_and_karpenter(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/events", data={"action": "app:create", "data": "app=x"}).text == "ok\n"
    assert emu.rack_state()["events"] == [{"action": "app:create", "data": {"app": "x"}, "status": "", "error": ""}]
    assert client.post("/system/karpenter/cleanup").text == "ok\n"
