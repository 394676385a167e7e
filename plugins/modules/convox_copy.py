#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_copy
short_description: Copy a file into or out of a running process of a Convox app
version_added: 0.2.0
description:
  - Copies one file between the machine the task runs on and a running process, the way
    C(convox cp) does, or removes a file from the process.
  - The direction follows from the options - O(src) or O(content) writes the file O(path) in the
    process; O(dest) reads O(path) from the process into a local file; O(state=absent) removes
    O(path) from the process.
  - Idempotent - the module first reads the file on the other side and compares SHA-256
    checksums (and the mode, when O(mode) is given); an unchanged file reports no change and is
    not sent again.
  - In check mode only GET requests reach the rack and no local file is written.
  - Files live in the process's container, not in the app's image - they are gone when the
    process is replaced (a deploy, a restart, a scale down).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.app
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - The diff shows the checksum, size and mode before and after; the content only with O(diff_content=true),
        for text files up to 16 KiB.
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
      - Use a running process of this service (the first one by id, reported in RV(process_id)).
      - Only that one process gets the file; other processes of the service do not.
    type: str
  path:
    description:
      - Absolute path of the file in the process.
    type: str
    required: true
  src:
    description:
      - Local file to write to O(path) in the process.
      - On the machine the task runs on (use C(delegate_to) to choose it).
    type: path
  content:
    description:
      - Text to write to O(path) in the process, instead of O(src); at most 1 MiB (use O(src) for larger files).
      - Treated as a secret, as M(ansible.builtin.copy) treats its C(content), and never shown in the task's
        arguments or output. Ansible masks the value wherever it would appear, so O(diff_content) shows a
        file given inline as masked; use O(src) for a file whose content the diff may show.
    type: str
  dest:
    description:
      - Local file to write with the content of O(path) in the process (a download).
      - When it is an existing directory, the file is written in it under the name of O(path).
    type: path
  mode:
    description:
      - Permissions of the file written, as an octal string such as V('0600').
      - For an upload the default is V('0644') and the mode of an existing file is only compared
        when O(mode) is given; for a download the local file keeps the mode it has (or gets the
        default of the system) unless O(mode) is given.
    type: str
  state:
    description:
      - V(present) copies; V(absent) removes O(path) from the process (no change when it is not there).
    type: str
    choices: [present, absent]
    default: present
  diff_content:
    description:
      - Show the old and new content in diff mode, for text files up to 16 KiB. Off by default,
        because copied files are often secrets; binary content is never shown.
    type: bool
    default: false
notes:
  - The rack extracts the uploaded archive at C(/) in the process with C(tar); the rack's user
    must be allowed to write O(path) there.
  - Writing and removing need a token with write access; reading (a download, and the comparison
    before an upload) needs read access only.
seealso:
  - module: convox.convox.convox_exec
  - module: ansible.builtin.copy
"""

EXAMPLES = r"""
- name: Put a settings file into a running web process
  convox.convox.convox_copy:
    app: myapp
    service: web
    content: |
      feature_x: true
    path: /app/config/settings.yml
    mode: "0640"
  register: settings

- name: Fetch a report the process wrote
  convox.convox.convox_copy:
    app: myapp
    process: "{{ settings.process_id }}"
    path: /app/config/settings.yml
    dest: "{{ backup_dir }}/settings-from-web.yml"

- name: Remove the settings file again
  convox.convox.convox_copy:
    app: myapp
    process: "{{ settings.process_id }}"
    path: /app/config/settings.yml
    state: absent
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app or the service's processes do not exist yet (an earlier task of the play would
      create them).
  returned: in check mode, when the app or its processes do not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
process_id:
  description: Id of the process the file was copied to or from.
  returned: when known
  type: str
  sample: web-6c9f7d8b5-x2k9p
path:
  description: The file in the process.
  returned: always
  type: str
  sample: /app/config/settings.yml
dest:
  description: The local file written by a download.
  returned: for a download
  type: str
  sample: /tmp/settings-from-web.yml
direction:
  description: V(to_process) (an upload), V(from_process) (a download) or V(remove).
  returned: always
  type: str
  sample: to_process
checksum:
  description: SHA-256 of the file's content after the task (hex); empty after a removal.
  returned: always
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
size:
  description: Size in bytes of the file after the task (V(0) after a removal).
  returned: always
  type: int
  sample: 18
