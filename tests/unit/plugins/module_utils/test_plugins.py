# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugins' glue (``_plugins``) and the console listing, over scripted HTTP exchanges."""

from __future__ import annotations

import json

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import _plugins as p
from ansible_collections.convox.convox.plugins.module_utils.errors import (
    ConvoxError,
    ConvoxInputError,
    ConvoxNotFoundError,
)

BASE = "https://rack.test"


def rack(name="prod", apps=None, **extra):
    data = {"name": name, "host": BASE, "rack": None, "console": False, "connection": {"host": BASE}}
    data["apps"] = apps if apps is not None else []
    data.update(extra)
    return data


def app(name, status="running", generation="3", locked=False, release="R1", services=None):
    return {
        "name": name,
        "status": status,
        "release": release,
        "generation": generation,
        "locked": locked,
        "router": "router.test",
        "services": services or [],
    }


# -- inventory data -> hosts ------------------------------------------------------------------


def test_app_hosts_vars_and_groups():
    web = {"name": "web", "domain": "web.shop.test", "count": 2, "min": 2, "max": 2, "cpu": 256, "memory": 512}
    hosts = p.inventory_hosts([rack("acme/prod", [app("shop", services=[web])])], "apps")
    assert [h["name"] for h in hosts] == ["acme/prod/shop"]
    host = hosts[0]
    assert host["groups"] == ["convox_rack_acme_prod", "convox_status_running", "convox_generation_3"]
    assert host["vars"]["convox_app"] == "shop"
    assert host["vars"]["convox_services"] == [web]
    assert host["vars"]["convox_connection"] == {"host": BASE}
    assert all(key.startswith("convox_") for key in host["vars"])
    assert not any("password" in key for key in host["vars"])


def test_filters_by_name_pattern_and_status():
    apps = [app("web-a"), app("web-b", status="updating"), app("api")]
    names = [h["name"] for h in p.inventory_hosts([rack(apps=apps)], "apps", name_patterns=["web-*"])]
    assert names == ["prod/web-a", "prod/web-b"]
    names = [h["name"] for h in p.inventory_hosts([rack(apps=apps)], "apps", statuses=["running"])]
    assert names == ["prod/web-a", "prod/api"]
    assert p.inventory_hosts([rack(apps=apps)], "apps", statuses=["deleting"]) == []


def test_service_hosts_and_app_group():
    services = [{"name": "web"}, {"name": "worker"}]
    hosts = p.inventory_hosts([rack(apps=[app("shop", services=services)])], "services")
    assert [h["name"] for h in hosts] == ["prod/shop/web", "prod/shop/worker"]
    assert "convox_app_shop" in hosts[1]["groups"]
    assert hosts[1]["vars"]["convox_service_name"] == "worker"


def test_rack_hosts_use_system_status():
    data = rack("acme/prod", system={"status": "updating", "version": "3.24.9", "provider": "aws"})
    hosts = p.inventory_hosts([data], "racks")
    assert hosts[0]["name"] == "acme/prod"
    assert hosts[0]["vars"]["convox_version"] == "3.24.9"
    assert "convox_status_updating" in hosts[0]["groups"]
    assert p.inventory_hosts([data], "racks", statuses=["running"]) == []


def test_racks_that_failed_give_no_host():
    assert p.inventory_hosts([{"name": "gone", "error": "x"}, rack(apps=[app("a")])], "apps")[0]["name"] == "prod/a"


def test_host_name_clash_is_refused():
    racks = [rack("one", [app("shop")]), rack("two", [app("shop")])]
    with pytest.raises(ConvoxInputError, match="several hosts would be named shop"):
        p.inventory_hosts(racks, "apps", host_format="{app}")
    assert len(p.inventory_hosts(racks, "apps")) == 2


def test_unknown_host_kind():
    with pytest.raises(ConvoxInputError, match="option hosts must be one of"):
        p.inventory_hosts([], "processes")


def test_safe_name_and_matches():
    assert p.safe_name("Acme/Prod-1") == "acme_prod_1"
    assert p.matches("anything", None) and p.matches("web-1", ["api", "web-*"]) and not p.matches("api2", ["api"])


def test_merged_racks_take_top_level_values():
    defaults = {"host": "h", "password": "pw", "rack": None, "timeout": 5.0}
    merged = p.merged_racks(defaults, [{"rack": "acme/prod"}, {"host": "other", "password": None}])
    assert [(m["host"], m["password"], m["rack"], m["timeout"]) for m in merged] == [
        ("h", "pw", "acme/prod", 5.0),
        ("other", "pw", None, 5.0),
    ]
    assert len(p.merged_racks(defaults, None)) == 1
    with pytest.raises(ConvoxInputError, match="unknown key"):
        p.merged_racks(defaults, [{"hostname": "x"}])


def test_connection_vars_never_hold_the_password():
    data = {"host": BASE, "rack": "acme/prod"}
    params = {"password": "secret", "validate_certs": False, "ca_path": None, "timeout": 3}
    assert p.connection_vars(data, params) == {
        "host": BASE,
        "rack": "acme/prod",
        "validate_certs": False,
        "timeout": 3.0,
    }


