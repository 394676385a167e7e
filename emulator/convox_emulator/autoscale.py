"""Per-service scale override and Console-driven autoscale triggers (5.6, 3.24.6+).

What a rack does, as read from its provider (docs/emulator.md "Scale override and triggers"):

* ``scale-override``: a flag on the service's deployment. While it is on, a promote keeps the
  service's running count (even 0) instead of falling back to the manifest's ``scale.count``.
  Setting the flag to its current value changes nothing. It does not touch the count itself
  and ``PUT /apps/{app}/services/{name}`` is not refused while it is on.
* ``triggers/enable``: validates the options (untyped 500s), picks the autoscaler kind
  (``hpa`` for cpu/memory only, ``keda`` as soon as a GPU or queue trigger is present),
  replaces any earlier one, and sets the deployment's replicas to ``min``. The service then
  lists ``autoscale`` with the live thresholds and ``min``/``max`` from the autoscaler.
* ``triggers/disable``: nothing when no override is on; otherwise removes it and sets the
  replicas to the manifest's minimum (1 when that is 0).
* ``triggers/threshold``: needs an active override (500 otherwise); an ``hpa`` override takes
  cpu/memory only (adds the metric when missing); a ``keda`` one only updates triggers it has.

None of these routes looks at the cost budget (only scale, promote and run do). The emulated
rack has KEDA and GPU telemetry enabled.
"""

from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Optional

from aiohttp import web

from . import budget, core
from .router import Router
from .server import Ctx, ok
from .state import App
from .wire import ApiError

