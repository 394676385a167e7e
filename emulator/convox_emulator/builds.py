"""Builds (5.3): create from an object:// tarball, list, get, update, export, import, image relay."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import re
import secrets
import tarfile
from typing import Any, Dict, Optional

from . import core
from .manifest import ManifestError, parse_manifest, read_tarball_file
from .router import Router
from .server import Ctx, Reply, json_reply, stream_reply
from .state import App, Build, Process, Rack
from .wire import ApiError, parse_bool, parse_go_time, parse_int, random_lower, utcnow


def _limit(ctx: Ctx) -> int:
    raw = ctx.query.get("limit")
    return parse_int(raw) if raw else 10


def list_builds(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    limit = _limit(ctx)
    builds = sorted(app.builds.values(), key=lambda b: b.started or utcnow(), reverse=True)
    if limit >= 0:
        builds = builds[:limit]
    return json_reply([b.to_json() for b in builds])


def get_build(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    return json_reply(core.get_build(app, ctx.params["id"]).to_json())


def _fetch_source(rack: Rack, url: str) -> bytes:
    match = re.fullmatch(r"object://([^/]+)/(.+)", url)
    if not match:
        raise ManifestError(f"unable to fetch source: unsupported url: {url}")
    owner = rack.apps.get(match.group(1))
    if owner is None or match.group(2) not in owner.objects:
        raise ManifestError(f"object not found: {match.group(2)}")
    return owner.objects[match.group(2)]


async def run_build(ctx_emu: Any, rack: Rack, app: App, build: Build, pod: Optional[Process]) -> None:
    step = ctx_emu.scaled(core.BUILD_STEP)

    async def line(text: str) -> None:
        build.add_log(text + "\n")
        if pod is not None:
            app.logs.add(f"service/build/{pod.id}", "build", pod.id, text)
        await asyncio.sleep(step)

    failure: Optional[str] = None
    try:
        await line(f"Building: {build.source_url}")
        data = _fetch_source(rack, build.source_url)
        text = read_tarball_file(data, build.manifest_name)
        if text is None:
            raise ManifestError(f"open {build.manifest_name}: no such file or directory")
        manifest = parse_manifest(text)
        build.manifest = text
        for spec in manifest.services:
            await line(f"Building: {spec.name}")
            await line("Step 1/2 : FROM emulator/base")
            await line("Step 2/2 : COPY . /app")
            await line(f"Successfully built {secrets.token_hex(6)}")
        if manifest.fail_build:
            raise ManifestError("build failed: the manifest asks the emulator to fail this build (fail-build marker)")
        for spec in manifest.services:
            await line(f"Pushing: {rack.name.replace('/', '-')}/{app.name}:{spec.name}.{build.id}")
    except ManifestError as exc:
        failure = str(exc)
    if rack.apps.get(app.name) is not app or app.builds.get(build.id) is not build:
        return
    if failure is not None:
        build.add_log(f"ERROR: {failure}\n")
    build.logs = f"object://{app.name}/build/{build.id}/logs"
    app.objects[f"build/{build.id}/logs"] = "".join(build.log_text).encode("utf-8", "replace")
    build.ended = utcnow()
    if failure is None:
        release = core.create_release(app, build=build.id)
        build.release = release.id
        build.status = "complete"
    else:
        build.status = "failed"
        build.reason = failure
    if pod is not None:
        pod.status = "complete" if failure is None else "failed"
        app.processes.pop(pod.id, None)
    for waiter in list(build.log_waiters):
        waiter.set()


def create_build(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    for key in ("development", "no-cache", "wildcard-domain"):
        parse_bool(ctx.form.get(key))
    url = ctx.value("url") or ""
    build = Build(
        id=core.new_build_id(app),
        app=app.name,
        description=ctx.form.get("description", ""),
        git_sha=ctx.form.get("git-sha", ""),
        started=utcnow(),
        source_url=url,
        manifest_name=ctx.form.get("manifest") or "convox.yml",
    )
    app.builds[build.id] = build
    if parse_bool(ctx.form.get("external")):
        build.status = "created"
        build.repository = f"https://convox:{secrets.token_hex(8)}@registry.{ctx.rack.domain}/{app.name}"
        reply = json_reply(build.to_json(include_repository=True))
        return reply
    pod = Process(
        id=f"build-{random_lower(5)}",
        app=app.name,
        name="build",
        release=app.release,
        command=f"build -id {build.id} -url {url}",
        status="running",
        kind="build",
        image=f"convox/convox:{ctx.emu.version}",
    )
    app.processes[pod.id] = pod
    build.process = pod.id
    build.status = "running"
    ctx.emu.spawn(run_build(ctx.emu, ctx.rack, app, build, pod))
    return json_reply(build.to_json())


def update_build(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    build = core.get_build(app, ctx.params["id"])
    for key in ("started", "ended"):
        if key in ctx.form:
            setattr(build, key, parse_go_time(ctx.form[key]))
    for key in ("entrypoint", "logs", "manifest", "release", "status"):
        if key in ctx.form:
            setattr(build, key, ctx.form[key])
    return json_reply(build.to_json())


def _oci_archive(name: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for member, content in (
            ("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
            ("index.json", json.dumps({"schemaVersion": 2, "manifests": [], "annotations": {"name": name}}).encode()),
        ):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def export_build(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    build = core.get_build(app, ctx.params["id"])
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        members: Dict[str, bytes] = {"build.json": json.dumps(build.to_json(), indent=2).encode()}
        try:
            services = parse_manifest(build.manifest).services
        except ManifestError:
            services = []
        for spec in services:
            members[f"{spec.name}.{build.id}.tar"] = _oci_archive(f"{app.name}:{spec.name}.{build.id}")
        for member, content in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return stream_reply(buf.getvalue())


def import_build(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    try:
        text = read_tarball_file(ctx.body, "build.json")
    except ManifestError:
        raise ApiError(500, "gzip: invalid header") from None
    if text is None:
        raise ApiError(500, "build.json not found in archive")
    try:
        source = json.loads(text)
    except ValueError as exc:
        raise ApiError(500, f"invalid build.json: {exc}") from None
    if not isinstance(source, dict):
        raise ApiError(500, "invalid build.json: not an object")
    build = Build(
        id=core.new_build_id(app),
        app=app.name,
        description=str(source.get("description", "")),
        manifest=str(source.get("manifest", "")),
        started=utcnow(),
        ended=utcnow(),
        status="complete",
        entrypoint=str(source.get("entrypoint", "")),
        git_sha=str(source.get("git-sha", "")),
    )
    build.logs = f"object://{app.name}/build/{build.id}/logs"
    build.add_log(f"Imported build {source.get('id', '')}\n")
    app.objects[f"build/{build.id}/logs"] = "".join(build.log_text).encode()
    app.builds[build.id] = build
    build.release = core.create_release(app, build=build.id).id
    return json_reply(build.to_json())


_IMAGE_REF = re.compile(
    r"[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9._-]+)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?"
)


def import_image(ctx: Ctx) -> Reply:
    app = core.get_app(ctx.rack, ctx.params["app"])
    image = ctx.value("image")
    if image is None:
        raise ApiError(422, "image param required")
    if not image.strip():
        raise ApiError(422, "image ref required")
    if not _IMAGE_REF.fullmatch(image):
        raise ApiError(422, f"invalid image ref: {image}")
    build = core.get_build(app, ctx.params["id"])
    if not build.manifest.strip():
        raise ApiError(422, f"build {build.id} has no manifest; set one with PUT /apps/{app.name}/builds/{build.id}")
    try:
        manifest = parse_manifest(build.manifest)
    except ManifestError as exc:
        raise ApiError(422, str(exc)) from None
    if not manifest.services:
        raise ApiError(422, "manifest has no services to relay")
    if build.status == "running":
        raise ApiError(409, f"build {build.id} is already importing; wait for completion before retrying")
    build.status = "running"
    build.reason = ""

    def done() -> None:
        build.status = "complete"
        build.ended = utcnow()
        build.add_log(f"relayed {image}\n")

    ctx.emu.later(core.APP_SETTLE, done)
    return Reply(status=202)


def register(router: Router) -> None:
    router.add("GET", "/apps/{app}/builds", list_builds)
    router.add("POST", "/apps/{app}/builds", create_build)
    router.add("POST", "/apps/{app}/builds/import", import_build)
    router.add("GET", "/apps/{app}/builds/{id}.tgz", export_build)
    router.add("GET", "/apps/{app}/builds/{id}", get_build)
    router.add("PUT", "/apps/{app}/builds/{id}", update_build)
    router.add("POST", "/apps/{app}/builds/{id}/image", import_image)
