#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: convox_env
short_description: Set or remove environment variables of a Convox app
version_added: 0.1.0
description:
  - Sets environment variables of an app (O(state=present)), makes the environment exactly
    O(env) (O(replace=true)), or removes variables (O(state=absent) with O(keys)).
  - On a Convox rack the environment lives in releases. When something changes, the module
    creates one new release from the base release (see O(base)) with the new environment,
    and by default promotes it. Nothing is created when the environment is already as asked.
  - Values are secrets. They are never shown in results, diffs or logs; results and diffs
    list the keys and whether each was added, changed or removed. O(show_values) opts in.
  - Safe when several runs change the same app at once (forks, overlapping pipelines). The
    change is merged onto the newest release when the release is created; when another run
    created a release in between, the module merges again and creates another one (a few
    times, with random pauses), and it never promotes a release that lost such a race. While
    another promote runs it waits for the app to settle and decides again. If it keeps losing
    it fails, naming the other release, with nothing promoted. See the collection's
    C(docs/concurrency.md).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.wait
  - convox.convox.convox.attributes
  - convox.convox.convox.app
  - convox.convox.convox.managing
options:
  env:
    description:
      - Environment variables to set, as a mapping of names to values.
      - Values are compared as strings (V(8080) equals V("8080")); key order does not matter.
      - Required with O(state=present). Use V({}) with O(replace=true) to clear the environment.
      - Names must not be empty or contain C(=) or white space; values must be strings, numbers or
        booleans (a list or mapping is refused, not turned into text) without NUL, line breaks
        (C(\n), C(\r); the rack drops a C(\r) at the end of a line) or other control characters.
    type: dict
  keys:
    description:
      - Names of the variables to remove with O(state=absent). Names that are not set are ignored.
    type: list
    elements: str
  state:
    description:
      - V(present) sets the variables in O(env); V(absent) removes the variables in O(keys).
    type: str
    choices: [present, absent]
    default: present
  replace:
    description:
      - With V(true), the whole environment becomes exactly O(env); variables not in O(env) are removed.
      - With V(false), variables not in O(env) are kept.
    type: bool
    default: false
  promote:
    description:
      - Promote the release that carries the wanted environment when it is not the active one.
      - An app that has never been built has nothing to run; its new release is then created but
        not promoted (a warning says so), and the next build or deploy picks the environment up.
    type: bool
    default: true
  base:
    description:
      - Which release's environment is compared and forked.
      - V(active) is the release the app runs; V(latest) is the newest release, promoted or not
        (what C(convox env set) uses).
      - An app without an active release always uses its newest release.
      - When writing, the change is merged onto the newest release created after the active one (see the
        notes), so that two runs changing different keys at the same time both keep their keys. The build
        always comes from the active release.
    type: str
    choices: [active, latest]
    default: active
  show_values:
    description:
      - Show the values in the result (C(env)) and in diffs. Off by default, because values are secrets.
    type: bool
    default: false
notes:
  - The environment values are passed with C(no_log), so Ansible also masks them anywhere
    they would appear in the task's output.
  - Concurrent runs lose nothing. The rack replaces an app's whole environment with each release
    and has no compare-and-swap, so the module checks, after creating its release, that no other
    release was created from the same base in between; if one was, it merges its change onto that
    one and creates again (a few times, with jittered pauses), and it promotes under contention by
    waiting for the app to settle. If it still cannot, it fails naming the concurrent release and
    promotes nothing. A consequence - the environment of releases created after the active one and
    not promoted (by another run, a build or the Convox CLI) is the base of the change, and is promoted
    with it; only releases that lost such a race are skipped.
  - Releases written this way end their description with C([base RXXXXXXXXXX]), the release they were
    merged onto; that is how later writers find the chain. See C(docs/concurrency.md) in the
    collection for what the rack guarantees and what the module adds.
seealso:
  - module: convox.convox.convox_env_info
  - module: convox.convox.convox_release
