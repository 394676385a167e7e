# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""client.logs against the emulator: headers sent, lines, bounds, and a stream cut by the timeout."""

from __future__ import annotations

import datetime
import time

import httpx
import pytest
from client_helpers import deploy, sent

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import waits


def _add(rack, **body):
    response = httpx.post(rack.url + "/_emulator/logs", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _socket(rack, path):
    return [r for r in sent(rack, path=path) if r["websocket"]]


def test_app_logs_since_filter_prefix_and_headers(client, rack):
    client.apps.create("myapp")
    _add(rack, app="myapp", stream="service/web/web-1", lines=["old one"], age=3600)
    _add(rack, app="myapp", stream="service/web/web-1", lines=["GET /a 200", "GET /b 500", "POST /c 500"])
    recent = client.logs.app("myapp", filter="GET 500", timeout=10)
    assert recent.lines == ["GET /b 500"]
    assert (recent.ended, recent.truncated, recent.timed_out) == (True, False, False)
    hour = client.logs.app("myapp", since="2h", timeout=10)
    assert "old one" in hour.lines and "POST /c 500" in hour.lines
    prefixed = client.logs.app("myapp", prefix=True, since=datetime.timedelta(minutes=5), timeout=10)
    assert any(line.endswith(" service/web/web-1 GET /a 200") for line in prefixed.lines)
    headers = [r["headers"] for r in _socket(rack, "/apps/myapp/logs")]
    assert headers[0]["Follow"] == "false" and headers[0]["Filter"] == "GET 500" and "Since" not in headers[0]
    assert headers[1]["Since"] == "2h0m0s"
    assert (headers[2]["Prefix"], headers[2]["Since"]) == ("true", "5m0s")


def test_max_lines_truncates(client, rack):
    client.apps.create("myapp")
    _add(rack, app="myapp", lines=[f"line {n}" for n in range(50)])
    read = client.logs.app("myapp", filter="line", max_lines=5, timeout=10)
    assert read.lines == [f"line {n}" for n in range(5)]
    assert (read.truncated, read.ended, read.timed_out) == (True, False, False)


def test_follow_stream_that_keeps_going_is_cut_at_the_timeout(client, rack):
    client.apps.create("myapp")
    _add(rack, app="myapp", stream="service/web/web-1", lines=["tick"], every=0.02)
    try:
        started = time.monotonic()
        read = client.logs.app("myapp", follow=True, filter="tick", timeout=1.0, max_lines=100000)
        elapsed = time.monotonic() - started
    finally:
        httpx.delete(rack.url + "/_emulator/logs", timeout=10)
    assert read.timed_out and not read.ended and not read.truncated
    assert len(read.lines) >= 5 and set(read.lines) == {"tick"}
    assert 0.9 <= elapsed < 3.0


def test_service_process_build_and_system(client, rack, tmp_path):
    build, _release = deploy(client, "myapp", tmp_path / "src")
    service = client.logs.service("myapp", "web", prefix=False, tail=1, timeout=10)
    assert service.ended and len(service.lines) == 1
    headers = _socket(rack, "/apps/myapp/services/web/logs")[0]["headers"]
    assert (headers["Tail"], headers["Prefix"], headers["Follow"]) == ("1", "false", "false")
    process = client.processes.run("myapp", "web", command="sh -c 'echo hello from run; echo bye'")
    waits.wait_process_status(client, "myapp", process.id, ["complete"], interval=0.05)
    by_app = client.logs.process("myapp", process.id, timeout=10)
    assert by_app.lines == ["hello from run", "bye"] and by_app.ended
    assert _socket(rack, "/apps/myapp/logs")[-1]["headers"]["Prefix"] == "true"
    filtered = client.logs.process("myapp", process.id, filter="bye", prefix=True, timeout=10)
    assert len(filtered.lines) == 1 and filtered.lines[0].endswith(f" service/web/{process.id} bye")
    built = client.logs.build("myapp", build.id, timeout=10)
    assert built.ended and built.lines
    assert client.logs.system(timeout=10).ended


def test_process_route_follows_until_the_timeout(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    process = client.processes.run("myapp", "web", command="sleep 60")
    waits.wait_process_status(client, "myapp", process.id, ["running"], interval=0.05)
    started = time.monotonic()
    read = client.logs.process("myapp", process.id, source="process", timeout=0.5)
    assert read.timed_out and read.lines == []
    assert time.monotonic() - started < 2.5
    assert _socket(rack, f"/apps/myapp/processes/{process.id}/logs")


def test_errors_and_bad_input(client, rack):
    with pytest.raises(e.ConvoxStreamError, match="app not found"):
        client.logs.app("nope", timeout=10)
    for bad in ("2d", "-5m", "0s", "ten minutes", ""):
        with pytest.raises(e.ConvoxInputError, match="since"):
            client.logs.app("nope", since=bad)
    with pytest.raises(e.ConvoxInputError, match="max_lines"):
        client.logs.system(max_lines=0)
    with pytest.raises(e.ConvoxInputError, match="timeout"):
        client.logs.system(timeout=0)
    assert not [r for r in rack.requests() if r["websocket"] and r["path"] == "/system/logs"]
