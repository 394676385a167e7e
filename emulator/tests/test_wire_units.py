"""Unit tests of the wire helpers (no server)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convox_emulator import wire
from convox_emulator.router import Router

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _reference(value: Any) -> str:
    text = json.dumps(wire._plain(value), indent=2, ensure_ascii=False)
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text + "\n"


@given(JSON)
def test_go_json_matches_indented_json_with_go_escapes(value: Any) -> None:
    encoded = wire.go_json(value)
    assert encoded.decode("utf-8") == _reference(value)
    assert json.loads(encoded) == json.loads(_reference(value))


def test_go_json_examples() -> None:
    assert wire.go_json({"a": [], "b": {}, "c": 1.0, "d": "<&>"}) == (
        b'{\n  "a": [],\n  "b": {},\n  "c": 1,\n  "d": "\\u003c\\u0026\\u003e"\n}\n'
    )
    assert wire.go_json_compact({"error": "x"}) == b'{"error":"x"}\n'


def test_go_time() -> None:
    assert wire.go_time(None) == "0001-01-01T00:00:00Z"
    assert wire.go_time(datetime(2024, 5, 1, 12, 0, 0, 123400, tzinfo=timezone.utc)) == "2024-05-01T12:00:00.1234Z"
    assert wire.go_time(datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)) == "2024-05-01T12:00:00Z"
    assert (
        wire.go_time(datetime(2024, 5, 1, 12, 0, 0, 5, tzinfo=timezone.utc), whole_seconds=True)
        == "2024-05-01T12:00:00Z"
    )
    assert wire.parse_go_time("20240131.235959.500000000") == datetime(
        2024, 1, 31, 23, 59, 59, 500000, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2m0s", 120),
        ("30s", 30),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("0", 0),
        ("-1m", -60),
        ("250ms", 0.25),
        ("4320h", 4320 * 3600),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert wire.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3d", 'time: unknown unit "d" in duration "3d"'),
        ("10", 'time: missing unit in duration "10"'),
        ("", 'time: invalid duration ""'),
        ("abc", 'time: invalid duration "abc"'),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(") + "$"):
        wire.parse_duration(text)


def test_parse_int_bool_map_env() -> None:
    assert wire.parse_int("-12") == -12
    with pytest.raises(wire.ApiError) as info:
        wire.parse_int("1.5")
    assert (info.value.status, info.value.message) == (500, 'strconv.Atoi: parsing "1.5": invalid syntax')
    assert wire.parse_bool("true") and not wire.parse_bool("True") and not wire.parse_bool(None)
    assert wire.parse_map("a=1&b=x%3Dy&a=2") == {"a": "1", "b": "x=y"}
    assert wire.parse_env(" A =1\nB==2\r\nnoequals\n=x\nC=") == {"A": "1", "B": "=2", "C": ""}
    assert (
        wire.env_description({"A": "1", "B": "2"}, {"B": "3", "C": "1", "D": "1"})
        == "env add:C add:D change:B remove:A"
    )
    assert wire.accepts_json("text/html, application/json;q=0")
    assert not wire.accepts_json("application/jsonx")


def test_router_order_405_and_sockets() -> None:
    router = Router()
    router.add("GET", "/apps/{app}/builds/{id}.tgz", lambda ctx: "export")
    router.add("GET", "/apps/{app}/builds/{id}", lambda ctx: "get")
    router.add("GET", "/apps/{app}/objects/{key:.*}", lambda ctx: "object")
    router.socket("/apps/{app}/logs", lambda ctx: "logs")
    route, params, status = router.match("GET", "/apps/a/builds/B1.tgz", None)
    assert status == 0
    assert route is not None and route.handler(None) == "export" and params == {"app": "a", "id": "B1"}
    route, params, status = router.match("GET", "/apps/a/objects/x//y/", None)
    assert status == 0
    assert route is not None and params["key"] == "x//y/"
    assert router.match("POST", "/apps/a/builds/B1", None)[2] == 405
    assert router.match("GET", "/apps/a/logs", None)[2] == 404
    assert router.match("GET", "/apps/a/logs", "websocket")[0] is not None
    assert router.match("POST", "/apps/a/logs", "websocket")[2] == 405
    assert router.match("GET", "//apps/a/builds/B1", None)[2] == 404
