# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wave-2 (part B) modules against an in-memory rack: registries, resources, certificates, Let's Encrypt.

Every test looks at what the module sent (``rack.writes``), what it returned and what it must never show.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors, models, x509
from ansible_collections.convox.convox.plugins.modules import (
    convox_certificate,
    convox_certificate_info,
    convox_letsencrypt,
    convox_registry,
    convox_registry_info,
    convox_resource,
    convox_resource_info,
)

SECRET = "s3cr3t-Registry-pw-42"
KEY_PEM = "-----BEGIN PRIVATE KEY-----\nUHJpdmF0ZUtleUJvZHlUaGF0TXVzdE5vdExlYWs=\n-----END PRIVATE KEY-----\n"
KEY_MARKER = "UHJpdmF0ZUtleUJvZHlUaGF0TXVzdE5vdExlYWs="

# Public test certificates (no key kept) in tests/unit/plugins/data/: CN example.com with two DNS names,
# expiring 2049-12-31T23:59:59Z (UTCTime), and one without a CN expiring 2060-06-01T12:00:00Z (GeneralizedTime).
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _data(name: str) -> str:
    with open(os.path.join(DATA, name), encoding="ascii") as handle:
        return handle.read()


CERT_PEM = _data("example.com.crt")
CERT_SHA256 = "15B27A36725A0017D567424ACAF8412271D6BF27BE661F7B2F998B3AF3AC9479"
SAN_ONLY_PEM = _data("san-only.crt")
V3 = "3.24.9"
V2 = "20240515123456"


def _not_found(message: str) -> errors.ConvoxNotFoundError:
    return errors.ConvoxNotFoundError(404, message, "abcdef012345", "GET", "/x")


class Area:
    def __init__(self, rack: FakeRack, name: str) -> None:
        self.rack = rack
        self.name = name

    def __getattr__(self, op: str) -> Any:
        method = getattr(self.rack, f"{self.name}_{op}")

        def call(*args: Any, **kwargs: Any) -> Any:
            self.rack.calls.append((f"{self.name}.{op}", args, kwargs))
            return method(*args, **kwargs)

        return call


