#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_build
short_description: Build a Convox app from a directory, a URL or an exported build
version_added: 0.1.0
description:
  - Starts a build of an app from a local directory (O(path)), a source URL (O(url)) or a
    tarball made by C(convox builds export) (O(import)), and by default waits until it is
    complete. The build creates a release, which this module does not promote (see
    M(convox.convox.convox_deploy) and M(convox.convox.convox_release)).
  - Idempotent by content. The SHA-256 of the source (the tarball of O(path), the text of
    O(url)), with a digest of the build options that change the result, goes into the build
    description as C([sha256:...]). When a complete build with the same token exists, the
    task reports it unchanged instead of building again (unless O(force=true)). A build of
    the same source that is still running is waited for instead of started twice.
  - An imported build is recognised by the description and manifest recorded in its
    C(build.json).
  - A failed build fails the task with the build id and the last lines of its log.
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
  import:
    description:
      - Local path of a tarball made by C(convox builds export); the build is imported as is
        (complete, with its release).
    type: path
  wait:
    description:
      - Wait until the build is complete. With V(false) the task returns the running build.
seealso:
  - module: convox.convox.convox_build_info
  - module: convox.convox.convox_deploy
"""

EXAMPLES = r"""
- name: Build the app from its source directory
  convox.convox.convox_build:
    app: myapp
    path: "{{ playbook_dir }}/files/myapp"
    description: nightly
  register: build

- name: Show the release the build created
  ansible.builtin.debug:
    msg: "{{ build.build.id }} created release {{ build.build.release }}"
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
    - The build that matches the source, new or existing.
    - In check mode, when a build would be started, the predicted build with id V((new build)).
  returned: always
  type: dict
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
      description: Release created by the build (set when it is complete).
      type: str
      sample: RABCDEFGHIJ
    description:
      description: Build description, ending in the content token.
      type: str
      sample: "nightly [sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08]"
    manifest:
      description: The C(convox.yml) the build used.
      type: str
    app:
      description: Name of the app.
      type: str
      sample: myapp
    started:
      description: When the build started.
      type: str
    ended:
      description: When the build ended; null while it runs.
      type: str
fingerprint:
  description: The content token of the source (C(sha256:) and hex digits).
  returned: always
  type: str
  sample: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
"""

from typing import Any, Dict

from ansible_collections.convox.convox.plugins.module_utils._builds import (
    BuildOutcome,
    BuildPlan,
    BuildSteps,
    predict_build,
    start_build,
)
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask


class Build(BuildSteps, ActionTask):
    """Build the source unless a build of it (same fingerprint) exists; check mode predicts the build."""

    action = "build"

    def perform(self, prepared: BuildPlan) -> Dict[str, Any]:
        return self.result(start_build(self.cm, prepared, wait=self.cm.wait))

    def predict(self, prepared: BuildPlan) -> Dict[str, Any]:
        return self.result(predict_build(prepared, wait=self.cm.wait))

    def result(self, outcome: BuildOutcome) -> Dict[str, Any]:
        return {
            "changed": outcome.changed,
            "diff": self.cm.diff(
                {"build": outcome.before_id},
                {"build": outcome.build.get("id", ""), "fingerprint": outcome.fingerprint},
            ),
            "build": outcome.build,
            "fingerprint": outcome.fingerprint,
        }


def main() -> None:
    Build.main()


if __name__ == "__main__":
    main()
