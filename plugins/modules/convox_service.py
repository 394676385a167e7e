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
  scale_override:
    description:
      - Turn the service's scale override on (V(true)) or off (V(false)).
      - While it is on, a promote keeps the service's current process count (even 0) instead
        of the count of the manifest's C(scale.count); the override alone changes no count.
      - Needs a rack of version 3.24.6 or later; on an older rack the task fails before anything is sent.
    type: bool
    version_added: 0.2.0
  autoscale:
    description:
      - V(true) puts a Console-driven autoscaler on the service (the rack's "triggers override"), which
        replaces the autoscaling of the manifest until it is removed. O(autoscale_min), O(autoscale_max) and
        O(autoscale_triggers) are then required.
      - V(false) removes it (nothing to do when there is none); the rack then scales the service back to the
        manifest's minimum (1 when that is 0) and the manifest's autoscaling applies again.
      - Compared with the service as the rack lists it; thresholds are compared as whole numbers (the rack
        lists them so), and a trigger type that is not in O(autoscale_triggers) must not be on the autoscaler.
      - Turning it on, or changing the trigger types, sets the process count to O(autoscale_min). A change of
        only O(autoscale_min) or O(autoscale_max) is a range scale of the autoscaler, and a change of only
        thresholds updates them in place; neither moves the count (a range scale is refused while the app's
        cost budget blocks deploys).
      - O(count) can only go with V(false).
      - Needs a rack of version 3.24.6 or later; on an older rack the task fails before anything is sent.
    type: bool
    version_added: 0.2.0
  autoscale_min:
    description:
      - Fewest processes of the autoscaler, from 0 to 150000. V(0) (scale to zero) needs a
        V(gpuUtilization) or V(queueDepth) trigger. Only with O(autoscale=true).
    type: int
    version_added: 0.2.0
  autoscale_max:
    description:
      - Most processes of the autoscaler, from 1 to 150000, at least O(autoscale_min). Only with O(autoscale=true).
    type: int
    version_added: 0.2.0
  autoscale_triggers:
    description:
      - What drives the autoscaler, one entry per type. Only with O(autoscale=true).
      - V(gpuUtilization) needs a service with a GPU (C(scale.gpu) in C(convox.yml)); V(gpuUtilization)
        and V(queueDepth) need KEDA and GPU telemetry on the rack.
    type: list
    version_added: 0.2.0
    elements: dict
    suboptions:
      type:
        description:
          - V(cpu), V(memory), V(gpuUtilization) (percent of the request) or V(queueDepth) (requests waiting).
        type: str
        required: true
        choices: [cpu, memory, gpuUtilization, queueDepth]
      threshold:
        description:
          - Target value; more than 0, and at most 100 for the percent types (at most 1000000 for V(queueDepth)).
        type: float
        required: true
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
      - After turning O(autoscale) on or off (or changing its trigger types), also wait until as many
        processes run as the service's count then is.
notes:
  - O(min) and O(max) are a range scale of the service; with O(autoscale=true) use O(autoscale_min) and
    O(autoscale_max) instead (they are mutually exclusive).
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

- name: Autoscale web from 2 to 10 processes on CPU and memory (racks 3.24.6 and later)
  convox.convox.convox_service:
    app: myapp
    name: web
    autoscale: true
    autoscale_min: 2
    autoscale_max: 10
    autoscale_triggers:
      - type: cpu
        threshold: 70
      - type: memory
        threshold: 80

- name: Keep web's count across deploys while it is tuned by hand
  convox.convox.convox_service:
    app: myapp
    name: web
    scale_override: true

- name: Hand web's scaling back to convox.yml
  convox.convox.convox_service:
    app: myapp
    name: web
    scale_override: false
    autoscale: false

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
    scale_override_active:
      description: Whether the scale override is on (V(null) on racks older than 3.24.6).
      type: bool
      sample: false
    triggers_override_active:
      description: Whether a Console-driven autoscaler (O(autoscale)) is on (V(null) on racks older than 3.24.6).
      type: bool
      sample: true
    autoscale:
      description:
        - The service's autoscaling as the rack reports it (from O(autoscale) or from the manifest), or V(null).
        - C(enabled), the thresholds C(cpu_threshold), C(mem_threshold), C(gpu_threshold), C(queue_threshold)
          (whole numbers, V(null) when that trigger is not used), C(metric_name) and C(custom_triggers).
      type: dict
      sample: {"enabled": true, "cpu_threshold": 70, "mem_threshold": 80, "gpu_threshold": null}
"""

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import (
    DeclarativeResource,
    compare_subset,
    merge_desired,
)
from ansible_collections.convox.convox.plugins.module_utils._views import process_view, service_view

SCALE_KEYS = ("count", "cpu", "memory", "gpu", "min", "max")
TRIGGER_TYPES = ("cpu", "memory", "gpuUtilization", "queueDepth")
# the key of each trigger type's threshold in the service's ``autoscale`` as the rack lists it
THRESHOLD_KEYS = {
    "cpu": "cpu_threshold",
    "memory": "mem_threshold",
    "gpuUtilization": "gpu_threshold",
    "queueDepth": "queue_threshold",
}
MAX_QUEUE_DEPTH = 1_000_000


def triggers_problem(value: Any, secret: bool) -> Optional[str]:
    """What is wrong with ``autoscale_triggers`` (Ansible has checked the types and choices)."""
    if not isinstance(value, list):
        return "must be a list"
    if not value:
        return "needs at least one trigger"
    seen: List[str] = []
    for index, trigger in enumerate(value):
        if not isinstance(trigger, dict):
            return f"[{index}] must be a mapping with type and threshold"
        kind, threshold = trigger.get("type"), trigger.get("threshold")
        if kind in seen:
            return f"has two triggers of type {kind} ([{index}])"
        seen.append(str(kind))
        limit = MAX_QUEUE_DEPTH if kind == "queueDepth" else 100
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= limit:
            return f"[{index}].threshold must be more than 0 and at most {limit}, got {threshold!r}"
    return None


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
        "scale_override": {"type": "bool"},
        "autoscale": {"type": "bool"},
        "autoscale_min": {"type": "int"},
        "autoscale_max": {"type": "int"},
        "autoscale_triggers": {
            "type": "list",
            "elements": "dict",
            "options": {
                "type": {"type": "str", "required": True, "choices": list(TRIGGER_TYPES)},
                "threshold": {"type": "float", "required": True},
            },
        },
        "state": {"type": "str", "choices": ["present", "restarted"], "default": "present"},
    }
    module_options = {
        "mutually_exclusive": [["min", "autoscale_min"], ["max", "autoscale_max"]],
        "required_by": {"autoscale_min": "autoscale", "autoscale_max": "autoscale", "autoscale_triggers": "autoscale"},
        "required_if": [["autoscale", True, ["autoscale_min", "autoscale_max", "autoscale_triggers"]]],
    }
    wait_options = True
    checks = {
        "count": [checks.between(0, checks.MAX_COUNT)],
        "min": [checks.between(0, checks.MAX_COUNT)],
        "max": [checks.between(0, checks.MAX_COUNT)],
        "cpu": [checks.between(0, checks.MAX_CPU, "millicores")],
        "memory": [checks.between(0, checks.MAX_MEMORY, "MiB")],
        "gpu": [checks.between(0, checks.MAX_GPU)],
        "autoscale_min": [checks.between(0, checks.MAX_COUNT)],
        "autoscale_max": [checks.between(1, checks.MAX_COUNT)],
        "autoscale_triggers": [triggers_problem],
    }
    result_key = "service"
    kind = "service"

    def identity(self) -> str:
        return f"{self.params['name']} of app {self.params['app']}"

    def validate(self) -> None:
        low, high = self.params.get("min"), self.params.get("max")
        if low is not None and high is not None and low > high:
            self.cm.fail(f"Option min ({low}) is larger than max ({high}). Nothing was sent to the rack.")
        autoscale = self.params.get("autoscale")
        if autoscale is False:
            given = [key for key in ("autoscale_min", "autoscale_max", "autoscale_triggers") if self.params.get(key)]
            if given:
                self.refuse(given[0], "is only used with autoscale true (autoscale false removes the autoscaler)")
        if autoscale:
            low, high = self.params["autoscale_min"], self.params["autoscale_max"]
            if low > high:
                self.refuse("autoscale_min", f"({low}) is larger than autoscale_max ({high})")
            kinds = {t["type"] for t in self.params["autoscale_triggers"]}
            if low == 0 and not kinds & {"gpuUtilization", "queueDepth"}:
                self.refuse(
                    "autoscale_min", "0 needs a gpuUtilization or queueDepth trigger (cpu and memory keep 1 process)"
                )
            if self.params.get("count") is not None:
                self.refuse("count", "cannot go with autoscale true: the autoscaler sets the count")

    def autoscale(self) -> Optional[Dict[str, Any]]:
        """The autoscaler asked for: ``None`` (not managed), ``{"enabled": False}`` or the whole of it."""
        if self.params.get("autoscale") is None:
            return None
        if not self.params["autoscale"]:
            return {"enabled": False}
        return {
            "enabled": True,
            "min": self.params["autoscale_min"],
            "max": self.params["autoscale_max"],
            "triggers": self.params["autoscale_triggers"],
        }

    def read(self) -> Optional[Dict[str, Any]]:
        app, name = self.params["app"], self.params["name"]
        service = self.service_of(app, name, "Services are declared in convox.yml; deploy a release that has it first.")
        if service is not None and service.get("scale_override_active") is None:
            wanted = [key for key in ("scale_override", "autoscale") if self.params.get(key) is not None]
            if wanted:
                self.cm.fail(
                    f"Option {wanted[0]} needs a rack of version 3.24.6 or later: {self.cm.rack_label} lists "
                    f"service {name} of app {app} without a scale override state (an older rack has neither "
                    "scale overrides nor autoscale triggers). Nothing was sent to the rack.",
                    failure={"kind": "Unsupported", "option": wanted[0], "needs": "3.24.6"},
                    service=service_view(service),
                )
        return service

    def desired(self) -> Dict[str, Any]:
        desired: Dict[str, Any] = {key: self.params.get(key) for key in SCALE_KEYS}
        if self.params.get("scale_override") is not None:
            desired["scale_override_active"] = bool(self.params["scale_override"])
        autoscale = self.autoscale()
        if autoscale is not None:
            enabled = autoscale["enabled"]
            desired["triggers_override_active"] = enabled
            if enabled:
                desired["min"], desired["max"] = autoscale["min"], autoscale["max"]
                wanted = {t["type"]: int(t["threshold"]) for t in autoscale["triggers"]}
                desired["autoscale"] = {key: wanted.get(kind) for kind, key in THRESHOLD_KEYS.items()}
                desired["autoscale"]["enabled"] = True
        return desired

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
        plain = {key: value for key, value in desired.items() if key != "autoscale"}
        differences = compare_subset(current, plain)
        want = desired.get("autoscale")
        if want is not None:
            have = current.get("autoscale") if isinstance(current.get("autoscale"), dict) else {}
            changed = [key for key, value in want.items() if have.get(key) != value]
            if changed:
                differences["autoscale"] = ({k: have.get(k) for k in changed}, {k: want[k] for k in changed})
        return differences

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        """Check mode only, when the app or the service comes from an earlier task of the play."""
        return self.predict_update({"name": self.params["name"]}, desired)

    def predict_update(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
        predicted = merge_desired(current, {k: v for k, v in desired.items() if k != "autoscale"})
        if desired.get("autoscale") is not None:
            predicted["autoscale"] = {"metric_name": None, "custom_triggers": None, **desired["autoscale"]}
            if self._enable_needed(current, desired):
                predicted["count"] = desired["min"]
        elif desired.get("triggers_override_active") is False and current.get("triggers_override_active"):
            predicted["autoscale"] = None
        return predicted

    @staticmethod
    def _enable_needed(current: Dict[str, Any], desired: Dict[str, Any]) -> bool:
        """Whether the autoscaler must be (re)created: none is on, or its trigger types change."""
        want = desired.get("autoscale")
        if want is None:
            return False
        if not current.get("triggers_override_active"):
            return True
        have = current.get("autoscale") if isinstance(current.get("autoscale"), dict) else {}
        return any((have.get(key) is None) != (want.get(key) is None) for key in THRESHOLD_KEYS.values())

    def view(self, state: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return service_view(state)

    def extra(self, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        return {"restarted": True} if self.params["state"] == "restarted" else {}

    def send(self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]) -> bool:
        """The writes, in order: autoscaler, scale, scale override. True when the autoscaler was
        created or removed (the rack then moves the count itself)."""
        app, name = self.params["app"], self.params["name"]
        services = self.client.services
        moved = False
        autoscale = self.autoscale()
        if autoscale is not None and "triggers_override_active" in differences and autoscale["enabled"] is False:
            services.triggers_disable(app, name)
            moved = True
        elif autoscale is not None and self._enable_needed(current, desired):
            triggers = [{"type": t["type"], "threshold": t["threshold"]} for t in autoscale["triggers"]]
            services.triggers_enable(app, name, min=autoscale["min"], max=autoscale["max"], triggers=triggers)
            moved = True
        elif autoscale is not None and autoscale["enabled"] is not False:
            bounds = {key: desired[key] for key in ("min", "max") if key in differences}
            if bounds:  # a range scale of the autoscaler: the count stays
                services.update(app, name, **bounds)
            for trigger in autoscale["triggers"]:
                key = THRESHOLD_KEYS[trigger["type"]]
                if key in differences.get("autoscale", ({}, {}))[1]:
                    services.triggers_threshold(app, name, trigger["type"], trigger["threshold"])
        ranged = autoscale is not None and autoscale["enabled"] is not False  # min/max belong to the autoscaler
        scale = {
            key: desired[key] for key in SCALE_KEYS if key in differences and not (ranged and key in ("min", "max"))
        }
        if scale:
            services.update(app, name, **scale)
        if "scale_override_active" in differences:
            services.scale_override(app, name, desired["scale_override_active"])
        return moved

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        moved = self.send(current, desired, differences)
        return self.wait_for(desired, moved) if self.cm.wait else (self.read() or {})

    def state_restarted(self, current: Dict[str, Any]) -> Tuple[bool, Dict[str, Any]]:
        """Apply any given scale options, then roll the service's processes (always a change)."""
        desired = self.desired()
        differences = self.compare(current, desired)
        if self.cm.check_mode:
            return True, (self.predict_update(current, desired) if differences else current)
        moved = False
        if differences:
            self.cm.set_context("update", self.target)
            moved = self.send(current, desired, differences)
        self.cm.set_context("restart", self.target)
        self.client.services.restart(self.params["app"], self.params["name"])
        return True, (self.wait_for(desired, moved) if self.cm.wait and differences else (self.read() or {}))

    def wait_for(self, desired: Dict[str, Any], moved: bool = False) -> Dict[str, Any]:
        """Poll until the service shows ``desired`` and, with a count (or after the autoscaler was
        created or removed: the service's count), that many processes run."""
        app, name = self.params["app"], self.params["name"]
        what = f"service {name} of app {app} to scale"
        self.cm.set_context("wait for", what)

        def probe() -> Tuple[bool, Dict[str, Any]]:
            service = self.read() or {}
            settled = not self.compare(service, desired)
            count = (
                desired.get("count") if desired.get("count") is not None else (service.get("count") if moved else None)
            )
            if settled and count is not None:
                processes = [process_view(p) for p in self.client.processes.list(app, service=name) or []]
                settled = len([p for p in processes if p.get("status") == "running"]) == int(count)
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
