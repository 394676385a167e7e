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

from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id


def main() -> None:
    cm = ConvoxModule(
        {
            "app": {"type": "str", "required": True},
            "service": {"type": "str"},
            "release": {"type": "str"},
            "id": {"type": "str"},
        }
    )
    params = cm.params
    app = params["app"]
    release = normalize_id(params.get("release")) or None

    def gather() -> None:
        if params.get("id"):
            try:
                processes = [to_plain(cm.client.processes.get(app, params["id"]))]
            except cm.not_found():
                processes = []
        else:
            options = {}
            if params.get("service"):
                options["service"] = params["service"]
            if release:
                options["release"] = release
            processes = to_plain(cm.client.processes.list(app, **options)) or []
        # Filter here as well: the id lookup takes no filters, and older racks ignore them.
        if params.get("service"):
            processes = [p for p in processes if params["service"] in (p.get("service"), p.get("name"))]
        if release:
            processes = [p for p in processes if normalize_id(p.get("release")) == release]
        processes.sort(key=lambda p: str(p.get("id")))
        cm.exit(False, processes=processes)

    cm.run(gather, "list processes of", f"app {app}")


if __name__ == "__main__":
    main()
