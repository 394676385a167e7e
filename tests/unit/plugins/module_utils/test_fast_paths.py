# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shortcuts taken for speed (docs/performance.md, "Against the official Python SDK") give
what the long ways give: requests, path segments, records, lists of models, env text."""

from __future__ import annotations

import datetime
import socket
import threading
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.convox.convox.plugins.module_utils import _records as r
from ansible_collections.convox.convox.plugins.module_utils import _shapes
from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import models as m
from ansible_collections.convox.convox.plugins.module_utils import transport as t
from ansible_collections.convox.convox.plugins.module_utils.credentials import Credentials
from ansible_collections.convox.convox.plugins.module_utils.resources.environment import parse_env
from ansible_collections.convox.convox.tests.unit.plugins.module_utils.test_records import MODEL_NAMES, answers


def _transport(**kwargs) -> t.Transport:
    return t.Transport(Credentials(url="http://rack.test", password="pw"), **kwargs)


def test_built_request_is_what_the_client_would_build():
    transport = _transport()
    headers = dict(transport.headers, **{"Content-Type": "application/x-www-form-urlencoded"})
    ours = transport._build("POST", "http://rack.test/apps?x=1", headers, b"name=a", 7.5)
    theirs = transport._client.build_request(
        "POST", "http://rack.test/apps?x=1", headers=headers, content=b"name=a", timeout=7.5
    )
    assert ours.method == theirs.method
    assert ours.url == theirs.url
    assert ours.headers.raw == theirs.headers.raw  # same names, values and order
    assert ours.content == theirs.content
    assert ours.extensions == theirs.extensions
    transport.close()


def test_a_client_handed_in_goes_through_client_send():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url), request.headers.get("authorization")))
        return httpx.Response(200, json={"name": "a"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    transport = _transport(http_client=client)
    assert transport._pool is None
    assert transport.call("GET", "/apps/a") == {"name": "a"}
    assert seen == [("GET", "http://rack.test/apps/a", "Basic Y29udm94OnB3")]


class _OneAnswerServer:
    """A socket server on 127.0.0.1 that answers each request on one connection with ``answers``."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn, _peer = self.server.accept()
        with conn:
            for answer in self.answers:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                conn.sendall(answer)

    def close(self):
        self.server.close()
        self.thread.join(timeout=5)


def test_direct_path_reads_answers_and_maps_errors():
    ok = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"name":"a"}\n'
    missing = (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 26\r\n\r\n"
        b'{"error":"app not found"}\n'
    )
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"  # the body never arrives whole
    server = _OneAnswerServer([ok, missing, cut])
    transport = t.Transport(Credentials(url=f"http://127.0.0.1:{server.port}", password="pw"), retries=0)
    try:
        assert transport._pool is not None
        response = transport.request("GET", "/apps/a")
        assert response.json() == {"name": "a"}
        assert response.request.url.path == "/apps/a"
        assert isinstance(response.elapsed, datetime.timedelta)
        with pytest.raises(e.ConvoxNotFoundError, match="app not found"):
            transport.request("GET", "/apps/b")
        with pytest.raises(e.ConvoxConnectionError):
            transport.request("GET", "/apps/c")
    finally:
        transport.close()
        server.close()


@pytest.mark.parametrize("value", ["app", "my-app_2", "RABCDEFGHIJ", "a.b", "x~y", "-lead", "9", "a..b"])
def test_plain_segments_are_what_quote_gives(value):
    assert t.path_segment(value) == quote(value, safe="")


@pytest.mark.parametrize("value", ["a b", "a/b", "é", ".hidden", "a%2F", "?x"])
def test_other_segments_are_quoted(value):
    assert t.path_segment(value) == quote(value, safe="")


@pytest.mark.parametrize("value", [".", "..", ""])
def test_dot_segments_and_empty_names_are_refused(value):
    with pytest.raises(e.ConvoxInputError):
        t.path_segment(value)


def test_fast_record_keeps_order_defaults_and_unknown_keys():
    assert r._compiled("App").defaults is not None  # App takes the merge path
    data = {"zeta": 1, "status": "running", "name": "a", "parameters": None, "extra-key": {"k": "v"}}
    record = r.record("App", data)
    model = m.parse(m.App, data)
    assert list(record.to_result()) == list(model.to_result())
    assert record.to_result() == model.to_result()
    assert record.parameters == {} and record.locked is False and record.budget is None
    assert record.zeta == 1


def test_fast_record_does_not_share_mutable_values():
    params = {"BuildCpu": "256"}
    first = r.record("App", {"name": "a", "parameters": params})
    second = r.record("App", {"name": "b"})
    third = r.record("App", {"name": "c"})
    first.parameters["x"] = "y"
    second.parameters["z"] = "w"
    assert params == {"BuildCpu": "256"}
    assert third.parameters == {}


@pytest.mark.parametrize(
    "data",
    [
        {"name": "a", "locked": 1},  # an int in a bool field: the model decides
        {"name": None},
        {"name": "a", "locked": "true"},
    ],
)
def test_fast_record_sends_other_types_to_the_model(data):
    model = m.parse(m.App, data)
    assert r.record("App", data).to_result() == model.to_result()


