"""App cost and GPU metrics per service (5.1, 5.6, 3.24.6+), and the budget's remaining rules:
cost tracking off, auto-shutdown scale to zero, restore, the 24 h flap cooldown."""

from __future__ import annotations

from typing import Any, Dict

import httpx
import pytest

from convox_emulator.testing import EmulatorHandle, start_emulator

from .conftest import create_app, deploy

GPU_NAMES = [
    "gpu-util",
    "gpu-mem-used",
    "gpu-tensor-active",
    "gpu-sm-active",
    "gpu-dram-active",
    "gpu-fp16-active",
    "gpu-fp32-active",
    "gpu-power-w",
]


def web_count(client: httpx.Client) -> int:
    services = {s["name"]: s for s in client.get("/apps/myapp/services").json()}
    return int(services["web"]["count"])


def test_cost_before_any_tick(client: httpx.Client) -> None:
    create_app(client)
    cost = client.get("/apps/myapp/cost").json()
    assert cost["app"] == "myapp"
    assert cost["spend-usd"] == 0
    assert cost["breakdown"] == []
    assert cost["as-of"] == "0001-01-01T00:00:00Z"
    assert cost["month-start"].endswith("-01T00:00:00Z")
    assert cost["pricing-source"] == "static-table"
    assert cost["pricing-adjustment"] == 1
    assert cost["tracking-enabled"] is True
    assert "variant-breakdown" not in cost and "warning-count" not in cost


def test_cost_breakdown_sorted_by_spend(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "100", "pricing-adjustment": "0.8"})
    emu.spend("myapp", 12.5, per_service={"web": 2.5, "worker": 10, "api": 2.5})
    cost = client.get("/apps/myapp/cost").json()
    assert cost["spend-usd"] == 12.5
    assert cost["pricing-adjustment"] == 0.8
    assert [(line["service"], line["spend-usd"]) for line in cost["breakdown"]] == [
        ("worker", 10),
        ("api", 2.5),
        ("web", 2.5),
    ]
    assert cost["as-of"] != "0001-01-01T00:00:00Z"


def test_cost_unknown_app_and_legacy(client: httpx.Client) -> None:
    resp = client.get("/apps/nope/cost")
    assert (resp.status_code, resp.text) == (404, "app not found: nope\n")
    with (
        start_emulator(legacy=True, in_process=True, delay_scale=0.1) as old,
        httpx.Client(verify=False, base_url=old.url, auth=("convox", old.password)) as http,
    ):
        create_app(http)
        for path in ("/apps/myapp/cost", "/apps/myapp/metrics-by-service", "/apps/myapp/services/web/metrics"):
            gone = http.get(path)
            assert (gone.status_code, gone.text) == (404, "")


def test_metrics_by_service_rows(client: httpx.Client) -> None:
    create_app(client)
    rows = client.get("/apps/myapp/metrics-by-service", params={"services": "web, worker,"}).json()
    assert [row["name"] for row in rows] == ["web", "worker"]
    assert [m["name"] for m in rows[0]["metrics"]] == GPU_NAMES
    assert all(m["values"] == [] for m in rows[0]["metrics"])
    assert client.get("/apps/myapp/metrics-by-service").json() == []
    series = client.get(
        "/apps/myapp/services/web/metrics",
        params={"start": "20260101.000000.000000000", "end": "20260101.010000.000000000", "period": "60"},
    ).json()
    assert [m["name"] for m in series] == GPU_NAMES


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start": "20260101.000000.000000000", "end": "20260102.010000.000000000"},
            "metrics: end-start must be at most 24h (got 25h0m0s)",
        ),
        (
            {"start": "20260101.010000.000000000", "end": "20260101.000000.000000000"},
            "metrics: end must be after start",
        ),
        ({"period": "1"}, "metrics: period must be at least 5s (got 1s)"),
        (
            {"start": "20260101.000000.000000000", "end": "20260101.100000.000000000", "period": "5"},
            "metrics: too many points per series (7200 > 5000); widen period or shrink range",
        ),
        ({"services": "web,Bad"}, 'metrics: invalid name "Bad" (must match ^[a-z][a-z0-9-]*$)'),
        (
            {"services": ",".join(f"s{i}" for i in range(101))},
            "metrics: too many services (101 > 100); reduce services list",
        ),
        (
            {
                "services": ",".join(f"s{i}" for i in range(10)),
                "start": "20260101.000000.000000000",
                "end": "20260101.050000.000000000",
                "period": "5",
            },
            "metrics: aggregate points (288000) exceed cap (50000); reduce services / range",
        ),
    ],
)
def test_metrics_limits(client: httpx.Client, query: Dict[str, Any], message: str) -> None:
    resp = client.get("/apps/myapp/metrics-by-service", params=query)
    assert (resp.status_code, resp.text) == (400, message + "\n")


def test_service_metrics_name_check(client: httpx.Client) -> None:
    resp = client.get("/apps/myapp/services/Web/metrics")
    assert resp.status_code == 400
    assert resp.text.startswith('metrics: invalid name "Web"')


