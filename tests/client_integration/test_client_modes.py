# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Console-managed racks, legacy (pre-3.24.1) racks, TLS, injected faults and broken streams."""

from __future__ import annotations

import json
import ssl
import threading
import time
from urllib.parse import urlsplit

import pytest
from client_helpers import connect, deploy, sent

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import waits
from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

ADMIN_KEY = "key-admin-0a1b2c"
READ_KEY = "key-read-3d4e5f"


@pytest.fixture(scope="module")
def console():
    from convox_emulator.testing import start_emulator

    handle = start_emulator(
        password="",
        console=True,
        racks=["acme/prod", "acme/dev"],
        api_keys={ADMIN_KEY: "admin", READ_KEY: "read"},
        delay_scale=0.02,
    )
    yield handle
    handle.stop()


def test_console_routing_headers(console):
    console.reset()
    with ConvoxClient(console.url, ADMIN_KEY, "acme/prod", config_dir="/nonexistent", retries=0) as prod:
        prod.apps.create("web-prod")
    with ConvoxClient(console.url, ADMIN_KEY, "acme/dev", config_dir="/nonexistent", retries=0) as dev:
        assert dev.apps.list() == []
    state = console.state()["racks"]
    assert "web-prod" in json.dumps(state["acme/prod"])
    assert "web-prod" not in json.dumps(state["acme/dev"])
    first = console.requests()[0]
    assert first["headers"]["Rack"] == "acme/prod"
    assert first["headers"]["User-Agent"] == "convox.go/3.24.9"
    assert first["headers"]["Version"] == "3.24.9"
    assert first["rack"] == "acme/prod"


def test_console_from_cli_settings(console, tmp_path):
    console.reset()
    host = urlsplit(console.url).netloc
    settings = tmp_path / "convox"
    settings.mkdir()
    (settings / "console").write_text(console.url, encoding="utf-8")
    (settings / "auth").write_text(json.dumps({host: ADMIN_KEY}), encoding="utf-8")
    (settings / "current").write_text(json.dumps({"name": "acme/dev", "type": "console"}), encoding="utf-8")
    (settings / "session").write_text(json.dumps({host: "session-123"}), encoding="utf-8")
    with ConvoxClient(config_dir=str(settings), retries=0) as client:
        assert client.rack == "acme/dev"
        assert client.system.get().status == "running"
    headers = console.requests()[-1]["headers"]
    assert (headers["Rack"], headers["Session"]) == ("acme/dev", "session-123")


def test_console_from_environment(console, monkeypatch):
    console.reset()
    monkeypatch.setenv("CONVOX_HOST", console.url)
    monkeypatch.setenv("CONVOX_PASSWORD", ADMIN_KEY)
    monkeypatch.setenv("CONVOX_RACK", "acme/prod")
    with ConvoxClient(config_dir="/nonexistent", retries=0) as client:
        assert client.apps.list() == []
    assert console.requests()[-1]["headers"]["Rack"] == "acme/prod"


def test_console_roles_and_unknown_rack(console):
    console.reset()
    with ConvoxClient(console.url, READ_KEY, "acme/prod", config_dir="/nonexistent", retries=0) as reader:
        assert reader.apps.list() == []
        with pytest.raises(e.ConvoxForbiddenError, match="unauthorized"):
            reader.apps.create("nope")
        with pytest.raises(e.ConvoxForbiddenError):
            reader.resources.types()  # OPTIONS counts as a write
    with (
        ConvoxClient(console.url, "wrong-key", "acme/prod", config_dir="/nonexistent", retries=0) as bad,
        pytest.raises(e.ConvoxAuthError),
    ):
        bad.apps.list()
    with (
        ConvoxClient(console.url, ADMIN_KEY, "acme/nope", config_dir="/nonexistent", retries=0) as lost,
        pytest.raises(e.ConvoxNotFoundError, match="rack not found"),
    ):
        lost.apps.list()


@pytest.fixture(scope="module")
def legacy():
    from convox_emulator.testing import start_emulator

    handle = start_emulator(password="legacy-pw", legacy=True, delay_scale=0.02)
    yield handle
    handle.stop()


def test_legacy_rack_errors_map_by_message(legacy, tmp_path):
    legacy.reset()
    with connect(legacy) as client:
        assert client.system.get().version == "3.24.0"
        with pytest.raises(e.ConvoxNotFoundError, match="app not found") as info:
            client.apps.get("nope")
        assert info.value.status_code == 500
        client.apps.create("myapp")
        with pytest.raises(e.ConvoxConflictError, match="already exists") as info:
            client.apps.create("myapp")
        assert info.value.status_code == 500
        with pytest.raises(e.ConvoxValidationError, match="reserved"):
            client.apps.create("rack")
        with pytest.raises(e.ConvoxNotFoundError):
            client.releases.get("myapp", "RNOPENOPENO")
        with pytest.raises(e.ConvoxNotFoundError):
            client.registries.remove("nowhere.example.com")
        waits.wait_app_running(client, "myapp", interval=0.2)
        client.apps.delete("myapp")
        waits.wait_app_deleted(client, "myapp", interval=0.2)
    # legacy racks answer text even though the client asks for JSON
    assert sent(legacy, "GET", "/apps/nope")[0]["headers"]["Accept"] == "application/json"


@pytest.fixture(scope="module")
def tls_rack():
    from convox_emulator.testing import start_emulator

    handle = start_emulator(password="tls-pw", tls=True, delay_scale=0.02)
    yield handle
    handle.stop()


