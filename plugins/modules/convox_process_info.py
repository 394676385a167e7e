#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_process_info
short_description: List the processes of a Convox app
version_added: 0.1.0
description:
  - Returns the processes of an app (service, one-off, timer and build processes) as the rack
    lists them, optionally only those of one service or one release, or the one process O(id).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.app
  - convox.convox.convox.info
options:
  service:
    description:
      - Return only the processes of this service.
    type: str
  release:
    description:
      - Return only the processes running this release.
    type: str
  id:
    description:
      - Return only this process (an empty list when it does not exist).
    type: str
seealso:
  - module: convox.convox.convox_process
"""

EXAMPLES = r"""
- name: List the web processes of myapp
  convox.convox.convox_process_info:
    app: myapp
    service: web
  register: web

- name: Count the running ones
  ansible.builtin.debug:
    msg: "{{ web.processes | selectattr('status', 'equalto', 'running') | list | length }} running"
"""

RETURN = r"""
processes:
  description: The processes, sorted by id. Empty when nothing matches.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the process.
      type: str
      sample: web-6c9f7d8b5-x2k9p
    app:
      description: Name of the app.
      type: str
      sample: myapp
    name:
      description: Name of the service (C(build) for build processes).
      type: str
      sample: web
    command:
      description: Command of the process.
      type: str
      sample: ""
    release:
      description: Release the process runs.
      type: str
      sample: RABCDEFGHIJ
    status:
      description: C(pending), C(starting), C(running), C(unhealthy), C(crashed), C(complete), C(failed) or C(unknown).
      type: str
      sample: running
    started:
      description: When the process started.
      type: str
      sample: "2026-05-01T12:00:00Z"
    ports:
      description: Ports of the process.
      type: list
      elements: str
      sample: ["3000"]
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import process_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


class ProcessInfo(InfoTask):
    options = {
        "app": {"type": "str", "required": True},
        "service": {"type": "str"},
        "release": {"type": "str"},
        "id": {"type": "str"},
    }
    result_key = "processes"
    action = "list processes of"
    kind = "app"

    def identity(self) -> str:
        return str(self.params["app"])

    def items(self) -> List[Dict[str, Any]]:
        app, service = self.params["app"], self.params.get("service")
        release = normalize_id(self.params.get("release")) or None
        if self.params.get("id"):
            found = self.found(self.client.processes.get, app, self.params["id"])
        else:
            filters = {key: value for key, value in (("service", service), ("release", release)) if value}
            found = self.client.processes.list(app, **filters) or []
        processes = [process_view(p) for p in found]
        # Filter here as well: the id lookup takes no filters, and older racks ignore them.
        if service:
            processes = [p for p in processes if service in (p.get("service"), p.get("name"))]
        if release:
            processes = [p for p in processes if normalize_id(p.get("release")) == release]
        return sorted(processes, key=lambda p: str(p.get("id")))


def main() -> None:
    ProcessInfo.main()


if __name__ == "__main__":
    main()
