"""Builds (5.3, 6.2): lifecycle, failures, list, update, export/import, image relay, log socket."""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile

import httpx

from convox_emulator.testing import start_emulator

from .conftest import PASSWORD, WEB_MANIFEST, build, create_app, tarball, text_of, wait_for, wait_until, ws_frames


def test_build_runs_then_completes_with_a_release(client: httpx.Client) -> None:
    create_app(client)
    url = client.post("/apps/myapp/objects/tmp/a.tgz", content=tarball({"convox.yml": WEB_MANIFEST})).json()["Url"]
    started = client.post("/apps/myapp/builds", data={"url": url, "description": "first", "git-sha": "abc"}).json()
    assert started["status"] == "running"
    assert started["ended"] == "0001-01-01T00:00:00Z"
    assert re.fullmatch(r"build-[a-z0-9]{5}", started["process"])
    assert started["repository"] == ""  # the key is always there, as in the real struct
    pods = client.get("/apps/myapp/processes").json()
    assert [(p["id"], p["name"]) for p in pods] == [(started["process"], "build")]
    done = wait_until(
        lambda: client.get(f"/apps/myapp/builds/{started['id']}").json(), lambda b: b["status"] == "complete"
    )
    assert done["manifest"] == WEB_MANIFEST
    assert done["logs"] == f"object://myapp/build/{started['id']}/logs"
    assert done["ended"] != "0001-01-01T00:00:00Z"
    assert done["git-sha"] == "abc"
    release = client.get(f"/apps/myapp/releases/{done['release']}").json()
    assert release["build"] == started["id"]
    assert release["manifest"] == WEB_MANIFEST
    assert release["description"] == "first"
    logs = client.get(f"/apps/myapp/objects/build/{started['id']}/logs").text
    assert "Building: web" in logs
    assert client.get("/apps/myapp/processes").json() == []
    assert client.get("/apps/myapp").json()["release"] == ""


def test_build_failures(client: httpx.Client) -> None:
    create_app(client)
    marked = build(client, "myapp", WEB_MANIFEST + "# emulator: fail-build\n")
    assert marked["status"] == "failed"
    assert marked["release"] == ""
    log = client.get(f"/apps/myapp/objects/build/{marked['id']}/logs").text
    assert "ERROR: build failed" in log
    bad_yaml = build(client, "myapp", "services: [unclosed\n")
    assert bad_yaml["status"] == "failed"
    missing = client.post("/apps/myapp/builds", data={"url": "object://myapp/tmp/none.tgz"}).json()
    result = wait_until(
        lambda: client.get(f"/apps/myapp/builds/{missing['id']}").json(), lambda b: b["status"] != "running"
    )
    assert result["status"] == "failed"
    assert client.post("/apps/nope/builds", data={"url": "x"}).status_code == 404


def test_manifest_option_and_missing_manifest(client: httpx.Client) -> None:
    create_app(client)
    url = client.post("/apps/myapp/objects/tmp/b.tgz", content=tarball({"other.yml": WEB_MANIFEST})).json()["Url"]
    first = client.post("/apps/myapp/builds", data={"url": url}).json()
    second = client.post("/apps/myapp/builds", data={"url": url, "manifest": "other.yml"}).json()
    statuses = wait_until(
        lambda: (
            client.get(f"/apps/myapp/builds/{first['id']}").json()["status"],
            client.get(f"/apps/myapp/builds/{second['id']}").json()["status"],
        ),
        lambda pair: "running" not in pair,
    )
    assert statuses == ("failed", "complete")


def test_list_with_limit_newest_first(client: httpx.Client) -> None:
    create_app(client)
    ids = [build(client, "myapp")["id"] for _i in range(3)]
    listed = client.get("/apps/myapp/builds").json()
    assert [b["id"] for b in listed] == list(reversed(ids))
    assert [b["id"] for b in client.get("/apps/myapp/builds", params={"limit": "2"}).json()] == ids[:0:-1]
    assert client.get("/apps/nope/builds").status_code == 404


def test_update_fields(client: httpx.Client) -> None:
    create_app(client)
    external = client.post("/apps/myapp/builds", data={"external": "true"}).json()
    assert external["status"] == "created"
    assert external["repository"].startswith("https://")
    updated = client.put(
        f"/apps/myapp/builds/{external['id']}",
        data={
            "manifest": WEB_MANIFEST,
            "status": "complete",
            "started": "20240131.235959.000000000",
            "entrypoint": "/bin/entry",
        },
    ).json()
    assert updated["manifest"] == WEB_MANIFEST
    assert updated["status"] == "complete"
    assert updated["started"] == "2024-01-31T23:59:59Z"
    assert client.get(f"/apps/myapp/builds/{external['id']}").json()["repository"] == ""
    bad = client.put(f"/apps/myapp/builds/{external['id']}", data={"ended": "yesterday"})
    assert bad.status_code == 500
    assert client.put("/apps/myapp/builds/BNOPE", data={"status": "x"}).status_code == 500