# -- over HTTP ------------------------------------------------------------------------------------


def test_gather_rack_reads_apps_and_services_only(router, client):
    router.get("/apps").respond(
        json=[{"name": "shop", "status": "running", "release": "R1", "generation": "3"}, {"name": "new", "release": ""}]
    )
    services = router.get("/apps/shop/services").respond(json=[{"name": "web", "domain": "d", "count": 2}])
    system = router.get("/system").respond(json={"name": "convox", "status": "running", "version": "3.24.9"})
    data = p.gather_rack(client, "apps", {}, name="prod")
    assert [a["name"] for a in data["apps"]] == ["shop", "new"]
    assert data["apps"][0]["services"][0]["domain"] == "d"
    assert data["apps"][1]["services"] == []  # nothing deployed: no request for its services
    assert services.call_count == 1 and system.call_count == 0
    json.dumps(data)  # cacheable as JSON
    paths = [call.request.url.path for call in router.calls]
    assert paths == ["/apps", "/apps/shop/services"]


def test_gather_rack_names_a_nameless_rack_from_system(router, client):
    router.get("/apps").respond(json=[])
    router.get("/system").respond(json={"name": "convox", "status": "running", "version": "3.24.9"})
    assert p.gather_rack(client, "apps", {})["name"] == "convox"


def test_env_values_default_and_missing(router, client):
    router.get("/apps/api").respond(json={"name": "api", "release": "RA"})
    router.get("/apps/api/releases/RA").respond(json={"id": "RA", "env": "A=1\nB=2"})
    assert p.env_values(client, "api", ["B", "A"]) == ["2", "1"]
    assert p.env_values(client, "api", ["C"], default=None, has_default=True) == [None]
    with pytest.raises(ConvoxNotFoundError) as info:
        p.env_values(client, "api", ["A", "C", "D"])
    assert "no environment variable C, D in its active release" in str(info.value)
    assert "1" not in str(info.value).replace("api", "")


def test_resource_value_fields(router, client):
    router.get("/resources/hook").respond(
        json={"name": "hook", "type": "webhook", "status": "running", "url": "u", "parameters": {"Url": "U"}}
    )
    assert p.resource_value(client, "hook") == "u"
    assert p.resource_value(client, "hook", field="Url") == "U"
    with pytest.raises(ConvoxNotFoundError, match=r"no field nope \(known: Url, name, status, type, url\)"):
        p.resource_value(client, "hook", field="nope")


def test_release_id_active_and_latest(router, client):
    router.get("/apps/api").respond(json={"name": "api", "release": "RA"})
    router.get("/apps/api/releases", params={"limit": "1"}).respond(json=[{"id": "RNEW"}])
    assert p.release_id(client, "api") == "RA"
    assert p.release_id(client, "api", latest=True) == "RNEW"


def test_with_client_describes_failures_without_the_password(router, monkeypatch):
    monkeypatch.setattr(p, "connect", lambda params: _client_for(router))
    router.get("/apps/api").respond(401, text="invalid authentication\n")

    def read(client):
        return p.release_id(client, "api")

    with pytest.raises(ConvoxError) as info:
        p.with_client({"password": "hunter2"}, "read the active release of app api", read)
    text = str(info.value)
    assert text.startswith("Could not read the active release of app api on rack at https://rack.test: ")
    assert "Check the password" in text and "hunter2" not in text


def test_connect_refuses_contradicting_options():
    with pytest.raises(ConvoxInputError, match="contradict"):
        p.connect({"ca_path": "/ca.pem", "validate_certs": False})
    with pytest.raises(ConvoxInputError, match="timeout"):
        p.connect({"timeout": 0})


def _client_for(router):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    client = ConvoxClient(BASE, "hunter2", retries=0, config_dir="/nonexistent", records=True)
    return client


# -- the console ----------------------------------------------------------------------------------


def test_console_racks_without_rack_header(router):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    route = router.get("/racks").respond(
        json=[
            {"Name": "staging", "Organization": {"Name": "acme"}, "Status": "running", "Version": "3.24.9"},
            {"Name": "prod", "Organization": {"Name": "acme"}, "Provider": "aws", "Status": "running"},
        ]
    )
    with ConvoxClient(BASE, "key", "acme/prod", config_dir="/nonexistent") as console:
        racks = console.console.racks()
        assert [r["name"] for r in racks] == ["acme/prod", "acme/staging"]
        assert racks[0]["provider"] == "aws" and racks[1]["rack"] == "staging"
        assert "rack" not in route.calls[0].request.headers
        assert [r["name"] for r in p.console_racks(console, ["*/staging"])] == ["acme/staging"]


def test_console_racks_refuses_a_rack_answer(router, client):
    router.get("/racks").respond(json={"name": "not a list"})
    with pytest.raises(ConvoxError, match="is it a Convox console"):
        client.console.racks()


def test_rack_header_is_sent_elsewhere(router):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    route = router.get("/apps").mock(return_value=httpx.Response(200, json=[]))
    with ConvoxClient(BASE, "key", "acme/prod", config_dir="/nonexistent") as console:
        console.apps.list()
    assert route.calls[0].request.headers["rack"] == "acme/prod"
