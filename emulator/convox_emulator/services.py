"""Services (5.6) and processes (5.7), derived from the active release's manifest."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

from . import autoscale, budget, core
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .shell import Interpreter
from .state import App, Process
from .wire import ApiError, parse_bool, parse_env, parse_int, parse_map, random_lower

RUN_LINGER = 30.0


def service_json(ctx: Ctx, app: App, spec: Any) -> Dict[str, Any]:
    settings = core.service_settings(app, spec)
    if spec.public:
        domain = f"{spec.name}.{app.name}.{ctx.rack.domain}"
    else:
        domain = f"{spec.name}.{app.name}.{ctx.rack.name.replace('/', '-')}.local"
    ports: List[Dict[str, Any]] = []
    if spec.port:
        ports.append({"balancer": 443 if spec.public else 0, "certificate": "", "container": spec.port})
    data: Dict[str, Any] = {
        "count": settings["count"],
        "cpu": settings["cpu"],
        "domain": domain,
        "gpu": settings["gpu"],
        "gpu-vendor": app.service_overrides.get(spec.name, {}).get("gpu-vendor", spec.gpu_vendor),
        "memory": settings["memory"],
        "name": spec.name,
        "nlb": None,
        "ports": ports,
        "min": settings["min"],
        "max": settings["max"],
    }
    if settings["min"] == 0 and settings["count"] == 0:
        data["cold-start"] = True
    if spec.agent:
        data["agent"] = True
    if not ctx.emu.options.legacy:  # 3.24.6+ fields; an older rack has none of them
        autoscale.service_fields(app, spec.name, data)
    return data


def list_services(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    if not app.release:
        return json_reply([])
    manifest = app.manifest_of(app.release)
    return json_reply([service_json(ctx, app, spec) for spec in manifest.services])


def _int32(value: int) -> int:
    """Go's ``int32(value)``: the low 32 bits, two's complement (how a rack hands counts to Kubernetes)."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _refuse_invalid_scale(name: str, values: Dict[str, Any]) -> None:
    """What Kubernetes refuses of a scale, with its text (a rack passes it on as an untyped 500).

    A rack converts ``count`` (and ``min`` without an autoscaler) with ``int32()``, so a count
    beyond 32 bits wraps around; a negative replica count, CPU, memory or GPU request is
    invalid. The emulator materialises at most ``core.MAX_PODS_PER_SERVICE`` pods of a service.
    """
    prefix = f'Deployment.apps "{name}" is invalid: '
    for key in ("count", "min", "max"):
        if key in values:
            replicas = _int32(values[key])
            if replicas < 0:
                field = "spec.replicas" if key == "count" else f"spec.{key}Replicas"
                raise ApiError(500, f"{prefix}{field}: Invalid value: {replicas}: must be greater than or equal to 0")
            values[key] = replicas
    for key, field, unit in (("cpu", "cpu", "m"), ("memory", "memory", "Mi"), ("gpu", "nvidia.com/gpu", "")):
        if key in values and values[key] < 0:
            raise ApiError(
                500,
                f"{prefix}spec.template.spec.containers[0].resources.requests[{field}]: "
                f'Invalid value: "{values[key]}{unit}": must be greater than or equal to 0',
            )


