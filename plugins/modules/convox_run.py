#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_run
short_description: Run a command in a one-off process of a Convox app and wait for it
version_added: 0.1.0
description:
  - Runs a command the way C(convox run) does - starts a one-off process from a service's
    image, runs the command in it, waits for it to finish and returns its output and exit
    code - then stops the process, whatever happened.
  - Fails when the command exits with a non-zero code, unless the task's C(failed_when)
    decides otherwise. A stream that breaks before the exit code arrives, or an C(ERROR:)
    message from the rack, is a failure too and is never reported as exit code 0.
  - Like M(ansible.builtin.command), the module cannot know what the command changes, so a
    run always reports a change. Use C(changed_when) to refine that.
  - In check mode the command is not run and the task is skipped.
  - Typical use is a database migration between a build and its promotion.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.process_size
  - convox.convox.convox.app
attributes:
  check_mode:
    support: partial
    details: In check mode the command is not run; the task is skipped after checking that the service exists.
  diff_mode:
    support: none
  platform:
    support: full
options:
  service:
    description:
      - Service whose image and settings the process uses.
    type: str
    required: true
  command:
    description:
      - The command to run.
      - The rack splits it into words with shell quoting rules and runs it without a shell, after
        the image's entrypoint; use C(sh -c '...') for pipes, C(&&), redirections or variable
        expansion.
    type: str
    required: true
  release:
    description:
      - Release whose image and environment to use; the app's active release when not given.
      - Running a new, not yet promoted release is how a migration runs before the promotion.
    type: str
  environment:
    description:
      - Extra environment variables for this run only.
      - Names must not be empty or contain V(=); values must be strings, numbers or booleans without
        NUL, line breaks or other control characters (a tab is allowed).
      - The values are treated as secrets and never shown; where they appear in the command's
        output they are masked.
    type: dict
  run_timeout:
    description:
      - Seconds the command may run. The process is stopped and the task fails when it runs
        longer.
      - Not to be confused with O(timeout), the timeout of each HTTP request.
    type: int
    default: 3600
notes:
  - O(run_timeout) plays the part of C(convox run --timeout); the option name O(timeout) is the
    per-request timeout shared by all modules of the collection.
  - The command's standard output and standard error arrive merged in RV(stdout).
seealso:
  - module: convox.convox.convox_process
  - module: ansible.builtin.command
"""

EXAMPLES = r"""
- name: Run the database migrations of the new release before promoting it
  convox.convox.convox_run:
    app: myapp
    service: web
    release: "{{ new_release_id }}"
    command: sh -c 'echo migrating; echo done'
    environment:
      MIGRATION_TOKEN: "{{ migration_token }}"
    run_timeout: 600
  register: migration

- name: A check whose exit code 1 means "nothing to do"
  convox.convox.convox_run:
    app: myapp
    service: web
    command: sh -c 'exit 1'
  register: pending
  failed_when: pending.rc not in [0, 1]
  changed_when: pending.rc == 0
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app or service the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app or service does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
rc:
  description:
    - Exit code of the command.
    - V(-1) when no exit code could be obtained (the stream broke, the rack reported an error,
      or O(run_timeout) ran out).
  returned: when the command was started
  type: int
  sample: 0
stdout:
  description: Output of the command (standard output and standard error merged).
  returned: when the command was started
  type: str
  sample: "migrating\ndone\n"
stdout_lines:
  description: RV(stdout) split into lines.
  returned: when the command was started
  type: list
  elements: str
  sample: ["migrating", "done"]
stderr:
  description: Always empty; the rack merges standard error into RV(stdout).
  returned: when the command was started
  type: str
  sample: ""
process_id:
  description: Id of the one-off process the command ran in (stopped afterwards).
  returned: when known
  type: str
  sample: web-4fjx9
cmd:
  description: The command that was run.
  returned: always
  type: str
  sample: sh -c 'echo migrating'
start:
  description: When the run started.
  returned: when the command was started
  type: str
  sample: "2026-05-01 12:00:00.000000"
end:
  description: When the run ended.
  returned: when the command was started
  type: str
  sample: "2026-05-01 12:00:04.000000"
delta:
  description: How long the run took.
  returned: when the command was started
  type: str
  sample: "0:00:04.000000"
