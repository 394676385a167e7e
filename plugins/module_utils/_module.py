# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private Ansible glue: the task context every convox.convox module runs in, and error reporting.

Not a public API: names here may change between releases. Custom plugins should use
``plugins/module_utils/client.py`` instead.

* ``COMMON_ARGUMENT_SPEC`` / ``WAIT_ARGUMENT_SPEC``: connection and wait options;
* ``ConvoxModule``: the context of one task: its params, check and diff flags, a lazy client,
  and a *reporter* that delivers the result. In a module process the reporter is
  ``AnsibleReporter`` (an ``AnsibleModule``); any other caller (the controller path, a test)
  passes its own, so the same code runs without a module process;
* ``TaskEnd``: what ``exit``/``fail`` raise; ``ConvoxModule.run`` reports it once;
* ``failure_details`` and the hints: every ``ConvoxError`` becomes ``msg`` + ``failure``
  (kind, status, message, Request-Id), no traceback and no secret;
* ``is_v3_refusal`` and ``rack_generation``: how a module tells what a rack does not have.

The three module bases (managing, acting, info) are in ``_tasks``; result views in ``_views``;
build and promote logic in ``_builds``.

httpx is only imported when the client is first used, so a module pays for it only when it
talks to the rack; the client answers with records (``_records``), so pydantic is not imported.
"""

from __future__ import annotations

import copy
import math
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

# errors.py is standard library only, so importing it costs nothing measurable.
from ansible_collections.convox.convox.plugins.module_utils import errors as _errors

COMMON_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "host": {"type": "str", "fallback": ("env_fallback", ["CONVOX_HOST"])},
    "password": {"type": "str", "no_log": True, "fallback": ("env_fallback", ["CONVOX_PASSWORD"])},
    "rack": {"type": "str", "fallback": ("env_fallback", ["CONVOX_RACK"])},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "timeout": {"type": "float"},
}

WAIT_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}


def argument_spec(own: Dict[str, Any], wait: bool = False) -> Dict[str, Any]:
    """The full argument spec of a module: connection options (+ wait options) + its own.

    Fallbacks are named (``"env_fallback"``) so that the spec is plain data; ``ansible_spec``
    turns it into what ``AnsibleModule`` takes.
    """
    spec: Dict[str, Any] = copy.deepcopy(COMMON_ARGUMENT_SPEC)
    if wait:
        spec.update(copy.deepcopy(WAIT_ARGUMENT_SPEC))
    spec.update(copy.deepcopy(own))
    return spec


def ansible_spec(spec: Dict[str, Any]) -> Dict[str, Any]:
    """``spec`` with named fallbacks replaced by Ansible's functions."""
    from ansible.module_utils.basic import env_fallback

    result = copy.deepcopy(spec)
    for option in result.values():
        fallback = option.get("fallback")
        if fallback and fallback[0] == "env_fallback":
            option["fallback"] = (env_fallback, fallback[1])
    return result


def client_options(params: Dict[str, Any]) -> Dict[str, Any]:
    """``ConvoxClient`` keyword arguments from the connection options (modules and plugins alike).

    Unset values stay None, so that the client's own fallbacks (environment, CLI settings)
    apply. The client answers with records: a task only reads attributes and results, and
    importing pydantic and building schemas would cost it about a quarter second.
    """
    options: Dict[str, Any] = {
        "host": params.get("host") or None,
        "password": params.get("password") or None,
        "rack": params.get("rack") or None,
        "verify": params.get("validate_certs", True) is not False,
        "ca_path": params.get("ca_path") or None,
        "records": True,
    }
    if str(options["host"] or "").lower().startswith("http://"):
        # Plain HTTP (no redirects are followed) never reaches TLS: skip loading the CA bundle,
        # which costs a few hundred milliseconds.
        options["verify"] = False
    if params.get("timeout") is not None:
        options["timeout"] = float(params["timeout"])
    return options


# ---------------------------------------------------------------------------
# Errors -> failure


