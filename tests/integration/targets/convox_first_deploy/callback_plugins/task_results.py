# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: what each task of a play ended with, written as JSON to $TASK_RESULTS.

Per task name: its status (ok, changed, skipped, failed), the sorted keys of its result and
the check-mode note when there is one. Never a value of the result: secrets stay out.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_results
type: aggregate
short_description: Record each task's status and result keys (convox.convox tests)
description:
  - Writes one JSON object per play run to the file named by the environment variable TASK_RESULTS.
requirements:
  - the environment variable TASK_RESULTS
"""

# Keys Ansible adds to every result, not the module's.
ANSIBLE_KEYS = {"invocation", "_ansible_no_log", "changed", "failed", "skipped", "warnings", "deprecations"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.results: dict = {}

    def _record(self, result, status: str) -> None:
        data = result._result
        keys = sorted(k for k in data if k not in ANSIBLE_KEYS and not k.startswith("_ansible"))
        entry = {"status": status, "keys": keys}
        if data.get("check_mode_note"):
            entry["check_mode_note"] = str(data["check_mode_note"])
        if status == "failed":
            entry["msg"] = str(data.get("msg", ""))[:300]
        self.results[result._task.get_name()] = entry

    def v2_runner_on_ok(self, result) -> None:
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result) -> None:
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats) -> None:
        with open(os.environ["TASK_RESULTS"], "w", encoding="utf-8") as handle:
            json.dump(self.results, handle, indent=2, sort_keys=True)
