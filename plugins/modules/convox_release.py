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
check_mode_note:
  description:
    - Set in check mode when the app the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
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
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import NEW_RELEASE, parse_env, release_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id
from ansible_collections.convox.convox.plugins.module_utils.concurrency import DEFAULT_RETRIES


def _same(one: Any, other: Any) -> bool:
    """Whether two releases run the same build with the same environment."""
    return normalize_id(one.build) == normalize_id(other.build) and parse_env(one.env) == parse_env(other.env)


class Release(ActionTask):
    """Reads decide (GET only) whether to promote a release, promote a pending copy, or roll back."""

    options = {
        "app": {"type": "str", "required": True},
        "release": {"type": "str", "required": True, "aliases": ["id"]},
        "state": {"type": "str", "default": "promoted", "choices": ["promoted", "rolled_back"]},
        "force": {"type": "bool", "default": False},
    }
    wait_options = True
    kind = "release"
    action = "promote"

    @property
    def release_id(self) -> str:
        return normalize_id(self.params["release"])

    def identity(self) -> str:
        return f"{self.release_id} of app {self.params['app']}"

    def validate(self) -> None:
        if not self.release_id:
            self.cm.fail("release must not be empty.")

    def prepare(self) -> Dict[str, Any]:
        """``changed``, the release to show, and what to send: ``promote`` (an id) or ``rollback``."""
        client, app, release_id = self.client, self.params["app"], self.release_id
        rolled_back = self.params["state"] == "rolled_back"
        if rolled_back:
            self.cm.set_context("roll back to", self.target)
        found = self.cm.parent(lambda: client.apps.get(app), "app", app)
        if found is None:  # check mode, the app comes from an earlier task: its release would be new too
            self.active = ""
            return {"changed": True, "release": {"id": release_id, "app": app}, "promote": release_id}
        self.active = normalize_id(found.release)
        self.cm.set_context("read", self.target)
        target = client.releases.get(app, release_id)
        if self.active == release_id:
            return {"changed": False, "release": target}
        if not rolled_back:
            self.refuse_older(target)
            return {"changed": True, "release": target, "promote": release_id}
        current = client.releases.get(app, self.active) if self.active else None
        if current is not None and _same(current, target):
            return {"changed": False, "release": current}
        pending = self.pending_copy(target)
        if pending is not None:
            # An earlier run made this copy but could not promote it: promote it now.
            return {"changed": True, "release": pending, "promote": normalize_id(pending.id)}
        return {"changed": True, "release": target, "rollback": True}

    def refuse_older(self, target: Any) -> None:
        """The rack refuses to promote a release older than the active one; say so before sending anything."""
        if not self.active or target.created is None:
            return
        current = self.client.releases.get(self.params["app"], self.active)
        if current.created is not None and target.created < current.created:
            self.cm.fail(
                f"Release {normalize_id(target.id)} of app {self.params['app']} is older than the active release "
                f"{self.active}; the rack only promotes newer releases. Use state: rolled_back to go back to it."
            )

    def pending_copy(self, target: Any) -> Any:
        """The newest release, when it is an unpromoted copy of ``target`` (same build and environment)."""
        newest = self.client.releases.list(self.params["app"], limit=1)
        if not newest or normalize_id(newest[0].id) in (self.active, normalize_id(target.id)):
            return None
        return newest[0] if _same(newest[0], target) else None

    def perform(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        app, release = self.params["app"], prepared["release"]
        if prepared.get("promote"):
            promote(self.cm, app, prepared["promote"], force=self.params["force"])
        elif prepared.get("rollback"):
            self.cm.set_context("roll back to", self.target)
            release = self.client.releases.rollback(
                app,
                self.release_id,
                force=self.params["force"],
                wait=self.cm.wait,
                timeout=self.cm.wait_timeout,
                retries=DEFAULT_RETRIES,  # the copy is checked against concurrent releases (docs/concurrency.md)
            )
        return self.result(prepared, release_view(release))

    def predict(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        release = release_view(prepared["release"])
        if prepared.get("rollback"):
            release.update(id=NEW_RELEASE, description=f"rollback to {self.release_id}", created=None)
        return self.result(prepared, release)

    def result(self, prepared: Dict[str, Any], release: Dict[str, Any]) -> Dict[str, Any]:
        release["active"] = True
        after = release["id"] if prepared.get("rollback") else (prepared.get("promote") or self.active)
        return {
            "changed": prepared["changed"],
            "diff": self.cm.diff({"active_release": self.active}, {"active_release": after}),
            "release": release,
            "previous_release": self.active,
        }


def main() -> None:
    Release.main()


if __name__ == "__main__":
    main()
