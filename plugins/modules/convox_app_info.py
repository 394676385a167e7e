#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_app_info
short_description: List the apps of a Convox rack
version_added: 0.1.0
description:
  - Returns every app of the rack, or one app by name.
  - Sends exactly one GET request and changes nothing.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.attributes
  - convox.convox.convox.info
options:
  name:
    description:
      - Return only this app. The result is an empty list when it does not exist.
    type: str
seealso:
  - module: convox.convox.convox_app
"""

EXAMPLES = r"""
- name: Read one app
  convox.convox.convox_app_info:
    name: myapp
  register: myapp_info

- name: Show its status
  ansible.builtin.debug:
    msg: "{{ myapp_info.apps[0].status if myapp_info.apps else 'missing' }}"

- name: List every app of the rack
  convox.convox.convox_app_info:
  register: all_apps
"""

RETURN = r"""
apps:
  description: The apps, sorted by name as the rack sends them; empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the app.
      type: str
      sample: myapp
    status:
      description: App status, for example V(running) or V(updating).
      type: str
      sample: running
    locked:
      description: Whether termination protection is on.
      type: bool
      sample: false
    release:
      description: Id of the active release; empty until the first promote.
      type: str
      sample: RABCDEFGHIJ
    parameters:
      description: App parameters that have a value.
      type: dict
      sample: {"BuildMem": "1024"}
    generation:
      description: App generation.
      type: str
      sample: "3"
    router:
      description: Router host of the rack.
      type: str
      sample: router.0a1b2c.convox.cloud
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import app_view


class AppInfo(InfoTask):
    options = {"name": {"type": "str"}}
    result_key = "apps"
    kind = "app"

    @property
    def target(self) -> str:
        return f"app {self.params['name']}" if self.params.get("name") else "apps"

    def items(self) -> List[Dict[str, Any]]:
        name = self.params.get("name")
        apps = self.found(self.client.apps.get, name) if name else self.client.apps.list()
        return [app_view(app) for app in apps]


def main() -> None:
    AppInfo.main()


if __name__ == "__main__":
    main()
