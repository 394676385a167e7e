"""Releases (5.4): list, get, create (6.3 semantics) and promote."""

from __future__ import annotations

from . import budget, core
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .wire import ApiError, go_time, parse_bool, parse_int, utcnow


def _limit(ctx: Ctx) -> int:
    raw = ctx.query.get("limit")
    return parse_int(raw) if raw else 10


def list_releases(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    limit = _limit(ctx)
    releases = sorted(app.releases.values(), key=lambda r: r.created, reverse=True)
    if limit >= 0:
        releases = releases[:limit]
    return json_reply([r.to_json() for r in releases])


def get_release(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(core.get_release(app, ctx.params["id"]).to_json())


def create_release(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    release = core.create_release(
        app,
        build=ctx.form.get("build") or None,
        env=ctx.form.get("env"),
        description=ctx.form.get("description") or None,
        parent=ctx.form.get("parent-release") or None,
    )
    return json_reply(release.to_json())


def promote(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    budget.guard(app, ctx.rack)  # the rack checks its cost budget first
    for key in ("min", "max", "timeout"):
        if ctx.form.get(key):
            parse_int(ctx.form[key])
    force = parse_bool(ctx.form.get("force"))
    if not force and app.status != "running":
        raise ApiError(403, "app is currently updating")
    release = core.get_release(app, ctx.params["id"])
    if not release.manifest.strip():
        raise ApiError(400, "can not promote a release with an empty manifest")
    active = app.releases.get(app.release) if app.release else None
    if active is not None and release.created < active.created:
        raise ApiError(400, "can not promote an older release, try rollback")
    app.previous_release = app.release
    app.promotions.append({"release": release.id, "previous": app.release, "force": force, "time": go_time(utcnow())})
    app.release = release.id
    manifest = app.manifest_of(release.id)
    app.logs.add(f"system/k8s/atom/{app.name}", "", "", f"promoting release {release.id}")
    core.begin_rollout(ctx.emu, ctx.rack, app, release.id, fail=manifest.fail_promote)
    return ok()


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/releases", list_releases)
    router.add("POST", "/apps/{app}/releases", create_release)
    router.add("GET", "/apps/{app}/releases/{id}", get_release)
    router.add("POST", "/apps/{app}/releases/{id}/promote", promote)