class FakeRack:
    """Just enough of ConvoxClient for these modules; answers with the client's models."""

    READS = {"list", "get", "types", "letsencrypt_config"}

    def __init__(self) -> None:
        self.version = V3
        self.calls: List[Any] = []
        self.registries: Dict[str, Dict[str, str]] = {}
        self.list_passwords = True
        self.resources: Dict[str, Dict[str, Any]] = {}
        self.app_resources: Dict[str, Optional[List[Dict[str, Any]]]] = {}
        self.new_resource_status = "running"
        self.certs: Dict[str, Dict[str, Any]] = {}
        self.apps = {"myapp"}
        self.letsencrypt: Optional[Dict[str, Any]] = {"role": "", "solvers": []}
        self.delete_failures: List[Exception] = []

    @property
    def ops(self) -> List[str]:
        return [c[0] for c in self.calls]

    @property
    def writes(self) -> List[str]:
        return [op for op in self.ops if op.split(".", 1)[1] not in self.READS]

    def close(self) -> None:
        pass

    # system
    def system_get(self) -> Any:
        return models.System.model_validate({"name": "convox", "version": self.version, "status": "running"})

    def system_letsencrypt_config(self) -> Any:
        if self.letsencrypt is None:
            raise _not_found("response status 404")
        return models.LetsEncryptConfig.model_validate(copy.deepcopy(self.letsencrypt))

    def system_letsencrypt_config_set(self, config: Dict[str, Any]) -> None:
        self.letsencrypt = models.LetsEncryptConfig.model_validate(config).model_dump(mode="json", by_alias=True)

    # apps
    def apps_get(self, name: str) -> Any:
        if name not in self.apps:
            raise _not_found(f"app not found: {name}")
        return models.App.model_validate({"name": name, "status": "running"})

    # registries
    def registries_list(self) -> List[Any]:
        result = []
        for server in sorted(self.registries):
            data = dict(self.registries[server])
            if not self.list_passwords:
                data["password"] = ""
            result.append(models.Registry.model_validate(data))
        return result

    def registries_add(self, server: str, username: str, password: str) -> Any:
        self.registries[server] = {"server": server, "username": username, "password": password}
        return models.Registry.model_validate(self.registries[server])

    def registries_remove(self, server: str) -> None:
        if server not in self.registries:
            raise _not_found(f"no such registry: {server}")
        del self.registries[server]

    # resources
    def resources_get(self, name: str, app: Optional[str] = None) -> Any:
        if app:
            for item in self.resources_list(app):
                if item.name == name:
                    return item
            raise errors.ConvoxNotFoundError(500, f"no such resource: {name}")
        if name not in self.resources:
            raise _not_found(f"no such resource: {name}")
        data = self.resources[name]
        if data["status"] == "creating":
            data["status"] = "running"  # the next read sees it running
            return models.Resource.model_validate(dict(data, status="creating"))
        return models.Resource.model_validate(data)

    def resources_list(self, app: Optional[str] = None) -> List[Any]:
        if app:
            items = self.app_resources.get(app)
            if items is None:
                raise errors.ConvoxServerError(500, f"no release for app: {app}")
            return [models.Resource.model_validate(i) for i in items]
        return [models.Resource.model_validate(self.resources[n]) for n in sorted(self.resources)]

    def resources_create(
        self, kind: str, name: Optional[str] = None, parameters: Optional[Dict[str, str]] = None
    ) -> Any:
        if self.version == V3 and kind != "webhook":
            raise errors.ConvoxValidationError(400, f"rack resource type unknown: {kind}")
        data = {"name": name, "type": kind, "status": self.new_resource_status, "parameters": dict(parameters or {})}
        data["url"] = (parameters or {}).get("Url", "")
        self.resources[str(name)] = data
        return models.Resource.model_validate(dict(data))

    def _v2_only(self) -> None:
        if self.version == V3:
            raise errors.ConvoxValidationError(400, "unavailable on v3 racks")

    def resources_update(self, name: str, parameters: Dict[str, str]) -> Any:
        self._v2_only()
        self.resources[name]["parameters"] = dict(parameters)
        return models.Resource.model_validate(self.resources[name])

    def resources_link(self, name: str, app: str) -> Any:
        self._v2_only()
        self.resources[name].setdefault("apps", []).append({"name": app})
        return models.Resource.model_validate(self.resources[name])

    def resources_unlink(self, name: str, app: str) -> Any:
        self._v2_only()
        self.resources[name]["apps"] = [a for a in self.resources[name].get("apps", []) if a["name"] != app]
        return models.Resource.model_validate(self.resources[name])

    def resources_delete(self, name: str) -> None:
        if name not in self.resources:
            raise _not_found(f"no such resource: {name}")
        del self.resources[name]

    def resources_types(self) -> List[Any]:
        return [models.ResourceType.model_validate({"name": "webhook", "parameters": [{"name": "Url"}]})]

    # certificates
    def certificates_list(self, generated: bool = False) -> List[Any]:
        return [
            models.Certificate.model_validate({k: v for k, v in c.items() if k != "generated"})
            for c in sorted(self.certs.values(), key=lambda c: c["id"].upper())
            if c.get("generated", False) == generated
        ]

    def certificates_create(self, pub: str, key: str, chain: Optional[str] = None) -> Any:
        info = x509.read_certificate(pub)
        cert = {
            "id": f"cert-{len(self.certs):05d}",
            "domain": info["domain"],
            "domains": info["domains"],
            "expiration": info["expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        self.certs[cert["id"]] = cert
        return models.Certificate.model_validate(cert)

    def certificates_generate(self, domains: List[str], issuer: Optional[str] = None, duration: Any = None) -> Any:
        letsencrypt = issuer == "letsencrypt"
        cert: Dict[str, Any] = {
            "id": f"cert-{'le' if letsencrypt else 'ss'}{len(self.certs):03d}",
            "domain": domains[0],
            "domains": list(domains),
            "expiration": None if letsencrypt else "2030-01-01T00:00:00Z",
            "status": "Not Ready" if letsencrypt else "",
            "generated": letsencrypt,
        }
        self.certs[cert["id"]] = cert
        return models.Certificate.model_validate({k: v for k, v in cert.items() if k != "generated"})

    def certificates_delete(self, cert_id: str) -> None:
        if self.delete_failures:
            raise self.delete_failures[0]
        del self.certs[cert_id]

    def certificates_renew(self, app: str) -> None:
        pass

    def certificates_apply(self, app: str, service: str, port: int, cert_id: str) -> None:
        if self.version == V3:
            raise errors.ConvoxNotImplementedError(501, "unimplemented")


class Client:
    """Routes ``client.<area>.<op>`` to ``FakeRack.<area>_<op>`` and records each call."""

    rack = None
    host = "http://127.0.0.1:9"

    def __init__(self, rack: FakeRack) -> None:
        self._rack = rack

    def __getattr__(self, area: str) -> Area:
        return Area(self._rack, area)

    def close(self) -> None:
        pass


@pytest.fixture
def rack(run_module: Any, monkeypatch: Any) -> FakeRack:
    from ansible_collections.convox.convox.plugins.module_utils import waits

    monkeypatch.setattr(waits, "sleep", lambda _seconds: None, raising=False)
    fake = FakeRack()
    run_module.use_client(Client(fake))
    return fake


def shown(result: Dict[str, Any]) -> str:
    return json.dumps(result)


# -- convox_registry ------------------------------------------------------------------------


def registry(**args: Any) -> Dict[str, Any]:
    base = {"server": "registry.example.com", "username": "deploy", "registry_password": SECRET}
    base.update(args)
    return base


def test_registry_create_check_mode_then_real(run_module: Any, rack: FakeRack) -> None:
    check = run_module(convox_registry, registry(), check=True, diff=True)
    assert check["changed"] is True
    assert check["registry"] == {"server": "registry.example.com", "username": "deploy"}
    assert rack.writes == []
    created = run_module(convox_registry, registry(), diff=True)
    assert created["changed"] is True and created["password_updated"] is False
    assert rack.registries["registry.example.com"]["password"] == SECRET
    assert rack.writes == ["registries.add"]
    assert SECRET not in shown(check) + shown(created)


def test_registry_same_password_is_unchanged(run_module: Any, rack: FakeRack) -> None:
    rack.registries["registry.example.com"] = {
        "server": "registry.example.com",
        "username": "deploy",
        "password": SECRET,
    }
    result = run_module(convox_registry, registry())
    assert result["changed"] is False and rack.writes == []


def test_registry_new_password_always_and_on_create(run_module: Any, rack: FakeRack) -> None:
    rack.registries["registry.example.com"] = {
        "server": "registry.example.com",
        "username": "deploy",
        "password": "old",
    }
    kept = run_module(convox_registry, registry(update_password="on_create"))
    assert kept["changed"] is False and rack.writes == []
    check = run_module(convox_registry, registry(), check=True, diff=True)
    assert check["changed"] is True and check["password_updated"] is True
    assert check["diff"]["after"]["password"] == "<hidden> (changed)"
    assert rack.writes == []
    updated = run_module(convox_registry, registry())
    assert updated["changed"] is True and rack.registries["registry.example.com"]["password"] == SECRET
    assert SECRET not in shown(check) + shown(updated)


def test_registry_rack_without_listed_passwords_always_sends(run_module: Any, rack: FakeRack) -> None:
    rack.list_passwords = False
    rack.registries["registry.example.com"] = {
        "server": "registry.example.com",
        "username": "deploy",
        "password": SECRET,
    }
    assert run_module(convox_registry, registry())["changed"] is True
    assert run_module(convox_registry, registry(update_password="on_create"))["changed"] is False
    assert rack.writes == ["registries.add"]


def test_registry_username_change_resends_password(run_module: Any, rack: FakeRack) -> None:
    rack.registries["registry.example.com"] = {"server": "registry.example.com", "username": "old", "password": SECRET}
    result = run_module(convox_registry, registry(update_password="on_create"), diff=True)
    assert result["changed"] is True and result["password_updated"] is False
    assert result["diff"]["before"]["username"] == "old" and result["diff"]["after"]["username"] == "deploy"
    assert rack.registries["registry.example.com"] == {
        "server": "registry.example.com",
        "username": "deploy",
        "password": SECRET,
    }


def test_registry_absent(run_module: Any, rack: FakeRack) -> None:
    rack.registries["ghcr.io/team"] = {"server": "ghcr.io/team", "username": "u", "password": SECRET}
    check = run_module(convox_registry, {"server": "ghcr.io/team", "state": "absent"}, check=True)
    assert check["changed"] is True and rack.writes == []
    removed = run_module(convox_registry, {"server": "ghcr.io/team", "state": "absent"})
    again = run_module(convox_registry, {"server": "ghcr.io/team", "state": "absent"})
    assert removed["changed"] is True and again["changed"] is False
    assert rack.registries == {} and rack.writes == ["registries.remove"]


def test_registry_bad_input_sends_nothing(run_module: Any, rack: FakeRack) -> None:
    result = run_module(convox_registry, {"server": "registry.example.com", "username": "deploy"})
    assert result["failed"] is True and "registry_password" in result["msg"]
    assert rack.calls == []


def test_registry_info_never_returns_passwords(run_module: Any, rack: FakeRack) -> None:
    for server in ("quay.io", "registry.example.com"):
        rack.registries[server] = {"server": server, "username": "deploy", "password": SECRET}
    everything = run_module(convox_registry_info, {})
    one = run_module(convox_registry_info, {"server": "quay.io"})
    assert [r["server"] for r in everything["registries"]] == ["quay.io", "registry.example.com"]
    assert one["registries"] == [{"server": "quay.io", "username": "deploy"}]
    assert SECRET not in shown(everything) and rack.writes == []


# -- convox_resource --------------------------------------------------------------------------

HOOK = "https://user:hookpw123@hooks.example.com/x"


def webhook(rack: FakeRack, name: str = "hook", **extra: Any) -> None:
    rack.resources[name] = {"name": name, "type": "webhook", "status": "running", "url": HOOK}
    rack.resources[name]["parameters"] = dict({"Url": HOOK}, **extra)


def test_resource_create_hides_url_password(run_module: Any, rack: FakeRack) -> None:
    args = {"name": "hook", "type": "webhook", "parameters": {"Url": HOOK, "ApiToken": "tok-9876"}}
    check = run_module(convox_resource, args, check=True, diff=True)
    assert check["changed"] is True and rack.writes == []
    assert check["resource"]["parameters"] == {
        "Url": "https://user:<hidden>@hooks.example.com/x",
        "ApiToken": "<hidden>",
    }
    created = run_module(convox_resource, args)
    assert created["changed"] is True and rack.writes == ["resources.create"]
    assert created["resource"]["url"] == "https://user:<hidden>@hooks.example.com/x"
    for text in (shown(check), shown(created)):
        assert "hookpw123" not in text and "tok-9876" not in text


def test_resource_compares_only_given_parameters(run_module: Any, rack: FakeRack) -> None:
    webhook(rack, Extra="1")
    result = run_module(convox_resource, {"name": "hook", "type": "webhook", "parameters": {"Url": HOOK}})
    assert result["changed"] is False and rack.writes == []
    assert "system.get" not in rack.ops  # no version check when nothing changes


def test_resource_v3_refuses_update_and_links_before_writing(run_module: Any, rack: FakeRack) -> None:
    webhook(rack)
    for args in (
        {"name": "hook", "parameters": {"Url": "https://hooks.example.com/y"}},
        {"name": "hook", "apps": ["myapp"]},
    ):
        for check in (True, False):
            result = run_module(convox_resource, args, check=check)
            assert result["failed"] is True
            assert "v3 racks cannot" in result["msg"]
            assert result["msg"].startswith("Rack at http://127.0.0.1:9 runs Convox 3.24.9.")
    assert rack.writes == []
    assert rack.ops.count("system.get") == 4


def test_resource_v3_create_with_apps_fails_before_creating(run_module: Any, rack: FakeRack) -> None:
    result = run_module(
        convox_resource, {"name": "hook", "type": "webhook", "parameters": {"Url": HOOK}, "apps": ["a"]}
    )
    assert result["failed"] is True and "link or unlink" in result["msg"]
    assert rack.writes == [] and rack.resources == {}


def test_resource_v3_unknown_type_explained(run_module: Any, rack: FakeRack) -> None:
    result = run_module(convox_resource, {"name": "db", "type": "postgres"})
    assert result["failed"] is True and "only webhook resources" in result["msg"]
    assert result["failure"]["status"] == 400


def test_resource_v2_updates_links_and_unlinks(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    webhook(rack, Extra="keep")
    rack.resources["hook"]["apps"] = [{"name": "old"}]
    args = {"name": "hook", "parameters": {"Url": "https://hooks.example.com/y"}, "apps": ["b", "a"]}
    check = run_module(convox_resource, args, check=True, diff=True)
    assert check["changed"] is True and rack.writes == []
    assert check["resource"]["apps"] == ["a", "b"]
    result = run_module(convox_resource, args, diff=True)
    assert result["changed"] is True
    assert rack.writes == ["resources.update", "resources.link", "resources.link", "resources.unlink"]
    assert rack.resources["hook"]["parameters"] == {"Url": "https://hooks.example.com/y", "Extra": "keep"}
    assert result["resource"]["apps"] == ["a", "b"]
    assert run_module(convox_resource, args)["changed"] is False


def test_resource_type_cannot_change(run_module: Any, rack: FakeRack) -> None:
    webhook(rack)
    result = run_module(convox_resource, {"name": "hook", "type": "postgres"})
    assert result["failed"] is True and "cannot change" in result["msg"] and rack.writes == []


def test_resource_create_without_type_fails_after_reading(run_module: Any, rack: FakeRack) -> None:
    result = run_module(convox_resource, {"name": "hook", "parameters": {"Url": HOOK}})
    assert result["failed"] is True and "give its type" in result["msg"]
    assert rack.ops == ["resources.get"]


def test_resource_waits_for_running_and_for_deletion(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    rack.new_resource_status = "creating"
    created = run_module(convox_resource, {"name": "hook", "type": "webhook", "parameters": {"Url": HOOK}})
    assert created["resource"]["status"] == "running"
    assert rack.ops.count("resources.get") >= 3  # absent, then polled until running twice
    removed = run_module(convox_resource, {"name": "hook", "state": "absent"})
    gone = run_module(convox_resource, {"name": "hook", "state": "absent"})
    assert removed["changed"] is True and gone["changed"] is False
    assert rack.writes == ["resources.create", "resources.delete"]


def test_resource_info_lists_types_and_app_resources(run_module: Any, rack: FakeRack) -> None:
    webhook(rack)
    rack.app_resources["myapp"] = [
        {"name": "database", "type": "postgres", "status": "running", "url": "postgres://app:dbpw77@db:5432/app"}
    ]
    rack.app_resources["norelease"] = None
    listed = run_module(convox_resource_info, {"types": True})
    assert listed["resources"][0]["url"] == "https://user:<hidden>@hooks.example.com/x"
    assert listed["types"] == [{"name": "webhook", "parameters": [{"name": "Url", "default": "", "description": ""}]}]
    app = run_module(convox_resource_info, {"app": "myapp"})
    assert app["resources"][0]["url"] == "postgres://app:<hidden>@db:5432/app"
    assert "dbpw77" not in shown(app)
    assert run_module(convox_resource_info, {"app": "norelease"})["resources"] == []
    assert run_module(convox_resource_info, {"name": "missing"})["resources"] == []
    assert run_module(convox_resource_info, {"app": "myapp", "name": "missing"})["resources"] == []
    assert rack.writes == [] and rack.ops.count("resources.types") == 1


# -- convox_certificate: the module ---------------------------------------------------------


def test_certificate_import_once_by_fingerprint(run_module: Any, rack: FakeRack) -> None:
    args = {"certificate": CERT_PEM, "private_key": KEY_PEM, "chain": SAN_ONLY_PEM}
    check = run_module(convox_certificate, args, check=True, diff=True)
    assert check["changed"] is True and check["imported"] is True and rack.writes == []
    assert check["certificate"]["id"] == "(new certificate)"
    assert check["certificate"]["expiration"] == "2049-12-31T23:59:59Z"
    created = run_module(convox_certificate, args)
    assert created["changed"] is True and rack.writes == ["certificates.create"]
    create_call = next(c for c in rack.calls if c[0] == "certificates.create")
    assert create_call[1] == (CERT_PEM, KEY_PEM) and create_call[2] == {"chain": SAN_ONLY_PEM}
    again = run_module(convox_certificate, args)
    assert again["changed"] is False and again["imported"] is False
    assert again["certificate"]["id"] == created["certificate"]["id"]
    assert again["certificate"]["fingerprint"].replace(":", "") == CERT_SHA256
    for result in (check, created, again):
        assert KEY_MARKER not in shown(result)


def test_certificate_same_names_other_expiry_is_imported(run_module: Any, rack: FakeRack) -> None:
    rack.certs["cert-aaaaa"] = {
        "id": "cert-aaaaa",
        "domain": "example.com",
        "domains": ["www.example.com", "example.com"],
        "expiration": "2049-12-31T23:59:58Z",
    }
    result = run_module(convox_certificate, {"certificate": CERT_PEM, "private_key": KEY_PEM})
    assert result["changed"] is True and result["imported"] is True


def test_certificate_generate_idempotent_by_domain_set(run_module: Any, rack: FakeRack) -> None:
    self_signed = {"generate": True, "domains": ["Internal.example.com"], "duration": "2160h"}
    assert run_module(convox_certificate, self_signed)["changed"] is True
    assert run_module(convox_certificate, {"generate": True, "domains": ["internal.example.com"]})["changed"] is False
    le = {"generate": True, "issuer": "letsencrypt", "domains": ["www.example.com", "example.com"]}
    first = run_module(convox_certificate, le)
    assert first["generated"] is True and first["certificate"]["status"] == "Not Ready"
    again = run_module(convox_certificate, dict(le, domains=["example.com", "www.example.com"]))
    assert again["changed"] is False and again["certificate"]["id"] == first["certificate"]["id"]
    assert rack.writes == ["certificates.generate", "certificates.generate"]
    generated = [c for c in rack.calls if c[0] == "certificates.generate"]
    assert generated[0][2] == {"issuer": None, "duration": "2160h"}
    assert generated[1][2]["issuer"] == "letsencrypt"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"certificate": "nope", "private_key": KEY_PEM}, "not a usable PEM"),
        ({"certificate": CERT_PEM, "private_key": "nope"}, "private_key"),
        ({"certificate": CERT_PEM, "private_key": KEY_PEM, "generate": True, "domains": ["a"]}, "mutually exclusive"),
        ({"generate": True, "domains": ["a.example.com", "b.example.com"]}, "exactly one domain"),
        ({"generate": True, "issuer": "letsencrypt", "domains": [f"d{i}.example.com" for i in range(11)]}, "10"),
        ({"generate": True, "domains": ["a.example.com"], "duration": "3d"}, "Go duration"),
        ({"generate": True, "domains": [" "]}, "at least one domain"),
        ({"state": "absent"}, "give id, domain or certificate"),
        ({"state": "renewed"}, "give the app"),
        ({}, "With state=present"),
        ({"id": "cert-a", "app": "myapp", "service": "web"}, "parameters are required together"),
        ({"id": "cert-a", "app": "myapp"}, "app, service and port together"),
    ],
)
def test_certificate_bad_input_sends_nothing(
    run_module: Any, rack: FakeRack, args: Dict[str, Any], message: str
) -> None:
    result = run_module(convox_certificate, args)
    assert result["failed"] is True
    assert message in result["msg"]
    assert rack.calls == []
    assert KEY_MARKER not in shown(result)


