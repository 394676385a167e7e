# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every option of every module, fed bad values, fails before anything is sent.

For each module (found by listing plugins/modules, so a new module is covered without a change
here) and each option of its full argument spec (connection and wait options included), values
of these kinds are generated with hypothesis:

* ``wrong_type``: what Ansible cannot convert to the option's type (text for a number or a
  boolean, a mapping for a list, a list for a mapping);
* ``empty``: an empty or blank value, for the options that must not be empty;
* ``too_long``: text longer than any limit (1 MiB + 1);
* ``control``: text with a control character (NUL, ESC...) somewhere in it;
* ``negative`` and ``out_of_range``: numbers below 0 and above what the option accepts;
* lists and mappings holding such text, a list or mapping as a mapping's value, ``=`` in a name.

Each run must fail with a message naming the option, without a traceback, before the task
builds its client (so zero requests: the client is what sends them), and the message and the
whole result never contain a bad value given to a ``no_log`` option.

Strings Ansible converts (a number or a mapping given for a text option) are not "wrong types":
Ansible turns them into text, and the checks then judge that text.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any, Dict, List, Tuple

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ansible_collections.convox.convox.plugins import modules as modules_package  # noqa: E402
from ansible_collections.convox.convox.plugins.module_utils import _checks, _module  # noqa: E402
from ansible_collections.convox.convox.plugins.module_utils._tasks import ConvoxTask  # noqa: E402

MARK = "Zq7SECRETbad"  # in every bad value: a bad value of a no_log option must not show up

# The least each module needs to get past Ansible's own argument checks.
BASE: Dict[str, Dict[str, Any]] = {
    "convox_app": {"name": "myapp"},
    "convox_app_cost_info": {"app": "myapp"},
    "convox_budget": {"app": "myapp", "monthly_cap_usd": 10},
    "convox_budget_info": {"app": "myapp"},
    "convox_build": {"app": "myapp", "url": "https://example.com/src.tgz"},
    "convox_build_info": {"app": "myapp"},
    "convox_certificate": {"id": "cert-abcde"},
    "convox_copy": {"app": "myapp", "service": "web", "path": "/app/x.txt", "content": "x"},
    "convox_deploy": {"app": "myapp", "url": "https://example.com/src.tgz"},
    "convox_env": {"app": "myapp", "env": {"A": "1"}},
    "convox_env_info": {"app": "myapp"},
    "convox_exec": {"app": "myapp", "service": "web", "command": "echo hi"},
    "convox_instance": {"state": "rekeyed"},
    "convox_logs_info": {"app": "myapp", "service": "web"},  # the service: so that tail is judged by its bounds
    "convox_process": {"app": "myapp", "service": "web"},
    "convox_process_info": {"app": "myapp"},
    "convox_registry": {"server": "reg.example.com", "username": "u", "registry_password": "pw"},
    "convox_release": {"app": "myapp", "release": "RABCDEFGHIJ"},
    "convox_release_info": {"app": "myapp"},
    "convox_resource": {"name": "hook"},
    "convox_run": {"app": "myapp", "service": "web", "command": "echo hi"},
    "convox_service": {"app": "myapp", "name": "web"},
    "convox_service_info": {"app": "myapp"},
}


