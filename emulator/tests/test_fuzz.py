"""Property test: random parameters on every route never crash the emulator.

A 500 is only allowed where the real rack answers 500 (untyped errors: Kubernetes "not found"
texts, strconv/time parse errors and the like, section 3.3 of the spec).
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Tuple

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convox_emulator.server import Emulator
from convox_emulator.testing import EmulatorHandle

from .conftest import deploy, ws_frames

ALLOWED_500 = re.compile(
    r'(" not found$|^strconv\.|^no release for app: |^no such service: |^no such resource: |^parsing time |'
    r"^invalid certificate|^invalid private key|^gzip: invalid header|build\.json|already exists$|"
    r"^invalid app name: |^json: cannot unmarshal|^invalid character|^time: |^unable to upgrade|^dial tcp |"
    # the rack's untyped errors of the scale-override and triggers routes (autoscale.py)
    r"^service not found: |^unknown trigger type |^threshold must be positive$|^percent triggers must |"
    r"^threshold edits require |^HPA-backed override |^trigger \S+ not present |^at least one trigger |"
    r"^min must be |^max must be |^duplicate trigger type |^GPU autoscale requires |^CPU and memory triggers )"
)
PARAM_NAMES = [
    "name",
    "url",
    "lock",
    "parameters",
    "limit",
    "env",
    "build",
    "description",
    "parent-release",
    "force",
    "count",
    "cpu",
    "memory",
    "min",
    "max",
    "prefix",
    "kind",
    "app",
    "value",
    "pub",
    "key",
    "domains",
    "issuer",
    "duration",
    "generated",
    "role",
    "durationInHour",
    "server",
    "username",
    "password",
    "external",
    "manifest",
    "started",
    "ended",
    "status",
    "image",
    "timeout",
    "service",
    "release",
    "all",
    "start",
    "end",
    "period",
    "metrics",
    "id",
    "chain",
    "action",
    "data",
    "active",
    "opts",
    "type",
    "threshold",
]
HEADER_NAMES = [
    "Command",
    "Release",
    "Environment",
    "Cpu",
    "Memory",
    "Gpu",
    "Volumes",
    "Height",
    "Width",
    "Public",
    "Privileged",
    "Accept",
]
SAMPLE_VALUES = [
    "",
    '{"min": 1, "max": 3, "triggers": [{"type": "cpu", "threshold": 50}]}',
    '{"min": "x", "triggers": [{"type": 5}]}',
    "NaN",
    "1e400",
    "true",
    "false",
    "0",
    "-1",
    "10",
    "99999999999999999999",
    "myapp",
    "web",
    "RNOPE",
    "BNOPE",
    "a=b&c=d",
    "object://myapp/tmp/src.tgz",
    "..",
    "../x",
    "%zz",
    "a,b",
    "read",
    "admin",
    "4320h",
    "3d",
    "20240131.235959.000000000",
    "x" * 300,
    "\u00e9\u2028<&>",
    "letsencrypt",
    "webhook",
    "Url=https://example.com",
    "application/json",
]

ROUTES = [(r.method, r.pattern) for r in Emulator().router.routes if not r.socket]
SEGMENTS = ["myapp", "web", "db", "nope", "RNOPE", "BNOPE", "cert-x", "443", "x y", "%41", "\u00e9"]


@pytest.fixture(scope="module")
def fuzz_target(shared_emulator: EmulatorHandle, shared_client: httpx.Client) -> Iterator[EmulatorHandle]:
    shared_emulator.reset()
    deploy(shared_client, manifest="resources:\n  db:\n    type: postgres\nservices:\n  web:\n    port: 3000\n")
    yield shared_emulator
    shared_emulator.reset()


def _fill(pattern: str, values: List[str]) -> str:
    parts = iter(values)
    return re.sub(r"\{[^}]+\}", lambda _m: next(parts, "x"), pattern)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(ROUTES),
    segments=st.lists(
        st.sampled_from(SEGMENTS)
        | st.text(
            alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/?#"),
            min_size=1,
            max_size=8,
        ),
        min_size=4,
        max_size=4,
    ),
    params=st.dictionaries(
        st.sampled_from(PARAM_NAMES), st.sampled_from(SAMPLE_VALUES) | st.text(max_size=20), max_size=5
    ),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), st.sampled_from(SAMPLE_VALUES), max_size=3),
    body=st.binary(max_size=64),
)
def test_routes_never_crash(
    fuzz_target: EmulatorHandle,
    shared_client: httpx.Client,
    route: Tuple[str, str],
    segments: List[str],
    params: Dict[str, str],
    headers: Dict[str, str],
    body: bytes,
) -> None:
    method, pattern = route
    path = _fill(pattern, segments)
    safe_headers = {k: v for k, v in headers.items() if v.isascii() and "\n" not in v}
    if method in ("GET", "DELETE", "HEAD", "OPTIONS"):
        resp = shared_client.request(method, path, params=params, headers=safe_headers)
    elif body and not params:
        resp = shared_client.request(
            method, path, content=body, headers={**safe_headers, "Content-Type": "application/octet-stream"}
        )
    else:
        resp = shared_client.request(method, path, data=params, headers=safe_headers)
    text = resp.text.strip()
    assert "internal emulator error" not in text
    if resp.status_code == 500:
        if text.startswith("{"):
            text = resp.json()["error"]
        assert ALLOWED_500.search(text), f"{method} {path} {params} -> 500 {text!r}"
    assert resp.status_code in (200, 202, 400, 401, 403, 404, 405, 409, 422, 500, 501), resp.status_code
    if resp.status_code not in (404, 405) or resp.content:
        assert "request-id" in resp.headers


# Process log streams follow a service pod for as long as it lives, so they are left out here.
SOCKET_ROUTES = [r.pattern for r in Emulator().router.routes if r.socket and not r.pattern.endswith("{pid}/logs")]
SOCKET_HEADERS = [
    "Command",
    "Tty",
    "Disable-Stdin",
    "Entrypoint",
    "Height",
    "Width",
    "Follow",
    "Since",
    "Prefix",
    "Tail",
    "Filter",
    "Previous",
    "Maxlogrequests",
]
SOCKET_VALUES = ["", "true", "false", "0", "5", "x", "2m", "1ms", "3d", "echo hi", "sh -c 'exit 4'", "sleep 0", "'"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pattern=st.sampled_from(SOCKET_ROUTES),
    segments=st.lists(st.sampled_from(SEGMENTS[:7]), min_size=2, max_size=2),
    headers=st.dictionaries(st.sampled_from(SOCKET_HEADERS), st.sampled_from(SOCKET_VALUES), max_size=4),
)
def test_socket_routes_always_end_cleanly(
    fuzz_target: EmulatorHandle, pattern: str, segments: List[str], headers: Dict[str, str]
) -> None:
    headers = dict(headers, Follow="false")
    if "Command" not in headers and "exec" in pattern:
        headers["Command"] = "true"
    path = _fill(pattern, segments)
    frames = ws_frames(fuzz_target, path, headers, stop_after=200, send=[(2, b"")])
    assert frames[-1] == (2, b""), (path, headers, frames[-3:])
    for _opcode, data in frames:
        assert b"internal emulator error" not in data
        if data.startswith(b"ERROR: "):
            message = data[7:].decode().strip()
            assert not message.startswith("Traceback"), message
