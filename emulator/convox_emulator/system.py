"""System (5.10), instances, registries, Let's Encrypt config, events and /auth."""

from __future__ import annotations

import json
import secrets
from typing import Any, Dict, List

from . import core, jwt
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .state import Instance
from .wire import ApiError, go_time, parse_bool, parse_go_time, parse_int, parse_map, utcnow

JWT_ROLES = {"read": "r", "write": "rw", "admin": "rwa"}


def auth(ctx: Ctx) -> Reply:
    return ok()


def get_system(ctx: Ctx) -> Reply:
    rack = ctx.rack
    return json_reply(
        {
            "count": 0,
            "domain": rack.router,
            "name": rack.name,
            "provider": ctx.emu.options.provider,
            "rack-domain": f"api.{rack.domain}",
            "region": "",
            "router-internal": f"router-internal.{rack.domain}",
            "status": "running",
            "type": "",
            "version": ctx.emu.version,
        }
    )


def update_system(ctx: Ctx) -> Reply:
    if ctx.form.get("count"):
        parse_int(ctx.form["count"])
    if "parameters" in ctx.form:
        parse_map(ctx.form["parameters"])
    raise ApiError(501, "direct rack doesn't support update, make sure you are not using RACK_URL environment variable")


def capacity(ctx: Ctx) -> Reply:
    procs = [p for app in ctx.rack.apps.values() for p in app.processes.values()]
    cpu = 0
    memory = 0
    for app in ctx.rack.apps.values():
        if app.release:
            for spec in app.manifest_of(app.release).services:
                settings = core.service_settings(app, spec)
                cpu += settings["cpu"] * settings["count"]
                memory += settings["memory"] * settings["count"]
    nodes = len(ctx.rack.instances)
    return json_reply(
        {
            "cluster-cpu": 2000 * nodes,
            "cluster-gpu": 0,
            "cluster-memory": 8192 * nodes,
            "process-count": len(procs),
            "process-cpu": cpu,
            "process-gpu": 0,
            "process-memory": memory,
        }
    )


def system_processes(ctx: Ctx) -> Reply:
    parse_bool(ctx.query.get("all"))
    started = utcnow().replace(microsecond=0)
    result: List[Dict[str, Any]] = []
    for name in ("api", "atom", "router"):
        result.append(
            {
                "app": "system",
                "command": "",
                "cpu": 0,
                "gpu": 0,
                "host": "10.1.0.2",
                "id": f"{name}-7d9f8c6b5-a1b2c",
                "image": f"convox/convox:{ctx.emu.version}",
                "instance": sorted(ctx.rack.instances)[0] if ctx.rack.instances else "",
                "memory": 0,
                "name": name,
                "ports": None,
                "release": ctx.emu.version,
                "service": name,
                "started": go_time(started, True),
                "status": "running",
            }
        )
    return json_reply(result)


def system_releases(ctx: Ctx) -> Reply:
    raise ApiError(501, "release history is unavailable")


def system_metrics(ctx: Ctx) -> Reply:
    for key in ("start", "end"):
        if ctx.query.get(key):
            parse_go_time(ctx.query[key])
    if ctx.query.get("period"):
        parse_int(ctx.query["period"])
    names = [m for m in (ctx.query.get("metrics") or "cluster-cpu-utilization,cluster-mem-utilization").split(",") if m]
    now = utcnow().replace(microsecond=0)
    return json_reply(
        [
            {
                "name": n,
                "values": [
                    {"avg": 12.5, "count": 1, "max": 12.5, "min": 12.5, "sum": 12.5, "time": go_time(now, True)}
                ],
            }
            for n in names
        ]
    )


def jwt_token(ctx: Ctx) -> Reply:
    role = ctx.value("role") or ""
    raw_duration = ctx.value("durationInHour") or ""
    legacy = ctx.emu.options.legacy
    if legacy:
        if role not in ("read", "write"):
            return json_reply({"token": ""})
        try:
            hours = parse_int(raw_duration)
        except ApiError:
            raise ApiError(500, "invalid duration") from None
    else:
        if role not in JWT_ROLES:
            raise ApiError(400, "invalid role: must be read, write, or admin")
        try:
            hours = parse_int(raw_duration)
        except ApiError:
            raise ApiError(400, "invalid duration") from None
        if not 1 <= hours <= 8760:
            raise ApiError(400, "duration must be between 1 and 8760 hours")
        if role == "admin" and "a" not in ctx.role:
            raise ApiError(403, "admin role required to mint admin tokens")
    token = jwt.mint(ctx.rack.jwt_key, f"system-{role}", JWT_ROLES[role], hours * 3600)
    return json_reply({"token": token})


def jwt_rotate(ctx: Ctx) -> Reply:
    if "a" not in ctx.role:
        raise ApiError(403, "admin role required")
    ctx.rack.jwt_key = secrets.token_bytes(32)
    return ok()


def karpenter_cleanup(ctx: Ctx) -> Reply:
    return ok()


def instance_json(inst: Instance, processes: int) -> Dict[str, Any]:
    return {
        "agent": inst.agent,
        "cpu": 0.25,
        "cpu-capacity": 2,
        "cpu-allocatable": 1.93,
        "gpu-capacity": 0,
        "gpu-allocatable": 0,
        "id": inst.id,
        "memory": 1024,
        "memory-capacity": 7800,
        "memory-allocatable": 7200,
        "private-ip": inst.private_ip,
        "processes": processes,
        "public-ip": inst.public_ip,
        "status": inst.status,
        "started": go_time(inst.started, True),
    }


