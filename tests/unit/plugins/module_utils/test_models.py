# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Models: every JSON shape of section 4, unknown keys kept, null lists empty, plain results."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.convox.convox.plugins.module_utils import models as m
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError

SAMPLES = [
    (
        m.App,
        {
            "generation": "3",
            "locked": False,
            "name": "myapp",
            "release": "",
            "router": "router.x",
            "status": "updating",
            "parameters": {"BuildCpu": ""},
            "budget": {"cap": 5},
        },
    ),
    (
        m.Build,
        {
            "id": "BQWERTYUIOP",
            "app": "a",
            "description": "d",
            "entrypoint": "e",
            "git-sha": "g",
            "logs": "object://a/build/B/logs",
            "manifest": "services: {}",
            "process": "build-x",
            "release": "R",
            "reason": "",
            "repository": "",
            "status": "complete",
            "started": "2024-05-01T12:00:00.1234567Z",
            "ended": "2024-05-01T12:01:00Z",
            "wildcard-domain": True,
        },
    ),
    (
        m.Release,
        {
            "id": "R",
            "app": "a",
            "build": "B",
            "env": "A=1",
            "manifest": "m",
            "description": "d",
            "created": "2024-05-01T12:00:00.1Z",
        },
    ),
    (
        m.Process,
        {
            "id": "web-1",
            "app": "a",
            "command": "c",
            "cpu": 0.5,
            "gpu": 0,
            "host": "10.0.0.1",
            "image": "i",
            "instance": "n",
            "memory": 64.5,
            "name": "web",
            "ports": ["80:3000"],
            "release": "R",
            "started": "2024-05-01T12:00:00Z",
            "status": "running",
            "service": "web",
            "gpu-util": 5.5,
            "gpu-mem-used": 100,
        },
    ),
    (m.Process, {"id": "web-1", "task_definition": "td", "ports": None}),
    (
        m.Service,
        {
            "count": 1,
            "cpu": 256,
            "domain": "web.a.x",
            "gpu": 0,
            "gpu-vendor": "",
            "memory": 512,
            "name": "web",
            "nlb": [
                {
                    "container-port": 1,
                    "port": 2,
                    "protocol": "tcp",
                    "scheme": "public",
                    "certificate": "",
                    "cross-zone": True,
                    "allow-cidr": ["0.0.0.0/0"],
                    "preserve-client-ip": False,
                }
            ],
            "ports": [{"balancer": 443, "certificate": "", "container": 3000}],
            "min": 1,
            "max": 3,
            "cold-start": False,
            "agent": False,
            "scale-override-active": False,
            "autoscale": {"enabled": True, "cpu-threshold": 70, "metric-name": "m", "custom-triggers": 1},
        },
    ),
    (
        m.Resource,
        {
            "name": "db",
            "type": "postgres",
            "status": "running",
            "url": "postgres://x",
            "parameters": None,
            "apps": [{"name": "a"}],
        },
    ),
    (m.ResourceType, {"name": "webhook", "parameters": [{"default": "", "description": "d", "name": "Url"}]}),
    (
        m.Instance,
        {
            "agent": True,
            "cpu": 0.2,
            "cpu-capacity": 2,
            "cpu-allocatable": 1.9,
            "gpu-capacity": 0,
            "gpu-allocatable": 0,
            "id": "n1",
            "memory": 100,
            "memory-capacity": 4096,
            "memory-allocatable": 4000,
            "private-ip": "10.0.0.2",
            "processes": 3,
            "public-ip": "1.2.3.4",
            "status": "running",
            "started": "2024-05-01T12:00:00Z",
        },
    ),
    (m.KeyPair, {"name": None, "private-key": None}),
    (m.Registry, {"server": "quay.io", "username": "u", "password": "p"}),
    (
        m.Certificate,
        {"id": "cert-1", "domain": "a.x", "domains": None, "expiration": "2025-01-01T00:00:00Z", "status": "Not Ready"},
    ),
    (m.ObjectRef, {"Url": "object://a/k"}),
    (m.AppConfig, {"name": "cli-env-mask", "value": "A,B"}),
    (
        m.System,
        {
            "count": 3,
            "domain": "router.x",
            "name": "rack",
            "provider": "aws",
            "rack-domain": "api.x",
            "router-internal": "ri",
            "region": "us-east-1",
            "status": "running",
            "type": "t3",
            "version": "3.24.9",
            "outputs": None,
        },
    ),
    (
        m.Capacity,
        {
            "cluster-cpu": 4000,
            "cluster-gpu": 0,
            "cluster-memory": 8000,
            "process-count": 3,
            "process-cpu": 512,
            "process-gpu": 0,
            "process-memory": 1024,
        },
    ),
    (
        m.Balancer,
        {"name": "b", "endpoint": "e", "ports": [{"protocol": "tcp", "source": 80, "target": 3000}], "service": "web"},
    ),
    (
        m.Metric,
        {
            "name": "cpu",
            "values": [{"avg": 1, "count": 2, "max": 3, "min": 0, "sum": 4, "time": "2024-05-01T12:00:00Z"}],
        },
    ),
    (m.ServiceMetricsRow, {"name": "web", "metrics": [{"name": "gpu", "values": None}]}),
    (m.SystemJwt, {"token": "t"}),
    (
        m.LetsEncryptConfig,
        {
            "role": "r",
            "solvers": [
                {"id": 1, "dns-zones": ["x"], "route53": {"hosted-zone-id": "Z", "region": None, "role": None}}
            ],
        },
    ),
    (m.ManifestService, {"name": "web", "environment": ["A", "B=1"], "scale": {"min": 1}}),
    (
        m.AppDiagnosticReport,
        {
            "namespace": "rack-a",
            "rack": "rack",
            "app": "a",
            "timestamp": "2024-05-01T12:00:00Z",
            "overview": {"services": []},
            "initPods": [],
            "pods": [{"name": "p"}],
            "summary": {"total": 1},
        },
    ),
]