"""

import hashlib
import io
import os
import stat
import tarfile
import tempfile
from typing import Any, Dict, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils import _process_target as target
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError
from ansible_collections.convox.convox.plugins.module_utils.resources.processes import archive_file

DIFF_CONTENT_LIMIT = 16 * 1024
MAX_FILE = 512 * 1024 * 1024


def _remote_path() -> Any:
    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        if not isinstance(value, str) or not value.startswith("/"):
            return "must be an absolute path in the process (starting with /)"
        if len(value) > 4096:
            return f"is {len(value)} characters long; at most 4096 are accepted"
        if "," in value:
            return "must not contain a comma (the rack separates paths with commas)"
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            return "contains a control character, which is not accepted"
        if value.rstrip("/") in ("", "/.", "/..") or value.endswith("/"):
            return "must name a file, not a directory"
        return None

    return check


def _mode() -> Any:
    def check(value: Any, secret: bool) -> Optional[str]:
        if value is None:
            return None
        text = str(value)
        if not text or len(text) > 5 or any(c not in "01234567" for c in text) or int(text, 8) > 0o7777:
            return f"must be an octal mode such as '0644', got {text[:20]!r}"
        return None

    return check


def _checksum(data: Optional[bytes]) -> str:
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def _summary(path: str, data: Optional[bytes], mode: Optional[int], show: bool) -> Dict[str, Any]:
    """What diff mode shows of one side: checksum, size, mode; content only when asked and text."""
    if data is None:
        return {}
    summary: Dict[str, Any] = {"path": path, "checksum": _checksum(data), "size": len(data)}
    if mode is not None:
        summary["mode"] = f"{mode:04o}"
    if show and len(data) <= DIFF_CONTENT_LIMIT and b"\0" not in data:
        try:
            summary["content"] = data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # binary: never shown
    return summary


class Copy(ActionTask):
    """Upload, download or remove one file of a running process (``/apps/{app}/processes/{pid}/files``)."""

    options = dict(
        target.PROCESS_OPTIONS,
        path={"type": "str", "required": True},
        src={"type": "path"},
        content={"type": "str", "no_log": True},
        dest={"type": "path"},
        mode={"type": "str"},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        diff_content={"type": "bool", "default": False},
    )
    checks = {
        "path": [_remote_path()],
        "content": [checks.text(checks.MAX_BLOB, multiline=True)],  # up to 1 MiB of text; larger files via src
        "mode": [_mode()],
    }
    module_options = dict(
        target.PROCESS_MODULE_OPTIONS,
        mutually_exclusive=target.PROCESS_MODULE_OPTIONS["mutually_exclusive"] + [("src", "content", "dest")],
        required_if=[("state", "present", ("src", "content", "dest"), True)],
    )
    action = "copy a file of"

    def identity(self) -> str:
        return target.describe(self.params)

    @property
    def direction(self) -> str:
        if self.params["state"] == "absent":
            return "remove"
        return "from_process" if self.params.get("dest") else "to_process"

    def validate(self) -> None:
        params = self.params
        if params["state"] == "absent" and any(params.get(k) is not None for k in ("src", "content", "dest")):
            self.cm.fail("Options src, content and dest do not go with state=absent. Nothing was sent to the rack.")
        src = params.get("src")
        if src is not None:
            if not os.path.isfile(src):
                self.cm.fail(f"Option src: {src} is not a readable file here. Nothing was sent to the rack.")
            if os.path.getsize(src) > MAX_FILE:
                self.cm.fail(f"Option src: {src} is larger than {MAX_FILE} bytes. Nothing was sent to the rack.")
        dest = params.get("dest")
        if dest is not None:
            folder = dest if os.path.isdir(dest) else (os.path.dirname(dest) or ".")
            if not os.path.isdir(folder):
                self.cm.fail(f"Option dest: the directory {folder} does not exist. Nothing was sent to the rack.")

    # -- reading -----------------------------------------------------------------------------

    def local_data(self) -> bytes:
        params = self.params
        if params.get("content") is not None:
            return str(params["content"]).encode("utf-8", "surrogateescape")
        try:
            with open(params["src"], "rb") as handle:
                return handle.read()
        except OSError as exc:
            self.cm.fail(f"Could not read src {params['src']}: {exc.strerror or exc}. Nothing was sent to the rack.")
            return b""  # pragma: no cover - fail() does not return

    def dest_file(self) -> str:
        dest = str(self.params["dest"])
        if os.path.isdir(dest):
            return os.path.join(dest, os.path.basename(self.params["path"].rstrip("/")))
        return dest

    def remote(self, pid: str) -> Tuple[Optional[bytes], Optional[int]]:
        """The file in the process (content, mode), ``(None, None)`` when it is not there."""
        app, path = self.params["app"], self.params["path"]
        self.cm.set_context("read", f"{path} in process {pid} of app {app}")
        archive = self.client.processes.files_download(app, pid, path)
        try:
            data = archive_file(archive, path)
        except ConvoxError as exc:
            self.cm.fail(f"Could not read {path} in process {pid} of app {app}: {exc}. Nothing was changed.")
            return None, None  # pragma: no cover - fail() does not return
        if data is None:
            return None, None
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as opened:
            modes = [m.mode & 0o7777 for m in opened.getmembers() if m.name.lstrip("/") == path.lstrip("/")]
        return data, (modes[0] if modes else None)

    def prepare(self) -> Dict[str, Any]:
        found = target.find_running(self)
        prepared: Dict[str, Any] = {"path": self.params["path"], "direction": self.direction}
        if found is None:  # check mode: the app or its processes do not exist yet
            prepared.update(process_id=None, remote=None, remote_mode=None)
            return prepared
        pid = str(found["id"])
        data, mode = self.remote(pid)
        prepared.update(process_id=pid, remote=data, remote_mode=mode)
        return prepared

    # -- acting ------------------------------------------------------------------------------

    def predict(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        return self.act(prepared, dry=True)

    def perform(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        return self.act(prepared, dry=False)

    def act(self, prepared: Dict[str, Any], dry: bool) -> Dict[str, Any]:
        direction = prepared["direction"]
        if direction == "remove":
            return self.remove(prepared, dry)
        if direction == "from_process":
            return self.download(prepared, dry)
        return self.upload(prepared, dry)

    def result(
        self, prepared: Dict[str, Any], data: Optional[bytes], changed: bool, diff: Dict[str, Any]
    ) -> Dict[str, Any]:
        result = {k: v for k, v in prepared.items() if k in ("path", "direction") or (k == "process_id" and v)}
        result.update(changed=changed, checksum=_checksum(data), size=len(data) if data is not None else 0, diff=diff)
        return result

    def upload(self, prepared: Dict[str, Any], dry: bool) -> Dict[str, Any]:
        params = self.params
        data = self.local_data()
        wanted_mode = int(params["mode"], 8) if params.get("mode") else None
        current, current_mode = prepared["remote"], prepared["remote_mode"]
        same = current is not None and _checksum(current) == _checksum(data)
        if same and wanted_mode is not None and current_mode is not None:
            same = wanted_mode == current_mode
        show = bool(params["diff_content"])
        path = params["path"]
        after_mode = wanted_mode if wanted_mode is not None else (current_mode if same else 0o644)
        diff = self.cm.diff(_summary(path, current, current_mode, show), _summary(path, data, after_mode, show))
        if same:
            return self.result(prepared, data, False, diff)
        if not dry:
            pid = prepared["process_id"]
            self.cm.set_context("write", f"{path} in process {pid} of app {params['app']}")
            self.client.processes.files_upload(params["app"], pid, {path: data}, mode=after_mode)
        return self.result(prepared, data, True, diff)

    def download(self, prepared: Dict[str, Any], dry: bool) -> Dict[str, Any]:
        params = self.params
        path, current = params["path"], prepared["remote"]
        local = self.dest_file()
        if current is None:
            if prepared["process_id"] is None:  # check mode, nothing deployed yet: no prediction possible
                result = self.result(prepared, None, True, self.cm.diff({}, {}))
                result["dest"] = local
                return result
            self.cm.fail(
                f"There is no file {path} in process {prepared['process_id']} of app {params['app']}. "
                "Nothing was written.",
                path=path,
                process_id=prepared["process_id"],
            )
        existing: Optional[bytes] = None
        existing_mode: Optional[int] = None
        if os.path.isfile(local):
            with open(local, "rb") as handle:
                existing = handle.read()
            existing_mode = stat.S_IMODE(os.stat(local).st_mode)
        wanted_mode = int(params["mode"], 8) if params.get("mode") else None
        same = existing is not None and _checksum(existing) == _checksum(current)
        mode_change = wanted_mode is not None and existing_mode != wanted_mode
        show = bool(params["diff_content"])
        diff = self.cm.diff(
            _summary(local, existing, existing_mode, show),
            _summary(local, current, wanted_mode if wanted_mode is not None else existing_mode, show),
        )
        changed = not same or mode_change
        if changed and not dry:
            if same:
                os.chmod(local, wanted_mode or 0)
            else:
                self.write_local(local, current or b"", wanted_mode if wanted_mode is not None else existing_mode)
        result = self.result(prepared, current, changed, diff)
        result["dest"] = local
        return result

    def write_local(self, local: str, data: bytes, mode: Optional[int]) -> None:
        folder = os.path.dirname(os.path.abspath(local))
        handle, temp = tempfile.mkstemp(prefix=".convox_copy.", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            if mode is not None:
                os.chmod(temp, mode)
            else:
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, local)
        except OSError as exc:
            if os.path.exists(temp):
                os.unlink(temp)
            self.cm.fail(f"Could not write dest {local}: {exc.strerror or exc}.")

    def remove(self, prepared: Dict[str, Any], dry: bool) -> Dict[str, Any]:
        params = self.params
        path, current = params["path"], prepared["remote"]
        show = bool(params["diff_content"])
        diff = self.cm.diff(_summary(path, current, prepared["remote_mode"], show), {})
        if current is None:
            return self.result(prepared, None, False, diff)
        if not dry:
            pid = prepared["process_id"]
            self.cm.set_context("remove", f"{path} in process {pid} of app {params['app']}")
            self.client.processes.files_delete(params["app"], pid, [path])
        return self.result(prepared, None, True, diff)


def main() -> None:
    Copy.main()


if __name__ == "__main__":
    main()
