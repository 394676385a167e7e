#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_build_info
short_description: List the builds of a Convox app
version_added: 0.1.0
description:
  - Returns the builds of an app, newest first, or one build by id.
  - Changes nothing.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.attributes
  - convox.convox.convox.app
  - convox.convox.convox.info
options:
  id:
    description:
      - Return only this build (any letter case). The result is an empty list when it does not exist.
    type: str
  limit:
    description:
      - How many builds to return, newest first. The rack's default is 10.
    type: int
seealso:
  - module: convox.convox.convox_build
"""

EXAMPLES = r"""
- name: The three newest builds
  convox.convox.convox_build_info:
    app: myapp
    limit: 3
  register: builds

- name: Show the newest build's status
  ansible.builtin.debug:
    msg: "{{ builds.builds[0].id }} is {{ builds.builds[0].status }}"
  when: builds.builds | length > 0
"""

RETURN = r"""
builds:
  description: The builds, newest first; empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Build id.
      type: str
      sample: BABCDEFGHIJ
    status:
      description: V(created), V(running), V(complete) or V(failed).
      type: str
      sample: complete
    release:
      description: Release created by the build.
      type: str
      sample: RABCDEFGHIJ
    description:
      description: Build description.
      type: str
    manifest:
      description: The C(convox.yml) the build used.
      type: str
    started:
      description: When the build started.
      type: str
    ended:
      description: When the build ended; null while it runs.
      type: str
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import build_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


class BuildInfo(InfoTask):
    options = {"app": {"type": "str", "required": True}, "id": {"type": "str"}, "limit": {"type": "int"}}
    result_key = "builds"
    kind = "app"
    action = "list the builds of"

    def identity(self) -> str:
        return str(self.params["app"])

    def validate(self) -> None:
        if self.params.get("limit") is not None and self.params["limit"] < 1:
            self.cm.fail("limit must be 1 or more.")

    def items(self) -> List[Dict[str, Any]]:
        app, build_id = self.identity(), normalize_id(self.params.get("id"))
        if build_id:
            self.cm.set_context("read", f"build {build_id} of app {app}")
            builds = self.found(self.client.builds.get, app, build_id)
        else:
            builds = self.client.builds.list(app, limit=self.params.get("limit"))
        return [build_view(build) for build in builds]


def main() -> None:
    BuildInfo.main()


if __name__ == "__main__":
    main()
