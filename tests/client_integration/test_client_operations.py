# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every client operation against the emulator, checked against the emulator's state and request log."""

from __future__ import annotations

import datetime
import gzip
import io
import tarfile

import pytest
from client_helpers import MANIFEST, PASSWORD, connect, deploy, sent, source_dir

from ansible_collections.convox.convox.plugins.module_utils import errors as e
from ansible_collections.convox.convox.plugins.module_utils import models, waits


def test_apps_lifecycle(client, rack):
    app = client.apps.create("myapp")
    assert (app.name, app.status) == ("myapp", "updating")
    assert waits.wait_app_running(client, "myapp", interval=0.2).status == "running"
    assert [a.name for a in client.apps.list()] == ["myapp"]
    client.apps.update("myapp", lock=True, parameters={"BuildMem": "1024"})
    waits.wait_app_running(client, "myapp", interval=0.2)
    got = client.apps.get("myapp")
    assert got.locked is True
    assert got.parameters.get("BuildMem") == "1024"
    with pytest.raises(e.ConvoxConflictError, match="app is locked"):
        client.apps.delete("myapp")
    with pytest.raises(e.ConvoxConflictError, match="already exists"):
        client.apps.create("myapp")
    with pytest.raises(e.ConvoxValidationError, match="reserved"):
        client.apps.create("system")
    client.apps.update("myapp", lock=False)
    waits.wait_app_running(client, "myapp", interval=0.2)
    client.apps.delete("myapp")
    waits.wait_app_deleted(client, "myapp", interval=0.2)
    with pytest.raises(e.ConvoxNotFoundError, match="app not found: myapp") as info:
        client.apps.get("myapp")
    assert info.value.request_id and len(info.value.request_id) == 12
    form = sent(rack, "PUT", "/apps/myapp")[0]["form"]
    assert form == {"lock": "true", "parameters": "BuildMem=1024"}


def test_cancel():
    from convox_emulator.testing import start_emulator

    # a slow rack, so that the app is still updating when the cancel arrives
    with start_emulator(password="slow-pw", delay_scale=10) as slow, connect(slow) as client:
        client.apps.create("myapp")
        client.apps.cancel("myapp")
        assert sent(slow, "POST", "/apps/myapp/cancel")[0]["status"] == 200
        waits.wait_app_running(client, "myapp", interval=0.5, fail_on_rollback=False, timeout=60)
        with pytest.raises(e.ConvoxConflictError, match="app is not updating") as info:
            client.apps.cancel("myapp")
        assert info.value.status_code == 403


def test_builds_releases_and_deploy(client, rack, tmp_path):
    build, release_id = deploy(client, "myapp", tmp_path / "src")
    assert build.status == "complete" and release_id
    app = client.apps.get("myapp")
    assert (app.status, app.release) == ("running", release_id)
    stored = sent(rack, "POST")
    uploads = [r for r in stored if r["path"].startswith("/apps/myapp/objects/tmp/")]
    assert len(uploads) == 1 and uploads[0]["headers"]["Content-Type"] == "application/octet-stream"
    create = next(r for r in stored if r["path"] == "/apps/myapp/builds")
    assert create["form"]["url"].startswith("object://myapp/tmp/")
    assert create["form"]["description"] == "test build"
    # the uploaded tarball honoured .dockerignore
    key = uploads[0]["path"][len("/apps/myapp/objects/") :]
    with tarfile.open(fileobj=io.BytesIO(client.objects.fetch("myapp", key)), mode="r:gz") as tar:
        assert "debug.log" not in tar.getnames() and "convox.yml" in tar.getnames()
    builds = client.builds.list("myapp", limit=5)
    assert [b.id for b in builds] == [build.id]
    assert client.builds.get("myapp", build.id.lower()).id == build.id
    logs = client.builds.logs("myapp", build.id)
    assert logs.strip()
    releases = client.releases.list("myapp")
    assert releases[0].id == release_id
    assert client.releases.get("myapp", release_id).build == build.id
    assert "web" in client.releases.get("myapp", release_id).manifest
    exported = client.builds.export("myapp", build.id)
    assert gzip.decompress(exported)
    imported = client.builds.import_build("myapp", exported)
    assert imported.status == "complete" and imported.release
    updated = client.builds.update("myapp", build.id, description="renamed")
    assert isinstance(updated, models.Build)


