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
      - From 0 to 150000 (the largest cluster Kubernetes supports runs 150,000 pods; a rack hands the
        count to Kubernetes as a 32-bit number). Checked before anything is sent.
    type: int
  cpu:
    description:
      - CPU request of each process, in millicores.
      - From 0 to 1024000 (1024 CPUs, more than any machine type has). Checked before anything is sent.
    type: int
  memory:
    description:
      - Memory request of each process, in MiB.
      - From 0 to 33554432 (32 TiB, more than any machine type has). Checked before anything is sent.
    type: int
  gpu:
    description:
      - Number of GPUs requested by each process, from 0 to 64.
    type: int
  min:
    description:
      - Lower bound of the autoscaling range, from 0 to 150000.
      - Needs a rack that supports range scaling (3.24.6 and later) and an autoscaling
        configuration on the service.
    type: int
  max:
    description:
      - Upper bound of the autoscaling range, from 0 to 150000. See O(min).
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
check_mode_note:
  description:
    - Set in check mode when the app or service the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app or service does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
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
      description:
        - Lower bound of the autoscaling range, as the rack reports it (from the manifest's C(scale.count)
          (a fixed count N gives N for both bounds) or from the last range scale with O(min)).
        - It does not follow RV(service.count); after scaling a service whose manifest scale is 1 to 2
          processes, the rack reports count 2 with min 1 and max 1.
      type: int
      sample: 1
    max:
      description:
        - Upper bound of the autoscaling range, as the rack reports it (from the manifest's C(scale.count)
          (a fixed count N gives N for both bounds) or from the last range scale (O(max)).
        - It does not follow RV(service.count); after scaling a service whose manifest scale is 1 to 2
          processes, the rack reports count 2 with min 1 and max 1.
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

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource, merge_desired
from ansible_collections.convox.convox.plugins.module_utils._views import process_view, service_view

SCALE_KEYS = ("count", "cpu", "memory", "gpu", "min", "max")


class Service(DeclarativeResource):
    options = {
        "app": {"type": "str", "required": True},
        "name": {"type": "str", "required": True, "aliases": ["service"]},
        "count": {"type": "int"},
        "cpu": {"type": "int"},
        "memory": {"type": "int"},
        "gpu": {"type": "int"},
        "min": {"type": "int"},
        "max": {"type": "int"},
        "state": {"type": "str", "choices": ["present", "restarted"], "default": "present"},
    }
    wait_options = True
    checks = {
        "count": [checks.between(0, checks.MAX_COUNT)],
        "min": [checks.between(0, checks.MAX_COUNT)],
        "max": [checks.between(0, checks.MAX_COUNT)],
        "cpu": [checks.between(0, checks.MAX_CPU, "millicores")],
        "memory": [checks.between(0, checks.MAX_MEMORY, "MiB")],
        "gpu": [checks.between(0, checks.MAX_GPU)],
    }
    result_key = "service"
    kind = "service"

    def identity(self) -> str:
        return f"{self.params['name']} of app {self.params['app']}"

    def validate(self) -> None:
        low, high = self.params.get("min"), self.params.get("max")
        if low is not None and high is not None and low > high:
            self.cm.fail(f"Option min ({low}) is larger than max ({high}). Nothing was sent to the rack.")

    def read(self) -> Optional[Dict[str, Any]]:
        app, name = self.params["app"], self.params["name"]
        return self.service_of(app, name, "Services are declared in convox.yml; deploy a release that has it first.")

    def desired(self) -> Dict[str, Any]:
        return {key: self.params.get(key) for key in SCALE_KEYS}

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        """Check mode only, when the app or the service comes from an earlier task of the play."""
        return merge_desired({"name": self.params["name"]}, desired)

    def view(self, state: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return service_view(state)

    def extra(self, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return {"restarted": True} if self.params["state"] == "restarted" else {}

    def send(self, desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]) -> None:
        changes = {key: desired[key] for key in differences}
        self.client.services.update(self.params["app"], self.params["name"], **changes)

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        self.send(desired, differences)
        return self.wait_for(desired) if self.cm.wait else (self.read() or {})

    def state_restarted(self, current: Dict[str, Any]) -> Tuple[bool, Dict[str, Any]]:
        """Apply any given scale options, then roll the service's processes (always a change)."""
        desired = self.desired()
        differences = self.compare(current, desired)
        if self.cm.check_mode:
            return True, (self.predict_update(current, desired) if differences else current)
        if differences:
            self.cm.set_context("update", self.target)
            self.send(desired, differences)
        self.cm.set_context("restart", self.target)
        self.client.services.restart(self.params["app"], self.params["name"])
        return True, (self.wait_for(desired) if self.cm.wait and differences else (self.read() or {}))

    def wait_for(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        """Poll until the service shows ``desired`` and, with a count, that many processes run."""
        app, name = self.params["app"], self.params["name"]
        what = f"service {name} of app {app} to scale"
        self.cm.set_context("wait for", what)

        def probe() -> Tuple[bool, Dict[str, Any]]:
            service = self.read() or {}
            settled = not self.compare(service, desired)
            if settled and desired.get("count") is not None:
                processes = [process_view(p) for p in self.client.processes.list(app, service=name) or []]
                settled = len([p for p in processes if p.get("status") == "running"]) == int(desired["count"])
            return settled, service

        def timed_out(service: Any) -> None:
            self.cm.fail(
                f"Service {name} of app {app} on {self.cm.rack_label} did not reach the requested scale "
                f"within {self.cm.wait_timeout} seconds. The rack keeps working; check `convox ps -a {app}` "
                "or raise wait_timeout.",
                service=service,
                failure={"kind": "WaitTimeout", "app": app, "service": name},
            )

        result: Dict[str, Any] = self.cm.poll(probe, what, on_timeout=timed_out)
        return result


def main() -> None:
    Service.main()


if __name__ == "__main__":
    main()
