#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_app
short_description: Create, update, lock and delete apps on a Convox rack
version_added: 0.1.0
description:
  - Makes sure an app exists on a Convox rack (or does not), with the given termination
    protection (O(lock)) and app parameters.
  - Only the options you set are compared; app parameters you do not list are left alone.
  - Deleting a locked app is refused unless the same task unlocks it with O(lock=false).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.wait
  - convox.convox.convox.attributes
  - convox.convox.convox.managing
options:
  name:
    description:
      - Name of the app.
    type: str
    required: true
  state:
    description:
      - V(present) creates the app when it is missing and updates O(lock) and O(parameters).
      - V(absent) deletes the app.
    type: str
    choices: [present, absent]
    default: present
  lock:
    description:
      - Termination protection. A locked app cannot be deleted.
      - Not compared when not set.
    type: bool
  parameters:
    description:
      - App parameters to set, for example C(BuildCpu), C(BuildMem) and C(BuildLabels) on v3 racks.
      - Only the keys given are compared and sent; values are compared as strings, so V(512) and V("512") are equal.
      - An empty string matches a parameter that is not set.
      - Names are letters and digits. On a v3 rack only C(BuildCpu), C(BuildMem) and C(BuildLabels)
        exist (the rack drops other names silently), so other names fail before anything is
        changed; on a v2 rack the names are the app stack's parameters and are not checked.
    type: dict
seealso:
  - module: convox.convox.convox_app_info
  - module: convox.convox.convox_env
  - module: convox.convox.convox_deploy
"""

EXAMPLES = r"""
- name: Create the app, locked against deletion
  convox.convox.convox_app:
    name: myapp
    lock: true
    parameters:
      BuildMem: 1024

- name: Unlock and delete the app
  convox.convox.convox_app:
    name: myapp
    state: absent
    lock: false
"""

RETURN = r"""
app:
  description:
    - The app as the rack reports it after the task (the predicted app in check mode).
    - Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the app.
      type: str
      sample: myapp
    status:
      description: App status, for example V(running), V(updating) or V(deleting).
      type: str
      sample: running
    locked:
      description: Whether termination protection is on.
      type: bool
      sample: true
    release:
      description: Id of the active release; empty until the first promote.
      type: str
      sample: RABCDEFGHIJ
    parameters:
      description: App parameters that have a value.
      type: dict
      sample: {"BuildMem": "1024"}
    generation:
      description: App generation (V("3") on v3 racks).
      type: str
      sample: "3"
    router:
      description: Router host of the rack.
      type: str
      sample: router.0a1b2c.convox.cloud
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._module import rack_generation
from ansible_collections.convox.convox.plugins.module_utils._tasks import (
    DeclarativeResource,
    compare_subset,
    merge_desired,
)
from ansible_collections.convox.convox.plugins.module_utils._views import app_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_scalar

# The only app parameters a v3 rack has (convox-api.md 4, App; it drops other names silently).
V3_PARAMETERS = ("BuildCpu", "BuildLabels", "BuildMem")


