"""Shared domain logic: lookups, releases, promotes and the pods that follow a manifest."""

from __future__ import annotations

import hashlib
import secrets
from typing import Dict, List, Optional

from .manifest import Manifest, ServiceSpec
from .state import App, Build, Process, Rack, Release
from .wire import ApiError, env_description, parse_env, random_id, random_lower, utcnow

# Base delays in seconds, multiplied by the delay scale.
APP_SETTLE = 0.3
DELETE_SETTLE = 0.2
POD_START = 0.1
BUILD_STEP = 0.05
ROLLBACK_SETTLE = 0.1
CERT_ISSUE = 0.3
INSTANCE_TERMINATE = 0.3


def get_app(rack: Rack, name: str) -> App:
    app = rack.apps.get(name)
    if app is None:
        raise ApiError(404, f"app not found: {name}")
    return app


def get_release(app: App, release_id: str) -> Release:
    release = app.find_release(release_id)
    if release is None:
        raise ApiError(500, f'releases.convox.com "{release_id.lower()}" not found')
    return release


def get_build(app: App, build_id: str) -> Build:
    build = app.find_build(build_id)
    if build is None:
        raise ApiError(500, f'builds.convox.com "{build_id.lower()}" not found')
    return build


def new_release_id(app: App) -> str:
    while True:
        rid = random_id("R")
        if rid not in app.releases:
            return rid


def new_build_id(app: App) -> str:
    while True:
        bid = random_id("B")
        if bid not in app.builds:
            return bid


def create_release(
    app: App,
    *,
    build: Optional[str] = None,
    env: Optional[str] = None,
    description: Optional[str] = None,
    parent: Optional[str] = None,
) -> Release:
    """POST /apps/{app}/releases semantics (section 6.3)."""
    base: Optional[Release] = get_release(app, parent) if parent else app.newest_release()
    release = Release(id=new_release_id(app), app=app.name)
    if base is not None:
        release.build = base.build
        release.env = base.env
    if build:
        release.build = get_build(app, build).id
    if release.build:
        source = app.find_build(release.build)
        if source is not None:
            release.description = source.description
            release.manifest = source.manifest
    if env is not None:
        old = parse_env(base.env) if base is not None else {}
        new = parse_env(env)
        release.env = env
        if old != new:
            release.description = env_description(old, new)
    if description:
        release.description = description
    release.created = utcnow()
    newest = app.newest_release()
    if newest is not None and release.created <= newest.created:
        # keep "newest by created" strict even on coarse clocks
        from datetime import timedelta

        release.created = newest.created + timedelta(microseconds=1)
    app.releases[release.id] = release
    return release


# -- pods ---------------------------------------------------------------------------------------


def _replicaset_hash(release_id: str, service: str) -> str:
    digest = hashlib.sha1(f"{release_id}/{service}".encode()).hexdigest()
    return digest[:9]


def _pod_host() -> str:
    return f"10.1.{secrets.randbelow(250) + 1}.{secrets.randbelow(250) + 1}"


def service_settings(app: App, spec: ServiceSpec) -> Dict[str, int]:
    settings = {
        "count": spec.count,
        "cpu": spec.cpu,
        "memory": spec.memory,
        "gpu": spec.gpu,
        "min": spec.min,
        "max": spec.max,
    }
    override = app.service_overrides.get(spec.name, {})
    for key in ("count", "cpu", "memory", "gpu", "min", "max"):
        if key in override:
            settings[key] = int(override[key])
    return settings


def new_service_pod(rack: Rack, app: App, spec: ServiceSpec, release_id: str, status: str = "pending") -> Process:
    instances = sorted(rack.instances)
    build = app.releases[release_id].build if release_id in app.releases else ""
    pod = Process(
        id=f"{spec.name}-{_replicaset_hash(release_id, spec.name)}-{random_lower(5)}",
        app=app.name,
        name=spec.name,
        release=release_id,
        command=spec.command,
        status=status,
        host=_pod_host(),
        instance=instances[secrets.randbelow(len(instances))] if instances else "",
        image=f"{rack.name.replace('/', '-')}/{app.name}:{spec.name}.{build or 'none'}",
        ports=[str(spec.port)] if spec.port else None,
        gpu=spec.gpu,
        kind="service",
    )
    app.processes[pod.id] = pod
    return pod


