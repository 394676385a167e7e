# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private controller glue: a convox task run in the controller process instead of a module process.

Not a public API. Every ``plugins/action/convox_<name>.py`` is ``ConvoxAction`` with the
module's task class. When the task would run on the controller anyway, the action runs that
class in the worker process Ansible forked for the task, through the same ``ConvoxModule``
glue as the module, with ``ControllerReporter`` instead of an ``AnsibleModule``; otherwise it
hands the task to the module unchanged. ``controller_path`` says which path a task takes and why:

* the switch: task variable ``convox_controller_path`` (any Ansible boolean), else the
  environment variable ``CONVOX_CONTROLLER_PATH`` of ``ansible-playbook``, else on;
* the connection is ``local`` (a ``localhost`` task, or one delegated to it), without
  ``become`` and without ``async``;
* the module would run on the controller's own Python: ``ansible_python_interpreter`` (or the
  discovered or configured interpreter) names ``sys.executable`` or another name of it in the
  same directory; ``auto`` without a discovered interpreter does not count;
* the controller's Python has the client's dependencies (``client.HAS_DEPENDENCIES``).

What both paths share, so that a user sees the same result: the module's argument spec (with
its environment fallbacks, evaluated under the task's ``environment``), ``module_options``
(``mutually_exclusive``...), Ansible's ``ArgumentSpecValidator`` and its messages, the task
classes themselves, and the result's formatting as ``AnsibleModule`` does it (``invocation``
where the module path has it, ``warnings``, ``deprecations``, ``no_log`` values removed, bools
and ``None`` preserved, a JSON round trip).

Imports: the action plugins import this file, the module files and the client (httpx) at
load time. Ansible loads an action plugin's class in the parent process (the strategy asks for
it before it forks a worker for the task), so these imports are paid once per playbook run
and every worker inherits them.

Connections: a worker runs one task on one host, every loop item of it in turn. The clients a
task opens are kept in this worker (``_CLIENTS``, keyed by every setting that reaches the
client) so that loop items reuse one keep-alive connection; a process that finds clients made
by another process id (a fork) drops them unused. The parent never opens a connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.convox.convox.plugins.module_utils import _module as glue
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule, TaskEnd, ansible_spec

# httpx imports its command-line interface (rich, click, pygments) when they are installed; the
# client never uses it. ConvoxModule._build_client does the same in a module process.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

try:  # the client imports httpx now, in the parent process, once per playbook run
    from ansible_collections.convox.convox.plugins.module_utils import client as _client_module
except ImportError:  # pragma: no cover - the collection itself is incomplete
    _client_module = None

display = Display()

SWITCH_VAR = "convox_controller_path"
SWITCH_ENV = "CONVOX_CONTROLLER_PATH"


# ---------------------------------------------------------------------------
# Clients kept per worker process


_CLIENTS: Dict[Tuple[Any, ...], Any] = {}
_CLIENTS_PID = [os.getpid()]


def _client_key(params: Dict[str, Any]) -> Tuple[Any, ...]:
    """Everything that reaches a client: its options and the environment it reads."""
    options = tuple(str(params.get(k)) for k in ("host", "password", "rack", "validate_certs", "ca_path", "timeout"))
    environ = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("CONVOX_") or k == "HOME"))
    return options + environ


def forget_clients() -> None:
    """Close every kept client of this process (and drop, unclosed, those of another process)."""
    if _CLIENTS_PID[0] == os.getpid():
        for client in _CLIENTS.values():
            with contextlib.suppress(Exception):
                client.close()
    _CLIENTS.clear()
    _CLIENTS_PID[0] = os.getpid()


class ControllerModule(ConvoxModule):
    """``ConvoxModule`` whose client outlives the task: loop items reuse its connection."""

    reuse_clients = True

    def _build_client(self) -> Any:
        if not self.reuse_clients:
            return super()._build_client()
        if _CLIENTS_PID[0] != os.getpid():  # inherited through a fork: never use its sockets
            _CLIENTS.clear()
            _CLIENTS_PID[0] = os.getpid()
        key = _client_key(self.params)
        client = _CLIENTS.get(key)
        if client is None:
            client = super()._build_client()
            _CLIENTS[key] = client
        return client

    def close(self) -> None:
        if self.reuse_clients:
            self._client = None  # kept in _CLIENTS for the next item of the loop
            return
        super().close()