"""

EXAMPLES = r"""
- name: Set two variables and promote the new release
  convox.convox.convox_env:
    app: myapp
    env:
      LOG_LEVEL: info
      WORKERS: 4

- name: Make the environment exactly this, without promoting
  convox.convox.convox_env:
    app: myapp
    env:
      LOG_LEVEL: debug
    replace: true
    promote: false

- name: Remove a variable
  convox.convox.convox_env:
    app: myapp
    state: absent
    keys:
      - WORKERS
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
    - Id of the release that carries the wanted environment, new or unchanged.
    - In check mode, V((new release)) when a release would be created.
    - Empty when the app has no release and nothing had to change.
  returned: always
  type: str
  sample: RABCDEFGHIJ
base_release:
  description: Id of the release whose environment was compared; empty when the app has no release.
  returned: always
  type: str
  sample: RBCDEFGHIJK
env_keys:
  description: Names of the variables in the resulting environment, sorted.
  returned: always
  type: list
  elements: str
  sample: [LOG_LEVEL, WORKERS]
changes:
  description: Names of the variables this task added, changed and removed.
  returned: always
  type: dict
  contains:
    added:
      description: Variables that were not set before.
      type: list
      elements: str
    changed:
      description: Variables whose value changed.
      type: list
      elements: str
    removed:
      description: Variables that were removed.
      type: list
      elements: str
  sample: {"added": ["WORKERS"], "changed": [], "removed": []}
promoted:
  description: Whether the task promoted (or in check mode would promote) the release.
  returned: always
  type: bool
  sample: true
env:
  description: The resulting environment with its values.
  returned: when O(show_values=true)
  type: dict
  sample: {"LOG_LEVEL": "info"}
