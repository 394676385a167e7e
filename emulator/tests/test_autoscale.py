"""Per-service scale override and autoscale triggers (5.6, 3.24.6+)."""

from __future__ import annotations

import json
from typing import Any, Dict

import httpx
import pytest

from convox_emulator.testing import EmulatorHandle, start_emulator

from .conftest import create_app, deploy, wait_for

GPU_MANIFEST = "services:\n  web:\n    port: 3000\n    scale: 2\n  gpu:\n    scale:\n      gpu: 1\n"


def service(client: httpx.Client, name: str = "web") -> Dict[str, Any]:
    return next(s for s in client.get("/apps/myapp/services").json() if s["name"] == name)


def enable(client: httpx.Client, opts: Any, name: str = "web") -> httpx.Response:
    raw = opts if isinstance(opts, str) else json.dumps(opts)
    return client.post(f"/apps/myapp/services/{name}/triggers/enable", data={"opts": raw})


def test_scale_override_toggles_and_is_listed(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    assert service(client)["scale-override-active"] is False
    resp = client.post("/apps/myapp/services/web/scale-override", data={"active": "true"})
    assert (resp.status_code, resp.text) == (200, "ok\n")
    assert service(client)["scale-override-active"] is True
    assert service(client)["count"] == 2  # the flag alone does not scale
    state = emu.rack_state()["apps"]["myapp"]
    assert state["scale_overrides"] == ["web"]
    toggles = [e for e in emu.rack_state()["events"] if e["action"] == "app:scale-override:toggled"]
    assert [e["state"] for e in toggles] == ["on"]
    # the same value again is no event; a scale still goes through
    client.post("/apps/myapp/services/web/scale-override", data={"active": "TRUE"})
    assert client.put("/apps/myapp/services/web", data={"count": "3"}).status_code == 200
    client.post("/apps/myapp/services/web/scale-override", data={"active": "false"})
    assert service(client)["scale-override-active"] is False
    toggles = [e for e in emu.rack_state()["events"] if e["action"] == "app:scale-override:toggled"]
    assert [e["state"] for e in toggles] == ["on", "off"]


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({}, 400, 'active form-param is required ("true" or "false")'),
        ({"active": "yes"}, 400, 'active must be "true" or "false": strconv.ParseBool: parsing "yes": invalid syntax'),
    ],
)
def test_scale_override_input_errors(client: httpx.Client, form: dict, status: int, message: str) -> None:
    deploy(client)
    resp = client.post("/apps/myapp/services/web/scale-override", data=form)
    assert (resp.status_code, resp.text) == (status, message + "\n")


def test_scale_override_unknown_service_and_app(client: httpx.Client) -> None:
    deploy(client)
    for path in ("/apps/myapp/services/nope/scale-override", "/apps/nope/services/nope/scale-override"):
        resp = client.post(path, data={"active": "true"})
        assert (resp.status_code, resp.text) == (500, 'deployments.apps "nope" not found\n')