# ---------------------------------------------------------------------------
# The reporter of the controller path


class ControllerReporter:
    """What ``AnsibleReporter`` is for a module process, in the controller.

    Validates ``args`` with the module's spec as ``AnsibleModule`` does (same validator, same
    messages), collects warnings and the values to hide, and formats the outcome as
    ``AnsibleModule.exit_json``/``fail_json`` would (``result`` once ``report`` ran).
    """

    def __init__(
        self,
        spec: Dict[str, Any],
        args: Dict[str, Any],
        *,
        name: str,
        module_options: Optional[Dict[str, Any]] = None,
        check_mode: bool = False,
        diff_mode: bool = False,
        no_log: bool = False,
        invocation: bool = False,
    ) -> None:
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.no_log = no_log
        self.invocation = invocation
        self.warnings: List[str] = []
        self.deprecations: List[Dict[str, Any]] = []
        self.result: Optional[Dict[str, Any]] = None
        params = dict(args)
        validator = ArgumentSpecValidator(ansible_spec(spec), **(module_options or {}))
        validation = validator.validate(params)
        params.update(validation.validated_parameters)
        self.params: Dict[str, Any] = params
        self.no_log_values: Set[str] = set(validation._no_log_values)
        for deprecation in validation._deprecations:
            self.deprecations.append(
                {k: deprecation.get(k) for k in ("msg", "version", "date", "collection_name") if deprecation.get(k)}
            )
        for warning in validation._warnings:
            self.warn(f"Both option {warning['option']} and its alias {warning['alias']} are set.")
        self.error = ""
        try:
            first = validation.errors[0]
        except IndexError:  # the same test as AnsibleModule's (the error list has no truth value)
            first = None
        if first is not None:
            self.error = validation.errors.msg
            if isinstance(first, UnsupportedError):
                self.error = f"Unsupported parameters for ({name}) module: {self.error}"

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def hide(self, values: Any) -> None:
        self.no_log_values.update(v for v in values if v)

    def report(self, end: TaskEnd) -> None:
        result = dict(end.result)
        if end.failed:
            result.pop("exception", None)  # a traceback only when Ansible is told to collect them
            result.update(failed=True, msg=str(result.get("msg", "")))
        self.result = self.format(result)

    def fail_validation(self) -> Dict[str, Any]:
        self.result = self.format({"failed": True, "msg": self.error})
        return self.result

    def format(self, result: Dict[str, Any]) -> Dict[str, Any]:
        """The result as ``AnsibleModule._return_formatted`` makes it, then through JSON."""
        if self.invocation:
            result.setdefault("invocation", {"module_args": self.params})
        else:
            result.pop("invocation", None)
        if self.warnings:
            result["warnings"] = list(self.warnings)
        if self.deprecations:
            result["deprecations"] = list(self.deprecations)
        preserved = {k: v for k, v in result.items() if v is None or isinstance(v, bool)}
        result = remove_values(result, self.no_log_values)
        result.update(preserved)
        loaded: Dict[str, Any] = json.loads(json.dumps(result, default=str))
        return loaded

    @staticmethod
    def missing_library(name: str) -> str:
        from ansible.module_utils.basic import missing_required_lib

        text: str = missing_required_lib(name)
        return text


@contextlib.contextmanager
def task_environment(environment: Dict[str, Any]) -> Iterator[None]:
    """``os.environ`` with the task's ``environment`` laid over it, as a module process has it."""
    if not environment:
        yield
        return
    saved = dict(os.environ)
    os.environ.update({str(k): str(v) for k, v in environment.items() if v is not None})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_task(
    task_class: Any,
    args: Dict[str, Any],
    *,
    name: str,
    check_mode: bool = False,
    diff_mode: bool = False,
    no_log: bool = False,
    invocation: bool = False,
    environment: Optional[Dict[str, Any]] = None,
    reuse_clients: bool = True,
) -> Dict[str, Any]:
    """Run ``task_class`` (a ``ConvoxTask``) in this process; the result a module process would return."""
    with task_environment(environment or {}):
        spec = glue.argument_spec(task_class.options, task_class.wait_options)
        reporter = ControllerReporter(
            spec,
            args,
            name=name,
            module_options=task_class.module_options,
            check_mode=check_mode,
            diff_mode=diff_mode,
            no_log=no_log,
            invocation=invocation,
        )
        if reporter.error:
            return reporter.fail_validation()
        cm = ControllerModule(reporter=reporter)
        cm.reuse_clients = reuse_clients
        task_class(cm).execute()
    if reporter.result is None:  # pragma: no cover - execute() always reports once
        raise RuntimeError(f"{name}: the task ended without a result")
    return reporter.result


