#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_rack_info
short_description: Read information about a Convox rack
version_added: 0.1.0
description:
  - Returns what O(gather) asks for - the rack itself (C(system)), its capacity, its system
    processes, its version history (C(releases)) and its metrics - each under its own key.
  - v3 racks keep no version history behind the API (they answer 501), and some racks serve
    no metrics; asking for these on such a rack fails with a message that says so and what to
    use instead.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
options:
  gather:
    description:
      - What to read. Each item fills the result key of the same name.
    type: list
    elements: str
    choices: [system, capacity, processes, releases, metrics]
    default: [system]
  processes_all:
    description:
      - With V(processes) in O(gather), list the processes of all namespaces of the cluster,
        not only the rack's own.
    type: bool
    default: false
  metrics_names:
    description:
      - With V(metrics) in O(gather), the metrics to read; the rack's default set when not given.
    type: list
    elements: str
  metrics_period:
    description:
      - With V(metrics) in O(gather), the length in seconds of each data point.
    type: int
seealso:
  - module: convox.convox.convox_rack
  - module: convox.convox.convox_instance_info
"""

EXAMPLES = r"""
- name: Read the rack and its capacity
  convox.convox.convox_rack_info:
    gather: [system, capacity]
  register: rack

- name: Show its version and free memory
  ansible.builtin.debug:
    msg: >-
      {{ rack.system.name }} runs {{ rack.system.version }};
      {{ rack.capacity.cluster_memory - rack.capacity.process_memory }} MB free

- name: Read the rack's system processes and CPU metrics
  convox.convox.convox_rack_info:
    gather: [processes, metrics]
    metrics_names: [cluster-cpu-utilization]
    metrics_period: 300
"""

RETURN = r"""
system:
  description: The rack (C(GET /system)).
  returned: when V(system) is in O(gather)
  type: dict
  sample: {"name": "myrack", "provider": "aws", "status": "running", "version": "3.24.9"}
capacity:
  description: Cluster capacity and what the processes request (CPU in millicores, memory in MB).
  returned: when V(capacity) is in O(gather)
  type: dict
  sample: {"cluster_cpu": 4000, "cluster_memory": 16384, "process_count": 5, "process_memory": 2560}
processes:
  description: The rack's system processes, sorted by id.
  returned: when V(processes) is in O(gather)
  type: list
  elements: dict
  sample: [{"id": "api-7d9f8c6b5-a1b2c", "name": "api", "status": "running"}]
releases:
  description: The rack's version history (v2 racks).
  returned: when V(releases) is in O(gather)
  type: list
  elements: dict
  sample: [{"id": "20240515123456", "created": "2024-05-15T12:34:56Z"}]
metrics:
  description: Rack metrics, each with C(name) and a list of C(values).
  returned: when V(metrics) is in O(gather)
  type: list
  elements: dict
  sample: [{"name": "cluster-cpu-utilization", "values": [{"avg": 12.5, "time": "2026-05-01T12:00:00Z"}]}]
"""

from typing import Any, Dict

from ansible_collections.convox.convox.plugins.module_utils import errors as convox_errors
from ansible_collections.convox.convox.plugins.module_utils._module import failure_details, is_v3_refusal
from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

UNSUPPORTED = "This rack version does not support it over its API."
INSTEAD = {
    "releases": (
        "This rack keeps no version history behind its API (v3 racks answer 501 'release history is "
        "unavailable'). Read the current version from gather: [system] (system.version) and the history from "
        "the Convox release notes or your terraform state instead."
    ),
    "metrics": (
        "This rack serves no metrics over its API. Read them from the provider's monitoring instead "
        "(CloudWatch, Cloud Monitoring, Azure Monitor) or from the rack's Prometheus/Grafana if installed."
    ),
}


class RackInfo(InfoTask):
    """One result key per gathered item (``system``, ``capacity``...), read in the order given."""

    options = {
        "gather": {
            "type": "list",
            "elements": "str",
            "choices": ["system", "capacity", "processes", "releases", "metrics"],
            "default": ["system"],
        },
        "processes_all": {"type": "bool", "default": False},
        "metrics_names": {"type": "list", "elements": "str"},
        "metrics_period": {"type": "int"},
    }
    action = "read the rack"

    def validate(self) -> None:
        period = self.params.get("metrics_period")
        if period is not None and period < 1:
            self.cm.fail(f"Option metrics_period must be at least 1 second, got {period}. Nothing was sent.")

    def read(self, item: str) -> Any:
        system, params = self.client.system, self.params
        if item == "system":
            return to_plain(system.get())
        if item == "capacity":
            return to_plain(system.capacity())
        if item == "processes":
            processes = to_plain(system.processes(all=params["processes_all"])) or []
            return sorted(processes, key=lambda p: str(p.get("id")))
        if item == "releases":
            return to_plain(system.releases()) or []
        query: Dict[str, Any] = {}
        if params.get("metrics_names"):
            query["metrics"] = list(params["metrics_names"])
        if params.get("metrics_period") is not None:
            query["period"] = params["metrics_period"]
        return to_plain(system.metrics(**query)) or []

    def result(self) -> Dict[str, Any]:
        result: Dict[str, Any] = {}
        for item in dict.fromkeys(self.params["gather"]):
            self.cm.set_context(f"read the rack's {item}")
            try:
                result[item] = self.read(item)
            except convox_errors.ConvoxAPIError as exc:
                if not is_v3_refusal(exc):
                    raise
                self.cm.fail(
                    f"Could not read the rack's {item} on {self.cm.rack_label}: {INSTEAD.get(item, UNSUPPORTED)}",
                    failure=failure_details(exc),
                )
        return result


def main() -> None:
    RackInfo.main()


if __name__ == "__main__":
    main()