def test_certificate_absent_by_domain_id_and_pem(run_module: Any, rack: FakeRack) -> None:
    for n, domain in enumerate(["a.example.com", "a.example.com", "b.example.com"]):
        rack.certs[f"cert-{n}"] = {"id": f"cert-{n}", "domain": domain, "domains": [domain], "expiration": None}
    rack.certs["cert-le"] = {"id": "cert-le", "domain": "c.example.com", "domains": [], "generated": True}
    check = run_module(convox_certificate, {"state": "absent", "domain": "A.example.com"}, check=True)
    assert check["changed"] is True and [c["id"] for c in check["removed"]] == ["cert-0", "cert-1"]
    assert rack.writes == []
    assert run_module(convox_certificate, {"state": "absent", "domain": "a.example.com"})["changed"] is True
    assert run_module(convox_certificate, {"state": "absent", "id": "CERT-LE"})["changed"] is True
    assert run_module(convox_certificate, {"state": "absent", "id": "cert-le"})["changed"] is False
    assert run_module(convox_certificate, {"state": "absent", "certificate": CERT_PEM})["changed"] is False
    assert sorted(rack.certs) == ["cert-2"]
    rack.delete_failures.append(errors.ConvoxNotFoundError(500, 'secrets "cert-2" not found'))
    assert run_module(convox_certificate, {"state": "absent", "id": "cert-2"})["changed"] is True


