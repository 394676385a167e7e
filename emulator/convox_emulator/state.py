"""The emulator's state: plain Python objects, one Rack per emulated rack."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Set

from .manifest import Manifest, safe_manifest
from .wire import go_time, utcnow

LOG_LIMIT = 2000


@dataclass
class LogLine:
    seq: int
    time: datetime
    stream: str  # e.g. service/web/web-abc or system/k8s/deployment/web
    service: str
    pod: str
    text: str


class LogBook:
    """An append-only, bounded list of log lines with waiters for followers."""

    def __init__(self) -> None:
        self.lines: List[LogLine] = []
        self.next_seq = 0
        self.waiters: List[Any] = []

    def add(self, stream: str, service: str, pod: str, text: str, when: Optional[datetime] = None) -> None:
        self.lines.append(LogLine(self.next_seq, when or utcnow(), stream, service, pod, text))
        self.next_seq += 1
        if len(self.lines) > LOG_LIMIT:
            del self.lines[: len(self.lines) - LOG_LIMIT]
        for waiter in list(self.waiters):
            waiter.set()

    def since(self, seq: int) -> List[LogLine]:
        return [line for line in self.lines if line.seq >= seq]


@dataclass
class Build:
    id: str
    app: str
    description: str = ""
    entrypoint: str = ""
    git_sha: str = ""
    logs: str = ""
    manifest: str = ""
    process: str = ""
    release: str = ""
    reason: str = ""
    repository: str = ""
    status: str = "created"
    started: Optional[datetime] = None
    ended: Optional[datetime] = None
    log_text: List[str] = field(default_factory=list)
    log_times: List[datetime] = field(default_factory=list)  # when each log_text entry came
    log_waiters: List[Any] = field(default_factory=list)
    source_url: str = ""
    manifest_name: str = "convox.yml"

    def to_json(self, include_repository: bool = False) -> Dict[str, Any]:
        data: Dict[str, Any] = {
            "app": self.app,
            "description": self.description,
            "ended": go_time(self.ended),
            "entrypoint": self.entrypoint,
            "git-sha": self.git_sha,
            "id": self.id,
            "logs": self.logs,
            "manifest": self.manifest,
            "process": self.process,
            "reason": self.reason,
            "release": self.release,
            "started": go_time(self.started),
            "status": self.status,
        }
        # the real struct always has the key (no omitempty); only the create response of an
        # external build fills it in
        data["repository"] = self.repository if include_repository else ""
        return data

    def add_log(self, line: str) -> None:
        self.log_text.append(line)
        self.log_times.append(utcnow())
        for waiter in list(self.log_waiters):
            waiter.set()


@dataclass
class Release:
    id: str
    app: str
    build: str = ""
    env: str = ""
    manifest: str = ""
    description: str = ""
    created: datetime = field(default_factory=utcnow)

    def to_json(self) -> Dict[str, Any]:
        return {
            "app": self.app,
            "build": self.build,
            "created": go_time(self.created),
            "description": self.description,
            "env": self.env,
            "id": self.id,
            "manifest": self.manifest,
        }


@dataclass
class Process:
    id: str
    app: str
    name: str
    release: str
    command: str = ""
    status: str = "pending"
    started: datetime = field(default_factory=utcnow)
    host: str = ""
    instance: str = ""
    image: str = ""
    ports: Optional[List[str]] = None
    cpu: float = 0.0
    memory: float = 0.0
    gpu: int = 0
    kind: str = "service"  # service, run, build
    env: Dict[str, str] = field(default_factory=dict)
    exit_code: Optional[int] = None
    files: Dict[str, bytes] = field(default_factory=dict)  # the pod's files (files.py): absolute path -> bytes
    file_modes: Dict[str, int] = field(default_factory=dict)

    def files_dump(self) -> Dict[str, Dict[str, Any]]:
        """The files for ``/_emulator/state``: path -> sha256, size and mode (octal text)."""
        return {
            path: {
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "mode": oct(self.file_modes.get(path, 0o644)),
            }
            for path, data in sorted(self.files.items())
        }

    def to_json(self) -> Dict[str, Any]:
        return {
            "app": self.app,
            "command": self.command,
            "cpu": self.cpu,
            "gpu": self.gpu,
            "host": self.host,
            "id": self.id,
            "image": self.image,
            "instance": self.instance,
            "memory": self.memory,
            "name": self.name,
            "ports": self.ports,
            "release": self.release,
            "service": self.name,
            "started": go_time(self.started, whole_seconds=True),
            "status": self.status,
        }


@dataclass
class App:
    name: str
    status: str = "updating"
    locked: bool = False
    release: str = ""
    parameters: Dict[str, str] = field(default_factory=lambda: {"BuildCpu": "", "BuildLabels": "", "BuildMem": ""})
    builds: Dict[str, Build] = field(default_factory=dict)
    releases: Dict[str, Release] = field(default_factory=dict)
    objects: Dict[str, bytes] = field(default_factory=dict)
    configs: Dict[str, str] = field(default_factory=dict)
    service_overrides: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    processes: Dict[str, Process] = field(default_factory=dict)
    logs: LogBook = field(default_factory=LogBook)
    op: int = 0
    previous_release: str = ""
    promotions: List[Dict[str, Any]] = field(default_factory=list)  # every accepted promote, in order
    budget: Optional[Dict[str, Any]] = None  # cost-budget config (budget.py), None when unset
    budget_state: Optional[Dict[str, Any]] = None  # accumulator state: spend, alerts, circuit breaker
    budget_shutdown: Optional[Dict[str, Any]] = None  # auto-shutdown state (armed/active/restored)
    budget_dismissed_at: Optional[datetime] = None  # recovery banner dismissed
    budget_flap_until: Optional[datetime] = None  # 24 h auto-shutdown cooldown after a restore
    created: datetime = field(default_factory=utcnow)
    scale_overrides: Set[str] = field(default_factory=set)  # services with scale-override on (autoscale.py)
    triggers_overrides: Dict[str, Dict[str, Any]] = field(default_factory=dict)  # service -> triggers override
    _manifest_cache: Dict[str, Manifest] = field(default_factory=dict)

    def manifest_of(self, release_id: str) -> Manifest:
        release = self.releases.get(release_id)
        if release is None:
            return Manifest()
        cached = self._manifest_cache.get(release_id)
        if cached is None:
            cached = safe_manifest(release.manifest)
            if len(self._manifest_cache) > 4:
                self._manifest_cache.clear()
            self._manifest_cache[release_id] = cached
        return cached

    def find_release(self, release_id: str) -> Optional[Release]:
        return self.releases.get(release_id.upper())

    def find_build(self, build_id: str) -> Optional[Build]:
        return self.builds.get(build_id.upper())

    def newest_release(self) -> Optional[Release]:
        if not self.releases:
            return None
        return max(self.releases.values(), key=lambda r: r.created)


@dataclass
class Instance:
    id: str
    private_ip: str
    public_ip: str
    status: str = "running"
    started: datetime = field(default_factory=utcnow)
    agent: bool = False


@dataclass
class Certificate:
    id: str
    domain: str
    domains: List[str]
    expiration: Optional[datetime]
    status: str = ""
    generated: bool = False
    pem: str = ""

    def to_json(self) -> Dict[str, Any]:
        return {
            "domain": self.domain,
            "domains": self.domains or None,
            "expiration": go_time(self.expiration, whole_seconds=True),
            "id": self.id,
            "status": self.status,
        }


@dataclass
class SystemResource:
    name: str
    type: str
    parameters: Dict[str, str]
    status: str = "running"

    def to_json(self) -> Dict[str, Any]:
        return {
            "name": self.name,
            "parameters": dict(self.parameters),
            "status": self.status,
            "type": self.type,
            "url": self.parameters.get("Url", ""),
        }


def default_instances() -> List[Instance]:
    return [
        Instance(
            id=f"ip-10-0-{n}-{10 + n}.ec2.internal", private_ip=f"10.0.{n}.{10 + n}", public_ip=f"203.0.113.{10 + n}"
        )
        for n in range(1, 4)
    ]


def budget_dump(app: App) -> Optional[Dict[str, Any]]:
    """The app's budget as GET /apps/{app}/budget and .../shutdown-state show it (None when unset)."""
    from .budget import config_json, shutdown_json, state_json

    if all(v is None for v in (app.budget, app.budget_state, app.budget_shutdown, app.budget_flap_until)):
        return None
    return {
        "config": config_json(app.budget),
        "state": state_json(app.budget_state),
        "shutdown": shutdown_json(app),
        "flap_suppressed_until": go_time(app.budget_flap_until) if app.budget_flap_until else None,
    }