def test_build_failure_reports_log_tail(client, rack, tmp_path):
    client.apps.create("myapp")
    waits.wait_app_running(client, "myapp", interval=0.2)
    root = source_dir(tmp_path / "src", MANIFEST + "# emulator: fail-build\n")
    build = client.builds.create_from_directory("myapp", root)
    with pytest.raises(e.ConvoxBuildFailedError) as info:
        waits.wait_build_finished(client, "myapp", build.id, interval=0.2)
    assert info.value.build_id == build.id
    assert "fail" in info.value.log_tail


def test_promote_rollback_is_reported(client, rack, tmp_path):
    _build, good = deploy(client, "myapp", tmp_path / "good")
    bad_build = client.builds.create_from_directory(
        "myapp", source_dir(tmp_path / "bad", MANIFEST + "# emulator: fail-promote\n")
    )
    bad_build = waits.wait_build_finished(client, "myapp", bad_build.id, interval=0.2)
    with pytest.raises(e.ConvoxRollbackError) as info:
        client.releases.promote("myapp", bad_build.release, wait=True, timeout=60)
    assert info.value.release == bad_build.release
    assert bad_build.release in str(info.value)
    app = waits.wait_app_running(client, "myapp", interval=0.2)
    assert app.release == good


def test_rollback_copies_forward(client, rack, tmp_path):
    _build, first = deploy(client, "myapp", tmp_path / "one")
    client.environment.set("myapp", {"A": "1"}, promote=True, wait=True, timeout=60)
    copy = client.releases.rollback("myapp", first, wait=True, timeout=60)
    assert copy.id not in (first,)
    assert client.apps.get("myapp").release == copy.id
    assert client.environment.get("myapp") == {}
    form = sent(rack, "POST", "/apps/myapp/releases")[-1]["form"]
    assert form["parent-release"] == first
    with pytest.raises(e.ConvoxValidationError, match="older release"):
        client.releases.promote("myapp", first)


def test_environment(client, rack, tmp_path):
    _build, active = deploy(client, "myapp", tmp_path / "src")
    assert client.environment.get("myapp") == {}
    r1 = client.environment.set("myapp", {"FOO": "bar", "SECRET": "s3"})
    assert client.environment.get("myapp") == {}  # not promoted yet: the active release is unchanged
    assert client.environment.get("myapp", latest=True) == {"FOO": "bar", "SECRET": "s3"}
    assert client.environment.get("myapp", release=r1.id)["FOO"] == "bar"
    assert sent(rack, "POST", "/apps/myapp/releases")[-1]["form"] == {
        "env": "FOO=bar\nSECRET=s3",
        "parent-release": active,
    }
    # forked from the active release, not from r1
    r2 = client.environment.set("myapp", {"ONLY": "1"}, promote=True, wait=True, timeout=60)
    assert client.environment.get("myapp") == {"ONLY": "1"}
    assert client.apps.get("myapp").release == r2.id
    before = len(sent(rack, "POST", "/apps/myapp/releases"))
    assert client.environment.set("myapp", {"ONLY": "1"}).id == r2.id
    assert len(sent(rack, "POST", "/apps/myapp/releases")) == before
    r3 = client.environment.unset("myapp", ["ONLY"], promote=True, wait=True, timeout=60)
    assert client.environment.get("myapp") == {} and r3.id != r2.id
    r4 = client.environment.set("myapp", {"X": "1", "Y": "2"}, replace=True, latest=True)
    assert client.environment.get("myapp", release=r4.id) == {"X": "1", "Y": "2"}
    plan = client.environment.plan("myapp", {"X": "9"}, remove=["Y"], latest=True)
    assert (plan.changed, plan.removed) == (["X"], ["Y"])
    # the build of the active release is kept: env changes never deploy another build
    assert client.releases.get("myapp", r3.id).build == client.releases.get("myapp", active).build


