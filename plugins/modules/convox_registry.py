#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_registry
short_description: Manage the private Docker registries a Convox rack pulls from
version_added: 0.1.0
description:
  - Adds, updates or removes the credentials a Convox rack uses to pull images from a private
    Docker registry (C(convox registries add) and C(convox registries remove)).
  - The rack keeps one entry per registry server; adding a server that exists overwrites it.
  - The password is never shown in the module's result, in diffs or in failure messages.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  server:
    description:
      - Host name of the registry, for example V(quay.io) or V(123456789012.dkr.ecr.us-east-1.amazonaws.com).
      - May contain a path (V(ghcr.io/myorg)) and a port, and start with V(https://). Path segments
        are letters, digits, V(.), V(_) and V(-), never V(.) or V(..).
    type: str
    required: true
  username:
    description:
      - User name to log in to the registry with.
      - Required with O(state=present).
    type: str
  registry_password:
    description:
      - Password or access token for the registry.
      - Required with O(state=present).
      - Named so because O(password) is the rack's own password, shared by every module of the collection.
    type: str
  update_password:
    description:
      - When to send the password of a registry that already exists.
      - V(always) sends it when it differs from the stored one. Racks that list the stored password
        (Convox v3 racks do) let the module compare it without showing it; on racks that do not,
        V(always) sends the password on every run and reports a change.
      - V(on_create) sends the password only when the registry is added; an existing registry
        keeps its password unless O(username) changes (the rack stores both together).
    type: str
    choices: [always, on_create]
    default: always
  state:
    description:
      - V(present) makes sure the registry is configured with these credentials.
      - V(absent) removes it; removing a registry that is not configured changes nothing.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
seealso:
  - module: convox.convox.convox_registry_info
"""

EXAMPLES = r"""
- name: Let the rack pull from a private registry
  convox.convox.convox_registry:
    server: registry.example.com
    username: deploy
    registry_password: "{{ registry_password }}"

- name: Add the registry but never change the password of an existing entry
  convox.convox.convox_registry:
    server: registry.example.com
    username: deploy
    registry_password: "{{ registry_password }}"
    update_password: on_create

- name: Remove the registry
  convox.convox.convox_registry:
    server: registry.example.com
    state: absent
"""

RETURN = r"""
registry:
  description:
    - The registry as configured after the task (the predicted one in check mode), without its password.
    - Empty after O(state=absent).
  returned: always
  type: dict
  contains:
    server:
      description: Host name of the registry.
      type: str
      sample: registry.example.com
    username:
      description: User name the rack logs in with.
      type: str
      sample: deploy
  sample:
    server: registry.example.com
    username: deploy
password_updated:
  description: Whether the task sent (or in check mode would send) a new password for an existing registry.
  returned: success
  type: bool
  sample: false
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN, registry_view


class Registry(DeclarativeResource):
    options = {
        "server": {"type": "str", "required": True},
        "username": {"type": "str"},
        "registry_password": {"type": "str", "no_log": True},
        "update_password": {"type": "str", "choices": ["always", "on_create"], "default": "always", "no_log": False},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    checks = {
        "server": [checks.registry_server()],
        # a registry password may be a whole JSON key file (Google's _json_key)
        "registry_password": [checks.text(65536, multiline=True)],
    }
    module_options = {"required_if": [("state", "present", ["username", "registry_password"])]}
    result_key = "registry"
    kind = "registry"

    def __init__(self, cm: ConvoxModule) -> None:
        super().__init__(cm)
        self.password_updated = False
        self._stored_password: Optional[str] = None

    def identity(self) -> str:
        return str(self.params["server"])

    def read(self) -> Optional[Dict[str, Any]]:
        server = self.identity()
        for registry in self.cm.client.registries.list():
            if str(getattr(registry, "server", "")) == server:
                self._stored_password = str(getattr(registry, "password", "") or "")
                return registry_view(registry)
        return None

    def desired(self) -> Dict[str, Any]:
        return {"server": self.identity(), "username": self.params["username"]}

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
        differences: Dict[str, Tuple[Any, Any]] = {}
        if current.get("username") != desired["username"]:
            differences["username"] = (current.get("username"), desired["username"])
        # A rack that does not list passwords cannot tell, so the password may differ.
        password_differs = not self._stored_password or self._stored_password != self.params["registry_password"]
        if self.params["update_password"] == "always" and password_differs:
            differences["password"] = (HIDDEN, HIDDEN)
        # Every write sends the password with the username (the rack stores them together).
        self.password_updated = bool(differences) and password_differs
        return differences

    def _add(self) -> Dict[str, Any]:
        registry = self.cm.client.registries.add(
            self.identity(), self.params["username"], self.params["registry_password"]
        )
        return registry_view(registry) or self.desired()

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        return self._add()

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        return self._add()

    def delete(self, current: Dict[str, Any]) -> None:
        try:
            self.cm.client.registries.remove(self.identity())
        except self.cm.not_found():
            pass  # removed by someone else meanwhile: the goal is reached

    def finish(self, changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        before_view = self.view(before)
        after_view = self.view(after)
        if self.password_updated and before_view:
            # The diff says that the password changes, never what it is.
            before_view = dict(before_view, password=HIDDEN)
            after_view_diff = dict(after_view, password=HIDDEN + " (changed)")
        else:
            after_view_diff = after_view
        self.cm.exit(
            changed,
            diff=self.cm.diff(before_view, after_view_diff),
            registry=after_view,
            password_updated=self.password_updated,
        )


def main() -> None:
    Registry.main()


if __name__ == "__main__":
    main()