def _tasks() -> List[Tuple[str, Any, Any]]:
    found = []
    for info in sorted(pkgutil.iter_modules(modules_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{modules_package.__name__}.{info.name}")
        tasks = [
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, ConvoxTask) and value.__module__ == module.__name__
        ]
        assert len(tasks) == 1, f"{info.name} has {len(tasks)} task classes"
        found.append((info.name, module, tasks[0]))
    return found


TASKS = _tasks()
KINDS = ("wrong_type", "empty", "too_long", "control", "negative", "out_of_range")

_control_char = st.sampled_from([chr(c) for c in (*range(9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)])
_plain = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=0, max_size=8)


def _with_control() -> Any:
    return st.builds(lambda a, c, b: f"{MARK}{a}{c}{b}", _plain, _control_char, _plain)


# Lengths tried in turn: the first one past the option's limit is used (long values make a run slow).
LENGTHS = (_checks.MAX_TEXT + 1, _checks.MAX_PATH + 1, _checks.MAX_PATH * 4 + 1, 65537, _checks.MAX_BLOB + 1)


def _too_long(option: Dict[str, Any], declared: Any, wrap: Any) -> Any:
    checks = declared if declared is not None else _checks.default_checks(option)
    for length in LENGTHS:
        value = wrap(MARK + "x" * length)
        if any(check(value, False) for check in checks):
            return st.builds(lambda n, length=length: MARK + "x" * (length + n), st.integers(0, 9))
    return st.just(MARK + "x" * (_checks.MAX_BLOB * 2))


def _bad_text(kind: str) -> Any:
    if kind == "control":
        return _with_control()
    return st.sampled_from(["", "   "])


def _in_dicts(text: str) -> Any:
    return [{"dns_zones": [text]}]


def _in_list(text: str) -> Any:
    return ["ok", text]


def _in_dict(text: str) -> Any:
    return {"KEY": text}


def _as_is(text: str) -> Any:
    return text


WRAPS = {"dicts": _in_dicts, "list": _in_list, "dict": _in_dict, "str": _as_is, "path": _as_is}


def strategy(option: Dict[str, Any], kind: str, declared: Any = None) -> Any:
    """Bad values of ``kind`` for an option, or ``None`` when the kind does not apply to it."""
    type_ = option.get("type", "str")
    if kind == "too_long" and type_ in ("str", "path", "list", "dict") and not option.get("choices"):
        wrap = WRAPS["dicts" if type_ == "list" and option.get("elements") == "dict" else type_]
        return _too_long(option, declared, wrap).map(wrap)
    if type_ == "bool":
        return st.sampled_from([f"maybe{MARK}", "2", "yess"]) if kind == "wrong_type" else None
    if type_ in ("int", "float"):
        if kind == "wrong_type":
            return st.sampled_from([f"many{MARK}", "1x", "[1]"])
        if kind == "negative":
            return st.integers(-(2**40), -1)
        if kind == "out_of_range":
            return st.integers(_checks.INT32_MAX + 1, 2**62)
        return None
    if type_ in ("str", "path"):
        if option.get("choices"):
            return st.sampled_from([f"nope{MARK}", ""]) if kind == "wrong_type" else None
        if kind in ("too_long", "control"):
            return _bad_text(kind)
        if kind == "empty" and _empty_is_bad(option):
            return _bad_text(kind)
        return None
    if type_ == "list":
        if kind == "wrong_type":
            return st.just({"a": MARK})
        if kind in ("too_long", "control"):
            if option.get("elements") == "dict":
                return _bad_text(kind).map(lambda text: [{"dns_zones": [text]}])
            return _bad_text(kind).map(lambda text: ["ok", text])
        return None
    if type_ == "dict":
        if kind == "wrong_type":
            return st.sampled_from([[MARK, 1], 5])
        if kind in ("too_long", "control"):
            return _bad_text(kind).map(lambda text: {"KEY": text})
        if kind == "out_of_range":  # a structure as a value, '=' in a name
            return st.sampled_from([{"KEY": [MARK]}, {"KEY": {"a": MARK}}, {"BAD=NAME": f"{MARK}value"}])
        return None
    return None


def _empty_is_bad(option: Dict[str, Any]) -> bool:
    return bool(option.get("required"))


CASES = []


def declared_checks(task: Any, option: str) -> Any:
    from ansible_collections.convox.convox.plugins.module_utils._tasks import COMMON_CHECKS

    merged = dict(COMMON_CHECKS)
    merged.update(task.checks)
    return merged.get(option)


for _name, _module_obj, _task in TASKS:
    _spec = _module.argument_spec(_task.options, _task.wait_options)
    for _option, _entry in _spec.items():
        for _kind in KINDS:
            if strategy(_entry, _kind, declared_checks(_task, _option)) is not None:
                CASES.append(pytest.param(_name, _option, _kind, id=f"{_name}-{_option}-{_kind}"))


class NoClient:
    """Stands in for the client factory: any use means a request could have been sent."""

    def __init__(self) -> None:
        self.built = 0


def _args(name: str, task: Any, option: str, value: Any) -> Dict[str, Any]:
    args = dict(BASE.get(name, {}))
    groups = task.module_options.get("mutually_exclusive", [])
    for group in groups:  # the option under test replaces the others of its group
        if option in group:
            for other in group:
                if other != option:
                    args.pop(other, None)
    args.setdefault("host", "http://127.0.0.1:9")
    args.setdefault("password", "pw-for-tests")
    args[option] = value
    return args


def run_bad(runner: Any, name: str, option: str, value: Any) -> Tuple[Dict[str, Any], str, int]:
    module, task = next((m, t) for n, m, t in TASKS if n == name)
    factory = NoClient()

    def build(_self: Any) -> Any:
        factory.built += 1
        raise AssertionError("the client was built: a request could have been sent")

    runner.monkeypatch.setattr(_module.ConvoxModule, "_build_client", build)
    # Ansible logs a module's arguments to syslog first and fails on a NUL in them ("Failed to log
    # to syslog (embedded null character)") before the module runs; this test is about the checks.
    from ansible.module_utils import basic

    runner.monkeypatch.setattr(basic.AnsibleModule, "log", lambda *_args, **_kwargs: None)
    runner.capsys.readouterr()
    with runner.args(_args(name, task, option, value)), pytest.raises(SystemExit):
        module.main()
    out = runner.capsys.readouterr().out
    return json.loads(out), out, factory.built


@pytest.mark.parametrize(("name", "option", "kind"), CASES)
def test_bad_input_fails_naming_the_option_before_any_request(
    run_module: Any, name: str, option: str, kind: str
) -> None:
    task = next(t for n, _m, t in TASKS if n == name)
    entry = _module.argument_spec(task.options, task.wait_options)[option]

    @settings(
        max_examples=2,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(value=strategy(entry, kind, declared_checks(task, option)))
    def check(value: Any) -> None:
        result, out, built = run_bad(run_module, name, option, value)
        assert result.get("failed") is True, f"{name} accepted {option}={value!r:.80}: {result}"
        assert option in result["msg"], result["msg"]
        assert "Traceback" not in out and "exception" not in result, result
        assert built == 0
        if entry.get("no_log"):
            assert MARK not in out

    check()


@pytest.mark.parametrize(
    ("base", "tail", "expected"),
    [
        ({"app": "myapp", "service": "web"}, 0, "at least 1"),
        ({"app": "myapp", "service": "web"}, 10001, "at most 10000"),
        ({"app": "myapp"}, 5, "service logs only"),
        ({"app": "myapp", "process": "web-1"}, 5, "service logs only"),
        ({"app": "myapp", "build": "BABCDEFGHIJ"}, 5, "service logs only"),
        ({"system": True}, 5, "service logs only"),
    ],
)
def test_logs_tail_only_with_a_service_and_within_bounds(
    run_module: Any, base: Dict[str, Any], tail: int, expected: str
) -> None:
    run_module.monkeypatch.setitem(BASE, "convox_logs_info", base)
    result, out, built = run_bad(run_module, "convox_logs_info", "tail", tail)
    assert result.get("failed") is True, result
    assert "tail" in result["msg"] and expected in result["msg"], result["msg"]
    assert "Traceback" not in out
    assert built == 0


def test_every_module_is_covered() -> None:
    covered = {case.values[0] for case in CASES}
    assert covered == {name for name, _m, _t in TASKS}
    assert len(TASKS) >= 26


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (_checks.env_map(), {"A": "x\x00y"}, "NUL"),
        (_checks.env_map(), {"A": "x\ry"}, "carriage return"),
        (_checks.env_map(), {"A": ["x"]}, "list"),
        (_checks.env_map(), {"A=B": "x"}, "'='"),
        (_checks.string_map(), {"A": {"b": "c"}}, "dict"),
        (_checks.between(0, 10), -1, "0 or more"),
        (_checks.text(10), "x" * 11, "at most 10"),
    ],
)
def test_secret_values_never_appear_in_problems(check: Any, value: Any, expected: str) -> None:
    problem = check(value, True)
    assert problem and expected in problem
    for text in ("x\x00y", "x\ry", "xxxxxxxxxxx", "'x'", "-1"):
        if text in json.dumps(value) or text == "-1":
            assert text not in problem
