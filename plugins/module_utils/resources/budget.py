# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-app cost budgets: ``/apps/{app}/budget`` (convox-api.md 5.1; racks 3.24.6 and later).

An older rack answers these routes with a 404 and no body (``ConvoxNotFoundError`` with the
message ``response status 404``); a missing app is a 404 ``app not found: <app>``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from ..errors import ConvoxInputError
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import (
        AppBudgetDismissal,
        AppBudgetInfo,
        AppBudgetShutdownState,
        AppBudgetSimulation,
    )
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    AppBudgetDismissal = "AppBudgetDismissal"
    AppBudgetInfo = "AppBudgetInfo"
    AppBudgetShutdownState = "AppBudgetShutdownState"
    AppBudgetSimulation = "AppBudgetSimulation"

AT_CAP_ACTIONS = ("alert-only", "block-new-deploys", "auto-shutdown")


def number_text(value: Union[int, float, str], field: str) -> str:
    """A finite number as the rack's ``strconv.ParseFloat`` reads it (``100``, ``0.7``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConvoxInputError(f"{field} must be a number, not {value!r}", field=field) from None
    if math.isnan(number) or math.isinf(number):
        raise ConvoxInputError(f"{field} must be a finite number", field=field)
    text = repr(number)
    return text[:-2] if text.endswith(".0") else text


class BudgetAccessor(Accessor):
    """``client.budget``"""

    def _path(self, app: str, *rest: str) -> str:
        return build_path("apps", require(app, "app"), "budget", *rest)

    def get(self, app: str) -> AppBudgetInfo:
        """The budget's ``config`` (``None`` when none is set) and ``state`` (``None`` before the
        rack's first accounting tick)."""
        return self._parse(AppBudgetInfo, self._call("GET", self._path(app)))

    def set(
        self,
        app: str,
        *,
        monthly_cap_usd: Optional[Union[int, float, str]] = None,
        alert_threshold_percent: Optional[int] = None,
        at_cap_action: Optional[str] = None,
        pricing_adjustment: Optional[Union[int, float, str]] = None,
    ) -> None:
        """Set the fields given; the rack merges them over the stored config and fills in its
        defaults (80 %, ``alert-only``, 1.0). The first set needs ``monthly_cap_usd``. Changing
        the cap, the action or the pricing adjustment needs an admin token. Safe to repeat."""
        data: Dict[str, Any] = {}
        if monthly_cap_usd is not None:
            data["monthly-cap-usd"] = number_text(monthly_cap_usd, "monthly_cap_usd")
        if alert_threshold_percent is not None:
            data["alert-threshold-percent"] = int(alert_threshold_percent)
        if at_cap_action is not None:
            if at_cap_action not in AT_CAP_ACTIONS:
                raise ConvoxInputError(
                    f"at_cap_action must be one of {', '.join(AT_CAP_ACTIONS)}, not {at_cap_action!r}",
                    field="at_cap_action",
                )
            data["at-cap-action"] = at_cap_action
        if pricing_adjustment is not None:
            data["pricing-adjustment"] = number_text(pricing_adjustment, "pricing_adjustment")
        if not data:
            raise ConvoxInputError("nothing to set: give at least one budget field", field="monthly_cap_usd")
        self._call("POST", self._path(app), data=data, idempotent=True)

    def clear(self, app: str) -> None:
        """Remove the budget config and state (needs an admin token; ok when there is none)."""
        self._call("DELETE", self._path(app))

    def reset(self, app: str, *, force_clear_cooldown: bool = False, reset_period: bool = False) -> None:
        """Acknowledge a cap breach: clear the circuit breaker and re-enable deploys (and restore
        an auto-shutdown). ``reset_period`` also zeroes the month's spend;
        ``force_clear_cooldown`` (admin) clears the 24 h auto-restore cooldown."""
        data: Dict[str, Any] = {}
        if force_clear_cooldown:
            data["force_clear_cooldown"] = "true"
        if reset_period:
            data["reset_period"] = "true"
        self._call("POST", self._path(app, "reset"), data=data or None)

    def shutdown_state(self, app: str) -> Optional[AppBudgetShutdownState]:
        """The auto-shutdown state (armed, active, failed or recovered), ``None`` when none."""
        answer = self._call("GET", self._path(app, "shutdown-state"))
        if answer is None or answer == "null" or answer == "":
            return None
        return self._parse(AppBudgetShutdownState, answer)

    def simulate_shutdown(self, app: str) -> AppBudgetSimulation:
        """A dry run of an auto-shutdown: which services would scale to 0 (changes nothing)."""
        return self._parse(
            AppBudgetSimulation, self._call("POST", self._path(app, "simulate-shutdown"), idempotent=True)
        )

    def dismiss_recovery(self, app: str) -> AppBudgetDismissal:
        """Dismiss the recovery banner of a restored auto-shutdown (safe to repeat)."""
        return self._parse(AppBudgetDismissal, self._call("POST", self._path(app, "dismiss-recovery"), idempotent=True))
