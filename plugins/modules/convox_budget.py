#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_budget
short_description: Manage the monthly cost budget of a Convox app
version_added: 0.2.0
description:
  - Sets, changes, clears or resets the per-app cost budget of a Convox app (C(convox budget set),
    C(convox budget clear) and C(convox budget reset)).
  - The rack adds up what the app costs each month. At O(alert_threshold_percent) of the cap it
    sends an alert; at the cap it does what O(at_cap_action) says.
  - Only the options given are compared and sent; the rack fills in its defaults for the rest
    (alert at 80 percent, V(alert-only), a pricing adjustment of 1.0).
  - Needs a rack of version 3.24.6 or later with the rack parameter C(cost_tracking_enable=true).
    Changing the cap, the action or the pricing adjustment, and removing the budget, need an
    admin token or the rack password; the alert threshold alone and a reset need write access.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  monthly_cap_usd:
    description:
      - The monthly cap in US dollars, more than 0.
      - Required to create a budget (when the app has none yet).
    type: float
  alert_threshold_percent:
    description:
      - The share of the cap, from 1 to 100, at which the rack sends an alert.
    type: int
  at_cap_action:
    description:
      - What the rack does when the app reaches its cap.
      - V(alert-only) only sends an alert.
      - V(block-new-deploys) also refuses promotes, scaling and one-off processes of the app until
        the budget is reset (O(state=reset)) or the cap raised above the spend.
      - V(auto-shutdown) scales the app's services to 0 after a notice period; a reset restores them.
    type: str
    choices: [alert-only, block-new-deploys, auto-shutdown]
  pricing_adjustment:
    description:
      - A multiplier for the rack's list prices, from 0.1 to 1.5, for example V(0.7) for a 30 percent discount.
    type: float
  state:
    description:
      - V(present) makes sure the budget has the options given.
      - V(absent) removes the budget config and its month-to-date state; an app without a budget changes nothing.
      - V(reset) acknowledges a reached cap, as C(convox budget reset --force) does; it re-enables
        deploys and restores an auto-shutdown. It changes nothing when the budget has not tripped,
        has no shutdown pending and (with O(reset_period)) has no spend to clear.
    type: str
    choices: [present, absent, reset]
    default: present
  reset_period:
    description:
      - With O(state=reset), also start the month over (the month-to-date spend goes back to 0).
    type: bool
    default: false
  force_clear_cooldown:
    description:
      - With O(state=reset), also clear the 24 hour auto-restore cooldown (needs an admin token).
    type: bool
    default: false
  simulate_shutdown:
    description:
      - With O(state=present), also ask the rack what an auto-shutdown would do now (C(convox budget
        simulate-shutdown)) and return it as RV(shutdown_simulation). A dry run, it changes nothing
        and is never C(changed).
      - In check mode the rack is not asked (the dry run is a POST) and RV(shutdown_simulation) is empty.
      - Given without any budget option, the budget config is left as it is (none needed).
    type: bool
    default: false
  dismiss_recovery:
    description:
      - With O(state=present), also dismiss the recovery banner that a restored auto-shutdown shows
        (C(convox budget dismiss-recovery)). C(changed) only when a banner was shown and is now
        dismissed; nothing is sent when there is none or it is already dismissed.
      - Given without any budget option, the budget config is left as it is (none needed).
    type: bool
    default: false
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.APP
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
seealso:
  - module: convox.convox.convox_budget_info
"""

EXAMPLES = r"""
- name: Cap the app at 500 USD a month and stop deploys at the cap
  convox.convox.convox_budget:
    app: myapp
    monthly_cap_usd: 500
    alert_threshold_percent: 75
    at_cap_action: block-new-deploys

- name: Apply a negotiated discount to the cost estimate
  convox.convox.convox_budget:
    app: myapp
    pricing_adjustment: 0.7

- name: Re-enable deploys after the cap was reached
  convox.convox.convox_budget:
    app: myapp
    state: reset

- name: Ask the rack what an auto-shutdown would scale down now
  convox.convox.convox_budget:
    app: myapp
    simulate_shutdown: true
  register: simulation

- name: Dismiss the recovery banner once the services are back
  convox.convox.convox_budget:
    app: myapp
    dismiss_recovery: true

- name: Remove the budget
  convox.convox.convox_budget:
    app: myapp
    state: absent
"""

RETURN = r"""
budget:
  description:
    - The budget config after the task (the predicted one in check mode); empty after O(state=absent).
  returned: always
  type: dict
  contains:
    monthly_cap_usd:
      description: The monthly cap in US dollars.
      type: float
      sample: 500
    alert_threshold_percent:
      description: The share of the cap at which the rack alerts.
      type: int
      sample: 80
    at_cap_action:
      description: What the rack does at the cap.
      type: str
      sample: block-new-deploys
    pricing_adjustment:
      description: The multiplier of the rack's list prices.
      type: float
      sample: 1.0
  sample:
    monthly_cap_usd: 500
    alert_threshold_percent: 80
    at_cap_action: block-new-deploys
    pricing_adjustment: 1.0
