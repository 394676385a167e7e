"""Objects (5.2): the blob store used for source tarballs and build logs."""

from __future__ import annotations

import secrets

from . import core
from .router import Router
from .server import Ctx, Reply, json_reply, ok, stream_reply
from .wire import ApiError, parse_bool


def _check_key(key: str) -> None:
    if ".." in key.split("/"):
        raise ApiError(400, "invalid object key")


def object_url(ctx: Ctx, app: str, key: str, public: bool = False) -> str:
    if public and ctx.emu.options.provider == "aws":
        bucket = f"{ctx.rack.name.replace('/', '-')}-storage"
        return f"https://{bucket}.s3.amazonaws.com/{app}/{key}"
    return f"object://{app}/{key}"


def store(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    key = ctx.params["key"]
    _check_key(key)
    if not key:
        key = f"tmp/{secrets.token_hex(15)}"
    app.objects[key] = ctx.body
    return json_reply({"Url": object_url(ctx, app.name, key, parse_bool(ctx.header("Public")))})


def fetch(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    key = ctx.params["key"]
    _check_key(key)
    if key not in app.objects:
        raise ApiError(404, f"object not found: {key}")
    return stream_reply(app.objects[key])


def exists(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(ctx.params["key"] in app.objects)


def delete(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    key = ctx.params["key"]
    _check_key(key)
    if key not in app.objects:
        raise ApiError(404, f"object not found: {key}")
    del app.objects[key]
    return ok()


def list_objects(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    prefix = ctx.value("prefix") or ""
    if ".." in prefix.split("/"):
        raise ApiError(400, "invalid prefix")
    return json_reply(sorted(k for k in app.objects if k.startswith(prefix)))


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/objects", list_objects)
    router.add("POST", "/apps/{app}/objects/{key:.*}", store)
    router.add("GET", "/apps/{app}/objects/{key:.*}", fetch)
    router.add("HEAD", "/apps/{app}/objects/{key:.*}", exists)
    router.add("DELETE", "/apps/{app}/objects/{key:.*}", delete)
