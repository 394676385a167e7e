# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared glue: normalisation, compare, env masking, error reporting, the declarative loop."""

from __future__ import annotations

import json
import sys
import types
from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.convox.convox.plugins.module_utils import _module, errors
from ansible_collections.convox.convox.plugins.module_utils._module import (
    ConvoxModule,
    failure_details,
    is_v3_refusal,
)
from ansible_collections.convox.convox.plugins.module_utils._tasks import (
    ConvoxTask,
    DeclarativeResource,
    compare_subset,
    merge_desired,
)
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN, env_diff, parse_env
from ansible_collections.convox.convox.plugins.module_utils._wire import normalize_id, normalize_scalar
from ansible_collections.convox.convox.plugins.module_utils.resources import environment

SECRET = "hunter2-value"


# -- normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("rabcdefghij", "RABCDEFGHIJ"), (" Bqwertyuiop ", "BQWERTYUIOP"), ("RXYZ", "RXYZ"), (None, "")],
)
def test_normalize_id_upper_cases(raw: Optional[str], expected: str) -> None:
    assert normalize_id(raw) == expected


def test_normalize_scalar_int_string_bool() -> None:
    assert normalize_scalar(512) == "512"
    assert normalize_scalar("512") == "512"
    assert normalize_scalar(512.0) == "512"
    assert normalize_scalar(1.5) == "1.5"
    assert normalize_scalar(True) == "true"
    assert normalize_scalar(False) == "false"
    assert normalize_scalar(None) is None
    assert normalize_scalar({"a": 1, "b": [2, True]}) == {"a": "1", "b": ["2", "true"]}


def test_parse_env_text_follows_rack_rules() -> None:
    text = "B=2\nA=x=y\r\n  SPACED  =v \nnoequals\n=novalue\nEMPTY="
    assert parse_env(text) == {"A": "x=y", "B": "2", "SPACED": "v ", "EMPTY": ""}


def test_parse_env_ordering_does_not_matter() -> None:
    assert parse_env("A=1\nB=2") == parse_env("B=2\nA=1")
    assert parse_env({"B": "2", "A": "1"}) == parse_env("A=1\nB=2")


def test_parse_env_mapping_and_list_normalise_values() -> None:
    assert parse_env({"PORT": 8080, "DEBUG": True, "NONE": None}) == {"PORT": "8080", "DEBUG": "true", "NONE": ""}
    assert parse_env(["A=1", "B=two=2"]) == {"A": "1", "B": "two=2"}
    assert parse_env(None) == {}


@pytest.mark.parametrize(
    "text",
    ["A=x=y\nB=2\r\n SPACED =v \nnoequals\n=novalue\nEMPTY=", "", "\n\n", "B=2\nA=1\nA=3", "K==\r"],
)
def test_parse_env_text_is_the_clients_reading(text: str) -> None:
    from ansible_collections.convox.convox.plugins.module_utils.resources import environment

    assert parse_env(text) == environment.parse_env(text)
    assert parse_env(text.split("\n")) == environment.parse_env(text)
    env = parse_env(text)
    assert parse_env(environment.format_env(env)) == env


def test_parse_env_list_items_are_lines_of_the_text() -> None:
    # A list is read as the lines of the rack's text form (the client's parse_env), so an item
    # that holds a line break is two lines there (it used to keep the break in the value).
    assert parse_env(["A=1\nB=2", "C=3\r"]) == {"A": "1", "B": "2", "C": "3"}


def test_parse_env_mapping_keeps_values_verbatim() -> None:
    # A mapping is not text: "=" and line breaks in values stay for validate_env to judge.
    assert parse_env({" K ": "a=b\nc", "": "x", "N": 1.0}) == {"K": "a=b\nc", "N": "1"}


def test_parse_env_reads_the_clients_text_form() -> None:
    assert parse_env(environment.format_env({"X": "a=b", "Y": ""})) == {"X": "a=b", "Y": ""}


