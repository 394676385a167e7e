"""Websocket framing (section 7): exec, stdin, log streams, console, shell, proxy."""

from __future__ import annotations

import threading
import time

import httpx
import websocket

from .conftest import HTTP, PASSWORD, basic, create_app, deploy, text_of, wait_for, ws_frames

MARKER = b"F1E49A85-0AD7-4AEF-A618-C249C6E6568D"
RES_MANIFEST = "resources:\n  db:\n    type: postgres\n  q:\n    type: memcached\nservices:\n  web:\n    port: 3000\n"


def _pid(client: httpx.Client) -> str:
    return str(client.get("/apps/myapp/processes", params={"service": "web"}).json()[0]["id"])


def test_exec_output_marker_and_end_frame(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    frames = ws_frames(
        emu,
        f"/apps/myapp/processes/{pid}/exec",
        {"Command": "sh -c 'echo hi; exit 3'", "Tty": "false", "Disable-Stdin": "true"},
    )
    assert frames == [(1, b"hi\n"), (1, MARKER + b":3\n"), (2, b"")]


def test_exec_tty_default_rewrites_newlines(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    frames = ws_frames(
        emu, f"/apps/myapp/processes/{_pid(client)}/exec", {"Command": "echo a b", "Disable-Stdin": "true"}
    )
    assert frames[0] == (1, b"a b\r\n")
    assert frames[-2:] == [(1, MARKER + b":0\n"), (2, b"")]


def test_exec_by_service_name_env_and_not_found(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    release = client.post("/apps/myapp/releases", data={"env": "FOO=bar"}).json()
    client.post(f"/apps/myapp/releases/{release['id']}/promote")
    wait_for(lambda: client.get("/apps/myapp").json()["status"] == "running")
    env = text_of(ws_frames(emu, "/apps/myapp/processes/web/exec", {"Command": "env", "Tty": "false"}))
    assert b"FOO=bar\n" in env
    missing = ws_frames(emu, "/apps/myapp/processes/web/exec", {"Command": "frobnicate", "Tty": "false"})
    assert missing == [(1, b"sh: 1: frobnicate: not found\n"), (1, MARKER + b":127\n"), (2, b"")]
    direct_exit = ws_frames(emu, "/apps/myapp/processes/web/exec", {"Command": "exit 7", "Tty": "false"})
    assert direct_exit[-2] == (1, MARKER + b":7\n")
    seq = ws_frames(
        emu, "/apps/myapp/processes/web/exec", {"Command": "sh -c 'false && echo no || echo yes; true'", "Tty": "false"}
    )
    assert text_of(seq) == b"yes\n" + MARKER + b":0\n"


def test_exec_invalid_utf8_is_sent_raw(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    frames = ws_frames(
        emu, f"/apps/myapp/processes/{_pid(client)}/exec", {"Command": r"printf '\xff\xfe ok\n'", "Tty": "false"}
    )
    assert frames[0] == (1, b"\xff\xfe ok\n")


def test_exec_stdin_frames_and_eof(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    frames = ws_frames(
        emu,
        f"/apps/myapp/processes/{_pid(client)}/exec",
        {"Command": "cat", "Tty": "false"},
        send=[
            (websocket.ABNF.OPCODE_TEXT, b"line one\n"),
            (websocket.ABNF.OPCODE_TEXT, b"two\n"),
            (websocket.ABNF.OPCODE_BINARY, b""),
        ],
    )
    assert text_of(frames) == b"line one\ntwo\n" + MARKER + b":0\n"
    assert frames[-1] == (2, b"")


def test_exec_validation_errors(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    assert ws_frames(emu, "/apps/nope/processes/x/exec", {"Command": "true"}) == [
        (1, b"ERROR: app not found: nope\n"),
        (2, b""),
    ]
    create_app(client)
    assert ws_frames(emu, "/apps/myapp/processes/web-x/exec", {"Command": "true"}) == [
        (1, MARKER + b":0\n"),
        (1, b'ERROR: pods "web-x" not found\n'),
        (2, b""),
    ]
    deploy(client)
    bad_quote = ws_frames(emu, f"/apps/myapp/processes/{_pid(client)}/exec", {"Command": "echo 'open", "Tty": "false"})
    assert bad_quote[-2] == (1, MARKER + b":2\n")


def test_origin_must_match_host(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Origin": "http://evil.example",
    }
    resp = HTTP.get(emu.url + "/apps/myapp/logs", headers=headers, auth=("convox", PASSWORD))
    assert resp.status_code == 403
    good = ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Origin": emu.url})
    assert good[-1] == (2, b"")


def test_app_logs_prefix_since_and_filter(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    plain = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false"})).decode()
    assert "web started" in plain and " system/k8s/" not in plain
    prefixed = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Prefix": "true"})).decode()
    lines = prefixed.splitlines()
    assert all(line.split(" ", 2)[1].startswith(("service/", "system/")) for line in lines)
    assert any(line.split(" ", 2)[1].startswith("system/k8s/") for line in lines)
    filtered = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Filter": "started"})).decode()
    assert filtered and all("started" in line for line in filtered.splitlines())
    time.sleep(0.05)
    assert ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Since": "1ms"}) == [(2, b"")]
    bad = ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Since": "2d"})
    assert bad[0][1].startswith(b"ERROR: time: unknown unit")


def test_app_logs_follow_streams_new_lines(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    conn = websocket.create_connection(
        emu.ws_url + "/apps/myapp/logs",
        skip_utf8_validation=True,
        timeout=5,
        header=[f"Authorization: {basic('convox', PASSWORD)}", "Since: 1ms"],
    )
    try:
        threading.Timer(0.2, lambda: client.post("/apps/myapp/services/web/restart")).start()
        received = b""
        while b"Restarted" not in received:
            opcode, data = conn.recv_data()
            assert opcode == websocket.ABNF.OPCODE_TEXT
            received += data
    finally:
        conn.close()


def test_service_logs(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    none = ws_frames(emu, "/apps/myapp/services/web/logs", {"Follow": "false"})
    assert none == [(1, b"ERROR: no resources found in convox-myapp namespace\n"), (2, b"")]
    deploy(client)
    frames = ws_frames(emu, "/apps/myapp/services/web/logs", {"Follow": "false"})
    lines = text_of(frames).decode().splitlines()
    assert lines and all(line.startswith("[pod/web-") and "/web] " in line for line in lines)
    bare = text_of(ws_frames(emu, "/apps/myapp/services/web/logs", {"Follow": "false", "Prefix": "false"})).decode()
    assert bare.splitlines()[0] == "web started"
    pods = sorted({line.split("/")[1] for line in lines})
    for pod in pods:
        emu.control(
            "POST", "logs", {"app": "myapp", "stream": f"service/web/{pod}", "lines": [f"{pod} one", f"{pod} two"]}
        )
    tail = ws_frames(emu, "/apps/myapp/services/web/logs", {"Follow": "false", "Tail": "1", "Prefix": "false"})
    assert text_of(tail).decode().splitlines() == [f"{pod} two" for pod in pods]  # the last line of each pod
    two = ws_frames(emu, "/apps/myapp/services/web/logs", {"Follow": "false", "Tail": "2", "Prefix": "false"})
    assert text_of(two).decode().splitlines() == [f"{pod} {n}" for pod in pods for n in ("one", "two")]


def test_process_logs_end_with_the_process(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    proc = client.post(
        "/apps/myapp/services/web/processes", headers={"Command": "sh -c 'echo one; sleep 0.2; echo two'"}
    )
    pid = proc.json()["id"]
    # the v3 sign bug (convox-api.md 5.11): Since is added to now, so a negative one looks back
    frames = ws_frames(emu, f"/apps/myapp/processes/{pid}/logs", {"Prefix": "true", "Since": "-1m"})
    lines = text_of(frames).decode().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["one", "two"]
    assert all(line.split(" ", 2)[1] == f"service/web/{pid}" for line in lines)
    assert ws_frames(emu, "/apps/myapp/processes/nope/logs")[0] == (1, b'ERROR: pods "nope" not found\n')


def test_system_logs(emu) -> None:  # type: ignore[no-untyped-def]
    frames = ws_frames(emu, "/system/logs", {"Follow": "false", "Prefix": "true"})
    assert b"system/k8s/api api started" in text_of(frames)


def test_resource_console(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client, manifest=RES_MANIFEST)
    frames = ws_frames(
        emu,
        "/apps/myapp/resources/db/console",
        send=[(websocket.ABNF.OPCODE_TEXT, b"select 1;\n"), (websocket.ABNF.OPCODE_BINARY, b"")],
    )
    text = text_of(frames)
    assert text.startswith(b"db=> ") and b"select 1;" in text
    assert MARKER not in text
    assert ws_frames(emu, "/apps/myapp/resources/q/console")[0] == (
        1,
        b"ERROR: console not available for resources of type: memcached\n",
    )


def test_instance_shell_and_proxy(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    instance = client.get("/instances").json()[0]["id"]
    frames = ws_frames(emu, f"/instances/{instance}/shell", {"Command": "hostname"})
    assert frames == [(1, instance.encode() + b"\r\n"), (1, MARKER + b":0\n"), (2, b"")]
    assert ws_frames(emu, "/instances/nope/shell")[0] == (1, b"ERROR: instance not found: nope\n")
    assert ws_frames(emu, "/proxy/127.0.0.1/80")[0] == (1, b"ERROR: invalid proxy host\n")
    assert ws_frames(emu, "/proxy/db.internal/99999")[0] == (1, b"ERROR: invalid proxy port\n")


def test_requests_log_sees_socket_and_stray_gets(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    emu.clear_requests()
    assert client.get("/machines").status_code == 404
    ws_frames(emu, "/apps/myapp/logs", {"Follow": "false"})
    entries = emu.requests()
    assert [(e["path"], e["status"], e["websocket"]) for e in entries] == [
        ("/machines", 404, False),
        ("/apps/myapp/logs", 101, True),
    ]


def test_exec_entrypoint_is_prepended_only_on_request(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    built = deploy(client)
    client.put(f"/apps/myapp/builds/{built['id']}", data={"entrypoint": "echo entry"})
    path = f"/apps/myapp/processes/{_pid(client)}/exec"
    with_entry = ws_frames(emu, path, {"Command": "hello", "Tty": "false", "Entrypoint": "true"})
    assert with_entry[0] == (1, b"entry hello\n")
    without = ws_frames(emu, path, {"Command": "echo hello", "Tty": "false"})
    assert without[0] == (1, b"hello\n")


def _frames_until_cut(emu, path: str, headers):  # type: ignore[no-untyped-def]
    """Frames read before the connection ends, and whether it ended without a close frame."""
    header = [f"{k}: {v}" for k, v in headers.items()] + [f"Authorization: {basic('convox', PASSWORD)}"]
    conn = websocket.create_connection(emu.ws_url + path, header=header, skip_utf8_validation=True, timeout=5)
    frames = []
    try:
        while True:
            try:
                opcode, data = conn.recv_data()
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                return frames, True
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return frames, False
            frames.append((opcode, data))
            if opcode == websocket.ABNF.OPCODE_BINARY and data == b"":
                return frames, False
    finally:
        conn.close()


def test_stream_fault_cut_after_frames(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    emu.fault(method="GET", path="/apps/myapp/processes/*/exec", action="cut", frames=1)
    command = {"Command": "sh -c 'echo one; echo two; exit 0'", "Tty": "false", "Disable-Stdin": "true"}
    frames, cut = _frames_until_cut(emu, f"/apps/myapp/processes/{pid}/exec", command)
    assert cut  # no close frame, no exit marker, no end frame
    assert frames == [(1, b"one\n")]
    assert emu.state()["faults"][0]["hits"] == 1
    # used up: the next stream is whole
    frames = ws_frames(emu, f"/apps/myapp/processes/{pid}/exec", command)
    assert frames == [(1, b"one\n"), (1, b"two\n"), (1, MARKER + b":0\n"), (2, b"")]


def test_stream_fault_error_frame(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    pid = _pid(client)
    command = {"Command": "sh -c 'echo one; echo two'", "Tty": "false", "Disable-Stdin": "true"}
    emu.fault(method="GET", path="/apps/myapp/processes/*/exec", action="error", frames=1, body="node lost")
    frames = ws_frames(emu, f"/apps/myapp/processes/{pid}/exec", command)
    assert frames == [(1, b"one\n"), (1, b"ERROR: node lost\n"), (2, b"")]
    emu.fault(method="GET", path="/apps/myapp/processes/*/exec", action="error", frames=0)
    frames = ws_frames(emu, f"/apps/myapp/processes/{pid}/exec", command)
    assert frames == [(1, b"ERROR: injected failure\n"), (2, b"")]


def test_stream_faults_skip_plain_requests(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client, "myapp")
    emu.fault(path="/apps*", action="cut")
    assert client.get("/apps/myapp").status_code == 200  # not a websocket: the fault waits
    assert emu.state()["faults"][0]["hits"] == 0
    for bad in ({"action": "drop", "frames": 1}, {"action": "cut", "frames": -1}, {"action": "cut", "frames": True}):
        answer = httpx.post(emu.url + "/_emulator/faults", json=bad)
        assert answer.status_code == 400, bad


def test_process_logs_since_sign_bug_and_follow_ignored(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    deploy(client)
    proc = client.post("/apps/myapp/services/web/processes", headers={"Command": "sh -c 'echo early; sleep 0.4'"})
    pid = proc.json()["id"]
    wait_for(lambda: b"early" in text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false"})))
    # default Since (2m) lands in the future: nothing, and Follow: false is ignored (ends with the pod)
    started = time.monotonic()
    frames = ws_frames(emu, f"/apps/myapp/processes/{pid}/logs", {"Follow": "false"})
    assert frames == [(2, b"")]
    assert time.monotonic() - started > 0.1


def _control_logs(emu, body):  # type: ignore[no-untyped-def]
    return HTTP.post(emu.url + "/_emulator/logs", json=body)


def test_control_logs_add_age_since_filter(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    assert _control_logs(
        emu, {"app": "myapp", "stream": "service/web/web-1", "lines": ["old a"], "age": 600}
    ).json() == {"added": 1}
    _control_logs(emu, {"app": "myapp", "stream": "service/web/web-1", "lines": ["new b", "new c"]})
    recent = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false"})).decode()
    assert "old a" not in recent and "new b\nnew c\n" in recent
    hour = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Since": "1h0m0s"})).decode()
    assert "old a\n" in hour
    filtered = text_of(ws_frames(emu, "/apps/myapp/logs", {"Follow": "false", "Since": "1h", "Filter": "new c"}))
    assert filtered == b"new c\n"
    _control_logs(emu, {"lines": ["rack line"]})
    assert b"rack line" in text_of(ws_frames(emu, "/system/logs", {"Follow": "false"}))
    for bad in (
        {"app": "myapp"},
        {"app": "nope", "lines": ["x"]},
        {"lines": ["x"], "age": -1},
        {"lines": ["x"], "every": 0},
    ):
        assert _control_logs(emu, bad).status_code == 400


def test_control_logs_drip_keeps_a_follow_stream_going(emu, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    create_app(client)
    drip = _control_logs(emu, {"app": "myapp", "stream": "service/web/web-1", "lines": ["tick"], "every": 0.02}).json()
    assert drip["drip"] >= 1
    conn = websocket.create_connection(
        emu.ws_url + "/apps/myapp/logs",
        skip_utf8_validation=True,
        timeout=5,
        header=[f"Authorization: {basic('convox', PASSWORD)}"],
    )
    try:
        received = b""
        while received.count(b"tick") < 5:
            opcode, data = conn.recv_data()
            assert opcode == websocket.ABNF.OPCODE_TEXT
            received += data
    finally:
        conn.close()
    assert HTTP.delete(emu.url + "/_emulator/logs").json()["stopped"] == 1
