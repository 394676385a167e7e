"""Objects (5.2)."""

from __future__ import annotations

import re

import httpx

from .conftest import create_app


def test_store_fetch_list_delete(client: httpx.Client) -> None:
    create_app(client)
    stored = client.post(
        "/apps/myapp/objects/dir/file.bin",
        content=b"\x00\x01binary",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert stored.json() == {"Url": "object://myapp/dir/file.bin"}
    fetched = client.get("/apps/myapp/objects/dir/file.bin")
    assert fetched.content == b"\x00\x01binary"
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert client.get("/apps/myapp/objects", params={"prefix": "dir/"}).json() == ["dir/file.bin"]
    assert client.get("/apps/myapp/objects", params={"prefix": "other"}).json() == []
    assert client.delete("/apps/myapp/objects/dir/file.bin").text == "ok\n"
    missing = client.get("/apps/myapp/objects/dir/file.bin")
    assert (missing.status_code, missing.text) == (404, "object not found: dir/file.bin\n")
    assert client.delete("/apps/myapp/objects/dir/file.bin").status_code == 404


def test_empty_key_gets_a_tmp_name(client: httpx.Client) -> None:
    create_app(client)
    url = client.post("/apps/myapp/objects/", content=b"x").json()["Url"]
    assert re.fullmatch(r"object://myapp/tmp/[0-9a-f]{30}", url)


def test_invalid_keys_and_prefix(client: httpx.Client) -> None:
    create_app(client)
    bad = client.post("/apps/myapp/objects/a/%2E%2E/b", content=b"x")
    assert (bad.status_code, bad.text) == (400, "invalid object key\n")
    prefix = client.get("/apps/myapp/objects", params={"prefix": "../x"})
    assert (prefix.status_code, prefix.text) == (400, "invalid prefix\n")
    assert client.post("/apps/nope/objects/a", content=b"x").status_code == 404


def test_head_is_200_whether_or_not_it_exists(client: httpx.Client) -> None:
    create_app(client)
    missing = client.head("/apps/myapp/objects/nothing")
    assert missing.status_code == 200
    assert missing.content == b""


def test_public_header_on_aws_gives_https_url(client: httpx.Client) -> None:
    create_app(client)
    url = client.post("/apps/myapp/objects/pub.txt", content=b"x", headers={"Public": "true"}).json()["Url"]
    assert url.startswith("https://") and url.endswith("/myapp/pub.txt")


def test_gzip_is_sniffed(client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/objects/a.tgz", content=b"\x1f\x8b\x08\x00rest")
    assert client.get("/apps/myapp/objects/a.tgz").headers["content-type"] == "application/x-gzip"