def test_certificate_apply_v3_refused_before_writing(run_module: Any, rack: FakeRack) -> None:
    rack.certs["cert-1"] = {"id": "cert-1", "domain": "a.example.com", "domains": ["a.example.com"]}
    args = {"id": "cert-1", "app": "myapp", "service": "web", "port": 443}
    for check in (True, False):
        result = run_module(convox_certificate, args, check=check)
        assert result["failed"] is True and "v3 racks do not attach certificates" in result["msg"]
        assert "runs Convox 3.24.9" in result["msg"]
    assert rack.writes == []
    rack.version = V2
    applied = run_module(convox_certificate, args)
    assert applied["changed"] is True and applied["applied"] is True
    assert rack.writes == ["certificates.apply"]
    missing = run_module(convox_certificate, dict(args, id="cert-nope"))
    assert missing["failed"] is True and "does not exist" in missing["msg"]


def test_certificate_renew(run_module: Any, rack: FakeRack) -> None:
    check = run_module(convox_certificate, {"state": "renewed", "app": "myapp"}, check=True)
    assert check["changed"] is True and rack.writes == []
    done = run_module(convox_certificate, {"state": "renewed", "app": "myapp"})
    assert done["changed"] is True and rack.writes == ["certificates.renew"]
    missing = run_module(convox_certificate, {"state": "renewed", "app": "nope"})
    assert missing["failed"] is True and "app not found: nope" in missing["msg"]
    assert missing["failure"]["status"] == 404


