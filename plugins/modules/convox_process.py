#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_process
short_description: Start a detached one-off process of a Convox app, or stop a process
version_added: 0.1.0
description:
  - With O(state=started), starts a detached one-off process from a service's image (like
    C(convox run --detach)) and returns its id. Every run starts a new process, so the task
    always reports a change.
  - With O(state=absent), stops the process O(id). A process that is already gone is not an
    error and reports no change.
  - To run a command and wait for its output and exit code, use M(convox.convox.convox_run).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.WAIT
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.process_size
  - convox.convox.convox.app
  - convox.convox.convox.managing
options:
  state:
    description:
      - V(started) starts a new one-off process; V(absent) stops the process O(id).
    type: str
    choices: [started, absent]
    default: started
  id:
    description:
      - Id of the process to stop. Required with O(state=absent).
    type: str
  service:
    description:
      - Service whose image and settings the new process uses. Required with O(state=started).
    type: str
  command:
    description:
      - Command the process runs. Without it the service's own command runs.
      - The rack splits the command into words with shell quoting rules and runs it without a
        shell; use C(sh -c '...') for pipes, C(&&) or variable expansion.
    type: str
  release:
    description:
      - Release to run; the app's active release when not given.
    type: str
  environment:
    description:
      - Extra environment variables for this process only.
      - The values are treated as secrets and never shown.
      - Names must not be empty or contain V(=); values must be strings, numbers or booleans without
        NUL, line breaks or other control characters (a tab is allowed).
    type: dict
  wait:
    description:
      - With O(state=started), wait until the process is running (or has already finished).
      - With O(state=absent), wait until the rack no longer lists the process.
seealso:
  - module: convox.convox.convox_run
  - module: convox.convox.convox_process_info
"""

EXAMPLES = r"""
- name: Start a detached worker that reindexes the search database
  convox.convox.convox_process:
    app: myapp
    service: web
    command: sh -c 'echo reindexing; sleep 30'
    environment:
      REINDEX_TOKEN: "{{ reindex_token }}"
  register: reindex

- name: Stop it again
  convox.convox.convox_process:
    app: myapp
    id: "{{ reindex.process.id }}"
    state: absent
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app or service the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app or service does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
process:
  description:
    - The process started (in check mode, the predicted process with the id C((new process))),
      or the process as it was before it was stopped. Empty when nothing was stopped.
  returned: success
  type: dict
  contains:
    id:
      description: Id of the process.
      type: str
      sample: web-4fjx9
    app:
      description: Name of the app.
      type: str
      sample: myapp
    name:
      description: Name of the service.
      type: str
      sample: web
    command:
      description: Command of the process.
      type: str
      sample: bin/migrate
    release:
      description: Release the process runs.
      type: str
      sample: RABCDEFGHIJ
    status:
      description: Status of the process (C(pending), C(running), C(complete), ...).
      type: str
      sample: pending
"""

from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask, one_off_options
from ansible_collections.convox.convox.plugins.module_utils._views import process_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id

NEW_PROCESS = "(new process)"
# Statuses after which a process waits no more.
SETTLED = ("running", "complete", "failed", "crashed")
PS_HINT = "check the process with convox ps"


class Process(ActionTask):
    """``state=started``: start a detached one-off process; ``state=absent``: stop the process ``id``."""

    options = {
        "app": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["started", "absent"], "default": "started"},
        "id": {"type": "str"},
        "service": {"type": "str"},
        "command": {"type": "str"},
        "release": {"type": "str"},
        "cpu": {"type": "int"},
        "memory": {"type": "int"},
        "environment": {"type": "dict", "no_log": True},
    }
    checks = {
        "command": [checks.header_text()],
        "environment": [checks.env_map()],
        "cpu": [checks.between(0, checks.MAX_CPU, "millicores")],
        "memory": [checks.between(0, checks.MAX_MEMORY, "MiB")],
    }
    wait_options = True
    module_options = {"required_if": [("state", "absent", ["id"]), ("state", "started", ["service"])]}
    kind = "process"
    action = "read"

    @property
    def app(self) -> str:
        return str(self.params["app"])

    @property
    def stopping(self) -> bool:
        return bool(self.params["state"] == "absent")

    def identity(self) -> str:
        return f"{self.params.get('id')} of app {self.app}"

    def get(self, pid: str) -> Optional[Dict[str, Any]]:
        try:
            return process_view(self.client.processes.get(self.app, pid))
        except self.cm.not_found():
            return None

    def prepare(self) -> Optional[Dict[str, Any]]:
        """The process to stop (``None`` when gone), or the check that the service exists."""
        if self.stopping:
            return self.get(self.params["id"])
        self.cm.set_context("read services of", f"app {self.app}")
        self.service_of(self.app, self.params["service"], "Deploy a release that declares it first.")
        return None

    def predict(self, prepared: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if self.stopping:
            return self.removed("process", prepared)
        service = self.params["service"]
        predicted = {
            "id": NEW_PROCESS,
            "app": self.app,
            "name": service,
            "service": service,
            "command": self.params.get("command") or "",
            "release": normalize_id(self.params.get("release")),
            "status": "pending",
        }
        return {"diff": self.cm.diff({}, predicted), "process": predicted}

    def perform(self, prepared: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if self.stopping:
            if prepared is not None:
                self.stop(self.params["id"])
            return self.removed("process", prepared)
        params, service = self.params, self.params["service"]
        options = one_off_options(params, "command", "cpu", "memory", "release", "environment")
        self.cm.set_context("start a process of", f"service {service} of app {self.app}")
        process = process_view(self.client.processes.run(self.app, service, **options))
        pid = process.get("id")
        if self.cm.wait and pid:
            what = f"process {pid} of app {self.app}"
            self.cm.set_context("wait for", what)

            def settled() -> Tuple[bool, Optional[Dict[str, Any]]]:
                now = self.get(pid)
                if now is None:  # finished and already cleaned up by the rack
                    return True, dict(process, status="complete")
                return now.get("status") in SETTLED, now

            process = self.cm.poll(settled, f"{what} to start", hint=PS_HINT, max_delay=2.0)
        return {"diff": self.cm.diff({}, process), "process": process}

    def stop(self, pid: str) -> None:
        self.cm.set_context("stop", self.target)
        try:
            self.client.processes.stop(self.app, pid)
        except self.cm.not_found():  # gone in the meantime: the end state is reached
            pass
        if self.cm.wait:
            what = f"{self.target} to stop"
            self.cm.set_context("wait for", what)
            self.cm.poll(lambda: (self.get(pid) is None, None), what, hint=PS_HINT, max_delay=2.0)


def main() -> None:
    Process.main()


if __name__ == "__main__":
    main()