def test_env_diff_and_mask_never_carry_values() -> None:
    current = {"KEEP": SECRET, "CHANGE": SECRET, "DROP": SECRET}
    desired = {"KEEP": SECRET, "CHANGE": SECRET + "2", "ADD": SECRET}
    before, after = env_diff(current, desired)
    dumped = json.dumps([before, after])
    assert SECRET not in dumped
    assert after["ADD"] == HIDDEN + " (added)"
    assert after["CHANGE"] == HIDDEN + " (changed)"
    assert after["KEEP"] == HIDDEN
    assert before["DROP"] == HIDDEN + " (removed)"
    assert "DROP" not in after


def test_env_diff_show_values_opt_in() -> None:
    before, after = env_diff({"A": "1"}, {"A": "2"}, show_values=True)
    assert before == {"A": "1"} and after == {"A": "2"}


# -- compare ------------------------------------------------------------------


def test_compare_subset_only_user_keys_and_normalised() -> None:
    current = {"name": "app", "locked": False, "parameters": {"BuildCpu": "512", "BuildMem": "1024"}}
    assert compare_subset(current, {"locked": None, "parameters": {"BuildCpu": 512}}) == {}
    assert compare_subset(current, {"locked": "false"}) == {}
    diff = compare_subset(current, {"locked": True, "parameters": {"BuildMem": 2048}})
    assert diff == {"locked": (False, True), "parameters": ({"BuildMem": "1024"}, {"BuildMem": 2048})}


def test_compare_subset_missing_current() -> None:
    assert compare_subset(None, {"a": 1}) == {"a": (None, 1)}
    assert compare_subset({}, {"m": {"k": "v"}}) == {"m": ({"k": None}, {"k": "v"})}


def test_merge_desired_lays_user_values_over_current() -> None:
    current = {"a": 1, "m": {"x": "1", "y": "2"}}
    merged = merge_desired(current, {"a": None, "m": {"y": "3"}, "b": True})
    assert merged == {"a": 1, "m": {"x": "1", "y": "3"}, "b": True}
    assert current["m"] == {"x": "1", "y": "2"}


# -- failures -------------------------------------------------------------------


def test_failure_details_from_api_error() -> None:
    err = errors.ConvoxConflictError(409, "app is locked: web", "abcdef012345", "DELETE", "/apps/web")
    details = failure_details(err)
    assert details["status"] == 409
    assert details["message"] == "app is locked: web"
    assert details["request_id"] == "abcdef012345"
    assert details["method"] == "DELETE" and details["path"] == "/apps/web"


def test_budget_refusals_say_what_to_do() -> None:
    tripped = errors.ConvoxConflictError(409, "budget cap exceeded for app web: spent $12.00 of $10.00 cap this month")
    assert "convox.convox.convox_budget with state: reset" in _module._hint_for(tripped)
    assert "monthly_cap_usd" in _module._hint_for(tripped)
    other = errors.ConvoxConflictError(409, "app already exists: web")
    assert "budget" not in _module._hint_for(other)
    untracked = errors.ConvoxAPIError(422, "rack parameter cost_tracking_enable is false. Budget enforcement ...")
    assert "cost_tracking_enable=true" in _module._hint_for(untracked)


def test_strip_credentials() -> None:
    assert _module.strip_credentials("https://convox:pw@api.example.com/x") == "https://api.example.com/x"
    assert _module.strip_credentials("api.example.com") == "api.example.com"


# -- a tiny declarative module, run end to end with a fake store ----------------


class _Store:
    def __init__(self, items: Optional[Dict[str, Dict[str, Any]]] = None, fail: Optional[Exception] = None) -> None:
        self.items = items or {}
        self.writes: List[str] = []
        self.fail = fail

    def close(self) -> None:
        pass


