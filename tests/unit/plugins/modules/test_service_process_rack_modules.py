# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Wave-2a modules (services, processes, runs, instances, rack, tokens) against a scripted fake client."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

import pytest

from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.module_utils.models import RunResult
from ansible_collections.convox.convox.plugins.modules import (
    convox_instance,
    convox_instance_info,
    convox_process,
    convox_process_info,
    convox_rack,
    convox_rack_info,
    convox_rack_token,
    convox_run,
    convox_service,
    convox_service_info,
)

SECRET = "env-secret-value-9931"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoieCJ9.c2lnbmF0dXJl"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----\n"
WRITES = ("update", "restart", "stop", "run", "run_attached", "terminate", "keyroll", "jwt", "jwt_rotate")
WRITES += ("scale_override", "triggers_enable", "triggers_disable", "triggers_threshold")


class Area:
    """One accessor (``client.services`` ...): records every call, answers from ``answers``."""

    def __init__(self, name: str, log: List[Any], answers: Dict[str, Any]) -> None:
        self._name = name
        self._log = log
        self._answers = answers

    def __getattr__(self, op: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._log.append((f"{self._name}.{op}", args, kwargs))
            answer = self._answers.get(f"{self._name}.{op}")
            if isinstance(answer, BaseException):
                raise answer
            if callable(answer):
                return answer(*args, **kwargs)
            return answer

        return call


class FakeClient:
    def __init__(self) -> None:
        self.calls: List[Any] = []
        self.answers: Dict[str, Any] = {}
        for area in ("services", "processes", "instances", "system"):
            setattr(self, area, Area(area, self.calls, self.answers))
        self.host = "http://127.0.0.1:9"
        self.rack: Optional[str] = None

    def close(self) -> None:
        pass

    @property
    def ops(self) -> List[str]:
        return [c[0] for c in self.calls]

    @property
    def writes(self) -> List[str]:
        return [c[0] for c in self.calls if c[0].split(".")[1] in WRITES]

    def call(self, op: str) -> Any:
        return next(c for c in self.calls if c[0] == op)


@pytest.fixture
def fake(run_module: Any) -> FakeClient:
    client = FakeClient()
    run_module.use_client(client)
    return client


def services(web_count: int = 2, cpu: int = 256) -> List[Dict[str, Any]]:
    return [
        {"name": "worker", "count": 1, "cpu": 256, "memory": 512, "gpu": 0, "min": 1, "max": 1, "ports": []},
        {
            "name": "web",
            "count": web_count,
            "cpu": cpu,
            "memory": 512,
            "gpu": 0,
            "min": 1,
            "max": 4,
            "ports": [{"balancer": 443, "certificate": "", "container": 3000}],
        },
    ]


def api_error(cls: Any, status: int, message: str, method: str = "GET", path: str = "/x") -> Any:
    return cls(status, message, "abc123def456", method, path)


# -- convox_service ----------------------------------------------------------------------------


def test_service_compares_only_given_options_and_sends_only_differences(run_module: Any, fake: FakeClient) -> None:
    state = {"web": 2}
    fake.answers["services.list"] = lambda app: services(state["web"])
    fake.answers["services.update"] = lambda app, name, **kw: state.update(web=kw.get("count", state["web"]))
    fake.answers["processes.list"] = lambda app, service=None: [
        {"id": f"web-{i}", "status": "running"} for i in range(state["web"])
    ]
    result = run_module(convox_service, {"app": "myapp", "name": "web", "count": 3, "memory": 512}, diff=True)
    assert result["changed"] is True
    assert result["service"]["count"] == 3
    assert result["diff"]["before"]["count"] == 2 and result["diff"]["after"]["count"] == 3
    update = fake.call("services.update")
    assert update[1] == ("myapp", "web") and update[2] == {"count": 3}  # memory already matched: not sent
    # a re-run (count given as a string-typed int still compares equal) changes nothing
    fake.calls.clear()
    again = run_module(convox_service, {"app": "myapp", "name": "web", "count": "3", "memory": 512})
    assert again["changed"] is False
    assert fake.writes == []


def test_service_check_mode_predicts_without_writes(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    result = run_module(convox_service, {"app": "myapp", "name": "web", "cpu": 512}, check=True)
    assert result["changed"] is True
    assert result["service"]["cpu"] == 512 and result["service"]["count"] == 2
    assert fake.writes == []
    assert set(fake.ops) == {"services.list"}


def test_service_unknown_service_fails_with_the_known_ones(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    result = run_module(convox_service, {"app": "myapp", "name": "nope", "count": 1})
    assert result["failed"] is True
    assert "no service nope" in result["msg"] and "web, worker" in result["msg"]
    assert fake.writes == []


def test_service_bad_input_sends_nothing(run_module: Any, fake: FakeClient) -> None:
    negative = run_module(convox_service, {"app": "myapp", "name": "web", "count": -1})
    reversed_range = run_module(convox_service, {"app": "myapp", "name": "web", "min": 4, "max": 2})
    assert negative["failed"] and reversed_range["failed"]
    assert fake.calls == []


def test_service_restart_is_always_a_change(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    checked = run_module(convox_service, {"app": "myapp", "name": "web", "state": "restarted"}, check=True)
    assert checked["changed"] is True and fake.writes == []
    result = run_module(convox_service, {"app": "myapp", "name": "web", "state": "restarted"})
    assert result["changed"] is True and result["restarted"] is True
    assert fake.writes == ["services.restart"]


def test_service_wait_times_out_with_a_clear_failure(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services(2)  # the rack never shows the new count
    fake.answers["processes.list"] = lambda app, service=None: []
    result = run_module(convox_service, {"app": "myapp", "name": "web", "count": 5, "wait_timeout": 1})
    assert result["failed"] is True
    assert "did not reach the requested scale" in result["msg"]
    assert result["failure"]["kind"] == "WaitTimeout"


def test_service_info_filters_and_sorts(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    listed = run_module(convox_service_info, {"app": "myapp"})
    assert [s["name"] for s in listed["services"]] == ["web", "worker"]
    assert listed["changed"] is False
    one = run_module(convox_service_info, {"app": "myapp", "name": "worker"})
    assert [s["name"] for s in one["services"]] == ["worker"]
    missing = api_error(errors.ConvoxNotFoundError, 404, "app not found: nope")
    fake.answers["services.list"] = missing
    failed = run_module(convox_service_info, {"app": "nope"})
    assert failed["failed"] is True and failed["failure"]["status"] == 404
    assert failed["failure"]["request_id"] == "abc123def456"


# -- convox_process / convox_process_info --------------------------------------------------------


def test_process_start_sends_options_and_never_shows_the_environment(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run"] = lambda app, service, **kw: {"id": "web-abcde", "status": "pending", "name": service}
    fake.answers["processes.get"] = lambda app, pid: {"id": pid, "status": "running", "name": "web"}
    args = {
        "app": "myapp",
        "service": "web",
        "command": "bin/reindex",
        "release": "rabc",
        "memory": 256,
        "environment": {"TOKEN": SECRET, "N": 3},
    }
    result = run_module(convox_process, args, diff=True)
    assert result["changed"] is True
    assert result["process"] == {"id": "web-abcde", "status": "running", "name": "web"}
    run = fake.call("processes.run")
    assert run[1] == ("myapp", "web")
    assert run[2] == {
        "command": "bin/reindex",
        "memory": 256,
        "release": "RABC",
        "environment": {"TOKEN": SECRET, "N": "3"},
    }
    assert SECRET not in json.dumps(result)


def test_process_start_check_mode_predicts(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    result = run_module(convox_process, {"app": "myapp", "service": "web", "command": "x"}, check=True)
    assert result["changed"] is True
    assert result["process"]["id"] == "(new process)"
    assert fake.writes == []


def test_process_stop_is_a_noop_when_gone(run_module: Any, fake: FakeClient) -> None:
    fake.answers["processes.get"] = api_error(errors.ConvoxNotFoundError, 500, 'pods "web-x" not found')
    result = run_module(convox_process, {"app": "myapp", "id": "web-x", "state": "absent"})
    assert result["changed"] is False and result["process"] == {}
    assert fake.writes == []


def test_process_stop_and_check_mode(run_module: Any, fake: FakeClient) -> None:
    alive = {"web-x": True}

    def get(app: str, pid: str) -> Dict[str, Any]:
        if not alive[pid]:
            raise api_error(errors.ConvoxNotFoundError, 500, f'pods "{pid}" not found')
        return {"id": pid, "status": "running"}

    fake.answers["processes.get"] = get
    fake.answers["processes.stop"] = lambda app, pid: alive.update({pid: False})
    checked = run_module(convox_process, {"app": "myapp", "id": "web-x", "state": "absent"}, check=True)
    assert checked["changed"] is True and fake.writes == [] and alive["web-x"]
    result = run_module(convox_process, {"app": "myapp", "id": "web-x", "state": "absent"}, diff=True)
    assert result["changed"] is True and fake.writes == ["processes.stop"]
    assert result["diff"]["before"]["id"] == "web-x" and result["diff"]["after"] == {}


def test_process_info_filters(run_module: Any, fake: FakeClient) -> None:
    procs = [
        {"id": "web-2", "name": "web", "service": "web", "release": "RNEW"},
        {"id": "web-1", "name": "web", "service": "web", "release": "ROLD"},
        {"id": "build-1", "name": "build", "release": ""},
    ]
    fake.answers["processes.list"] = lambda app, **kw: list(procs)  # a rack that ignores the filters
    listed = run_module(convox_process_info, {"app": "myapp"})
    assert [p["id"] for p in listed["processes"]] == ["build-1", "web-1", "web-2"]
    filtered = run_module(convox_process_info, {"app": "myapp", "service": "web", "release": "rnew"})
    assert [p["id"] for p in filtered["processes"]] == ["web-2"]
    assert fake.calls[-1][2] == {"service": "web", "release": "RNEW"}
    fake.answers["processes.get"] = api_error(errors.ConvoxNotFoundError, 500, 'pods "x" not found')
    assert run_module(convox_process_info, {"app": "myapp", "id": "x"})["processes"] == []


# -- convox_run ------------------------------------------------------------------------------------


def run_args(**extra: Any) -> Dict[str, Any]:
    return dict({"app": "myapp", "service": "web", "command": "bin/migrate"}, **extra)


def test_run_returns_output_and_rc_zero(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = RunResult(output=b"migrated\nok\n", exit_code=0, process_id="web-q")
    result = run_module(convox_run, run_args(environment={"TOKEN": SECRET}, release="r1", run_timeout=60))
    assert result["changed"] is True and not result.get("failed")
    assert result["rc"] == 0 and result["stdout_lines"] == ["migrated", "ok"]
    assert result["process_id"] == "web-q"
    call = fake.call("processes.run_attached")
    assert call[1] == ("myapp", "web", "bin/migrate")
    assert call[2] == {"timeout": 60, "release": "R1", "environment": {"TOKEN": SECRET}}


@pytest.mark.parametrize("code", [1, 127])
def test_run_non_zero_exit_fails_with_output(run_module: Any, fake: FakeClient, code: int) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = RunResult(output=b"boom\n", exit_code=code, process_id="web-q")
    result = run_module(convox_run, run_args())
    assert result["failed"] is True and result["changed"] is True
    assert result["rc"] == code and result["stdout"] == "boom\n"
    assert f"exited with code {code}" in result["msg"]


@pytest.mark.parametrize("marker", [None, 0])
def test_run_stream_errors_are_never_rc_zero(run_module: Any, fake: FakeClient, marker: Optional[int]) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = errors.ConvoxStreamError('pods "web-q" not found', b"part", marker)
    result = run_module(convox_run, run_args())
    assert result["failed"] is True
    assert result["rc"] == -1 and result["stdout"] == "part"
    assert result["failure"]["kind"] == "ConvoxStreamError"


def test_run_stream_error_keeps_a_non_zero_exit_code(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = errors.ConvoxStreamError("stream broke", b"", 1)
    assert run_module(convox_run, run_args())["rc"] == 1


@pytest.mark.parametrize(
    "error",
    [
        errors.ConvoxTimeoutError("the stream did not end within 3 seconds"),
        errors.ConvoxConnectionError("cannot open the stream: Connection to remote host was lost."),
    ],
)
def test_run_timeout_and_lost_connection_give_rc_minus_one(run_module: Any, fake: FakeClient, error: Any) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = error
    result = run_module(convox_run, run_args(run_timeout=3))
    assert result["failed"] is True and result["rc"] == -1


def test_run_refused_start_is_not_a_change(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run_attached"] = api_error(
        errors.ConvoxForbiddenError,
        401,
        "you are unauthorized to access this",
        "POST",
        "/apps/myapp/services/web/processes",
    )
    result = run_module(convox_run, run_args())
    assert result["failed"] is True and result["changed"] is False and result["rc"] == -1
    assert "unauthorized" in result["msg"]


def test_run_check_mode_skips_after_gets(run_module: Any, fake: FakeClient) -> None:
    fake.answers["services.list"] = lambda app: services()
    result = run_module(convox_run, run_args(), check=True)
    assert result["skipped"] is True and result["changed"] is False
    assert "not run" in result["msg"]
    assert fake.ops == ["services.list"]


def test_run_bad_input_sends_nothing(run_module: Any, fake: FakeClient) -> None:
    assert run_module(convox_run, run_args(command="  "))["failed"] is True
    assert run_module(convox_run, run_args(run_timeout=0))["failed"] is True
    assert fake.calls == []


# -- convox_instance / convox_instance_info ----------------------------------------------------------


NODES = [{"id": "ip-b", "status": "running"}, {"id": "ip-a", "status": "running"}]


def test_instance_terminate_and_noop(run_module: Any, fake: FakeClient) -> None:
    nodes = list(NODES)
    fake.answers["instances.list"] = lambda: list(nodes)
    fake.answers["instances.terminate"] = lambda node: nodes.remove(next(n for n in nodes if n["id"] == node))
    checked = run_module(convox_instance, {"id": "ip-a", "state": "absent"}, check=True)
    assert checked["changed"] is True and fake.writes == []
    result = run_module(convox_instance, {"id": "ip-a", "state": "absent"})
    assert result["changed"] is True and result["instance"]["id"] == "ip-a"
    again = run_module(convox_instance, {"id": "ip-a", "state": "absent"})
    assert again["changed"] is False and fake.writes == ["instances.terminate"]
    info = run_module(convox_instance_info, {})
    assert [i["id"] for i in info["instances"]] == ["ip-b"]


def test_instance_keyroll_returns_the_key_only_to_no_log_tasks(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"version": "3.24.9", "provider": "aws", "status": "running"}
    fake.answers["instances.keyroll"] = lambda: {"name": "rack-keypair", "private_key": PRIVATE_KEY}
    shown = run_module(convox_instance, {"state": "rekeyed"})
    assert shown["key_pair"] == {"name": "rack-keypair", "private_key": "<hidden>"}
    assert "PRIVATE KEY" not in json.dumps(shown)
    hidden_task = run_module(convox_instance, {"state": "rekeyed", "_ansible_no_log": True})
    assert hidden_task["key_pair"]["private_key"] == PRIVATE_KEY


def test_instance_keyroll_refused_off_aws_before_any_write(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"version": "3.24.9", "provider": "gcp", "status": "running"}
    result = run_module(convox_instance, {"state": "rekeyed"})
    assert result["failed"] is True and "only AWS racks" in result["msg"]
    assert fake.writes == []
    # a rack that reports no provider but answers 501 (or 500 "unimplemented" before 3.24.1)
    fake.answers["system.get"] = {"version": "3.24.0", "status": "running"}
    fake.answers["instances.keyroll"] = api_error(errors.ConvoxServerError, 500, "unimplemented", "POST")
    legacy = run_module(convox_instance, {"state": "rekeyed"})
    assert legacy["failed"] is True and "provider's own tools" in legacy["msg"]


# -- convox_rack / convox_rack_info --------------------------------------------------------------------


def test_rack_v3_matching_is_unchanged_and_differences_are_refused(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"name": "r", "version": "3.24.9", "status": "running", "parameters": None}
    same = run_module(convox_rack, {"version": "3.24.9"})
    assert same["changed"] is False and same["rack"]["version"] == "3.24.9"
    refused = run_module(convox_rack, {"parameters": {"node_type": "t3.large"}, "version": "3.24.9"}, check=True)
    assert refused["failed"] is True and "convox rack params set" in refused["msg"]
    assert refused["failure"]["differs"] == ["parameters"]
    assert fake.writes == []


def test_rack_v2_update_sends_only_differences_and_waits(run_module: Any, fake: FakeClient) -> None:
    rack = {
        "name": "r",
        "version": "20240515123456",
        "status": "running",
        "count": 3,
        "type": "t3.large",
        "parameters": {"Autoscale": "Yes", "Other": "1"},
    }
    reads = {"n": 0}

    def get() -> Dict[str, Any]:
        reads["n"] += 1
        return dict(rack)

    def update(**kwargs: Any) -> None:
        rack.update(count=kwargs.get("count", rack["count"]))
        rack["parameters"] = dict(rack["parameters"], **kwargs.get("parameters", {}))

    fake.answers["system.get"] = get
    fake.answers["system.update"] = update
    args = {"count": 4, "type": "t3.large", "parameters": {"Autoscale": "No", "Other": 1}}
    result = run_module(convox_rack, args, diff=True)
    assert result["changed"] is True
    assert fake.call("system.update")[2] == {"count": 4, "parameters": {"Autoscale": "No", "Other": "1"}}
    assert result["rack"]["count"] == 4 and result["rack"]["parameters"]["Autoscale"] == "No"
    assert reads["n"] >= 3  # the read, two "running" reads of the wait (and the final read)
    fake.calls.clear()
    assert run_module(convox_rack, args)["changed"] is False
    assert fake.writes == []


def test_rack_info_gathers_what_is_asked(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"name": "r", "version": "3.24.9"}
    fake.answers["system.capacity"] = {"cluster_cpu": 2000}
    fake.answers["system.processes"] = lambda all=False: [{"id": "router-1"}, {"id": "api-1"}]
    fake.answers["system.metrics"] = lambda **q: [{"name": "cpu", "values": []}]
    result = run_module(
        convox_rack_info,
        {"gather": ["capacity", "processes", "metrics"], "metrics_names": ["cpu"], "metrics_period": 60},
    )
    assert set(result) >= {"capacity", "processes", "metrics"} and "system" not in result
    assert [p["id"] for p in result["processes"]] == ["api-1", "router-1"]
    assert fake.call("system.metrics")[2] == {"metrics": ["cpu"], "period": 60}
    assert run_module(convox_rack_info, {})["system"]["name"] == "r"


@pytest.mark.parametrize(
    "error",
    [
        api_error(errors.ConvoxNotImplementedError, 501, "release history is unavailable"),
        api_error(errors.ConvoxServerError, 500, "release history is unavailable"),
    ],
)
def test_rack_info_releases_refusal_says_what_to_do(run_module: Any, fake: FakeClient, error: Any) -> None:
    fake.answers["system.releases"] = error
    result = run_module(convox_rack_info, {"gather": ["releases"]})
    assert result["failed"] is True
    assert "keeps no version history" in result["msg"] and "instead" in result["msg"]


def test_rack_info_other_errors_are_not_refusals(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.capacity"] = api_error(errors.ConvoxServerError, 500, "connection refused by kube")
    result = run_module(convox_rack_info, {"gather": ["capacity"]})
    assert result["failed"] is True and "version history" not in result["msg"]
    assert "connection refused by kube" in result["msg"]


# -- convox_rack_token ----------------------------------------------------------------------------------


def test_rack_token_is_returned_only_to_no_log_tasks(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"version": "3.24.9"}
    fake.answers["system.jwt"] = TOKEN
    shown = run_module(convox_rack_token, {"role": "write", "duration_hours": 5})
    assert shown["changed"] is True and shown["token"] == "<hidden>"
    assert TOKEN not in json.dumps(shown)
    assert fake.call("system.jwt")[1] == ("write", 5)
    secret = run_module(convox_rack_token, {"_ansible_no_log": True})
    assert secret["token"] == TOKEN and secret["role"] == "read" and secret["duration_hours"] == 1


def test_rack_token_check_mode_and_bounds(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"version": "3.24.9"}
    checked = run_module(convox_rack_token, {"role": "admin"}, check=True)
    assert checked["changed"] is True and "token" not in checked
    assert run_module(convox_rack_token, {"duration_hours": 0})["failed"] is True
    assert run_module(convox_rack_token, {"duration_hours": 8761})["failed"] is True
    assert fake.writes == []


def test_rack_token_rotate_and_admin_refusal(run_module: Any, fake: FakeClient) -> None:
    fake.answers["system.get"] = {"version": "3.24.9"}
    assert run_module(convox_rack_token, {"rotate": True}, check=True)["changed"] is True
    assert fake.writes == []
    assert run_module(convox_rack_token, {"rotate": True})["rotated"] is True
    assert fake.writes == ["system.jwt_rotate"]
    fake.answers["system.jwt_rotate"] = api_error(errors.ConvoxForbiddenError, 403, "admin role required", "PUT")
    refused = run_module(convox_rack_token, {"rotate": True})
    assert refused["failed"] is True and "needs the admin role" in refused["msg"]
    assert refused["failure"]["status"] == 403


# -- waits through the glue's poll (ConvoxModule.poll), on a fake clock ----------------------------


def test_service_wait_timeout_keeps_its_message_and_backoff(run_module: Any, fake: FakeClient, clock: Any) -> None:
    fake.answers["services.list"] = lambda app: services(2)
    fake.answers["processes.list"] = lambda app, service=None: []
    result = run_module(convox_service, {"app": "myapp", "name": "web", "count": 5, "wait_timeout": 20})
    assert result["msg"] == (
        "Service web of app myapp on rack at http://127.0.0.1:9 did not reach the requested scale within 20 "
        "seconds. The rack keeps working; check `convox ps -a myapp` or raise wait_timeout."
    )
    assert result["failure"] == {"kind": "WaitTimeout", "app": "myapp", "service": "web"}
    assert result["service"]["count"] == 2
    # The last pause ends at the deadline (waits.poll never sleeps past wait_timeout).
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 2.25]


def test_service_wait_returns_once_the_processes_run(run_module: Any, fake: FakeClient, clock: Any) -> None:
    state = {"count": 2, "reads": 0}

    def processes(app: str, service: Optional[str] = None) -> List[Dict[str, Any]]:
        state["reads"] += 1
        running = state["count"] if state["reads"] >= 3 else 2
        return [{"id": f"web-{i}", "status": "running"} for i in range(running)]

    fake.answers["services.list"] = lambda app: services(state["count"])
    fake.answers["services.update"] = lambda app, name, **kw: state.update(count=kw["count"])
    fake.answers["processes.list"] = processes
    result = run_module(convox_service, {"app": "myapp", "name": "web", "count": 4})
    assert result["changed"] is True and result["service"]["count"] == 4
    assert state["reads"] == 3 and clock.sleeps == [0.25, 0.5]


def test_process_wait_timeout_message(run_module: Any, fake: FakeClient, clock: Any) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run"] = lambda app, service, **kw: {"id": "web-abcde", "status": "pending"}
    fake.answers["processes.get"] = lambda app, pid: {"id": pid, "status": "pending"}
    result = run_module(convox_process, {"app": "myapp", "service": "web", "wait_timeout": 5})
    assert result["msg"] == (
        "Timed out after 5 seconds waiting for process web-abcde of app myapp to start on rack at "
        "http://127.0.0.1:9. The rack keeps working; raise wait_timeout or check the process with convox ps."
    )
    assert result["failure"] == {"kind": "WaitTimeout"}
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0, 1.25]  # the last pause ends at the deadline


def test_process_wait_treats_a_vanished_process_as_complete(run_module: Any, fake: FakeClient, clock: Any) -> None:
    fake.answers["services.list"] = lambda app: services()
    fake.answers["processes.run"] = lambda app, service, **kw: {"id": "web-abcde", "status": "pending"}
    fake.answers["processes.get"] = api_error(errors.ConvoxNotFoundError, 500, 'pods "web-abcde" not found')
    result = run_module(convox_process, {"app": "myapp", "service": "web"})
    assert result["changed"] is True and result["process"] == {"id": "web-abcde", "status": "complete"}
    assert clock.sleeps == []


def test_instance_terminate_wait_timeout_message(run_module: Any, fake: FakeClient, clock: Any) -> None:
    fake.answers["instances.list"] = lambda: [{"id": "ip-a", "status": "running"}]
    result = run_module(convox_instance, {"id": "ip-a", "state": "absent", "wait_timeout": 3})
    assert fake.writes == ["instances.terminate"]
    assert result["msg"] == (
        "Timed out after 3 seconds waiting for instance ip-a to terminate on rack at http://127.0.0.1:9. "
        "The rack keeps working; raise wait_timeout or check it with convox instances."
    )
    assert result["failure"] == {"kind": "WaitTimeout"}


def test_instance_v2_keyroll_waits_for_the_rack(run_module: Any, fake: FakeClient, clock: Any) -> None:
    statuses = iter(["running", "updating", "updating", "running"])
    fake.answers["system.get"] = lambda: {"version": "20240515123456", "status": next(statuses)}
    result = run_module(convox_instance, {"state": "rekeyed"})
    assert result["changed"] is True and fake.writes == ["instances.keyroll"]
    assert clock.sleeps == [0.25, 0.5]


def test_rack_wait_fails_on_rollback_and_on_timeout(run_module: Any, fake: FakeClient, clock: Any) -> None:
    rack = {"name": "r", "version": "20240515123456", "status": "running", "count": 3, "parameters": {}}
    statuses: List[str] = []

    def get() -> Dict[str, Any]:
        return dict(rack, status=statuses.pop(0) if statuses else rack["status"])

    fake.answers["system.get"] = get
    fake.answers["system.update"] = lambda **kw: rack.update(status="updating")
    statuses.extend(["running", "updating", "rollback"])
    rolled = run_module(convox_rack, {"count": 4})
    assert (
        rolled["msg"]
        == "The rack update on rack at http://127.0.0.1:9 failed (status rollback). Check `convox rack logs`."
    )
    assert rolled["failure"] == {"kind": "UpdateFailed", "status": "rollback"}
    statuses.append("running")
    slow = run_module(convox_rack, {"count": 5, "wait_timeout": 2})
    assert slow["msg"] == (
        "The rack on rack at http://127.0.0.1:9 was still updating after 2 seconds. "
        "It keeps updating; raise wait_timeout or check `convox rack`."
    )
    assert slow["failure"] == {"kind": "WaitTimeout", "status": "updating"}


def test_rack_update_refused_by_a_pre_3_24_1_rack(run_module: Any, fake: FakeClient) -> None:
    # A rack whose version says neither v2 nor v3 gets the request; its 500 refusal reads as the v3 one.
    fake.answers["system.get"] = {"name": "r", "version": "dev", "status": "running", "count": 3, "parameters": {}}
    fake.answers["system.update"] = api_error(
        errors.ConvoxServerError, 500, "direct rack doesn't support update, make sure ...", "PUT", "/system"
    )
    result = run_module(convox_rack, {"count": 4})
    assert result["failed"] is True and "convox rack params set" in result["msg"]
    assert result["failure"]["status"] == 500
    fake.answers["system.update"] = api_error(errors.ConvoxServerError, 500, "kube is down", "PUT", "/system")
    other = run_module(convox_rack, {"count": 4})
    assert "kube is down" in other["msg"] and "convox rack params set" not in other["msg"]


# -- convox_service: scale override and autoscale (3.24.6+) -------------------------------------

KEYS = {
    "cpu": "cpu_threshold",
    "memory": "mem_threshold",
    "gpuUtilization": "gpu_threshold",
    "queueDepth": "queue_threshold",
}


class AutoscaleRack:
    """A 3.24.6 rack's view of service web: scale override, triggers override, count."""

    def __init__(self, fake: FakeClient, old: bool = False) -> None:
        self.web: Dict[str, Any] = dict(services()[1])
        if not old:
            self.web.update({"scale_override_active": False, "triggers_override_active": False, "autoscale": None})
        fake.answers["services.list"] = lambda app: [dict(self.web)]
        fake.answers["processes.list"] = lambda app, service=None: [
            {"id": f"web-{i}", "status": "running"} for i in range(self.web["count"])
        ]
        fake.answers["services.scale_override"] = lambda app, name, active: self.web.update(
            scale_override_active=active
        )
        fake.answers["services.triggers_enable"] = self.enable
        fake.answers["services.triggers_disable"] = self.disable
        fake.answers["services.triggers_threshold"] = self.threshold
        fake.answers["services.update"] = lambda app, name, **kw: self.web.update(kw)

    def enable(self, app: str, name: str, *, min: int, max: int, triggers: List[Dict[str, Any]]) -> None:
        scale = {"enabled": True, "metric_name": None, "custom_triggers": None, **dict.fromkeys(KEYS.values())}
        scale.update({KEYS[t["type"]]: int(t["threshold"]) for t in triggers})
        self.web.update(triggers_override_active=True, autoscale=scale, min=min, max=max, count=min)

    def disable(self, app: str, name: str) -> None:
        self.web.update(triggers_override_active=False, autoscale=None, min=1, max=4, count=1)

    def threshold(self, app: str, name: str, kind: str, value: float) -> None:
        self.web["autoscale"][KEYS[kind]] = int(value)


AUTOSCALE = {
    "autoscale": True,
    "autoscale_min": 2,
    "autoscale_max": 6,
    "autoscale_triggers": [{"type": "cpu", "threshold": 70}, {"type": "memory", "threshold": 80.5}],
}


def test_service_autoscale_enable_is_idempotent_and_waits_for_the_new_count(run_module: Any, fake: FakeClient) -> None:
    rack = AutoscaleRack(fake)
    args = {"app": "myapp", "name": "web", **AUTOSCALE, "scale_override": True}
    checked = run_module(convox_service, args, check=True, diff=True)
    assert checked["changed"] is True and fake.writes == []
    predicted = checked["service"]
    assert (predicted["count"], predicted["min"], predicted["max"]) == (2, 2, 6)
    assert predicted["autoscale"]["cpu_threshold"] == 70 and predicted["autoscale"]["mem_threshold"] == 80
    assert predicted["scale_override_active"] is True and predicted["triggers_override_active"] is True
    result = run_module(convox_service, args, diff=True)
    assert result["changed"] is True
    assert fake.writes == ["services.triggers_enable", "services.scale_override"]
    enable = fake.call("services.triggers_enable")
    assert enable[2] == {
        "min": 2,
        "max": 6,
        "triggers": [{"type": "cpu", "threshold": 70.0}, {"type": "memory", "threshold": 80.5}],
    }
    assert result["service"] == predicted  # the check-mode prediction was right
    assert result["diff"]["before"]["triggers_override_active"] is False
    assert "processes.list" in fake.ops  # waited for the count the autoscaler set
    fake.calls.clear()
    again = run_module(convox_service, args)
    assert again["changed"] is False and fake.writes == []
    assert rack.web["count"] == 2


def test_service_autoscale_bounds_and_thresholds_change_in_place(run_module: Any, fake: FakeClient) -> None:
    rack = AutoscaleRack(fake)
    run_module(convox_service, {"app": "myapp", "name": "web", **AUTOSCALE})
    rack.web["count"] = 5  # the autoscaler scaled up
    fake.calls.clear()
    triggers = [{"type": "cpu", "threshold": 60}, {"type": "memory", "threshold": 80}]
    changed = dict(AUTOSCALE, autoscale_max=8, autoscale_triggers=triggers)
    result = run_module(convox_service, {"app": "myapp", "name": "web", **changed})
    assert result["changed"] is True
    assert fake.writes == ["services.update", "services.triggers_threshold"]
    assert fake.call("services.update")[2] == {"max": 8}
    assert fake.call("services.triggers_threshold")[1] == ("myapp", "web", "cpu", 60.0)
    assert rack.web["count"] == 5  # neither moved the count
    # a different set of trigger types re-creates the autoscaler
    fake.calls.clear()
    cpu_only = dict(changed, autoscale_triggers=[{"type": "cpu", "threshold": 60}])
    assert run_module(convox_service, {"app": "myapp", "name": "web", **cpu_only})["changed"] is True
    assert fake.writes == ["services.triggers_enable"]
    assert rack.web["autoscale"]["mem_threshold"] is None


def test_service_autoscale_disable_and_scale_override_off(run_module: Any, fake: FakeClient) -> None:
    rack = AutoscaleRack(fake)
    off = {"app": "myapp", "name": "web", "autoscale": False, "scale_override": False}
    assert run_module(convox_service, off)["changed"] is False and fake.writes == []
    run_module(convox_service, {"app": "myapp", "name": "web", **AUTOSCALE, "scale_override": True})
    fake.calls.clear()
    checked = run_module(convox_service, off, check=True)
    assert checked["changed"] is True and checked["service"]["autoscale"] is None and fake.writes == []
    result = run_module(convox_service, dict(off, count=3))
    assert result["changed"] is True
    assert fake.writes == ["services.triggers_disable", "services.update", "services.scale_override"]
    assert fake.call("services.update")[2] == {"count": 3}
    assert (rack.web["count"], rack.web["triggers_override_active"], rack.web["scale_override_active"]) == (
        3,
        False,
        False,
    )


def test_service_autoscale_refused_on_an_older_rack_before_any_write(run_module: Any, fake: FakeClient) -> None:
    AutoscaleRack(fake, old=True)
    for args in ({"scale_override": True}, AUTOSCALE, {"autoscale": False}):
        for check in (False, True):
            result = run_module(convox_service, {"app": "myapp", "name": "web", **args}, check=check)
            assert result["failed"] is True
            assert "needs a rack of version 3.24.6 or later" in result["msg"]
            assert result["failure"]["kind"] == "Unsupported"
    assert fake.writes == []
    # the options of older racks still work there
    assert run_module(convox_service, {"app": "myapp", "name": "web", "count": 2})["changed"] is False


CPU5 = [{"type": "cpu", "threshold": 5}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"autoscale": True, "autoscale_min": 1, "autoscale_max": 2}, "autoscale_triggers"),
        ({"autoscale": True, "autoscale_max": 2, "autoscale_triggers": CPU5}, "autoscale_min"),
        ({"autoscale_min": 1}, "autoscale_min"),
        (
            {"autoscale": True, "autoscale_min": 3, "autoscale_max": 2, "autoscale_triggers": CPU5},
            "autoscale_min (3) is larger than autoscale_max (2)",
        ),
        ({"autoscale": True, "autoscale_min": 1, "autoscale_max": 0, "autoscale_triggers": CPU5}, "autoscale_max"),
        (
            {"autoscale": True, "autoscale_min": 1, "autoscale_max": 2, "autoscale_triggers": []},
            "autoscale_triggers needs at least one trigger",
        ),
        (
            {
                "autoscale": True,
                "autoscale_min": 1,
                "autoscale_max": 2,
                "autoscale_triggers": [{"type": "cpu", "threshold": 101}],
            },
            "autoscale_triggers [0].threshold must be more than 0 and at most 100",
        ),
        (
            {
                "autoscale": True,
                "autoscale_min": 1,
                "autoscale_max": 2,
                "autoscale_triggers": [{"type": "queueDepth", "threshold": 0}],
            },
            "autoscale_triggers [0].threshold",
        ),
        (
            {"autoscale": True, "autoscale_min": 1, "autoscale_max": 2, "autoscale_triggers": CPU5 + CPU5},
            "two triggers of type cpu",
        ),
        (
            {"autoscale": True, "autoscale_min": 0, "autoscale_max": 2, "autoscale_triggers": CPU5},
            "autoscale_min 0 needs a gpuUtilization or queueDepth trigger",
        ),
        (
            {
                "autoscale": True,
                "autoscale_min": 1,
                "autoscale_max": 2,
                "autoscale_triggers": [{"type": "disk", "threshold": 5}],
            },
            "autoscale_triggers",
        ),
        (
            {"autoscale": True, "autoscale_min": 1, "autoscale_max": 2, "autoscale_triggers": [{"type": "cpu"}]},
            "threshold",
        ),
        ({"autoscale": False, "autoscale_min": 1}, "autoscale_min is only used with autoscale true"),
        (dict(AUTOSCALE, count=3), "count cannot go with autoscale true"),
        (dict(AUTOSCALE, min=1), "mutually exclusive"),
    ],
)
def test_service_autoscale_bad_input_sends_nothing(
    run_module: Any, fake: FakeClient, args: Dict[str, Any], message: str
) -> None:
    result = run_module(convox_service, {"app": "myapp", "name": "web", **args})
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert fake.calls == []


def test_service_info_shows_the_new_fields(run_module: Any, fake: FakeClient) -> None:
    rack = AutoscaleRack(fake)
    rack.web.update(scale_override_active=True)
    result = run_module(convox_service_info, {"app": "myapp", "name": "web"})
    assert result["services"][0]["scale_override_active"] is True
    assert result["services"][0]["triggers_override_active"] is False
