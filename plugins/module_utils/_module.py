# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private Ansible glue shared by every convox.convox module.

Not a public API: names here may change between releases. Custom plugins should use
``plugins/module_utils/client.py`` instead.

What lives here, once for all modules:

* ``COMMON_ARGUMENT_SPEC`` / ``WAIT_ARGUMENT_SPEC``: connection and wait options;
* ``ConvoxModule``: an ``AnsibleModule`` wrapper that builds the client lazily, reports a
  missing library with ``missing_required_lib``, turns every ``ConvoxError`` into
  ``fail_json`` (``msg`` + ``failure`` dict, no traceback, no secret) and carries the
  diff and check-mode helpers (``skip``) and ``poll`` for waits the client has no lifecycle for;
* ``DeclarativeResource``: read -> desired -> compare -> create/update/delete, with the
  predicted result in check mode and a diff in diff mode;
* normalisation helpers used before any comparison (ids, env, scalar values);
* ``is_v3_refusal`` and ``rack_generation``: how a module tells what a rack does not have.

httpx is only imported when the client is first used, so a module pays for it only when it
talks to the rack; the client answers with records (``_records``), so pydantic is imported only
if the rack sends an answer a record cannot take as is.
"""

from __future__ import annotations

import copy
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

# errors.py is standard library only, so importing it costs nothing measurable.
from ansible_collections.convox.convox.plugins.module_utils import errors as _errors

COMMON_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "host": {"type": "str", "fallback": (env_fallback, ["CONVOX_HOST"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["CONVOX_PASSWORD"])},
    "rack": {"type": "str", "fallback": (env_fallback, ["CONVOX_RACK"])},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "float"},
}

WAIT_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}

# Placeholders used in predicted (check mode) results for ids the rack has not chosen yet.
NEW_RELEASE = "(new release)"
NEW_BUILD = "(new build)"

# What a secret looks like in diffs and results.
HIDDEN = "<hidden>"

# First pause of ConvoxModule.poll (it doubles up to the caller's max_delay).
POLL_FIRST_DELAY = 0.25


# ---------------------------------------------------------------------------
# Normalisation: both sides of every comparison go through these first.


def normalize_id(value: Any) -> str:
    """Build and release ids: the rack accepts any case and answers upper-case."""
    if value is None:
        return ""
    return str(value).strip().upper()


def normalize_scalar(value: Any) -> Any:
    """Make values the rack stores as strings comparable with what a user writes.

    ``1``, ``"1"`` and ``1.0`` compare equal; booleans become ``"true"``/``"false"``
    (the wire form); ``None`` stays ``None``; containers are normalised recursively.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): normalize_scalar(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_scalar(v) for v in value]
    return str(value)


