#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_app_cost_info
short_description: Read the month-to-date cost of a Convox app, per service
version_added: 0.2.0
description:
  - Reads the cost report of a Convox app as C(convox cost) does, the month-to-date spend and
    its breakdown per service (largest spend first), with the pricing source and adjustment.
  - Optionally reads the app's cost budget too (as M(convox.convox.convox_budget_info) does).
  - Needs a rack of version 3.24.6 or later; on an older rack the task fails saying so.
  - When the rack parameter C(cost_tracking_enable) is off the report is the last snapshot the
    rack kept (possibly empty or stale) and C(tracking_enabled) is V(false).
author:
  - convox.convox contributors (!UNKNOWN)
options:
  budget:
    description:
      - Also read the app's cost budget (config and month-to-date state) into RV(costs[].budget).
    type: bool
    default: false
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.APP
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
seealso:
  - module: convox.convox.convox_budget
  - module: convox.convox.convox_budget_info
"""

EXAMPLES = r"""
- name: Read the cost of myapp this month, with its budget
  convox.convox.convox_app_cost_info:
    app: myapp
    budget: true
  register: result

- name: Show the month-to-date spend and the most expensive service
  ansible.builtin.debug:
    msg: >-
      {{ result.costs[0].spend_usd }} USD so far,
      most on {{ (result.costs[0].breakdown | first).service | default('nothing yet') }}
  when: result.costs | length > 0
"""

RETURN = r"""
costs:
  description:
    - The app's cost report, one entry; empty when the app does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    app:
      description: Name of the app.
      type: str
      sample: myapp
    spend_usd:
      description: Month-to-date spend in USD.
      type: float
      sample: 12.5
    month_start:
      description: Start of the accounting month.
      type: str
      sample: "2026-12-01T00:00:00Z"
    as_of:
      description: When the rack last accounted for the app; empty before its first accounting tick.
      type: str
      sample: "2026-12-05T10:00:00Z"
    breakdown:
      description:
        - One entry per service, largest spend first (C(service), C(spend_usd), C(gpu_hours),
          C(cpu_hours), C(mem_gb_hours), C(instance_type), C(attribution)).
      type: list
      elements: dict
      sample:
        - service: worker
          spend_usd: 10.0
          gpu_hours: 0.0
          cpu_hours: 0.0
          mem_gb_hours: 0.0
          instance_type: ""
          attribution: ""
    variant_breakdown:
      description:
        - Spend per service and (instance type, capacity type), when the rack keeps it
          (C(service), C(instance_type), C(capacity_type), C(spend_usd), C(replicas)).
      type: list
      elements: dict
      sample: []
    pricing_source:
      description: Where the rack's prices come from.
      type: str
      sample: static-table
    pricing_table_version:
      description: Vintage of the rack's pricing table.
      type: str
      sample: "2026-06"
    pricing_adjustment:
      description: Multiplier the budget applies to the prices (1.0 without a budget).
      type: float
      sample: 1.0
    warning_count:
      description: Accounting warnings the rack counted this month.
      type: int
      sample: 0
    tracking_enabled:
      description: Whether the rack's cost tracking is on; V(false) means the numbers may be stale.
      type: bool
      sample: true
    budget:
      description:
        - The app's cost budget, C(config) and C(state) as RV(convox.convox.convox_budget_info#module:budgets)
          shows them (empty dicts when none); only with O(budget=true).
      returned: when O(budget=true)
      type: dict
      sample:
        config:
          monthly_cap_usd: 100.0
        state:
          current_month_spend_usd: 12.5
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import budget_view, to_plain
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

GATED = (
    "the app cost report needs a rack of version 3.24.6 or later (the rack answered {path} with a 404 and no message)"
)


class AppCostInfo(InfoTask):
    options = {
        "app": {"type": "str", "required": True},
        "budget": {"type": "bool", "default": False},
    }
    checks = {"app": [checks.text(63, required=True)]}
    result_key = "costs"
    kind = "cost of app"

    def identity(self) -> str:
        return str(self.params["app"])

    def items(self) -> List[Dict[str, Any]]:
        app = self.identity()
        try:
            cost = self.client.cost.get(app)
        except self.cm.not_found() as exc:
            if "app not found" in str(exc):
                return []
            raise ConvoxError(GATED.format(path=f"/apps/{app}/cost")) from exc
        item: Dict[str, Any] = dict(to_plain(cost) or {})
        item["app"] = app
        if self.params["budget"]:
            item["budget"] = budget_view(self.client.budget.get(app))
        return [item]


def main() -> None:
    AppCostInfo.main()


if __name__ == "__main__":
    main()
