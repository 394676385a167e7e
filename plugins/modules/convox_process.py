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

from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._tasks import ConvoxTask
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id

NEW_PROCESS = "(new process)"
# Statuses after which a process waits no more.
SETTLED = ("running", "complete", "failed", "crashed")
PS_HINT = "check the process with convox ps"


def get_process(cm: ConvoxModule, app: str, pid: str) -> Optional[Dict[str, Any]]:
    process: Any = None
    try:
        process = to_plain(cm.client.processes.get(app, pid))
    except cm.not_found():
        return None
    return dict(process or {})


def start(cm: ConvoxModule) -> None:
    params = cm.params
    app, service = params["app"], params["service"]
    cm.set_context("read services of", f"app {app}")
    ConvoxTask(cm).service_of(app, service, "Deploy a release that declares it first.")
    release = normalize_id(params.get("release")) or None
    if cm.check_mode:
        predicted = {
            "id": NEW_PROCESS,
            "app": app,
            "name": service,
            "service": service,
            "command": params.get("command") or "",
            "release": release or "",
            "status": "pending",
        }
        cm.exit(True, diff=cm.diff({}, predicted), process=predicted)
        return
    options: Dict[str, Any] = {}
    for key in ("command", "cpu", "memory"):
        if params.get(key) is not None:
            options[key] = params[key]
    if release:
        options["release"] = release
    if params.get("environment"):
        options["environment"] = {str(k): "" if v is None else str(v) for k, v in params["environment"].items()}
    cm.set_context("start a process of", f"service {service} of app {app}")
    process = to_plain(cm.client.processes.run(app, service, **options)) or {}
    pid = process.get("id")
    if cm.wait and pid:
        cm.set_context("wait for", f"process {pid} of app {app}")

        def settled() -> Tuple[bool, Optional[Dict[str, Any]]]:
            current = get_process(cm, app, pid)
            if current is None:  # finished and already cleaned up by the rack
                return True, dict(process, status="complete")
            return current.get("status") in SETTLED, current

        process = cm.poll(settled, f"process {pid} of app {app} to start", hint=PS_HINT, max_delay=2.0)
    cm.exit(True, diff=cm.diff({}, process), process=process)


def stop(cm: ConvoxModule) -> None:
    app, pid = cm.params["app"], cm.params["id"]
    current = get_process(cm, app, pid)
    if current is None:
        cm.exit(False, diff=cm.diff({}, {}), process={})
        return
    if not cm.check_mode:
        cm.set_context("stop", f"process {pid} of app {app}")
        try:
            cm.client.processes.stop(app, pid)
        except cm.not_found():  # gone in the meantime: the end state is reached
            pass
        if cm.wait:
            cm.set_context("wait for", f"process {pid} of app {app} to stop")
            cm.poll(
                lambda: (get_process(cm, app, pid) is None, None),
                f"process {pid} of app {app} to stop",
                hint=PS_HINT,
                max_delay=2.0,
            )
    cm.exit(True, diff=cm.diff(current, {}), process=current)


def main() -> None:
    cm = ConvoxModule(
        {
            "app": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["started", "absent"], "default": "started"},
            "id": {"type": "str"},
            "service": {"type": "str"},
            "command": {"type": "str"},
            "release": {"type": "str"},
            "cpu": {"type": "int"},
            "memory": {"type": "int"},
            "environment": {"type": "dict", "no_log": True},
        },
        wait=True,
        required_if=[("state", "absent", ["id"]), ("state", "started", ["service"])],
    )
    app = cm.params["app"]
    if cm.params["state"] == "absent":
        cm.run(lambda: stop(cm), "read", f"process {cm.params['id']} of app {app}")
    else:
        cm.run(lambda: start(cm), "start a process of", f"app {app}")


if __name__ == "__main__":
    main()
