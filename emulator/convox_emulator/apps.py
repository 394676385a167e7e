"""Apps (5.1): create, get, list, update, delete, cancel, configs, manifest services, misc."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Dict

from . import core
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .state import App
from .wire import ApiError, go_time, parse_bool, parse_int, parse_map, utcnow

RESERVED = {"rack", "system"}
APP_PARAMETERS = ("BuildCpu", "BuildLabels", "BuildMem")


def app_json(ctx: Ctx, app: App, listing: bool = False) -> Dict[str, Any]:
    params = dict(app.parameters) if listing else {k: v for k, v in app.parameters.items() if v}
    return {
        "generation": "3",
        "locked": app.locked,
        "name": app.name,
        "release": app.release,
        "router": ctx.rack.router,
        "status": app.status,
        "parameters": params,
    }


def list_apps(ctx: Ctx) -> Reply:
    return json_reply([app_json(ctx, a, listing=True) for _key, a in sorted(ctx.rack.apps.items())])


def create_app(ctx: Ctx) -> Reply:
    name = ctx.value("name") or ""
    timeout = ctx.form.get("timeout")
    if timeout:
        parse_int(timeout)
    if name in RESERVED:
        raise ApiError(400, "app name is reserved")
    if name in ctx.rack.apps:
        raise ApiError(409, f"app already exists: {name}")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,62}", name or "") or name.endswith("-") or "--" in name:
        raise ApiError(500, f"invalid app name: {name!r} must be lowercase alphanumeric with dashes")
    app = App(name=name)
    ctx.rack.apps[name] = app
    core.begin_rollout(ctx.emu, ctx.rack, app, "")
    app.logs.add(f"system/k8s/namespace/{ctx.rack.name.replace('/', '-')}-{name}", "", "", "namespace created")
    return json_reply(app_json(ctx, app))


def get_app(ctx: Ctx) -> Reply:
    return json_reply(app_json(ctx, core.get_app(ctx.rack, ctx.params["name"])))


def update_app(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["name"])
    if "lock" in ctx.form:
        app.locked = parse_bool(ctx.form["lock"])
    if "parameters" in ctx.form:
        for key, val in parse_map(ctx.form["parameters"]).items():
            if key in APP_PARAMETERS:
                app.parameters[key] = val
    if app.status != "deleting":
        app.previous_release = app.release
        core.begin_rollout(ctx.emu, ctx.rack, app, app.release)
    return ok()


def delete_app(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["name"])
    if app.locked:
        raise ApiError(409, f"app is locked: {app.name}")
    if app.status == "deleting":
        return ok()
    app.op += 1
    app.status = "deleting"
    rack = ctx.rack

    def gone() -> None:
        if rack.apps.get(app.name) is app:
            del rack.apps[app.name]
            for waiter in list(app.logs.waiters):
                waiter.set()

    ctx.emu.later(core.DELETE_SETTLE, gone)
    return ok()


def cancel_app(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["name"])
    if app.status != "updating":
        raise ApiError(403, "app is not updating")
    app.op += 1
    op = app.op
    app.status = "rollback"
    rack, emu = ctx.rack, ctx.emu

    def revert() -> None:
        if app.op != op or rack.apps.get(app.name) is not app:
            return
        app.release = app.previous_release
        app.status = "running"
        if app.release:
            core.reconcile(emu, rack, app, app.release, "running")
        else:
            for pod in core.service_pods(app):
                del app.processes[pod.id]

    emu.later(core.ROLLBACK_SETTLE, revert)
    return ok()


def list_configs(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply([{"name": k, "value": v} for k, v in sorted(app.configs.items())])


def get_config(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    name = ctx.params["name"]
    if name not in app.configs:
        raise ApiError(404, f"app config not found: {name}")
    return json_reply({"name": name, "value": app.configs[name]})


def _b64_error(value: str) -> int:
    for index, char in enumerate(value):
        if not (char.isalnum() and char.isascii()) and char not in "+/=":
            return index
    return max(0, len(value) - len(value) % 4) if len(value) % 4 else len(value)


def set_config(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    raw = ctx.value("value") or ""
    try:
        decoded = base64.b64decode(raw.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ApiError(
            400, f"failed to parse base 64 value: illegal base64 data at input byte {_b64_error(raw)}"
        ) from None
    app.configs[ctx.params["name"]] = decoded.decode("utf-8", "replace")
    return ok()


def manifest_service(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    manifest = core.manifest_for(app)
    spec = manifest.service(ctx.params["service"])
    if spec is None:
        raise ApiError(500, f"no such service: {ctx.params['service']}")
    data: Dict[str, Any] = {"name": spec.name}
    if spec.environment:
        data["environment"] = spec.environment
    data["scale"] = {"min": spec.min, "max": spec.max}
    return json_reply(data)


def balancers(ctx: Ctx) -> Reply:
    core.get_app(ctx.rack, ctx.params["app"])
    return json_reply([])


def app_metrics(ctx: Ctx) -> Reply:
    core.get_app(ctx.rack, ctx.params["name"])
    raise ApiError(501, "unimplemented")


def diagnose(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    for key in ("age", "lines"):
        if key in ctx.query:
            parse_int(ctx.query[key])
    services = []
    pods = []
    manifest = app.manifest_of(app.release) if app.release else None
    for spec in manifest.services if manifest else []:
        running = [p for p in core.service_pods(app, spec.name) if p.status == "running"]
        count = core.service_settings(app, spec)["count"]
        services.append(
            {
                "name": spec.name,
                "desiredReplicas": count,
                "readyReplicas": len(running),
                "updatedReplicas": len(running),
                "status": "healthy" if len(running) >= count else "progressing",
            }
        )
    for pod in sorted(app.processes.values(), key=lambda p: p.id):
        healthy = pod.status == "running"
        pods.append(
            {
                "name": pod.id,
                "service": pod.name,
                "phase": "Running" if healthy else "Pending",
                "ready": healthy,
                "ageSeconds": int((utcnow() - pod.started).total_seconds()),
                "restarts": 0,
                "classification": "healthy" if healthy else "new",
            }
        )
    namespace = f"{ctx.rack.name.replace('/', '-')}-{app.name}"
    unhealthy = sum(1 for p in pods if p["classification"] != "healthy")
    return json_reply(
        {
            "namespace": namespace,
            "rack": ctx.rack.name,
            "app": app.name,
            "timestamp": go_time(utcnow()),
            "overview": {"services": services, "events": []},
            "pods": pods,
            "summary": {
                "total": len(pods),
                "unhealthy": 0,
                "notReady": unhealthy,
                "new": unhealthy,
                "healthy": len(pods) - unhealthy,
            },
        }
    )


def register(router: Router) -> None:
    router.add("GET", "/apps", list_apps)
    router.add("POST", "/apps", create_app)
    router.add("GET", "/apps/{name}", get_app)
    router.add("PUT", "/apps/{name}", update_app)
    router.add("DELETE", "/apps/{name}", delete_app)
    router.add("POST", "/apps/{name}/cancel", cancel_app)
    router.add("GET", "/apps/{name}/metrics", app_metrics)
    router.add("GET", "/apps/{app}/balancers", balancers)
    router.add("GET", "/apps/{app}/configs", list_configs)
    router.add("GET", "/apps/{app}/configs/{name}", get_config)
    router.add("PUT", "/apps/{app}/configs/{name}", set_config)
    router.add("GET", "/apps/{app}/manifest/services/{service}", manifest_service)
    router.add("GET", "/apps/{app}/diagnose", diagnose)