TRIGGER_TYPES = ("cpu", "memory", "gpuUtilization", "queueDepth")
THRESHOLD_KEYS = {
    "cpu": "cpu-threshold",
    "memory": "mem-threshold",
    "gpuUtilization": "gpu-threshold",
    "queueDepth": "queue-threshold",
}
GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
UNMARSHAL = "invalid opts payload: json: cannot unmarshal"
GO_BOOLS.update({"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False})


def _spec(app: Optional[App], service: str) -> Any:
    """The service's manifest entry when the rack has a deployment for it (agents are daemon sets)."""
    if app is None or not app.release:
        return None
    spec = app.manifest_of(app.release).service(service)
    return None if spec is None or spec.agent else spec


def _gated(ctx: Ctx, handler: str) -> Optional[web.Response]:
    """404 on a rack older than 3.24.6; the handler's own write-role check (403) after that."""
    gated = budget._gate(ctx)
    if gated is None and not ctx.has_role("w"):
        raise ApiError(403, f"{handler} requires Read+Write role; current role does not include 'w'.")
    return gated


def _event(ctx: Ctx, action: str, **data: Any) -> None:
    ctx.rack.events.append({"action": action, **data})


def _reply(headers: Dict[str, str]) -> Any:
    reply = ok()
    reply.headers.update(headers)
    return reply


def set_scale_override(ctx: Ctx) -> Any:
    gated = _gated(ctx, "ServiceScaleOverrideSet")
    if gated is not None:
        return gated
    actor, headers = budget._ack_by(ctx)
    raw = (ctx.value("active") or "").strip()
    if not raw:
        raise ApiError(400, 'active form-param is required ("true" or "false")')
    if raw not in GO_BOOLS:
        raise ApiError(400, f'active must be "true" or "false": strconv.ParseBool: parsing "{raw}": invalid syntax')
    active = GO_BOOLS[raw]
    app = ctx.rack.apps.get(ctx.params["app"])
    service = ctx.params["service"]
    if app is None or _spec(app, service) is None:
        raise ApiError(500, f'deployments.apps "{service}" not found')
    if (service in app.scale_overrides) != active:
        if active:
            app.scale_overrides.add(service)
        else:
            app.scale_overrides.discard(service)
        state = "on" if active else "off"
        _event(ctx, "app:scale-override:toggled", app=app.name, service=service, state=state, actor=actor)
    return _reply(headers)


def _go_int(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = {str: "string", bool: "bool", list: "array", dict: "object"}.get(type(value), "value")
        raise ApiError(
            400,
            f"{UNMARSHAL} {kind} into Go struct field ServiceTriggersOptions.{name} of type int",
        )
    if isinstance(value, float):  # Go's decoder takes only integer literals into an int
        raise ApiError(
            400,
            f"invalid opts payload: json: cannot unmarshal number {value:g} into Go struct field "
            f"ServiceTriggersOptions.{name} of type int",
        )
    return int(value)


def _parse_opts(raw: str) -> Dict[str, Any]:
    """``opts`` as Go's json.Unmarshal into ServiceTriggersOptions reads it (unknown keys ignored)."""
    if not raw.strip():
        raise ApiError(400, "invalid opts payload: unexpected end of JSON input")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"invalid opts payload: {exc.msg} at offset {exc.pos}") from None
    if data is None:  # Go: "null" leaves the zero value, no error
        data = {}
    if not isinstance(data, dict):
        raise ApiError(
            400, "invalid opts payload: json: cannot unmarshal into Go value of type structs.ServiceTriggersOptions"
        )
    triggers: List[Dict[str, Any]] = []
    raw_triggers = data.get("triggers")
    if raw_triggers is not None and not isinstance(raw_triggers, list):
        raise ApiError(
            400,
            "invalid opts payload: json: cannot unmarshal value into Go struct field ServiceTriggersOptions.triggers "
            "of type []structs.TriggerSpec",
        )
    for item in raw_triggers or []:
        if not isinstance(item, dict):
            raise ApiError(
                400, "invalid opts payload: json: cannot unmarshal value into Go value of type structs.TriggerSpec"
            )
        kind, threshold = item.get("type", ""), item.get("threshold", 0)
        if not isinstance(kind, str):
            raise ApiError(
                400,
                f"{UNMARSHAL} value into Go struct field TriggerSpec.triggers.type of type string",
            )
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise ApiError(
                400,
                f"{UNMARSHAL} value into Go struct field TriggerSpec.triggers.threshold of type float64",
            )
        triggers.append({"type": kind, "threshold": float(threshold)})
    return {"min": _go_int(data.get("min"), "min"), "max": _go_int(data.get("max"), "max"), "triggers": triggers}


def _check_trigger(kind: str, threshold: float) -> None:
    """The rack's TriggerSpec.Validate (an untyped error: 500)."""
    if kind not in TRIGGER_TYPES:
        raise ApiError(500, f"unknown trigger type {json.dumps(kind)}")
    if threshold <= 0:
        raise ApiError(500, "threshold must be positive")
    if kind != "queueDepth" and threshold > 100:
        raise ApiError(500, "percent triggers must be <= 100")


def _check_opts(opts: Dict[str, Any]) -> None:
    if opts["min"] < 0:
        raise ApiError(500, "min must be >= 0")
    if opts["max"] < 1:
        raise ApiError(500, "max must be >= 1")
    if opts["max"] < opts["min"]:
        raise ApiError(500, "max must be >= min")
    if not opts["triggers"]:
        raise ApiError(500, "at least one trigger is required")
    seen = set()
    for trigger in opts["triggers"]:
        _check_trigger(trigger["type"], trigger["threshold"])
        if trigger["type"] in seen:
            raise ApiError(500, f"duplicate trigger type {json.dumps(trigger['type'])}")
        seen.add(trigger["type"])


def enable_triggers(ctx: Ctx) -> Any:
    gated = _gated(ctx, "ServiceTriggersEnable")
    if gated is not None:
        return gated
    opts = _parse_opts(ctx.value("opts") or "")
    actor, headers = budget._ack_by(ctx)
    _check_opts(opts)
    app = ctx.rack.apps.get(ctx.params["app"])
    name = ctx.params["service"]
    spec = _spec(app, name)
    kinds = [t["type"] for t in opts["triggers"]]
    if "gpuUtilization" in kinds and (spec is None or spec.gpu < 1):
        if spec is None:
            raise ApiError(500, f"no such service: {name}")
        raise ApiError(500, "GPU autoscale requires the service to declare scale.gpu.count >= 1 in convox.yml")
    crd = "keda" if ("gpuUtilization" in kinds or "queueDepth" in kinds) else "hpa"
    if crd == "hpa" and opts["min"] < 1:
        raise ApiError(
            500,
            "CPU and memory triggers do not support min=0. To scale to zero, add a GPU utilization or inference "
            "queue depth trigger, or set min to 1 or higher",
        )
    if app is None or spec is None:
        raise ApiError(500, f"service not found: {ctx.params['app']}/{name}")
    app.triggers_overrides[name] = {
        "crd": crd,
        "min": opts["min"],
        "max": opts["max"],
        "triggers": {t["type"]: t["threshold"] for t in opts["triggers"]},
    }
    app.service_overrides.setdefault(name, {})["count"] = opts["min"]
    core.reconcile(ctx.emu, ctx.rack, app, app.release)
    app.logs.add(f"system/k8s/deployment/{name}", name, "", f"Scaled deployment {name}")
    _event(ctx, "app:triggers-override:toggled", app=app.name, service=name, state="on", crd=crd, actor=actor)
    return _reply(headers)


def disable_triggers(ctx: Ctx) -> Any:
    gated = _gated(ctx, "ServiceTriggersDisable")
    if gated is not None:
        return gated
    actor, headers = budget._ack_by(ctx)
    app = ctx.rack.apps.get(ctx.params["app"])
    name = ctx.params["service"]
    spec = _spec(app, name)
    if app is None or spec is None:
        raise ApiError(500, f"service not found: {ctx.params['app']}/{name}")
    override = app.triggers_overrides.pop(name, None)
    if override is None:
        return _reply(headers)
    app.service_overrides.setdefault(name, {})["count"] = spec.min if spec.min > 0 else 1
    core.reconcile(ctx.emu, ctx.rack, app, app.release)
    app.logs.add(f"system/k8s/deployment/{name}", name, "", f"Scaled deployment {name}")
    _event(
        ctx, "app:triggers-override:toggled", app=app.name, service=name, state="off", crd=override["crd"], actor=actor
    )
    return _reply(headers)


def set_threshold(ctx: Ctx) -> Any:
    gated = _gated(ctx, "ServiceTriggersThresholdSet")
    if gated is not None:
        return gated
    kind = (ctx.value("type") or "").strip()
    raw = (ctx.value("threshold") or "").strip()
    if not raw:
        raise ApiError(400, "threshold form-param is required")
    try:
        threshold = float(raw)
    except ValueError:
        raise ApiError(400, f'invalid threshold: strconv.ParseFloat: parsing "{raw}": invalid syntax') from None
    actor, headers = budget._ack_by(ctx)
    if math.isnan(threshold):
        threshold = 0.0  # Go's NaN compares false everywhere; the rack would store it, refuse it here
    _check_trigger(kind, threshold)
    app = ctx.rack.apps.get(ctx.params["app"])
    name = ctx.params["service"]
    if app is None or _spec(app, name) is None:
        raise ApiError(500, f"service not found: {ctx.params['app']}/{name}")
    override = app.triggers_overrides.get(name)
    if override is None:
        raise ApiError(
            500, "threshold edits require an active triggers override. Click Enable triggers or Override triggers first"
        )
    if override["crd"] == "hpa":
        if kind not in ("cpu", "memory"):
            raise ApiError(500, "HPA-backed override supports only cpu and memory triggers")
    elif kind not in override["triggers"]:
        raise ApiError(
            500,
            f"trigger {json.dumps(kind)} not present on this ScaledObject; enable it first via service triggers enable",
        )
    override["triggers"][kind] = threshold
    _event(
        ctx,
        "app:triggers-override:threshold-set",
        app=app.name,
        service=name,
        type=kind,
        threshold=f"{threshold:g}",
        actor=actor,
    )
    return _reply(headers)


def _go_float_to_int(value: float) -> int:
    """Go's ``int(f)`` on amd64: truncation; out of range (or NaN) gives the smallest int64."""
    if math.isnan(value) or not -(2**63) <= value < 2**63:
        return -(2**63)
    return int(value)


def service_fields(app: App, name: str, data: Dict[str, Any]) -> None:
    """The 3.24.6 fields of one service in ``GET /apps/{app}/services`` (changes ``data``)."""
    override = app.triggers_overrides.get(name)
    if override is not None:
        autoscale: Dict[str, Any] = {"enabled": True}
        for kind, threshold in sorted(override["triggers"].items()):
            autoscale[THRESHOLD_KEYS[kind]] = _go_float_to_int(threshold)
        data["autoscale"] = autoscale
        data["min"], data["max"] = override["min"], override["max"]
    data["scale-override-active"] = name in app.scale_overrides
    data["triggers-override-active"] = override is not None


def scaled(app: App, name: str, values: Dict[str, Any]) -> None:
    """A range scale (``min``/``max``) of a service with a triggers override patches the override's
    autoscaler only (taken out of ``values``): the manifest's bounds come back on disable."""
    override = app.triggers_overrides.get(name)
    if override is not None:
        for key in ("min", "max"):
            if key in values:
                override[key] = values.pop(key)


def dump(app: App) -> Dict[str, Any]:
    return {
        "scale_overrides": sorted(app.scale_overrides),
        "triggers_overrides": {name: app.triggers_overrides[name] for name in sorted(app.triggers_overrides)},
    }


def register(router: Router) -> None:
    router.add("POST", "/apps/{app}/services/{service}/scale-override", set_scale_override)
    router.add("POST", "/apps/{app}/services/{service}/triggers/enable", enable_triggers)
    router.add("POST", "/apps/{app}/services/{service}/triggers/disable", disable_triggers)
    router.add("POST", "/apps/{app}/services/{service}/triggers/threshold", set_threshold)