def test_busy_after_validation_then_clears(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.metrics_busy(2)
    bad = client.get("/apps/myapp/services/web/metrics", params={"period": "1"})
    assert bad.status_code == 400  # the bounds come before the semaphore: nothing used up
    for path in ("/apps/myapp/services/web/metrics", "/apps/myapp/metrics-by-service"):
        busy = client.get(path, headers={"Accept": "application/json"})
        assert busy.status_code == 503
        assert busy.json() == {"error": "metrics: server busy, retry shortly"}
    assert client.get("/apps/myapp/services/web/metrics").status_code == 200
    assert emu.rack_state()["metrics_busy"] == 0
    with pytest.raises(Exception, match="times must be a non-negative integer"):
        emu.control("POST", "metrics-busy", {"times": -1})


def test_cost_tracking_off(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "block-new-deploys"})
    emu.spend("myapp", 20)
    assert client.get("/apps/myapp/budget").json()["state"]["circuit-breaker-tripped"] is True
    emu.cost_tracking(False)
    assert emu.rack_state()["cost_tracking"] is False
    refused = client.post("/apps/myapp/budget", data={"alert-threshold-percent": "50"})
    assert refused.status_code == 422
    assert refused.text.startswith("rack parameter cost_tracking_enable is false. Budget enforcement")
    # pricing-adjustment alone needs no accumulator; nor does a missing app get that far
    assert client.post("/apps/myapp/budget", data={"pricing-adjustment": "0.9"}).status_code == 200
    assert client.post("/apps/nope/budget", data={"monthly-cap-usd": "5"}).status_code == 422
    # the breaker is not enforced, the accumulator does not run, cost says tracking is off
    assert client.put("/apps/myapp/services/web", data={"count": "1"}).status_code != 409
    emu.spend("myapp", 99)
    assert client.get("/apps/myapp/budget").json()["state"]["current-month-spend-usd"] == 20
    assert "tracking-enabled" not in client.get("/apps/myapp/cost").json()
    emu.cost_tracking(True)
    assert client.put("/apps/myapp/services/web", data={"count": "1"}).status_code == 409


def test_auto_shutdown_fires_restores_and_cools_down(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "auto-shutdown"})
    emu.spend("myapp", 11)
    armed = client.get("/apps/myapp/budget/shutdown-state").json()
    assert armed["shutdownAt"] is None and web_count(client) == 2
    emu.spend("myapp", 12)  # the notice window has not passed: still armed
    assert client.get("/apps/myapp/budget/shutdown-state").json()["shutdownAt"] is None
    emu.spend("myapp", 12, fire=True)
    fired = client.get("/apps/myapp/budget/shutdown-state").json()
    assert fired["shutdownAt"] is not None and fired["services"][0]["shutdownAt"] is not None
    assert web_count(client) == 0
    assert emu.rack_state()["apps"]["myapp"]["service_overrides"]["web"]["count"] == 0
    assert client.post("/apps/myapp/budget/dismiss-recovery").json()["status"] == "no-banner"
    assert client.post("/apps/myapp/budget/reset").status_code == 200
    assert web_count(client) == 2  # restored to the original count
    budget = emu.rack_state()["apps"]["myapp"]["budget"]
    assert budget["shutdown"] is None and budget["flap_suppressed_until"] is not None
    events = [e["action"] for e in emu.rack_state()["events"] if e["action"].startswith("app:budget:shutdown")]
    assert events == ["app:budget:shutdown:armed", "app:budget:shutdown:fired", "app:budget:shutdown:restored"]
    # over the cap again inside the 24 h cooldown: no new shutdown is armed
    emu.spend("myapp", 13)
    assert client.get("/apps/myapp/budget/shutdown-state").json() is None
    assert emu.rack_state()["events"][-1]["action"] == "app:budget:shutdown:flap-suppressed"
    # an admin reset with force_clear_cooldown ends the cooldown; the next tick arms again
    client.post("/apps/myapp/budget/reset", data={"force_clear_cooldown": "true"})
    assert emu.rack_state()["apps"]["myapp"]["budget"]["flap_suppressed_until"] is None
    emu.spend("myapp", 14)
    assert client.get("/apps/myapp/budget/shutdown-state").json()["armedAt"] is not None


def test_manual_scale_up_after_shutdown_is_a_recovery(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "auto-shutdown"})
    emu.spend("myapp", 11)
    emu.spend("myapp", 11, fire=True)
    assert web_count(client) == 0
    assert client.put("/apps/myapp/services/web", data={"count": "1"}).status_code == 200
    emu.spend("myapp", 11)
    state = client.get("/apps/myapp/budget/shutdown-state").json()
    assert state["restoredAt"] is not None and state["flapSuppressedUntil"] is not None
    assert client.post("/apps/myapp/budget/dismiss-recovery").json() == {"app": "myapp", "status": "dismissed"}
    again = client.post("/apps/myapp/budget/dismiss-recovery").json()
    assert again == {"app": "myapp", "status": "already-dismissed"}
    assert client.get("/apps/myapp/budget/shutdown-state").json()["recoveryBannerDismissedAt"]


def test_armed_reset_cancels_without_cooldown(emu: EmulatorHandle, client: httpx.Client) -> None:
    deploy(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "auto-shutdown"})
    emu.spend("myapp", 11)
    client.post("/apps/myapp/budget/reset")
    budget = emu.rack_state()["apps"]["myapp"]["budget"]
    assert budget["shutdown"] is None and budget["flap_suppressed_until"] is None
    assert emu.rack_state()["events"][-2]["action"] == "app:budget:shutdown:cancelled"
