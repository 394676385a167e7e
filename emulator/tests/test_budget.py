"""Per-app cost budgets (5.1, 3.24.6+): config, state, breaker, reset, shutdown state."""

from __future__ import annotations

import httpx
import pytest

from convox_emulator.testing import EmulatorHandle, start_emulator

from .conftest import create_app, deploy


def test_get_unset_then_set_with_defaults(client: httpx.Client) -> None:
    create_app(client)
    assert client.get("/apps/myapp/budget").json() == {"config": None, "state": None}
    resp = client.post("/apps/myapp/budget", data={"monthly-cap-usd": "100"})
    assert (resp.status_code, resp.text) == (200, "ok\n")
    assert "Deprecation" not in resp.headers
    got = client.get("/apps/myapp/budget").json()
    assert got["config"] == {
        "monthly-cap-usd": 100,
        "alert-threshold-percent": 80,
        "at-cap-action": "alert-only",
        "pricing-adjustment": 1,
        "last-cap-mutation-by": "convox",
    }
    assert got["state"] is None


def test_partial_update_keeps_the_rest(client: httpx.Client) -> None:
    create_app(client)
    client.post(
        "/apps/myapp/budget",
        data={"monthly-cap-usd": "250.5", "at-cap-action": "block-new-deploys", "alert-threshold-percent": "50"},
    )
    client.post("/apps/myapp/budget", data={"pricing-adjustment": "0.7"})
    cfg = client.get("/apps/myapp/budget").json()["config"]
    assert cfg["monthly-cap-usd"] == 250.5
    assert cfg["at-cap-action"] == "block-new-deploys"
    assert cfg["alert-threshold-percent"] == 50
    assert cfg["pricing-adjustment"] == 0.7


@pytest.mark.parametrize(
    "form, message",
    [
        ({"monthly-cap-usd": "0"}, "monthly-cap-usd must be > 0"),
        (
            {"monthly-cap-usd": "abc"},
            'monthly-cap-usd must be a number: strconv.ParseFloat: parsing "abc": invalid syntax',
        ),
        ({"monthly-cap-usd": "NaN"}, "monthly-cap-usd must be a finite number"),
        (
            {"monthly-cap-usd": "10", "alert-threshold-percent": "101"},
            "alert-threshold-percent must be between 1 and 100",
        ),
        (
            {"monthly-cap-usd": "10", "at-cap-action": "panic"},
            'at-cap-action must be "alert-only", "block-new-deploys", or "auto-shutdown"',
        ),
        ({"monthly-cap-usd": "10", "pricing-adjustment": "2"}, "pricing-adjustment must be between 0.1 and 1.5"),
        ({"pricing-adjustment": "0.5"}, "monthly-cap-usd must be > 0"),  # no cap set yet
    ],
)
def test_set_rejects_bad_values(client: httpx.Client, form: dict, message: str) -> None:
    create_app(client)
    resp = client.post("/apps/myapp/budget", data=form)
    assert (resp.status_code, resp.text) == (400, message + "\n")
    assert client.get("/apps/myapp/budget").json()["config"] is None


def test_missing_app_is_404(client: httpx.Client) -> None:
    for method, path in (
        ("GET", "/apps/nope/budget"),
        ("POST", "/apps/nope/budget/reset"),
        ("DELETE", "/apps/nope/budget"),
        ("GET", "/apps/nope/budget/shutdown-state"),
    ):
        resp = client.request(method, path)
        assert (resp.status_code, resp.text) == (404, "app not found: nope\n"), (method, path)


