# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Websocket streams with a scripted connection: exit marker, ERROR frames, lost streams, run_attached."""

from __future__ import annotations

import ssl

import httpx
import pytest
import websocket as websocket_lib

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import websocket as ws
from ansible_collections.convox.convox.tests.unit.plugins.module_utils.scripted_websocket import ScriptedConnection

MARKER = b"F1E49A85-0AD7-4AEF-A618-C249C6E6568D:"
TEXT, BINARY, CLOSE = 1, 2, 8


@pytest.fixture
def fake_ws(monkeypatch):
    state = {"connections": [], "calls": []}

    def install(*scripts):
        queue = [ScriptedConnection(frames) for frames in scripts]

        def create_connection(url, **kwargs):
            state["calls"].append((url, kwargs))
            if not queue:
                raise AssertionError("unexpected websocket")
            item = queue.pop(0)
            if isinstance(item.frames, BaseException):
                raise item.frames
            state["connections"].append(item)
            return item

        monkeypatch.setattr(ws.websocket_client, "create_connection", create_connection)
        return state

    return install


def test_strip_exit_marker():
    assert ws.strip_exit_marker(b"hi\n" + MARKER + b"3\n") == (b"hi\n", 3)
    assert ws.strip_exit_marker(b"a" + MARKER + b"0\r\nb") == (b"ab", 0)
    assert ws.strip_exit_marker(b"no marker") == (b"no marker", None)
    assert ws.strip_exit_marker(MARKER + b"1\n" + MARKER + b"2\n") == (b"", 2)


def test_exec_output_and_code(client, fake_ws):
    state = fake_ws(
        [(TEXT, b"hi\n"), (TEXT, b"\xff\xfe raw\n"), (TEXT, MARKER[:10]), (TEXT, MARKER[10:] + b"3\n"), (BINARY, b"")]
    )
    result = client.processes.exec("myapp", "web-1", ["sh", "-c", "echo hi; exit 3"])
    assert result.exit_code == 3
    assert result.output == b"hi\n\xff\xfe raw\n"
    assert result.text == "hi\n\ufffd\ufffd raw\n"
    assert result.process_id == "web-1"
    url, kwargs = state["calls"][0]
    assert url == "wss://rack.test/apps/myapp/processes/web-1/exec"
    headers = dict(line.split(": ", 1) for line in kwargs["header"])
    assert headers["Command"] == "sh -c 'echo hi; exit 3'"
    assert headers["Tty"] == "false"
    assert headers["Disable-Stdin"] == "true"
    assert "Entrypoint" not in headers
    assert headers["Authorization"] == "Basic Y29udm94OnNlY3JldA=="
    assert headers["User-Agent"] == "convox.go/3.24.9"
    assert "Accept" not in headers
    assert kwargs["skip_utf8_validation"] is True
    assert kwargs["suppress_origin"] is True
    assert kwargs["sslopt"] == {"cert_reqs": ssl.CERT_REQUIRED}
    assert state["connections"][0].closed


def test_exec_entrypoint_header(client, fake_ws):
    state = fake_ws([(TEXT, MARKER + b"0\n"), (BINARY, b"")])
    client.processes.exec("myapp", "web", "ls", entrypoint=True)
    headers = dict(line.split(": ", 1) for line in state["calls"][0][1]["header"])
    assert headers["Entrypoint"] == "true"


def test_error_frame_raises(client, fake_ws):
    fake_ws([(TEXT, b"ERROR: app not found: myapp\n"), (BINARY, b"")])
    with pytest.raises(e.ConvoxStreamError, match="app not found: myapp") as info:
        client.processes.exec("myapp", "web-1", "ls")
    assert info.value.exit_code is None


def test_error_after_marker_raises(client, fake_ws):
    fake_ws([(TEXT, b"partial"), (TEXT, MARKER + b"1\n"), (TEXT, b"ERROR: stream broke\n"), (BINARY, b"")])
    with pytest.raises(e.ConvoxStreamError, match="stream broke") as info:
        client.processes.exec("myapp", "web-1", "ls")
    assert (info.value.output, info.value.exit_code) == (b"partial", 1)


