# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both paths of every module give the same result, key by key, against the emulator.

One scenario (writes, check mode, diff mode, no_log, failures of validation and of the rack,
warnings) runs twice on a freshly reset emulator: through each module's ``main()`` with an
``AnsibleModule`` (the module path, in-process) and through ``plugin_utils._controller.run_task``
(the controller path). The results must be equal once the values the rack generates at random
(ids, tokens, times) are replaced by their order of appearance. Every module of
``plugins/modules`` must appear in the scenario, and have an action plugin on the shared base.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
from typing import Any, Callable, Dict, List, Tuple, Union

import pytest
from client_helpers import PASSWORD, REPO_ROOT, source_dir

Args = Union[Dict[str, Any], Callable[[Dict[str, Any]], Dict[str, Any]]]
# (label, module, args, check_mode, diff_mode, no_log, invocation)
STEPS: List[Tuple[str, str, Dict[str, Any], bool, bool, bool, bool]] = []


def step(label: str, module: str, args: Dict[str, Any], check=False, diff=False, no_log=False, invocation=False):
    STEPS.append((label, module, args, check, diff, no_log, invocation))


SRC = "@SRC@"
step("app create check", "convox_app", {"name": "cmp"}, check=True, diff=True)
step("app create", "convox_app", {"name": "cmp", "parameters": {"BuildMem": "1024"}}, diff=True, invocation=True)
step("app unknown parameter", "convox_app", {"name": "cmp", "parameters": {"Internal": "No"}})
step("app again", "convox_app", {"name": "cmp"}, invocation=True)
step("app unknown option", "convox_app", {"name": "cmp", "bogus": 1}, invocation=True)
step("app wrong type", "convox_app", {"name": "cmp", "lock": "maybe"})
step("app_info", "convox_app_info", {"name": "cmp"})
step("instance absent without id", "convox_instance", {"state": "absent"})
step("instance_info", "convox_instance_info", {})
step("deploy", "convox_deploy", {"app": "cmp", "path": SRC})
step("deploy both sources", "convox_deploy", {"app": "cmp", "path": SRC, "url": "https://example.com/s.tgz"})
step("build check", "convox_build", {"app": "cmp", "path": SRC}, check=True)
step("build_info", "convox_build_info", {"app": "cmp"})
step("env set", "convox_env", {"app": "cmp", "env": {"A": "1", "SECRET": "s3cr3t-value"}}, diff=True)
step("env no_log", "convox_env", {"app": "cmp", "env": {"B": "2"}}, diff=True, no_log=True)
step("env absent without keys", "convox_env", {"app": "cmp", "state": "absent"})
step("env_info", "convox_env_info", {"app": "cmp"})
step("release_info", "convox_release_info", {"app": "cmp"})
step("release missing", "convox_release", {"app": "cmp", "release": "RNOSUCHREL1"})
step("service scale check", "convox_service", {"app": "cmp", "name": "web", "count": 2}, check=True, diff=True)
step("service scale", "convox_service", {"app": "cmp", "service": "web", "count": 2})
step("service bad count", "convox_service", {"app": "cmp", "name": "web", "count": -1})
AUTOSCALE = {
    "autoscale": True,
    "autoscale_min": 1,
    "autoscale_max": 3,
    "autoscale_triggers": [{"type": "cpu", "threshold": 70}],
}
step("service autoscale check", "convox_service", {"app": "cmp", "name": "web", **AUTOSCALE}, check=True, diff=True)
step(
    "service autoscale", "convox_service", {"app": "cmp", "name": "web", "scale_override": True, **AUTOSCALE}, diff=True
)
step("service autoscale again", "convox_service", {"app": "cmp", "name": "web", "scale_override": True, **AUTOSCALE})
step("service autoscale with count", "convox_service", {"app": "cmp", "name": "web", "count": 2, **AUTOSCALE})
step("service autoscale off", "convox_service", {"app": "cmp", "name": "web", "autoscale": False}, diff=True)
step("service_info", "convox_service_info", {"app": "cmp"})
step("process_info", "convox_process_info", {"app": "cmp"})
step("process absent without id", "convox_process", {"app": "cmp", "state": "absent"})
step("run check", "convox_run", {"app": "cmp", "service": "web", "command": "echo hi"}, check=True)
step("run", "convox_run", {"app": "cmp", "service": "web", "command": "echo hi"})
step("exec check", "convox_exec", {"app": "cmp", "service": "web", "command": "echo hi"}, check=True)
step("exec", "convox_exec", {"app": "cmp", "service": "web", "command": "sh -c 'echo hi; exit 2'"})
step("exec no process", "convox_exec", {"app": "cmp", "process": "web-zzzzz", "command": "echo hi"})
step(
    "copy check",
    "convox_copy",
    {"app": "cmp", "service": "web", "path": "/app/a.txt", "content": "a\n"},
    check=True,
    diff=True,
)
step("copy", "convox_copy", {"app": "cmp", "service": "web", "path": "/app/a.txt", "content": "a\n"}, diff=True)
step("copy again", "convox_copy", {"app": "cmp", "service": "web", "path": "/app/a.txt", "content": "a\n"})
step("copy relative path", "convox_copy", {"app": "cmp", "service": "web", "path": "a.txt", "content": "a"})
step("copy absent", "convox_copy", {"app": "cmp", "service": "web", "path": "/app/a.txt", "state": "absent"})
step("certificate generate", "convox_certificate", {"generate": True, "domains": ["a.example.com"]}, check=True)
step("certificate bad pem", "convox_certificate", {"certificate": "not a certificate", "private_key": "x"})
step("certificate_info", "convox_certificate_info", {})
step("letsencrypt duplicate ids", "convox_letsencrypt", {"solvers": [{"id": 1}, {"id": 1}]})
step("letsencrypt check", "convox_letsencrypt", {"solvers": [{"id": 1, "dns_zones": ["example.com"]}]}, check=True)
step("rack_info", "convox_rack_info", {})
step("rack count 0", "convox_rack", {"count": 0})
step("rack check", "convox_rack", {"count": 3}, check=True, diff=True)
step("rack_token hidden", "convox_rack_token", {"duration_hours": 1})
step("rack_token no_log", "convox_rack_token", {"duration_hours": 1}, no_log=True)
step("registry add", "convox_registry", {"server": "r.example.com", "username": "u", "registry_password": "rp-123"})
step("registry without password", "convox_registry", {"server": "r.example.com", "username": "u"})
step("registry_info", "convox_registry_info", {})
step("resource check", "convox_resource", {"name": "db", "type": "postgres"}, check=True, diff=True)
step("resource bad state", "convox_resource", {"name": "db", "state": "linked"})
step("resource_info", "convox_resource_info", {})
step("budget check", "convox_budget", {"app": "cmp", "monthly_cap_usd": 100}, check=True, diff=True)
step("budget set", "convox_budget", {"app": "cmp", "monthly_cap_usd": 100, "alert_threshold_percent": 70}, diff=True)
step("budget again", "convox_budget", {"app": "cmp", "monthly_cap_usd": 100})
step("budget bad action", "convox_budget", {"app": "cmp", "at_cap_action": "explode"})
step("budget_info", "convox_budget_info", {"app": "cmp"})
step("app_cost_info", "convox_app_cost_info", {"app": "cmp", "budget": True})
step("app_cost_info missing app", "convox_app_cost_info", {"app": "nosuchapp"})
step("logs_info", "convox_logs_info", {"app": "cmp", "since": "1h", "filter": "promoting", "lines": 5}, check=True)
step("logs_info bad since", "convox_logs_info", {"app": "cmp", "since": "0s"})
step("timeout 0", "convox_app_info", {"timeout": 0})