def parse_env(value: Any) -> Dict[str, str]:
    """An environment as a plain dict of strings.

    Accepts the rack's text form (``KEY=VALUE`` lines), a list of ``KEY=VALUE`` strings
    (read as the lines of that text) or a mapping. Text and lists are read by the client's
    ``resources.environment.parse_env``, which holds the rack's encoding rules
    (convox-api.md 6.4); a mapping only has its keys trimmed (empty ones dropped) and its
    values made strings the way the rack stores them (``normalize_scalar``, ``None`` -> ``""``).
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        result: Dict[str, str] = {}
        for key, val in value.items():
            key = str(key).strip()
            if key:
                result[key] = "" if val is None else str(normalize_scalar(val))
        return result
    from ansible_collections.convox.convox.plugins.module_utils.resources import environment

    text = value if isinstance(value, str) else "\n".join(str(item) for item in value)
    parsed: Dict[str, str] = environment.parse_env(text)
    return parsed


def format_env(env: Mapping[str, str]) -> str:
    """The rack's text form of an environment (the client's ``format_env``: sorted lines, no trailing newline)."""
    from ansible_collections.convox.convox.plugins.module_utils.resources import environment

    text: str = environment.format_env(env)
    return text


def env_changes(current: Mapping[str, str], desired: Mapping[str, str]) -> Dict[str, List[str]]:
    """Sorted key lists: ``added``, ``changed``, ``removed`` going from current to desired."""
    return {
        "added": sorted(k for k in desired if k not in current),
        "changed": sorted(k for k in desired if k in current and current[k] != desired[k]),
        "removed": sorted(k for k in current if k not in desired),
    }


def mask_env(env: Mapping[str, Any], show_values: bool = False) -> Dict[str, Any]:
    """An environment fit for output: values replaced by ``HIDDEN`` unless asked for."""
    if show_values:
        return dict(env)
    return dict.fromkeys(env, HIDDEN)


def env_diff(
    current: Mapping[str, str], desired: Mapping[str, str], show_values: bool = False
) -> Tuple[Dict[str, str], Dict[str, str]]:
    """``before``/``after`` views of an environment change that never carry a value.

    Each key shows whether it was added, changed or removed, so a diff reads
    ``FOO: <hidden>`` -> ``FOO: <hidden> (changed)``. With ``show_values`` the real
    values are shown instead.
    """
    if show_values:
        return dict(current), dict(desired)
    changes = env_changes(current, desired)
    before = dict.fromkeys(current, HIDDEN)
    after: Dict[str, str] = {}
    for key in desired:
        if key in changes["added"]:
            after[key] = HIDDEN + " (added)"
        elif key in changes["changed"]:
            after[key] = HIDDEN + " (changed)"
        else:
            after[key] = HIDDEN
    for key in changes["removed"]:
        before[key] = HIDDEN + " (removed)"
    return before, after


def compare_subset(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> Dict[str, Tuple[Any, Any]]:
    """What differs, looking only at the keys in ``desired`` whose value is not ``None``.

    Nested mappings are compared key by key the same way (only the keys the user gave),
    after ``normalize_scalar`` on both sides. Returns ``{key: (current, desired)}``.
    """
    current = current or {}
    differences: Dict[str, Tuple[Any, Any]] = {}
    for key, want in desired.items():
        if want is None:
            continue
        have = current.get(key)
        if isinstance(want, Mapping):
            have_map = have if isinstance(have, Mapping) else {}
            sub = compare_subset(have_map, want)
            if sub:
                differences[key] = ({k: have_map.get(k) for k in sub}, {k: want[k] for k in sub})
            continue
        if normalize_scalar(have) != normalize_scalar(want):
            differences[key] = (have, want)
    return differences


def merge_desired(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> Dict[str, Any]:
    """``current`` with the user's values laid over it (nested mappings merged)."""
    result: Dict[str, Any] = copy.deepcopy(dict(current or {}))
    for key, want in desired.items():
        if want is None:
            continue
        if isinstance(want, Mapping) and isinstance(result.get(key), Mapping):
            merged = dict(result[key])
            merged.update(want)
            result[key] = merged
        else:
            result[key] = copy.deepcopy(want)
    return result