def test_tls_verified_by_default(tls_rack):
    with (
        connect(tls_rack, retries=0) as client,
        pytest.raises(e.ConvoxConnectionError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.system.get()


def test_tls_verify_false(tls_rack, tmp_path):
    tls_rack.reset()
    with connect(tls_rack, verify=False) as client:
        assert client.system.get().status == "running"
        deploy(client, "myapp", tmp_path / "src")
        result = client.processes.run_attached("myapp", "web", "echo secure", timeout=60)
        assert (result.text, result.exit_code) == ("secure\n", 0)


def test_tls_ca_path(tls_rack, tmp_path):
    split = urlsplit(tls_rack.url)
    pem = ssl.get_server_certificate((split.hostname, split.port))
    ca = tmp_path / "ca.pem"
    ca.write_text(pem, encoding="utf-8")
    with connect(tls_rack, ca_path=str(ca)) as client:
        assert client.system.get().status == "running"
        client.apps.create("secure")
        with pytest.raises(e.ConvoxStreamError, match="not found"):
            client.processes.exec("secure", "web-xxxxx", "echo hi")
    other = tmp_path / "other.pem"
    from convox_emulator.tls import self_signed

    other.write_bytes(self_signed()[0])
    with connect(tls_rack, ca_path=str(other), retries=0) as client, pytest.raises(e.ConvoxConnectionError):
        client.system.get()


def test_unreachable_rack():
    with (
        ConvoxClient("http://127.0.0.1:9", "pw", retries=1, backoff=0.01, config_dir="/nonexistent") as client,
        pytest.raises(e.ConvoxConnectionError, match="cannot connect"),
    ):
        client.apps.list()


# -- faults ------------------------------------------------------------------------------------


def test_503_on_reads_is_retried(client, rack):
    rack.fault(method="GET", path="/apps", status=503, body="busy", times=2)
    assert client.apps.list() == []
    assert [r["status"] for r in sent(rack, "GET", "/apps")] == [503, 503, 200]


def test_retry_after_header(client, rack):
    rack.fault(method="GET", path="/system", status=429, body="slow down", headers={"Retry-After": "0"}, times=1)
    assert client.system.get().status == "running"
    assert len(sent(rack, "GET", "/system")) == 2


def test_too_many_failures_surface(client, rack):
    rack.fault(method="GET", path="/apps", status=502, body="bad gateway", times=5)
    with pytest.raises(e.ConvoxGatewayError, match="bad gateway"):
        client.apps.list()
    assert len(sent(rack, "GET", "/apps")) == 3


def test_dropped_connection_on_read_is_retried(client, rack):
    rack.fault(method="GET", path="/system", action="drop", times=1)
    assert client.system.get().status == "running"


def test_dropped_connection_on_create_is_not_retried(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    before = len(client.releases.list("myapp", limit=100))
    rack.fault(method="POST", path="/apps/myapp/releases", action="drop", times=1)
    with pytest.raises(e.ConvoxConnectionError):
        client.environment.set("myapp", {"A": "1"})
    assert len(sent(rack, "POST", "/apps/myapp/releases")) == 1
    assert len(client.releases.list("myapp", limit=100)) == before


def test_503_on_create_is_not_retried(client, rack):
    rack.fault(method="POST", path="/apps", status=503, body="busy", times=1)
    with pytest.raises(e.ConvoxGatewayError):
        client.apps.create("myapp")
    assert len(sent(rack, "POST", "/apps")) == 1


def test_malformed_json(client, rack):
    rack.fault(method="GET", path="/system", action="malformed", times=1)
    with pytest.raises(e.ConvoxError):
        client.system.get()


def test_slow_answer_times_out(rack):
    rack.reset()
    rack.fault(method="GET", path="/system", delay=2, status=200, body="{}", times=1)
    with connect(rack, timeout=0.3, retries=0) as client, pytest.raises(e.ConvoxTimeoutError):
        client.system.get()


# -- streams -------------------------------------------------------------------------------------


def test_run_attached_timeout_deletes_process(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    started = time.monotonic()
    with pytest.raises(e.ConvoxTimeoutError):
        client.processes.run_attached("myapp", "web", "sleep 30", timeout=2)
    assert time.monotonic() - started < 15
    run = sent(rack, "POST", "/apps/myapp/services/web/processes")[0]
    pid_paths = [r["path"] for r in sent(rack, "DELETE")]
    assert run["headers"]["Command"] == "sleep 2"
    assert any(path.startswith("/apps/myapp/processes/web-") for path in pid_paths)


def test_lost_stream_is_an_error(tmp_path):
    from convox_emulator.testing import start_emulator

    handle = start_emulator(password="lost-pw", delay_scale=0.02)
    try:
        client = connect(handle, retries=0)
        deploy(client, "myapp", tmp_path / "src")
        process = client.processes.run("myapp", "web", command="sleep 60")
        waits.wait_process_status(client, "myapp", process.id, ["running"], interval=0.2)
        outcome = {}

        def run():
            try:
                client.processes.exec("myapp", process.id, "sh -c 'echo started; sleep 20'", timeout=30)
            except e.ConvoxError as exc:
                outcome["error"] = exc

        worker = threading.Thread(target=run)
        worker.start()
        time.sleep(1.0)
        handle.stop()
        worker.join(timeout=30)
        assert isinstance(outcome.get("error"), e.ConvoxStreamError)
        assert "exit code" in str(outcome["error"])
        assert outcome["error"].exit_code is None
    finally:
        handle.stop()