def collection_module(name: str) -> Any:
    return importlib.import_module(f"ansible_collections.convox.convox.plugins.modules.{name}")


def _clear_module_warnings() -> None:
    from ansible.module_utils.common import warnings

    for name in ("_global_warnings", "_global_deprecations"):
        store = getattr(warnings, name, None)
        if store is not None:
            store.clear()


def module_path(module: str, args: Dict[str, Any], check: bool, diff: bool, no_log: bool, invocation: bool) -> Any:
    """The result of ``main()`` with an AnsibleModule, as its process would print it."""
    from unittest import mock

    from ansible.module_utils import _internal
    from ansible.module_utils.testing import patch_module_args

    full = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_no_log=no_log)
    full.update(_ansible_inject_invocation=invocation, _ansible_module_name=module)
    _clear_module_warnings()
    out = io.StringIO()
    # as in a module process: warnings go into the result (in a controller they would be shown at once)
    not_controller = mock.patch.object(_internal, "is_controller", False)
    with not_controller, patch_module_args(full), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        collection_module(module).main()
    _clear_module_warnings()
    return json.loads(out.getvalue())


def controller_path(module: str, args: Dict[str, Any], check: bool, diff: bool, no_log: bool, invocation: bool) -> Any:
    from ansible_collections.convox.convox.plugins.plugin_utils import _controller

    action = importlib.import_module(f"ansible_collections.convox.convox.plugins.action.{module}")
    return _controller.run_task(
        action.ActionModule.task,
        args,
        name=module,
        check_mode=check,
        diff_mode=diff,
        no_log=no_log,
        invocation=invocation,
        reuse_clients=False,
    )