class _Thing(DeclarativeResource):
    result_key = "thing"
    kind = "thing"

    def read(self) -> Optional[Dict[str, Any]]:
        store = self.cm.client
        if store.fail is not None:
            raise store.fail
        item = store.items.get(self.params["name"])
        return dict(item) if item is not None else None

    def desired(self) -> Dict[str, Any]:
        return {"name": self.params["name"], "size": self.params["size"], "labels": self.params["labels"]}

    def create(self, desired: Dict[str, Any]) -> Dict[str, Any]:
        self.cm.client.writes.append("create")
        self.cm.client.items[desired["name"]] = merge_desired({}, desired)
        return self.cm.client.items[desired["name"]]

    def update(self, current: Dict[str, Any], desired: Dict[str, Any], differences: Any) -> Dict[str, Any]:
        self.cm.client.writes.append("update")
        self.cm.client.items[current["name"]] = merge_desired(current, desired)
        return self.cm.client.items[current["name"]]

    def delete(self, current: Dict[str, Any]) -> None:
        self.cm.client.writes.append("delete")
        del self.cm.client.items[current["name"]]


def _main() -> None:
    cm = ConvoxModule(
        {
            "name": {"type": "str", "required": True},
            "size": {"type": "int"},
            "labels": {"type": "dict"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        }
    )
    _Thing(cm).execute()


THING = types.SimpleNamespace(main=_main)


def test_declarative_create_check_mode_predicts_and_writes_nothing(run_module: Any) -> None:
    store = _Store()
    run_module.use_client(store)
    result = run_module(THING, {"name": "a", "size": 2}, check=True, diff=True)
    assert result["changed"] is True
    assert result["thing"] == {"name": "a", "size": 2}
    assert result["diff"] == {"before": {}, "after": {"name": "a", "size": 2}}
    assert store.writes == [] and store.items == {}


def test_declarative_create_then_idempotent(run_module: Any) -> None:
    store = _Store()
    run_module.use_client(store)
    first = run_module(THING, {"name": "a", "size": 2, "labels": {"x": "1"}})
    assert first["changed"] is True and store.writes == ["create"]
    again = run_module(THING, {"name": "a", "size": "2", "labels": {"x": 1}})
    assert again["changed"] is False and store.writes == ["create"]
    assert "diff" not in again


def test_declarative_update_compares_only_given_keys(run_module: Any) -> None:
    store = _Store({"a": {"name": "a", "size": 2, "labels": {"x": "1", "y": "2"}}})
    run_module.use_client(store)
    same = run_module(THING, {"name": "a", "labels": {"y": "2"}})
    assert same["changed"] is False
    check = run_module(THING, {"name": "a", "labels": {"y": "3"}}, check=True, diff=True)
    assert check["changed"] is True and store.writes == []
    assert check["thing"]["labels"] == {"x": "1", "y": "3"}
    assert check["diff"]["before"]["labels"] == {"x": "1", "y": "2"}
    real = run_module(THING, {"name": "a", "labels": {"y": "3"}})
    assert real["changed"] is True and store.writes == ["update"]
    assert store.items["a"]["labels"] == {"x": "1", "y": "3"}


def test_declarative_delete_and_delete_again(run_module: Any) -> None:
    store = _Store({"a": {"name": "a"}})
    run_module.use_client(store)
    check = run_module(THING, {"name": "a", "state": "absent"}, check=True)
    assert check["changed"] is True and store.writes == []
    gone = run_module(THING, {"name": "a", "state": "absent"})
    assert gone["changed"] is True and store.writes == ["delete"] and gone["thing"] == {}
    again = run_module(THING, {"name": "a", "state": "absent"})
    assert again["changed"] is False and store.writes == ["delete"]


def test_api_error_becomes_clean_failure_without_secrets(run_module: Any) -> None:
    err = errors.ConvoxServerError(500, "boom while reading", "0123456789ab", "GET", "/things/a")
    run_module.use_client(_Store(fail=err))
    result = run_module(THING, {"name": "a", "password": SECRET})
    assert result["failed"] is True
    assert "thing a" in result["msg"] and "boom while reading" in result["msg"]
    assert "re-run" in result["msg"] or "again" in result["msg"]
    assert result["failure"]["status"] == 500
    assert result["failure"]["request_id"] == "0123456789ab"
    assert "exception" not in result
    assert SECRET not in json.dumps(result)


def test_not_found_error_hint(run_module: Any) -> None:
    err = errors.ConvoxAuthError(401, "invalid authentication", None, "GET", "/things/a")
    run_module.use_client(_Store(fail=err))
    result = run_module(THING, {"name": "a"})
    assert result["failed"] is True
    assert "password" in result["msg"]
    assert result["failure"]["status"] == 401


def test_connection_options_fall_back_to_environment(run_module: Any, monkeypatch: Any) -> None:
    seen: Dict[str, Any] = {}

    def fake_build(self: ConvoxModule) -> _Store:
        seen.update(self.params)
        return _Store()

    monkeypatch.setattr(ConvoxModule, "_build_client", fake_build)
    monkeypatch.setenv("CONVOX_HOST", "http://from-env:1")
    monkeypatch.setenv("CONVOX_PASSWORD", SECRET)
    monkeypatch.setenv("CONVOX_RACK", "envrack")
    with run_module.args({"name": "a"}), pytest.raises(SystemExit):
        _main()
    assert seen["host"] == "http://from-env:1"
    assert seen["password"] == SECRET
    assert seen["rack"] == "envrack"
    assert seen["validate_certs"] is True


def test_missing_library_reported_with_missing_required_lib(run_module: Any, monkeypatch: Any) -> None:
    fake_client_module = types.SimpleNamespace(
        HAS_DEPENDENCIES=False, missing_dependency=lambda: ("httpx", "Traceback: no httpx")
    )
    import ansible_collections.convox.convox.plugins.module_utils as mu

    monkeypatch.setattr(mu, "client", fake_client_module, raising=False)
    monkeypatch.setitem(sys.modules, mu.__name__ + ".client", fake_client_module)
    result = run_module(THING, {"name": "a"})
    assert result["failed"] is True
    assert "httpx" in result["msg"]


@pytest.mark.parametrize(
    ("host", "validate", "expected"),
    [("http://127.0.0.1:1", True, False), ("https://api.example.com", True, True), ("https://x", False, False)],
)
def test_client_options(run_module: Any, monkeypatch: Any, host: str, validate: bool, expected: bool) -> None:
    seen: Dict[str, Any] = {}

    class FakeConvoxClient(_Store):
        def __init__(self, **options: Any) -> None:
            super().__init__()
            seen.update(options)

    fake_client_module = types.SimpleNamespace(
        HAS_DEPENDENCIES=True, missing_dependency=lambda: None, ConvoxClient=FakeConvoxClient
    )
    import ansible_collections.convox.convox.plugins.module_utils as mu

    monkeypatch.setattr(mu, "client", fake_client_module, raising=False)
    monkeypatch.setitem(sys.modules, mu.__name__ + ".client", fake_client_module)
    result = run_module(THING, {"name": "a", "host": host, "validate_certs": validate, "timeout": 7})
    assert result["changed"] is True
    assert seen["verify"] is expected
    assert seen["host"] == host and seen["password"] == "s3cr3t-pw" and seen["timeout"] == 7.0


@pytest.mark.parametrize(("given", "expected"), [(None, 600), (0, 0), (45, 45)])
def test_wait_timeout_default_and_zero_kept(run_module: Any, given: Optional[int], expected: int) -> None:
    args: Dict[str, Any] = {"name": "a"}
    if given is not None:
        args["wait_timeout"] = given
    with run_module.args(args):
        cm = ConvoxModule({"name": {"type": "str"}}, wait=True)
    assert cm.wait_timeout == expected


# -- v3 refusals, hints, skip and poll -----------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.ConvoxNotImplementedError(501, "unimplemented", None, "POST", "/instances/keyroll"), True),
        (errors.ConvoxNotImplementedError(501, "direct rack doesn't support update", None, "PUT", "/system"), True),
        (errors.ConvoxServerError(500, "release history is unavailable", None, "GET", "/system/releases"), True),
        (errors.ConvoxServerError(500, "Unimplemented", None, "POST", "/instances/keyroll"), True),
        (errors.ConvoxServerError(500, "direct rack doesn't support update, ...", None, "PUT", "/system"), True),
        (errors.ConvoxServerError(500, "boom", None, "GET", "/system/releases"), False),
        (errors.ConvoxValidationError(400, "unavailable on v3 racks", None, "PUT", "/resources/db"), False),
        (errors.ConvoxGatewayError(503, "service unavailable", None, "GET", "/system"), False),
        (errors.ConvoxError("unimplemented"), False),
    ],
)
def test_is_v3_refusal(error: BaseException, expected: bool) -> None:
    assert is_v3_refusal(error) is expected