def test_triggers_enable_threshold_disable(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    resp = enable(client, {"min": 3, "max": 6, "triggers": [{"type": "cpu", "threshold": 70}]})
    assert (resp.status_code, resp.text) == (200, "ok\n")
    got = service(client)
    assert got["triggers-override-active"] is True
    assert got["autoscale"] == {"enabled": True, "cpu-threshold": 70}
    assert (got["count"], got["min"], got["max"]) == (3, 3, 6)
    wait_for(lambda: len([p for p in client.get("/apps/myapp/processes").json() if p["name"] == "web"]) == 3)
    assert emu.rack_state()["apps"]["myapp"]["triggers_overrides"]["web"] == {
        "crd": "hpa",
        "min": 3,
        "max": 6,
        "triggers": {"cpu": 70.0},
    }
    # threshold: an hpa override takes memory too (added), but not a queue trigger
    assert (
        client.post("/apps/myapp/services/web/triggers/threshold", data={"type": "memory", "threshold": "55.9"}).text
        == "ok\n"
    )
    assert service(client)["autoscale"] == {"enabled": True, "cpu-threshold": 70, "mem-threshold": 55}
    resp = client.post("/apps/myapp/services/web/triggers/threshold", data={"type": "queueDepth", "threshold": "5"})
    assert (resp.status_code, resp.text) == (500, "HPA-backed override supports only cpu and memory triggers\n")
    # range scale patches the autoscaler's bounds
    client.put("/apps/myapp/services/web", data={"max": "8"})
    assert service(client)["max"] == 8
    # disable: back to the manifest's scale, idempotent
    assert client.post("/apps/myapp/services/web/triggers/disable").text == "ok\n"
    got = service(client)
    assert got["triggers-override-active"] is False
    assert "autoscale" not in got
    assert (got["count"], got["min"], got["max"]) == (2, 2, 2)
    assert client.post("/apps/myapp/services/web/triggers/disable").text == "ok\n"
    states = [e["state"] for e in emu.rack_state()["events"] if e["action"] == "app:triggers-override:toggled"]
    assert states == ["on", "off"]


def test_threshold_without_override_is_refused(client: httpx.Client) -> None:
    deploy(client)
    resp = client.post("/apps/myapp/services/web/triggers/threshold", data={"type": "cpu", "threshold": "50"})
    assert resp.status_code == 500
    assert resp.text.startswith("threshold edits require an active triggers override.")
    assert "autoscale" not in service(client)


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"type": "cpu"}, 400, "threshold form-param is required"),
        ({"type": "cpu", "threshold": "x"}, 400, 'invalid threshold: strconv.ParseFloat: parsing "x": invalid syntax'),
        ({"type": "disk", "threshold": "5"}, 500, 'unknown trigger type "disk"'),
        ({"type": "cpu", "threshold": "0"}, 500, "threshold must be positive"),
        ({"type": "cpu", "threshold": "101"}, 500, "percent triggers must be <= 100"),
    ],
)
def test_threshold_input_errors(client: httpx.Client, form: dict, status: int, message: str) -> None:
    deploy(client)
    resp = client.post("/apps/myapp/services/web/triggers/threshold", data=form)
    assert (resp.status_code, resp.text) == (status, message + "\n")


@pytest.mark.parametrize(
    ("opts", "status", "message"),
    [
        ("", 400, "invalid opts payload: unexpected end of JSON input"),
        (
            '{"min": "1"}',
            400,
            "invalid opts payload: json: cannot unmarshal string into Go struct field "
            "ServiceTriggersOptions.min of type int",
        ),
        ({"min": -1, "max": 2, "triggers": [{"type": "cpu", "threshold": 50}]}, 500, "min must be >= 0"),
        ({"min": 1, "max": 0, "triggers": [{"type": "cpu", "threshold": 50}]}, 500, "max must be >= 1"),
        ({"min": 3, "max": 2, "triggers": [{"type": "cpu", "threshold": 50}]}, 500, "max must be >= min"),
        ({"min": 1, "max": 2, "triggers": []}, 500, "at least one trigger is required"),
        ({"min": 1, "max": 2, "triggers": [{"type": "cpu", "threshold": 150}]}, 500, "percent triggers must be <= 100"),
        (
            {"min": 1, "max": 2, "triggers": [{"type": "cpu", "threshold": 50}, {"type": "cpu", "threshold": 60}]},
            500,
            'duplicate trigger type "cpu"',
        ),
        (
            {"min": 0, "max": 2, "triggers": [{"type": "memory", "threshold": 50}]},
            500,
            "CPU and memory triggers do not support min=0. To scale to zero, add a GPU utilization or inference "
            "queue depth trigger, or set min to 1 or higher",
        ),
        (
            {"min": 1, "max": 2, "triggers": [{"type": "gpuUtilization", "threshold": 50}]},
            500,
            "GPU autoscale requires the service to declare scale.gpu.count >= 1 in convox.yml",
        ),
    ],
)
def test_enable_errors_leave_the_service_alone(
    emu: EmulatorHandle, client: httpx.Client, opts: Any, status: int, message: str
) -> None:
    deploy(client)
    resp = enable(client, opts)
    assert (resp.status_code, resp.text) == (status, message + "\n")
    assert emu.rack_state()["apps"]["myapp"]["triggers_overrides"] == {}