GENERATED = re.compile(
    r"\b[RBP][A-Z]{10}\b"  # release, build, process ids
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"  # uuids
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?Z?|\b\d+:\d\d:\d\d\.\d+"  # times, durations
    r"|\beyJ[\w.-]+"  # tokens
    r"|\b[0-9a-f]{64}\b"  # fingerprints, digests
    r"|\b[0-9a-f]{12}\b"  # request ids
    r"|\b\d+\.\d+\.\d+\.\d+\b|ip-[\d-]+\.ec2\.internal|\bi-[0-9a-f]+\b"  # hosts, instances
    r"|\b[a-z]+-[0-9a-f]{9}-[a-z0-9]{5}\b"  # pod names (web-1e5fef7f9-g50tb)
    r"|\b[a-z]+-[a-z0-9]{5}\b"  # process names (build-dpao0, web-x1y2z)
)


def normalise(value: Any, seen: Dict[str, str]) -> Any:
    """``value`` with the values the rack makes up at random replaced by ``<generated>``."""
    if isinstance(value, dict):
        return {k: normalise(v, seen) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalise(v, seen) for v in value]
    if isinstance(value, str):
        return GENERATED.sub("<generated>", value)
    return value


def _message(item: Any) -> Any:
    if isinstance(item, dict):  # ansible-core 2.19+: a serialised WarningSummary / DeprecationSummary
        return item.get("msg") or (item.get("event") or {}).get("msg") or item
    return item


def warnings_text(result: Dict[str, Any]) -> None:
    """Warnings as their messages: a module process sends summaries, which Ansible reads into the
    same objects as the strings of the controller path (``_task._convert_warnings``)."""
    for key in ("warnings", "deprecations"):
        if key in result:
            result[key] = [_message(w) for w in result[key]]


def run_scenario(emu: Any, runner: Callable[..., Any], src: str) -> List[Tuple[str, Any]]:
    emu.reset()
    results = []
    for label, module, args, check, diff, no_log, invocation in STEPS:
        concrete = {k: (src if v == SRC else v) for k, v in args.items()}
        result = runner(module, concrete, check, diff, no_log, invocation)
        warnings_text(result)
        results.append((label, result))
    return results


@pytest.fixture
def convox_env(monkeypatch, emu):
    monkeypatch.setenv("CONVOX_HOST", emu.url)
    monkeypatch.setenv("CONVOX_PASSWORD", PASSWORD)


def test_every_module_has_an_action_plugin_and_a_step():
    modules = sorted(n[:-3] for n in os.listdir(os.path.join(REPO_ROOT, "plugins", "modules")) if n.endswith(".py"))
    actions = sorted(n[:-3] for n in os.listdir(os.path.join(REPO_ROOT, "plugins", "action")) if n.endswith(".py"))
    assert actions == modules
    assert sorted({s[1] for s in STEPS}) == modules
    from ansible_collections.convox.convox.plugins.plugin_utils._controller import ConvoxAction

    for name in modules:
        action = importlib.import_module(f"ansible_collections.convox.convox.plugins.action.{name}").ActionModule
        assert issubclass(action, ConvoxAction)
        with open(os.path.join(REPO_ROOT, "plugins", "modules", f"{name}.py"), encoding="utf-8") as handle:
            source = handle.read()
        assert f"    {action.task.__name__}.main()" in source, f"{name}: the action runs another class than main()"


def test_both_paths_give_the_same_results(emu, convox_env, tmp_path):
    src = source_dir(tmp_path / "src")
    modules = run_scenario(emu, module_path, src)
    controller = run_scenario(emu, controller_path, src)
    seen_m: Dict[str, str] = {}
    seen_c: Dict[str, str] = {}
    for (label, on_module), (_label, on_controller) in zip(modules, controller):
        expected = normalise(on_module, seen_m)
        got = normalise(on_controller, seen_c)
        assert sorted(got) == sorted(expected), f"{label}: result keys differ"
        for key in expected:
            assert got[key] == expected[key], f"{label}: {key} differs"
    # the scenario exercised what it claims to
    by_label = dict(modules)
    assert by_label["app create"]["changed"] is True and "diff" in by_label["app create"]
    assert by_label["app create"]["invocation"]["module_args"]["password"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert "invocation" not in by_label["app_info"]
    assert by_label["app unknown option"]["msg"].startswith("Unsupported parameters for (convox_app) module: bogus")
    assert by_label["release missing"]["failed"] is True and "failure" in by_label["release missing"]
    assert by_label["rack_token hidden"]["warnings"]
    assert "s3cr3t-value" not in json.dumps(by_label["env set"])
    assert all("failed" in r or "changed" in r for r in by_label.values())
    assert sum(bool(r.get("failed")) for r in by_label.values()) >= 10
