# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks the four runs of docs/examples/first_deploy.yml that runme.sh made.

Usage: python check_runs.py CHECK.json APPLY.json RERUN.json RECHECK.json CHECK_REQUESTS.json
The JSON files come from the task_results callback (status and result keys per task) and from
the emulator's request log after the first check run. Exits non-zero with the reasons.
"""

from __future__ import annotations

import json
import sys

CHANGED_EVERYWHERE = [
    "Create the app",
    "Set its environment (the password stays hidden, also in the diff)",
    "Build the source and promote it",
    "Run two web processes",
    "Let the rack pull images from a private registry",
    "Generate a certificate for the app's internal domain",
    "Send the rack's events to a webhook",
]
RUN = "Run the migrations when a new release went out"
# Tasks whose app (or service) exists only after an earlier task: their check-mode result says so.
NOTED = [
    "Set its environment (the password stays hidden, also in the diff)",
    "Build the source and promote it",
    "Run two web processes",
    RUN,
]
# Keys a check-mode result may have beside the applied result's (documented in docs/check-mode.md).
CHECK_ONLY = {"check_mode_note", "msg"}


def load(path: str) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def main(check_path: str, apply_path: str, rerun_path: str, recheck_path: str, requests_path: str) -> int:
    check, apply, rerun, recheck = (load(p) for p in (check_path, apply_path, rerun_path, recheck_path))
    problems = []
    tasks = CHANGED_EVERYWHERE + [RUN]
    for name, runs in ((n, (check, apply, rerun, recheck)) for n in tasks):
        for label, run in zip(("check", "apply", "re-run", "re-check"), runs):
            if name not in run:
                problems.append(f"{label}: task {name!r} did not run")
            elif run[name]["status"] == "failed":
                problems.append(f"{label}: task {name!r} failed: {run[name].get('msg')}")
    if problems:
        return report(problems)

    for name in CHANGED_EVERYWHERE:
        if check[name]["status"] != "changed":
            problems.append(f"check: {name!r} is {check[name]['status']}, expected changed (a prediction)")
        if apply[name]["status"] != "changed":
            problems.append(f"apply: {name!r} is {apply[name]['status']}, expected changed")
        for label, run in (("re-run", rerun), ("re-check", recheck)):
            if run[name]["status"] != "ok":
                problems.append(f"{label}: {name!r} is {run[name]['status']}, expected ok (no change)")
        extra = set(check[name]["keys"]) - set(apply[name]["keys"]) - CHECK_ONLY
        missing = set(apply[name]["keys"]) - set(check[name]["keys"])
        if extra or missing:
            problems.append(
                f"{name!r}: check-mode keys differ from applied keys: extra {sorted(extra)}, missing {sorted(missing)}"
            )
    # convox_run cannot run in check mode: skipped, with what it would do; applied, it runs.
    if check[RUN]["status"] != "skipped" or apply[RUN]["status"] != "changed":
        problems.append(
            f"{RUN!r}: check {check[RUN]['status']}, apply {apply[RUN]['status']} (expected skipped, changed)"
        )
    for label, run in (("re-run", rerun), ("re-check", recheck)):
        if run[RUN]["status"] != "skipped":  # when: the deploy did not change
            problems.append(f"{label}: {RUN!r} is {run[RUN]['status']}, expected skipped")
    for name in NOTED:
        note = check[name].get("check_mode_note", "")
        if "does not exist" not in note:
            problems.append(f"check: {name!r} has no check_mode_note saying what is missing (got {note!r})")
    for name in tasks:
        for label, run in (("apply", apply), ("re-run", rerun), ("re-check", recheck)):
            if run[name].get("check_mode_note"):
                problems.append(f"{label}: {name!r} has a check_mode_note although everything exists")

    writes = [f"{r['method']} {r['path']}" for r in load(requests_path) if r["method"] != "GET"]
    if writes:
        problems.append(f"check mode sent {len(writes)} requests that are not GET: {writes[:10]}")
    return report(problems)


def report(problems: list) -> int:
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("first_deploy: check, apply, re-run and re-check behave as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:6]))
