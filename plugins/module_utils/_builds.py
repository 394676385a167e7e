# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue: builds and promotes as the modules do them (convox_build, convox_deploy, convox_env, convox_release).

Not a public API. What does not need a task (fingerprints, finding a build again, reading an
export's manifest) is in the client, ``resources/builds.py``; this file adds the parts that
read a task's options and report through its context, in the steps of an ``ActionTask``:
``check_source`` (``validate``), ``plan_build`` (``prepare``: GET only), then ``start_build``
(``perform``) or ``predict_build`` (``predict``); ``promote`` for every module that promotes.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, ClassVar, Dict, Optional

from ansible_collections.convox.convox.plugins.module_utils import _checks, waits
from ansible_collections.convox.convox.plugins.module_utils import errors as _errors
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
PROMOTE_ATTEMPTS = 4  # a promote refused with 403 "app is currently updating" is tried again after the app settles
BUILD_MODULE_OPTIONS: Dict[str, Any] = {
    "mutually_exclusive": [("path", "url", "import")],
    "required_one_of": [("path", "url", "import")],
}


# The build-source options' checks (docs/input-checks.md): a URL the rack can fetch, build
# arguments as KEY=VALUE pairs (a name holding '=' would be split at it).
BUILD_CHECKS: Dict[str, Any] = {
    "path": [_checks.text(_checks.MAX_PATH, required=True)],
    "import": [_checks.text(_checks.MAX_PATH, required=True)],
    "url": [_checks.url("http", "https", "object")],
    "build_args": [_checks.string_map(name_what="build argument name", max_value=_checks.MAX_PATH)],
}


def check_source(cm: ConvoxModule) -> None:
    """Refuse a ``path`` that cannot be built (no directory, no manifest) before any request."""
    path = cm.params.get("path")
    if not path:
        return
    if not os.path.isdir(path):
        cm.fail(f"path {path} is not a directory; give the directory that holds convox.yml.")
    manifest = cm.params.get("manifest") or "convox.yml"
    if not os.path.isfile(os.path.join(path, manifest)):
        cm.fail(f"{manifest} not found in {path}; give the app's directory or set manifest.")


class BuildSource:
    """Where a build comes from (``path``, ``url`` or ``import``) and its fingerprint."""

    def __init__(self, kind: str, value: str, data: Optional[bytes], sha256: str) -> None:
        self.kind = kind
        self.value = value
        self.data = data
        self.sha256 = sha256

    @classmethod
    def from_params(cls, cm: ConvoxModule) -> BuildSource:
        """The source in the task's params (``check_source`` has vetted a ``path``)."""
        params = cm.params
        if params.get("path"):
            path = params["path"]
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
        for attempt in range(PROMOTE_ATTEMPTS):
            try:
                cm.client.releases.promote(app, release_id, force=force, wait=cm.wait, timeout=cm.wait_timeout)
                break
            except _errors.ConvoxAPIError as exc:
                # another promote started between the running check and ours: let it settle, try again
                if "currently updating" not in str(exc).lower() or attempt + 1 >= PROMOTE_ATTEMPTS:
                    raise
                waits.wait_app_running(cm.client, app, fail_on_rollback=False, timeout=cm.wait_timeout)
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
    """What a build step did (or would do): the build as a result dict, whether it is new, its token."""

    def __init__(self, changed: bool, build: Dict[str, Any], fingerprint: str, before_id: str) -> None:
        self.changed = changed
        self.build = build
        self.fingerprint = fingerprint
        self.before_id = before_id


class BuildPlan:
    """What ``plan_build`` read: the source, its fingerprint token, the build that already has it."""

    def __init__(self, app: str, source: BuildSource, token: str, existing: Any, description: str) -> None:
        self.app = app
        self.source = source
        self.token = token
        self.existing = existing
        self.description = description
        self.import_description = self.import_manifest = ""
        if source.kind == "import":
            self.import_description, self.import_manifest = _builds.import_manifest(source.data or b"")

    def reused(self, build: Any) -> BuildOutcome:
        found = build_view(build)
        return BuildOutcome(False, found, self.token, found.get("id", ""))


def plan_build(cm: ConvoxModule, app: str, lookback: int = 20) -> BuildPlan:
    """Read the source in the task's params and find a build of it (GET only).

    Reads ``path``/``url``/``import``, ``manifest``, ``description``, ``build_args``,
    ``development`` and ``force`` from ``cm.params``.
    """
    params = cm.params
    source = BuildSource.from_params(cm)
    if source.kind == "import":
        token = _builds.FINGERPRINT_PREFIX + source.sha256
    else:
        result_options = {key: params.get(key) for key in ("manifest", "build_args", "development")}
        token = _builds.build_fingerprint(source.sha256, result_options)
    description = _builds.describe_build(params.get("description"), token)
    plan = BuildPlan(app, source, token, None, description)
    cm.set_context("list the builds of", f"app {app}")
    builds = cm.parent(lambda: cm.client.builds.list(app, limit=lookback), "app", app, missing=[])
    if not params.get("force"):
        if source.kind == "import":
            plan.existing = _builds.find_import(builds, plan.import_description, plan.import_manifest)
        else:
            plan.existing = _builds.find_build(builds, token)
    return plan


def predict_build(plan: BuildPlan, wait: bool = True) -> BuildOutcome:
    """The build a check-mode run reports: the one found, or a predicted new one."""
    if plan.existing is not None:
        return plan.reused(plan.existing)
    finished = wait or plan.source.kind == "import"
    predicted = {
        "id": NEW_BUILD,
        "app": plan.app,
        "status": "complete" if finished else "running",
        "description": plan.import_description if plan.source.kind == "import" else plan.description,
        "release": NEW_RELEASE if finished else "",
        "manifest": plan.import_manifest,
    }
    return BuildOutcome(True, predicted, plan.token, "")


def start_build(cm: ConvoxModule, plan: BuildPlan, wait: bool = True) -> BuildOutcome:
    """Reuse the build found (waiting for it with ``wait``) or start one: upload, build, wait."""
    app, source, params, client = plan.app, plan.source, cm.params, cm.client
    if plan.existing is not None:
        existing = plan.existing
        if getattr(existing, "status", "") != "complete" and wait:
            existing = wait_build(cm, app, existing)
        return plan.reused(existing)
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
            description=plan.description,
            manifest=params.get("manifest") or None,
            build_args=normalize_scalar(params.get("build_args")) or None,
            no_cache=bool(params.get("no_cache")),
            development=bool(params.get("development")),
        )
    if wait and getattr(build, "status", "") != "complete":
        build = wait_build(cm, app, build)
    return BuildOutcome(True, build_view(build), plan.token, "")


class BuildSteps:
    """What ``convox_build`` and ``convox_deploy`` share, mixed in before ``ActionTask``
    (``class Build(BuildSteps, ActionTask)``): the build-source options, the app as identity,
    the source checked in ``validate`` and the build planned (GET only) in ``prepare``."""

    cm: ConvoxModule
    options: ClassVar[Dict[str, Any]] = BUILD_OPTIONS
    wait_options: ClassVar[bool] = True
    module_options: ClassVar[Dict[str, Any]] = BUILD_MODULE_OPTIONS
    kind: ClassVar[str] = "app"
    checks: ClassVar[Dict[str, Any]] = BUILD_CHECKS

    def identity(self) -> str:
        return str(self.cm.params["app"])

    def validate(self) -> None:
        check_source(self.cm)

    def prepare(self) -> BuildPlan:
        return plan_build(self.cm, self.identity())
