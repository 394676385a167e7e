# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wire encoding, headers, retries, transport failures and TLS options."""

from __future__ import annotations

import datetime
import ssl
import traceback

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import transport as t
from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient
from ansible_collections.convox.convox.plugins.module_utils.credentials import Credentials

BASE = "https://rack.test"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime.timedelta(0), "0s"),
        (datetime.timedelta(minutes=2), "2m0s"),
        (datetime.timedelta(seconds=30), "30s"),
        (datetime.timedelta(hours=1, minutes=30), "1h30m0s"),
        (datetime.timedelta(hours=4320), "4320h0m0s"),
        (datetime.timedelta(seconds=1.5), "1.5s"),
        (datetime.timedelta(milliseconds=500), "500ms"),
        (datetime.timedelta(microseconds=1500), "1500us"),
        (datetime.timedelta(seconds=-5), "-5s"),
    ],
)
def test_go_duration(value, text):
    assert t.go_duration(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (512, "512"),
        (1.0, "1"),
        (0.25, "0.25"),
        ("a b", "a b"),
        (b"raw", "raw"),
        (["a", "b", "c"], "a,b,c"),
        (("x",), "x"),
        ({"b", "a"}, "a,b"),
        ({"k2": "v&2", "k1": "v 1"}, "k1=v+1&k2=v%262"),
        ({"on": True}, "on=true"),
        (datetime.datetime(2024, 1, 31, 23, 59, 59), "20240131.235959.000000000"),
        (
            datetime.datetime(2024, 1, 31, 23, 59, 59, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
            "20240131.215959.123456000",
        ),
        (datetime.date(2024, 2, 1), "20240201.000000.000000000"),
        (datetime.timedelta(seconds=90), "1m30s"),
    ],
)
def test_encode_value(value, text):
    assert t.encode_value(value) == text


def test_encode_value_rejects_objects():
    with pytest.raises(e.ConvoxInputError):
        t.encode_value(object())


def test_form_is_sorted_and_maps_double_encoded():
    assert t.encode_form({"z": 1, "parameters": {"BuildMem": "1024", "BuildCpu": "512"}, "a": None}) == (
        "parameters=BuildCpu%3D512%26BuildMem%3D1024&z=1"
    )
    assert t.encode_headers({"Environment": {"B": "2", "A": "1"}, "Tty": False, "Skip": None}) == {
        "Environment": "A=1&B=2",
        "Tty": "false",
    }


def test_path_helpers():
    assert t.build_path("apps", "my app", "builds") == "/apps/my%20app/builds"
    assert t.path_segment("a/b c", keep_slash=True) == "a/b%20c"
    assert t.path_segment("", keep_slash=True) == ""
    with pytest.raises(e.ConvoxInputError):
        t.build_path("apps", "")
    for bad in ("..", ".", "a/../b", "./x"):
        with pytest.raises(e.ConvoxInputError, match="invalid name"):
            t.path_segment(bad, keep_slash=True)


def test_parse_retry_after():
    assert t.parse_retry_after(None) is None
    assert t.parse_retry_after("7") == 7.0
    assert t.parse_retry_after("-3") == 0.0
    assert t.parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
    assert t.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert t.parse_retry_after("soon") is None


def _client(**kwargs):
    kwargs.setdefault("retries", 2)
    kwargs.setdefault("backoff", 0)
    host = kwargs.pop("host", BASE)
    password = kwargs.pop("password", "secret")
    client = ConvoxClient(host, password, config_dir="/nonexistent", **kwargs)
    client.transport.sleep = lambda seconds: None
    return client


def test_console_headers(router, monkeypatch):
    monkeypatch.delenv("CONVOX_ACTOR", raising=False)
    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    with _client(rack="acme/production", actor="deployer") as client:
        client.apps.list()
    sent = route.calls.last.request.headers
    assert sent["rack"] == "acme/production"
    assert sent["x-convox-actor"] == "deployer"
    assert sent["user-agent"] == "convox.go/3.24.9"
    assert sent["version"] == "3.24.9"
    assert "session" not in sent