def test_services(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    services = client.services.list("myapp")
    assert [s.name for s in services] == ["web"]
    client.services.update("myapp", "web", count=2, cpu=256, memory=512)
    web = client.services.list("myapp")[0]
    assert (web.count, web.cpu, web.memory) == (2, 256, 512)
    client.services.restart("myapp", "web")
    with pytest.raises(e.ConvoxNotFoundError):
        client.services.update("myapp", "nope", count=1)
    with pytest.raises(e.ConvoxNotFoundError):
        client.services.restart("myapp", "nope")


def test_service_scale_override_and_triggers(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    web = client.services.list("myapp")[0]
    assert (web.scale_override_active, web.triggers_override_active) == (False, False)
    client.services.scale_override("myapp", "web", True)
    client.services.triggers_enable("myapp", "web", min=2, max=5, triggers=[{"type": "cpu", "threshold": 60}])
    web = client.services.list("myapp")[0]
    assert (web.scale_override_active, web.triggers_override_active) == (True, True)
    assert (web.count, web.min, web.max, web.autoscale.enabled, web.autoscale.cpu_threshold) == (2, 2, 5, True, 60)
    client.services.triggers_threshold("myapp", "web", "memory", 75)
    assert client.services.list("myapp")[0].autoscale.mem_threshold == 75
    state = rack.rack_state()["apps"]["myapp"]
    assert state["scale_overrides"] == ["web"]
    assert state["triggers_overrides"]["web"]["triggers"] == {"cpu": 60.0, "memory": 75.0}
    assert sent(rack, "POST", "/apps/myapp/services/web/triggers/enable")[0]["form"] == {
        "opts": '{"min":2,"max":5,"triggers":[{"type":"cpu","threshold":60}]}'
    }
    client.services.triggers_disable("myapp", "web")
    client.services.scale_override("myapp", "web", False)
    web = client.services.list("myapp")[0]
    assert (web.scale_override_active, web.triggers_override_active, web.autoscale) == (False, False, None)
    with pytest.raises(e.ConvoxError, match="threshold edits require an active triggers override"):
        client.services.triggers_threshold("myapp", "web", "cpu", 50)
    with pytest.raises(e.ConvoxError, match="max must be >= min"):
        client.services.triggers_enable("myapp", "web", min=3, max=2, triggers=[{"type": "cpu", "threshold": 60}])
    with pytest.raises(e.ConvoxNotFoundError):
        client.services.triggers_disable("myapp", "nope")


def test_processes(client, rack, tmp_path):
    _build, release = deploy(client, "myapp", tmp_path / "src")
    process = client.processes.run("myapp", "web", command="sleep 30", environment={"A": "1"}, memory=128)
    assert process.id.startswith("web-")
    running = waits.wait_process_status(client, "myapp", process.id, ["running"], interval=0.2)
    assert running.release == release
    ids = [p.id for p in client.processes.list("myapp")]
    assert process.id in ids
    assert [p.id for p in client.processes.list("myapp", service="web", release=release)]
    assert client.processes.get("myapp", process.id).status == "running"
    result = client.processes.exec("myapp", process.id, ["sh", "-c", "echo $A; exit 4"])
    assert (result.text, result.exit_code) == ("1\n", 4)
    client.processes.stop("myapp", process.id)
    headers = sent(rack, "POST", "/apps/myapp/services/web/processes")[0]["headers"]
    assert (headers["Command"], headers["Environment"], headers["Memory"]) == ("sleep 30", "A=1", "128")
    with pytest.raises(e.ConvoxNotFoundError):
        client.processes.get("myapp", "web-nope1")


def test_run_attached(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    result = client.processes.run_attached(
        "myapp", "web", ["sh", "-c", "printf 'a\\xffb'; exit 3"], environment={"X": "y"}, timeout=60
    )
    assert result.exit_code == 3
    assert result.output == b"a\xffb"
    ok = client.processes.run_attached("myapp", "web", "echo fine", timeout=60)
    assert (ok.text, ok.exit_code) == ("fine\n", 0)
    missing = client.processes.run_attached("myapp", "web", "no-such-binary", timeout=60)
    assert missing.exit_code == 127
    # every process started for a run was deleted afterwards
    deletes = {r["path"] for r in sent(rack, "DELETE")}
    for pid in (result.process_id, ok.process_id, missing.process_id):
        assert f"/apps/myapp/processes/{pid}" in deletes
    exec_headers = next(r for r in rack.requests() if r["websocket"])["headers"]
    assert (exec_headers["Tty"], exec_headers["Disable-Stdin"], exec_headers["Entrypoint"]) == ("false", "true", "true")


def test_exec_errors_are_raised(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    with pytest.raises(e.ConvoxStreamError, match="not found"):
        client.processes.exec("myapp", "web-zzzzz", "echo hi")
    with pytest.raises(e.ConvoxStreamError, match="app not found"):
        client.processes.exec("nope", "web", "echo hi")


def test_resources(client, rack, tmp_path):
    deploy(client, "myapp", tmp_path / "src")
    assert client.resources.list("myapp") == []
    hook = client.resources.create("webhook", name="hook", parameters={"Url": "https://hooks.example.com/x"})
    assert hook.name == "hook"
    assert waits.wait_resource_running(client, "hook", interval=0.2).status == "running"
    assert [r.name for r in client.resources.list()] == ["hook"]
    assert client.resources.get("hook").parameters["Url"] == "https://hooks.example.com/x"
    assert [t.name for t in client.resources.types()] == ["webhook"]
    with pytest.raises(e.ConvoxValidationError, match="unavailable on v3"):
        client.resources.update("hook", {"Url": "https://other.example.com"})
    with pytest.raises(e.ConvoxValidationError):
        client.resources.link("hook", "myapp")
    with pytest.raises(e.ConvoxValidationError):
        client.resources.unlink("hook", "myapp")
    with pytest.raises(e.ConvoxConflictError, match="already exists"):
        client.resources.create("webhook", name="hook", parameters={"Url": "https://hooks.example.com/y"})
    with pytest.raises(e.ConvoxValidationError, match="parameter required: Url"):
        client.resources.create("webhook")
    client.resources.delete("hook")
    waits.wait_resource_deleted(client, "hook", interval=0.2)
    with pytest.raises(e.ConvoxNotFoundError):
        client.resources.get("db", app="myapp")


def test_instances(client, rack):
    instances = client.instances.list()
    assert instances and instances[0].id
    pair = client.instances.keyroll()
    assert pair is None or isinstance(pair, models.KeyPair)
    client.instances.terminate(instances[0].id)
    with pytest.raises(e.ConvoxNotFoundError):
        client.instances.terminate("no-such-node")


def test_registries(client, rack):
    added = client.registries.add("registry.example.com/team", "user", "pw")
    assert added.server == "registry.example.com/team"
    assert [r.server for r in client.registries.list()] == ["registry.example.com/team"]
    client.registries.remove("registry.example.com/team")
    assert client.registries.list() == []
    with pytest.raises(e.ConvoxNotFoundError, match="no such registry"):
        client.registries.remove("registry.example.com/team")


def test_certificates(client, rack, tmp_path):
    generated = client.certificates.generate("app.example.com", duration=datetime.timedelta(hours=24))
    assert generated.domain == "app.example.com"
    listed = client.certificates.list()
    assert generated.id in [c.id for c in listed]
    pem = sent(rack)  # keep the log small for the import below
    assert pem
    client.certificates.list(generated=True)
    assert sent(rack, "GET", "/certificates")[-1]["query"] == {"generated": "true"}
    client.certificates.delete(generated.id)
    assert generated.id not in [c.id for c in client.certificates.list()]
    with pytest.raises(e.ConvoxValidationError):
        client.certificates.generate(["a.example.com", "b.example.com"])
    deploy(client, "myapp", tmp_path / "src")
    client.certificates.renew("myapp")
    with pytest.raises(e.ConvoxNotImplementedError):
        client.certificates.apply("myapp", "web", 443, "cert-x")


def test_certificate_import(client, rack):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imported.example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pub = cert.public_bytes(serialization.Encoding.PEM).decode()
    priv = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    created = client.certificates.create(pub, priv)
    assert created.id.startswith("cert-")
    assert created.domain == "imported.example.com"


def test_system(client, rack):
    system = client.system.get()
    assert system.version == "3.24.9" and system.status == "running"
    assert client.system.capacity().cluster_cpu > 0
    assert isinstance(client.system.processes(all=True), list)
    assert isinstance(client.system.metrics(period=60), list)
    with pytest.raises(e.ConvoxNotImplementedError):
        client.system.releases()
    with pytest.raises(e.ConvoxNotImplementedError):
        client.system.update(count=3)
    config = client.system.letsencrypt_config()
    config.role = "arn:aws:iam::1:role/dns"
    client.system.letsencrypt_config_set(config)
    assert client.system.letsencrypt_config().role == "arn:aws:iam::1:role/dns"


def test_jwt_tokens(client, rack):
    token = client.system.jwt("read", 1)
    with connect(rack, password=None) as anonymous, pytest.raises(e.ConvoxAuthError):
        anonymous.apps.list()
    host = rack.url.replace("://", f"://jwt:{token}@")
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    with ConvoxClient(host, retries=0, config_dir="/nonexistent") as jwt_client:
        assert jwt_client.apps.list() == []
        with pytest.raises(e.ConvoxForbiddenError, match="unauthorized"):
            jwt_client.apps.create("nope")
    with pytest.raises(e.ConvoxValidationError):
        client.system.jwt("root", 1)
    client.system.jwt_rotate()
    with ConvoxClient(host, retries=0, config_dir="/nonexistent") as stale, pytest.raises(e.ConvoxAuthError):
        stale.apps.list()


def test_objects(client, rack):
    client.apps.create("myapp")
    url = client.objects.store("myapp", "dir/blob.bin", b"\x00\x01\xff")
    assert url == "object://myapp/dir/blob.bin"
    assert client.objects.fetch("myapp", "dir/blob.bin") == b"\x00\x01\xff"
    assert "dir/blob.bin" in client.objects.list("myapp", prefix="dir/")
    tmp = client.objects.store("myapp", "", b"x")
    assert tmp.startswith("object://myapp/tmp/")
    client.objects.delete("myapp", "dir/blob.bin")
    with pytest.raises(e.ConvoxNotFoundError, match="object not found"):
        client.objects.fetch("myapp", "dir/blob.bin")
    with pytest.raises(e.ConvoxInputError, match="invalid name"):
        client.objects.store("myapp", "a/../b", b"x")
    assert client.objects.list("myapp", prefix="b") == []


def test_escape_hatch(client, rack):
    client.apps.create("myapp")
    assert client.api.get("/apps/myapp")["name"] == "myapp"
    assert client.api.get("/auth") == "ok"
    with pytest.raises(e.ConvoxNotFoundError, match="response status 404"):
        client.api.get("/no/such/route")


def test_wrong_password(rack):
    with connect(rack, password="wrong") as bad:
        with pytest.raises(e.ConvoxAuthError, match="invalid authentication") as info:
            bad.apps.list()
        assert "wrong" not in str(info.value) + repr(info.value)
    assert PASSWORD not in str(info.value)