# ---------------------------------------------------------------------------
# The choice of path


def _same_python(interpreter: str) -> bool:
    """Whether ``interpreter`` is this very Python (its path, or another name of it beside it)."""
    if not interpreter or interpreter.startswith("auto"):
        return False
    path = os.path.abspath(os.path.expanduser(interpreter.split()[0]))
    own = os.path.abspath(sys.executable)
    if path == own:
        return True
    try:
        return os.path.dirname(path) == os.path.dirname(own) and os.path.samefile(path, own)
    except OSError:
        return False


def controller_path(action: ActionBase, task_vars: Dict[str, Any]) -> Tuple[bool, str]:
    """``(True, why)`` when the task runs in the controller process, ``(False, why)`` when as a module."""
    switch = task_vars.get(SWITCH_VAR)
    if switch is not None:
        switch = action._templar.template(switch) if isinstance(switch, str) else switch
        if not boolean(switch, strict=False):
            return False, f"{SWITCH_VAR} is off for this task"
    elif not boolean(os.environ.get(SWITCH_ENV, "true"), strict=False):
        return False, f"{SWITCH_ENV} is off"
    connection = getattr(action._connection, "_load_name", "") or getattr(action._connection, "transport", "")
    if connection.rsplit(".", 1)[-1] != "local":
        return False, f"the connection is {connection}, not local"
    if action._task.async_val:
        return False, "the task is async"
    if action._play_context.become:
        return False, "the task uses become"
    interpreter = task_vars.get("ansible_python_interpreter")
    if interpreter is None:
        discovered = (task_vars.get("ansible_facts") or {}).get("discovered_interpreter_python")
        interpreter = discovered
    if interpreter is None:
        from ansible import constants as C

        interpreter = C.config.get_config_value("INTERPRETER_PYTHON", variables=task_vars)
    if isinstance(interpreter, str) and "{" in interpreter:
        interpreter = action._templar.template(interpreter)
    if not _same_python(str(interpreter or "")):
        return False, f"the module would run on another Python ({interpreter}) than the controller's ({sys.executable})"
    if _client_module is None or not _client_module.HAS_DEPENDENCIES:
        return False, "the controller's Python lacks the client's dependencies"
    return True, "the connection is local on the controller's Python"


def _inject_invocation(task_vars: Dict[str, Any]) -> bool:
    """Whether a module process would add ``invocation`` (always before ansible-core 2.21)."""
    from ansible import constants as C

    try:
        return bool(C.config.get_config_value("INJECT_INVOCATION", variables=task_vars))
    except Exception:  # the setting does not exist: AnsibleModule always adds it
        return True


def _module_no_log(action: ActionBase, task_vars: Dict[str, Any]) -> bool:
    """``_ansible_no_log`` as ``ActionBase._update_module_args`` sets it for a module."""
    from ansible import constants as C

    no_target_syslog = C.config.get_config_value("DEFAULT_NO_TARGET_SYSLOG", variables=task_vars)
    return bool(action._task.no_log or no_target_syslog)


class ConvoxAction(ActionBase):
    """The action plugin of a convox module: ``task`` is the module's ``ConvoxTask`` class."""

    task: Any = None
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        task_vars = task_vars or {}
        result: Dict[str, Any] = super().run(tmp, task_vars)
        del tmp
        on_controller, why = controller_path(self, task_vars)
        name = str(self._task.action)
        if not on_controller:
            display.vvv(f"{name}: runs as a module ({why})", host=self._play_context.remote_addr)
            wrap_async = self._task.async_val
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        display.vvv(f"{name}: runs in the controller process ({why})", host=self._play_context.remote_addr)
        environment: Dict[str, Any] = {}
        self._compute_environment_string(environment)
        result.update(
            run_task(
                self.task,
                dict(self._task.args),
                name=name,
                check_mode=bool(self._task.check_mode),
                diff_mode=bool(self._task.diff),
                no_log=_module_no_log(self, task_vars),
                invocation=_inject_invocation(task_vars),
                environment=environment,
            )
        )
        return result