def to_plain(obj: Any) -> Any:
    """Models (or lists of them) from the client as JSON-ready dicts with snake_case keys."""
    if obj is None:
        return None
    if isinstance(obj, (list, tuple)):
        return [to_plain(item) for item in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if callable(getattr(type(obj), "to_result", None)):  # models, records, RunResult, EnvPlan
        return obj.to_result()
    return obj


# ---------------------------------------------------------------------------
# Errors -> fail_json


def _error_class(name: str) -> Any:
    cls = getattr(_errors, name, None)
    return cls if isinstance(cls, type) else ()


def _hint_for(error: BaseException) -> str:
    """What the user can do about a failure, by failure kind."""
    message = str(getattr(error, "message", "") or error).lower()
    if isinstance(error, _error_class("ConvoxAuthError")):
        return "Check the password (option password or CONVOX_PASSWORD) and the rack address."
    if isinstance(error, _error_class("ConvoxRollbackError")):
        return "Check the app's logs (convox logs) and fix the release, then run the task again."
    if isinstance(error, _error_class("ConvoxBuildFailedError")):
        return "Fix the build (see its last log lines below) and run the task again."
    if isinstance(error, _error_class("ConvoxTimeoutError")):
        return "The rack keeps working; raise wait_timeout (or timeout) or check the rack, then run the task again."
    if isinstance(error, _error_class("ConvoxConnectionError")):
        return "Check that the rack is reachable at the configured host (option host or CONVOX_HOST) and retry."
    if isinstance(error, _error_class("ConvoxInputError")):
        return "Correct the task's options."
    if "is locked" in message:
        return "Unlock it first (lock: false) or leave it in place."
    if "currently updating" in message:
        return "Wait for the running deployment to finish, or set force: true."
    if isinstance(error, _error_class("ConvoxNotFoundError")):
        return "Check the name or id, and that it exists on this rack."
    if isinstance(error, _error_class("ConvoxForbiddenError")):
        if "admin" in message:  # convox-api.md 2.2: "admin role required ..."
            return "This needs the admin role: use the rack password or an admin token."
        return "The credentials lack the role this needs; use a password or token with write access."
    if isinstance(error, _error_class("ConvoxValidationError")):
        return "Correct the task's options."
    if isinstance(error, _error_class("ConvoxConflictError")):
        return "The rack's state conflicts with the request; check it and run the task again."
    if isinstance(error, _error_class("ConvoxNotImplementedError")):
        return "This rack version does not support the operation."
    return "Check the rack (convox rack, convox apps) and run the task again; a re-run converges."


def failure_details(error: BaseException) -> Dict[str, Any]:
    """The ``failure`` dict of a failed task: rack status, message and Request-Id."""
    details: Dict[str, Any] = {
        "kind": type(error).__name__,
        "status": getattr(error, "status_code", None),
        "message": str(getattr(error, "message", None) or error),
        "request_id": getattr(error, "request_id", None),
    }
    for attr in ("method", "path", "release", "active_release", "build_id", "field"):
        value = getattr(error, attr, None)
        if value is not None:
            details[attr] = value
    log_tail = getattr(error, "log_tail", None)
    if log_tail:
        details["log_tail"] = log_tail
    return details


def upper_first(text: str) -> str:
    """``text`` with its first letter upper-cased (``str.capitalize`` would lower the rest)."""
    return text[:1].upper() + text[1:]


def rack_generation(client: Any) -> Tuple[Optional[int], str]:
    """``(3, version)`` for a v3 rack (``3.24.9``), ``(2, version)`` for a v2 rack (a timestamp).

    ``(None, version)`` when the version says neither. One ``GET /system``; modules use it
    to refuse, before any write, what a v3 rack would refuse (convox-api.md section 8).
    """
    version = str(getattr(client.system.get(), "version", "") or "")
    if re.fullmatch(r"\d{8,}", version):
        return 2, version
    major = version.split(".", 1)[0]
    if major.isdigit() and "." in version:
        return (3 if int(major) >= 3 else 2), version
    return None, version


# What a rack's refusal of an operation it does not have says: v3 racks answer 501 since 3.24.1
# and 500 with the same text before (convox-api.md 3.2 and 3.3).
REFUSAL_TEXTS = ("unimplemented", "is unavailable", "not supported", "doesn't support")


def is_v3_refusal(error: BaseException) -> bool:
    """Whether ``error`` is the rack saying it does not have the operation (not a failure of it).

    A 501, or a 500 whose message says so (``unimplemented``, ``release history is
    unavailable``, ``direct rack doesn't support update``...), as racks before 3.24.1 answer.
    """
    status = getattr(error, "status_code", None)
    if isinstance(error, _error_class("ConvoxNotImplementedError")) or status == 501:
        return True
    if status != 500:
        return False
    message = str(getattr(error, "message", "") or "").lower()
    return any(text in message for text in REFUSAL_TEXTS)


# ---------------------------------------------------------------------------
# The module wrapper


class ConvoxModule:
    """An AnsibleModule with the connection options, a lazy client and error reporting.

    ``argument_spec`` is the module's own options; the connection options (and, with
    ``wait=True``, ``wait``/``wait_timeout``) are merged in. Other keyword arguments go to
    ``AnsibleModule``. Check mode is always supported.
    """

    def __init__(self, argument_spec: Dict[str, Any], *, wait: bool = False, **kwargs: Any) -> None:
        spec: Dict[str, Any] = copy.deepcopy(COMMON_ARGUMENT_SPEC)
        if wait:
            spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params: Dict[str, Any] = self.module.params
        self._client: Any = None
        self._context = ""
        self.warnings: List[str] = []

    # -- properties -------------------------------------------------------

    @property
    def check_mode(self) -> bool:
        return bool(self.module.check_mode)

    @property
    def diff_mode(self) -> bool:
        return bool(getattr(self.module, "_diff", False))

    @property
    def wait(self) -> bool:
        return bool(self.params.get("wait", False))

    @property
    def wait_timeout(self) -> int:
        value = self.params.get("wait_timeout")
        return 600 if value is None else int(value)

    @property
    def rack_label(self) -> str:
        """How the rack is named in messages (never with credentials)."""
        rack = self.params.get("rack")
        if self._client is not None:
            rack = getattr(self._client, "rack", None) or rack
            host = getattr(self._client, "host", None)
        else:
            host = self.params.get("host")
        if rack:
            return f"rack {rack}"
        if host:
            return f"rack at {_strip_credentials(str(host))}"
        return "the rack"

    # -- the client ---------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ConvoxClient, built on first use (and only then imported)."""
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _build_client(self) -> Any:
        # httpx imports its command-line interface (rich, click, pygments: over 100 ms) whenever
        # those happen to be installed; a module never uses it, and httpx copes with its absence.
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
        # pydantic looks for plugins (observability hooks) by scanning every installed package's
        # metadata on first use; a module has none to load. An explicit setting is kept.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        try:
            from ansible_collections.convox.convox.plugins.module_utils import client as client_module
        except ImportError as exc:  # the collection itself is incomplete
            self.module.fail_json(msg=f"The convox.convox client could not be imported: {exc}")
        missing = client_module.missing_dependency() if not client_module.HAS_DEPENDENCIES else None
        if missing:
            name, trace = missing
            self.module.fail_json(msg=missing_required_lib(name), exception=trace)
        params = self.params
        options: Dict[str, Any] = {
            "host": params.get("host") or None,
            "password": params.get("password") or None,
            "rack": params.get("rack") or None,
            "verify": params.get("validate_certs", True),
            "ca_path": params.get("ca_path") or None,
        }
        if str(options["host"] or "").lower().startswith("http://"):
            # Plain HTTP (no redirects are followed) never reaches TLS: skip loading the CA bundle,
            # which costs a module a few hundred milliseconds.
            options["verify"] = False
        if params.get("timeout") is not None:
            options["timeout"] = float(params["timeout"])
        # Records instead of pydantic models: a module only reads attributes and results, and
        # importing pydantic and building schemas would cost each task about a quarter second.
        options["records"] = True
        try:
            return client_module.ConvoxClient(**options)
        except Exception as exc:  # reported through fail_json, never as a traceback
            self.fail_error(exc, "", prefix=f"Could not connect to {self.rack_label}")
        return None  # pragma: no cover - fail_error does not return

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # closing must never hide the real result
                pass
            self._client = None

    # -- results ----------------------------------------------------------

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def exit(self, changed: bool, diff: Optional[Dict[str, Any]] = None, **result: Any) -> None:
        """exit_json with ``changed`` and, in diff mode, ``diff``."""
        self.close()
        if diff is not None and self.diff_mode:
            result["diff"] = diff
        self.module.exit_json(changed=bool(changed), **result)

    def skip(self, msg: str, **result: Any) -> None:
        """End the task as skipped: ``changed: false``, ``skipped: true`` and ``msg``.

        For work that cannot be predicted in check mode (a command that would run), once the
        task has checked with GET requests what it can.
        """
        self.exit(False, skipped=True, msg=msg, **result)

    def fail(self, msg: str, **result: Any) -> None:
        self.close()
        self.module.fail_json(msg=msg, **result)

    def fail_error(self, error: BaseException, action: str, target: str = "", prefix: str = "", **result: Any) -> None:
        """Report ``error`` while doing ``action`` on ``target``: message, hint, failure dict."""
        what = f"{action} {target}".strip()
        prefix = prefix or f"Could not {what} on {self.rack_label}"
        reason = str(getattr(error, "message", None) or error).strip() or type(error).__name__
        log_tail = getattr(error, "log_tail", None)
        if log_tail:
            reason = reason.splitlines()[0].rstrip(":")  # the log follows once, at the end
        msg = f"{prefix}: {reason.rstrip('.')}. {_hint_for(error)}"
        if log_tail:
            msg += f" Last build log lines:\n{log_tail}"
        self.fail(msg, failure=failure_details(error), **result)

    def run(self, func: Callable[[], None], action: str = "manage", target: str = "") -> None:
        """Run ``func`` (which ends with ``exit``/``fail``), turning rack errors into ``fail_json``.

        ``action`` and ``target`` name what the module does in the failure message
        (e.g. ``"update"``, ``"app myapp"``); ``set_context`` refines them on the way.
        """
        self._context = f"{action} {target}".strip()
        base = _error_class("ConvoxError") or Exception
        try:
            func()
        except base as exc:
            self.fail_error(exc, self._context)
        finally:
            self.close()

    def set_context(self, action: str, target: str = "") -> None:
        """What the module is doing right now, for failure messages."""
        self._context = f"{action} {target}".strip()

    # -- helpers ------------------------------------------------------------

    def service_of(self, app: str, service: str, instead: str, **result: Any) -> Dict[str, Any]:
        """The service ``service`` of ``app`` as the rack lists it (one ``GET``).

        A missing service fails the task naming the app's services, then ``instead`` (what to
        do about it); ``result`` goes into the failed result.
        """
        services = to_plain(self.client.services.list(app)) or []
        for entry in services:
            if entry.get("name") == service:
                return dict(entry)
        known = ", ".join(sorted(str(s.get("name")) for s in services)) or "none"
        self.fail(
            f"App {app} has no service {service} on {self.rack_label} (its services: {known}). {instead}",
            failure={"kind": "ServiceNotFound", "app": app, "service": service},
            **result,
        )
        return {}  # pragma: no cover - fail() does not return

    def poll(
        self,
        probe: Callable[[], Tuple[bool, Any]],
        what: str,
        *,
        hint: str = "check the rack",
        max_delay: float = 5.0,
        on_timeout: Optional[Callable[[Any], None]] = None,
    ) -> Any:
        """Call ``probe`` until it answers ``(True, value)``; return that value.

        For waits the client's ``waits`` module has no lifecycle for. Reads start 0.25 s apart
        and back off to ``max_delay``; time and sleep are ``waits.monotonic``/``waits.sleep``,
        so tests can fake them. When ``wait_timeout`` runs out, ``on_timeout(last value)``
        fails the task if given, else the task fails with ``Timed out after N seconds waiting
        for <what> on <rack>. The rack keeps working; raise wait_timeout or <hint>.`` The
        caller decides on ``wait`` (this always waits).
        """
        from ansible_collections.convox.convox.plugins.module_utils import waits

        timeout = self.wait_timeout
        deadline = waits.monotonic() + timeout
        delay = POLL_FIRST_DELAY
        while True:
            done, value = probe()
            if done:
                return value
            if waits.monotonic() >= deadline:
                if on_timeout is not None:
                    on_timeout(value)
                self.fail(
                    f"Timed out after {timeout} seconds waiting for {what} on {self.rack_label}. "
                    f"The rack keeps working; raise wait_timeout or {hint}.",
                    failure={"kind": "WaitTimeout"},
                )
            waits.sleep(delay)
            delay = min(delay * 2, max_delay)

    def is_not_found(self, error: BaseException) -> bool:
        return isinstance(error, _error_class("ConvoxNotFoundError"))

    def not_found(self) -> Any:
        """The exception class (or tuple) to catch for a missing rack object."""
        return _error_class("ConvoxNotFoundError") or _NeverRaised

    def diff(self, before: Any, after: Any, before_header: str = "", after_header: str = "") -> Dict[str, Any]:
        result: Dict[str, Any] = {
            "before": before if before is not None else {},
            "after": after if after is not None else {},
        }
        if before_header:
            result["before_header"] = before_header
        if after_header:
            result["after_header"] = after_header
        return result


class _NeverRaised(Exception):
    """Stand-in exception class that nothing raises."""


def _strip_credentials(url: str) -> str:
    """``https://user:pw@host`` -> ``https://host``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        rest, scheme = url, ""
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}://{rest}" if scheme else rest


# ---------------------------------------------------------------------------
# Declarative resources


class DeclarativeResource:
    """read -> desired -> compare -> create/update/delete, once for all managing modules.

    A module subclasses this and fills in:

    * ``result_key`` (``"app"``), ``kind`` (``"app"``) and ``identity()`` (``"myapp"``);
    * ``read()``: the current state as a plain dict, or ``None`` when absent (GET only);
    * ``desired()``: the state the user asked for, only the options they set (``None``
      values are ignored by the compare);
    * ``create(desired)``, ``update(current, desired, differences)``, ``delete(current)``:
      the writes, returning the new state (``delete`` returns nothing);
    * optionally ``compare``, ``predict_create``, ``predict_update``, ``view`` (what the
      diff and the result show, e.g. with secrets masked) and ``check_absent`` (refuse a
      delete before anything is sent).

    ``run()`` then handles ``state``, check mode (predicted result, GET only), diff mode
    and ``changed``.
    """

    result_key = "resource"
    kind = "resource"

    def __init__(self, cm: ConvoxModule) -> None:
        self.cm = cm
        self.params = cm.params

    # -- to fill in ------------------------------------------------------------

    def identity(self) -> str:
        return str(self.params.get("name", ""))

    def read(self) -> Optional[Dict[str, Any]]:
        raise NotImplementedError

    def desired(self) -> Dict[str, Any]:
        return {}

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def update(
        self, current: Dict[str, Any], desired: Dict[str, Any], differences: Dict[str, Tuple[Any, Any]]
    ) -> Dict[str, Any]:
        raise NotImplementedError

    def delete(self, current: Dict[str, Any]) -> None:
        raise NotImplementedError

    # -- overridable defaults --------------------------------------------------

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Tuple[Any, Any]]:
        return compare_subset(current, desired)

    def predict_create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        return merge_desired({}, desired)

    def predict_update(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Dict[str, Any]:
        return merge_desired(current, desired)

    def view(self, state: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """The resource as shown in results and diffs."""
        return dict(state) if state else {}

    def check_absent(self, current: Dict[str, Any]) -> None:
        """Raise or fail here to refuse a delete before any write is sent."""

    # -- the loop ------------------------------------------------------------

    @property
    def target(self) -> str:
        return f"{self.kind} {self.identity()}".strip()

    def run(self) -> None:
        self.cm.run(self._run, "read", self.target)

    def _run(self) -> None:
        state = self.params.get("state") or "present"
        self.cm.set_context("read", self.target)
        current = self.read()
        if state == "absent":
            self._absent(current)
        else:
            self._present(current)

    def _present(self, current: Optional[Dict[str, Any]]) -> None:
        desired = self.desired()
        if current is None:
            self.cm.set_context("create", self.target)
            after = self.predict_create(desired) if self.cm.check_mode else self.create(desired)
            self._finish(True, None, after)
            return
        differences = self.compare(current, desired)
        if not differences:
            self._finish(False, current, current)
            return
        self.cm.set_context("update", self.target)
        if self.cm.check_mode:
            after = self.predict_update(current, desired)
        else:
            after = self.update(current, desired, differences)
        self._finish(True, current, after)

    def _absent(self, current: Optional[Dict[str, Any]]) -> None:
        if current is None:
            self._finish(False, None, None)
            return
        self.cm.set_context("delete", self.target)
        self.check_absent(current)
        if not self.cm.check_mode:
            self.delete(current)
        self._finish(True, current, None)

    def _finish(self, changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        before_view = self.view(before)
        after_view = self.view(after)
        self.cm.exit(
            changed,
            diff=self.cm.diff(before_view, after_view),
            **{self.result_key: after_view},
        )


# ---------------------------------------------------------------------------
# Result views shared by several modules (secrets never included by default)


def registry_result(registry: Any) -> Dict[str, str]:
    """A registry as shown to users: server and username, never the password ({} for None)."""
    if registry is None:
        return {}
    data = to_plain(registry) or {}
    return {"server": str(data.get("server") or ""), "username": str(data.get("username") or "")}


def app_result(app: Any) -> Dict[str, Any]:
    """An app as a result dict; empty parameter values dropped (``GET /apps`` keeps them)."""
    data = to_plain(app) or {}
    data = {k: v for k, v in data.items() if v is not None}
    params = data.get("parameters") or {}
    data["parameters"] = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return data


def build_result(build: Any) -> Dict[str, Any]:
    data = to_plain(build) or {}
    for key in ("id", "release"):
        if data.get(key):
            data[key] = normalize_id(data[key])
    return data


def release_result(release: Any, show_values: bool = False, active: Optional[str] = None) -> Dict[str, Any]:
    """A release as a result dict: ``env`` replaced by ``env_keys`` unless ``show_values``."""
    data = to_plain(release) or {}
    env = parse_env(data.pop("env", None))
    data["env_keys"] = sorted(env)
    if show_values:
        data["env"] = env
    for key in ("id", "build"):
        if data.get(key):
            data[key] = normalize_id(data[key])
    if active is not None:
        data["active"] = bool(data.get("id")) and data.get("id") == normalize_id(active)
    return data


# ---------------------------------------------------------------------------
# Builds: content fingerprint, find an existing build, start and wait

FINGERPRINT_PREFIX = "sha256:"


def build_fingerprint(source_sha256: str, options: Mapping[str, Any]) -> str:
    """``sha256:<source sha256>``, plus a short digest of the build options that change the result.

    The token goes into the build description; an existing complete build whose description
    carries the same token is the same build.
    """
    import hashlib

    token = FINGERPRINT_PREFIX + source_sha256
    relevant = {k: v for k, v in sorted(options.items()) if v not in (None, False, {}, "")}
    if relevant:
        digest = hashlib.sha256(repr(sorted((k, normalize_scalar(v)) for k, v in relevant.items())).encode("utf-8"))
        token += "+" + digest.hexdigest()[:12]
    return token


def describe_build(description: Optional[str], token: str) -> str:
    return f"{description.strip()} [{token}]" if description and description.strip() else f"[{token}]"


def find_build(builds: Iterable[Any], token: str) -> Optional[Any]:
    """The newest build (lists come newest first) carrying ``token``: complete first, else running."""
    running = None
    marker = f"[{token}]"
    for build in builds:
        description = getattr(build, "description", "") or ""
        if marker not in description:
            continue
        status = getattr(build, "status", "")
        if status == "complete":
            return build
        if status in ("created", "running") and running is None:
            running = build
    return running


class BuildSource:
    """Where a build comes from (``path``, ``url`` or ``import``) and its fingerprint."""

    def __init__(self, kind: str, value: str, data: Optional[bytes], sha256: str) -> None:
        self.kind = kind
        self.value = value
        self.data = data
        self.sha256 = sha256

    @classmethod
    def from_params(cls, cm: ConvoxModule) -> BuildSource:
        import hashlib

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


def import_manifest(data: bytes) -> Tuple[str, str]:
    """``(description, manifest)`` from the ``build.json`` of a ``builds export`` tarball."""
    import io
    import json
    import tarfile

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.lstrip("./") == "build.json":
                    handle = tar.extractfile(member)
                    info = json.loads(handle.read().decode("utf-8")) if handle else {}
                    return str(info.get("description") or ""), str(info.get("manifest") or "")
    except (tarfile.TarError, ValueError, OSError):
        pass
    return "", ""


def wait_build(cm: ConvoxModule, app: str, build: Any) -> Any:
    """Wait for ``build`` to finish; a failed build fails the task with its id and last log lines."""
    from ansible_collections.convox.convox.plugins.module_utils import waits

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
    from ansible_collections.convox.convox.plugins.module_utils import waits

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


def _find_import(builds: Iterable[Any], description: str, manifest: str) -> Optional[Any]:
    if not description and not manifest:
        return None
    for build in builds:
        if (
            getattr(build, "status", "") == "complete"
            and (getattr(build, "description", "") or "") == description
            and (getattr(build, "manifest", "") or "").strip() == manifest.strip()
        ):
            return build
    return None


def ensure_build(cm: ConvoxModule, app: str, wait: bool = True, lookback: int = 20) -> BuildOutcome:
    """Find a build of the source in the module's params, or start one (GET only in check mode).

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
        import_description, import_manifest_text = import_manifest(source.data or b"")
        token = FINGERPRINT_PREFIX + source.sha256
    else:
        token = build_fingerprint(source.sha256, result_options)
    client = cm.client
    cm.set_context("list the builds of", f"app {app}")
    builds = client.builds.list(app, limit=lookback)
    existing = None
    if not params.get("force"):
        if source.kind == "import":
            existing = _find_import(builds, import_description, import_manifest_text)
        else:
            existing = find_build(builds, token)
    if existing is not None:
        if getattr(existing, "status", "") != "complete" and wait and not cm.check_mode:
            existing = wait_build(cm, app, existing)
        found = build_result(existing)
        return BuildOutcome(False, found, token, found.get("id", ""))
    description = describe_build(params.get("description"), token)
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
    return BuildOutcome(True, build_result(build), token, "")