def test_missing_marker_is_not_exit_zero(client, fake_ws):
    fake_ws([(TEXT, b"out"), (BINARY, b"")])
    with pytest.raises(e.ConvoxStreamError, match="without an exit code"):
        client.processes.exec("myapp", "web-1", "ls")


def test_lost_stream(client, fake_ws):
    fake_ws([(TEXT, b"out"), OSError("connection reset")])
    with pytest.raises(e.ConvoxStreamError, match="lost before the exit code") as info:
        client.processes.exec("myapp", "web-1", "ls")
    assert info.value.output == b"out"


def test_close_frame_ends_stream(client, fake_ws):
    fake_ws([(TEXT, MARKER + b"5\n"), (CLOSE, b"")])
    assert client.processes.exec("myapp", "web-1", "ls").exit_code == 5


def test_ecs_exec_is_unsupported(client, fake_ws):
    fake_ws([(BINARY, b'\x00{"sessionId": "x"}')])
    with pytest.raises(e.ConvoxStreamError, match="ECS Exec"):
        client.processes.exec("myapp", "web-1", "ls")


def test_stream_timeout(client, fake_ws):
    fake_ws([(TEXT, b"x"), websocket_lib.WebSocketTimeoutException("timed out")])
    with pytest.raises(e.ConvoxTimeoutError, match="did not end within 2 seconds"):
        client.processes.exec("myapp", "web-1", "sleep 100", timeout=2)


def test_deadline_already_passed(client, fake_ws, monkeypatch):
    fake_ws([(TEXT, b"x")])
    clock = iter([100.0, 200.0])
    monkeypatch.setattr(ws.time, "monotonic", lambda: next(clock))
    with pytest.raises(e.ConvoxTimeoutError):
        client.processes.exec("myapp", "web-1", "ls", timeout=1)


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (
            websocket_lib.WebSocketBadStatusException(
                "Handshake status %d %s", 401, "Unauthorized", {}, b"invalid authentication"
            ),
            e.ConvoxAuthError,
        ),
        (
            websocket_lib.WebSocketBadStatusException("Handshake status %d %s", 404, "Not Found", {}, None),
            e.ConvoxNotFoundError,
        ),
        (websocket_lib.WebSocketTimeoutException("slow"), e.ConvoxTimeoutError),
        (ConnectionRefusedError(111, "Connection refused"), e.ConvoxConnectionError),
        (websocket_lib.WebSocketAddressException("no address"), e.ConvoxConnectionError),
    ],
)
def test_handshake_failures(client, fake_ws, exc, cls):
    fake_ws(exc)
    with pytest.raises(cls):
        client.processes.exec("myapp", "web-1", "ls")


def test_sslopt_variants():
    from ansible_collections.convox.convox.plugins.module_utils.credentials import Credentials
    from ansible_collections.convox.convox.plugins.module_utils.transport import Transport

    assert ws._sslopt(Transport(Credentials(url="http://h"))) == {}
    assert ws._sslopt(Transport(Credentials(url="https://h"), verify=False)) == {
        "cert_reqs": ssl.CERT_NONE,
        "check_hostname": False,
    }


def test_build_logs(client, fake_ws):
    state = fake_ws([(TEXT, b"step 1\n"), (TEXT, b"step 2\n"), (BINARY, b"")])
    assert client.builds.logs("myapp", "B1") == "step 1\nstep 2\n"
    assert state["calls"][0][0] == "wss://rack.test/apps/myapp/builds/B1/logs"


def test_build_logs_error(client, fake_ws):
    fake_ws([(TEXT, b"ERROR: unable to read logs for build: B1\n"), (BINARY, b"")])
    with pytest.raises(e.ConvoxStreamError, match="unable to read logs"):
        client.builds.logs("myapp", "B1")


# -- run_attached ----------------------------------------------------------------------------------


@pytest.fixture
def run_routes(router, no_sleep):
    run = router.post("/apps/myapp/services/web/processes").mock(
        return_value=httpx.Response(200, json={"id": "web-abcde", "status": "pending"})
    )
    get = router.get("/apps/myapp/processes/web-abcde").mock(
        side_effect=[
            httpx.Response(200, json={"id": "web-abcde", "status": "pending"}),
            httpx.Response(200, json={"id": "web-abcde", "status": "running"}),
            httpx.Response(200, json={"id": "web-abcde", "status": "running"}),
        ]
    )
    stop = router.delete("/apps/myapp/processes/web-abcde").mock(return_value=httpx.Response(200, text="ok\n"))
    return run, get, stop


