# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""client.cost and client.metrics: requests on the wire, answers as models and records, bad
input refused before any request, the 503 busy retried."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qsl

import httpx
import pytest

COST = {
    "app": "myapp",
    "month-start": "2026-12-01T00:00:00Z",
    "as-of": "2026-12-05T10:00:00Z",
    "spend-usd": 12.5,
    "breakdown": [
        {"service": "worker", "gpu-hours": 1.5, "cpu-hours": 3, "mem-gb-hours": 6, "spend-usd": 10},
        {
            "service": "web",
            "gpu-hours": 0,
            "cpu-hours": 1,
            "mem-gb-hours": 2,
            "instance-type": "t3.large",
            "spend-usd": 2.5,
        },
    ],
    "variant-breakdown": [
        {"service": "worker", "instance-type": "g5.xlarge", "capacity-type": "spot", "spend-usd": 10, "replicas": 1}
    ],
    "pricing-source": "static-table",
    "pricing-table-version": "2026-06",
    "pricing-adjustment": 0.8,
    "tracking-enabled": True,
}
SERIES = [
    {
        "name": "gpu-util",
        "values": [{"avg": 50, "count": 2, "max": 60, "min": 40, "sum": 100, "time": "2026-12-05T10:00:00Z"}],
    },
    {"name": "gpu-power-w", "values": None},
]
BUSY = httpx.Response(503, json={"error": "metrics: server busy, retry shortly"})
START = datetime.datetime(2026, 12, 5, 9, 0, 0)
END = datetime.datetime(2026, 12, 5, 10, 0, 0)
TEN_HOURS = datetime.timedelta(hours=10)


def query_of(route):
    return parse_qsl(route.calls.last.request.url.query.decode(), keep_blank_values=True)


def test_cost_get(client, router):
    route = router.get("/apps/myapp/cost").mock(return_value=httpx.Response(200, json=COST))
    cost = client.cost.get("myapp")
    assert route.call_count == 1 and query_of(route) == []
    assert cost.spend_usd == 12.5 and cost.tracking_enabled is True
    assert [(line.service, line.spend_usd) for line in cost.breakdown] == [("worker", 10.0), ("web", 2.5)]
    assert cost.breakdown[1].instance_type == "t3.large"
    assert cost.variant_breakdown[0].capacity_type == "spot"
    assert cost.as_of == datetime.datetime(2026, 12, 5, 10, tzinfo=datetime.timezone.utc)
    assert cost.pricing_adjustment == 0.8


def test_cost_get_sparse_answer(client, router):
    router.get("/apps/myapp/cost").mock(
        return_value=httpx.Response(200, json={"app": "myapp", "as-of": "0001-01-01T00:00:00Z", "breakdown": None})
    )
    cost = client.cost.get("myapp")
    assert cost.as_of is None and cost.breakdown == [] and cost.variant_breakdown == []
    assert cost.tracking_enabled is False  # omitempty: absent means off


def test_cost_as_records(router):
    from ansible_collections.convox.convox.plugins.module_utils.client import ConvoxClient

    router.get("/apps/myapp/cost").mock(return_value=httpx.Response(200, json=COST))
    with ConvoxClient("https://rack.test", "secret", records=True, config_dir="/nonexistent") as rec:
        cost = rec.cost.get("myapp")
        assert cost.breakdown[0].service == "worker"
        assert cost.spend_usd == 12.5


def test_metrics_by_service_query(client, router):
    route = router.get("/apps/myapp/metrics-by-service").mock(
        return_value=httpx.Response(200, json=[{"name": "web", "metrics": SERIES}, {"name": "worker", "metrics": []}])
    )
    rows = client.metrics.by_service("myapp", ["web", "worker"], start=START, end=END, period=60, metrics=["gpu-util"])
    assert query_of(route) == [
        ("end", "20261205.100000.000000000"),
        ("metrics", "gpu-util"),
        ("period", "60"),
        ("services", "web,worker"),
        ("start", "20261205.090000.000000000"),
    ]
    assert [row.name for row in rows] == ["web", "worker"]
    assert rows[0].metrics[0].values[0].avg == 50.0
    assert rows[0].metrics[1].values == []


def test_metrics_defaults_send_no_options(client, router):
    route = router.get("/apps/myapp/services/web/metrics").mock(return_value=httpx.Response(200, json=SERIES))
    series = client.metrics.service("myapp", "web")
    assert query_of(route) == []
    assert [m.name for m in series] == ["gpu-util", "gpu-power-w"]


def test_busy_is_retried_then_answers(client, router):
    route = router.get("/apps/myapp/services/web/metrics").mock(
        side_effect=[BUSY, BUSY, httpx.Response(200, json=SERIES)]
    )
    assert len(client.metrics.service("myapp", "web")) == 2
    assert route.call_count == 3


def test_busy_past_the_retries_raises(client, router):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxGatewayError

    route = router.get("/apps/myapp/metrics-by-service").mock(return_value=BUSY)
    with pytest.raises(ConvoxGatewayError, match="metrics: server busy, retry shortly"):
        client.metrics.by_service("myapp", ["web"])
    assert route.call_count == 3  # retries=2 in the fixture


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.cost.get(""), "app"),
        (lambda c: c.metrics.by_service("myapp", "web"), "services"),
        (lambda c: c.metrics.by_service("myapp", ["Web"]), "services"),
        (lambda c: c.metrics.by_service("myapp", [f"s{i}" for i in range(101)]), "services"),
        (lambda c: c.metrics.by_service("My_App", ["web"]), "app"),
        (lambda c: c.metrics.service("myapp", "", period=60), "service"),
        (lambda c: c.metrics.service("myapp", "web", period=1), "period"),
        (lambda c: c.metrics.service("myapp", "web", period=True), "period"),
        (lambda c: c.metrics.service("myapp", "web", start=END, end=START), "end"),
        (lambda c: c.metrics.service("myapp", "web", start=START - datetime.timedelta(days=2), end=END), "start"),
        (lambda c: c.metrics.service("myapp", "web", start=START, end=END, period=0), None),
        (
            lambda c: c.metrics.service("myapp", "web", start=END - datetime.timedelta(hours=10), end=END, period=5),
            "period",
        ),
        (lambda c: c.metrics.service("myapp", "web", start="yesterday"), "start"),
    ],
)
def test_bad_input_sends_nothing(client, router, call, field):
    from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxInputError

    route = router.route(path__regex=r".*").mock(return_value=httpx.Response(200, json=[]))
    if field is None:  # period 0 means "the rack's default": fine
        call(client)
        assert route.call_count == 1
        return
    with pytest.raises(ConvoxInputError) as caught:
        call(client)
    assert caught.value.field == field
    assert route.call_count == 0
