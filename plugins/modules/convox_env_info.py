#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_env_info
short_description: Read the environment of a Convox app
version_added: 0.1.0
description:
  - Returns the environment of the app's active release, or of a given release, as a mapping.
  - An app that has never been promoted returns the environment of its newest release; an app
    without any release returns an empty mapping.
  - The result holds the values, which are secrets. Tasks that use this module should set
    C(no_log) to V(true), and should not print the result.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.attributes
  - convox.convox.convox.app
  - convox.convox.convox.info
options:
  release:
    description:
      - Id of the release to read (any letter case). Defaults to the active release.
    type: str
seealso:
  - module: convox.convox.convox_env
"""

EXAMPLES = r"""
- name: Read the environment of the active release
  convox.convox.convox_env_info:
    app: myapp
  register: myapp_env
  no_log: true

- name: Check that a variable is set, without printing values
  ansible.builtin.assert:
    that:
      - "'LOG_LEVEL' in myapp_env.env_keys"
"""

RETURN = r"""
env:
  description: The environment, variable names to values. Values are secrets.
  returned: always
  type: dict
  sample: {"LOG_LEVEL": "info"}
env_keys:
  description: The variable names, sorted; empty when nothing is set.
  returned: always
  type: list
  elements: str
  sample: [LOG_LEVEL]
release:
  description: Id of the release that was read; empty when the app has no release.
  returned: always
  type: str
  sample: RABCDEFGHIJ
"""

from typing import Any, Dict, Tuple

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import parse_env
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


class EnvInfo(InfoTask):
    """The environment of a release: a mapping (``env``), not a list, so ``run`` reports it itself."""

    options = {"app": {"type": "str", "required": True}, "release": {"type": "str"}}
    kind = "app"
    action = "read the environment of"

    def identity(self) -> str:
        return str(self.params["app"])

    def read(self) -> Tuple[str, Dict[str, Any]]:
        """``(release id, environment)``: the given release, else the active one, else the newest."""
        client, app = self.client, self.identity()
        release_id = normalize_id(self.params.get("release"))
        if release_id:
            self.cm.set_context("read", f"release {release_id} of app {app}")
            return release_id, parse_env(client.releases.get(app, release_id).env)
        release_id = normalize_id(client.apps.get(app).release)
        if release_id:
            return release_id, parse_env(client.releases.get(app, release_id).env)
        newest = client.releases.list(app, limit=1)
        if newest:
            return normalize_id(newest[0].id), parse_env(newest[0].env)
        return "", {}

    def run(self) -> None:
        release_id, env = self.read()
        self.cm.exit(False, env=env, env_keys=sorted(env), release=release_id)


def main() -> None:
    EnvInfo.main()


if __name__ == "__main__":
    main()