def test_run_attached(client, fake_ws, run_routes):
    run, _get, stop = run_routes
    state = fake_ws([(TEXT, b"migrated\n"), (TEXT, MARKER + b"0\n"), (BINARY, b"")])
    result = client.processes.run_attached(
        "myapp", "web", "bin/migrate", release="R1", environment={"A": "1"}, memory=256, timeout=600
    )
    assert (result.output, result.exit_code, result.process_id) == (b"migrated\n", 0, "web-abcde")
    sent = run.calls.last.request.headers
    assert sent["command"] == "sleep 600"
    assert (sent["release"], sent["environment"], sent["memory"]) == ("R1", "A=1", "256")
    headers = dict(line.split(": ", 1) for line in state["calls"][0][1]["header"])
    assert headers["Command"] == "bin/migrate"
    assert headers["Entrypoint"] == "true"
    assert headers["Tty"] == "false"
    assert stop.call_count == 1


def test_run_attached_nonzero_exit(client, fake_ws, run_routes):
    fake_ws([(TEXT, b"oops\n" + MARKER + b"42\n"), (BINARY, b"")])
    result = client.processes.run_attached("myapp", "web", ["sh", "-c", "exit 42"], entrypoint=False)
    assert result.exit_code == 42
    assert result.to_result() == {"output": "oops\n", "exit_code": 42, "process_id": "web-abcde"}


def test_run_attached_error_still_deletes(client, fake_ws, run_routes):
    _run, _get, stop = run_routes
    fake_ws([(TEXT, b"ERROR: exec failed\n"), (BINARY, b"")])
    with pytest.raises(e.ConvoxStreamError, match="exec failed"):
        client.processes.run_attached("myapp", "web", "ls")
    assert stop.call_count == 1


def test_run_attached_lost_stream_still_deletes(client, fake_ws, run_routes):
    _run, _get, stop = run_routes
    fake_ws([(TEXT, b"half"), websocket_lib.WebSocketConnectionClosedException("gone")])
    with pytest.raises(e.ConvoxStreamError, match="lost"):
        client.processes.run_attached("myapp", "web", "ls")
    assert stop.call_count == 1


def test_run_attached_process_gone_is_fine(client, fake_ws, run_routes, router):
    router.delete("/apps/myapp/processes/web-abcde").mock(return_value=httpx.Response(500, text='pods "x" not found'))
    fake_ws([(TEXT, MARKER + b"0\n"), (BINARY, b"")])
    assert client.processes.run_attached("myapp", "web", "ls").exit_code == 0


def test_run_attached_stop_failure_reported_on_success(client, fake_ws, run_routes, router):
    router.delete("/apps/myapp/processes/web-abcde").mock(return_value=httpx.Response(403, text="denied"))
    fake_ws([(TEXT, MARKER + b"0\n"), (BINARY, b"")])
    with pytest.raises(e.ConvoxForbiddenError):
        client.processes.run_attached("myapp", "web", "ls")


def test_run_attached_process_never_runs(client, router, no_sleep):
    router.post("/apps/myapp/services/web/processes").mock(
        return_value=httpx.Response(200, json={"id": "web-abcde", "status": "pending"})
    )
    router.get("/apps/myapp/processes/web-abcde").mock(
        return_value=httpx.Response(200, json={"id": "web-abcde", "status": "pending"})
    )
    stop = router.delete("/apps/myapp/processes/web-abcde").mock(return_value=httpx.Response(200, text="ok\n"))
    with pytest.raises(e.ConvoxTimeoutError):
        client.processes.run_attached("myapp", "web", "ls", timeout=30)
    assert stop.call_count == 1


def test_run_attached_needs_command(client):
    with pytest.raises(e.ConvoxError, match="command is required"):
        client.processes.run_attached("myapp", "web", "  ")


def test_missing_websocket_library(client, monkeypatch):
    monkeypatch.setattr(ws, "HAS_WEBSOCKET", False)
    with pytest.raises(e.ConvoxError, match="websocket-client"):
        client.processes.exec("myapp", "web-1", "ls")