def update_service(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    budget.guard(app, ctx.rack)  # the rack checks its cost budget first
    name = ctx.params["name"]
    values: Dict[str, Any] = {}
    for key in ("count", "cpu", "memory", "gpu", "min", "max"):
        raw = ctx.form.get(key)
        if raw is not None and raw != "":
            values[key] = parse_int(raw)
    if ctx.form.get("gpu-vendor"):
        values["gpu-vendor"] = ctx.form["gpu-vendor"]
    spec = app.manifest_of(app.release).service(name) if app.release else None
    if spec is None:
        raise ApiError(500, f'deployments.apps "{name}" not found')
    _refuse_invalid_scale(name, values)
    override = app.service_overrides.setdefault(name, {})
    resized = any(k in values and values[k] != core.service_settings(app, spec)[k] for k in ("cpu", "memory", "gpu"))
    autoscale.scaled(app, name, values)  # a range scale of a service with a triggers override
    override.update(values)
    if resized:
        for pod in core.service_pods(app, name):
            del app.processes[pod.id]
    core.reconcile(ctx.emu, ctx.rack, app, app.release)
    app.logs.add(f"system/k8s/deployment/{name}", name, "", f"Scaled deployment {name}")
    return ok()


def restart_service(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    manifest = core.manifest_for(app)
    name = ctx.params["name"]
    if manifest.service(name) is None:
        raise ApiError(500, f"no such service: {name}")
    for pod in core.service_pods(app, name):
        del app.processes[pod.id]
    core.reconcile(ctx.emu, ctx.rack, app, app.release)
    app.logs.add(f"system/k8s/deployment/{name}", name, "", f"Restarted deployment {name}")
    return ok()


def _sorted_processes(processes: List[Process]) -> List[Process]:
    return sorted(processes, key=lambda p: (p.app, p.name, p.id))


def list_processes(ctx: Ctx) -> Reply:
    app = ctx.rack.apps.get(ctx.params["app"])
    if app is None:
        return json_reply([])
    service = ctx.query.get("service") or None
    release = ctx.query.get("release") or None
    procs = [
        p
        for p in app.processes.values()
        if (service is None or p.name == service) and (release is None or p.release.upper() == release.upper())
    ]
    return json_reply([p.to_json() for p in _sorted_processes(procs)])


def find_process(app: Optional[App], pid: str) -> Process:
    proc = app.processes.get(pid) if app is not None else None
    if proc is None:
        raise ApiError(500, f'pods "{pid}" not found')
    return proc


def get_process(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(find_process(app, ctx.params["pid"]).to_json())


def stop_process(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    proc = find_process(app, ctx.params["pid"])
    del app.processes[proc.id]
    task = RUNS.pop(proc.id, None)
    if task is not None:
        task.cancel()
    app.logs.add(f"system/k8s/pod/{proc.id}", proc.name, proc.id, f"Killing container {proc.id}")
    if proc.kind == "service" and app.release:
        core.reconcile(ctx.emu, ctx.rack, app, app.release)
    return ok()


RUNS: Dict[str, asyncio.Future[Any]] = {}


async def _run_process(emu: Any, app: App, proc: Process) -> None:
    try:
        await asyncio.sleep(emu.scaled(core.POD_START))
        if app.processes.get(proc.id) is not proc:
            return
        proc.status = "running"

        async def write(data: bytes) -> None:
            for line in data.decode("utf-8", "replace").splitlines():
                app.logs.add(f"service/{proc.name}/{proc.id}", proc.name, proc.id, line)

        async def no_stdin() -> bytes:
            return b""

        code = await Interpreter(proc.env, write, no_stdin, proc.id).run(proc.command) if proc.command.strip() else 0
        if app.processes.get(proc.id) is not proc:
            return
        proc.exit_code = code
        proc.status = "complete" if code == 0 else "failed"
        await asyncio.sleep(emu.scaled(RUN_LINGER))
        if app.processes.get(proc.id) is proc:
            del app.processes[proc.id]
    finally:
        RUNS.pop(proc.id, None)


def run_process(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    budget.guard(app, ctx.rack)  # the rack checks its cost budget first (build pods are exempt)
    service = ctx.params["service"]
    headers = ctx.request.headers
    for key in ("Cpu", "Cpu-Limit", "Memory", "Memory-Limit", "Gpu", "Height", "Width"):
        raw = headers.get(key)
        if raw:
            parse_int(raw)
    env_header = parse_map(headers.get("Environment", "")) if headers.get("Environment") else {}
    if headers.get("Volumes"):
        parse_map(headers["Volumes"])
    for key in ("Use-Service-Volume", "System-Critical", "Privileged"):
        parse_bool(headers.get(key))
    release_id = headers.get("Release") or app.release
    if not release_id:
        raise ApiError(500, f"no release for app: {app.name}")
    release = core.get_release(app, release_id)
    spec = app.manifest_of(release.id).service(service)
    if spec is None:
        raise ApiError(500, f"no such service: {service}")
    env = parse_env(release.env)
    env.update(env_header)
    command = headers.get("Command") or spec.command
    proc = Process(
        id=f"{service}-{random_lower(5)}",
        app=app.name,
        name=service,
        release=release.id,
        command=command,
        status="pending",
        kind="run",
        env=env,
        image=headers.get("Image") or f"{ctx.rack.name.replace('/', '-')}/{app.name}:{service}.{release.build}",
        gpu=parse_int(headers["Gpu"]) if headers.get("Gpu") else spec.gpu,
        instance=sorted(ctx.rack.instances)[0] if ctx.rack.instances else "",
    )
    app.processes[proc.id] = proc
    task = asyncio.ensure_future(_run_process(ctx.emu, app, proc))
    RUNS[proc.id] = task
    ctx.emu.track(task)
    return json_reply(proc.to_json())


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/services", list_services)
    router.add("PUT", "/apps/{app}/services/{name}", update_service)
    router.add("POST", "/apps/{app}/services/{name}/restart", restart_service)
    router.add("POST", "/apps/{app}/services/{service}/processes", run_process)
    router.add("GET", "/apps/{app}/processes", list_processes)
    router.add("GET", "/apps/{app}/processes/{pid}", get_process)
    router.add("DELETE", "/apps/{app}/processes/{pid}", stop_process)