@pytest.mark.parametrize(("model", "data"), SAMPLES, ids=[f"{s[0].__name__}-{i}" for i, s in enumerate(SAMPLES)])
def test_every_shape_parses_and_dumps_plain_json(model, data):
    obj = m.parse(model, data)
    result = m.to_result(obj)
    assert json.loads(json.dumps(result)) == result
    assert all("-" not in key for key in result)
    # every wire key survives (as an attribute or as a kept unknown key)
    for key in data:
        snake = key.replace("-", "_")
        assert snake in result or key == "Url" or key == "initPods", key
    # round trip through the wire names
    again = m.parse(model, obj.model_dump(mode="json", by_alias=True))
    assert m.to_result(again) == result


def test_aliases_and_times():
    build = m.parse(m.Build, SAMPLES[1][1])
    assert build.git_sha == "g"
    assert build.started == datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    assert build.to_result()["started"] == "2024-05-01T12:00:00.123456Z"
    assert build.to_result()["wildcard_domain"] is True
    running = m.parse(m.Build, {"id": "B", "ended": "0001-01-01T00:00:00Z", "started": ""})
    assert running.ended is None and running.started is None


def test_null_lists_and_maps_read_empty():
    assert m.parse(m.Process, {"ports": None}).ports == []
    assert m.parse(m.Certificate, {"domains": None}).domains == []
    assert m.parse(m.Service, {"nlb": None, "ports": None}).nlb == []
    assert m.parse(m.Resource, {"parameters": None, "apps": None}).parameters == {}
    assert m.parse(m.System, {"outputs": None}).outputs == {}
    assert m.parse(m.App, {"name": None}).name == ""


def test_unknown_fields_kept():
    app = m.parse(m.App, {"name": "a", "new-field": {"x": 1}, "cost-usd": 3.5})
    assert app.model_extra == {"new-field": {"x": 1}, "cost-usd": 3.5}
    assert app.to_result()["new_field"] == {"x": 1}
    assert app.to_result()["cost_usd"] == 3.5


def test_user_keys_are_not_renamed():
    app = m.parse(m.App, {"name": "a", "parameters": {"Build-Labels": "x"}})
    assert app.to_result()["parameters"] == {"Build-Labels": "x"}


def test_secrets_not_in_repr():
    registry = m.parse(m.Registry, {"server": "s", "username": "u", "password": "hunter2"})
    assert "hunter2" not in repr(registry)
    key = m.parse(m.KeyPair, {"private-key": "PEMDATA"})
    assert "PEMDATA" not in repr(key)


