"""Resources (5.8) and certificates (5.9)."""

from __future__ import annotations

import datetime
import hashlib
from typing import Tuple

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import create_app, deploy, wait_for

RES_MANIFEST = (
    "resources:\n  db:\n    type: postgres\n    options:\n      storage: 20\n  cache:\n    type: redis\n"
    "services:\n  web:\n    port: 3000\n    resources:\n      - db\n"
)


def test_app_resources_from_manifest(client: httpx.Client) -> None:
    create_app(client)
    none = client.get("/apps/myapp/resources")
    assert (none.status_code, none.text) == (500, "no release for app: myapp\n")
    deploy(client, manifest=RES_MANIFEST)
    listed = client.get("/apps/myapp/resources").json()
    assert [(r["name"], r["type"], r["status"]) for r in listed] == [
        ("cache", "redis", "running"),
        ("db", "postgres", "running"),
    ]
    db = client.get("/apps/myapp/resources/db").json()
    assert db["url"].startswith("postgres://") and db["parameters"] == {"storage": "20"}
    assert client.get("/apps/myapp/resources/nope").text == "no such resource: nope\n"
    release = client.post("/apps/myapp/releases", data={"env": "DB_URL=postgres://elsewhere/db"}).json()
    client.post(f"/apps/myapp/releases/{release['id']}/promote")
    wait_for(lambda: client.get("/apps/myapp").json()["status"] == "running")
    db = client.get("/apps/myapp/resources/db").json()
    assert (db["status"], db["url"]) == ("external", "postgres://elsewhere/db")


def test_resource_data_export_import(client: httpx.Client) -> None:
    deploy(client, manifest=RES_MANIFEST)
    assert client.put("/apps/myapp/resources/db/data", content=b"SELECT 1;").text == "ok\n"
    assert client.get("/apps/myapp/resources/db/data").content == b"SELECT 1;"
    bad = client.get("/apps/myapp/resources/cache/data")
    assert (bad.status_code, bad.text) == (400, "export not available for resources of type: redis\n")


def test_system_resources_are_webhooks(client: httpx.Client) -> None:
    assert client.get("/resources").json() == []
    types = client.options("/resources").json()
    assert types[0]["name"] == "webhook" and types[0]["parameters"][0]["name"] == "Url"
    unknown = client.post("/resources", data={"kind": "postgres"})
    assert (unknown.status_code, unknown.text) == (400, "rack resource type unknown: postgres\n")
    assert client.post("/resources", data={"kind": "webhook"}).text == "parameter required: Url\n"
    assert client.post("/resources", data={"kind": "webhook", "parameters": "Url="}).text == "url required\n"
    local = client.post("/resources", data={"kind": "webhook", "parameters": "Url=http://127.0.0.1/x"})
    assert local.status_code == 400 and local.text.startswith("url: ")
    meta = client.post("/resources", data={"kind": "webhook", "parameters": "Url=http://169.254.169.254/"})
    assert meta.status_code == 400
    made = client.post(
        "/resources", data={"kind": "webhook", "name": "hook", "parameters": "Url=https://example.com/hook"}
    ).json()
    assert made == {
        "name": "hook",
        "parameters": {"Url": "https://example.com/hook"},
        "status": "running",
        "type": "webhook",
        "url": "https://example.com/hook",
    }
    dup = client.post("/resources", data={"kind": "webhook", "name": "hook", "parameters": "Url=https://e.com"})
    assert (dup.status_code, dup.text) == (409, "webhook already exists: hook\n")
    auto = client.post("/resources", data={"kind": "webhook", "parameters": "Url=https://e.com"}).json()
    assert auto["name"].startswith("webhook-") and len(auto["name"]) == len("webhook-") + 6
    assert [r["name"] for r in client.get("/resources").json()] == sorted([auto["name"], "hook"])
    assert client.get("/resources/hook").json()["name"] == "hook"
    for resp in (
        client.put("/resources/hook", data={"parameters": "Url=https://x.com"}),
        client.post("/resources/hook/links", data={"app": "a"}),
        client.delete("/resources/hook/links/a"),
    ):
        assert (resp.status_code, resp.text) == (400, "unavailable on v3 racks\n")
    assert client.delete("/resources/hook").text == "ok\n"
    gone = client.get("/resources/hook")
    assert (gone.status_code, gone.text) == (404, "no such resource: hook\n")