def _hint_for(error: BaseException, options: Iterable[str] = ()) -> str:
    """What the user can do about a failure, by failure kind (``options``: the task's option names)."""
    message = str(getattr(error, "message", "") or error).lower()
    if isinstance(error, _errors.ConvoxAuthError):
        return "Check the password (option password or CONVOX_PASSWORD) and the rack address."
    if isinstance(error, _errors.ConvoxRollbackError):
        return "Check the app's logs (convox logs) and fix the release, then run the task again."
    if isinstance(error, _errors.ConvoxBuildFailedError):
        return "Fix the build (see its last log lines below) and run the task again."
    if isinstance(error, _errors.ConvoxTimeoutError):
        raise_what = "wait_timeout (or timeout)" if "wait_timeout" in options else "timeout"
        return f"The rack keeps working; raise {raise_what} or check the rack, then run the task again."
    if isinstance(error, _errors.ConvoxConnectionError):
        return "Check that the rack is reachable at the configured host (option host or CONVOX_HOST) and retry."
    if isinstance(error, _errors.ConvoxInputError):
        return "Correct the task's options."
    if "budget cap exceeded" in message:  # 409 on promote, scale and run (convox-api.md 3.2)
        return (
            "The app's cost budget reached its cap: reset it (convox.convox.convox_budget with state: reset) "
            "or raise monthly_cap_usd above the spend, then run the task again."
        )
    if "cost_tracking_enable is false" in message:
        return "Turn on cost tracking first (convox rack params set cost_tracking_enable=true), then retry."
    if "is locked" in message:
        return "Unlock it first (lock: false) or leave it in place."
    if "currently updating" in message:
        return "Wait for the running deployment to finish, or set force: true."
    if isinstance(error, _errors.ConvoxNotFoundError):
        return "Check the name or id, and that it exists on this rack."
    if isinstance(error, _errors.ConvoxForbiddenError):
        if "admin" in message:  # convox-api.md 2.2: "admin role required ..."
            return "This needs the admin role: use the rack password or an admin token."
        return "The credentials lack the role this needs; use a password or token with write access."
    if isinstance(error, _errors.ConvoxValidationError):
        return "Correct the task's options."
    if isinstance(error, _errors.ConvoxConflictError):
        return "The rack's state conflicts with the request; check it and run the task again."
    if isinstance(error, _errors.ConvoxNotImplementedError):
        return "This rack version does not support the operation."
    return "Check the rack (convox rack, convox apps) and run the task again; a re-run converges."


def failure_details(error: BaseException) -> Dict[str, Any]:
    """The ``failure`` dict of a failed task, from the error's own ``to_dict``.

    Always ``kind``, ``status``, ``message`` and ``request_id``; then whatever else the error
    knows (``method``, ``path``, ``release``, ``build_id``, ``field``, ``log_tail``...) when set.
    """
    if isinstance(error, _errors.ConvoxError):
        data = error.to_dict()
    else:
        data = {"type": type(error).__name__, "message": str(error)}
    details: Dict[str, Any] = {
        "kind": data.pop("type"),
        "status": data.pop("status_code", None),
        "message": str(data.pop("message", None) or error),
        "request_id": data.pop("request_id", None),
    }
    details.update((key, value) for key, value in data.items() if value not in (None, ""))
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
    if isinstance(error, _errors.ConvoxNotImplementedError) or status == 501:
        return True
    if status != 500:
        return False
    message = str(getattr(error, "message", "") or "").lower()
    return any(text in message for text in REFUSAL_TEXTS)


def strip_credentials(url: str) -> str:
    """``https://user:pw@host`` -> ``https://host``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        rest, scheme = url, ""
    if "@" in rest.split("/", 1)[0]:
        rest = rest.split("@", 1)[1]
    return f"{scheme}://{rest}" if scheme else rest


# ---------------------------------------------------------------------------
# Reporting


class TaskEnd(Exception):
    """The end of a task: raised by ``ConvoxModule.exit``/``fail``, reported by ``ConvoxModule.run``."""

    def __init__(self, failed: bool, result: Dict[str, Any]) -> None:
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


class AnsibleReporter:
    """Delivers a task's outcome through an ``AnsibleModule`` (the module-process path)."""

    def __init__(self, spec: Dict[str, Any], **module_kwargs: Any) -> None:
        from ansible.module_utils.basic import AnsibleModule

        module_kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=ansible_spec(spec), **module_kwargs)
        self.params: Dict[str, Any] = self.module.params
        self.check_mode = bool(self.module.check_mode)
        self.diff_mode = bool(getattr(self.module, "_diff", False))
        self.no_log = bool(self.module.no_log)

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def hide(self, values: Iterable[str]) -> None:
        self.module.no_log_values.update(v for v in values if v)

    def report(self, end: TaskEnd) -> None:
        if end.failed:
            self.module.fail_json(**end.result)
        self.module.exit_json(**end.result)

    @staticmethod
    def missing_library(name: str) -> str:
        from ansible.module_utils.basic import missing_required_lib

        text: str = missing_required_lib(name)
        return text