def service_pods(app: App, service: Optional[str] = None, release: Optional[str] = None) -> List[Process]:
    return [
        p
        for p in app.processes.values()
        if p.kind == "service" and (service is None or p.name == service) and (release is None or p.release == release)
    ]


MAX_PODS_PER_SERVICE = 100


def reconcile(emu, rack: Rack, app: App, release_id: str, start_status: str = "pending") -> None:  # type: ignore[no-untyped-def]
    """Make the service pods match the manifest of release_id (count per service)."""
    manifest = app.manifest_of(release_id)
    wanted = {spec.name: spec for spec in manifest.services}
    for pod in list(service_pods(app)):
        if pod.release != release_id or pod.name not in wanted:
            del app.processes[pod.id]
    for name, spec in wanted.items():
        pods = service_pods(app, name, release_id)
        # A count a cluster could not schedule is accepted (as Kubernetes does) but only
        # MAX_PODS_PER_SERVICE pods are made: the emulator never allocates millions of them.
        count = min(max(0, service_settings(app, spec)["count"]), MAX_PODS_PER_SERVICE)
        for pod in pods[count:]:
            del app.processes[pod.id]
        for _i in range(count - len(pods)):
            pod = new_service_pod(rack, app, spec, release_id, start_status)
            app.logs.add(f"system/k8s/pod/{pod.id}", name, pod.id, f"Scheduled: assigned {pod.id} to {pod.instance}")
            if start_status != "running":
                start_pod(emu, app, pod)


def start_pod(emu, app: App, pod: Process) -> None:  # type: ignore[no-untyped-def]
    def run() -> None:
        if app.processes.get(pod.id) is pod and pod.status in ("pending", "starting"):
            pod.status = "running"
            app.logs.add(f"service/{pod.name}/{pod.id}", pod.name, pod.id, f"{pod.name} started")

    emu.later(POD_START, run)


# -- app rollouts -----------------------------------------------------------------------------


def begin_rollout(emu, rack: Rack, app: App, release_id: str, fail: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Status `updating` now; `running` (or `rollback` then `running` on the old release) later."""
    app.op += 1
    op = app.op
    app.status = "updating"
    if release_id:
        manifest = app.manifest_of(release_id)
        for spec in manifest.services:
            count = min(max(0, service_settings(app, spec)["count"]), MAX_PODS_PER_SERVICE)
            for _i in range(count):
                pod = new_service_pod(rack, app, spec, release_id, "pending")
                app.logs.add(f"system/k8s/pod/{pod.id}", spec.name, pod.id, f"Scheduled: assigned {pod.id}")
                if not fail:
                    start_pod(emu, app, pod)

    def settle() -> None:
        if app.op != op or rack.apps.get(app.name) is not app or app.status == "deleting":
            return
        if fail:
            app.status = "rollback"
            for pod in service_pods(app, release=release_id):
                pod.status = "crashed"
                app.logs.add(f"service/{pod.name}/{pod.id}", pod.name, pod.id, "container exited with code 1")
            app.logs.add(f"system/k8s/atom/{app.name}", "", "", f"rollback: release {release_id} failed, reverting")
            emu.later(ROLLBACK_SETTLE, revert)
            return
        app.status = "running"
        if release_id:
            reconcile(emu, rack, app, release_id, "running")
            app.logs.add(f"system/k8s/atom/{app.name}", "", "", f"release {release_id} is running")

    def revert() -> None:
        if app.op != op or rack.apps.get(app.name) is not app or app.status == "deleting":
            return
        app.release = app.previous_release
        app.status = "running"
        if app.release:
            reconcile(emu, rack, app, app.release, "running")
        else:
            for pod in service_pods(app):
                del app.processes[pod.id]

    emu.later(APP_SETTLE, settle)


def manifest_for(app: App) -> Manifest:
    if not app.release:
        raise ApiError(500, f"no release for app: {app.name}")
    return app.manifest_of(app.release)
