"""Per-app cost budgets (5.1, 3.24.6+): config, state, reset, the auto-shutdown state.

The rack keeps these as namespace annotations and an accumulator that adds up the spend on
a timer; the emulator has no timer: ``POST /_emulator/budget`` (control API) sets an app's
month-to-date spend and runs one accumulator tick (threshold alert, cap alert, the circuit
breaker for ``block-new-deploys``, an armed shutdown for ``auto-shutdown``).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from . import core
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .state import App, Rack
from .wire import ApiError, go_time, parse_int, utcnow

ACTIONS = ("alert-only", "block-new-deploys", "auto-shutdown")
DEFAULT_THRESHOLD = 80.0
DEFAULT_ACTION = "alert-only"
DEFAULT_ADJUSTMENT = 1.0
SUNSET = "Thu, 01 Oct 2026 00:00:00 GMT"
FLAP_COOLDOWN = timedelta(hours=24)  # structs.BudgetFlapCooldown
DEPRECATION_LINK = '<https://docs.convox.com/migration/ack-by-derivation>; rel="deprecation"; type="text/html"'
TRACKING_OFF = (
    "rack parameter cost_tracking_enable is false. Budget enforcement (caps, alerts, auto-shutdown) "
    "requires cost_tracking_enable=true.\n"
    "  Set on the rack first:\n"
    "    convox rack params set cost_tracking_enable=true\n"
    "  Wait ~3 min for the apply to complete, then retry."
)
ZERO = None  # go_time(None) is Go's zero time


def _gate(ctx: Ctx) -> Optional[web.Response]:
    """The budget routes are 3.24.6+: an older rack answers 404 with an empty body."""
    if ctx.emu.options.legacy:
        return web.Response(status=404)
    return None


def _form_value(ctx: Ctx, name: str) -> str:
    """A form value; a DELETE's urlencoded body is read too (the rack does so for ``ack_by``)."""
    value = ctx.value(name)
    if value is None and ctx.request.method == "DELETE" and ctx.body:
        from urllib.parse import parse_qsl

        for key, val in parse_qsl(ctx.body.decode("utf-8", "replace"), keep_blank_values=True):
            if key == name:
                return val.strip()
    return (value or "").strip()


def _ack_by(ctx: Ctx) -> Tuple[str, Dict[str, str]]:
    """(actor, extra headers): the caller's identity, or a deprecated ``ack_by`` override."""
    raw = _form_value(ctx, "ack_by")
    if not raw:
        return (ctx.user or "unknown"), {}
    return raw, {"Deprecation": "true", "Sunset": SUNSET, "Link": DEPRECATION_LINK}


