"""App cost (5.1) and the GPU metric series per service (5.1, 5.6), 3.24.6+.

The cost report is read from the budget accumulator's state (budget.py): the month-to-date
spend and the per-service spend that ``POST /_emulator/budget`` sets. The emulator has no
Prometheus: every requested service answers the rack's eight GPU series with no values (what a
rack whose nodes have no GPU answers). The rack's bounds are checked first, then its
concurrency semaphore: ``POST /_emulator/metrics-busy`` makes the next requests answer 503
``metrics: server busy, retry shortly`` as a full semaphore does.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Dict, List, Optional

from aiohttp import web

from . import budget, core
from .router import Router
from .server import Ctx, json_reply
from .wire import ApiError, go_time, parse_go_time, utcnow

PRICING_SOURCE = "static-table"
PRICING_TABLE_VERSION = "2026-06"
GPU_WIRE_NAMES = (
    "gpu-util",
    "gpu-mem-used",
    "gpu-tensor-active",
    "gpu-sm-active",
    "gpu-dram-active",
    "gpu-fp16-active",
    "gpu-fp32-active",
    "gpu-power-w",
)
NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
MAX_RANGE = timedelta(hours=24)
MIN_PERIOD = 5
MAX_POINTS = 5000
MAX_SERVICES = 100
MAX_AGGREGATE_POINTS = 50000
DEFAULT_PERIOD = 30
DEFAULT_WINDOW = timedelta(minutes=30)


def _gate(ctx: Ctx) -> Optional[web.Response]:
    """3.24.6+ routes: an older rack answers 404 with an empty body (an unknown path)."""
    if ctx.emu.options.legacy:
        return web.Response(status=404)
    return None


def go_duration(delta: timedelta) -> str:
    """Go's time.Duration.String for whole microseconds (``25h0m0s``, ``1s``, ``1.5s``, ``500ms``)."""
    micros = round(delta.total_seconds() * 1_000_000)
    if micros == 0:
        return "0s"
    sign = "-" if micros < 0 else ""
    micros = abs(micros)
    if micros < 1_000_000:
        if micros % 1000 == 0:
            return f"{sign}{micros // 1000}ms"
        return f"{sign}{micros}µs"
    hours, rest = divmod(micros, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, frac = divmod(rest, 1_000_000)
    sec = str(seconds) + (("." + f"{frac:06d}".rstrip("0")) if frac else "")
    if hours:
        return f"{sign}{hours}h{minutes}m{sec}s"
    if minutes:
        return f"{sign}{minutes}m{sec}s"
    return f"{sign}{sec}s"


def cost_json(ctx: Ctx, app: Any) -> Dict[str, Any]:
    """structs.AppCost as the k8s provider builds it from the namespace's budget annotations."""
    state = app.budget_state or budget.new_state(utcnow())
    cfg = app.budget or {}
    per_service: Dict[str, float] = state.get("per-service-spend-usd") or {}
    instance_types: Dict[str, str] = state.get("per-service-instance-type") or {}
    lines = []
    for name, spend in sorted(per_service.items(), key=lambda item: (-item[1], item[0])):
        line: Dict[str, Any] = {"service": name, "gpu-hours": 0.0, "cpu-hours": 0.0, "mem-gb-hours": 0.0}
        if instance_types.get(name):
            line["instance-type"] = instance_types[name]
        line["spend-usd"] = spend
        lines.append(line)
    out: Dict[str, Any] = {
        "app": app.name,
        "month-start": go_time(state["month-start"]),
        "as-of": go_time(state["current-month-spend-as-of"]),
        "spend-usd": state["current-month-spend-usd"],
        "breakdown": lines,
        "pricing-source": PRICING_SOURCE,
        "pricing-table-version": PRICING_TABLE_VERSION,
        "pricing-adjustment": cfg.get("pricing-adjustment") or budget.DEFAULT_ADJUSTMENT,
    }
    if ctx.rack.cost_tracking:
        out["tracking-enabled"] = True
    return out


def app_cost(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(cost_json(ctx, app))


def _name(value: str) -> str:
    if not NAME_RE.match(value):
        raise ApiError(400, f'metrics: invalid name "{value}" (must match {NAME_RE.pattern})')
    return value


def _int64(raw: str) -> int:
    if re.fullmatch(r"[+-]?\d+", raw) and -(2**63) <= int(raw) < 2**63:
        return int(raw)
    raise ApiError(500, f'strconv.ParseInt: parsing "{raw}": invalid syntax')


def _window(ctx: Ctx) -> Dict[str, Any]:
    """validateMetricsRange: defaults (now, 30 min back, 30 s step) then the three bounds."""
    raw_end = ctx.query.get("end") or ""
    raw_start = ctx.query.get("start") or ""
    raw_period = ctx.query.get("period") or ""
    end = parse_go_time(raw_end) if raw_end else utcnow()
    start = parse_go_time(raw_start) if raw_start else end - DEFAULT_WINDOW
    period = _int64(raw_period) if raw_period else 0
    if end <= start:
        raise ApiError(400, "metrics: end must be after start")
    span = end - start
    if span > MAX_RANGE:
        raise ApiError(400, f"metrics: end-start must be at most 24h (got {go_duration(span)})")
    if period <= 0:
        period = DEFAULT_PERIOD
    if period < MIN_PERIOD:
        raise ApiError(400, f"metrics: period must be at least 5s (got {go_duration(timedelta(seconds=period))})")
    points = int(span.total_seconds() // period)
    if points > MAX_POINTS:
        raise ApiError(
            400, f"metrics: too many points per series ({points} > {MAX_POINTS}); widen period or shrink range"
        )
    return {"start": start, "end": end, "period": period, "points": points}


def _busy(ctx: Ctx) -> None:
    """The rack's GPU metrics semaphore: full (forced by the control API) → 503, retryable."""
    if ctx.rack.metrics_busy > 0:
        ctx.rack.metrics_busy -= 1
        raise ApiError(503, "metrics: server busy, retry shortly")


def _series(app: Any, service: str, window: Dict[str, Any]) -> List[Dict[str, Any]]:
    """One Metric per GPU wire name; the emulator's services run on nodes with no GPU: no values."""
    del app, service, window
    return [{"name": name, "values": []} for name in GPU_WIRE_NAMES]


def service_metrics(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app_name = _name(ctx.params["app"])
    service = _name(ctx.params["service"])
    window = _window(ctx)
    _busy(ctx)
    app = ctx.rack.apps.get(app_name)
    return json_reply(_series(app, service, window))


def metrics_by_service(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app_name = _name(ctx.params["app"])
    window = _window(ctx)
    services: List[str] = []
    for item in (ctx.query.get("services") or "").split(","):
        item = item.strip()
        if item:
            services.append(_name(item))
    if len(services) > MAX_SERVICES:
        raise ApiError(400, f"metrics: too many services ({len(services)} > {MAX_SERVICES}); reduce services list")
    aggregate = len(services) * max(window["points"], 1) * len(GPU_WIRE_NAMES)
    if aggregate > MAX_AGGREGATE_POINTS:
        raise ApiError(
            400,
            f"metrics: aggregate points ({aggregate}) exceed cap ({MAX_AGGREGATE_POINTS}); reduce services / range",
        )
    _busy(ctx)
    app = ctx.rack.apps.get(app_name)
    return json_reply([{"name": name, "metrics": _series(app, name, window)} for name in services])


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/cost", app_cost)
    router.add("GET", "/apps/{app}/metrics-by-service", metrics_by_service)
    router.add("GET", "/apps/{app}/services/{service}/metrics", service_metrics)