def _pem(domain: str) -> Tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(domain), x509.DNSName("www." + domain)]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def test_import_list_delete_certificates(client: httpx.Client) -> None:
    pub, key = _pem("example.org")
    made = client.post("/certificates", data={"pub": pub, "key": key, "chain": pub}).json()
    assert made["id"].startswith("cert-") and len(made["id"]) == 10
    assert (made["domain"], made["domains"], made["status"]) == ("example.org", ["example.org", "www.example.org"], "")
    assert made["expiration"].endswith("Z") and "." not in made["expiration"]
    assert [c["id"] for c in client.get("/certificates").json()] == [made["id"]]
    assert client.get("/certificates", params={"generated": "true"}).json() == []
    assert client.post("/certificates", data={"pub": "junk", "key": key}).status_code == 500
    assert client.delete(f"/certificates/{made['id']}").text == "ok\n"
    missing = client.delete(f"/certificates/{made['id']}")
    assert (missing.status_code, missing.text) == (500, f'secrets "{made["id"]}" not found\n')


def test_generate_certificates(client: httpx.Client) -> None:
    assert client.post("/certificates/generate").text == "must specify a domain\n"
    two = client.post("/certificates/generate", data={"domains": "a.com,b.com"})
    assert (two.status_code, two.text) == (400, "must specify only one domain\n")
    assert client.post("/certificates/generate", data={"domains": "a.com", "issuer": "x"}).text == "invalid issuer\n"
    many = ",".join(f"d{n}.com" for n in range(11))
    assert (
        client.post("/certificates/generate", data={"domains": many, "issuer": "letsencrypt"}).text
        == "can not specify more than 10 domain name\n"
    )
    bad = client.post("/certificates/generate", data={"domains": "a.com", "duration": "3d"})
    assert (bad.status_code, bad.text) == (400, 'invalid duration: time: unknown unit "d" in duration "3d"\n')
    self_signed = client.post("/certificates/generate", data={"domains": "a.com", "duration": "24h"}).json()
    assert self_signed["domain"] == "a.com" and self_signed["status"] == ""
    le = client.post("/certificates/generate", data={"domains": "x.com,y.com", "issuer": "letsencrypt"}).json()
    assert le["id"] == "cert-" + hashlib.sha1(b"x.com-y.com").hexdigest()
    pending = client.get("/certificates", params={"generated": "true"}).json()
    assert [(c["id"], c["status"]) for c in pending] == [(le["id"], "Not Ready")]
    again = client.post("/certificates/generate", data={"domains": "x.com,y.com", "issuer": "letsencrypt"})
    assert again.status_code == 500 and "already exists" in again.text
    wait_for(lambda: client.get("/certificates", params={"generated": "true"}).json()[0]["status"] == "")


def test_renew_and_apply(client: httpx.Client) -> None:
    assert client.post("/certificates/nope/renew").status_code == 404
    create_app(client)
    assert client.post("/certificates/myapp/renew").text == "ok\n"
    applied = client.put("/apps/myapp/ssl/web/443", data={"id": "cert-x"})
    assert (applied.status_code, applied.text) == (501, "unimplemented\n")
    assert client.put("/apps/myapp/ssl/web/https", data={"id": "cert-x"}).status_code == 500


def test_import_refuses_a_key_of_another_certificate(client: httpx.Client) -> None:
    pub, _key = _pem("example.org")
    _other_pub, other_key = _pem("example.net")
    refused = client.post("/certificates", data={"pub": pub, "key": other_key})
    assert refused.status_code == 500
    assert refused.text == "tls: private key does not match public key\n"
    assert client.get("/certificates").json() == []