def test_session_header_from_settings(router, tmp_path, monkeypatch):
    for name in ("RACK_URL", "CONVOX_HOST", "CONVOX_PASSWORD", "CONVOX_RACK", "CONVOX_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "session").write_text('{"rack.test": "sess-1"}', encoding="utf-8")
    (tmp_path / "auth").write_text('{"rack.test": "tok"}', encoding="utf-8")
    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    client = ConvoxClient(BASE, rack="acme/prod", config_dir=str(tmp_path))
    client.apps.list()
    sent = route.calls.last.request.headers
    assert sent["session"] == "sess-1"
    assert sent["authorization"] == "Basic Y29udm94OnRvaw=="
    assert "tok" not in repr(client) and "sess-1" not in repr(client.credentials)


def test_actor_from_environment(router, monkeypatch):
    monkeypatch.setenv("CONVOX_ACTOR", "ci-bot")
    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    with _client() as client:
        client.apps.list()
    assert route.calls.last.request.headers["x-convox-actor"] == "ci-bot"


def test_jwt_user_and_no_password(router):
    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    with _client(host="https://jwt:tok.en@rack.test", password=None) as client:
        client.apps.list()
    assert route.calls.last.request.headers["authorization"] == "Basic and0OnRvay5lbg=="
    with _client(password="") as client:
        client.apps.list()
    assert "authorization" not in route.calls.last.request.headers


def test_path_prefix_kept(router):
    route = router.get("/prefix/apps").mock(return_value=httpx.Response(200, json=[]))
    with _client(host="https://rack.test/prefix/") as client:
        client.apps.list()
    assert route.call_count == 1


def test_retry_503_on_get_then_success(client, router):
    route = router.get("/apps").mock(
        side_effect=[
            httpx.Response(503, text="metrics: server busy, retry shortly"),
            httpx.Response(502, text="bad gateway"),
            httpx.Response(200, json=[]),
        ]
    )
    assert client.apps.list() == []
    assert route.call_count == 3


def test_retry_gives_up_after_limit(client, router):
    route = router.get("/apps").mock(return_value=httpx.Response(504, text="gateway timeout"))
    with pytest.raises(e.ConvoxGatewayError) as info:
        client.apps.list()
    assert route.call_count == 3
    assert info.value.status_code == 504


def test_retry_after_is_honoured(router):
    delays = []
    route = router.get("/apps").mock(
        side_effect=[
            httpx.Response(429, text="slow down", headers={"Retry-After": "2"}),
            httpx.Response(429, text="slow down", headers={"Retry-After": "999"}),
            httpx.Response(200, json=[]),
        ]
    )
    with _client(backoff=0.5) as client:
        client.transport.sleep = delays.append
        client.apps.list()
    assert route.call_count == 3
    assert delays == [2.0, 30.0]


def test_backoff_is_exponential_with_jitter(router):
    delays = []
    router.get("/apps").mock(return_value=httpx.Response(503, text="busy"))
    with _client(backoff=1.0, retries=3) as client:
        client.transport.sleep = delays.append
        with pytest.raises(e.ConvoxGatewayError):
            client.apps.list()
    assert len(delays) == 3
    for attempt, delay in enumerate(delays):
        assert 0.5 * 2**attempt <= delay <= 1.5 * 2**attempt


def test_post_that_creates_is_not_retried_on_503(client, router):
    route = router.post("/apps/myapp/releases").mock(return_value=httpx.Response(503, text="busy"))
    with pytest.raises(e.ConvoxGatewayError):
        client.releases.create("myapp", env={"A": "1"})
    assert route.call_count == 1


def test_post_not_retried_after_connection_dropped(client, router):
    route = router.post("/apps/myapp/services/web/processes").mock(side_effect=httpx.ReadError("connection reset"))
    with pytest.raises(e.ConvoxConnectionError, match="ReadError"):
        client.processes.run("myapp", "web", command="x")
    assert route.call_count == 1


def test_post_retried_when_connection_never_opened(client, router):
    route = router.post("/apps").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"name": "a"})]
    )
    assert client.apps.create("a").name == "a"
    assert route.call_count == 2


def test_get_retried_after_dropped_connection(client, router):
    route = router.get("/apps").mock(
        side_effect=[httpx.RemoteProtocolError("server disconnected"), httpx.Response(200, json=[])]
    )
    assert client.apps.list() == []
    assert route.call_count == 2


def test_idempotent_put_retried(client, router):
    route = router.put("/apps/a").mock(side_effect=[httpx.Response(502), httpx.Response(200, text="ok\n")])
    client.apps.update("a", lock=True)
    assert route.call_count == 2


def test_jwt_rotate_not_retried(client, router):
    route = router.put("/system/jwt/rotate").mock(return_value=httpx.Response(503))
    with pytest.raises(e.ConvoxGatewayError, match="response status 503"):
        client.system.jwt_rotate()
    assert route.call_count == 1


