"""Resources (5.8): app resources from the manifest, and v3 system resources (webhooks only)."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from typing import Any, Dict
from urllib.parse import urlsplit

from . import core
from .manifest import ResourceSpec
from .router import Router
from .server import Ctx, Reply, json_reply, ok, stream_reply
from .state import App, SystemResource
from .wire import ApiError, parse_map

PORTS = {"postgres": 5432, "postgis": 5432, "mysql": 3306, "mariadb": 3306, "redis": 6379, "memcached": 11211}
EXPORTABLE = {"postgres", "postgis", "mysql", "mariadb"}


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_") + "_URL"


def app_resource_json(ctx: Ctx, app: App, spec: ResourceSpec) -> Dict[str, Any]:
    env = {}
    release = app.releases.get(app.release)
    if release is not None:
        from .wire import parse_env

        env = parse_env(release.env)
    override = env.get(_env_name(spec.name))
    kind = spec.type.split("-", 1)[-1] if spec.type.startswith(("rds-", "elasticache-")) else spec.type
    scheme = {"postgis": "postgres", "mariadb": "mysql"}.get(kind, kind)
    token = hashlib.sha1(f"{ctx.rack.name}/{app.name}/{spec.name}".encode()).hexdigest()[:16]
    host = f"resource-{spec.name}.{ctx.rack.name.replace('/', '-')}-{app.name}.svc.cluster.local"
    port = PORTS.get(kind, 0)
    if scheme in ("redis", "memcached"):
        url = f"{scheme}://{host}:{port}"
    else:
        url = f"{scheme}://app:{token}@{host}:{port}/app"
    data: Dict[str, Any] = {"name": spec.name}
    if spec.options:
        data["parameters"] = dict(spec.options)
    data["status"] = "external" if override is not None else "running"
    data["type"] = spec.type
    data["url"] = override if override is not None else url
    return data


def _app_manifest(ctx: Ctx) -> Any:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return app, core.manifest_for(app)


def list_app_resources(ctx: Ctx) -> Reply:
    app, manifest = _app_manifest(ctx)
    return json_reply([app_resource_json(ctx, app, spec) for spec in manifest.resources])


def _spec(manifest: Any, name: str) -> ResourceSpec:
    spec = manifest.resource(name)
    if spec is None:
        raise ApiError(500, f"no such resource: {name}")
    return spec  # type: ignore[no-any-return]


def get_app_resource(ctx: Ctx) -> Reply:
    app, manifest = _app_manifest(ctx)
    return json_reply(app_resource_json(ctx, app, _spec(manifest, ctx.params["name"])))


def export_data(ctx: Ctx) -> Reply:
    app, manifest = _app_manifest(ctx)
    spec = _spec(manifest, ctx.params["name"])
    if spec.type not in EXPORTABLE:
        raise ApiError(400, f"export not available for resources of type: {spec.type}")
    stored = app.objects.get(f"_resources/{spec.name}/data")
    if stored is None:
        stored = f"-- {spec.type} dump of {spec.name} (convox emulator)\n".encode()
    return stream_reply(stored)


def import_data(ctx: Ctx) -> Reply:
    app, manifest = _app_manifest(ctx)
    spec = _spec(manifest, ctx.params["name"])
    if spec.type not in EXPORTABLE:
        raise ApiError(400, f"import not available for resources of type: {spec.type}")
    app.objects[f"_resources/{spec.name}/data"] = ctx.body
    return ok()


# -- system resources ----------------------------------------------------------------------------


def list_resources(ctx: Ctx) -> Reply:
    return json_reply([r.to_json() for _key, r in sorted(ctx.rack.resources.items())])


def _check_url(url: str) -> None:
    if url == "":
        raise ApiError(400, "url required")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise ApiError(400, "url: invalid url") from None
    if parts.scheme not in ("http", "https"):
        raise ApiError(400, "url: scheme must be http or https")
    if not host:
        raise ApiError(400, "url: host required")
    lowered = host.lower()
    if lowered in ("localhost", "metadata", "metadata.google.internal") or lowered.endswith(
        (".localhost", ".local", ".internal", ".svc.cluster.local")
    ):
        raise ApiError(400, "url: internal hosts are not allowed")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
        or address.is_multicast
        or address.is_reserved
    ):
        raise ApiError(400, "url: loopback, private, link-local and metadata addresses are not allowed")


def create_resource(ctx: Ctx) -> Reply:
    kind = ctx.value("kind") or ""
    if kind != "webhook":
        raise ApiError(400, f"rack resource type unknown: {kind}")
    params = parse_map(ctx.form.get("parameters", "")) if ctx.form.get("parameters") else {}
    if "Url" not in params:
        raise ApiError(400, "parameter required: Url")
    _check_url(params["Url"])
    name = ctx.value("name") or f"webhook-{secrets.token_hex(3)}"
    if name in ctx.rack.resources:
        raise ApiError(409, f"webhook already exists: {name}")
    resource = SystemResource(name=name, type="webhook", parameters={"Url": params["Url"]})
    ctx.rack.resources[name] = resource
    return json_reply(resource.to_json())


def _system_resource(ctx: Ctx) -> SystemResource:
    resource = ctx.rack.resources.get(ctx.params["name"])
    if resource is None:
        raise ApiError(404, f"no such resource: {ctx.params['name']}")
    return resource


def get_resource(ctx: Ctx) -> Reply:
    return json_reply(_system_resource(ctx).to_json())


def unavailable(ctx: Ctx) -> Reply:
    raise ApiError(400, "unavailable on v3 racks")


def delete_resource(ctx: Ctx) -> Reply:
    resource = _system_resource(ctx)
    del ctx.rack.resources[resource.name]
    return ok()


def resource_types(ctx: Ctx) -> Reply:
    return json_reply(
        [
            {
                "name": "webhook",
                "parameters": [
                    {"default": "", "description": "URL that receives the rack's event notifications", "name": "Url"}
                ],
            }
        ]
    )


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/resources", list_app_resources)
    router.add("GET", "/apps/{app}/resources/{name}", get_app_resource)
    router.add("GET", "/apps/{app}/resources/{name}/data", export_data)
    router.add("PUT", "/apps/{app}/resources/{name}/data", import_data)
    router.add("GET", "/resources", list_resources)
    router.add("POST", "/resources", create_resource)
    router.add("OPTIONS", "/resources", resource_types)
    router.add("GET", "/resources/{name}", get_resource)
    router.add("PUT", "/resources/{name}", unavailable)
    router.add("DELETE", "/resources/{name}", delete_resource)
    router.add("POST", "/resources/{name}/links", unavailable)
    router.add("DELETE", "/resources/{name}/links/{app}", unavailable)
