"""Authentication and authorisation (2.1, 2.2)."""

from __future__ import annotations

import httpx

from .conftest import HTTP, create_app, ws_frames


def test_wrong_or_missing_password(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    for auth in (("convox", "wrong"), None):
        resp = HTTP.get(emu.url + "/apps", auth=auth)
        assert resp.status_code == 401
        assert resp.text == "invalid authentication\n"
        assert resp.headers["www-authenticate"] == 'Basic realm="convox"'
        assert resp.headers["x-frame-options"] == "DENY"
        assert "request-id" in resp.headers
    json_error = HTTP.get(emu.url + "/apps", auth=("convox", "wrong"), headers={"Accept": "application/json"})
    assert json_error.json() == {"error": "invalid authentication"}


def test_username_is_ignored(emu) -> None:  # type: ignore[no-untyped-def]
    assert HTTP.get(emu.url + "/apps", auth=("anyone", "secret")).status_code == 200
    assert HTTP.get(emu.url + "/apps", auth=("", "secret")).status_code == 200
    assert HTTP.get(emu.url + "/auth", auth=("convox", "secret")).text == "ok\n"


def test_password_role_is_admin(client: httpx.Client) -> None:
    assert client.post("/system/jwt/token", data={"role": "admin", "durationInHour": "1"}).status_code == 200


def test_websocket_auth_failure_arrives_as_a_frame(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    frames = ws_frames(emu, "/apps/myapp/logs", auth=("convox", "wrong"))
    assert frames == [(1, b"ERROR: invalid authentication\n"), (2, b"")]


def test_read_token_may_stream_logs_but_not_exec(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    token = client.post("/system/jwt/token", data={"role": "read", "durationInHour": "1"}).json()["token"]
    logs = ws_frames(emu, "/apps/myapp/logs", {"Follow": "false"}, auth=("jwt", token))
    assert logs[-1] == (2, b"") and not any(d.startswith(b"ERROR") for _key, d in logs)
    denied = ws_frames(emu, "/apps/myapp/processes/web/exec", {"Command": "true"}, auth=("jwt", token))
    assert denied == [(1, b"ERROR: process exec requires write access\n"), (2, b"")]
    for path, message in (
        ("/instances/x/shell", b"instance shell requires write access"),
        ("/apps/myapp/resources/db/console", b"resource console requires write access"),
        ("/proxy/example.com/80", b"proxy requires write access"),
    ):
        assert ws_frames(emu, path, auth=("jwt", token))[0] == (1, b"ERROR: " + message + b"\n")


def test_empty_password_disables_auth() -> None:
    from convox_emulator.testing import start_emulator

    with start_emulator(password="", in_process=True) as open_rack:
        assert HTTP.get(open_rack.url + "/apps").status_code == 200
        assert (
            HTTP.post(open_rack.url + "/system/jwt/token", data={"role": "admin", "durationInHour": "1"}).status_code
            == 200
        )
