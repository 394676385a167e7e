# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every resource operation pins its exact request: method, path, query, body and headers."""

from __future__ import annotations

import datetime
import json
from urllib.parse import parse_qsl

import httpx
import pytest

from ansible_collections.convox.convox.plugins.module_utils import models

FORM = "application/x-www-form-urlencoded"
OCTET = "application/octet-stream"

APP = {"name": "myapp", "status": "running", "release": "RACTIVE", "generation": "3", "parameters": {}}
BUILD = {
    "id": "BABCDEFGHIJ",
    "app": "myapp",
    "status": "running",
    "git-sha": "1a2b",
    "started": "2024-05-01T12:00:00.5Z",
    "ended": "0001-01-01T00:00:00Z",
}
RELEASE = {"id": "RNEW", "app": "myapp", "build": "BABCDEFGHIJ", "env": "A=1", "created": "2024-05-01T12:00:00Z"}
PROCESS = {"id": "web-4fjx9", "app": "myapp", "name": "web", "status": "pending", "ports": None}
SERVICE = {"name": "web", "count": 2, "ports": [{"balancer": 443, "container": 3000}], "nlb": None}
RESOURCE = {"name": "hook", "type": "webhook", "status": "running", "parameters": {"Url": "https://x"}}
CERT = {"id": "cert-abcde", "domain": "a.example", "domains": None, "expiration": "2025-01-01T00:00:00Z"}
REGISTRY = {"server": "quay.io", "username": "u", "password": "p"}
INSTANCE = {"id": "node-1", "status": "running", "cpu-capacity": 2.0, "private-ip": "10.0.0.1"}
BUDGET = {
    "config": {
        "monthly-cap-usd": 100,
        "alert-threshold-percent": 80,
        "at-cap-action": "block-new-deploys",
        "pricing-adjustment": 0.7,
    },
    "state": {
        "month-start": "2024-05-01T00:00:00Z",
        "current-month-spend-usd": 120.5,
        "current-month-spend-as-of": "2024-05-10T00:00:00Z",
        "alert-fired-at-threshold": "0001-01-01T00:00:00Z",
        "alert-fired-at-cap": "2024-05-10T00:00:00Z",
        "circuit-breaker-tripped": True,
        "circuit-breaker-ack-at": "0001-01-01T00:00:00Z",
        "per-service-spend-usd": {"web": 120.5},
    },
}
SHUTDOWN = {
    "schemaVersion": 1,
    "armedAt": "2024-05-10T00:00:00Z",
    "shutdownAt": None,
    "restoredAt": None,
    "services": [{"name": "web"}],
    "shutdownTickId": "t1",
}
SYSTEM = {"name": "rack", "version": "3.24.9", "status": "running", "rack-domain": "api.x"}


def ok():
    return httpx.Response(200, text="ok\n")


def js(data):
    return httpx.Response(200, json=data)