class ConvoxModule:
    """The context of one convox task: params, check/diff flags, a lazy client, reporting.

    ``ConvoxModule(spec, wait=..., **module_kwargs)`` runs in a module process (an
    ``AnsibleModule`` validates ``spec`` and reports). ``ConvoxModule(reporter=r)`` runs
    anywhere: ``r`` supplies ``params``, ``check_mode``, ``diff_mode``, ``no_log``,
    ``warn(msg)``, ``hide(values)``, ``report(TaskEnd)`` and ``missing_library(name)``.

    ``exit`` and ``fail`` end the task by raising ``TaskEnd``; ``run`` catches it (and every
    ``ConvoxError``, reported as a failure with a hint) and reports once. Outside ``run``
    they report at once.
    """

    def __init__(
        self,
        argument_spec_: Optional[Dict[str, Any]] = None,
        *,
        wait: bool = False,
        reporter: Any = None,
        **module_kwargs: Any,
    ) -> None:
        if reporter is None:
            reporter = AnsibleReporter(argument_spec(argument_spec_ or {}, wait), **module_kwargs)
        self.reporter = reporter
        self.params: Dict[str, Any] = reporter.params
        self.check_mode = bool(reporter.check_mode)
        self.diff_mode = bool(reporter.diff_mode)
        self._client: Any = None
        self._context = ""
        self._running = 0
        # Set when, in check mode, an object the task needs (its app, its service) does not
        # exist yet; every result of the task then carries it as ``check_mode_note``.
        self.check_mode_note = ""

    # -- properties -------------------------------------------------------

    @property
    def no_log(self) -> bool:
        """Whether the task runs with ``no_log: true`` (it may then receive secrets)."""
        return bool(self.reporter.no_log)

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
            return f"rack at {strip_credentials(str(host))}"
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
            self.fail(f"The convox.convox client could not be imported: {exc}")
        missing = client_module.missing_dependency() if not client_module.HAS_DEPENDENCIES else None
        if missing:
            name, trace = missing
            self.fail(self.reporter.missing_library(name), exception=trace)
        try:
            return client_module.ConvoxClient(**client_options(self.params))
        except Exception as exc:  # reported as a failure, never as a traceback
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
        self.reporter.warn(message)

    def hide(self, values: Iterable[str]) -> None:
        """Mask ``values`` wherever they would appear in the task's output (like ``no_log`` options)."""
        self.reporter.hide(values)

    def _end(self, failed: bool, result: Dict[str, Any]) -> None:
        end = TaskEnd(failed, result)
        if not self._running:
            self.close()
            self.reporter.report(end)
        raise end

    def exit(self, changed: bool, diff: Optional[Dict[str, Any]] = None, **result: Any) -> None:
        """End the task with ``changed`` and, in diff mode, ``diff``."""
        if diff is not None and self.diff_mode:
            result["diff"] = diff
        if self.check_mode_note:
            result.setdefault("check_mode_note", self.check_mode_note)
        result["changed"] = bool(changed)
        self._end(False, result)

    def skip(self, msg: str, **result: Any) -> None:
        """End the task as skipped: ``changed: false``, ``skipped: true`` and ``msg``.

        For work that cannot be predicted in check mode (a command that would run), once the
        task has checked with GET requests what it can.
        """
        self.exit(False, skipped=True, msg=msg, **result)

    def fail(self, msg: str, **result: Any) -> None:
        result["msg"] = msg
        self._end(True, result)

    def fail_error(self, error: BaseException, action: str, target: str = "", prefix: str = "", **result: Any) -> None:
        """Report ``error`` while doing ``action`` on ``target``: message, hint, failure dict."""
        what = f"{action} {target}".strip()
        prefix = prefix or f"Could not {what} on {self.rack_label}"
        reason = str(getattr(error, "message", None) or error).strip() or type(error).__name__
        log_tail = getattr(error, "log_tail", None)
        if log_tail:
            reason = reason.splitlines()[0].rstrip(":")  # the log follows once, at the end
        msg = f"{prefix}: {reason.rstrip('.')}. {_hint_for(error, self.params)}"
        if log_tail:
            msg += f" Last build log lines:\n{log_tail}"
        self.fail(msg, failure=failure_details(error), **result)

    def run(self, func: Callable[[], None], action: str = "manage", target: str = "") -> None:
        """Run ``func`` (which ends with ``exit``/``fail``), turning rack errors into failures.

        ``action`` and ``target`` name what the module does in the failure message
        (e.g. ``"update"``, ``"app myapp"``); ``set_context`` refines them on the way.
        The outcome is reported once, here.
        """
        self._context = f"{action} {target}".strip()
        self._running += 1
        outcome = TaskEnd(False, {"changed": False})
        try:
            try:
                func()
            except _errors.ConvoxError as exc:
                self.fail_error(exc, self._context)
            # A func that returns without exit/fail ends unchanged.
            self.exit(False)
        except TaskEnd as end:
            outcome = end
        finally:
            self._running -= 1
            self.close()
        self.reporter.report(outcome)

    def check_connection_options(self) -> None:
        """Refuse connection and wait options that cannot work, before any request is sent."""
        params = self.params
        timeout = params.get("timeout")
        if timeout is not None and (math.isnan(timeout) or timeout <= 0):
            self.fail(f"Option timeout must be more than 0 seconds, got {timeout:g}. Nothing was sent to the rack.")
        wait_timeout = params.get("wait_timeout")
        if wait_timeout is not None and wait_timeout < 0:
            self.fail(
                f"Option wait_timeout must be 0 or more seconds, got {wait_timeout}. Nothing was sent to the rack."
            )
        if params.get("ca_path") and params.get("validate_certs") is False:
            self.fail(
                "Options ca_path and validate_certs=false contradict each other: ca_path verifies the rack's "
                "certificate against that CA, validate_certs=false turns verification off. Set one of them."
            )
        host = params.get("host")
        if host:
            from ansible_collections.convox.convox.plugins.module_utils.credentials import parse_host

            try:
                parse_host(str(host))
            except _errors.ConvoxInputError as exc:
                self.fail(f"Option host: {upper_first(exc.message)}. Nothing was sent to the rack.")

    def parent(self, read: Callable[[], Any], kind: str, name: str, missing: Any = None) -> Any:
        """``read()`` of an object the task needs (an app, a service), which an earlier task of the
        same play may only create.

        When the rack answers that it does not exist: in check mode the task goes on as if it
        existed in the shape that earlier task would give it; this returns ``missing`` and notes
        it (``check_mode_note`` in the result). Outside check mode the task fails naming it.
        """
        try:
            return read()
        except _errors.ConvoxNotFoundError as exc:
            if not self.check_mode:
                answer = str(getattr(exc, "message", "") or exc).strip().rstrip(".")
                self.fail(
                    f"Could not {self._context or 'run the task'} on {self.rack_label}: {kind} {name} does not exist "
                    f"(the rack answered: {answer}). Create it first (an earlier task of the play, or the Convox "
                    "CLI), then run this task again. Nothing was changed.",
                    failure=dict(failure_details(exc), kind="ParentNotFound", parent=f"{kind} {name}"),
                )
            self.note_missing(kind, name)
            return missing

    def note_missing(self, kind: str, name: str) -> None:
        """Say in the result that ``kind name`` does not exist yet, so the check-mode result is a prediction."""
        if not self.check_mode_note:
            self.check_mode_note = (
                f"{upper_first(kind)} {name} does not exist on {self.rack_label} yet: this is what the task would do "
                "once an earlier task of the play has created it."
            )

    def set_context(self, action: str, target: str = "") -> None:
        """What the module is doing right now, for failure messages."""
        self._context = f"{action} {target}".strip()

    # -- helpers ------------------------------------------------------------

    def poll(
        self,
        probe: Callable[[], Tuple[bool, Any]],
        what: str,
        *,
        hint: str = "check the rack",
        max_delay: float = 5.0,
        on_timeout: Optional[Callable[[Any], None]] = None,
    ) -> Any:
        """Wait through ``waits.poll`` until ``probe`` answers ``(True, value)``; return that value.

        For waits the client's ``waits`` module has no lifecycle for, with the semantics stated
        there (one settled read is enough here: the probes read what the task itself set).
        When ``wait_timeout`` runs out, ``on_timeout(last value)`` fails the task if given, else
        the task fails with ``Timed out after N seconds waiting for <what> on <rack>. The rack
        keeps working; raise wait_timeout or <hint>.`` The caller decides on ``wait``.
        """
        from ansible_collections.convox.convox.plugins.module_utils import waits

        last: List[Any] = [None]

        def tracked() -> Tuple[bool, Any]:
            done, value = probe()
            last[0] = value
            return done, value

        timeout = self.wait_timeout
        try:
            return waits.poll(tracked, timeout=timeout, interval=max_delay, what=what, settle_reads=1)
        except _errors.ConvoxTimeoutError:
            if on_timeout is not None:
                on_timeout(last[0])
            self.fail(
                f"Timed out after {timeout} seconds waiting for {what} on {self.rack_label}. "
                f"The rack keeps working; raise wait_timeout or {hint}.",
                failure={"kind": "WaitTimeout"},
            )

    def not_found(self) -> Any:
        """The exception class to catch for a missing rack object."""
        return _errors.ConvoxNotFoundError

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
