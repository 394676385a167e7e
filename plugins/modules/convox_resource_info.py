#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_resource_info
short_description: List the resources of a Convox rack or of an app, and the resource types
version_added: 0.1.0
description:
  - Lists the rack-level resources of a Convox rack (C(convox rack resources)), or the resources of an app
    (C(convox resources)) with O(app).
  - With O(types=true) also lists the resource types the rack can create and their options.
  - Passwords in resource URLs, and parameters whose name contains C(password), C(secret) or C(token), are
    hidden.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  app:
    description:
      - List the resources of this app (declared in its C(convox.yml)) instead of the rack's.
      - An app that has no release yet has no resources; the list is then empty.
    type: str
  name:
    description:
      - Return only the resource with this name (an empty list when there is none).
    type: str
  types:
    description:
      - Also return the resource types the rack can create, with their parameters, under RV(types).
      - The rack serves this list on an C(OPTIONS) request, which it treats as a write; it needs credentials
        with write access, and it is sent in check mode too (it changes nothing).
    type: bool
    default: false
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
seealso:
  - module: convox.convox.convox_resource
"""

EXAMPLES = r"""
- name: List the rack's resources and the types it offers
  convox.convox.convox_resource_info:
    types: true
  register: rack_resources

- name: List the resources of an app
  convox.convox.convox_resource_info:
    app: myapp
  register: app_resources
"""

RETURN = r"""
resources:
  description: The resources, ordered by name.
  returned: always
  type: list
  elements: dict
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
      description: Status reported by the rack.
      type: str
      sample: running
    url:
      description: URL of the resource, with any password replaced by C(<hidden>).
      type: str
      sample: postgres://app:<hidden>@db.internal:5432/app
    parameters:
      description: Parameters of the resource.
      type: dict
    apps:
      description: Names of the apps linked to the resource.
      type: list
      elements: str
types:
  description: The resource types the rack can create.
  returned: when O(types=true)
  type: list
  elements: dict
  contains:
    name:
      description: Name of the type.
      type: str
      sample: webhook
    parameters:
      description: Options of the type, each with C(name), C(default) and C(description).
      type: list
      elements: dict
      sample: [{name: Url, default: "", description: URL to send rack events to}]
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import resource_type_view, resource_view


class ResourceInfo(InfoTask):
    options = {
        "app": {"type": "str"},
        "name": {"type": "str"},
        "types": {"type": "bool", "default": False},
    }
    result_key = "resources"
    action = "list"

    @property
    def target(self) -> str:
        return f"resources of app {self.params['app']}" if self.params.get("app") else "rack resources"

    def items(self) -> List[Dict[str, Any]]:
        app, name = self.params.get("app"), self.params.get("name")
        try:
            if name:
                resources = self.found(self.client.resources.get, name, app=app)
            else:
                resources = self.client.resources.list(app=app) if app else self.client.resources.list()
        except errors.ConvoxAPIError as exc:
            if not (app and "no release for app" in str(getattr(exc, "message", "") or exc)):
                raise
            resources = []  # an app without a release has no resources yet
        return sorted((resource_view(r) for r in resources), key=lambda r: r["name"])

    def extra(self) -> Dict[str, Any]:
        if not self.params["types"]:
            return {}
        self.cm.set_context("list", "resource types (this needs credentials with write access)")
        return {
            "types": sorted((resource_type_view(t) for t in self.client.resources.types()), key=lambda t: t["name"])
        }


def main() -> None:
    ResourceInfo.main()


if __name__ == "__main__":
    main()