def _fail_with(error: BaseException, action: str = "mint an admin token") -> types.SimpleNamespace:
    def main() -> None:
        cm = ConvoxModule({})

        def work() -> None:
            cm.set_context(action)
            raise error

        cm.run(work)

    return types.SimpleNamespace(main=main)


def test_forbidden_admin_hint(run_module: Any) -> None:
    run_module.use_client(_Store())
    admin = errors.ConvoxForbiddenError(403, "admin role required", "req1", "PUT", "/system/jwt/rotate")
    result = run_module(_fail_with(admin, "rotate the token signing key"), {})
    assert result["msg"] == (
        "Could not rotate the token signing key on rack at http://127.0.0.1:9: admin role required. "
        "This needs the admin role: use the rack password or an admin token."
    )
    assert result["failure"]["status"] == 403 and result["failure"]["request_id"] == "req1"
    write = errors.ConvoxForbiddenError(403, "you need write access", None, "POST", "/apps")
    result = run_module(_fail_with(write, "create app a"), {})
    assert result["msg"].endswith("use a password or token with write access.")


def test_skip_ends_the_task_skipped(run_module: Any) -> None:
    def main() -> None:
        ConvoxModule({}).skip("Check mode: nothing ran.", cmd="true")

    result = run_module(types.SimpleNamespace(main=main), {}, check=True)
    assert result["changed"] is False and result["skipped"] is True
    assert result["msg"] == "Check mode: nothing ran." and result["cmd"] == "true"


