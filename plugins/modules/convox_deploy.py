#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_deploy
short_description: Build a Convox app and promote the result, in one task
version_added: 0.1.0
description:
  - Does what C(convox deploy) does. It builds the app from O(path) or O(url), waits for the
    build, promotes the release it created and, with O(wait=true), waits for the rollout.
  - Idempotent by content, like M(convox.convox.convox_build). When a complete build of the
    same source exists it is reused; when the active release already runs that build the task
    reports no change.
  - When the reused build's release is not the newest one (for example the environment changed
    since), a new release of that build is created (it takes the newest environment) and promoted.
  - A failed build fails the task with the build id and the last lines of its log; a rollout
    that the rack rolls back fails the task and names both releases.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.wait
  - convox.convox.convox.attributes
  - convox.convox.convox.build_source
  - convox.convox.convox.app
  - convox.convox.convox.managing
options:
  # path, url and force as in the build_source fragment, with descriptions for a deploy
  path:
    description:
      - Local directory with the app's source and C(convox.yml), packed honouring C(.dockerignore).
      - Exactly one of O(path) and O(url) is required.
  url:
    description:
      - URL of a gzip tarball of the source that the rack fetches itself.
  force:
    description:
      - Build and promote even when a complete build of the same content exists.
  wait:
    description:
      - Wait for the rollout of the promoted release. The build itself is always waited for.
seealso:
  - module: convox.convox.convox_build
  - module: convox.convox.convox_release
"""

EXAMPLES = r"""
- name: Deploy the app from its source directory
  convox.convox.convox_deploy:
    app: myapp
    path: "{{ playbook_dir }}/files/myapp"
  register: deployed

- name: Show what runs now
  ansible.builtin.debug:
    msg: "{{ deployed.release.id }} runs build {{ deployed.build.id }}"
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
build:
  description:
    - The build of the source, new or reused (in check mode a new one has id V((new build))).
  returned: always
  type: dict
  contains:
    id:
      description: Build id.
      type: str
      sample: BABCDEFGHIJ
    status:
      description: Build status.
      type: str
      sample: complete
    release:
      description: Release the build created.
      type: str
      sample: RABCDEFGHIJ
    description:
      description: Build description, ending in the content token.
      type: str
release:
  description:
    - The release that is (or in check mode would be) active after the task.
    - Environment values are not included, only their names (C(env_keys)).
  returned: always
  type: dict
  contains:
    id:
      description: Release id (V((new release)) in check mode when one would be created).
      type: str
      sample: RABCDEFGHIJ
    build:
      description: Build the release runs.
      type: str
      sample: BABCDEFGHIJ
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
fingerprint:
  description: The content token of the source.
  returned: always
  type: str
  sample: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"""

from typing import Any, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils._builds import (
    BUILD_OPTIONS,
    BuildOutcome,
    BuildPlan,
    BuildSteps,
    predict_build,
    start_build,
)
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import NEW_BUILD, NEW_RELEASE, release_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id
from ansible_collections.convox.convox.plugins.module_utils.concurrency import DEFAULT_RETRIES, ReleaseDraft


def build_release_change(build_id: str, description: str) -> Any:
    """A ``releases.write`` change: a release of ``build_id`` with the newest environment."""

    def change(head: Any, _active: Any) -> Optional[ReleaseDraft]:
        if head is not None and normalize_id(head.build) == build_id:
            return None  # the newest release runs the build already, with the newest environment
        return ReleaseDraft(build=build_id, env=getattr(head, "env", None), description=description)

    return change


class Deploy(BuildSteps, ActionTask):
    """Build the source (or find its build), then promote a release of that build unless it runs already."""

    options = {key: spec for key, spec in BUILD_OPTIONS.items() if key != "import"}
    module_options = {"mutually_exclusive": [("path", "url")], "required_one_of": [("path", "url")]}
    action = "deploy"

    def perform(self, prepared: BuildPlan) -> Dict[str, Any]:
        app = self.identity()
        outcome = start_build(self.cm, prepared, wait=True)
        running = self.running(outcome)
        if running is not None:
            return self.result(outcome, False, running)
        build_id = outcome.build.get("id", "")
        release_id = normalize_id(outcome.build.get("release"))
        if not release_id:
            self.cm.fail(f"Build {build_id} of app {app} finished without a release; run the task again.")
        # The build's release is promoted while it is the newest release; otherwise (an environment
        # change came after it) a release of the build with the newest environment is created, with
        # optimistic concurrency, and promoted under contention (docs/concurrency.md).
        self.cm.set_context("promote", f"build {build_id} of app {app}")
        written = self.client.releases.write(
            app,
            build_release_change(build_id, str(outcome.build.get("description") or "")),
            promote=True,
            wait=self.cm.wait,
            timeout=self.cm.wait_timeout,
            retries=DEFAULT_RETRIES,
            active=self.active or None,
            existing=self.client.releases.get(app, release_id),
        )
        if written.release is not None:
            release_id = normalize_id(written.release.id)
        return self.result(outcome, True, release_view(self.client.releases.get(app, release_id)))

    def predict(self, prepared: BuildPlan) -> Dict[str, Any]:
        outcome = predict_build(prepared, wait=True)
        running = self.running(outcome)
        if running is not None:
            return self.result(outcome, False, running)
        build_id = outcome.build.get("id", "")
        release_id = outcome.build.get("release") or NEW_RELEASE
        if build_id == NEW_BUILD or not self.is_newest(release_id):
            release_id = NEW_RELEASE
        return self.result(outcome, True, {"id": release_id, "build": build_id, "env_keys": []})

    def running(self, outcome: BuildOutcome) -> Optional[Dict[str, Any]]:
        """The active release (read after the build), when it runs the build found already."""
        app = self.identity()
        self.cm.set_context("read", f"app {app}")
        found = self.cm.parent(lambda: self.client.apps.get(app), "app", app)
        self.active = normalize_id(getattr(found, "release", ""))
        current = self.client.releases.get(app, self.active) if self.active else None
        self.active_build = normalize_id(getattr(current, "build", "")) if current is not None else ""
        build_id = outcome.build.get("id", "")
        if not outcome.changed and build_id and self.active_build == build_id:
            return release_view(current)
        return None

    def is_newest(self, release_id: str) -> bool:
        if not release_id or release_id == NEW_RELEASE:
            return False
        newest = self.client.releases.list(self.identity(), limit=1)
        return bool(newest) and normalize_id(newest[0].id) == release_id

    def result(self, outcome: BuildOutcome, changed: bool, release: Dict[str, Any]) -> Dict[str, Any]:
        release["active"] = True
        return {
            "changed": changed,
            "diff": self.cm.diff(
                {"build": self.active_build, "active_release": self.active},
                {"build": outcome.build.get("id", ""), "active_release": release.get("id", "")},
            ),
            "build": outcome.build,
            "release": release,
            "previous_release": self.active,
            "fingerprint": outcome.fingerprint,
        }


def main() -> None:
    Deploy.main()


if __name__ == "__main__":
    main()