def list_instances(ctx: Ctx) -> Reply:
    counts: Dict[str, int] = {}
    for app in ctx.rack.apps.values():
        for proc in app.processes.values():
            counts[proc.instance] = counts.get(proc.instance, 0) + 1
    return json_reply([instance_json(i, counts.get(i.id, 0)) for _key, i in sorted(ctx.rack.instances.items())])


def terminate_instance(ctx: Ctx) -> Reply:
    rack = ctx.rack
    inst = rack.instances.get(ctx.params["id"])
    if inst is None:
        raise ApiError(404, f"instance not found: {ctx.params['id']}")
    inst.status = "pending"
    number = secrets.randbelow(200) + 20

    def replace() -> None:
        if rack.instances.get(inst.id) is inst:
            del rack.instances[inst.id]
            new = Instance(
                id=f"ip-10-0-9-{number}.ec2.internal", private_ip=f"10.0.9.{number}", public_ip=f"203.0.113.{number}"
            )
            rack.instances[new.id] = new

    ctx.emu.later(core.INSTANCE_TERMINATE, replace)
    return ok()


def keyroll(ctx: Ctx) -> Reply:
    if ctx.emu.options.provider != "aws":
        raise ApiError(501, "unimplemented")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    return json_reply({"name": f"{ctx.rack.name.replace('/', '-')}-keypair-{secrets.token_hex(3)}", "private-key": pem})


def list_registries(ctx: Ctx) -> Reply:
    return json_reply([dict(r) for _key, r in sorted(ctx.rack.registries.items())])


def add_registry(ctx: Ctx) -> Reply:
    server = ctx.value("server") or ""
    entry = {"password": ctx.value("password") or "", "server": server, "username": ctx.value("username") or ""}
    ctx.rack.registries[server] = entry
    return json_reply(dict(entry))


def remove_registry(ctx: Ctx) -> Reply:
    server = ctx.params["server"]
    if server not in ctx.rack.registries:
        raise ApiError(404, f"no such registry: {server}")
    del ctx.rack.registries[server]
    return ok()


def get_letsencrypt(ctx: Ctx) -> Reply:
    return json_reply(ctx.rack.letsencrypt)


def _check_solvers(value: Any) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(500, "json: cannot unmarshal value into Go value of type structs.LetsEncryptConfig")
    role = value.get("role", "")
    solvers = value.get("solvers") or []
    if not isinstance(role, str) or not isinstance(solvers, list):
        raise ApiError(500, "json: cannot unmarshal value into Go struct field LetsEncryptConfig")
    clean = []
    for solver in solvers:
        if not isinstance(solver, dict):
            raise ApiError(500, "json: cannot unmarshal value into Go struct field LetsEncryptConfig.solvers")
        sid = solver.get("id", 0)
        zones = solver.get("dns-zones") or []
        route53 = solver.get("route53")
        if (
            not isinstance(sid, int)
            or isinstance(sid, bool)
            or not isinstance(zones, list)
            or not all(isinstance(z, str) for z in zones)
            or not (route53 is None or isinstance(route53, dict))
        ):
            raise ApiError(500, "json: cannot unmarshal value into Go struct field LetsEncryptConfig.solvers")
        item: Dict[str, Any] = {"id": sid, "dns-zones": zones, "route53": None}
        if isinstance(route53, dict):
            item["route53"] = {
                k: (route53.get(k) if isinstance(route53.get(k), str) else None)
                for k in ("hosted-zone-id", "region", "role")
            }
        clean.append(item)
    return {"role": role, "solvers": clean}


def put_letsencrypt(ctx: Ctx) -> Reply:
    try:
        value = json.loads(ctx.body.decode("utf-8", "replace") or "null")
    except ValueError as exc:
        raise ApiError(500, f"invalid character in JSON: {exc.args[0] if exc.args else exc}") from None
    ctx.rack.letsencrypt = _check_solvers(value)
    return ok()


def events(ctx: Ctx) -> Reply:
    data = parse_map(ctx.form.get("data", "")) if ctx.form.get("data") else {}
    ctx.rack.events.append(
        {
            "action": ctx.value("action") or "",
            "data": data,
            "status": ctx.form.get("status", ""),
            "error": ctx.form.get("error", ""),
        }
    )
    return ok()


def register(router: Router) -> None:
    router.add("GET", "/auth", auth)
    router.add("GET", "/system", get_system)
    router.add("PUT", "/system", update_system)
    router.add("GET", "/system/capacity", capacity)
    router.add("GET", "/system/processes", system_processes)
    router.add("GET", "/system/releases", system_releases)
    router.add("GET", "/system/metrics", system_metrics)
    router.add("POST", "/system/jwt/token", jwt_token)
    router.add("PUT", "/system/jwt/rotate", jwt_rotate)
    router.add("POST", "/system/karpenter/cleanup", karpenter_cleanup)
    router.add("GET", "/instances", list_instances)
    router.add("POST", "/instances/keyroll", keyroll)
    router.add("DELETE", "/instances/{id}", terminate_instance)
    router.add("GET", "/registries", list_registries)
    router.add("POST", "/registries", add_registry)
    router.add("DELETE", "/registries/{server:.*}", remove_registry)
    router.add("GET", "/letsencrypt/config", get_letsencrypt)
    router.add("PUT", "/letsencrypt/config", put_letsencrypt)
    router.add("POST", "/events", events)
