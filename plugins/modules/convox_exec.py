#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_exec
short_description: Run a command in a running process of a Convox app
version_added: 0.2.0
description:
  - Runs a command in a process that is already running, the way C(convox exec) does, and
    returns its output and exit code. Unlike M(convox.convox.convox_run) no process is started
    or stopped.
  - The process is given by id (O(process)), or by service (O(service)) - then the module picks
    the first running process of the service (by id) and reports it in RV(process_id).
  - Fails when the command exits with a non-zero code, unless the task's C(failed_when)
    decides otherwise. A stream that breaks before the exit code arrives, or an C(ERROR:)
    message from the rack (for example C(process exec requires write access) for a read-only
    token), is a failure too and is never reported as exit code 0.
  - Like M(ansible.builtin.command), the module cannot know what the command changes, so it
    always reports a change. Use C(changed_when) to refine that. There is no C(creates) or
    C(removes) guard (they would need their own exec); test first with a command whose exit
    code says whether there is work to do, as in the examples.
  - In check mode the command is not run; the task is skipped after checking, with GET requests
    only, that the app and the process exist and the process is running.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.app
attributes:
  check_mode:
    support: partial
    details: In check mode the command is not run; the task is skipped after checking that the process is running.
  diff_mode:
    support: none
  platform:
    support: full
options:
  process:
    description:
      - Id of the running process (a pod name such as C(web-6c9f7d8b5-x2k9p)).
      - Exactly one of O(process) and O(service) is required.
    type: str
  service:
    description:
      - Run the command in a running process of this service (the first one by id).
    type: str
  command:
    description:
      - The command to run.
      - The rack splits it into words with shell quoting rules and runs it without a shell; use
        C(sh -c '...') for pipes, C(&&), redirections or variable expansion.
    type: str
    required: true
  entrypoint:
    description:
      - Put the image's entrypoint in front of the command (C(convox exec) does not; C(convox run) does).
    type: bool
    default: false
  exec_timeout:
    description:
      - Seconds to wait for the command. The task fails when it runs longer; the command itself
        may go on running in the process (the rack cannot stop it).
      - Not to be confused with O(timeout), the timeout of each HTTP request.
    type: int
    default: 3600
notes:
  - The command's standard output and standard error arrive merged in RV(stdout).
  - The command runs without a terminal and without standard input (C(Tty=false), C(Disable-Stdin=true)).
  - Exec needs a token with write access; a read-only token fails with the rack's message.
seealso:
  - module: convox.convox.convox_run
  - module: convox.convox.convox_copy
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Clear the application cache in one running web process
  convox.convox.convox_exec:
    app: myapp
    service: web
    command: sh -c 'echo clearing; echo done'
  register: cleared

- name: Ask a given process whether there is work to do (exit code 1 means none)
  convox.convox.convox_exec:
    app: myapp
    process: "{{ cleared.process_id }}"
    command: sh -c 'exit 1'
  register: pending
  failed_when: pending.rc not in [0, 1]
  changed_when: pending.rc == 0
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app or the service's processes do not exist yet (an earlier task of the play would
      create them); the task is then skipped without naming a process.
  returned: in check mode, when the app or its processes do not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
rc:
  description:
    - Exit code of the command.
    - V(-1) when no exit code could be obtained (the stream broke, the rack reported an error,
      or O(exec_timeout) ran out).
  returned: when the command was started
  type: int
  sample: 0
stdout:
  description: Output of the command (standard output and standard error merged).
  returned: when the command was started
  type: str
  sample: "clearing\ndone\n"
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when the command was started
  type: list
  elements: str
  sample: ["clearing", "done"]
stderr:
  description: Always empty; the rack merges standard error into RV(stdout).
  returned: when the command was started
  type: str
  sample: ""
process_id:
  description: Id of the process the command ran in (or would run in, in check mode).
  returned: when known
  type: str
  sample: web-6c9f7d8b5-x2k9p
cmd:
  description: The command.
  returned: always
  type: str
  sample: sh -c 'echo clearing'
start:
  description: When the command started.
  returned: when the command was started
  type: str
  sample: "2026-05-01 12:00:00.000000"
end:
  description: When the command ended.
  returned: when the command was started
  type: str
  sample: "2026-05-01 12:00:01.000000"
delta:
  description: How long the command took.
  returned: when the command was started
  type: str
  sample: "0:00:01.000000"
"""

from typing import Any, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils import _process_target as target
from ansible_collections.convox.convox.plugins.module_utils import errors as convox_errors
from ansible_collections.convox.convox.plugins.module_utils._module import failure_details
from ansible_collections.convox.convox.plugins.module_utils._tasks import CommandTask


class Exec(CommandTask):
    """Run a command in a running process (``SOCKET /apps/{app}/processes/{pid}/exec``)."""

    options = dict(
        target.PROCESS_OPTIONS,
        command={"type": "str", "required": True},
        entrypoint={"type": "bool", "default": False},
        exec_timeout={"type": "int", "default": 3600},
    )
    checks = {
        "command": [checks.header_text(required=True)],
        "exec_timeout": [checks.between(1, 86400 * 7, "seconds")],
    }
    module_options = target.PROCESS_MODULE_OPTIONS
    timeout_option = "exec_timeout"

    def identity(self) -> str:
        return target.describe(self.params)

    def prepare(self) -> Dict[str, Any]:
        base: Dict[str, Any] = {"cmd": self.params["command"]}
        found = target.find_running(self)
        if found is not None:
            base["process_id"] = str(found["id"])
        return base

    def perform(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        params = self.params
        pid: Optional[str] = prepared.get("process_id")
        result = self.started(prepared)
        where = f"process {pid} of app {params['app']} on {self.cm.rack_label}"
        self.cm.set_context(self.action, f"process {pid} of app {params['app']}")
        try:
            outcome = self.client.processes.exec(
                params["app"],
                str(pid),
                params["command"],
                entrypoint=params["entrypoint"],
                timeout=params["exec_timeout"],
            )
        except convox_errors.ConvoxStreamError as exc:
            self.finished(result, getattr(exc, "output", b""), None)
            reason = str(getattr(exc, "message", None) or exc).strip().rstrip(".")
            if getattr(exc, "exit_code", None) is None and not reason.startswith("the stream "):
                # An ERROR frame without the exit-code marker: the rack refused before running
                # anything (convox-api.md section 7), so nothing changed.
                result["changed"] = False
            hint = (
                " The credentials have a read-only role: exec needs a token with write access."
                if "requires write access" in reason
                else " Check the process (convox ps, convox logs) and run the task again."
            )
            self.cm.fail(
                f"The command in {where} did not report an exit code: {reason}.{hint}",
                failure=failure_details(exc),
                **result,
            )
        except convox_errors.ConvoxTimeoutError as exc:
            self.timed_out(result, exc, where, "; it may still be running in the process.")
        return self.exited(result, outcome, f"process {pid} of app {params['app']}")


def main() -> None:
    Exec.main()


if __name__ == "__main__":
    main()
