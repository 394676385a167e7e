"""Wire conventions (sections 1 and 10 of the spec)."""

from __future__ import annotations

import json
import re

import httpx

from .conftest import HTTP, create_app, deploy


def test_json_is_pretty_printed_with_trailing_newline_and_request_id(client: httpx.Client) -> None:
    resp = client.post("/apps", data={"name": "myapp"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert re.fullmatch(r"[0-9a-f]{12}", resp.headers["request-id"])
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.text.startswith('{\n  "generation": "3",\n')
    assert resp.text.endswith("}\n")
    assert resp.json()["status"] == "updating"
    assert resp.json()["release"] == ""
    assert resp.json()["parameters"] == {}


def test_ok_routes_answer_ok_newline_as_text(client: httpx.Client) -> None:
    create_app(client)
    resp = client.put("/apps/myapp", data={"lock": "true"})
    assert resp.status_code == 200
    assert resp.content == b"ok\n"
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"


def test_unknown_path_is_404_with_empty_body_and_no_request_id(client: httpx.Client) -> None:
    for path in ("/nope", "/apps/a/b/c/d/e", "//apps", "/apps/"):
        resp = client.get(path)
        assert resp.status_code == 404, path
        assert resp.content == b""
        assert "request-id" not in resp.headers
        assert "content-type" not in resp.headers


def test_wrong_method_is_405_with_empty_body(client: httpx.Client) -> None:
    resp = client.delete("/apps")
    assert resp.status_code == 405
    assert resp.content == b""
    assert "request-id" not in resp.headers
    assert client.request("HEAD", "/system").status_code == 405


def test_trailing_question_mark_and_check(client: httpx.Client, emu) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/apps?")
    assert resp.status_code == 200
    assert resp.json() == []
    check = HTTP.get(emu.url + "/check")
    assert check.status_code == 200
    assert check.content == b"ok"
    assert "x-frame-options" not in check.headers


def test_stray_machines_and_racks_are_404(client: httpx.Client) -> None:
    assert client.get("/machines").status_code == 404
    assert client.get("/racks").status_code == 404


def test_socket_route_without_upgrade_is_404(client: httpx.Client) -> None:
    create_app(client)
    resp = client.get("/apps/myapp/logs")
    assert resp.status_code == 404
    assert resp.content == b""
    assert client.get("/apps/myapp/processes/x/exec", headers={"Upgrade": "WebSocket"}).status_code == 404


def test_object_keys_keep_embedded_slashes(client: httpx.Client) -> None:
    create_app(client)
    resp = client.post("/apps/myapp/objects/a/b//c.txt", content=b"x")
    assert resp.json() == {"Url": "object://myapp/a/b//c.txt"}
    assert client.get("/apps/myapp/objects/a/b//c.txt").content == b"x"


def test_get_params_are_read_from_the_query_string_only(client: httpx.Client) -> None:
    create_app(client)
    for _i in range(3):
        client.post("/apps/myapp/releases", data={"env": ""})
    assert len(client.get("/apps/myapp/releases", params={"limit": "1"}).json()) == 1
    body_limit = client.request(
        "GET", "/apps/myapp/releases", content=b"limit=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert len(body_limit.json()) == 3


def test_body_value_wins_over_query_value(client: httpx.Client) -> None:
    resp = client.post("/apps?name=fromquery", data={"name": "frombody"})
    assert resp.json()["name"] == "frombody"


def test_value_lookup_falls_back_to_header(client: httpx.Client) -> None:
    resp = client.post("/apps", headers={"Name": "fromheader"})
    assert resp.json()["name"] == "fromheader"


def test_go_json_escapes_html_characters(client: httpx.Client) -> None:
    create_app(client)
    resp = client.post("/apps/myapp/releases", data={"description": "<a&b>"})
    assert "\\u003ca\\u0026b\\u003e" in resp.text
    assert resp.json()["description"] == "<a&b>"


def test_null_versus_empty_list(client: httpx.Client) -> None:
    create_app(client)
    assert client.get("/apps/myapp/services").text == "[]\n"
    assert client.get("/certificates").json() == []
    deploy(client, manifest="services:\n  worker:\n    scale: 1\n")
    procs = client.get("/apps/myapp/processes").json()
    assert procs and all(p["ports"] is None for p in procs)
    assert client.get("/apps/myapp/services").json()[0]["ports"] == []
    assert client.get("/apps/myapp/services").json()[0]["nlb"] is None


def test_ids_and_times(client: httpx.Client) -> None:
    create_app(client)
    built = deploy(client)
    assert re.fullmatch(r"B[A-Z]{10}", built["id"])
    assert re.fullmatch(r"R[A-Z]{10}", built["release"])
    release = client.get(f"/apps/myapp/releases/{built['release'].lower()}").json()
    assert release["id"] == built["release"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", release["created"])
    assert not re.search(r"\.\d*0Z$", release["created"])
    for proc in client.get("/apps/myapp/processes").json():
        assert re.fullmatch(r"web-[0-9a-f]{9}-[a-z0-9]{5}", proc["id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", proc["started"])


def test_lists_are_ordered(client: httpx.Client) -> None:
    for name in ("zeta", "alpha", "mid"):
        client.post("/apps", data={"name": name})
    assert [a["name"] for a in client.get("/apps").json()] == ["alpha", "mid", "zeta"]
    ids = [client.post("/apps/alpha/releases", data={"env": f"N={n}"}).json()["id"] for n in range(3)]
    assert [r["id"] for r in client.get("/apps/alpha/releases").json()] == list(reversed(ids))
    for server in ("b.example.com", "a.example.com"):
        client.post("/registries", data={"server": server, "username": "u", "password": "p"})
    assert [r["server"] for r in client.get("/registries").json()] == ["a.example.com", "b.example.com"]


def test_error_negotiation_text_and_json(client: httpx.Client) -> None:
    text = client.get("/apps/nope")
    assert text.status_code == 404
    assert text.text == "app not found: nope\n"
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["x-content-type-options"] == "nosniff"
    as_json = client.get("/apps/nope", headers={"Accept": "text/html, application/json;q=0"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.content == b'{"error":"app not found: nope"}\n'
    upper = client.get("/apps/nope", headers={"Accept": "Application/JSON"})
    assert upper.headers["content-type"].startswith("text/plain")


def test_untyped_kubernetes_errors_are_500(client: httpx.Client) -> None:
    create_app(client)
    resp = client.get("/apps/myapp/releases/RNOPE")
    assert resp.status_code == 500
    assert resp.text == 'releases.convox.com "rnope" not found\n'
    assert client.get("/apps/myapp/builds/BNOPE").text == 'builds.convox.com "bnope" not found\n'
    assert client.get("/apps/myapp/processes/web-1").text == 'pods "web-1" not found\n'


def test_bad_integer_gives_go_strconv_message(client: httpx.Client) -> None:
    create_app(client)
    resp = client.get("/apps/myapp/releases", params={"limit": "ten"})
    assert resp.status_code == 500
    assert resp.text == 'strconv.Atoi: parsing "ten": invalid syntax\n'


def test_double_encoded_map_parameters(client: httpx.Client) -> None:
    create_app(client)
    resp = client.put(
        "/apps/myapp",
        content=b"parameters=BuildCpu%3D512%26BuildMem%3D1024%26Other%3Dx",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200
    app = client.get("/apps/myapp").json()
    assert app["parameters"] == {"BuildCpu": "512", "BuildMem": "1024"}
    listed = client.get("/apps").json()[0]
    assert listed["parameters"] == {"BuildCpu": "512", "BuildLabels": "", "BuildMem": "1024"}


def test_request_log_records_requests(client: httpx.Client, emu) -> None:  # type: ignore[no-untyped-def]
    emu.clear_requests()
    client.post("/apps?x=1", data={"name": "logged"})
    entries = emu.requests()
    assert len(entries) == 1
    entry = entries[0]
    assert entry["method"] == "POST"
    assert entry["path"] == "/apps"
    assert entry["query"] == {"x": "1"}
    assert entry["form"] == {"name": "logged"}
    assert entry["status"] == 200
    assert entry["headers"]["Authorization"] == "<redacted>"
    assert "secret" not in json.dumps(entries)