def test_clear_is_idempotent_and_ack_by_is_deprecated(client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "100"})
    resp = client.request(
        "DELETE",
        "/apps/myapp/budget",
        content=b"ack_by=ops",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 200
    assert resp.headers["Deprecation"] == "true"
    assert resp.headers["Sunset"] == "Thu, 01 Oct 2026 00:00:00 GMT"
    assert client.get("/apps/myapp/budget").json() == {"config": None, "state": None}
    assert client.delete("/apps/myapp/budget").status_code == 200


def test_breaker_blocks_promote_run_and_scale_until_reset(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    release = deploy(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "100", "at-cap-action": "block-new-deploys"})
    emu.spend("myapp", 85)
    state = client.get("/apps/myapp/budget").json()["state"]
    assert state["current-month-spend-usd"] == 85
    assert state["alert-fired-at-threshold"] != "0001-01-01T00:00:00Z"
    assert "circuit-breaker-tripped" not in state
    emu.spend("myapp", 120.5, {"web": 120.5})
    state = client.get("/apps/myapp/budget").json()["state"]
    assert state["circuit-breaker-tripped"] is True
    assert state["per-service-spend-usd"] == {"web": 120.5}
    for resp in (
        client.post(f"/apps/myapp/releases/{release['id']}/promote"),
        client.put("/apps/myapp/services/web", data={"count": "3"}),
        client.post("/apps/myapp/services/web/processes", headers={"Command": "true"}),
    ):
        assert resp.status_code == 409
        assert resp.text.startswith("budget cap exceeded for app myapp: spent $120.50 of $100.00 cap this month;")
    assert client.post("/apps/myapp/budget/reset").text == "ok\n"
    state = client.get("/apps/myapp/budget").json()["state"]
    assert "circuit-breaker-tripped" not in state
    assert state["circuit-breaker-ack-by"] == "convox"
    assert state["current-month-spend-usd"] == 120.5  # a plain reset keeps the spend
    assert client.put("/apps/myapp/services/web", data={"count": "3"}).status_code == 200
    client.post("/apps/myapp/budget/reset", data={"reset_period": "true"})
    assert client.get("/apps/myapp/budget").json()["state"]["current-month-spend-usd"] == 0


def test_raising_the_cap_above_spend_clears_the_breaker(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "block-new-deploys"})
    emu.spend("myapp", 20)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "15"})  # still below spend
    assert client.get("/apps/myapp/budget").json()["state"]["circuit-breaker-tripped"] is True
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "30"})
    assert "circuit-breaker-tripped" not in client.get("/apps/myapp/budget").json()["state"]


def test_alert_only_never_trips(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10"})
    emu.spend("myapp", 50)
    state = client.get("/apps/myapp/budget").json()["state"]
    assert state["alert-fired-at-cap"] != "0001-01-01T00:00:00Z"
    assert "circuit-breaker-tripped" not in state


def test_auto_shutdown_arms_and_reset_disarms(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    deploy(client)
    assert client.get("/apps/myapp/budget/shutdown-state").json() is None
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "10", "at-cap-action": "auto-shutdown"})
    simulated = client.post("/apps/myapp/budget/simulate-shutdown").json()
    assert simulated["at-cap-action"] == "auto-shutdown"
    assert simulated["would-shut-down-services"] == ["web"]
    assert client.get("/apps/myapp/budget/shutdown-state").json() is None  # a dry run changes nothing
    emu.spend("myapp", 11)
    armed = client.get("/apps/myapp/budget/shutdown-state").json()
    assert armed["armedAt"] is not None and armed["shutdownAt"] is None
    assert [s["name"] for s in armed["services"]] == ["web"]
    assert armed["services"][0]["originalScale"]["count"] == 2
    dismissed = client.post("/apps/myapp/budget/dismiss-recovery").json()
    assert dismissed == {"app": "myapp", "status": "no-banner"}
    client.post("/apps/myapp/budget/reset")
    assert client.get("/apps/myapp/budget/shutdown-state").json() is None
    assert emu.rack_state()["apps"]["myapp"]["budget"]["shutdown"] is None


def test_control_api_refuses_bad_spend(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    with pytest.raises(Exception, match="spend must be a non-negative number"):
        emu.control("POST", "budget", {"app": "myapp", "spend": -1})
    with pytest.raises(Exception, match="app not found: other"):
        emu.spend("other", 1)


def test_admin_role_needed_for_cap_and_clear(emu: EmulatorHandle, client: httpx.Client) -> None:
    create_app(client)
    client.post("/apps/myapp/budget", data={"monthly-cap-usd": "100"})
    token = client.post("/system/jwt/token", data={"role": "write", "durationInHour": "1"}).json()["token"]
    with httpx.Client(verify=False, base_url=emu.url, auth=("jwt", token)) as write:
        denied = write.post("/apps/myapp/budget", data={"monthly-cap-usd": "200"})
        assert (denied.status_code, denied.text) == (403, "AppBudgetSet: admin role required to set budget cap\n")
        assert write.post("/apps/myapp/budget", data={"alert-threshold-percent": "60"}).status_code == 200
        cleared = write.delete("/apps/myapp/budget")
        assert cleared.status_code == 403
        assert cleared.text == "AppBudgetClear: admin role required to remove budget config\n"
        assert write.post("/apps/myapp/budget/reset").status_code == 200
        forced = write.post("/apps/myapp/budget/reset", data={"force_clear_cooldown": "true"})
        assert forced.status_code == 403
    assert client.get("/apps/myapp/budget").json()["config"]["alert-threshold-percent"] == 60


def test_legacy_rack_has_no_budget_routes() -> None:
    with (
        start_emulator(legacy=True, in_process=True, delay_scale=0.1) as emu,
        httpx.Client(verify=False, base_url=emu.url, auth=("convox", emu.password)) as http,
    ):
        create_app(http)
        resp = http.get("/apps/myapp/budget")
        assert (resp.status_code, resp.text) == (404, "")
