#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_budget_info
short_description: Read the cost budget of a Convox app and its auto-shutdown state
version_added: 0.2.0
description:
  - Reads the per-app cost budget of a Convox app as C(convox budget show) does, the
    month-to-date state (spend, alerts, circuit breaker) and the auto-shutdown state.
  - Needs a rack of version 3.24.6 or later.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.APP
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
seealso:
  - module: convox.convox.convox_budget
"""

EXAMPLES = r"""
- name: Read the budget of myapp
  convox.convox.convox_budget_info:
    app: myapp
  register: result

- name: Show whether deploys are blocked
  ansible.builtin.debug:
    msg: "{{ result.budgets[0].state.circuit_breaker_tripped | default(false) }}"
  when: result.budgets | length > 0
"""

RETURN = r"""
budgets:
  description:
    - The app's budget, one entry; empty when the app does not exist.
  returned: always
  type: list
  elements: dict
  contains:
    app:
      description: Name of the app.
      type: str
      sample: myapp
    config:
      description:
        - The budget config (C(monthly_cap_usd), C(alert_threshold_percent), C(at_cap_action),
          C(pricing_adjustment), C(last_cap_mutation_by)); empty when no budget is set.
      type: dict
      sample:
        monthly_cap_usd: 500
        alert_threshold_percent: 80
        at_cap_action: block-new-deploys
        pricing_adjustment: 1.0
    state:
      description:
        - The month-to-date state (C(month_start), C(current_month_spend_usd), C(alert_fired_at_threshold),
          C(alert_fired_at_cap), C(circuit_breaker_tripped), C(per_service_spend_usd)...);
          empty before the rack first accounted for the app.
      type: dict
      sample:
        current_month_spend_usd: 120.5
        circuit_breaker_tripped: false
    shutdown_state:
      description:
        - The auto-shutdown state (C(armed_at), C(shutdown_at), C(restored_at), C(services)...);
          empty when no auto-shutdown is armed, active or recovered.
      type: dict
      sample: {}
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import budget_view, to_plain


class BudgetInfo(InfoTask):
    options = {"app": {"type": "str", "required": True}}
    checks = {"app": [checks.text(63, required=True)]}
    result_key = "budgets"
    kind = "budget of app"

    def identity(self) -> str:
        return str(self.params["app"])

    def items(self) -> List[Dict[str, Any]]:
        app = self.identity()
        found = self.found(self.client.budget.get, app)
        if not found:
            return []
        info = found[0]
        shutdown = self.client.budget.shutdown_state(app)
        return [dict(app=app, **budget_view(info), shutdown_state=to_plain(shutdown) or {})]


def main() -> None:
    BudgetInfo.main()


if __name__ == "__main__":
    main()