def _number(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ApiError(400, f'{name} must be a number: strconv.ParseFloat: parsing "{raw}": invalid syntax') from None
    if math.isnan(value) or math.isinf(value):
        raise ApiError(400, f"{name} must be a finite number")
    return value


def _validate(cfg: Dict[str, Any]) -> None:
    if cfg["monthly-cap-usd"] <= 0:
        raise ApiError(400, "monthly-cap-usd must be > 0")
    if not 1 <= cfg["alert-threshold-percent"] <= 100:
        raise ApiError(400, "alert-threshold-percent must be between 1 and 100")
    if cfg["at-cap-action"] not in ACTIONS:
        raise ApiError(400, 'at-cap-action must be "alert-only", "block-new-deploys", or "auto-shutdown"')
    if not 0.1 <= cfg["pricing-adjustment"] <= 1.5:
        raise ApiError(400, "pricing-adjustment must be between 0.1 and 1.5")


def _time(value: Optional[datetime]) -> str:
    return go_time(value)


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def new_state(now: datetime) -> Dict[str, Any]:
    return {
        "month-start": month_start(now),
        "current-month-spend-usd": 0.0,
        "current-month-spend-as-of": ZERO,
        "alert-fired-at-threshold": ZERO,
        "alert-fired-at-cap": ZERO,
        "circuit-breaker-tripped": False,
        "circuit-breaker-ack-by": "",
        "circuit-breaker-ack-at": ZERO,
        "per-service-spend-usd": {},
    }


def config_json(cfg: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if cfg is None:
        return None
    out: Dict[str, Any] = {"monthly-cap-usd": cfg["monthly-cap-usd"]}
    for key in ("alert-threshold-percent", "at-cap-action", "pricing-adjustment", "last-cap-mutation-by"):
        if cfg.get(key):
            out[key] = cfg[key]
    return out


def state_json(state: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Go's encoding of AppBudgetState: time.Time is never omitted (zero time), the rest omitempty."""
    if state is None:
        return None
    out: Dict[str, Any] = {
        "month-start": _time(state["month-start"]),
        "current-month-spend-usd": state["current-month-spend-usd"],
        "current-month-spend-as-of": _time(state["current-month-spend-as-of"]),
        "alert-fired-at-threshold": _time(state["alert-fired-at-threshold"]),
        "alert-fired-at-cap": _time(state["alert-fired-at-cap"]),
    }
    if state["circuit-breaker-tripped"]:
        out["circuit-breaker-tripped"] = True
    if state["circuit-breaker-ack-by"]:
        out["circuit-breaker-ack-by"] = state["circuit-breaker-ack-by"]
    out["circuit-breaker-ack-at"] = _time(state["circuit-breaker-ack-at"])
    if state["per-service-spend-usd"]:
        out["per-service-spend-usd"] = dict(state["per-service-spend-usd"])
    return out


def shutdown_json(app: App) -> Optional[Dict[str, Any]]:
    shutdown = app.budget_shutdown
    if shutdown is None:
        return None
    out: Dict[str, Any] = {
        "schemaVersion": 1,
        "shutdownAt": _opt_time(shutdown.get("shutdownAt")),
        "armedAt": _opt_time(shutdown.get("armedAt")),
        "restoredAt": _opt_time(shutdown.get("restoredAt")),
        "expiredAt": None,
        "notifyBeforeMinutes": 30,
        "recoveryMode": "auto-on-reset",
        "shutdownOrder": "largest-cost",
        "shutdownTickId": shutdown["shutdownTickId"],
        "manifestSha256": "",
        "eligibleServiceCount": len(shutdown["services"]),
        "services": shutdown["services"],
        "flapSuppressedUntil": _opt_time(shutdown.get("flapSuppressedUntil")),
    }
    if app.budget_dismissed_at is not None:
        out["recoveryBannerDismissedAt"] = go_time(app.budget_dismissed_at)
    for key in ("armed", "fired", "noop", "cancelled", "expired", "flapSuppressed", "failed", "restored"):
        out[f"{key}NotificationFiredAt"] = None
    return out


def _opt_time(value: Optional[datetime]) -> Optional[str]:
    return go_time(value) if value is not None else None


def guard(app: App, rack: Optional[Rack] = None) -> None:
    """409 on promote, run and scale while the app's circuit breaker is tripped (and cost
    tracking is on: budgetCircuitBreakerTripped answers nil on a rack with it off)."""
    if rack is not None and not rack.cost_tracking:
        return
    state = app.budget_state
    if state is None or not state["circuit-breaker-tripped"]:
        return
    cap = app.budget["monthly-cap-usd"] if app.budget else 0.0
    raise ApiError(
        409,
        f"budget cap exceeded for app {app.name}: spent ${state['current-month-spend-usd']:.2f} of ${cap:.2f} "
        "cap this month; recovery options: "
        f"(1) `convox budget reset {app.name}` to acknowledge and re-enable deploys, "
        f"(2) `convox budget cap raise --monthly-cap-usd <higher> {app.name}` to raise the cap "
        "(alias for `budget set --monthly-cap`), "
        "or (3) wait for month rollover (caps reset automatically on the 1st)",
    )


def tick(
    rack: Rack,
    app: App,
    spend: float,
    per_service: Optional[Dict[str, float]] = None,
    fire: bool = False,
    emu: Any = None,
) -> None:
    """One accumulator tick with ``spend`` as the month-to-date spend (control API).

    ``fire``: the armed auto-shutdown's notice window (30 min) has passed, so this tick scales
    the armed services to zero. With cost tracking off the accumulator does not run at all.
    """
    if not rack.cost_tracking:
        return
    now = utcnow()
    state = app.budget_state or new_state(now)
    state["current-month-spend-usd"] = spend
    state["current-month-spend-as-of"] = now
    if per_service is not None:
        state["per-service-spend-usd"] = dict(per_service)
    app.budget_state = state
    cfg = app.budget
    if cfg is None:
        return
    cap = cfg["monthly-cap-usd"]
    if spend >= cap * cfg["alert-threshold-percent"] / 100 and state["alert-fired-at-threshold"] is None:
        state["alert-fired-at-threshold"] = now
        rack.events.append({"action": "app:budget:threshold", "app": app.name})
    if spend >= cap and state["alert-fired-at-cap"] is None:
        state["alert-fired-at-cap"] = now
        rack.events.append({"action": "app:budget:cap", "app": app.name})
        if cfg["at-cap-action"] == "block-new-deploys":
            state["circuit-breaker-tripped"] = True
    if cfg["at-cap-action"] == "auto-shutdown":
        _reconcile_shutdown(rack, app, state, now, fire, emu)


def _event(rack: Rack, app: App, name: str) -> None:
    rack.events.append({"action": f"app:budget:shutdown:{name}", "app": app.name})


def _reconcile_shutdown(rack: Rack, app: App, state: Dict[str, Any], now: datetime, fire: bool, emu: Any) -> None:
    """reconcileAutoShutdown: manual recovery, the 24 h flap cooldown, arm, then fire."""
    shutdown = app.budget_shutdown
    if shutdown is not None and shutdown.get("shutdownAt") and shutdown.get("restoredAt") is None:
        counts = dict(_service_counts(app))
        names = [svc["name"] for svc in shutdown["services"]]
        if names and all(counts.get(name, 1) > 0 for name in names):
            shutdown["restoredAt"] = now
            shutdown["flapSuppressedUntil"] = now + FLAP_COOLDOWN
            app.budget_flap_until = now + FLAP_COOLDOWN
            _event(rack, app, "restored")
            return
    if state["alert-fired-at-cap"] is None:
        return
    if app.budget_flap_until is not None and app.budget_flap_until > now:
        _event(rack, app, "flap-suppressed")
        return
    if shutdown is None:
        eligible = [(name, count) for name, count in _service_counts(app) if count > 0]
        if not eligible:
            _event(rack, app, "noop")
            return
        app.budget_shutdown = {
            "armedAt": now,
            "shutdownAt": None,
            "restoredAt": None,
            "flapSuppressedUntil": None,
            "shutdownTickId": now.strftime("%Y%m%dT%H%M%SZ"),
            "services": [
                {
                    "name": name,
                    "originalScale": {"count": count, "min": count, "max": count, "replicas": count},
                    "originalGracePeriodSeconds": 30,
                    "kedaScaledObject": None,
                    "shutdownSequenceIndex": index,
                    "shutdownAt": None,
                }
                for index, (name, count) in enumerate(eligible)
            ],
        }
        _event(rack, app, "armed")
        return
    if fire and shutdown.get("shutdownAt") is None:
        for svc in shutdown["services"]:
            app.service_overrides.setdefault(svc["name"], {})["count"] = 0
            svc["shutdownAt"] = _opt_time(now)
        shutdown["shutdownAt"] = now
        if emu is not None and app.release:
            core.reconcile(emu, rack, app, app.release)
        _event(rack, app, "fired")


def _service_counts(app: App) -> List[Tuple[str, int]]:
    if not app.release:
        return []
    manifest = app.manifest_of(app.release)
    counts = []
    for spec in manifest.services:
        counts.append((spec.name, core.service_settings(app, spec).get("count", 1)))
    return counts


def get_budget(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply({"config": config_json(app.budget), "state": state_json(app.budget_state)})


def set_budget(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    actor, headers = _ack_by(ctx)
    form = ctx.form
    cap_raw = form.get("monthly-cap-usd")
    action = form.get("at-cap-action")
    adjustment_raw = form.get("pricing-adjustment")
    threshold_raw = form.get("alert-threshold-percent")
    threshold = parse_int(threshold_raw) if threshold_raw is not None else None
    if (cap_raw is not None or action is not None or adjustment_raw is not None) and not ctx.has_role("a"):
        raise ApiError(403, "AppBudgetSet: admin role required to set budget cap")
    if (cap_raw is not None or threshold is not None or action is not None) and not ctx.rack.cost_tracking:
        raise ApiError(422, TRACKING_OFF)
    app = core.get_app(ctx.rack, ctx.params["app"])
    prev = dict(app.budget or {"monthly-cap-usd": 0.0})
    cfg = dict(prev)
    if cap_raw is not None:
        cfg["monthly-cap-usd"] = _number(cap_raw, "monthly-cap-usd")
        cfg["last-cap-mutation-by"] = actor
    if threshold is not None:
        cfg["alert-threshold-percent"] = float(threshold)
    if action is not None:
        cfg["at-cap-action"] = action
    if adjustment_raw is not None:
        cfg["pricing-adjustment"] = _number(adjustment_raw, "pricing-adjustment")
    cfg["alert-threshold-percent"] = cfg.get("alert-threshold-percent") or DEFAULT_THRESHOLD
    cfg["at-cap-action"] = cfg.get("at-cap-action") or DEFAULT_ACTION
    cfg["pricing-adjustment"] = cfg.get("pricing-adjustment") or DEFAULT_ADJUSTMENT
    _validate(cfg)
    state = app.budget_state
    if (
        state is not None
        and state["circuit-breaker-tripped"]
        and cfg["monthly-cap-usd"] > prev["monthly-cap-usd"]
        and cfg["monthly-cap-usd"] > state["current-month-spend-usd"]
    ):
        _clear_breaker(state, actor)
        shutdown = app.budget_shutdown
        if shutdown is not None and shutdown.get("armedAt") and not shutdown.get("shutdownAt"):
            app.budget_shutdown = None
    app.budget = cfg
    ctx.rack.events.append({"action": "app:budget:set", "app": app.name})
    reply = ok()
    reply.headers.update(headers)
    return reply


def _clear_breaker(state: Dict[str, Any], actor: str) -> None:
    state["circuit-breaker-tripped"] = False
    state["alert-fired-at-threshold"] = None
    state["alert-fired-at-cap"] = None
    state["circuit-breaker-ack-by"] = actor
    state["circuit-breaker-ack-at"] = utcnow()


def clear_budget(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    if not ctx.has_role("a"):
        raise ApiError(403, "AppBudgetClear: admin role required to remove budget config")
    _actor, headers = _ack_by(ctx)
    app = core.get_app(ctx.rack, ctx.params["app"])
    if app.budget is not None or app.budget_state is not None:
        app.budget = None
        app.budget_state = None
        ctx.rack.events.append({"action": "app:budget:clear", "app": app.name})
    reply = ok()
    reply.headers.update(headers)
    return reply


def reset_budget(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    actor, headers = _ack_by(ctx)
    if ctx.value("force_clear_cooldown") == "true" and not ctx.has_role("a"):
        raise ApiError(
            403,
            "AppBudgetReset --force-clear-cooldown requires Admin role; current role is 'w'. "
            "Contact rack admin or use Admin token.",
        )
    app = core.get_app(ctx.rack, ctx.params["app"])
    now = utcnow()
    state = app.budget_state or new_state(now)
    _clear_breaker(state, actor)
    if ctx.value("reset_period") == "true":
        state["month-start"] = now
        state["current-month-spend-usd"] = 0.0
        state["current-month-spend-as-of"] = None
        state["per-service-spend-usd"] = {}
    app.budget_state = state
    shutdown = app.budget_shutdown
    if shutdown is not None:
        _restore(ctx, app, shutdown, now)
        if shutdown.get("restoredAt") is None:
            app.budget_dismissed_at = None
        app.budget_shutdown = None
    if ctx.value("force_clear_cooldown") == "true":
        app.budget_flap_until = None
    ctx.rack.events.append({"action": "app:budget:reset", "app": app.name})
    reply = ok()
    reply.headers.update(headers)
    return reply


def _restore(ctx: Ctx, app: App, shutdown: Dict[str, Any], now: datetime) -> None:
    """restoreFromAnnotation: services still at zero go back to their original count; an
    armed-only shutdown is cancelled; after a fired one the 24 h flap cooldown starts."""
    if shutdown.get("shutdownAt") is None:
        _event(ctx.rack, app, "cancelled")
        return
    counts = dict(_service_counts(app))
    for svc in shutdown["services"]:
        if counts.get(svc["name"], 1) == 0:
            original = svc["originalScale"]["count"] or svc["originalScale"]["replicas"]
            app.service_overrides.setdefault(svc["name"], {})["count"] = original
    if app.release:
        core.reconcile(ctx.emu, ctx.rack, app, app.release)
    app.budget_flap_until = now + FLAP_COOLDOWN
    _event(ctx.rack, app, "restored")


def shutdown_state(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(shutdown_json(app))


def simulate_shutdown(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    app = core.get_app(ctx.rack, ctx.params["app"])
    cfg = app.budget or {}
    eligibility = [
        {"service": name, "eligible": True, "replicas": count, "cost-usd-per-hour": 0.0}
        for name, count in _service_counts(app)
    ]
    return json_reply(
        {
            "app": app.name,
            "at-cap-action": cfg.get("at-cap-action", ""),
            "webhook-url": "",
            "notify-before-minutes": 30,
            "shutdown-grace-period": "5m",
            "shutdown-order": "largest-cost",
            "recovery-mode": "auto-on-reset",
            "eligibility": eligibility,
            "would-shut-down-services": [e["service"] for e in eligibility],
            "would-shut-down-count": len(eligibility),
            "estimated-cost-saved-usd-per-hour": 0.0,
            "simulated-at": go_time(utcnow()),
        }
    )


def dismiss_recovery(ctx: Ctx) -> Any:
    gated = _gate(ctx)
    if gated is not None:
        return gated
    _actor, headers = _ack_by(ctx)
    app = core.get_app(ctx.rack, ctx.params["app"])
    shutdown = app.budget_shutdown
    banner = shutdown is not None and shutdown.get("restoredAt") is not None
    if app.budget_dismissed_at is not None:
        status = "already-dismissed"
    elif not banner:
        status = "no-banner"
    else:
        app.budget_dismissed_at = utcnow()
        status = "dismissed"
    reply: Reply = json_reply({"app": app.name, "status": status})
    reply.headers.update(headers)
    return reply


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/budget", get_budget)
    router.add("POST", "/apps/{app}/budget", set_budget)
    router.add("DELETE", "/apps/{app}/budget", clear_budget)
    router.add("POST", "/apps/{app}/budget/reset", reset_budget)
    router.add("GET", "/apps/{app}/budget/shutdown-state", shutdown_state)
    router.add("POST", "/apps/{app}/budget/simulate-shutdown", simulate_shutdown)
    router.add("POST", "/apps/{app}/budget/dismiss-recovery", dismiss_recovery)
