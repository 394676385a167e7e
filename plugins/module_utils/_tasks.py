# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private glue: the three shapes of a convox.convox module.

Not a public API. Every module is a small declaration on one of these bases:

* ``DeclarativeResource``: a managing module that converges a resource:
  read -> desired -> compare -> create/update/delete, with the predicted result in check mode
  (GET requests only) and a diff in diff mode;
* ``ActionTask``: a module that acts rather than converges (run a command, deploy, mint a
  token, stop a process): ``prepare`` reads (GET only), then ``perform`` acts or, in check
  mode, ``predict`` says what would happen;
* ``InfoTask``: an ``_info`` module: ``items()`` under a plural result key, never a change.

All three share ``ConvoxTask``: the options (``options``, ``wait_options``, ``module_options``),
``validate`` (bad input fails before any request), the failure context (``action``, ``target``)
and ``main()`` (a module's whole ``main``). A task runs on a ``ConvoxModule`` context, which does
not need a module process: ``Task(ConvoxModule(reporter=...)).execute()`` runs it anywhere.
"""

from __future__ import annotations

import copy
import datetime
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.convox.convox.plugins.module_utils import _checks
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule, argument_spec, failure_details
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id, normalize_scalar

Differences = Dict[str, Tuple[Any, Any]]


def compare_subset(current: Optional[Mapping[str, Any]], desired: Mapping[str, Any]) -> Differences:
    """What differs, looking only at the keys in ``desired`` whose value is not ``None``.

    Nested mappings are compared key by key the same way (only the keys the user gave),
    after ``normalize_scalar`` on both sides. Returns ``{key: (current, desired)}``.
    """
    current = current or {}
    differences: Differences = {}
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


def one_off_options(params: Mapping[str, Any], *keys: str) -> Dict[str, Any]:
    """The options of a one-off process (``convox_run``, ``convox_process``) that the user set.

    ``release`` is normalised like every release id, ``environment`` values become text (a
    ``None`` value an empty one).
    """
    options: Dict[str, Any] = {}
    for key in keys:
        value = params.get(key)
        if key == "release":
            value = normalize_id(value)
        elif key == "environment" and value:
            value = {str(k): "" if v is None else str(v) for k, v in value.items()}
        if value is not None and value != "" and value != {}:
            options[key] = value
    return options


# The connection options' checks (besides ``check_connection_options``): a password may be a
# long token; timeouts up to a day.
COMMON_CHECKS: Dict[str, Sequence[_checks.Check]] = {
    "host": [_checks.text(_checks.MAX_PATH)],
    "password": [_checks.text(_checks.MAX_PATH * 4)],
    "timeout": [_checks.between(0, 86400, "seconds")],
    "wait_timeout": [_checks.between(0, 86400 * 7, "seconds")],
}


class ConvoxTask:
    """What every convox task declares and shares.

    * ``options``: the module's own argument spec (connection options are added);
    * ``wait_options``: add ``wait`` and ``wait_timeout``;
    * ``module_options``: ``mutually_exclusive``, ``required_if``... for ``AnsibleModule``;
    * ``kind`` and ``identity()`` name the object (``app myapp``) in failure messages;
      ``action`` names what the task does (``manage``, ``run a command in``);
    * ``checks``: option name -> checks from ``_checks`` (``between(0, MAX_COUNT)``,
      ``env_map()``, ``url("http", "https")``...). Options without an entry get the default
      checks of their type (text without control characters, whole numbers from 0 up...);
      they run before ``validate()`` and before any request, and a failure names the option
      and never shows the value of a ``no_log`` option;
    * ``validate()``: refuse bad input (``self.cm.fail``) before any request is sent: what
      depends on several options, or on more than one value.
    """

    options: ClassVar[Dict[str, Any]] = {}
    checks: ClassVar[Dict[str, Sequence[_checks.Check]]] = {}
    wait_options: ClassVar[bool] = False
    module_options: ClassVar[Dict[str, Any]] = {}
    kind: ClassVar[str] = ""
    action: ClassVar[str] = "manage"

    def __init__(self, cm: ConvoxModule) -> None:
        self.cm = cm
        self.params = cm.params

    @classmethod
    def main(cls) -> None:
        """The module's ``main()``: validate the arguments, run the task, report once."""
        cls(ConvoxModule(cls.options, wait=cls.wait_options, **cls.module_options)).execute()

    def execute(self) -> None:
        self.cm.run(self._execute, self.action, self.target)

    def _execute(self) -> None:
        self.cm.check_connection_options()
        self.run_checks()
        self.validate()
        self.run()

    def run_checks(self) -> None:
        """The declared (or default) checks of every option that is set; the first problem fails
        the task, naming the option, before anything is sent."""
        spec = argument_spec(self.options, self.wait_options)
        declared: Dict[str, Sequence[_checks.Check]] = dict(COMMON_CHECKS)
        declared.update(self.checks)
        found = _checks.find_problem(spec, self.params, declared)
        if found:
            self.refuse(*found)

    def refuse(self, option: str, problem: str) -> None:
        """Fail on bad input: ``Option <option> <problem>. Nothing was sent to the rack.``, with a
        ``failure`` of kind ``InputError`` naming the option."""
        self.cm.fail(
            f"Option {option} {problem}. Nothing was sent to the rack.",
            failure={"kind": "InputError", "option": option},
        )

    def identity(self) -> str:
        return str(self.params.get("name") or "")

    @property
    def target(self) -> str:
        return f"{self.kind} {self.identity()}".strip()

    @property
    def client(self) -> Any:
        return self.cm.client

    def validate(self) -> None:
        """Bad input fails here, before anything is sent."""

    def service_of(self, app: str, service: str, instead: str, **result: Any) -> Optional[Dict[str, Any]]:
        """The service ``service`` of ``app`` as the rack lists it (one ``GET``).

        A missing app or service fails the task naming the app's services, then ``instead``
        (what to do about it); ``result`` goes into the failed result. In check mode a missing
        app, or a service of an app that has no service yet (nothing deployed), may come from
        earlier tasks of the play (``convox_app``, a deploy): then this returns ``None`` and the
        result carries ``check_mode_note``. A service missing beside others fails as in a real run.
        """
        services = self.cm.parent(lambda: to_plain(self.client.services.list(app)) or [], "app", app, missing=None)
        if services is None:
            return None
        for entry in services:
            if entry.get("name") == service:
                return dict(entry)
        if self.cm.check_mode and not services:  # no release deployed yet: a deploy earlier in the play makes them
            self.cm.note_missing("service", f"{service} of app {app}")
            return None
        known = ", ".join(sorted(str(s.get("name")) for s in services)) or "none"
        self.cm.fail(
            f"App {app} has no service {service} on {self.cm.rack_label} (its services: {known}). {instead}",
            failure={"kind": "ServiceNotFound", "app": app, "service": service},
            **result,
        )
        return None  # pragma: no cover - fail() does not return

    def run(self) -> None:
        raise NotImplementedError


class DeclarativeResource(ConvoxTask):
    """read -> desired -> compare -> create/update/delete, once for all managing modules.

    A module subclasses this and fills in:

    * ``result_key`` (``"app"``), ``kind`` (``"app"``) and ``identity()`` (``"myapp"``);
    * ``read()``: the current state as a plain dict, or ``None`` when absent (GET only);
    * ``desired()``: the state the user asked for, only the options they set (``None``
      values are ignored by the compare);
    * ``create(desired)``, ``update(current, desired, differences)``, ``delete(current)``:
      the writes, returning the new state (``delete`` returns nothing);
    * optionally ``compare``, ``predict_create``, ``predict_update``, ``view`` (what the
      diff and the result show, e.g. with secrets masked), ``check_absent`` (refuse a
      delete before anything is sent) and ``extra`` (more result keys);
    * lifecycle states beyond ``present``/``absent`` (``restarted``): a method
      ``state_<name>(current)`` returning ``(changed, after)``.

    ``run()`` then handles ``state``, check mode (predicted result, GET only), diff mode
    and ``changed``.
    """

    result_key: ClassVar[str] = "resource"
    kind: ClassVar[str] = "resource"

    # -- to fill in ------------------------------------------------------------

    def read(self) -> Optional[Dict[str, Any]]:
        raise NotImplementedError

    def desired(self) -> Dict[str, Any]:
        return {}

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        raise NotImplementedError

    def update(self, current: Dict[str, Any], desired: Dict[str, Any], differences: Differences) -> Dict[str, Any]:
        raise NotImplementedError

    def delete(self, current: Dict[str, Any]) -> None:
        raise NotImplementedError

    # -- overridable defaults --------------------------------------------------

    def compare(self, current: Dict[str, Any], desired: Dict[str, Any]) -> Differences:
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

    def extra(self, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """Result keys besides ``result_key`` (none by default)."""
        return {}

    # -- the loop ------------------------------------------------------------

    def run(self) -> None:
        state = self.params.get("state") or "present"
        self.cm.set_context("read", self.target)
        current = self.read()
        if state == "absent":
            self._absent(current)
        elif state == "present":
            self._present(current)
        else:
            changed, after = getattr(self, "state_" + state)(current)
            self.finish(changed, current, after)

    def converge(self, current: Optional[Dict[str, Any]]) -> Tuple[bool, Optional[Dict[str, Any]]]:
        """Make the resource as desired (predict it in check mode): ``(changed, after)``."""
        desired = self.desired()
        if current is None:
            self.cm.set_context("create", self.target)
            return True, (self.predict_create(desired) if self.cm.check_mode else self.create(desired))
        differences = self.compare(current, desired)
        if not differences:
            return False, current
        self.cm.set_context("update", self.target)
        if self.cm.check_mode:
            return True, self.predict_update(current, desired)
        return True, self.update(current, desired, differences)

    def _present(self, current: Optional[Dict[str, Any]]) -> None:
        changed, after = self.converge(current)
        self.finish(changed, current, after)

    def _absent(self, current: Optional[Dict[str, Any]]) -> None:
        if current is None:
            self.finish(False, None, None)
            return
        self.cm.set_context("delete", self.target)
        self.check_absent(current)
        if not self.cm.check_mode:
            self.delete(current)
        self.finish(True, current, None)

    def finish(self, changed: bool, before: Optional[Dict[str, Any]], after: Optional[Dict[str, Any]]) -> None:
        before_view = self.view(before)
        after_view = self.view(after)
        self.cm.exit(
            changed,
            diff=self.cm.diff(before_view, after_view),
            **{self.result_key: after_view},
            **self.extra(before, after),
        )


class ActionTask(ConvoxTask):
    """A task that acts rather than converges.

    * ``prepare()``: what the task reads first (GET only), returned for the next step;
    * ``perform(prepared)``: the action; returns the result dict, with ``changed`` (default
      true) and optionally ``diff`` (shown in diff mode);
    * ``predict(prepared)``: the check-mode result (no write is sent). By default the task
      ends skipped with ``would()`` as its message: for actions whose outcome cannot be
      known without doing them (a command's output).
    """

    def prepare(self) -> Any:
        return None

    def perform(self, prepared: Any) -> Dict[str, Any]:
        raise NotImplementedError

    def predict(self, prepared: Any) -> Dict[str, Any]:
        self.cm.skip(self.would(), **self.skipped_result(prepared))
        return {}  # pragma: no cover - skip() does not return

    def would(self) -> str:
        return f"Check mode: nothing was done to {self.target or 'the rack'}."

    def skipped_result(self, prepared: Any) -> Dict[str, Any]:
        """Result keys a skipped (check mode) run still returns."""
        return {}

    def removed(self, key: str, current: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        """The result of removing ``current`` (shown under ``key``): no change when it is gone already."""
        if current is None:
            return {"changed": False, "diff": self.cm.diff({}, {}), key: {}}
        return {"diff": self.cm.diff(current, {}), key: current}

    def run(self) -> None:
        prepared = self.prepare()
        result = dict(self.predict(prepared) if self.cm.check_mode else self.perform(prepared))
        changed = result.pop("changed", True)
        diff = result.pop("diff", None)
        self.cm.exit(changed, diff=diff, **result)


NO_EXIT_CODE = -1  # rc when no exit code could be obtained (broken stream, rack error, timeout)


def output_text(output: Any) -> str:
    """A command's output as text (bytes decoded as UTF-8, undecodable bytes replaced)."""
    if output is None:
        return ""
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return str(output)


class CommandTask(ActionTask):
    """An action that runs option ``command`` in a process and reports it the way
    ``ansible.builtin.command`` does: ``rc``, ``stdout`` (and ``stdout_lines``), an empty
    ``stderr`` (the rack merges it), ``start``/``end``/``delta``; a non-zero exit code fails.
    In check mode the command is not run and the task is skipped with what it would run.

    ``timeout_option`` names the option that bounds the command (``run_timeout``, ``exec_timeout``).
    """

    action = "run a command in"
    timeout_option: ClassVar[str] = ""

    def validate(self) -> None:
        if not self.params["command"].strip():
            self.cm.fail("Option command must not be empty. Nothing was run.")

    def would(self) -> str:
        return f"Check mode: would run {self.params['command']!r} in {self.target} (not run in check mode)."

    def skipped_result(self, prepared: Any) -> Dict[str, Any]:
        return dict(prepared)

    def started(self, prepared: Mapping[str, Any]) -> Dict[str, Any]:
        """The result of a command that starts now: a change, no exit code yet."""
        self._started = datetime.datetime.now()
        return dict(prepared, changed=True, rc=NO_EXIT_CODE, stdout="", stderr="")

    def finished(self, result: Dict[str, Any], output: Any, rc: Optional[int]) -> None:
        """Record the output, the exit code and the timings in ``result``."""
        end = datetime.datetime.now()
        stdout = output_text(output)
        result.update(start=str(self._started), end=str(end), delta=str(end - self._started), stdout=stdout)
        result.update(rc=NO_EXIT_CODE if rc is None else int(rc), stdout_lines=stdout.splitlines())

    def timed_out(self, result: Dict[str, Any], exc: Exception, where: str, afterwards: str) -> None:
        """Fail: the command ran longer than the timeout option; ``afterwards`` says what became of it."""
        self.finished(result, getattr(exc, "output", b""), None)
        option = self.timeout_option
        self.cm.fail(
            f"The command in {where} did not finish within {self.params[option]} seconds ({option}){afterwards}",
            failure=failure_details(exc),
            **result,
        )

    def exited(self, result: Dict[str, Any], outcome: Any, where: str) -> Dict[str, Any]:
        """The result of a command that reported its exit code; a non-zero code fails the task."""
        self.finished(result, getattr(outcome, "output", b""), getattr(outcome, "exit_code", None))
        if result["rc"] != 0:
            self.cm.fail(f"The command in {where} exited with code {result['rc']}.", **result)
        return result


class InfoTask(ConvoxTask):
    """An ``_info`` module: ``items()`` under the plural ``result_key``, never a change.

    ``extra()`` adds keys beside the list (``active_release``). ``get_or_none`` turns a
    missing object into an empty list, as an ``_info`` module answers it.
    """

    result_key: ClassVar[str] = "items"
    action: ClassVar[str] = "read"

    def items(self) -> List[Dict[str, Any]]:
        raise NotImplementedError

    def extra(self) -> Dict[str, Any]:
        return {}

    def found(self, read: Any, *args: Any, **kwargs: Any) -> List[Any]:
        """``[read(*args)]``, or ``[]`` when the rack answers that the object does not exist."""
        try:
            return [read(*args, **kwargs)]
        except self.cm.not_found():
            return []

    def result(self) -> Dict[str, Any]:
        """The whole result: the list under ``result_key`` and ``extra()``; or what a module
        that answers with several keys (``convox_rack_info``) returns instead."""
        return {self.result_key: self.items(), **self.extra()}

    def run(self) -> None:
        self.cm.exit(False, **self.result())