def test_certificate_info_filters_and_days_left(run_module: Any, rack: FakeRack) -> None:
    soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=10, hours=1)).replace(microsecond=0)
    rack.certs["cert-b"] = {
        "id": "cert-b",
        "domain": "b.example.com",
        "domains": ["b.example.com", "www.example.com"],
        "expiration": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    rack.certs["cert-a"] = {"id": "cert-a", "domain": "a.example.com", "domains": None, "expiration": None}
    rack.certs["cert-le"] = {"id": "cert-le", "domain": "c.example.com", "domains": [], "generated": True}
    listed = run_module(convox_certificate_info, {})
    assert [c["id"] for c in listed["certificates"]] == ["cert-a", "cert-b"]
    assert listed["certificates"][0]["days_left"] is None and listed["certificates"][0]["domains"] == []
    assert listed["certificates"][1]["days_left"] == 10
    assert run_module(convox_certificate_info, {"domain": "WWW.example.com"})["certificates"][0]["id"] == "cert-b"
    assert run_module(convox_certificate_info, {"id": "CERT-A"})["certificates"][0]["id"] == "cert-a"
    assert [c["id"] for c in run_module(convox_certificate_info, {"generated": True})["certificates"]] == ["cert-le"]
    assert rack.writes == []


# -- convox_letsencrypt ----------------------------------------------------------------------

SOLVER = {"id": 1, "dns_zones": ["example.com", "a.example.com"], "route53": {"hosted_zone_id": "Z1", "region": "r"}}


def test_letsencrypt_set_idempotent_and_clear(run_module: Any, rack: FakeRack) -> None:
    args = {"role": "arn:role", "solvers": [SOLVER]}
    check = run_module(convox_letsencrypt, args, check=True, diff=True)
    assert check["changed"] is True and rack.writes == []
    assert check["letsencrypt"]["solvers"][0]["dns_zones"] == ["a.example.com", "example.com"]
    assert run_module(convox_letsencrypt, args)["changed"] is True
    assert rack.letsencrypt is not None and rack.letsencrypt["solvers"][0]["dns-zones"] == [
        "a.example.com",
        "example.com",
    ]
    assert rack.letsencrypt["solvers"][0]["route53"]["hosted-zone-id"] == "Z1"
    reordered = dict(SOLVER, dns_zones=["a.example.com", "example.com"])
    assert run_module(convox_letsencrypt, {"solvers": [reordered]})["changed"] is False  # role kept
    assert run_module(convox_letsencrypt, {"role": "arn:role"})["changed"] is False  # solvers kept
    assert rack.writes == ["system.letsencrypt_config_set"]
    cleared = run_module(convox_letsencrypt, {"state": "absent"})
    assert cleared["changed"] is True and cleared["letsencrypt"] == {"role": "", "solvers": []}
    assert run_module(convox_letsencrypt, {"state": "absent"})["changed"] is False


def test_letsencrypt_numbers_solvers_without_id(run_module: Any, rack: FakeRack) -> None:
    result = run_module(convox_letsencrypt, {"solvers": [{"dns_zones": ["b.org"]}, {"id": 4, "dns_zones": ["a.org"]}]})
    assert [s["id"] for s in result["letsencrypt"]["solvers"]] == [4, 5]
    assert result["letsencrypt"]["solvers"][1]["route53"] is None


@pytest.mark.parametrize(
    "args",
    [
        {"solvers": [{"id": 1, "dns_zones": ["a"]}, {"id": 1, "dns_zones": ["b"]}]},
        {"solvers": [{"dns_zones": [" "]}]},
        {"state": "absent", "role": "x"},
    ],
)
def test_letsencrypt_bad_input_sends_nothing(run_module: Any, rack: FakeRack, args: Dict[str, Any]) -> None:
    assert run_module(convox_letsencrypt, args)["failed"] is True
    assert rack.calls == []


def test_letsencrypt_on_v2_says_so(run_module: Any, rack: FakeRack) -> None:
    rack.letsencrypt = None
    result = run_module(convox_letsencrypt, {"role": "arn:role"})
    assert result["failed"] is True and "only Convox v3 racks" in result["msg"]
    assert rack.writes == []


# -- on the task bases: results, contexts and refusals -----------------------------------------


def _raise(error: Exception) -> Any:
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    return fail


@pytest.mark.parametrize(
    "refusal",
    [errors.ConvoxNotImplementedError(501, "unimplemented"), errors.ConvoxServerError(500, "unimplemented")],
)
def test_certificate_apply_refused_by_a_rack_of_unknown_version(run_module: Any, rack: FakeRack, refusal: Any) -> None:
    rack.version = "unknown"  # neither v2 nor v3: the refusal comes from the apply itself
    rack.certs["cert-1"] = {"id": "cert-1", "domain": "a.example.com", "domains": ["a.example.com"]}
    rack.certificates_apply = _raise(refusal)  # type: ignore[method-assign]
    result = run_module(convox_certificate, {"id": "cert-1", "app": "myapp", "service": "web", "port": 443})
    assert result["failed"] is True and result["msg"].startswith("Convox v3 racks do not attach certificates")


def test_certificate_apply_other_failure_is_reported_as_it_is(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    rack.certs["cert-1"] = {"id": "cert-1", "domain": "a.example.com", "domains": ["a.example.com"]}
    rack.certificates_apply = _raise(errors.ConvoxServerError(500, "load balancer busy"))  # type: ignore[method-assign]
    result = run_module(convox_certificate, {"id": "cert-1", "app": "myapp", "service": "web", "port": 443})
    assert result["failed"] is True
    assert result["msg"].startswith("Could not apply certificate to port 443 of service web of app myapp on ")
    assert "load balancer busy" in result["msg"] and result["failure"]["status"] == 500


def test_certificate_import_and_apply_check_mode_and_diff(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    args = {"certificate": CERT_PEM, "private_key": KEY_PEM, "app": "myapp", "service": "web", "port": 443}
    check = run_module(convox_certificate, args, check=True, diff=True)
    assert check["changed"] is True and check["imported"] is True and check["applied"] is True
    assert check["diff"]["before"] == {}
    assert check["diff"]["after"]["applied_to"] == "myapp/web:443"
    assert "fingerprint" not in check["diff"]["after"] and "fingerprint" in check["certificate"]
    assert rack.writes == []
    done = run_module(convox_certificate, args, diff=True)
    assert rack.writes == ["certificates.create", "certificates.apply"]
    assert done["certificate"]["id"] == "cert-00000" and done["diff"]["after"]["id"] == "cert-00000"
    apply_call = next(c for c in rack.calls if c[0] == "certificates.apply")
    assert apply_call[1] == ("myapp", "web", 443, "cert-00000")
    again = run_module(convox_certificate, args, diff=True)  # applying always changes
    assert again["changed"] is True and again["imported"] is False
    assert again["diff"]["before"]["id"] == "cert-00000"


def test_certificate_import_for_a_missing_app_fails_before_importing(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    args = {"certificate": CERT_PEM, "private_key": KEY_PEM, "app": "nope", "service": "web", "port": 443}
    result = run_module(convox_certificate, args)
    assert result["failed"] is True and "app not found: nope" in result["msg"]
    assert result["msg"].startswith("Could not apply certificate to port 443 of service web of app nope")
    assert rack.writes == []


def test_certificate_failure_messages_name_what_was_done(run_module: Any, rack: FakeRack) -> None:
    rack.certificates_list = _raise(errors.ConvoxServerError(500, "boom"))  # type: ignore[method-assign]
    imported = run_module(convox_certificate, {"certificate": CERT_PEM, "private_key": KEY_PEM})
    assert imported["msg"].startswith("Could not read certificates on rack at http://127.0.0.1:9: boom.")
    by_id = run_module(convox_certificate, {"id": "cert-1"})
    assert by_id["msg"].startswith("Could not manage certificate cert-1 on rack at http://127.0.0.1:9: boom.")
    listed = run_module(convox_certificate_info, {})
    assert listed["msg"].startswith("Could not list certificates on rack at http://127.0.0.1:9: boom.")
    assert imported["failure"]["status"] == listed["failure"]["status"] == 500


def test_certificate_info_shows_time_like_the_managing_module(run_module: Any, rack: FakeRack) -> None:
    rack.certs["cert-a"] = {
        "id": "cert-a",
        "domain": "a",
        "domains": ["a"],
        "expiration": "2049-12-31T23:59:59.5+01:00",
    }
    listed = run_module(convox_certificate_info, {})["certificates"][0]
    managed = run_module(convox_certificate, {"id": "cert-a"})["certificate"]
    assert listed["expiration"] == managed["expiration"] == "2049-12-31T22:59:59Z"
    assert {k: v for k, v in listed.items() if k != "days_left"} == managed


def test_registry_and_resource_info_failures_name_the_list(run_module: Any, rack: FakeRack) -> None:
    rack.registries_list = _raise(errors.ConvoxServerError(500, "boom"))  # type: ignore[method-assign]
    assert run_module(convox_registry_info, {})["msg"].startswith("Could not list registries on ")
    rack.resources_list = _raise(errors.ConvoxServerError(500, "boom"))  # type: ignore[method-assign]
    assert run_module(convox_resource_info, {})["msg"].startswith("Could not list rack resources on ")
    assert run_module(convox_resource_info, {"app": "myapp"})["msg"].startswith(
        "Could not list resources of app myapp on "
    )
    rack.resources_types = _raise(errors.ConvoxForbiddenError(403, "forbidden"))  # type: ignore[method-assign]
    rack.resources_list = lambda app=None: []  # type: ignore[method-assign]
    typed = run_module(convox_resource_info, {"types": True})
    assert typed["msg"].startswith("Could not list resource types (this needs credentials with write access) on ")


def test_resource_secret_parameters_are_masked_everywhere(run_module: Any, rack: FakeRack) -> None:
    rack.version = V2
    webhook(rack)
    args = {"name": "hook", "parameters": {"Url": "https://u:urlpw555@h.example.com", "Token": "tok-1234"}}
    rack.resources_update = _raise(errors.ConvoxServerError(500, "rejected tok-1234 and urlpw555"))  # type: ignore[method-assign]
    result = run_module(convox_resource, args, diff=True)
    assert result["failed"] is True
    assert "tok-1234" not in shown(result) and "urlpw555" not in shown(result)


def test_letsencrypt_check_mode_diff_and_predicted_result(run_module: Any, rack: FakeRack) -> None:
    rack.letsencrypt = {"role": "arn:old", "solvers": [{"id": 2, "dns-zones": ["b.org"]}]}
    check = run_module(convox_letsencrypt, {"role": "arn:new"}, check=True, diff=True)
    assert check["changed"] is True and rack.writes == []
    assert check["diff"]["before"]["role"] == "arn:old" and check["diff"]["after"]["role"] == "arn:new"
    assert check["letsencrypt"]["solvers"] == [{"id": 2, "dns_zones": ["b.org"], "route53": None}]
    cleared = run_module(convox_letsencrypt, {"state": "absent"}, check=True, diff=True)
    assert cleared["letsencrypt"] == {"role": "", "solvers": []} and cleared["diff"]["before"]["role"] == "arn:old"
    assert rack.writes == []
    failed = run_module(convox_letsencrypt, {"role": "x"}, check=True)
    assert failed["changed"] is True  # check mode on the same state: still predicted, nothing sent
    rack.system_letsencrypt_config = _raise(errors.ConvoxServerError(500, "boom"))  # type: ignore[method-assign]
    broken = run_module(convox_letsencrypt, {"role": "x"})
    assert broken["msg"].startswith("Could not read the Let's Encrypt configuration on ")


def test_certificate_present_selects_by_pem_before_id_or_domain(run_module: Any, rack: FakeRack) -> None:
    rack.certs["cert-x"] = {"id": "cert-x", "domain": "example.com", "domains": ["example.com"], "expiration": None}
    for other in ({"domain": "example.com"}, {"id": "cert-x"}):
        args = dict(other, certificate=CERT_PEM, private_key=KEY_PEM)
        result = run_module(convox_certificate, args, check=True)
        assert result["imported"] is True and result["certificate"]["id"] == "(new certificate)"
    assert rack.writes == []