# (id, call, method, raw path, query pairs, form pairs or raw body, option headers, answer, check)
CASES = [
    ("apps.list", lambda c: c.apps.list(), "GET", "/apps", [], None, {}, js([APP]), lambda r: r[0].name == "myapp"),
    (
        "apps.get",
        lambda c: c.apps.get("myapp"),
        "GET",
        "/apps/myapp",
        [],
        None,
        {},
        js(APP),
        lambda r: r.release == "RACTIVE",
    ),
    (
        "apps.create",
        lambda c: c.apps.create("myapp"),
        "POST",
        "/apps",
        [],
        [("name", "myapp")],
        {},
        js(APP),
        lambda r: isinstance(r, models.App),
    ),
    (
        "apps.create.timeout",
        lambda c: c.apps.create("myapp", timeout=60),
        "POST",
        "/apps",
        [],
        [("name", "myapp"), ("timeout", "60")],
        {},
        js(APP),
        None,
    ),
    (
        "apps.update",
        lambda c: c.apps.update("myapp", lock=True, parameters={"BuildMem": "1024", "BuildCpu": "512"}),
        "PUT",
        "/apps/myapp",
        [],
        [("lock", "true"), ("parameters", "BuildCpu=512&BuildMem=1024")],
        {},
        ok(),
        lambda r: r is None,
    ),
    (
        "apps.unlock",
        lambda c: c.apps.update("myapp", lock=False),
        "PUT",
        "/apps/myapp",
        [],
        [("lock", "false")],
        {},
        ok(),
        None,
    ),
    ("apps.delete", lambda c: c.apps.delete("myapp"), "DELETE", "/apps/myapp", [], None, {}, ok(), lambda r: r is None),
    ("apps.cancel", lambda c: c.apps.cancel("myapp"), "POST", "/apps/myapp/cancel", [], b"", {}, ok(), None),
    # builds
    (
        "builds.list",
        lambda c: c.builds.list("myapp", limit=5),
        "GET",
        "/apps/myapp/builds",
        [("limit", "5")],
        None,
        {},
        js([BUILD]),
        lambda r: r[0].git_sha == "1a2b" and r[0].ended is None,
    ),
    (
        "builds.list.nolimit",
        lambda c: c.builds.list("myapp"),
        "GET",
        "/apps/myapp/builds",
        [],
        None,
        {},
        js([]),
        lambda r: r == [],
    ),
    (
        "builds.get",
        lambda c: c.builds.get("myapp", "BABCDEFGHIJ"),
        "GET",
        "/apps/myapp/builds/BABCDEFGHIJ",
        [],
        None,
        {},
        js(BUILD),
        lambda r: r.started.microsecond == 500000,
    ),
    (
        "builds.create",
        lambda c: c.builds.create(
            "myapp",
            "object://myapp/tmp/x.tgz",
            build_args={"B": "2", "A": "1"},
            description="build 1",
            development=True,
            external=True,
            manifest="convox2.yml",
            no_cache=True,
            git_sha="abc",
        ),
        "POST",
        "/apps/myapp/builds",
        [],
        [
            ("build-args", "A=1,B=2"),
            ("description", "build 1"),
            ("development", "true"),
            ("external", "true"),
            ("git-sha", "abc"),
            ("manifest", "convox2.yml"),
            ("no-cache", "true"),
            ("url", "object://myapp/tmp/x.tgz"),
        ],
        {},
        js(BUILD),
        lambda r: r.status == "running",
    ),
    (
        "builds.create.minimal",
        lambda c: c.builds.create("myapp", "object://myapp/tmp/x.tgz"),
        "POST",
        "/apps/myapp/builds",
        [],
        [("url", "object://myapp/tmp/x.tgz")],
        {},
        js(BUILD),
        None,
    ),
    (
        "builds.update",
        lambda c: c.builds.update(
            "myapp", "B1", status="complete", release="R1", ended=datetime.datetime(2024, 1, 31, 23, 59, 59, 5)
        ),
        "PUT",
        "/apps/myapp/builds/B1",
        [],
        [("ended", "20240131.235959.000005000"), ("release", "R1"), ("status", "complete")],
        {},
        js(BUILD),
        None,
    ),
    (
        "builds.import",
        lambda c: c.builds.import_build("myapp", b"\x1f\x8bDATA"),
        "POST",
        "/apps/myapp/builds/import",
        [],
        b"\x1f\x8bDATA",
        {},
        js(dict(BUILD, status="complete")),
        lambda r: r.status == "complete",
    ),
    (
        "builds.export",
        lambda c: c.builds.export("myapp", "B1"),
        "GET",
        "/apps/myapp/builds/B1.tgz",
        [],
        None,
        {},
        httpx.Response(200, content=b"\x1f\x8b\x00bytes"),
        lambda r: r == b"\x1f\x8b\x00bytes",
    ),
    # releases
    (
        "releases.list",
        lambda c: c.releases.list("myapp", limit=1),
        "GET",
        "/apps/myapp/releases",
        [("limit", "1")],
        None,
        {},
        js([RELEASE]),
        lambda r: r[0].id == "RNEW",
    ),
    (
        "releases.get",
        lambda c: c.releases.get("myapp", "RNEW"),
        "GET",
        "/apps/myapp/releases/RNEW",
        [],
        None,
        {},
        js(RELEASE),
        lambda r: r.created.year == 2024,
    ),
    (
        "releases.create",
        lambda c: c.releases.create(
            "myapp", build="B1", env={"B": "2", "A": "x=y"}, description="d", parent_release="RPARENT"
        ),
        "POST",
        "/apps/myapp/releases",
        [],
        [("build", "B1"), ("description", "d"), ("env", "A=x=y\nB=2"), ("parent-release", "RPARENT")],
        {},
        js(RELEASE),
        None,
    ),
    (
        "releases.promote.force",
        lambda c: c.releases.promote("myapp", "RNEW", force=True),
        "POST",
        "/apps/myapp/releases/RNEW/promote",
        [],
        [("force", "true")],
        {},
        ok(),
        lambda r: r is None,
    ),
    # services
    (
        "services.list",
        lambda c: c.services.list("myapp"),
        "GET",
        "/apps/myapp/services",
        [],
        None,
        {},
        js([SERVICE]),
        lambda r: r[0].nlb == [] and r[0].ports[0].balancer == 443,
    ),
    (
        "services.update",
        lambda c: c.services.update(
            "myapp", "web", count=3, cpu=256, memory=512, gpu=1, gpu_vendor="nvidia", min=1, max=5
        ),
        "PUT",
        "/apps/myapp/services/web",
        [],
        [
            ("count", "3"),
            ("cpu", "256"),
            ("gpu", "1"),
            ("gpu-vendor", "nvidia"),
            ("max", "5"),
            ("memory", "512"),
            ("min", "1"),
        ],
        {},
        ok(),
        lambda r: r is None,
    ),
    (
        "services.restart",
        lambda c: c.services.restart("myapp", "web"),
        "POST",
        "/apps/myapp/services/web/restart",
        [],
        b"",
        {},
        ok(),
        None,
    ),
    (
        "services.scale_override",
        lambda c: c.services.scale_override("myapp", "web", False),
        "POST",
        "/apps/myapp/services/web/scale-override",
        [],
        [("active", "false")],
        {},
        ok(),
        lambda r: r is None,
    ),
    (
        "services.triggers_enable",
        lambda c: c.services.triggers_enable(
            "myapp",
            "web",
            min=1,
            max=4,
            triggers=[{"type": "cpu", "threshold": 70.0}, {"type": "queueDepth", "threshold": 2.5}],
        ),
        "POST",
        "/apps/myapp/services/web/triggers/enable",
        [],
        [
            (
                "opts",
                '{"min":1,"max":4,"triggers":[{"type":"cpu","threshold":70},{"type":"queueDepth","threshold":2.5}]}',
            )
        ],
        {},
        ok(),
        lambda r: r is None,
    ),
    (
        "services.triggers_disable",
        lambda c: c.services.triggers_disable("myapp", "web"),
        "POST",
        "/apps/myapp/services/web/triggers/disable",
        [],
        b"",
        {},
        ok(),
        None,
    ),
    (
        "services.triggers_threshold",
        lambda c: c.services.triggers_threshold("myapp", "web", "memory", 55),
        "POST",
        "/apps/myapp/services/web/triggers/threshold",
        [],
        [("threshold", "55"), ("type", "memory")],
        {},
        ok(),
        lambda r: r is None,
    ),
    # processes
    (
        "processes.list",
        lambda c: c.processes.list("myapp", service="web", release="R1"),
        "GET",
        "/apps/myapp/processes",
        [("release", "R1"), ("service", "web")],
        None,
        {},
        js([PROCESS]),
        lambda r: r[0].ports == [],
    ),
    (
        "processes.get",
        lambda c: c.processes.get("myapp", "web-4fjx9"),
        "GET",
        "/apps/myapp/processes/web-4fjx9",
        [],
        None,
        {},
        js(PROCESS),
        None,
    ),
    (
        "processes.stop",
        lambda c: c.processes.stop("myapp", "web-4fjx9"),
        "DELETE",
        "/apps/myapp/processes/web-4fjx9",
        [],
        None,
        {},
        ok(),
        None,
    ),
    (
        "processes.run",
        lambda c: c.processes.run(
            "myapp",
            "web",
            command=["bin/migrate", "--all"],
            environment={"MODE": "fast", "DEBUG": "1"},
            memory=512,
            release="RXYZ",
            cpu=100,
            cpu_limit=200,
            memory_limit=1024,
            gpu=1,
            gpu_vendor="amd",
            image="img:1",
            volumes={"/a": "/b"},
            use_service_volume=True,
            node_labels={"zone": "a"},
            system_critical=False,
            privileged=True,
            height=40,
            width=120,
        ),
        "POST",
        "/apps/myapp/services/web/processes",
        [],
        b"",
        {
            "Command": "bin/migrate --all",
            "Environment": "DEBUG=1&MODE=fast",
            "Memory": "512",
            "Release": "RXYZ",
            "Cpu": "100",
            "Cpu-Limit": "200",
            "Memory-Limit": "1024",
            "Gpu": "1",
            "Gpu-Vendor": "amd",
            "Image": "img:1",
            "Volumes": "%2Fa=%2Fb",
            "Use-Service-Volume": "true",
            "Node-Labels": "zone=a",
            "System-Critical": "false",
            "Privileged": "true",
            "Height": "40",
            "Width": "120",
        },
        js(PROCESS),
        lambda r: r.id == "web-4fjx9",
    ),
    # resources
    (
        "resources.list",
        lambda c: c.resources.list(),
        "GET",
        "/resources",
        [],
        None,
        {},
        js([RESOURCE]),
        lambda r: r[0].parameters == {"Url": "https://x"},
    ),
    (
        "resources.list.app",
        lambda c: c.resources.list("myapp"),
        "GET",
        "/apps/myapp/resources",
        [],
        None,
        {},
        js([RESOURCE]),
        None,
    ),
    ("resources.get", lambda c: c.resources.get("hook"), "GET", "/resources/hook", [], None, {}, js(RESOURCE), None),
    (
        "resources.get.app",
        lambda c: c.resources.get("db", app="myapp"),
        "GET",
        "/apps/myapp/resources/db",
        [],
        None,
        {},
        js(RESOURCE),
        None,
    ),
    (
        "resources.create",
        lambda c: c.resources.create("webhook", name="hook", parameters={"Url": "https://x/y?a=b"}),
        "POST",
        "/resources",
        [],
        [("kind", "webhook"), ("name", "hook"), ("parameters", "Url=https%3A%2F%2Fx%2Fy%3Fa%3Db")],
        {},
        js(RESOURCE),
        None,
    ),
    (
        "resources.update",
        lambda c: c.resources.update("hook", {"Url": "u"}),
        "PUT",
        "/resources/hook",
        [],
        [("parameters", "Url=u")],
        {},
        js(RESOURCE),
        None,
    ),
    ("resources.delete", lambda c: c.resources.delete("hook"), "DELETE", "/resources/hook", [], None, {}, ok(), None),
    (
        "resources.link",
        lambda c: c.resources.link("hook", "myapp"),
        "POST",
        "/resources/hook/links",
        [],
        [("app", "myapp")],
        {},
        js(RESOURCE),
        None,
    ),
    (
        "resources.unlink",
        lambda c: c.resources.unlink("hook", "myapp"),
        "DELETE",
        "/resources/hook/links/myapp",
        [],
        None,
        {},
        js(RESOURCE),
        None,
    ),
    (
        "resources.types",
        lambda c: c.resources.types(),
        "OPTIONS",
        "/resources",
        [],
        None,
        {},
        js([{"name": "webhook", "parameters": [{"name": "Url", "default": "", "description": "target"}]}]),
        lambda r: r[0].parameters[0].name == "Url",
    ),
    # instances
    (
        "instances.list",
        lambda c: c.instances.list(),
        "GET",
        "/instances",
        [],
        None,
        {},
        js([INSTANCE]),
        lambda r: r[0].cpu_capacity == 2.0 and r[0].private_ip == "10.0.0.1",
    ),
    (
        "instances.terminate",
        lambda c: c.instances.terminate("node-1"),
        "DELETE",
        "/instances/node-1",
        [],
        None,
        {},
        ok(),
        None,
    ),
    (
        "instances.keyroll",
        lambda c: c.instances.keyroll(),
        "POST",
        "/instances/keyroll",
        [],
        b"",
        {},
        js({"name": "kp", "private-key": "PEM"}),
        lambda r: r.private_key == "PEM" and "PEM" not in repr(r),
    ),
    (
        "instances.keyroll.v2",
        lambda c: c.instances.keyroll(),
        "POST",
        "/instances/keyroll",
        [],
        b"",
        {},
        ok(),
        lambda r: r is None,
    ),
    # registries
    (
        "registries.list",
        lambda c: c.registries.list(),
        "GET",
        "/registries",
        [],
        None,
        {},
        js([REGISTRY]),
        lambda r: r[0].server == "quay.io",
    ),
    (
        "registries.add",
        lambda c: c.registries.add("quay.io", "u", "p w"),
        "POST",
        "/registries",
        [],
        [("password", "p w"), ("server", "quay.io"), ("username", "u")],
        {},
        js(REGISTRY),
        None,
    ),
    (
        "registries.remove",
        lambda c: c.registries.remove("index.docker.io/v1"),
        "DELETE",
        "/registries/index.docker.io/v1",
        [],
        None,
        {},
        ok(),
        None,
    ),
    # certificates
    (
        "certificates.list",
        lambda c: c.certificates.list(),
        "GET",
        "/certificates",
        [],
        None,
        {},
        js([CERT]),
        lambda r: r[0].domains == [],
    ),
    (
        "certificates.list.generated",
        lambda c: c.certificates.list(generated=True),
        "GET",
        "/certificates",
        [("generated", "true")],
        None,
        {},
        js([]),
        None,
    ),
    (
        "certificates.create",
        lambda c: c.certificates.create("PUB", "KEY", chain="CHAIN"),
        "POST",
        "/certificates",
        [],
        [("chain", "CHAIN"), ("key", "KEY"), ("pub", "PUB")],
        {},
        js(CERT),
        None,
    ),
    (
        "certificates.generate",
        lambda c: c.certificates.generate(
            ["a.example", "b.example"], issuer="letsencrypt", duration=datetime.timedelta(hours=4320)
        ),
        "POST",
        "/certificates/generate",
        [],
        [("domains", "a.example,b.example"), ("duration", "4320h0m0s"), ("issuer", "letsencrypt")],
        {},
        js(CERT),
        None,
    ),
    (
        "certificates.delete",
        lambda c: c.certificates.delete("cert-abcde"),
        "DELETE",
        "/certificates/cert-abcde",
        [],
        None,
        {},
        ok(),
        None,
    ),
    (
        "certificates.renew",
        lambda c: c.certificates.renew("myapp"),
        "POST",
        "/certificates/myapp/renew",
        [],
        b"",
        {},
        ok(),
        None,
    ),
    (
        "certificates.apply",
        lambda c: c.certificates.apply("myapp", "web", 443, "cert-abcde"),
        "PUT",
        "/apps/myapp/ssl/web/443",
        [],
        [("id", "cert-abcde")],
        {},
        ok(),
        None,
    ),
    # budget
    (
        "budget.get",
        lambda c: c.budget.get("myapp"),
        "GET",
        "/apps/myapp/budget",
        [],
        None,
        {},
        js(BUDGET),
        lambda r: (
            r.config.monthly_cap_usd == 100.0
            and r.config.at_cap_action == "block-new-deploys"
            and r.state.circuit_breaker_tripped is True
            and r.state.alert_fired_at_threshold is None
            and r.state.per_service_spend_usd == {"web": 120.5}
        ),
    ),
    (
        "budget.get.unset",
        lambda c: c.budget.get("myapp"),
        "GET",
        "/apps/myapp/budget",
        [],
        None,
        {},
        js({"config": None, "state": None}),
        lambda r: r.config is None and r.state is None,
    ),
    (
        "budget.set",
        lambda c: c.budget.set(
            "myapp",
            monthly_cap_usd=100.0,
            alert_threshold_percent=50,
            at_cap_action="auto-shutdown",
            pricing_adjustment="0.70",
        ),
        "POST",
        "/apps/myapp/budget",
        [],
        [
            ("alert-threshold-percent", "50"),
            ("at-cap-action", "auto-shutdown"),
            ("monthly-cap-usd", "100"),
            ("pricing-adjustment", "0.7"),
        ],
        {},
        ok(),
        lambda r: r is None,
    ),
    (
        "budget.set.threshold_only",
        lambda c: c.budget.set("myapp", alert_threshold_percent=60),
        "POST",
        "/apps/myapp/budget",
        [],
        [("alert-threshold-percent", "60")],
        {},
        ok(),
        None,
    ),
    ("budget.clear", lambda c: c.budget.clear("myapp"), "DELETE", "/apps/myapp/budget", [], None, {}, ok(), None),
    (
        "budget.reset",
        lambda c: c.budget.reset("myapp", force_clear_cooldown=True, reset_period=True),
        "POST",
        "/apps/myapp/budget/reset",
        [],
        [("force_clear_cooldown", "true"), ("reset_period", "true")],
        {},
        ok(),
        None,
    ),
    (
        "budget.shutdown_state",
        lambda c: c.budget.shutdown_state("myapp"),
        "GET",
        "/apps/myapp/budget/shutdown-state",
        [],
        None,
        {},
        js(SHUTDOWN),
        lambda r: (
            r.armed_at == datetime.datetime(2024, 5, 10, tzinfo=datetime.timezone.utc)
            and r.shutdown_at is None
            and r.schema_version == 1
            and r.services == [{"name": "web"}]
        ),
    ),
    (
        "budget.shutdown_state.none",
        lambda c: c.budget.shutdown_state("myapp"),
        "GET",
        "/apps/myapp/budget/shutdown-state",
        [],
        None,
        {},
        httpx.Response(200, text="null\n", headers={"Content-Type": "application/json"}),
        lambda r: r is None,
    ),
    (
        "budget.simulate_shutdown",
        lambda c: c.budget.simulate_shutdown("myapp"),
        "POST",
        "/apps/myapp/budget/simulate-shutdown",
        [],
        b"",
        {},
        js({"app": "myapp", "would-shut-down-services": ["web"], "would-shut-down-count": 1}),
        lambda r: r.would_shut_down_services == ["web"] and r.would_shut_down_count == 1,
    ),
    (
        "budget.dismiss_recovery",
        lambda c: c.budget.dismiss_recovery("myapp"),
        "POST",
        "/apps/myapp/budget/dismiss-recovery",
        [],
        b"",
        {},
        js({"app": "myapp", "status": "no-banner"}),
        lambda r: r.status == "no-banner",
    ),
    # system
    (
        "system.get",
        lambda c: c.system.get(),
        "GET",
        "/system",
        [],
        None,
        {},
        js(SYSTEM),
        lambda r: r.rack_domain == "api.x",
    ),
    (
        "system.update",
        lambda c: c.system.update(count=3, type="t3.large", version="3.24.9", force=True, parameters={"k": "v"}),
        "PUT",
        "/system",
        [],
        [("count", "3"), ("force", "true"), ("parameters", "k=v"), ("type", "t3.large"), ("version", "3.24.9")],
        {},
        ok(),
        None,
    ),
    (
        "system.capacity",
        lambda c: c.system.capacity(),
        "GET",
        "/system/capacity",
        [],
        None,
        {},
        js({"cluster-cpu": 4000, "process-count": 3}),
        lambda r: r.cluster_cpu == 4000,
    ),
    (
        "system.processes",
        lambda c: c.system.processes(all=True),
        "GET",
        "/system/processes",
        [("all", "true")],
        None,
        {},
        js([PROCESS]),
        None,
    ),
    (
        "system.processes.default",
        lambda c: c.system.processes(),
        "GET",
        "/system/processes",
        [],
        None,
        {},
        js([]),
        None,
    ),
    ("system.releases", lambda c: c.system.releases(), "GET", "/system/releases", [], None, {}, js([RELEASE]), None),
    (
        "system.metrics",
        lambda c: c.system.metrics(start=datetime.datetime(2024, 1, 1), metrics=["cpu", "mem"], period=60),
        "GET",
        "/system/metrics",
        [("metrics", "cpu,mem"), ("period", "60"), ("start", "20240101.000000.000000000")],
        None,
        {},
        js([{"name": "cpu", "values": [{"avg": 1.5, "time": "2024-01-01T00:00:00Z"}]}]),
        lambda r: r[0].values[0].avg == 1.5,
    ),
    (
        "system.jwt",
        lambda c: c.system.jwt("read", 24),
        "POST",
        "/system/jwt/token",
        [],
        [("durationInHour", "24"), ("role", "read")],
        {},
        js({"token": "tok"}),
        lambda r: r == "tok",
    ),
    ("system.jwt_rotate", lambda c: c.system.jwt_rotate(), "PUT", "/system/jwt/rotate", [], b"", {}, ok(), None),
    (
        "system.letsencrypt_config",
        lambda c: c.system.letsencrypt_config(),
        "GET",
        "/letsencrypt/config",
        [],
        None,
        {},
        js({"role": "r", "solvers": [{"id": 1, "dns-zones": ["a.example"], "route53": None}]}),
        lambda r: r.solvers[0].dns_zones == ["a.example"],
    ),
    (
        "system.letsencrypt_config_set",
        lambda c: c.system.letsencrypt_config_set(
            {
                "role": "r",
                "solvers": [
                    {"id": 1, "dns-zones": ["a"], "route53": {"hosted-zone-id": "Z", "region": None, "role": None}}
                ],
            }
        ),
        "PUT",
        "/letsencrypt/config",
        [],
        json.dumps(
            {
                "role": "r",
                "solvers": [
                    {"dns-zones": ["a"], "id": 1, "route53": {"hosted-zone-id": "Z", "region": None, "role": None}}
                ],
            },
            sort_keys=True,
        ).encode(),
        {},
        ok(),
        None,
    ),
    # objects
    (
        "objects.store",
        lambda c: c.objects.store("myapp", "tmp/a b.tgz", b"\x00\x01"),
        "POST",
        "/apps/myapp/objects/tmp/a%20b.tgz",
        [],
        b"\x00\x01",
        {},
        js({"Url": "object://myapp/tmp/a b.tgz"}),
        lambda r: r == "object://myapp/tmp/a b.tgz",
    ),
    (
        "objects.store.public",
        lambda c: c.objects.store("myapp", "k", b"x", public=True),
        "POST",
        "/apps/myapp/objects/k",
        [],
        b"x",
        {"Public": "true"},
        js({"Url": "https://bucket/k"}),
        None,
    ),
    (
        "objects.fetch",
        lambda c: c.objects.fetch("myapp", "build/B1/logs"),
        "GET",
        "/apps/myapp/objects/build/B1/logs",
        [],
        None,
        {},
        httpx.Response(200, content=b"log\xff"),
        lambda r: r == b"log\xff",
    ),
    (
        "objects.delete",
        lambda c: c.objects.delete("myapp", "k"),
        "DELETE",
        "/apps/myapp/objects/k",
        [],
        None,
        {},
        ok(),
        None,
    ),
    (
        "objects.list",
        lambda c: c.objects.list("myapp", prefix="tmp/"),
        "GET",
        "/apps/myapp/objects",
        [("prefix", "tmp/")],
        None,
        {},
        js(["tmp/a", "tmp/b"]),
        lambda r: r == ["tmp/a", "tmp/b"],
    ),
    # escape hatch
    (
        "api.get",
        lambda c: c.api.get("/apps/myapp/configs", params={"x": True}),
        "GET",
        "/apps/myapp/configs",
        [("x", "true")],
        None,
        {},
        js([{"name": "c", "value": "v"}]),
        lambda r: r == [{"name": "c", "value": "v"}],
    ),
    (
        "api.get.data",
        lambda c: c.api.get("/apps/myapp/diagnose", data={"age": 10, "events": False}),
        "GET",
        "/apps/myapp/diagnose",
        [("age", "10"), ("events", "false")],
        None,
        {},
        js({}),
        None,
    ),
    (
        "api.post",
        lambda c: c.api.post("/events", data={"action": "app:create", "data": {"app": "x"}}),
        "POST",
        "/events",
        [],
        [("action", "app:create"), ("data", "app=x")],
        {},
        ok(),
        lambda r: r == "ok",
    ),
    (
        "api.put",
        lambda c: c.api.put("/apps/myapp/configs/c", data={"value": "dg=="}),
        "PUT",
        "/apps/myapp/configs/c",
        [],
        [("value", "dg==")],
        {},
        ok(),
        None,
    ),
    (
        "api.delete",
        lambda c: c.api.delete("/apps/myapp/budget", data={"ack_by": "me"}),
        "DELETE",
        "/apps/myapp/budget",
        [("ack_by", "me")],
        None,
        {},
        ok(),
        None,
    ),
    ("api.options", lambda c: c.api.options("/resources"), "OPTIONS", "/resources", [], None, {}, js([]), None),
    (
        "api.head",
        lambda c: c.api.head("/apps/myapp/objects/k"),
        "HEAD",
        "/apps/myapp/objects/k",
        [],
        None,
        {},
        httpx.Response(200),
        lambda r: r == "",
    ),
    (
        "api.post.raw",
        lambda c: c.api.post(
            "/apps/myapp/processes/p/files", params={"tar-extra": "x"}, content=b"TAR", headers={"X-A": 1}
        ),
        "POST",
        "/apps/myapp/processes/p/files",
        [("tar-extra", "x")],
        b"TAR",
        {"X-A": "1"},
        ok(),
        None,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_operation_request(client, router, case):
    _name, call, method, path, query, body, headers, answer, check = case
    route = router.route(method=method, path__regex=r".*").mock(return_value=answer)
    result = call(client)
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == method
    assert request.url.raw_path.split(b"?")[0].decode() == path
    assert parse_qsl(request.url.query.decode(), keep_blank_values=True) == query
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == "convox.go/3.24.9"
    assert request.headers["version"] == "3.24.9"
    assert request.headers["authorization"] == "Basic Y29udm94OnNlY3JldA=="
    assert "rack" not in request.headers
    if body is None:
        assert request.content == b""
        assert "content-type" not in request.headers
    elif isinstance(body, bytes):
        assert request.content == body
        assert request.headers["content-type"] == OCTET
    else:
        assert request.headers["content-type"] == FORM
        assert parse_qsl(request.content.decode(), keep_blank_values=True) == body
        names = [name for name, _value in parse_qsl(request.content.decode())]
        assert names == sorted(names)
    for name, value in headers.items():
        assert request.headers[name] == value
    if check is not None:
        assert check(result), result


def test_run_without_options_sends_only_command(client, router):
    route = router.post("/apps/myapp/services/web/processes").mock(return_value=js(PROCESS))
    client.processes.run("myapp", "web", command="sleep 10")
    sent = route.calls.last.request.headers
    assert sent["command"] == "sleep 10"
    for name in ("environment", "memory", "release", "cpu", "image"):
        assert name not in sent


def test_run_rejects_unknown_option(client):
    with pytest.raises(TypeError, match="bogus"):
        client.processes.run("myapp", "web", command="x", bogus=1)


def test_node_labels_as_list(client, router):
    route = router.post("/apps/myapp/services/web/processes").mock(return_value=js(PROCESS))
    client.processes.run("myapp", "web", node_labels=["a=1", "b=2"])
    assert route.calls.last.request.headers["node-labels"] == "a=1,b=2"


def test_path_segments_are_quoted(client, router):
    route = router.get(path__regex=r".*").mock(return_value=js(APP))
    client.apps.get("we/ird app")
    assert route.calls.last.request.url.raw_path == b"/apps/we%2Fird%20app"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.apps.get(""),
        lambda c: c.builds.get("myapp", " "),
        lambda c: c.releases.get("", "R1"),
        lambda c: c.certificates.apply("myapp", "web", "443", "cert"),
        lambda c: c.certificates.generate([]),
        lambda c: c.system.metrics(bogus=1),
        lambda c: c.budget.get(""),
        lambda c: c.budget.set("myapp"),
        lambda c: c.budget.set("myapp", monthly_cap_usd="lots"),
        lambda c: c.budget.set("myapp", monthly_cap_usd=float("inf")),
        lambda c: c.budget.set("myapp", at_cap_action="panic"),
        lambda c: c.services.scale_override("myapp", "", True),
        lambda c: c.services.triggers_enable("myapp", "web", min=1, max=2, triggers=[{"type": "disk", "threshold": 5}]),
        lambda c: c.services.triggers_enable(
            "myapp", "web", min=1, max=2, triggers=[{"type": "cpu", "threshold": "x"}]
        ),
        lambda c: c.services.triggers_threshold("myapp", "web", "cpu", float("nan")),
        lambda c: c.services.triggers_threshold("myapp", "web", "gpu", 50),
    ],
)
def test_bad_input_sends_nothing(client, router, call):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError

    route = router.route(path__regex=r".*").mock(return_value=js({}))
    with pytest.raises(ConvoxInputError):
        call(client)
    assert route.call_count == 0


