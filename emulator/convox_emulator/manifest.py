"""A small reader for convox.yml: services (ports, scale, environment) and resources."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import yaml

FAIL_BUILD_MARKER = "# emulator: fail-build"
FAIL_PROMOTE_MARKER = "# emulator: fail-promote"


class ManifestError(Exception):
    pass


@dataclass
class ServiceSpec:
    name: str
    port: Optional[int] = None
    public: bool = True
    count: int = 1
    min: int = 1
    max: int = 1
    cpu: int = 256
    memory: int = 512
    gpu: int = 0
    gpu_vendor: str = ""
    environment: List[str] = field(default_factory=list)
    agent: bool = False
    command: str = ""


@dataclass
class ResourceSpec:
    name: str
    type: str
    options: Dict[str, str] = field(default_factory=dict)


@dataclass
class Manifest:
    services: List[ServiceSpec] = field(default_factory=list)
    resources: List[ResourceSpec] = field(default_factory=list)
    fail_build: bool = False
    fail_promote: bool = False

    def service(self, name: str) -> Optional[ServiceSpec]:
        for svc in self.services:
            if svc.name == name:
                return svc
        return None

    def resource(self, name: str) -> Optional[ResourceSpec]:
        for res in self.resources:
            if res.name == name:
                return res
        return None


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        return int(value.strip())
    return default


def _count(value: Any, spec: ServiceSpec) -> None:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*-\s*\d+\s*", value):
        low, high = (int(v) for v in value.split("-"))
        spec.count, spec.min, spec.max = low, low, max(low, high)
    else:
        spec.count = _int(value, 1)
        spec.min = spec.max = spec.count


def _port(value: Any) -> Optional[int]:
    if isinstance(value, dict):
        value = value.get("port")
    if value is None:
        return None
    text = str(value)
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    return int(text) if text.isdigit() else None


def parse_manifest(text: str) -> Manifest:
    """Parse convox.yml text; raises ManifestError with a yaml-style message."""
    manifest = Manifest()
    manifest.fail_build = any(line.strip() == FAIL_BUILD_MARKER for line in text.splitlines())
    manifest.fail_promote = any(line.strip() == FAIL_PROMOTE_MARKER for line in text.splitlines())
    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        raise ManifestError(f"manifest parse failed: {str(exc).splitlines()[0]}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ManifestError("manifest parse failed: top level must be a mapping")
    services = data.get("services") or {}
    if isinstance(services, dict):
        for name in sorted(services, key=str):
            body = services[name] if isinstance(services[name], dict) else {}
            spec = ServiceSpec(name=str(name))
            spec.port = _port(body.get("port"))
            spec.public = not bool(body.get("internal", False))
            agent = body.get("agent")
            spec.agent = bool(agent.get("enabled", True)) if isinstance(agent, dict) else bool(agent)
            scale = body.get("scale")
            if isinstance(scale, dict):
                if "count" in scale:
                    _count(scale.get("count"), spec)
                spec.cpu = _int(scale.get("cpu"), spec.cpu)
                spec.memory = _int(scale.get("memory"), spec.memory)
                gpu = scale.get("gpu")
                if isinstance(gpu, dict):
                    spec.gpu = _int(gpu.get("count"), 0)
                    spec.gpu_vendor = str(gpu.get("vendor") or "")
                else:
                    spec.gpu = _int(gpu, 0)
            elif scale is not None:
                _count(scale, spec)
            env = body.get("environment") or []
            if isinstance(env, list):
                spec.environment = [str(e) for e in env]
            spec.command = str(body.get("command") or "")
            manifest.services.append(spec)
    resources = data.get("resources") or {}
    if isinstance(resources, dict):
        for name in sorted(resources, key=str):
            body = resources[name] if isinstance(resources[name], dict) else {}
            options = body.get("options") or {}
            opts = {str(k): str(v) for k, v in options.items()} if isinstance(options, dict) else {}
            manifest.resources.append(ResourceSpec(name=str(name), type=str(body.get("type") or ""), options=opts))
    return manifest


def safe_manifest(text: str) -> Manifest:
    """Parse a stored manifest, returning an empty one when it cannot be parsed."""
    try:
        return parse_manifest(text)
    except ManifestError:
        return Manifest()


def read_tarball_file(data: bytes, name: str) -> Optional[str]:
    """Return the text of `name` at the root of a gzip tarball, None when absent.

    Raises ManifestError when the archive cannot be read.
    """
    wanted = name.lstrip("./")
    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                if member.isfile() and member.name.lstrip("./") == wanted:
                    handle = tar.extractfile(member)
                    if handle is None:
                        return None
                    return handle.read().decode("utf-8", "replace")
    except (OSError, EOFError, tarfile.TarError, ValueError) as exc:
        raise ManifestError(f"unable to read source archive: {exc}") from None
    return None