def _poller(answers: List[Any], **options: Any) -> types.SimpleNamespace:
    def main() -> None:
        cm = ConvoxModule({}, wait=True)
        reads = iter(answers)
        value = cm.poll(lambda: next(reads), "the thing to settle", **options)
        cm.exit(False, value=value)

    return types.SimpleNamespace(main=main)


def test_poll_backs_off_and_returns_the_settled_value(run_module: Any, clock: Any) -> None:
    run_module.use_client(_Store())
    answers: List[Any] = [(False, i) for i in range(6)] + [(True, "done")]
    result = run_module(_poller(answers, max_delay=2.0), {})
    assert result["value"] == "done"
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]


def test_poll_times_out_with_the_hint(run_module: Any, clock: Any) -> None:
    run_module.use_client(_Store())
    answers: List[Any] = [(False, None)] * 100
    result = run_module(_poller(answers, hint="check it with convox ps"), {"wait_timeout": 10})
    assert result["failed"] is True and result["failure"] == {"kind": "WaitTimeout"}
    assert result["msg"] == (
        "Timed out after 10 seconds waiting for the thing to settle on rack at http://127.0.0.1:9. "
        "The rack keeps working; raise wait_timeout or check it with convox ps."
    )
    # The last pause ends at the deadline (waits.poll never sleeps past wait_timeout).
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 2.25]
    assert sum(clock.sleeps) == 10


def test_poll_timeout_callback_sees_the_last_value(run_module: Any, clock: Any) -> None:
    run_module.use_client(_Store())

    def main() -> None:
        cm = ConvoxModule({}, wait=True)
        reads = iter(range(100))
        cm.poll(
            lambda: (False, next(reads)),
            "x",
            on_timeout=lambda last: cm.fail(f"still not there at read {last}", failure={"kind": "Mine"}),
        )

    result = run_module(types.SimpleNamespace(main=main), {"wait_timeout": 0})
    assert result["msg"] == "still not there at read 0" and result["failure"] == {"kind": "Mine"}
    assert clock.sleeps == []