"""

from typing import Any, Dict, List, Optional

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils import errors as convox_errors
from ansible_collections.convox.convox.plugins.module_utils._module import _hint_for, failure_details
from ansible_collections.convox.convox.plugins.module_utils._tasks import CommandTask, one_off_options


class Run(CommandTask):
    """Start a one-off process attached to its output, wait for the exit code, stop the process."""

    options = {
        "app": {"type": "str", "required": True},
        "service": {"type": "str", "required": True},
        "command": {"type": "str", "required": True},
        "release": {"type": "str"},
        "environment": {"type": "dict", "no_log": True},
        "cpu": {"type": "int"},
        "memory": {"type": "int"},
        "run_timeout": {"type": "int", "default": 3600},
    }
    checks = {
        "command": [checks.header_text(required=True)],
        "environment": [checks.env_map()],
        "cpu": [checks.between(0, checks.MAX_CPU, "millicores")],
        "memory": [checks.between(0, checks.MAX_MEMORY, "MiB")],
    }
    timeout_option = "run_timeout"

    def identity(self) -> str:
        return f"service {self.params['service']} of app {self.params['app']}"

    def validate(self) -> None:
        run_timeout = self.params["run_timeout"]
        if run_timeout < 1:
            self.cm.fail(f"Option run_timeout must be at least 1 second, got {run_timeout}. Nothing was run.")
        super().validate()

    def prepare(self) -> Dict[str, Any]:
        base: Dict[str, Any] = {"cmd": self.params["command"]}
        app, service = self.params["app"], self.params["service"]
        self.cm.set_context("read services of", f"app {app}")
        self.service_of(app, service, "Deploy a release that declares it first. Nothing was run.", **base)
        return base

    def perform(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        params = self.params
        options = one_off_options(params, "release", "cpu", "memory", "environment")
        options["timeout"] = params["run_timeout"]
        result = self.started(prepared)
        self.cm.set_context(self.action, self.target)
        where = f"{self.target} on {self.cm.rack_label}"
        # The one-off processes that exist before the start: a process the run leaves behind
        # (its start answered with something unreadable, so no id came back) is found afterwards.
        before = self.one_off_ids()
        try:
            outcome = self.client.processes.run_attached(params["app"], params["service"], params["command"], **options)
        except convox_errors.ConvoxStreamError as exc:
            # A stream error's exit code 0 means the rack failed before the command ran (spec section 7).
            self.finished(result, getattr(exc, "output", b""), getattr(exc, "exit_code", None) or None)
            reason = str(getattr(exc, "message", None) or exc).strip()
            self.cm.fail(
                f"The command in {where} did not report an exit code: {reason}. Its process was stopped; "
                "check the rack (convox ps, convox logs) and run the task again.",
                failure=failure_details(exc),
                **result,
            )
        except convox_errors.ConvoxTimeoutError as exc:
            self.timed_out(result, exc, where, ". Its process was stopped.")
        except convox_errors.ConvoxError as exc:
            # Anything else (the stream could not be opened, the connection broke, the rack refused):
            # no exit code is known, so the run is a failure, never rc 0.
            self.finished(result, b"", None)
            if getattr(exc, "method", None) == "POST" and str(getattr(exc, "path", "")).endswith("/processes"):
                result["changed"] = False  # the rack refused to start the process: nothing ran
            reason = str(getattr(exc, "message", None) or exc).strip().rstrip(".")
            leftover = "" if result.get("changed") is False else self.stop_leftovers(before, result)
            hint = "Check the rack (convox ps, convox logs) and run the task again."
            if isinstance(exc, convox_errors.ConvoxConflictError):  # a tripped cost budget (409)
                hint = _hint_for(exc)
            self.cm.fail(
                f"Could not run the command in {where}: {reason}.{leftover} {hint}",
                failure=failure_details(exc),
                **result,
            )
        pid: Optional[str] = getattr(outcome, "process_id", None)
        if pid:
            result["process_id"] = pid
        return self.exited(result, outcome, self.target)

    def one_off_ids(self) -> Optional[Dict[str, str]]:
        """The service's processes now, id -> command (``None`` when the rack cannot say)."""
        try:
            processes = self.client.processes.list(self.params["app"], service=self.params["service"])
        except convox_errors.ConvoxError:
            return None
        return {str(getattr(p, "id", "")): str(getattr(p, "command", "") or "") for p in processes or []}

    def stop_leftovers(self, before: Optional[Dict[str, str]], result: Dict[str, Any]) -> str:
        """Stop the one-off process this run started and left running; say truthfully what happened.

        A process of the service that did not exist before the run and runs ``sleep`` (how a run
        starts, convox-api.md 6.5) is this run's. Returns the sentence for the failure message.
        """
        now = self.one_off_ids() if before is not None else None
        if now is None or before is None:
            return (
                " A one-off process it started may still be running (its id is unknown): check convox ps "
                "and stop it with convox ps stop."
            )
        app = self.params["app"]
        stopped: List[str] = []
        for pid, command in sorted(now.items()):
            if pid in before or not command.startswith("sleep "):
                continue
            try:
                self.client.processes.stop(app, pid)
            except convox_errors.ConvoxNotFoundError:
                continue
            except convox_errors.ConvoxError:
                result["process_id"] = pid
                return f" Its one-off process {pid} may still be running: stop it with convox ps stop {pid} -a {app}."
            stopped.append(pid)
        if stopped:
            result["process_id"] = stopped[0]
            return f" Its one-off process {', '.join(stopped)} was stopped."
        return " No one-off process of it is left running."


def main() -> None:
    Run.main()


if __name__ == "__main__":
    main()