class App(DeclarativeResource):
    options = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "lock": {"type": "bool"},
        "parameters": {"type": "dict"},
    }
    wait_options = True
    checks = {
        "parameters": [
            checks.string_map(name_what="parameter name", max_value=checks.MAX_PATH),
            checks.names_matching(r"[A-Za-z][A-Za-z0-9]*", "letters and digits (as CloudFormation and v3 names are)"),
        ],
    }
    result_key = "app"
    kind = "app"

    def identity(self) -> str:
        return str(self.params["name"])

    def _get(self) -> Optional[Dict[str, Any]]:
        try:
            app = self.cm.client.apps.get(self.identity())
        except self.cm.not_found():
            return None
        return app_view(app)

    def read(self) -> Optional[Dict[str, Any]]:
        current = self._get()
        if current is not None and current.get("status") == "deleting":
            return None
        return current

    def desired(self) -> Dict[str, Any]:
        params = self.params.get("parameters")
        return {
            "locked": self.params.get("lock"),
            "parameters": normalize_scalar(params) if params is not None else None,
        }

    def converge(self, current: Optional[Dict[str, Any]]) -> Tuple[bool, Optional[Dict[str, Any]]]:
        self.check_parameter_names(current)
        return super().converge(current)

    def check_parameter_names(self, current: Optional[Dict[str, Any]]) -> None:
        """Refuse parameters the rack does not have, before any write.

        A v3 rack has only ``V3_PARAMETERS`` and silently drops other names, so they are refused
        here: on an existing app when its generation is 3, on a new app when the rack is v3 (one
        ``GET /system``, only when a name is not one of them). A v2 app's parameters are those of
        its CloudFormation stack, which vary by app and rack version: they are not checked.
        """
        names = sorted(str(k) for k in self.params.get("parameters") or {})
        if not names or set(names) <= set(V3_PARAMETERS):
            return
        if current is not None:
            if str(current.get("generation") or "3") in ("1", "2"):
                return
        else:
            self.cm.set_context("read", "the rack version")
            generation = rack_generation(self.cm.client)[0]
            self.cm.set_context("manage", self.target)
            if generation != 3:
                return
        known = set(V3_PARAMETERS)
        unknown = [name for name in names if name not in known]
        if unknown:
            self.cm.fail(
                f"Option parameters names {', '.join(unknown)}, which {self.target} on {self.cm.rack_label} does not "
                f"have (its parameters: {', '.join(sorted(known)) or 'none'}). Nothing was changed.",
                failure={"kind": "InputError", "option": "parameters", "unknown": unknown},
            )

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
        # The rack drops empty parameters from GET /apps/{name}: a missing key equals "".
        have = dict(current)
        have_params = dict(current.get("parameters") or {})
        for key in desired.get("parameters") or {}:
            have_params.setdefault(key, "")
        have["parameters"] = have_params
        return compare_subset(have, desired)

    def _wait_running(self) -> None:
        from ansible_collections.convox.convox.plugins.module_utils import waits

        waits.wait_app_running(self.cm.client, self.identity(), timeout=self.cm.wait_timeout)

    def _settled(self) -> Dict[str, Any]:
        if self.cm.wait:
            self._wait_running()
        return self._get() or {}

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        name = self.identity()
        existing = self._get()
        if existing is not None and existing.get("status") == "deleting":
            from ansible_collections.convox.convox.plugins.module_utils import waits

            self.cm.set_context("wait for the deletion of", self.target)
            waits.wait_app_deleted(self.cm.client, name, timeout=self.cm.wait_timeout)
            self.cm.set_context("create", self.target)
        self.cm.client.apps.create(name)
        if desired.get("locked") or desired.get("parameters"):
            # The rack applies the new app first; an update must come after that.
            self._wait_running()
            self.cm.set_context("update", self.target)
            self.cm.client.apps.update(name, lock=desired.get("locked"), parameters=desired.get("parameters") or None)
        return self._settled()

    def update(self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Any]) -> Dict[str, Any]:
        lock = desired["locked"] if "locked" in differences else None
        parameters = differences["parameters"][1] if "parameters" in differences else None
        self.cm.client.apps.update(self.identity(), lock=lock, parameters=parameters)
        return self._settled()

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        base = {
            "name": self.identity(),
            "status": "running",
            "locked": False,
            "release": "",
            "parameters": {},
            "generation": "3",
            "router": "",
        }
        return merge_desired(base, desired)

    def check_absent(self, current: Dict[str, Any]) -> None:
        if current.get("locked") and self.params.get("lock") is not False:
            self.cm.fail(
                f"Refusing to delete app {self.identity()} on {self.cm.rack_label}: it is locked. "
                "Set lock: false in the same task to unlock and delete it."
            )

    def delete(self, current: Dict[str, Any]) -> None:
        name = self.identity()
        if current.get("locked"):
            self.cm.set_context("unlock", self.target)
            self.cm.client.apps.update(name, lock=False)
            self.cm.set_context("delete", self.target)
        self.cm.client.apps.delete(name)
        if self.cm.wait:
            from ansible_collections.convox.convox.plugins.module_utils import waits

            self.cm.set_context("wait for the deletion of", self.target)
            waits.wait_app_deleted(self.cm.client, name, timeout=self.cm.wait_timeout)


def main() -> None:
    App.main()


if __name__ == "__main__":
    main()