"""

import re
from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import NEW_RELEASE, env_diff, parse_env
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id
from ansible_collections.convox.convox.plugins.module_utils.resources.environment import plan_from

_BAD_KEY = re.compile(r"[=\s]")


class Env(ActionTask):
    """Plan the environment change (GET only), then write it as a new release and promote that."""

    options = {
        "app": {"type": "str", "required": True},
        "env": {"type": "dict", "no_log": True},
        "keys": {"type": "list", "elements": "str", "no_log": False},
        "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        "replace": {"type": "bool", "default": False},
        "promote": {"type": "bool", "default": True},
        "base": {"type": "str", "default": "active", "choices": ["active", "latest"]},
        "show_values": {"type": "bool", "default": False},
    }
    checks = {
        "env": [checks.env_map()],
        "keys": [checks.list_of(checks.variable_name())],
    }
    wait_options = True
    module_options = {"required_if": [("state", "absent", ["keys"])]}
    kind = "app"
    action = "read the environment of"

    def identity(self) -> str:
        return str(self.params["app"])

    def validate(self) -> None:
        params, fail = self.params, self.cm.fail
        if params["state"] == "present":
            if params.get("env") is None:
                fail("env is required with state=present (use env: {} with replace: true to clear the environment).")
            if params.get("keys"):
                fail("keys is only used with state=absent; to set variables use env.")
            names: List[str] = [str(k) for k in params["env"]]
            for key, value in params["env"].items():
                if value is not None and "\n" in str(value):
                    fail(f"The value of {key} contains a newline, which a Convox environment cannot hold.")
        else:
            if params.get("env"):
                fail("env is only used with state=present; to remove variables list their names in keys.")
            if params.get("replace"):
                fail("replace is only used with state=present.")
            names = [str(k) for k in params.get("keys") or []]
        for name in names:
            if not name.strip() or _BAD_KEY.search(name):
                fail(f"Invalid environment variable name {name!r}: names must not be empty or contain '=' or spaces.")

    def prepare(self) -> Any:
        """The plan, and the release an earlier run left unpromoted (to promote instead of a new copy)."""
        params, client, app = self.params, self.client, self.identity()
        found = self.cm.parent(lambda: client.apps.get(app), "app", app)
        self.active = normalize_id(getattr(found, "release", ""))
        latest = params["base"] == "latest" or not self.active
        source: Dict[str, Any] = {"latest": True} if latest else {"release": self.active}
        change: Dict[str, Any] = {"replace": params["replace"]}
        if params["state"] == "present":
            change["env"] = parse_env(params["env"])
        else:
            change["remove"] = list(params["keys"])
        # In check mode an app that an earlier task creates has no environment yet.
        plan = plan_from(app, None, **change) if found is None else client.environment.plan(app, **change, **source)
        base = plan.base_release
        self.base_id = normalize_id(getattr(base, "id", "")) if base is not None else ""
        self.build = getattr(base, "build", "") if base is not None else ""
        self.pending = None
        self.cm.set_context("update the environment of", f"app {app}")
        if plan.changed_any and params["promote"] and not latest:
            self.pending = self.pending_release(plan)
        return plan

    def pending_release(self, plan: Any) -> Any:
        """The newest release when it already carries the wanted environment on the active build."""
        newest = self.client.releases.list(self.identity(), limit=1)
        if not newest or normalize_id(newest[0].id) == self.active or plan.base_release is None:
            return None
        candidate = newest[0]
        if normalize_id(candidate.build) != normalize_id(plan.base_release.build):
            return None
        return candidate if parse_env(candidate.env) == plan.desired else None

    def perform(self, prepared: Any) -> Dict[str, Any]:
        """Write with optimistic concurrency: merged onto the newest release, promoted under contention."""
        release_id, build = self.base_id, self.build
        self.written = None
        if self.pending is not None or prepared.changed_any:
            if self.params["promote"] and build:
                self.cm.set_context("write and promote the new environment of", f"app {self.identity()}")
            self.written = self.client.environment.write(
                prepared,
                promote=bool(self.params["promote"] and build),
                wait=self.cm.wait,
                timeout=self.cm.wait_timeout,
                active=self.active or None,
                existing=self.pending,
            )
            if self.written.release is not None:
                release_id = normalize_id(self.written.release.id)
                build = getattr(self.written.release, "build", "") or build
        return self.result(prepared, release_id, build)

    def predict(self, prepared: Any) -> Dict[str, Any]:
        self.written = None
        release_id = self.base_id
        if self.pending is not None:
            release_id = normalize_id(self.pending.id)
        elif prepared.changed_any:
            release_id = NEW_RELEASE
        return self.result(prepared, release_id, self.build)

    def result(self, plan: Any, release_id: str, build: str) -> Dict[str, Any]:
        """Promote ``release_id`` (unless in check mode) and say what changed."""
        app, show_values = self.identity(), self.params["show_values"]
        changed, promoted = bool(plan.changed_any), False
        if self.params["promote"] and release_id and release_id != self.active:
            if not build:
                if changed:
                    self.cm.warn(
                        f"App {app} has no build yet, so release {release_id} was not promoted; "
                        "the next build or deploy of the app carries this environment."
                    )
            else:
                promoted = changed = True  # promoted by environment.write (predicted in check mode)
                if self.written is not None and not self.written.promoted:
                    promoted = False  # the newest release already carried the change; nothing to promote
        before, after = env_diff(plan.current, plan.desired, show_values)
        result: Dict[str, Any] = {
            "changed": changed,
            "diff": self.cm.diff(
                {"active_release": self.active, "env": before},
                {"active_release": release_id if promoted else self.active, "env": after},
            ),
            "release": release_id,
            "base_release": self.base_id,
            "env_keys": sorted(plan.desired),
            "changes": {"added": list(plan.added), "changed": list(plan.changed), "removed": list(plan.removed)},
            "promoted": promoted,
        }
        if show_values:
            result["env"] = dict(plan.desired)
        return result


def main() -> None:
    Env.main()


if __name__ == "__main__":
    main()
