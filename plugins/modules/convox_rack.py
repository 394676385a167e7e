#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_rack
short_description: Manage the parameters, size and version of a Convox rack
version_added: 0.1.0
description:
  - Compares the given rack O(parameters), instance O(count), instance O(type) and O(version)
    with the rack, and updates the rack when they differ. Only the given options (and, in
    O(parameters), only the given keys) are compared.
  - The update goes over the rack API, which only v2 racks accept. A v3 rack answers such an
    update with 501 (C(direct rack doesn't support update)); on a v3 rack this module
    therefore reports a rack that already matches as unchanged, and otherwise fails before
    sending anything, saying how to make the change instead (C(convox rack params set) and
    C(convox rack update), which apply it with terraform or through the Convox console).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.WAIT
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
options:
  parameters:
    description:
      - Rack parameters to set, as a mapping of name to value. Parameters not listed are left
        as they are.
    type: dict
  count:
    description:
      - Number of instances, from 1 to 5000 (the largest cluster Kubernetes supports).
    type: int
  type:
    description:
      - Instance type, for example V(t3.large).
    type: str
  version:
    description:
      - Rack version to update to.
    type: str
  force:
    description:
      - Update even when the rack's own checks would refuse (for example skipping versions).
    type: bool
    default: false
  wait:
    description:
      - Wait until the rack's status is C(running) again after an update.
seealso:
  - module: convox.convox.convox_rack_info
"""

EXAMPLES = r"""
- name: Make sure the rack runs the expected version (a no-op when it already does)
  convox.convox.convox_rack:
    version: "{{ rack.system.version }}"

- name: Resize a v2 rack
  convox.convox.convox_rack:
    count: 4
    type: t3.large
    parameters:
      Autoscale: "No"
  when: rack_generation == 2
"""

RETURN = r"""
rack:
  description: The rack (C(GET /system)) after the task, or as predicted in check mode.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the rack.
      type: str
      sample: myrack
    version:
      description: Version of the rack.
      type: str
      sample: 3.24.9
    status:
      description: Status of the rack.
      type: str
      sample: running
    provider:
      description: Cloud provider of the rack.
      type: str
      sample: aws
    count:
      description: Number of instances (v2 racks).
      type: int
      sample: 3
    type:
      description: Instance type (v2 racks).
      type: str
      sample: t3.large
    parameters:
      description: Rack parameters (v2 racks only; v3 racks do not list them over the API).
      type: dict
      sample: {"Autoscale": "Yes"}
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import errors as convox_errors
from ansible_collections.convox.convox.plugins.module_utils._checks import (
    MAX_NODES,
    MAX_PATH,
    between,
    names_matching,
    string_map,
)
from ansible_collections.convox.convox.plugins.module_utils._module import failure_details, is_v3_refusal
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

V3_INSTEAD = (
    "v3 racks do not accept parameter, size or version changes over the rack API (it answers 501 "
    "'direct rack doesn't support update'). Make the change with the Convox CLI instead: "
    "`convox rack params set NAME=VALUE` or `convox rack update VERSION`, which apply it with terraform for "
    "self-managed racks and through the Convox console for console-managed racks."
)


def is_v3(system: Dict[str, Any]) -> bool:
    return str(system.get("version") or "").startswith("3.")


class Rack(DeclarativeResource):
    options = {
        "parameters": {"type": "dict"},
        "count": {"type": "int"},
        "type": {"type": "str"},
        "version": {"type": "str"},
        "force": {"type": "bool", "default": False},
    }
    wait_options = True
    checks = {
        "count": [between(1, MAX_NODES)],
        "parameters": [
            string_map(name_what="parameter name", max_value=MAX_PATH),
            names_matching(r"[A-Za-z0-9_]+", "letters, digits and '_' (rack parameter names)"),
        ],
    }
    result_key = "rack"
    kind = "rack"

    def validate(self) -> None:
        count = self.params.get("count")
        if count is not None and count < 1:
            self.cm.fail(f"Option count must be at least 1, got {count}. Nothing was sent to the rack.")

    def identity(self) -> str:
        return ""

    @property
    def target(self) -> str:
        return "the rack settings"

    def read(self) -> Optional[Dict[str, Any]]:
        system = to_plain(self.cm.client.system.get()) or {}
        system["parameters"] = system.get("parameters") or {}
        return system

    def desired(self) -> Dict[str, Any]:
        params = self.params
        wanted: Dict[str, Any] = {
            "count": params.get("count"),
            "type": params.get("type"),
            "version": params.get("version"),
        }
        if params.get("parameters"):
            wanted["parameters"] = {str(k): "" if v is None else v for k, v in params["parameters"].items()}
        return wanted

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
        differences = super().compare(current, desired)
        if differences and is_v3(current):
            details = ", ".join(sorted(differences))
            self.cm.fail(
                f"Could not update {self.target} on {self.cm.rack_label}: it differs in {details}, but {V3_INSTEAD} "
                "Nothing was sent.",
                failure={"kind": "Unsupported", "version": current.get("version"), "differs": sorted(differences)},
            )
        return differences

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        options: Dict[str, Any] = {}
        for key in ("count", "type", "version"):
            if key in differences:
                options[key] = desired[key]
        if "parameters" in differences:
            options["parameters"] = {k: str(v) for k, v in desired["parameters"].items()}
        if self.params.get("force"):
            options["force"] = True
        try:
            self.cm.client.system.update(**options)
        except convox_errors.ConvoxAPIError as exc:
            if not is_v3_refusal(exc):
                raise
            self.cm.fail(
                f"Could not update {self.target} on {self.cm.rack_label}: {V3_INSTEAD}", failure=failure_details(exc)
            )
        if self.cm.wait:
            self.wait_running()
        return self.read() or {}

    def wait_running(self) -> None:
        """Two consecutive reads with status running, or fail at wait_timeout."""
        self.cm.set_context("wait for", "the rack to finish updating")
        good = [0]

        def probe() -> Tuple[bool, Any]:
            status = (self.read() or {}).get("status")
            good[0] = good[0] + 1 if status == "running" else 0
            if good[0] >= 2:
                return True, status
            if status in ("rollback", "failed"):
                self.cm.fail(
                    f"The rack update on {self.cm.rack_label} failed (status {status}). Check `convox rack logs`.",
                    failure={"kind": "UpdateFailed", "status": status},
                )
            return False, status

        def timed_out(status: Any) -> None:
            self.cm.fail(
                f"The rack on {self.cm.rack_label} was still {status} after {self.cm.wait_timeout} seconds. "
                "It keeps updating; raise wait_timeout or check `convox rack`.",
                failure={"kind": "WaitTimeout", "status": status},
            )

        self.cm.poll(probe, "the rack to finish updating", on_timeout=timed_out)


def main() -> None:
    Rack.main()


if __name__ == "__main__":
    main()
