#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_service
short_description: Scale, resize and restart a service of a Convox app
version_added: 0.1.0
description:
  - Sets the scale (process count, autoscaling range) and the size (CPU, memory, GPU) of one
    service of an app, or restarts it with a rolling restart.
  - Services themselves are declared in the app's C(convox.yml); this module never creates or
    deletes one. A service that the app's active release does not have is an error.
  - Only the options that are given are compared with the service as the rack lists it.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.WAIT
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.app
  - convox.convox.convox.managing
options:
  name:
    description:
      - Name of the service, as in the app's C(convox.yml).
    type: str
    required: true
    aliases: [service]
  count:
    description:
      - Desired number of processes of the service.
    type: int
  cpu:
    description:
      - CPU request of each process, in millicores.
    type: int
  memory:
    description:
      - Memory request of each process, in MiB.
    type: int
  gpu:
    description:
      - Number of GPUs requested by each process.
    type: int
  min:
    description:
      - Lower bound of the autoscaling range.
      - Needs a rack that supports range scaling (3.24.6 and later) and an autoscaling
        configuration on the service.
    type: int
  max:
    description:
      - Upper bound of the autoscaling range. See O(min).
    type: int
  state:
    description:
      - V(present) makes the service match the given options.
      - V(restarted) also applies the given options, then restarts the service's processes
        with a rolling restart. A restart always reports a change.
    type: str
    choices: [present, restarted]
    default: present
  wait:
    description:
      - After a change, wait until the rack lists the service with the new values and, when
        O(count) is given, until that many of its processes are running.
notes:
  - A change of scale or size rolls the service's processes; the app itself stays V(running).
seealso:
  - module: convox.convox.convox_service_info
  - module: convox.convox.convox_process_info
"""

EXAMPLES = r"""
- name: Run three web processes of 512 MiB each
  convox.convox.convox_service:
    app: myapp
    name: web
    count: 3
    memory: 512

- name: Restart the worker service
  convox.convox.convox_service:
    app: myapp
    name: worker
    state: restarted
"""

RETURN = r"""
service:
  description:
    - The service as the rack lists it after the task (the predicted service in check mode).
  returned: success
  type: dict
  contains:
    name:
      description: Name of the service.
      type: str
      sample: web
    count:
      description: Desired number of processes.
      type: int
      sample: 3
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
      description: Lower bound of the scale range.
      type: int
      sample: 1
    max:
      description: Upper bound of the scale range.
      type: int
      sample: 3
    domain:
      description: Host name of the service.
      type: str
      sample: web.myapp.0a1b2c.convox.cloud
    ports:
      description: Ports of the service.
      type: list
      elements: dict
      sample: [{"balancer": 443, "certificate": "", "container": 3000}]
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

SCALE_KEYS = ("count", "cpu", "memory", "gpu", "min", "max")


class Service(DeclarativeResource):
    result_key = "service"
    kind = "service"

    def identity(self) -> str:
        return f"{self.params['name']} of app {self.params['app']}"

    def read(self) -> Optional[Dict[str, Any]]:
        app, name = self.params["app"], self.params["name"]
        return self.service_of(app, name, "Services are declared in convox.yml; deploy a release that has it first.")

    def desired(self) -> Dict[str, Any]:
        return {key: self.params.get(key) for key in SCALE_KEYS}

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        app, name = self.params["app"], self.params["name"]
        changes = {key: desired[key] for key in differences}
        self.cm.client.services.update(app, name, **changes)
        if self.cm.wait:
            return self.wait_for(desired)
        return self.read() or {}

    def wait_for(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        """Poll until the service shows ``desired`` and, with a count, that many processes run."""
        app, name = self.params["app"], self.params["name"]
        self.cm.set_context("wait for", f"service {name} of app {app} to scale")

        def probe() -> Tuple[bool, Dict[str, Any]]:
            service = self.read() or {}
            settled = not self.compare(service, desired)
            if settled and desired.get("count") is not None:
                processes = to_plain(self.cm.client.processes.list(app, service=name)) or []
                running = [p for p in processes if p.get("status") == "running"]
                settled = len(running) == int(desired["count"])
            return settled, service

        def timed_out(service: Any) -> None:
            self.cm.fail(
                f"Service {name} of app {app} on {self.cm.rack_label} did not reach the requested scale "
                f"within {self.cm.wait_timeout} seconds. The rack keeps working; check `convox ps -a {app}` "
                "or raise wait_timeout.",
                service=service,
                failure={"kind": "WaitTimeout", "app": app, "service": name},
            )

        result: Dict[str, Any] = self.cm.poll(probe, f"service {name} of app {app} to scale", on_timeout=timed_out)
        return result

    def view(self, state: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return dict(state) if state else {}


def main() -> None:
    cm = ConvoxModule(
        {
            "app": {"type": "str", "required": True},
            "name": {"type": "str", "required": True, "aliases": ["service"]},
            "count": {"type": "int"},
            "cpu": {"type": "int"},
            "memory": {"type": "int"},
            "gpu": {"type": "int"},
            "min": {"type": "int"},
            "max": {"type": "int"},
            "state": {"type": "str", "choices": ["present", "restarted"], "default": "present"},
        },
        wait=True,
    )
    for key in SCALE_KEYS:
        value = cm.params.get(key)
        if value is not None and value < 0:
            cm.fail(f"Option {key} must be 0 or more, got {value}. Nothing was sent to the rack.")
    if cm.params.get("min") is not None and cm.params.get("max") is not None and cm.params["min"] > cm.params["max"]:
        cm.fail(
            f"Option min ({cm.params['min']}) is larger than max ({cm.params['max']}). Nothing was sent to the rack."
        )
    service = Service(cm)
    if cm.params["state"] == "restarted":
        cm.run(lambda: restart(service), "restart", service.target)
    else:
        service.execute()


def restart(service: Service) -> None:
    """Apply any given scale options, then roll the service's processes (always a change)."""
    cm = service.cm
    app, name = service.params["app"], service.params["name"]
    current = service.read() or {}
    desired = service.desired()
    differences = service.compare(current, desired)
    if cm.check_mode:
        after = service.predict_update(current, desired) if differences else current
    else:
        if differences:
            cm.set_context("update", service.target)
            cm.client.services.update(app, name, **{key: desired[key] for key in differences})
        cm.set_context("restart", service.target)
        cm.client.services.restart(app, name)
        after = service.wait_for(desired) if cm.wait and differences else (service.read() or {})
    cm.exit(True, diff=cm.diff(service.view(current), service.view(after)), service=service.view(after), restarted=True)


if __name__ == "__main__":
    main()