def autoscale_dump(app: App) -> Dict[str, Any]:
    """The app's scale overrides and triggers overrides (autoscale.py)."""
    from .autoscale import dump

    return dump(app)


class Rack:
    """One emulated rack."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.domain = "0a1b2c3d4e.convox.cloud"
        self.apps: Dict[str, App] = {}
        self.registries: Dict[str, Dict[str, str]] = {}
        self.certificates: Dict[str, Certificate] = {}
        self.resources: Dict[str, SystemResource] = {}
        self.instances: Dict[str, Instance] = {i.id: i for i in default_instances()}
        self.letsencrypt: Dict[str, Any] = {"role": "", "solvers": []}
        self.jwt_key = secrets.token_bytes(32)
        self.system_logs = LogBook()
        self.events: List[Dict[str, Any]] = []
        self.cost_tracking = True  # rack parameter cost_tracking_enable (POST /_emulator/cost-tracking)
        self.metrics_busy = 0  # metrics requests left to answer 503 busy (POST /_emulator/metrics-busy)

    @property
    def router(self) -> str:
        return f"router.{self.domain}"

    def dump(self) -> Dict[str, Any]:
        apps = {}
        for name, app in sorted(self.apps.items()):
            apps[name] = {
                "name": app.name,
                "status": app.status,
                "locked": app.locked,
                "release": app.release,
                "parameters": dict(app.parameters),
                "builds": [b.to_json() for b in app.builds.values()],
                "releases": [r.to_json() for r in app.releases.values()],
                "processes": [p.to_json() for p in app.processes.values()],
                "objects": {k: len(v) for k, v in sorted(app.objects.items())},
                "configs": sorted(app.configs),
                "service_overrides": app.service_overrides,
                "promotions": list(app.promotions),
                "budget": budget_dump(app),
                "files": {p.id: p.files_dump() for p in app.processes.values() if p.files},
                **autoscale_dump(app),
            }
        return {
            "name": self.name,
            "apps": apps,
            "registries": sorted(self.registries),
            "certificates": [c.to_json() for c in self.certificates.values()],
            "resources": [r.to_json() for r in self.resources.values()],
            "instances": sorted(self.instances),
            "letsencrypt": self.letsencrypt,
            "events": self.events,
            "cost_tracking": self.cost_tracking,
            "metrics_busy": self.metrics_busy,
        }
