# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""client.logs with a scripted websocket: lines across frames, bounds, deadline, ERROR frames, since."""

from __future__ import annotations

import datetime

import pytest
import websocket as websocket_lib

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import websocket as ws
from ansible_collections.convox.convox.plugins.module_utils.resources.logs import filter_terms, parse_since
from ansible_collections.convox.convox.tests.unit.plugins.module_utils.scripted_websocket import ScriptedConnection

TEXT, BINARY = 1, 2


@pytest.fixture
def script(monkeypatch):
    made = {}

    def install(frames):
        conn = ScriptedConnection(frames)

        def create_connection(url, **kwargs):
            made.update(url=url, kwargs=kwargs, conn=conn)
            return conn

        monkeypatch.setattr(ws.websocket_client, "create_connection", create_connection)
        return made

    return install


def _headers(made):
    return dict(item.split(": ", 1) for item in made["kwargs"]["header"])


def test_lines_across_frames_and_headers(client, script):
    made = script([(TEXT, b"one\ntw"), (TEXT, b"o\r\nthr"), (TEXT, b"\xffee\n"), (TEXT, b"partial"), (BINARY, b"")])
    read = client.logs.app("myapp", since="10m", filter='"tw"', prefix=True)
    assert read.lines == ["two"]
    assert (read.ended, read.truncated, read.timed_out) == (True, False, False)
    headers = _headers(made)
    assert made["url"].endswith("/apps/myapp/logs")
    assert (headers["Follow"], headers["Since"], headers["Prefix"], headers["Filter"]) == (
        "false",
        "10m0s",
        "true",
        '"tw"',
    )
    assert made["conn"].closed
    script([(TEXT, b"a\nb\xff\n"), (TEXT, b"tail")])  # a connection that breaks: what arrived, not ended
    every = client.logs.system()
    assert every.lines == ["a", "b\ufffd", "tail"] and not every.ended and not every.timed_out


def test_max_lines_stops_reading(client, script):
    made = script([(TEXT, b"1\n2\n3\n"), (TEXT, b"4\n")])
    read = client.logs.service("myapp", "web", max_lines=2, tail=5, previous=True, max_log_requests=3)
    assert read.lines == ["1", "2"] and read.truncated and not read.ended
    assert made["conn"].frames == [(TEXT, b"4\n")]  # nothing more was read
    headers = _headers(made)
    assert (headers["Tail"], headers["Previous"], headers["Maxlogrequests"]) == ("5", "true", "3")
    assert "Filter" not in headers


def test_deadline_returns_what_arrived(client, script):
    made = script([(TEXT, b"first\nsecond"), websocket_lib.WebSocketTimeoutException("timed out")])
    read = client.logs.build("myapp", "BABC", timeout=0.5)
    assert read.lines == ["first", "second"] and read.timed_out and not read.truncated
    assert all(0 < t <= 0.5 for t in made["conn"].timeouts)
    assert "Since" not in _headers(made) and "Follow" not in _headers(made)


def test_error_frame_raises_without_the_lines(client, script):
    script([(TEXT, b"secret=hunter2\n"), (TEXT, b"ERROR: app not found: nope\n")])
    with pytest.raises(e.ConvoxStreamError) as caught:
        client.logs.app("nope")
    assert str(caught.value) == "app not found: nope"
    assert "hunter2" not in str(caught.value)


def test_process_reads_the_app_stream(client, script):
    made = script(
        [
            (TEXT, b"2024-05-01T12:00:00Z service/web/web-1 mine\n"),
            (TEXT, b"2024-05-01T12:00:01Z service/web/web-2 other\n2024-05-01T12:00:02Z system/k8s/pod/web-1 event\n"),
            (TEXT, b"2024-05-01T12:00:03Z service/web/web-1 again\n"),
            (BINARY, b""),
        ]
    )
    read = client.logs.process("myapp", "web-1", max_lines=5)
    assert read.lines == ["mine", "again"]
    assert made["url"].endswith("/apps/myapp/logs") and _headers(made)["Prefix"] == "true"
    made = script([(TEXT, b"x\n"), (BINARY, b"")])
    assert client.logs.process("myapp", "web-1", source="process", since=60).lines == ["x"]
    assert made["url"].endswith("/apps/myapp/processes/web-1/logs") and _headers(made)["Since"] == "1m0s"
    with pytest.raises(e.ConvoxInputError):
        client.logs.process("myapp", "web-1", source="pod")


def test_parse_since_and_filter_terms():
    assert parse_since("1h30m") == datetime.timedelta(hours=1, minutes=30)
    assert parse_since("1.5s") == datetime.timedelta(seconds=1.5)
    assert parse_since(90) == datetime.timedelta(seconds=90)
    assert parse_since(None) is None
    for bad in ("2d", "", "-1m", "0s", "m", "10", True, datetime.timedelta(0)):
        with pytest.raises(e.ConvoxInputError):
            parse_since(bad)
    assert filter_terms('ERROR "db timeout" x') == ["ERROR", "db timeout", "x"]
    assert filter_terms(None) == [] and filter_terms('""') == []