budget_state:
  description:
    - The month-to-date state of the budget as the rack last computed it (after a reset, the
      predicted one in check mode); empty when the rack has not accounted for the app yet.
  returned: success
  type: dict
  contains:
    current_month_spend_usd:
      description: What the app cost this month so far, in US dollars.
      type: float
      sample: 120.5
    circuit_breaker_tripped:
      description: Whether the app reached its cap with O(at_cap_action=block-new-deploys).
      type: bool
      sample: false
  sample:
    month_start: "2026-05-01T00:00:00Z"
    current_month_spend_usd: 120.5
    circuit_breaker_tripped: false
shutdown_simulation:
  description:
    - What an auto-shutdown would do now (C(at_cap_action), C(would_shut_down_services),
      C(would_shut_down_count), C(eligibility), C(notify_before_minutes)...), with O(simulate_shutdown=true);
      empty in check mode.
  returned: when O(simulate_shutdown=true)
  type: dict
  sample:
    at_cap_action: auto-shutdown
    would_shut_down_services: [web]
    would_shut_down_count: 1
recovery_dismissal:
  description:
    - With O(dismiss_recovery=true), V(dismissed) (dismissed by this task; predicted in check mode),
      V(already-dismissed) or V(no-banner) (nothing to dismiss).
  returned: when O(dismiss_recovery=true)
  type: str
  sample: dismissed
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

DEFAULTS = {"alert_threshold_percent": 80, "at_cap_action": "alert-only", "pricing_adjustment": 1.0}
FIELDS = ("monthly_cap_usd", "alert_threshold_percent", "at_cap_action", "pricing_adjustment")


def config_view(config: Any) -> Optional[Dict[str, Any]]:
    """The config the way the module shows and compares it (whole numbers as ints)."""
    plain = to_plain(config)
    if not plain:
        return None
    view: Dict[str, Any] = {}
    for key in FIELDS:
        value = plain.get(key)
        if isinstance(value, float) and value.is_integer() and key != "pricing_adjustment":
            value = int(value)
        view[key] = value
    return view


