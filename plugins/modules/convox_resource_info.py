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

import re
from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN, to_plain

SECRET_KEY = re.compile(r"password|secret|token", re.IGNORECASE)
URL_CREDENTIALS = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@")


def _hide(value: str) -> str:
    return URL_CREDENTIALS.sub(lambda m: m.group("head") + HIDDEN + "@", value)


def resource_view(resource: Any) -> Dict[str, Any]:
    data = to_plain(resource) or {}
    apps = [str(a.get("name") if isinstance(a, dict) else a) for a in data.get("apps") or []]
    return {
        "name": str(data.get("name") or ""),
        "type": str(data.get("type") or ""),
        "status": str(data.get("status") or ""),
        "url": _hide(str(data.get("url") or "")),
        "parameters": {
            str(k): (HIDDEN if SECRET_KEY.search(str(k)) else _hide(str(v)))
            for k, v in (data.get("parameters") or {}).items()
        },
        "apps": sorted(apps),
    }


def type_view(resource_type: Any) -> Dict[str, Any]:
    data = to_plain(resource_type) or {}
    return {
        "name": str(data.get("name") or ""),
        "parameters": [
            {
                "name": str(p.get("name") or ""),
                "default": str(p.get("default") or ""),
                "description": str(p.get("description") or ""),
            }
            for p in data.get("parameters") or []
        ],
    }


def main() -> None:
    cm = ConvoxModule(
        {
            "app": {"type": "str"},
            "name": {"type": "str"},
            "types": {"type": "bool", "default": False},
        }
    )
    app = cm.params.get("app")
    name = cm.params.get("name")

    def no_release(error: BaseException) -> bool:
        return "no release for app" in str(getattr(error, "message", "") or error)

    def run() -> None:
        client = cm.client
        resources: List[Any] = []
        try:
            if name:
                try:
                    resources = [client.resources.get(name, app=app)]
                except cm.not_found():
                    resources = []
            else:
                resources = client.resources.list(app=app) if app else client.resources.list()
        except errors.ConvoxAPIError as exc:
            if not (app and no_release(exc)):
                raise
            resources = []  # an app without a release has no resources yet
        result: Dict[str, Any] = {"resources": sorted((resource_view(r) for r in resources), key=lambda r: r["name"])}
        if cm.params["types"]:
            cm.set_context("list", "resource types (this needs credentials with write access)")
            result["types"] = sorted((type_view(t) for t in client.resources.types()), key=lambda t: t["name"])
        cm.exit(False, **result)

    target = f"resources of app {app}" if app else "rack resources"
    cm.run(run, "list", target)


if __name__ == "__main__":
    main()
