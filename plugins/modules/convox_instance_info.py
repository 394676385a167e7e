#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_instance_info
short_description: List the instances (nodes) of a Convox rack
version_added: 0.1.0
description:
  - Returns the rack's instances (cluster nodes) with their status, CPU and memory use and
    capacity, and the number of processes on each.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
options:
  id:
    description:
      - Return only this instance (an empty list when the rack has no such instance).
    type: str
seealso:
  - module: convox.convox.convox_instance
"""

EXAMPLES = r"""
- name: Read the rack's instances
  convox.convox.convox_instance_info:
  register: nodes

- name: Show the running ones
  ansible.builtin.debug:
    msg: "{{ nodes.instances | selectattr('status', 'equalto', 'running') | map(attribute='id') | list }}"
"""

RETURN = r"""
instances:
  description: The instances, sorted by id. Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id (node name) of the instance.
      type: str
      sample: ip-10-0-1-23.ec2.internal
    status:
      description: C(running) or C(pending).
      type: str
      sample: running
    agent:
      description: Whether the rack agent runs on the instance.
      type: bool
      sample: true
    cpu:
      description: CPU in use, in cores.
      type: float
      sample: 0.4
    cpu_capacity:
      description: CPU of the instance, in cores.
      type: float
      sample: 2.0
    cpu_allocatable:
      description: CPU available to processes, in cores.
      type: float
      sample: 1.9
    memory:
      description: Memory in use, in MiB.
      type: float
      sample: 1024.0
    memory_capacity:
      description: Memory of the instance, in MiB.
      type: float
      sample: 8192.0
    memory_allocatable:
      description: Memory available to processes, in MiB.
      type: float
      sample: 7680.0
    processes:
      description: Number of processes on the instance.
      type: int
      sample: 5
    private_ip:
      description: Private IP address.
      type: str
      sample: 10.0.1.23
    public_ip:
      description: Public IP address.
      type: str
      sample: ""
    started:
      description: When the instance started.
      type: str
      sample: "2026-05-01T12:00:00Z"
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import instance_view


class InstanceInfo(InfoTask):
    options = {"id": {"type": "str"}}
    result_key = "instances"
    action = "list the instances"

    def identity(self) -> str:
        return ""

    def items(self) -> List[Dict[str, Any]]:
        wanted = self.params.get("id")
        instances = [instance_view(i) for i in self.client.instances.list() or []]
        if wanted:
            instances = [i for i in instances if i.get("id") == wanted]
        return sorted(instances, key=lambda i: str(i.get("id")))


def main() -> None:
    InstanceInfo.main()


if __name__ == "__main__":
    main()