def test_objects_list_rejects_non_list(client, router):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

    router.get("/apps/myapp/objects").mock(return_value=js({"a": 1}))
    with pytest.raises(ConvoxError, match="list of object keys"):
        client.objects.list("myapp")


def test_jwt_empty_token_raises(client, router):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

    router.post("/system/jwt/token").mock(return_value=js({"token": ""}))
    with pytest.raises(ConvoxError, match="empty token"):
        client.system.jwt("bogus", 1)


def test_unexpected_shape_raises_convox_error(client, router):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

    router.get("/apps/myapp").mock(return_value=js(["not", "an", "object"]))
    with pytest.raises(ConvoxError, match="expected a JSON object"):
        client.apps.get("myapp")
    router.get("/apps").mock(return_value=js({"not": "a list"}))
    with pytest.raises(ConvoxError, match="expected a JSON list"):
        client.apps.list()
    router.get("/system").mock(return_value=js({"count": "many"}))
    with pytest.raises(ConvoxError, match="unexpected answer"):
        client.system.get()


def _has_model(value):
    if isinstance(value, models.ConvoxModel):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_model(item) for item in value)
    return False


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_records_answer_like_models(client, router, case):
    """``records=True``: every accessor answers with records that read like the models."""
    from ansible_collections.convox.convox.plugins.module_utils import _records

    _name, call, method, _path, _query, _body, _headers, answer, _check = case
    router.route(method=method, path__regex=r".*").mock(return_value=answer)
    want = call(client)
    client.records = True
    got = call(client)
    assert not _has_model(got)  # the usual answers never need pydantic
    assert models.to_result(got) == models.to_result(want)
    if isinstance(want, models.ConvoxModel):
        assert isinstance(got, _records.Record)
        assert got.record_type == type(want).__name__
