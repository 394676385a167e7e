#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_service_info
short_description: List the services of a Convox app with their scale and ports
version_added: 0.1.0
description:
  - Returns the services of an app as the rack lists them, with their process count, size,
    scale range and ports, and (racks 3.24.6 and later) their scale override and autoscaling.
  - An app without a promoted release has no services; the list is then empty.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.app
  - convox.convox.convox.info
options:
  name:
    description:
      - Return only the service with this name (an empty list when the app has none).
    type: str
    aliases: [service]
seealso:
  - module: convox.convox.convox_service
"""

EXAMPLES = r"""
- name: Read the services of myapp
  convox.convox.convox_service_info:
    app: myapp
  register: services

- name: Show the process count of every service
  ansible.builtin.debug:
    msg: "{{ services.services | items2dict(key_name='name', value_name='count') }}"
"""

RETURN = r"""
services:
  description: The services, sorted by name. Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the service.
      type: str
      sample: web
    count:
      description: Desired number of processes.
      type: int
      sample: 2
    cpu:
      description: CPU request, in millicores.
      type: int
      sample: 250
    memory:
      description: Memory request, in MiB.
      type: int
      sample: 512
    gpu:
      description: GPUs per process.
      type: int
      sample: 0
    min:
      description:
        - Lower bound of the autoscaling range, as the rack reports it (from the manifest's C(scale.count)
          (a fixed count N gives N for both bounds) or from the last range scale with
          O(convox.convox.convox_service#module:min)).
        - It does not follow RV(services[].count); after scaling a service whose manifest scale is 1 to 2
          processes, the rack reports count 2 with min 1 and max 1.
      type: int
      sample: 1
    max:
      description:
        - Upper bound of the autoscaling range, as the rack reports it (from the manifest's C(scale.count)
          (a fixed count N gives N for both bounds) or from the last range scale with
          O(convox.convox.convox_service#module:max)).
        - It does not follow RV(services[].count); after scaling a service whose manifest scale is 1 to 2
          processes, the rack reports count 2 with min 1 and max 1.
      type: int
      sample: 4
    domain:
      description: Host name of the service.
      type: str
      sample: web.myapp.0a1b2c.convox.cloud
    ports:
      description: Ports of the service (C(balancer), C(certificate), C(container)).
      type: list
      elements: dict
      sample: [{"balancer": 443, "certificate": "", "container": 3000}]
    scale_override_active:
      description:
        - Whether the service's scale override is on (a promote then keeps its count); V(null) on racks older
          than 3.24.6. Set with O(convox.convox.convox_service#module:scale_override).
      type: bool
      version_added: 0.2.0
      sample: false
    triggers_override_active:
      description:
        - Whether a Console-driven autoscaler is on; V(null) on racks older than 3.24.6. Set with
          O(convox.convox.convox_service#module:autoscale).
      type: bool
      version_added: 0.2.0
      sample: true
    autoscale:
      description:
        - The service's autoscaling as the rack reports it (from the manifest or a Console-driven autoscaler),
          V(null) when it has none.
      type: dict
      contains:
        enabled:
          description: Whether autoscaling is on.
          type: bool
        cpu_threshold:
          description: CPU target, percent (V(null) when not a trigger).
          type: int
        mem_threshold:
          description: Memory target, percent (V(null) when not a trigger).
          type: int
        gpu_threshold:
          description: GPU utilization target, percent (V(null) when not a trigger).
          type: int
        queue_threshold:
          description: Queue depth target (V(null) when not a trigger).
          type: int
        metric_name:
          description: Prometheus metric of a GPU or queue trigger declared in the manifest.
          type: str
        custom_triggers:
          description: Number of custom KEDA triggers in the manifest.
          type: int
      sample: {"enabled": true, "cpu_threshold": 70, "mem_threshold": null, "gpu_threshold": null}
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import service_view


class ServiceInfo(InfoTask):
    options = {
        "app": {"type": "str", "required": True},
        "name": {"type": "str", "aliases": ["service"]},
    }
    result_key = "services"
    action = "list services of"
    kind = "app"

    def identity(self) -> str:
        return str(self.params["app"])

    def items(self) -> List[Dict[str, Any]]:
        name = self.params.get("name")
        services = [service_view(s) for s in self.client.services.list(self.params["app"]) or []]
        if name:
            services = [s for s in services if s.get("name") == name]
        return sorted(services, key=lambda s: str(s.get("name")))


def main() -> None:
    ServiceInfo.main()


if __name__ == "__main__":
    main()
