#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_release
short_description: Promote or roll back a release of a Convox app
version_added: 0.1.0
description:
  - V(promoted) makes O(release) the app's active release. Nothing happens when it already is.
  - V(rolled_back) goes back to O(release) the way C(convox releases rollback) does, by copying
    its build and environment into a new release and promoting that. Nothing happens when the
    active release already runs the same build with the same environment.
  - With O(wait=true), a rollout that the rack rolls back fails the task and names both the
    release that failed and the release that is active again.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.wait
  - convox.convox.convox.attributes
  - convox.convox.convox.app
  - convox.convox.convox.managing
options:
  release:
    description:
      - Id of the release (any letter case).
    type: str
    required: true
    aliases: [id]
  state:
    description:
      - V(promoted) promotes O(release); the rack refuses to promote a release older than the active one,
        use V(rolled_back) for that.
      - V(rolled_back) creates a copy of O(release) and promotes it.
    type: str
    choices: [promoted, rolled_back]
    default: promoted
  force:
    description:
      - Promote even while the app is still updating (the rack's C(force) promote option).
    type: bool
    default: false
seealso:
  - module: convox.convox.convox_release_info
  - module: convox.convox.convox_deploy
"""

EXAMPLES = r"""
- name: Find the releases
  convox.convox.convox_release_info:
    app: myapp
  register: releases

- name: Promote the newest release
  convox.convox.convox_release:
    app: myapp
    release: "{{ releases.releases[0].id }}"

- name: Roll back to the previous release
  convox.convox.convox_release:
    app: myapp
    release: "{{ releases.releases[1].id }}"
    state: rolled_back
  when: releases.releases | length > 1
"""

RETURN = r"""
release:
  description:
    - The release that is (or in check mode would be) active after the task. For V(rolled_back)
      this is the new copy; in check mode its id is V((new release)).
    - Environment values are not included, only their names (C(env_keys)).
  returned: always
  type: dict
  contains:
    id:
      description: Release id.
      type: str
      sample: RABCDEFGHIJ
    build:
      description: Build the release runs.
      type: str
      sample: BABCDEFGHIJ
    description:
      description: Release description.
      type: str
    env_keys:
      description: Names of the release's environment variables.
      type: list
      elements: str
    active:
      description: Whether the release is active.
      type: bool
previous_release:
  description: Id of the release that was active before the task.
  returned: always
  type: str
  sample: RBCDEFGHIJK
"""

from typing import Any, Dict

from ansible_collections.convox.convox.plugins.module_utils._builds import promote
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._views import NEW_RELEASE, parse_env, release_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


def _refuse_older(cm: ConvoxModule, client: Any, app_name: str, target: Any, active: str) -> None:
    """The rack refuses to promote a release older than the active one; say so before sending anything."""
    if not active or target.created is None:
        return
    current = client.releases.get(app_name, active)
    if current.created is not None and target.created < current.created:
        cm.fail(
            f"Release {normalize_id(target.id)} of app {app_name} is older than the active release {active}; "
            "the rack only promotes newer releases. Use state: rolled_back to go back to it."
        )


def _pending_copy(client: Any, app_name: str, target: Any, active: str) -> Any:
    """The newest release, when it is an unpromoted copy of ``target`` (same build and environment)."""
    newest = client.releases.list(app_name, limit=1)
    if not newest:
        return None
    candidate = newest[0]
    if normalize_id(candidate.id) in (active, normalize_id(target.id)):
        return None
    same_build = normalize_id(candidate.build) == normalize_id(target.build)
    return candidate if same_build and parse_env(candidate.env) == parse_env(target.env) else None


def main() -> None:
    cm = ConvoxModule(
        {
            "app": {"type": "str", "required": True},
            "release": {"type": "str", "required": True, "aliases": ["id"]},
            "state": {"type": "str", "default": "promoted", "choices": ["promoted", "rolled_back"]},
            "force": {"type": "bool", "default": False},
        },
        wait=True,
    )
    params = cm.params
    app_name = params["app"]
    release_id = normalize_id(params["release"])
    if not release_id:
        cm.fail("release must not be empty.")

    def run() -> None:
        client = cm.client
        app = client.apps.get(app_name)
        active = normalize_id(app.release)
        cm.set_context("read", f"release {release_id} of app {app_name}")
        target = client.releases.get(app_name, release_id)
        changed = False
        result: Dict[str, Any]
        if params["state"] == "promoted":
            if active != release_id:
                _refuse_older(cm, client, app_name, target, active)
                changed = True
                if not cm.check_mode:
                    promote(cm, app_name, release_id, force=params["force"])
            result = release_view(target)
            result["active"] = True
            after_active = release_id
        else:
            same = False
            if active == release_id:
                same = True
            elif active:
                current = client.releases.get(app_name, active)
                same = normalize_id(current.build) == normalize_id(target.build) and parse_env(
                    current.env
                ) == parse_env(target.env)
                if same:
                    result = release_view(current)
            if same:
                if active == release_id:
                    result = release_view(target)
                result["active"] = True
                after_active = active
            else:
                changed = True
                pending = _pending_copy(client, app_name, target, active)
                if pending is not None:
                    # An earlier run made this copy but could not promote it: promote it now.
                    if not cm.check_mode:
                        promote(cm, app_name, normalize_id(pending.id), force=params["force"])
                    result = release_view(pending)
                elif cm.check_mode:
                    result = release_view(target)
                    result.update(id=NEW_RELEASE, description=f"rollback to {release_id}", created=None)
                else:
                    cm.set_context("roll back to", f"release {release_id} of app {app_name}")
                    copy = client.releases.rollback(
                        app_name, release_id, force=params["force"], wait=cm.wait, timeout=cm.wait_timeout
                    )
                    result = release_view(copy)
                result["active"] = True
                after_active = result["id"]
        cm.exit(
            changed,
            diff=cm.diff({"active_release": active}, {"active_release": after_active}),
            release=result,
            previous_release=active,
        )

    action = "promote" if params["state"] == "promoted" else "roll back to"
    cm.run(run, action, f"release {release_id} of app {app_name}")


if __name__ == "__main__":
    main()
