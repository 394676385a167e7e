#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_logs_info
short_description: Read the recent logs of a Convox app, service, process, build or rack
version_added: 0.2.0
description:
  - Reads recent log lines the way C(convox logs --no-follow) does, from the log stream of an
    app (all its services, one-off processes and Kubernetes events), one service, one process,
    one build, or the rack itself.
  - The read always ends - when the stream ends, after O(lines) lines, or after
    O(stream_timeout) seconds, whichever comes first - and the result says which
    (RV(truncated), RV(timed_out)). A stream that keeps going (O(follow=true), a running
    build) is cut at O(stream_timeout) and returns what arrived until then.
  - Reads only; never changes anything, so it runs in check mode too.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
options:
  app:
    description:
      - Name of the app. Required unless O(system=true).
      - With none of O(service), O(process) and O(build), the logs of the whole app.
    type: str
  service:
    description:
      - Read the logs of this service of O(app), from its pods.
    type: str
  process:
    description:
      - Read the logs of this process (its id, as M(convox.convox.convox_process_info) lists it) of O(app).
      - They are taken from the app's log stream, keeping the lines of this process. The rack's
        own per-process stream would ignore O(follow=false) and O(since) on most providers.
    type: str
  build:
    description:
      - Read the log of this build (its id, in any case) of O(app). A running build's log is followed until
        the build ends or O(stream_timeout) runs out. O(since) does not apply.
    type: str
  system:
    description:
      - Read the rack's own logs instead of an app's (then O(app), O(service), O(process) and
        O(build) must not be set).
      - If not set, V(false).
    type: bool
  since:
    description:
      - How far back to read, as a duration such as V(10m), V(2h) or V(1h30m) (units V(s), V(m),
        V(h), also V(ms), V(us) and V(ns); there is no unit for days, so two days are V(48h)).
      - If not set, the rack's default of 2 minutes applies.
    type: str
  filter:
    description:
      - Keep only the lines that contain every word of this text (a V("quoted phrase") counts as one
        word). Matching is case-sensitive.
      - The words are also sent to the rack, which narrows at the source where it can (app and rack
        logs on AWS, as a CloudWatch filter pattern); the module applies them itself everywhere,
        so the result does not depend on the provider.
    type: str
  lines:
    description:
      - The most lines to return, from 1 to 10000. The read stops there and RV(truncated) is
        V(true); use O(since) or O(filter) to narrow the logs.
    type: int
    default: 100
  stream_timeout:
    description:
      - How long the whole read may take, in seconds (connecting included), from 0.1 to 3600.
      - Not to be confused with O(timeout), the timeout of each HTTP request.
    type: float
    default: 30
  follow:
    description:
      - Keep reading new lines as they arrive, until O(lines) lines arrived or O(stream_timeout)
        ran out (then RV(timed_out) is V(true)). With V(false), read what is there and stop.
    type: bool
    default: false
  tail:
    description:
      - With O(service) only, take at most the last this many lines of each of the service's
        processes (the rack's C(Tail)), from 1 to 10000, within O(since). O(lines) still bounds
        the whole result.
      - If not set, every line within O(since).
    type: int
    version_added: 0.2.0
  prefix:
    description:
      - Start each line with its timestamp and source, as C(convox logs) shows them
        (C(2024-05-01T12:00:00Z service/web/web-5d8f7-abcde message); service logs use the rack's
        C([pod/<pod>/<service>] <timestamp>) form).
    type: bool
    default: false
notes:
  - >-
    Logs hold whatever the app prints, which may include secrets (tokens, connection strings). The
    module returns the lines as they are; set C(no_log=true) on the task (and do not print the
    registered result) when the app may log secrets. The module never puts log lines into its
    failure messages.
  - >-
    An app, service or build that does not exist gives an empty list, as with every C(_info)
    module of the collection.
seealso:
  - module: convox.convox.convox_process_info
  - module: convox.convox.convox_build_info
"""

EXAMPLES = r"""
- name: Read the last ten minutes of myapp's logs
  convox.convox.convox_logs_info:
    app: myapp
    since: 10m
  register: recent

- name: Show them
  ansible.builtin.debug:
    var: recent.lines

- name: Errors of the web service in the last two hours, with timestamps
  convox.convox.convox_logs_info:
    app: myapp
    service: web
    since: 2h
    filter: ERROR
    prefix: true
    lines: 50
  register: errors

- name: The last 20 lines of each web process of the last day
  convox.convox.convox_logs_info:
    app: myapp
    service: web
    since: 24h
    tail: 20
  register: web_tail

- name: Watch myapp's logs for up to 20 seconds, until the line "ready" appears once
  convox.convox.convox_logs_info:
    app: myapp
    follow: true
    filter: ready
    lines: 1
    stream_timeout: 20
  register: ready

- name: Fail when it never appeared
  ansible.builtin.assert:
    that: ready.lines | length == 1
    fail_msg: myapp did not log "ready" within 20 seconds

- name: The rack's own logs of the last hour
  convox.convox.convox_logs_info:
    system: true
    since: 1h
"""

RETURN = r"""
lines:
  description:
    - The log lines, oldest first, without line endings; empty when the app, service or build
      does not exist or nothing was logged.
  returned: always
  type: list
  elements: str
  sample:
    - web started
    - GET / 200
truncated:
  description:
    - Whether the read stopped at O(lines) lines (more may have followed).
  returned: always
  type: bool
  sample: false
timed_out:
  description:
    - Whether the read was cut at O(stream_timeout) while the stream still ran.
  returned: always
  type: bool
  sample: false
"""

import re
from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id

MAX_LINES = 10000
# ERROR frames that mean "nothing there": an unknown app or build, a service without pods.
_NOTHING = re.compile(r"not found|no such |no resources found", re.IGNORECASE)


class LogsInfo(InfoTask):
    options = {
        "app": {"type": "str"},
        "service": {"type": "str"},
        "process": {"type": "str"},
        "build": {"type": "str"},
        "system": {"type": "bool"},
        "since": {"type": "str"},
        "filter": {"type": "str"},
        "lines": {"type": "int", "default": 100},
        "stream_timeout": {"type": "float", "default": 30},
        "follow": {"type": "bool", "default": False},
        "tail": {"type": "int"},
        "prefix": {"type": "bool", "default": False},
    }
    checks = {
        "app": [checks.text(63, required=True)],
        "service": [checks.text(63, required=True)],
        "process": [checks.text(253, required=True)],
        "build": [checks.text(63, required=True)],
        "since": [checks.go_duration()],
        "filter": [checks.header_text(1024)],
        "lines": [checks.between(1, MAX_LINES, "lines")],
        "stream_timeout": [checks.between(0.1, 3600, "seconds")],
        "tail": [checks.between(1, MAX_LINES, "lines")],
    }
    module_options = {"mutually_exclusive": [("service", "process", "build")]}
    result_key = "lines"
    kind = "logs of"

    def identity(self) -> str:
        params = self.params
        if params.get("system"):
            return "the rack"
        app = f"app {params.get('app')}"
        for key in ("service", "process", "build"):
            if params.get(key):
                return f"{key} {params[key]} of {app}"
        return app

    def validate(self) -> None:
        from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError
        from ansible_collections.convox.convox.plugins.module_utils.resources.logs import parse_since

        params = self.params
        if params.get("system"):
            given = [key for key in ("app", "service", "process", "build") if params.get(key)]
            if given:
                self.refuse(given[0], f"must not be set with system=true (the rack's logs), got {given[0]}")
        elif not params.get("app"):
            self.refuse("app", "is required unless system=true")
        try:
            parse_since(params.get("since"))
        except ConvoxInputError as exc:
            self.refuse("since", str(exc).replace("since ", "", 1))
        if params.get("tail") is not None and not params.get("service"):
            self.refuse("tail", "applies to service logs only (set service)")
        if params.get("build") and params.get("since"):
            self.refuse("since", "does not apply to build logs (the rack always sends the whole build log)")

    def read(self) -> Any:
        params = self.params
        bounds: Dict[str, Any] = {
            "filter": params.get("filter") or None,
            "prefix": params["prefix"],
            "timeout": params["stream_timeout"],
            "max_lines": params["lines"],
        }
        logs = self.client.logs
        if params["build"]:
            return logs.build(params["app"], normalize_id(params["build"]), **bounds)
        bounds.update(since=params.get("since"), follow=params["follow"])
        if params["system"]:
            return logs.system(**bounds)
        if params["service"]:
            return logs.service(params["app"], params["service"], tail=params.get("tail"), **bounds)
        if params["process"]:
            return logs.process(params["app"], params["process"], **bounds)
        return logs.app(params["app"], **bounds)

    def result(self) -> Dict[str, Any]:
        from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxStreamError

        self.cm.set_context("read", self.target)
        try:
            read = self.read()
        except ConvoxStreamError as exc:
            if _NOTHING.search(str(exc)):
                return {"lines": [], "truncated": False, "timed_out": False}
            raise
        lines: List[str] = list(read.lines)
        return {"lines": lines, "truncated": read.truncated, "timed_out": read.timed_out}


def main() -> None:
    LogsInfo.main()


if __name__ == "__main__":
    main()