class _Services:
    def __init__(self, names: List[str]) -> None:
        self.calls: List[Any] = []
        self._names = names

    def list(self, app: str) -> List[Dict[str, Any]]:
        self.calls.append(app)
        return [{"name": name, "count": 1} for name in self._names]


def _service_lookup(service: str) -> types.SimpleNamespace:
    def main() -> None:
        cm = ConvoxModule({})
        found = ConvoxTask(cm).service_of("myapp", service, "Deploy a release that declares it first.", cmd="x")
        cm.exit(False, found=found)

    return types.SimpleNamespace(main=main)


def test_service_of_returns_the_service_or_names_the_others(run_module: Any) -> None:
    store = _Store()
    store.services = _Services(["worker", "web"])
    store.host = "http://127.0.0.1:9"
    run_module.use_client(store)
    assert run_module(_service_lookup("web"), {})["found"] == {"name": "web", "count": 1}
    missing = run_module(_service_lookup("api"), {})
    assert missing["msg"] == (
        "App myapp has no service api on rack at http://127.0.0.1:9 (its services: web, worker). "
        "Deploy a release that declares it first."
    )
    assert missing["failure"] == {"kind": "ServiceNotFound", "app": "myapp", "service": "api"}
    assert missing["cmd"] == "x"
    store.services = _Services([])
    assert "(its services: none)" in run_module(_service_lookup("api"), {})["msg"]


def test_registry_result_never_shows_the_password():
    from ansible_collections.convox.convox.plugins.module_utils import _records
    from ansible_collections.convox.convox.plugins.module_utils._views import registry_view

    wire = {"server": "quay.io", "username": "bot", "password": "s3cret-registry"}
    for registry in (wire, _records.record("Registry", wire)):
        assert registry_view(registry) == {"server": "quay.io", "username": "bot"}
    assert registry_view(None) == {}


# -- connection and wait options are checked before any request (the client is never built) ----------


def _waiting_main() -> None:
    cm = ConvoxModule(
        {
            "name": {"type": "str", "required": True},
            "size": {"type": "int"},
            "labels": {"type": "dict"},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
        wait=True,
    )
    _Thing(cm).execute()


WAITING_THING = types.SimpleNamespace(main=_waiting_main)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"wait_timeout": -1}, "Option wait_timeout must be 0 or more seconds, got -1."),
        ({"timeout": -1}, "Option timeout must be more than 0 seconds, got -1."),
        ({"timeout": 0}, "Option timeout must be more than 0 seconds, got 0."),
        ({"ca_path": "/etc/ssl/ca.pem", "validate_certs": False}, "Options ca_path and validate_certs=false"),
        ({"host": "http://convox:p@ss:w/rd@rack.test:5443"}, "Option host: The Convox host URL has user info"),
        ({"host": "ftp://rack.test"}, "Option host: The Convox host must be an http or https URL"),
    ],
)
def test_bad_connection_options_fail_before_the_client_is_built(
    run_module: Any, monkeypatch: Any, args: Dict[str, Any], expected: str
) -> None:
    built: List[bool] = []
    monkeypatch.setattr(ConvoxModule, "_build_client", lambda _self: built.append(True) or _Store())
    result = run_module(WAITING_THING, dict({"name": "a", "size": 1}, **args))
    assert result["failed"] is True
    assert result["msg"].startswith(expected), result["msg"]
    assert built == []  # no client, so no request
    assert "p@ss" not in json.dumps(result) and "w/rd" not in json.dumps(result)


def test_timeout_hint_names_only_the_options_a_module_has(run_module: Any) -> None:
    run_module.use_client(_Store(fail=errors.ConvoxTimeoutError("the rack did not answer in time")))
    without_wait = run_module(THING, {"name": "a"})
    assert "raise timeout or check the rack" in without_wait["msg"]
    with_wait = run_module(WAITING_THING, {"name": "a"})
    assert "raise wait_timeout (or timeout) or check the rack" in with_wait["msg"]
