# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running process a task acts in: given by id (``process``) or picked from a service.

Shared by convox_exec and convox_copy. Only GET requests: ``GET /apps/{app}`` (does the app
exist), then ``GET /apps/{app}/processes/{pid}`` or ``GET /apps/{app}/processes?service=``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

PROCESS_OPTIONS: Dict[str, Any] = {
    "app": {"type": "str", "required": True},
    "process": {"type": "str"},
    "service": {"type": "str"},
}
PROCESS_MODULE_OPTIONS: Dict[str, Any] = {
    "mutually_exclusive": [("process", "service")],
    "required_one_of": [("process", "service")],
}


def describe(params: Dict[str, Any]) -> str:
    """``process web-123 of app myapp`` or ``a process of service web of app myapp``."""
    if params.get("process"):
        return f"process {params['process']} of app {params['app']}"
    return f"a running process of service {params.get('service')} of app {params['app']}"


def find_running(task: Any) -> Optional[Dict[str, Any]]:
    """The process to act in, as the rack lists it; fails the task clearly when there is none.

    ``process``: that process, which must be ``running``. ``service``: the first (by id) of
    the service's ``running`` processes; the rack itself would pick one at random for exec, the
    module picks one the same way every time and reports it as ``process_id``. In check mode a
    missing app (an earlier task of the play may create it) returns ``None`` and notes it.
    """
    cm, client, params = task.cm, task.client, task.params
    app = params["app"]
    cm.set_context("read", f"app {app}")
    if cm.parent(lambda: client.apps.get(app), "app", app, missing=None) is None:
        return None
    pid = params.get("process")
    if pid:
        cm.set_context("read", f"process {pid} of app {app}")
        try:
            found = dict(to_plain(client.processes.get(app, pid)) or {})
        except cm.not_found():
            cm.fail(
                f"App {app} has no process {pid} on {cm.rack_label} (convox ps -a {app} lists them; to use any "
                "running process of a service, give service instead of process). Nothing was done.",
                failure={"kind": "ProcessNotFound", "app": app, "process": pid},
            )
            return None  # pragma: no cover - fail() does not return
        if found.get("status") != "running":
            cm.fail(
                f"Process {pid} of app {app} is {found.get('status') or 'not running'}, not running: "
                "only a running process can do this. Nothing was done.",
                failure={"kind": "ProcessNotRunning", "app": app, "process": pid, "status": found.get("status")},
            )
        return found
    service = params["service"]
    cm.set_context("read processes of", f"service {service} of app {app}")
    listed = [dict(to_plain(p) or {}) for p in client.processes.list(app, service=service) or []]
    running = sorted(
        (p for p in listed if p.get("status") == "running" and p.get("name") == service), key=lambda p: str(p["id"])
    )
    if running:
        return running[0]
    if cm.check_mode and not listed:
        cm.note_missing("running process of service", f"{service} of app {app}")
        return None
    cm.fail(
        f"Service {service} of app {app} has no running process on {cm.rack_label}"
        f" ({len(listed)} process(es), none running). Deploy or scale it first. Nothing was done.",
        failure={"kind": "ProcessNotFound", "app": app, "service": service},
    )
    return None  # pragma: no cover - fail() does not return