def test_created_external_build_has_no_logs(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    external = client.post("/apps/myapp/builds", data={"external": "true"}).json()
    frames = ws_frames(emu, f"/apps/myapp/builds/{external['id']}/logs")
    assert frames == [(1, f"ERROR: unable to read logs for build: {external['id']}\n".encode()), (2, b"")]


def test_export_and_import(client: httpx.Client) -> None:
    create_app(client)
    original = build(client, "myapp", description="exported")
    resp = client.get(f"/apps/myapp/builds/{original['id']}.tgz")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/x-gzip"
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(resp.content))) as tar:
        names = tar.getnames()
        meta = json.loads(tar.extractfile("build.json").read())  # type: ignore[union-attr]
    assert names == ["build.json", f"web.{original['id']}.tar"]
    assert meta["id"] == original["id"]
    create_app(client, "other")
    imported = client.post(
        "/apps/other/builds/import", content=resp.content, headers={"Content-Type": "application/octet-stream"}
    ).json()
    assert imported["status"] == "complete"
    assert imported["description"] == "exported"
    assert imported["manifest"] == WEB_MANIFEST
    assert imported["id"] != original["id"]
    assert client.get(f"/apps/other/releases/{imported['release']}").json()["build"] == imported["id"]
    assert client.post("/apps/other/builds/import", content=b"junk").status_code == 500
    assert client.get("/apps/myapp/builds/BNOPE.tgz").status_code == 500


def test_import_image(client: httpx.Client) -> None:
    create_app(client)
    external = client.post("/apps/myapp/builds", data={"external": "true"}).json()
    path = f"/apps/myapp/builds/{external['id']}/image"
    missing = client.post(path)
    assert (missing.status_code, missing.text) == (422, "image param required\n")
    no_manifest = client.post(path, data={"image": "nginx:1.25"})
    assert no_manifest.status_code == 422
    assert no_manifest.text.startswith(f"build {external['id']} has no manifest")
    client.put(f"/apps/myapp/builds/{external['id']}", data={"manifest": "services: {}\n"})
    assert client.post(path, data={"image": "nginx:1.25"}).text == "manifest has no services to relay\n"
    client.put(f"/apps/myapp/builds/{external['id']}", data={"manifest": WEB_MANIFEST})
    assert client.post(path, data={"image": "Not A Ref"}).status_code == 422
    accepted = client.post(path, data={"image": "nginx:1.25"})
    assert (accepted.status_code, accepted.content) == (202, b"")
    busy = client.post(path, data={"image": "nginx:1.25"})
    assert busy.status_code == 409
    wait_for(lambda: client.get(f"/apps/myapp/builds/{external['id']}").json()["status"] == "complete")


def test_build_log_socket_follows_a_running_build(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    url = client.post("/apps/myapp/objects/tmp/a.tgz", content=tarball({"convox.yml": WEB_MANIFEST})).json()["Url"]
    started = client.post("/apps/myapp/builds", data={"url": url}).json()
    frames = ws_frames(emu, f"/apps/myapp/builds/{started['id']}/logs")
    assert frames[-1] == (2, b"")
    text = text_of(frames).decode()
    assert text.startswith("Building: object://myapp/tmp/a.tgz\n")
    assert "Pushing: " in text
    again = ws_frames(emu, f"/apps/myapp/builds/{started['id'].lower()}/logs")
    assert text_of(again).decode() == text
    unknown = ws_frames(emu, "/apps/myapp/builds/BNOPE/logs")
    assert unknown == [(1, b'ERROR: builds.convox.com "bnope" not found\n'), (2, b"")]


def test_build_log_prefix_while_running_only() -> None:
    """Prefix: true on a running build adds `<RFC3339> service/build/<pid> ` to each line (the
    rack streams the build pod's process log); the stored log of a finished build is sent as it
    is. The build steps take 10 s each here, so the build is still running when read."""
    with (
        start_emulator(password=PASSWORD, in_process=True, delay_scale=200) as slow,
        httpx.Client(base_url=slow.url, auth=("convox", PASSWORD), timeout=10) as http,
    ):
        assert http.post("/apps", data={"name": "myapp"}).status_code == 200  # no wait: it settles slowly too
        url = http.post("/apps/myapp/objects/tmp/a.tgz", content=tarball({"convox.yml": WEB_MANIFEST})).json()["Url"]
        started = http.post("/apps/myapp/builds", data={"url": url}).json()
        path = f"/apps/myapp/builds/{started['id']}/logs"
        prefixed = text_of(ws_frames(slow, path, headers={"Prefix": "true"}, stop_after=1)).decode()
        stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"
        assert re.fullmatch(
            rf"{stamp} service/build/{started['process']} Building: object://myapp/tmp/a\.tgz\n", prefixed
        ), prefixed
        plain = text_of(ws_frames(slow, path, headers={"Prefix": "false"}, stop_after=1)).decode()
        assert plain == "Building: object://myapp/tmp/a.tgz\n"
        assert http.get(f"/apps/myapp/builds/{started['id']}").json()["status"] == "running"


def test_finished_build_log_ignores_prefix(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    started = build(client, "myapp")
    assert started["status"] == "complete"
    plain = text_of(ws_frames(emu, f"/apps/myapp/builds/{started['id']}/logs")).decode()
    prefixed = text_of(ws_frames(emu, f"/apps/myapp/builds/{started['id']}/logs", headers={"Prefix": "true"})).decode()
    assert plain.startswith("Building: ")
    assert prefixed == plain