class Budget(DeclarativeResource):
    options = {
        "app": {"type": "str", "required": True},
        "monthly_cap_usd": {"type": "float"},
        "alert_threshold_percent": {"type": "int"},
        "at_cap_action": {"type": "str", "choices": ["alert-only", "block-new-deploys", "auto-shutdown"]},
        "pricing_adjustment": {"type": "float"},
        "state": {"type": "str", "choices": ["present", "absent", "reset"], "default": "present"},
        "reset_period": {"type": "bool", "default": False},
        "force_clear_cooldown": {"type": "bool", "default": False},
        "simulate_shutdown": {"type": "bool", "default": False},
        "dismiss_recovery": {"type": "bool", "default": False},
    }
    checks = {
        "app": [checks.text(63, required=True)],
        "monthly_cap_usd": [checks.between(0.01, 1_000_000_000, "US dollars")],
        "alert_threshold_percent": [checks.between(1, 100, "percent")],
        "pricing_adjustment": [checks.between(0.1, 1.5)],
    }
    result_key = "budget"
    kind = "budget of app"

    def __init__(self, cm: ConvoxModule) -> None:
        super().__init__(cm)
        self.state_before: Optional[Dict[str, Any]] = None
        self.state_after: Optional[Dict[str, Any]] = None
        self.shutdown_pending = False
        self.shutdown: Any = None
        self.more: Dict[str, Any] = {}

    def identity(self) -> str:
        return str(self.params["app"])

    def validate(self) -> None:
        state = self.params["state"]
        given = [key for key in FIELDS if self.params.get(key) is not None]
        if state != "present" and given:
            self.cm.fail(
                f"Options {', '.join(given)} go with state=present, not state={state}. Nothing was sent to the rack.",
                failure={"kind": "InputError", "option": given[0]},
            )
        if state != "present":
            for key in ("simulate_shutdown", "dismiss_recovery"):
                if self.params.get(key):
                    self.refuse(key, "goes with state=present")
        if state != "reset":
            for key in ("reset_period", "force_clear_cooldown"):
                if self.params.get(key):
                    self.refuse(key, "goes with state=reset")

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> Optional[Dict[str, Any]]:
        app = self.identity()
        info = self.cm.parent(lambda: self.client.budget.get(app), "app", app, missing=None)
        if info is None:
            return None
        self.state_before = to_plain(getattr(info, "state", None)) or None
        self.state_after = self.state_before
        if self.params["state"] == "reset" or self.params["dismiss_recovery"]:
            self.shutdown = self.cm.parent(lambda: self.client.budget.shutdown_state(app), "app", app, missing=None)
            self.shutdown_pending = self.shutdown is not None
        return config_view(getattr(info, "config", None))

    def _reread(self) -> Dict[str, Any]:
        info = self.client.budget.get(self.identity())
        self.state_after = to_plain(getattr(info, "state", None)) or None
        return config_view(getattr(info, "config", None)) or {}

    # -- present / absent --------------------------------------------------------------------

    def desired(self) -> Dict[str, Any]:
        return {key: self.params.get(key) for key in FIELDS}

    def _need_cap(self, desired: Dict[str, Any]) -> None:
        if desired.get("monthly_cap_usd") is None:
            self.cm.fail(
                f"App {self.identity()} has no budget on {self.cm.rack_label} yet: give monthly_cap_usd to create "
                "one. Nothing was sent to the rack.",
                failure={"kind": "InputError", "option": "monthly_cap_usd"},
            )

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        self._need_cap(desired)
        return {key: desired[key] if desired.get(key) is not None else DEFAULTS.get(key) for key in FIELDS}

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        self._need_cap(desired)
        self.client.budget.set(self.identity(), **{k: v for k, v in desired.items() if v is not None})
        return self._reread()

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        # only what differs: a threshold-only change then needs no admin token
        self.client.budget.set(self.identity(), **{key: desired[key] for key in differences})
        return self._reread()

    def delete(self, current: Dict[str, Any]) -> None:
        self.client.budget.clear(self.identity())
        self.state_after = None

    def _present(self, current: Optional[Dict[str, Any]]) -> None:
        actions = self.params["simulate_shutdown"] or self.params["dismiss_recovery"]
        if actions and not any(self.params.get(key) is not None for key in FIELDS):
            changed, after = False, current  # the actions alone: the config stays as it is
        else:
            changed, after = self.converge(current)
        if self.params["dismiss_recovery"]:
            changed = self._dismiss_recovery() or changed
        if self.params["simulate_shutdown"]:
            self._simulate_shutdown()
        self.finish(changed, current, after)

    def _dismiss_recovery(self) -> bool:
        """Dismiss a shown recovery banner (a restored auto-shutdown not yet dismissed)."""
        shutdown = self.shutdown
        dismissed_at = getattr(shutdown, "recovery_banner_dismissed_at", None)
        shown = shutdown is not None and getattr(shutdown, "restored_at", None) is not None and not dismissed_at
        if not shown:
            self.more["recovery_dismissal"] = "already-dismissed" if dismissed_at else "no-banner"
            return False
        self.cm.set_context("dismiss the recovery banner of", self.target)
        if self.cm.check_mode:
            self.more["recovery_dismissal"] = "dismissed"
            return True
        answer = self.client.budget.dismiss_recovery(self.identity())
        status = str(getattr(answer, "status", "") or "")
        self.more["recovery_dismissal"] = status
        return status == "dismissed"

    def _simulate_shutdown(self) -> None:
        if self.cm.check_mode:  # the dry run is a POST: not sent in check mode
            self.more["shutdown_simulation"] = {}
            return
        self.cm.set_context("simulate an auto-shutdown of", self.target)
        self.more["shutdown_simulation"] = to_plain(self.client.budget.simulate_shutdown(self.identity())) or {}

    # -- reset -------------------------------------------------------------------------------

    def state_reset(self, current: Optional[Dict[str, Any]]) -> Tuple[bool, Optional[Dict[str, Any]]]:
        state = self.state_before or {}
        tripped = bool(state.get("circuit_breaker_tripped"))
        spend = float(state.get("current_month_spend_usd") or 0)
        needed = tripped or self.shutdown_pending or (self.params["reset_period"] and spend > 0)
        if not needed:
            return False, current
        self.cm.set_context("reset", self.target)
        if self.cm.check_mode:
            predicted = dict(state, circuit_breaker_tripped=False)
            if self.params["reset_period"]:
                predicted["current_month_spend_usd"] = 0.0
            self.state_after = predicted
            return True, current
        self.client.budget.reset(
            self.identity(),
            force_clear_cooldown=self.params["force_clear_cooldown"],
            reset_period=self.params["reset_period"],
        )
        return True, self._reread()

    def finish(self, changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        before_view = self.view(before)
        after_view = self.view(after)
        if self.params["state"] == "reset":
            # what a reset changes is the state, not the config
            before_diff = {"circuit_breaker_tripped": bool((self.state_before or {}).get("circuit_breaker_tripped"))}
            after_diff = {"circuit_breaker_tripped": bool((self.state_after or {}).get("circuit_breaker_tripped"))}
            if self.params["reset_period"]:
                before_diff["current_month_spend_usd"] = (self.state_before or {}).get("current_month_spend_usd")
                after_diff["current_month_spend_usd"] = (self.state_after or {}).get("current_month_spend_usd")
            diff = self.cm.diff(before_diff, after_diff) if changed else self.cm.diff(before_diff, before_diff)
        else:
            diff = self.cm.diff(before_view, after_view)
        status = self.more.get("recovery_dismissal")
        if status in ("dismissed", "already-dismissed"):
            diff["before"] = dict(diff["before"], recovery_banner_dismissed=status == "already-dismissed")
            diff["after"] = dict(diff["after"], recovery_banner_dismissed=True)
        self.cm.exit(changed, diff=diff, budget=after_view, budget_state=self.state_after or {}, **self.more)


def main() -> None:
    Budget.main()


if __name__ == "__main__":
    main()