def test_delete_404_after_retry_counts_as_done(client, router):
    route = router.delete("/apps/a").mock(
        side_effect=[httpx.ReadError("reset"), httpx.Response(404, text="app not found: a")]
    )
    assert client.apps.delete("a") is None
    assert route.call_count == 2


def test_delete_404_without_retry_raises(client, router):
    router.delete("/apps/a").mock(return_value=httpx.Response(404, text="app not found: a"))
    with pytest.raises(e.ConvoxNotFoundError):
        client.apps.delete("a")


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), e.ConvoxConnectionError),
        (httpx.ConnectTimeout("timed out"), e.ConvoxTimeoutError),
        (httpx.ReadTimeout("timed out"), e.ConvoxTimeoutError),
        (httpx.PoolTimeout("pool"), e.ConvoxTimeoutError),
        (httpx.RemoteProtocolError("bad"), e.ConvoxConnectionError),
        (httpx.UnsupportedProtocol("nope"), e.ConvoxConnectionError),
    ],
)
def test_no_httpx_exception_escapes(client, router, exc, cls):
    route = router.get("/apps").mock(side_effect=exc)
    with pytest.raises(cls) as info:
        client.apps.list()
    assert route.call_count == 3
    assert not isinstance(info.value, httpx.HTTPError)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__
    assert "GET https://rack.test/apps" in str(info.value)


def test_password_never_in_errors(router):
    secret = "S3cr3t-P4ss"
    router.get("/apps").mock(side_effect=httpx.ConnectError(f"failed for convox:{secret}@rack.test"))
    router.get("/system").mock(return_value=httpx.Response(500, text=f"boom {secret}"))
    client = _client(host=f"https://convox:{secret}@rack.test", password=None)
    for call in (client.apps.list, client.system.get):
        with pytest.raises(e.ConvoxError) as info:
            call()
        text = (
            str(info.value)
            + repr(info.value)
            + "".join(traceback.format_exception(type(info.value), info.value, info.value.__traceback__))
        )
        assert secret not in text
    assert secret not in repr(client) + repr(client.transport) + repr(client.credentials) + repr(client.api)
    assert secret not in repr(client.apps)


def test_error_carries_request_id(client, router):
    router.get("/apps/x").mock(
        return_value=httpx.Response(404, json={"error": "app not found: x"}, headers={"Request-Id": "abcdef123456"})
    )
    with pytest.raises(e.ConvoxNotFoundError) as info:
        client.apps.get("x")
    assert info.value.request_id == "abcdef123456"
    assert info.value.path == "/apps/x"
    assert info.value.method == "GET"


def test_weak_role_is_forbidden(client, router):
    router.delete("/apps/x").mock(return_value=httpx.Response(401, text="you are unauthorized to access this\n"))
    with pytest.raises(e.ConvoxForbiddenError):
        client.apps.delete("x")


def test_decode_body_variants():
    assert t.decode_body(httpx.Response(200, text="ok\n")) == "ok"
    assert t.decode_body(httpx.Response(200, content=b'{"a": 1}')) == {"a": 1}
    assert t.decode_body(httpx.Response(200, content=b"[1]", headers={"content-type": "text/plain"})) == [1]
    assert t.decode_body(httpx.Response(200, content=b"{broken", headers={"content-type": "application/json"})) == (
        "{broken"
    )
    assert t.decode_body(httpx.Response(200, content=b"")) == ""


def test_api_relative_path(client, router):
    route = router.get("/system").mock(return_value=httpx.Response(200, json={"name": "r"}))
    assert client.api.get("system") == {"name": "r"}
    assert route.call_count == 1


def test_per_request_timeout(client, router):
    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    client.transport.request("GET", "/apps", timeout=1.5)
    assert route.calls.last.request.extensions["timeout"]["read"] == 1.5


def test_tls_options(tmp_path):
    creds = Credentials(url=BASE, password="x")
    assert isinstance(t.Transport(creds).ssl_verify(), ssl.SSLContext)
    assert t.Transport(creds).ssl_verify() is t.default_ssl_context()
    assert t.Transport(creds, verify=False).ssl_verify() is False
    with pytest.raises(e.ConvoxInputError, match="CA bundle"):
        t.Transport(creds, ca_path=str(tmp_path / "missing.pem"))
    with pytest.raises(e.ConvoxInputError):
        t.Transport(creds, retries=-1)


