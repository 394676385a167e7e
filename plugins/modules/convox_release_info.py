#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_release_info
short_description: List the releases of a Convox app
version_added: 0.1.0
description:
  - Returns the releases of an app, newest first, or one release by id, and which release is active.
  - Environment values are secrets; each release lists only its variable names (C(env_keys))
    unless O(show_values=true).
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
      - Return only this release (any letter case). The result is an empty list when it does not exist.
    type: str
  limit:
    description:
      - How many releases to return, newest first. The rack's default is 10.
    type: int
  show_values:
    description:
      - Include each release's environment with its values (C(env)). Use C(no_log) on the task.
    type: bool
    default: false
seealso:
  - module: convox.convox.convox_release
"""

EXAMPLES = r"""
- name: The five newest releases
  convox.convox.convox_release_info:
    app: myapp
    limit: 5
  register: releases

- name: Show the active release
  ansible.builtin.debug:
    msg: "active: {{ releases.active_release }}"
"""

RETURN = r"""
releases:
  description: The releases, newest first; empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Release id.
      type: str
      sample: RABCDEFGHIJ
    build:
      description: Id of the build the release runs; empty for a release without a build.
      type: str
      sample: BABCDEFGHIJ
    active:
      description: Whether this is the app's active release.
      type: bool
      sample: true
    description:
      description: Release description, for example C(env add:FOO).
      type: str
    created:
      description: When the release was created.
      type: str
    env_keys:
      description: Names of the environment variables of the release.
      type: list
      elements: str
      sample: [LOG_LEVEL]
    env:
      description: The environment with its values, only with O(show_values=true).
      type: dict
active_release:
  description: Id of the app's active release; empty before the first promote.
  returned: always
  type: str
  sample: RABCDEFGHIJ
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import release_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


class ReleaseInfo(InfoTask):
    options = {
        "app": {"type": "str", "required": True},
        "id": {"type": "str"},
        "limit": {"type": "int"},
        "show_values": {"type": "bool", "default": False},
    }
    result_key = "releases"
    kind = "app"
    action = "list the releases of"

    def identity(self) -> str:
        return str(self.params["app"])

    def validate(self) -> None:
        if self.params.get("limit") is not None and self.params["limit"] < 1:
            self.cm.fail("limit must be 1 or more.")

    def items(self) -> List[Dict[str, Any]]:
        client, app = self.client, self.identity()
        self.active = normalize_id(client.apps.get(app).release)
        release_id = normalize_id(self.params.get("id"))
        if release_id:
            self.cm.set_context("read", f"release {release_id} of app {app}")
            releases = self.found(client.releases.get, app, release_id)
        else:
            releases = client.releases.list(app, limit=self.params.get("limit"))
        return [release_view(r, self.params["show_values"], active=self.active) for r in releases]

    def extra(self) -> Dict[str, Any]:
        return {"active_release": self.active}


def main() -> None:
    ReleaseInfo.main()


if __name__ == "__main__":
    main()
