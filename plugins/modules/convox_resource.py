#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_resource
short_description: Manage rack-level resources of a Convox rack
version_added: 0.1.0
description:
  - Creates, updates, links and removes rack-level resources (C(convox rack resources)), such as webhooks.
  - Only the O(parameters) given are compared with the resource's; the others are left as they are.
  - App resources (databases declared in C(convox.yml)) are not managed here; list them with
    M(convox.convox.convox_resource_info) and O(convox.convox.convox_resource_info#module:app).
author:
  - convox.convox contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the resource. Giving a name makes creation idempotent.
    type: str
    required: true
  type:
    description:
      - Type of the resource, for example V(webhook). Required to create one.
      - The type of an existing resource cannot change; delete it and create it again.
      - Convox v3 racks create only V(webhook) resources (see M(convox.convox.convox_resource_info) with
        O(convox.convox.convox_resource_info#module:types=true) for what a rack offers).
    type: str
  parameters:
    description:
      - Parameters of the resource, for example the key C(Url) of a webhook.
      - Only the keys given are compared; values are compared as strings.
      - Values of keys whose name contains C(password), C(secret) or C(token) are hidden in the output.
    type: dict
  apps:
    description:
      - Names of the apps the resource is linked to. The module links and unlinks apps to reach exactly this
        set. When not given, links are left as they are.
    type: list
    elements: str
  state:
    description:
      - V(present) creates the resource or updates it; V(absent) deletes it (deleting a resource that does not
        exist changes nothing).
    type: str
    choices: [present, absent]
    default: present
notes:
  - >-
    Convox v3 racks refuse to update, link or unlink rack resources over their API. On those racks the module
    reads the rack version and, when such a change is needed, fails before sending anything, saying what to do
    instead (delete and re-create the resource with the new parameters; declare app resources in C(convox.yml)).
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.WAIT
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
seealso:
  - module: convox.convox.convox_resource_info
"""

EXAMPLES = r"""
- name: Send rack events to a webhook
  convox.convox.convox_resource:
    name: deploy-hook
    type: webhook
    parameters:
      Url: https://hooks.example.com/convox

- name: Remove the webhook
  convox.convox.convox_resource:
    name: deploy-hook
    state: absent
"""

RETURN = r"""
resource:
  description:
    - The resource after the task (the predicted one in check mode); empty after O(state=absent).
    - Credentials in its URL and secret-looking parameters are hidden.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the resource.
      type: str
      sample: deploy-hook
    type:
      description: Type of the resource.
      type: str
      sample: webhook
    status:
      description: Status reported by the rack, for example C(running) or C(creating).
      type: str
      sample: running
    url:
      description: URL of the resource, with any password replaced by C(<hidden>).
      type: str
      sample: https://hooks.example.com/convox
    parameters:
      description: Parameters of the resource.
      type: dict
      sample: {Url: https://hooks.example.com/convox}
    apps:
      description: Names of the apps linked to the resource, sorted.
      type: list
      elements: str
      sample: []
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule, rack_generation, upper_first
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource, compare_subset
from ansible_collections.convox.convox.plugins.module_utils._views import (
    resource_parameters_view,
    resource_secrets,
    resource_view,
)

V3_UPDATE_MESSAGE = (
    "Convox v3 racks cannot change the parameters of a rack resource over their API (the rack answers "
    "'unavailable on v3 racks'). Delete the resource (state: absent) and create it again with the new parameters."
)
V3_LINK_MESSAGE = (
    "Convox v3 racks cannot link or unlink rack resources over their API (the rack answers "
    "'unavailable on v3 racks'). On v3, apps get their resources from the resources section of convox.yml; "
    "leave the apps option out for this rack."
)


class RackResource(DeclarativeResource):
    options = {
        "name": {"type": "str", "required": True},
        "type": {"type": "str"},
        "parameters": {"type": "dict"},
        "apps": {"type": "list", "elements": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    checks = {
        "parameters": [checks.string_map(name_what="parameter name", max_value=checks.MAX_PATH)],
    }
    wait_options = True
    result_key = "resource"
    kind = "resource"

    def __init__(self, cm: ConvoxModule) -> None:
        super().__init__(cm)
        self._raw_parameters: Dict[str, str] = {}
        self._generation: Optional[Tuple[Optional[int], str]] = None

    def validate(self) -> None:
        # Secret-looking parameter values and URL passwords never appear in the output.
        self.cm.hide(resource_secrets(self.params.get("parameters")))

    def generation(self) -> Optional[int]:
        if self._generation is None:
            self.cm.set_context("read", "the rack version")
            self._generation = rack_generation(self.cm.client)
        return self._generation[0]

    def refusal(self, message: str) -> str:
        version = self._generation[1] if self._generation else ""
        return f"{upper_first(self.cm.rack_label)} runs Convox {version}. {message}"

    def read(self) -> Optional[Dict[str, Any]]:
        try:
            resource = self.cm.client.resources.get(self.identity())
        except self.cm.not_found():
            return None
        self._raw_parameters = {str(k): str(v) for k, v in (getattr(resource, "parameters", None) or {}).items()}
        return resource_view(resource)

    def desired(self) -> Dict[str, Any]:
        desired: Dict[str, Any] = {"name": self.identity(), "type": self.params.get("type")}
        if self.params.get("parameters") is not None:
            desired["parameters"] = {str(k): str(v) for k, v in self.params["parameters"].items() if v is not None}
        if self.params.get("apps") is not None:
            desired["apps"] = sorted(set(self.params["apps"]))
        return desired

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
        differences: Dict[str, Tuple[Any, Any]] = {}
        if desired.get("type") and desired["type"] != current.get("type"):
            self.cm.fail(
                f"Resource {self.identity()} is of type {current.get('type')}, not {desired['type']}; "
                "the type cannot change. Delete the resource (state: absent) and create it again."
            )
        if "parameters" in desired:
            changed = compare_subset(self._raw_parameters, desired["parameters"])
            if changed:
                differences["parameters"] = (
                    {k: current["parameters"].get(k) for k in changed},
                    resource_parameters_view({k: desired["parameters"][k] for k in changed}),
                )
        if "apps" in desired and desired["apps"] != current.get("apps"):
            differences["apps"] = (current.get("apps"), desired["apps"])
        if differences:
            self.refuse_on_v3(differences)
        return differences

    def refuse_on_v3(self, differences: Dict[str, Any]) -> None:
        """Fail before any write when a v3 rack would refuse the change."""
        if self.generation() != 3:
            return
        if "parameters" in differences:
            self.cm.fail(self.refusal(V3_UPDATE_MESSAGE), resource=self.view(None))
        if "apps" in differences:
            self.cm.fail(self.refusal(V3_LINK_MESSAGE), resource=self.view(None))

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "name": self.identity(),
            "type": desired.get("type") or "",
            "status": "",
            "url": "",
            "parameters": resource_parameters_view(desired.get("parameters") or {}),
            "apps": desired.get("apps") or [],
        }

    def predict_update(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
        after = dict(current)
        if "parameters" in desired:
            after["parameters"] = dict(
                current.get("parameters") or {}, **resource_parameters_view(desired["parameters"])
            )
        if "apps" in desired:
            after["apps"] = list(desired["apps"])
        return after

    # -- writes ---------------------------------------------------------------

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        if not desired.get("type"):
            self.cm.fail(f"Resource {self.identity()} does not exist; give its type to create it.")
        if desired.get("apps"):
            self.refuse_on_v3({"apps": True})
        client = self.cm.client
        try:
            resource = client.resources.create(
                desired["type"], name=self.identity(), parameters=desired.get("parameters") or None
            )
        except errors.ConvoxValidationError as exc:
            message = str(getattr(exc, "message", "") or exc)
            if "type unknown" in message and self.generation() == 3:
                self.cm.fail_error(
                    exc,
                    "create",
                    f"{self.target} (Convox v3 racks create only webhook resources; "
                    "declare databases and caches as app resources in convox.yml)",
                )
            raise
        view = resource_view(resource)
        for app in desired.get("apps") or []:
            self.cm.set_context("link", f"{self.target} to app {app}")
            view = resource_view(client.resources.link(self.identity(), app))
        return self._wait_running(view)

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        client = self.cm.client
        view = current
        if "parameters" in differences:
            self.cm.set_context("update", self.target)
            merged = dict(self._raw_parameters, **desired["parameters"])
            view = resource_view(client.resources.update(self.identity(), merged))
        if "apps" in differences:
            have = set(current.get("apps") or [])
            want = set(desired["apps"])
            for app in sorted(want - have):
                self.cm.set_context("link", f"{self.target} to app {app}")
                view = resource_view(client.resources.link(self.identity(), app))
            for app in sorted(have - want):
                self.cm.set_context("unlink", f"{self.target} from app {app}")
                view = resource_view(client.resources.unlink(self.identity(), app))
        return self._wait_running(view)

    def _wait_running(self, view: Dict[str, Any]) -> Dict[str, Any]:
        if not self.cm.wait or view.get("status") in ("running", ""):
            return view
        from ansible_collections.convox.convox.plugins.module_utils import waits

        self.cm.set_context("wait for", self.target)
        return resource_view(waits.wait_resource_running(self.cm.client, self.identity(), timeout=self.cm.wait_timeout))

    def delete(self, current: Dict[str, Any]) -> None:
        try:
            self.cm.client.resources.delete(self.identity())
        except self.cm.not_found():
            return
        if self.cm.wait:
            from ansible_collections.convox.convox.plugins.module_utils import waits

            self.cm.set_context("wait for the deletion of", self.target)
            waits.wait_resource_deleted(self.cm.client, self.identity(), timeout=self.cm.wait_timeout)


def main() -> None:
    RackResource.main()


if __name__ == "__main__":
    main()