def test_keda_override_scales_to_zero_and_only_edits_its_triggers(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client, manifest=GPU_MANIFEST)
    opts = {
        "min": 0,
        "max": 4,
        "triggers": [{"type": "gpuUtilization", "threshold": 60}, {"type": "queueDepth", "threshold": 250}],
    }
    assert enable(client, opts, "gpu").text == "ok\n"
    got = service(client, "gpu")
    assert got["autoscale"] == {"enabled": True, "gpu-threshold": 60, "queue-threshold": 250}
    assert got["count"] == 0
    assert emu.rack_state()["apps"]["myapp"]["triggers_overrides"]["gpu"]["crd"] == "keda"
    resp = client.post("/apps/myapp/services/gpu/triggers/threshold", data={"type": "cpu", "threshold": "50"})
    assert (resp.status_code, resp.text) == (
        500,
        'trigger "cpu" not present on this ScaledObject; enable it first via service triggers enable\n',
    )
    assert (
        client.post("/apps/myapp/services/gpu/triggers/threshold", data={"type": "queueDepth", "threshold": "500"}).text
        == "ok\n"
    )
    assert service(client, "gpu")["autoscale"]["queue-threshold"] == 500
    # switching to cpu replaces the autoscaler
    assert enable(client, {"min": 1, "max": 2, "triggers": [{"type": "cpu", "threshold": 80}]}, "gpu").text == "ok\n"
    assert service(client, "gpu")["autoscale"] == {"enabled": True, "cpu-threshold": 80}


def test_unknown_service_for_triggers(client: httpx.Client) -> None:
    deploy(client)
    opts = {"min": 1, "max": 2, "triggers": [{"type": "cpu", "threshold": 50}]}
    assert (enable(client, opts, "nope").status_code, enable(client, opts, "nope").text) == (
        500,
        "service not found: myapp/nope\n",
    )
    resp = client.post("/apps/myapp/services/nope/triggers/disable")
    assert (resp.status_code, resp.text) == (500, "service not found: myapp/nope\n")


def test_ack_by_is_deprecated_and_recorded(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    resp = client.post("/apps/myapp/services/web/scale-override", data={"active": "true", "ack_by": "alice"})
    assert resp.headers["Deprecation"] == "true"
    event = [e for e in emu.rack_state()["events"] if e["action"] == "app:scale-override:toggled"][-1]
    assert event["actor"] == "alice"


def test_budget_breaker_does_not_block_these_routes(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "block-new-deploys"})
    emu.spend("myapp", 50)
    assert client.put("/apps/myapp/services/web", data={"count": "3"}).status_code == 409
    assert client.post("/apps/myapp/services/web/scale-override", data={"active": "true"}).status_code == 200
    assert enable(client, {"min": 1, "max": 3, "triggers": [{"type": "cpu", "threshold": 50}]}).status_code == 200


def test_older_rack_has_none_of_it() -> None:
    with (
        start_emulator(legacy=True, in_process=True, delay_scale=0.1) as emu,
        httpx.Client(verify=False, base_url=emu.url, auth=("convox", emu.password)) as http,
    ):
        create_app(http)
        deploy(http)
        listed = http.get("/apps/myapp/services").json()[0]
        assert "scale-override-active" not in listed
        assert "triggers-override-active" not in listed
        for path in ("scale-override", "triggers/enable", "triggers/disable", "triggers/threshold"):
            resp = http.post(f"/apps/myapp/services/web/{path}", data={"active": "true"})
            assert (resp.status_code, resp.text) == (404, ""), path