def test_build_by_field_name():
    assert m.Build(git_sha="x").git_sha == "x"
    assert m.ObjectRef(url="u").url == "u"


def test_to_result_lists_and_dataclasses():
    items = [m.parse(m.App, {"name": "a"}), m.parse(m.App, {"name": "b"})]
    assert [item["name"] for item in m.to_result(items)] == ["a", "b"]
    run = m.RunResult(output=b"hi\xff", exit_code=2, process_id="p")
    assert m.to_result(run) == {"output": "hi\ufffd", "exit_code": 2, "process_id": "p"}
    plan = m.EnvPlan(
        app="a", base_release=None, current={}, desired={"A": "secret"}, added=["A"], changed=[], removed=[]
    )
    assert m.to_result(plan) == {
        "app": "a",
        "base_release": None,
        "added": ["A"],
        "changed": [],
        "removed": [],
        "changed_any": True,
    }
    assert "secret" not in json.dumps(m.to_result(plan))
    assert m.to_result({"when": datetime.datetime(2024, 1, 1), "raw": b"x", "t": (1, 2)}) == {
        "when": "2024-01-01T00:00:00",
        "raw": "x",
        "t": [1, 2],
    }

    import dataclasses

    @dataclasses.dataclass
    class Other:
        name: str

    assert m.to_result(Other("x")) == {"name": "x"}


def test_one_time_formatter():
    """``_convert.format_time`` is the client's one time formatter (also ``models.format_time``)."""
    from ansible_collections.convox.convox.plugins.module_utils import _convert

    assert m.format_time is _convert.format_time
    assert m._time_result is _convert.format_time  # its former private name
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    aware = datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=plus_two)
    assert _convert.format_time(aware) == "2024-01-02T01:04:05.123456Z"
    assert _convert.format_time(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)) == "2024-01-01T00:00:00Z"
    assert _convert.format_time(datetime.datetime(2024, 1, 1)) == "2024-01-01T00:00:00"  # naive: as it is
    assert m.to_result({"t": aware, "n": [aware]}) == {
        "t": "2024-01-02T01:04:05.123456Z",
        "n": ["2024-01-02T01:04:05.123456Z"],
    }
    build = m.parse(m.Build, {"started": "2024-01-02T03:04:05.5+02:00"})
    assert build.to_result()["started"] == "2024-01-02T01:04:05.500000Z"


def test_parse_errors():
    with pytest.raises(ConvoxError):
        m.parse(m.App, "text")
    with pytest.raises(ConvoxError):
        m.parse_list(m.App, {"a": 1})
    assert m.parse_list(m.App, None) == []
    with pytest.raises(ConvoxError, match="Capacity"):
        m.parse(m.Capacity, {"cluster-cpu": "lots"})


def test_model_groups_load_lazily():
    import subprocess
    import sys

    here = __import__("os").path.dirname(__import__("os").path.abspath(__file__))
    code = (
        f"import sys; sys.path.insert(0, {here!r}); import conftest; conftest._install()\n"
        "p = 'ansible_collections.convox.convox.plugins.module_utils.'\n"
        "from ansible_collections.convox.convox.plugins.module_utils import client, models\n"
        "print(sorted(n[len(p):] for n in sys.modules if n.startswith(p + '_models')))\n"
        "print('pydantic' in sys.modules)\n"
        "models.App\n"
        "print(sorted(n[len(p):] for n in sys.modules if n.startswith(p + '_models')))\n"
        "from ansible_collections.convox.convox.plugins.module_utils.models import Resource\n"
        "print(sorted(n[len(p):] for n in sys.modules if n.startswith(p + '_models')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.splitlines() == [
        "[]",
        "False",
        "['_models_apps', '_models_base']",
        "['_models_apps', '_models_base', '_models_rack']",
    ]


def test_unknown_model_name():
    with pytest.raises(AttributeError, match="NoSuchModel"):
        m.NoSuchModel  # noqa: B018
    assert "Process" in dir(m)
    assert set(m.LAZY_MODELS) <= set(m.__all__)
