# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue: builds and promotes as the modules do them (convox_build, convox_deploy, convox_env, convox_release).

Not a public API. What does not need a task (fingerprints, finding a build again, reading an
export's manifest) is in the client, ``resources/builds.py``; this file adds the parts that
read a task's options and report through its context.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils import errors as _errors
from ansible_collections.convox.convox.plugins.module_utils import waits
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule
from ansible_collections.convox.convox.plugins.module_utils._views import NEW_BUILD, NEW_RELEASE, build_view
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id, normalize_scalar
from ansible_collections.convox.convox.plugins.module_utils.resources import builds as _builds

# The option spec of a build source, shared by convox_build and convox_deploy.
BUILD_OPTIONS: Dict[str, Dict[str, Any]] = {
    "app": {"type": "str", "required": True},
    "path": {"type": "path"},
    "url": {"type": "str"},
    "import": {"type": "path"},
    "manifest": {"type": "str"},
    "description": {"type": "str"},
    "build_args": {"type": "dict"},
    "no_cache": {"type": "bool", "default": False},
    "development": {"type": "bool", "default": False},
    "force": {"type": "bool", "default": False},
}
BUILD_MODULE_OPTIONS: Dict[str, Any] = {
    "mutually_exclusive": [("path", "url", "import")],
    "required_one_of": [("path", "url", "import")],
}


class BuildSource:
    """Where a build comes from (``path``, ``url`` or ``import``) and its fingerprint."""

    def __init__(self, kind: str, value: str, data: Optional[bytes], sha256: str) -> None:
        self.kind = kind
        self.value = value
        self.data = data
        self.sha256 = sha256

    @classmethod
    def from_params(cls, cm: ConvoxModule) -> BuildSource:
        params = cm.params
        if params.get("path"):
            path = params["path"]
            if not os.path.isdir(path):
                cm.fail(f"path {path} is not a directory; give the directory that holds convox.yml.")
            manifest = params.get("manifest") or "convox.yml"
            if not os.path.isfile(os.path.join(path, manifest)):
                cm.fail(f"{manifest} not found in {path}; give the app's directory or set manifest.")
            try:
                data, sha = cm.client.builds.source_archive(path)
            except OSError as exc:
                cm.fail(f"Could not read the build source at {path}: {exc.strerror or exc}")
            return cls("path", path, data, sha)
        if params.get("import"):
            path = params["import"]
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                cm.fail(f"Could not read the build export {path}: {exc.strerror or exc}")
            return cls("import", path, data, hashlib.sha256(data).hexdigest())
        url = str(params.get("url") or "")
        return cls("url", url, None, hashlib.sha256(url.encode("utf-8")).hexdigest())


def wait_build(cm: ConvoxModule, app: str, build: Any) -> Any:
    """Wait for ``build`` to finish; a failed build fails the task with its id and last log lines."""
    build_id = normalize_id(getattr(build, "id", ""))
    cm.set_context("wait for build", f"{build_id} of app {app}")
    finished = waits.wait_build_finished(cm.client, app, build_id, timeout=cm.wait_timeout)
    if getattr(finished, "status", "") == "failed":
        raise _errors.ConvoxBuildFailedError(build_id, build_log_tail(cm, app, build_id))
    return finished


def build_log_tail(cm: ConvoxModule, app: str, build_id: str, lines: int = 20) -> str:
    try:
        text = cm.client.builds.logs(app, build_id)
    except _errors.ConvoxError:
        return ""
    return "\n".join(str(text or "").rstrip().splitlines()[-lines:])


def promote(cm: ConvoxModule, app: str, release_id: str, force: bool = False) -> None:
    """Promote ``release_id``; with ``wait``, a rollback fails the task naming both releases."""
    cm.set_context("promote", f"release {release_id} of app {app}")
    try:
        cm.client.releases.promote(app, release_id, force=force, wait=cm.wait, timeout=cm.wait_timeout)
    except _errors.ConvoxRollbackError as exc:
        active = getattr(exc, "active_release", None)
        if not active:
            # Seen while the rack was still rolling back: let it settle to name the release that runs now.
            try:
                settled = waits.wait_app_running(cm.client, app, fail_on_rollback=False, timeout=cm.wait_timeout)
                active = normalize_id(getattr(settled, "release", "")) or None
            except _errors.ConvoxError:
                active = None
        if active and not getattr(exc, "active_release", None):
            raise _errors.ConvoxRollbackError(normalize_id(release_id), active) from None
        raise


class BuildOutcome:
    """What ``ensure_build`` did: the build as a result dict, whether it is new, its token."""

    def __init__(self, changed: bool, build: Dict[str, Any], fingerprint: str, before_id: str) -> None:
        self.changed = changed
        self.build = build
        self.fingerprint = fingerprint
        self.before_id = before_id


def ensure_build(cm: ConvoxModule, app: str, wait: bool = True, lookback: int = 20) -> BuildOutcome:
    """Find a build of the source in the task's params, or start one (GET only in check mode).

    Reads ``path``/``url``/``import``, ``manifest``, ``description``, ``build_args``,
    ``no_cache``, ``development`` and ``force`` from ``cm.params``.
    """
    params = cm.params
    source = BuildSource.from_params(cm)
    result_options = {
        "manifest": params.get("manifest"),
        "build_args": params.get("build_args"),
        "development": params.get("development"),
    }
    import_description = import_manifest_text = ""
    if source.kind == "import":
        import_description, import_manifest_text = _builds.import_manifest(source.data or b"")
        token = _builds.FINGERPRINT_PREFIX + source.sha256
    else:
        token = _builds.build_fingerprint(source.sha256, result_options)
    client = cm.client
    cm.set_context("list the builds of", f"app {app}")
    builds = client.builds.list(app, limit=lookback)
    existing = None
    if not params.get("force"):
        if source.kind == "import":
            existing = _builds.find_import(builds, import_description, import_manifest_text)
        else:
            existing = _builds.find_build(builds, token)
    if existing is not None:
        if getattr(existing, "status", "") != "complete" and wait and not cm.check_mode:
            existing = wait_build(cm, app, existing)
        found = build_view(existing)
        return BuildOutcome(False, found, token, found.get("id", ""))
    description = _builds.describe_build(params.get("description"), token)
    if cm.check_mode:
        predicted = {
            "id": NEW_BUILD,
            "app": app,
            "status": "complete" if wait or source.kind == "import" else "running",
            "description": import_description if source.kind == "import" else description,
            "release": NEW_RELEASE if wait or source.kind == "import" else "",
            "manifest": import_manifest_text,
        }
        return BuildOutcome(True, predicted, token, "")
    if source.kind == "import":
        cm.set_context("import a build into", f"app {app}")
        build = client.builds.import_build(app, source.data)
    else:
        url = source.value
        if source.kind == "path":
            cm.set_context("upload the source of", f"app {app}")
            # Same source, same key: a retried or re-run upload overwrites instead of piling up.
            url = client.objects.store(app, f"tmp/{source.sha256[:30]}.tgz", source.data)
        cm.set_context("start a build of", f"app {app}")
        build = client.builds.create(
            app,
            url,
            description=description,
            manifest=params.get("manifest") or None,
            build_args=normalize_scalar(params.get("build_args")) or None,
            no_cache=bool(params.get("no_cache")),
            development=bool(params.get("development")),
        )
    if wait and getattr(build, "status", "") != "complete":
        build = wait_build(cm, app, build)
    return BuildOutcome(True, build_view(build), token, "")