def test_ws_url():
    assert t.Transport(Credentials(url="https://h:5443/p"), verify=False).ws_url("/x") == "wss://h:5443/p/x"
    assert t.Transport(Credentials(url="http://h"), verify=False).ws_url("/x") == "ws://h/x"


def test_parse_session_challenge():
    assert t.parse_session_challenge('Session path="/session" token="false"') == ("/session", False)
    assert t.parse_session_challenge('Session path="/u2f" token="true"') == ("/u2f", True)
    assert t.parse_session_challenge('Basic realm="convox"') is None
    assert t.parse_session_challenge('Session token="false"') is None
    assert t.parse_session_challenge(None) is None


def test_console_session_challenge_is_answered(router):
    challenge = {"WWW-Authenticate": 'Session path="/session" token="false"'}
    apps = router.get("/apps").mock(
        side_effect=[httpx.Response(401, text="session required", headers=challenge), httpx.Response(200, json=[])]
    )
    session = router.post("/session").mock(return_value=httpx.Response(200, json={"id": "sess-42"}))
    with _client(rack="acme/prod") as client:
        assert client.apps.list() == []
        assert client.transport.headers["Session"] == "sess-42"
    assert session.calls.last.request.content == b""
    assert "rack" not in session.calls.last.request.headers
    assert apps.calls.last.request.headers["session"] == "sess-42"
    assert "session" not in apps.calls[0].request.headers


def test_console_session_challenge_needing_a_security_key(router):
    challenge = {"WWW-Authenticate": 'Session path="/session/u2f" token="true"'}
    router.get("/apps").mock(return_value=httpx.Response(401, text="session required", headers=challenge))
    with _client(rack="acme/prod") as client, pytest.raises(e.ConvoxAuthError, match="convox login"):
        client.apps.list()


def test_console_session_challenge_only_once(router):
    challenge = {"WWW-Authenticate": 'Session path="/session" token="false"'}
    apps = router.get("/apps").mock(return_value=httpx.Response(401, text="still no", headers=challenge))
    router.post("/session").mock(return_value=httpx.Response(200, json={"id": "s"}))
    with _client(rack="acme/prod") as client, pytest.raises(e.ConvoxAuthError, match="still no"):
        client.apps.list()
    assert apps.call_count == 2


def test_console_session_without_id(router):
    challenge = {"WWW-Authenticate": 'Session path="/session" token="false"'}
    router.get("/apps").mock(return_value=httpx.Response(401, text="x", headers=challenge))
    router.post("/session").mock(return_value=httpx.Response(200, text="ok\n"))
    with _client(rack="acme/prod") as client, pytest.raises(e.ConvoxAuthError, match="did not open a session"):
        client.apps.list()


def test_post_retried_after_429_with_retry_after(router):
    # A 429 with Retry-After is the rack refusing before it acts: a create may be sent again.
    delays = []
    route = router.post("/apps").mock(
        side_effect=[
            httpx.Response(429, text="slow down", headers={"Retry-After": "1"}),
            httpx.Response(200, json={"name": "a"}),
        ]
    )
    with _client() as client:
        client.transport.sleep = delays.append
        assert client.apps.create("a").name == "a"
    assert route.call_count == 2
    assert delays == [1.0]


def test_post_not_retried_after_429_without_retry_after(client, router):
    route = router.post("/apps/myapp/releases").mock(return_value=httpx.Response(429, text="slow down"))
    with pytest.raises(e.ConvoxGatewayError):
        client.releases.create("myapp", env={"A": "1"})
    assert route.call_count == 1


@pytest.mark.parametrize("timeout", [0, -1, -0.5])
def test_timeout_must_be_positive(timeout):
    with pytest.raises(e.ConvoxInputError, match="timeout must be more than 0 seconds") as info:
        _client(timeout=timeout)
    assert info.value.field == "timeout"


@pytest.mark.parametrize("host", ["http://convox:p@ss:w/rd@rack.test:5443", "http://convox:pw@rack.test:port"])
def test_host_with_unencoded_user_info_is_refused_without_echo(host):
    with pytest.raises(e.ConvoxInputError) as info:
        _client(host=host, password=None)
    assert info.value.field == "host"
    assert "percent-encode" in str(info.value)
    for fragment in ("p@ss", "w/rd", ":pw@"):
        assert fragment not in str(info.value)
