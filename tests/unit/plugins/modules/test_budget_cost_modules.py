# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""convox_app_cost_info and convox_budget's simulate_shutdown / dismiss_recovery against a scripted fake client."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors, models
from ansible_collections.convox.convox.plugins.modules import convox_app_cost_info, convox_budget

COST = {
    "app": "myapp",
    "month-start": "2026-12-01T00:00:00Z",
    "as-of": "2026-12-05T10:00:00Z",
    "spend-usd": 12.5,
    "breakdown": [{"service": "web", "spend-usd": 12.5}],
    "pricing-source": "static-table",
    "pricing-adjustment": 1,
    "tracking-enabled": True,
}
WHEN = datetime.datetime(2026, 12, 5, tzinfo=datetime.timezone.utc)


class Area:
    def __init__(self, name: str, client: FakeClient) -> None:
        self._name = name
        self._client = client

    def __getattr__(self, op: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            key = f"{self._name}.{op}"
            self._client.calls.append(key)
            answer = self._client.answers.get(key)
            if isinstance(answer, BaseException):
                raise answer
            return answer

        return call


class FakeClient:
    def __init__(self) -> None:
        self.calls: List[str] = []
        self.answers: Dict[str, Any] = {"budget.get": SimpleNamespace(config=None, state=None)}
        self.budget = Area("budget", self)
        self.cost = Area("cost", self)
        self.host = "http://127.0.0.1:9"
        self.rack = None

    def close(self) -> None:
        pass


@pytest.fixture
def fake(run_module: Any) -> FakeClient:
    client = FakeClient()
    run_module.use_client(client)
    return client


def not_found(message: str) -> Any:
    return errors.ConvoxNotFoundError(404, message, "abc123def456", "GET", "/apps/myapp/cost")


# -- convox_app_cost_info ------------------------------------------------------------------


def test_cost_info_reads_the_report_and_the_budget(run_module: Any, fake: FakeClient) -> None:
    fake.answers["cost.get"] = models.parse(models.AppCost, COST)
    result = run_module(convox_app_cost_info, {"app": "myapp", "budget": True})
    assert result["changed"] is False
    cost = result["costs"][0]
    assert cost["spend_usd"] == 12.5 and cost["breakdown"][0]["service"] == "web"
    assert cost["tracking_enabled"] is True
    assert cost["budget"] == {"config": {}, "state": {}}
    assert fake.calls == ["cost.get", "budget.get"]


def test_cost_info_missing_app_is_empty(run_module: Any, fake: FakeClient) -> None:
    fake.answers["cost.get"] = not_found("app not found: myapp")
    result = run_module(convox_app_cost_info, {"app": "myapp", "budget": True})
    assert result["costs"] == []
    assert fake.calls == ["cost.get"]


def test_cost_info_old_rack_names_the_version(run_module: Any, fake: FakeClient) -> None:
    fake.answers["cost.get"] = not_found("response status 404")
    result = run_module(convox_app_cost_info, {"app": "myapp"})
    assert result["failed"] is True
    assert "3.24.6 or later" in result["msg"]


# -- convox_budget actions -----------------------------------------------------------------


def restored(dismissed: bool = False) -> Any:
    return SimpleNamespace(restored_at=WHEN, recovery_banner_dismissed_at=WHEN if dismissed else None)


@pytest.mark.parametrize("option", ["simulate_shutdown", "dismiss_recovery"])
@pytest.mark.parametrize("state", ["absent", "reset"])
def test_actions_go_with_state_present(run_module: Any, fake: FakeClient, option: str, state: str) -> None:
    result = run_module(convox_budget, {"app": "myapp", "state": state, option: True})
    assert result["failed"] is True
    assert f"Option {option} goes with state=present" in result["msg"]
    assert fake.calls == []


def test_dismiss_recovery_check_mode_predicts_without_the_post(run_module: Any, fake: FakeClient) -> None:
    fake.answers["budget.shutdown_state"] = restored()
    result = run_module(convox_budget, {"app": "myapp", "dismiss_recovery": True}, check=True, diff=True)
    assert result["changed"] is True
    assert result["recovery_dismissal"] == "dismissed"
    assert result["diff"]["before"]["recovery_banner_dismissed"] is False
    assert result["diff"]["after"]["recovery_banner_dismissed"] is True
    assert fake.calls == ["budget.get", "budget.shutdown_state"]


def test_dismiss_recovery_posts_once(run_module: Any, fake: FakeClient) -> None:
    fake.answers["budget.shutdown_state"] = restored()
    fake.answers["budget.dismiss_recovery"] = SimpleNamespace(app="myapp", status="dismissed")
    result = run_module(convox_budget, {"app": "myapp", "dismiss_recovery": True})
    assert result["changed"] is True and result["recovery_dismissal"] == "dismissed"
    assert fake.calls == ["budget.get", "budget.shutdown_state", "budget.dismiss_recovery"]


@pytest.mark.parametrize(
    ("shutdown", "status"), [(None, "no-banner"), (SimpleNamespace(restored_at=None), "no-banner")]
)
def test_dismiss_recovery_without_a_banner_sends_nothing(
    run_module: Any, fake: FakeClient, shutdown: Any, status: str
) -> None:
    fake.answers["budget.shutdown_state"] = shutdown
    result = run_module(convox_budget, {"app": "myapp", "dismiss_recovery": True})
    assert result["changed"] is False and result["recovery_dismissal"] == status
    assert "budget.dismiss_recovery" not in fake.calls


def test_dismiss_recovery_already_dismissed_sends_nothing(run_module: Any, fake: FakeClient) -> None:
    fake.answers["budget.shutdown_state"] = restored(dismissed=True)
    result = run_module(convox_budget, {"app": "myapp", "dismiss_recovery": True})
    assert result["changed"] is False and result["recovery_dismissal"] == "already-dismissed"
    assert "budget.dismiss_recovery" not in fake.calls


def test_simulate_shutdown_is_never_a_change_and_skipped_in_check_mode(run_module: Any, fake: FakeClient) -> None:
    fake.answers["budget.simulate_shutdown"] = models.parse(
        models.AppBudgetSimulation, {"app": "myapp", "would-shut-down-services": ["web"], "would-shut-down-count": 1}
    )
    result = run_module(convox_budget, {"app": "myapp", "simulate_shutdown": True})
    assert result["changed"] is False
    assert result["shutdown_simulation"]["would_shut_down_services"] == ["web"]
    assert fake.calls == ["budget.get", "budget.simulate_shutdown"]
    fake.calls.clear()
    checked = run_module(convox_budget, {"app": "myapp", "simulate_shutdown": True}, check=True)
    assert checked["changed"] is False and checked["shutdown_simulation"] == {}
    assert fake.calls == ["budget.get"]