def test_fast_record_refuses_what_the_model_refuses():
    with pytest.raises(e.ConvoxError, match="parameters"):
        r.record("App", {"name": "a", "parameters": {"k": 1}})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)),
        (
            "2024-05-01T12:00:00.123456789Z",
            datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc),
        ),
        (
            "2024-05-01T12:00:00.5-07:30",
            datetime.datetime(
                2024, 5, 1, 12, 0, 0, 500000, tzinfo=datetime.timezone(-datetime.timedelta(hours=7, minutes=30))
            ),
        ),
    ],
)
def test_go_times(text, expected):
    value = r._go_time(text)
    assert value == expected and value.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", ["2024-02-30T12:00:00Z", "2024-05-01T12:00:60Z", "2024-05-01T12:00:00+24:00"])
def test_impossible_go_times_are_left_to_the_model(text):
    with pytest.raises(r._Unusual):
        r._go_time(text)


def test_model_lists_are_validated_as_items_are():
    data = [{"name": "a"}, {"name": "b", "locked": True}, {"name": None}]
    assert [item.to_result() for item in m.parse_list(m.App, data)] == [m.parse(m.App, x).to_result() for x in data]
    with pytest.raises(e.ConvoxError, match="expected a JSON object for App"):
        m.parse_list(m.App, [{"name": "a"}, "b"])
    with pytest.raises(e.ConvoxError, match="unexpected answer from the rack for App"):
        m.parse_list(m.App, [{"name": "a"}, {"locked": "not a bool"}])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB=2", {"A": "1", "B": "2"}),
        ("A=1\r\nB=x=y\r\n", {"A": "1", "B": "x=y"}),
        (" A =1\nnoequals\n=v\n", {"A": "1"}),
        ("A=\r", {"A": ""}),
        (None, {}),
    ],
)
def test_parse_env(text, expected):
    assert parse_env(text) == expected


# ---------------------------------------------------------------------------------------------
# records: the fast paths against the per-field loop, for every model

RENAMED = sorted(name for name in _shapes.SHAPES if any(attr != wire for attr, wire, *_rest in _shapes.SHAPES[name]))


def _canonical(value):
    """``value`` with every type and order spelled out (``==`` would take True for 1, 1.0 for 1)."""
    if isinstance(value, r.Record):
        fields = object.__getattribute__(value, "_Record__fields")
        extra = object.__getattribute__(value, "_Record__extra")
        return ("Record", value.record_type, _canonical(fields), _canonical(extra))
    if isinstance(value, dict):
        return ("dict", [(key, _canonical(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_canonical(item) for item in value])
    return (type(value).__name__, repr(value), value.utcoffset() if isinstance(value, datetime.datetime) else None)


def _outcome(name, data):
    try:
        return _canonical(r._build(name, data))
    except r._Unusual:
        return "left to the model"


@st.composite
def _odd_answers(draw, name):
    """A rack's answer (test_records), sometimes with a field in both spellings or of another type."""
    data = draw(answers(name))
    for attr, wire, _kind, _default, _nested in _shapes.SHAPES[name]:
        choice = draw(st.integers(min_value=0, max_value=11))
        if choice == 0 and attr != wire:
            data[attr] = data.get(wire, "x")  # the other spelling, alone or beside the wire key
        elif choice == 1:
            data[wire] = draw(st.sampled_from(["true", 1, 2.5, True, [], {}, None, "2024-01-02 03:04:05Z"]))
    return data


def test_every_kebab_case_model_takes_a_fast_path():
    assert len(RENAMED) == 19  # 16 in kebab-case, 3 in camelCase or capitalised (`Url`)
    for name in _shapes.SHAPES:
        shape = r._Compiled(name)
        assert shape.defaults is not None or shape.renamed, name
        assert bool(shape.renamed) == (name in RENAMED), name
        slow = r._Compiled(name, fast=False)
        assert slow.defaults is None and not slow.renamed


@pytest.mark.parametrize("name", MODEL_NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_fast_records_are_what_the_field_loop_gives(name, data):
    """Every model, any answer: the records the fast paths build are, type for type and key for key
    (order included), those of the per-field loop every model took before them, and an answer
    the loop leaves to the model is left to the model."""
    answer = data.draw(_odd_answers(name))
    fast = _outcome(name, answer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(r, "_COMPILED", {other: r._Compiled(other, fast=False) for other in _shapes.SHAPES})
        slow = _outcome(name, answer)
    assert fast == slow
    if fast != "left to the model":
        assert r.record(name, answer).to_result() == m.parse(getattr(m, name), answer).to_result()


def test_kebab_case_record_by_either_spelling():
    wire = {"id": "B1", "git-sha": "abc", "started": "2024-05-01T12:00:00Z", "x-other": 1}
    record = r.record("Build", wire)
    assert record.git_sha == "abc" and record.to_result()["x_other"] == 1
    assert r.record("Build", {"id": "B1", "git_sha": "abc"}).git_sha == "abc"  # the loop takes it
    assert record.to_result() == m.parse(m.Build, wire).to_result()
    first, second = r.record_list("Build", [{"id": "a"}, {"id": "b"}])
    assert first.to_result() == second.to_result() | {"id": "a"}
