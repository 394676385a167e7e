# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pydantic v2 models of the rack's JSON shapes (convox-api.md section 4).

Attributes are snake_case with the wire keys as aliases (``git_sha`` <- ``git-sha``); unknown
keys are kept (``extra="allow"``); ``null`` lists and maps read as empty; times are parsed and
Go's zero time (``0001-01-01T00:00:00Z``) reads as ``None``. ``to_result()`` turns models into
plain JSON-ready dicts for Ansible results. Schemas are built on first use (``defer_build``) so
importing this module stays cheap.
"""

# No "from __future__ import annotations" here: pydantic would have to evaluate every annotation
# string when the classes are created, which doubles the import cost. Annotations use typing.List,
# Dict and Optional, so they evaluate on Python 3.9 too.

import dataclasses
import datetime
import traceback
from typing import TYPE_CHECKING, Annotated, Any, Dict, List, Optional, Type, TypeVar

from .errors import ConvoxError

HAS_PYDANTIC: bool
PYDANTIC_IMPORT_ERROR: Optional[str]
if TYPE_CHECKING:
    from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
else:
    try:
        from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
    except ImportError:
        HAS_PYDANTIC = False
        PYDANTIC_IMPORT_ERROR = traceback.format_exc()

        class BaseModel:  # placeholder so the classes below still define
            pass

        class ValidationError(Exception):
            pass

        def BeforeValidator(func):
            return func

        def ConfigDict(**kwargs):
            return kwargs

        def Field(default=None, **kwargs):
            return default
    else:
        HAS_PYDANTIC = True
        PYDANTIC_IMPORT_ERROR = None

ZERO_TIME_PREFIX = "0001-01-01T00:00:00"


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def _none_list(value: Any) -> Any:
    return [] if value is None else value


def _none_dict(value: Any) -> Any:
    return {} if value is None else value


def _none_str(value: Any) -> Any:
    return "" if value is None else value


def _go_time(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith(ZERO_TIME_PREFIX):
        return None
    return value


StrList = Annotated[List[str], BeforeValidator(_none_list)]
StrMap = Annotated[Dict[str, str], BeforeValidator(_none_dict)]
AnyMap = Annotated[Dict[str, Any], BeforeValidator(_none_dict)]
Str = Annotated[str, BeforeValidator(_none_str)]
Time = Annotated[Optional[datetime.datetime], BeforeValidator(_go_time)]


class ConvoxModel(BaseModel):
    """Base of every model: kebab-case aliases, unknown keys kept, built lazily."""

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=_kebab, defer_build=True, protected_namespaces=()
    )

    def to_result(self) -> Dict[str, Any]:
        """Plain JSON-ready dict with snake_case keys."""
        return _model_result(self)


class App(ConvoxModel):
    name: Str = ""
    generation: Str = ""
    locked: bool = False
    release: Str = ""
    router: Str = ""
    status: Str = ""
    parameters: StrMap = Field(default_factory=dict)
    budget: Optional[Dict[str, Any]] = None


class Build(ConvoxModel):
    id: Str = ""
    app: Str = ""
    description: Str = ""
    entrypoint: Str = ""
    git_sha: Str = ""
    logs: Str = ""
    manifest: Str = ""
    process: Str = ""
    release: Str = ""
    reason: Str = ""
    repository: Str = ""
    status: Str = ""
    started: Time = None
    ended: Time = None


class Release(ConvoxModel):
    id: Str = ""
    app: Str = ""
    build: Str = ""
    env: Str = ""
    manifest: Str = ""
    description: Str = ""
    created: Time = None


class Process(ConvoxModel):
    id: Str = ""
    app: Str = ""
    command: Str = ""
    cpu: float = 0.0
    gpu: int = 0
    host: Str = ""
    image: Str = ""
    instance: Str = ""
    memory: float = 0.0
    name: Str = ""
    ports: StrList = Field(default_factory=list)
    release: Str = ""
    started: Time = None
    status: Str = ""
    service: Str = ""
    task_definition: Optional[str] = Field(default=None, alias="task_definition")


class ServicePort(ConvoxModel):
    balancer: int = 0
    certificate: Str = ""
    container: int = 0


class ServiceNlbPort(ConvoxModel):
    container_port: int = 0
    port: int = 0
    protocol: Str = ""
    scheme: Str = ""
    certificate: Str = ""
    cross_zone: Optional[bool] = None
    allow_cidr: StrList = Field(default_factory=list)
    preserve_client_ip: Optional[bool] = None


class ServiceAutoscaleState(ConvoxModel):
    enabled: bool = False
    cpu_threshold: Optional[int] = None
    mem_threshold: Optional[int] = None
    gpu_threshold: Optional[int] = None
    queue_threshold: Optional[int] = None
    metric_name: Optional[str] = None
    custom_triggers: Optional[int] = None


class Service(ConvoxModel):
    name: Str = ""
    count: int = 0
    cpu: int = 0
    memory: int = 0
    gpu: int = 0
    gpu_vendor: Str = ""
    domain: Str = ""
    ports: Annotated[List[ServicePort], BeforeValidator(_none_list)] = Field(default_factory=list)
    nlb: Annotated[List[ServiceNlbPort], BeforeValidator(_none_list)] = Field(default_factory=list)
    min: Optional[int] = None
    max: Optional[int] = None
    cold_start: Optional[bool] = None
    autoscale: Optional[ServiceAutoscaleState] = None
    agent: Optional[bool] = None


class Resource(ConvoxModel):
    name: Str = ""
    type: Str = ""
    status: Str = ""
    url: Str = ""
    parameters: StrMap = Field(default_factory=dict)
    apps: Annotated[List[App], BeforeValidator(_none_list)] = Field(default_factory=list)


class ResourceTypeParameter(ConvoxModel):
    name: Str = ""
    default: Str = ""
    description: Str = ""


class ResourceType(ConvoxModel):
    name: Str = ""
    parameters: Annotated[List[ResourceTypeParameter], BeforeValidator(_none_list)] = Field(default_factory=list)


class Instance(ConvoxModel):
    id: Str = ""
    agent: bool = False
    cpu: float = 0.0
    cpu_capacity: float = 0.0
    cpu_allocatable: float = 0.0
    gpu_capacity: int = 0
    gpu_allocatable: int = 0
    memory: float = 0.0
    memory_capacity: float = 0.0
    memory_allocatable: float = 0.0
    private_ip: Str = ""
    public_ip: Str = ""
    processes: int = 0
    status: Str = ""
    started: Time = None


class KeyPair(ConvoxModel):
    name: Optional[str] = None
    private_key: Optional[str] = Field(default=None, repr=False)


class Registry(ConvoxModel):
    server: Str = ""
    username: Str = ""
    password: Str = Field(default="", repr=False)


class Certificate(ConvoxModel):
    id: Str = ""
    domain: Str = ""
    domains: StrList = Field(default_factory=list)
    expiration: Time = None
    status: Str = ""


class ObjectRef(ConvoxModel):
    url: Str = Field(default="", alias="Url")


class AppConfig(ConvoxModel):
    name: Str = ""
    value: Str = ""


class System(ConvoxModel):
    name: Str = ""
    count: int = 0
    domain: Str = ""
    provider: Str = ""
    rack_domain: Str = ""
    router_internal: Str = ""
    region: Str = ""
    status: Str = ""
    type: Str = ""
    version: Str = ""
    outputs: StrMap = Field(default_factory=dict)
    parameters: StrMap = Field(default_factory=dict)


class Capacity(ConvoxModel):
    cluster_cpu: int = 0
    cluster_gpu: int = 0
    cluster_memory: int = 0
    process_count: int = 0
    process_cpu: int = 0
    process_gpu: int = 0
    process_memory: int = 0


class BalancerPort(ConvoxModel):
    protocol: Str = ""
    source: int = 0
    target: int = 0


class Balancer(ConvoxModel):
    name: Str = ""
    endpoint: Str = ""
    service: Str = ""
    ports: Annotated[List[BalancerPort], BeforeValidator(_none_list)] = Field(default_factory=list)


class MetricValue(ConvoxModel):
    time: Time = None
    avg: float = 0.0
    count: float = 0.0
    max: float = 0.0
    min: float = 0.0
    sum: float = 0.0


class Metric(ConvoxModel):
    name: Str = ""
    values: Annotated[List[MetricValue], BeforeValidator(_none_list)] = Field(default_factory=list)


class ServiceMetricsRow(ConvoxModel):
    name: Str = ""
    metrics: Annotated[List[Metric], BeforeValidator(_none_list)] = Field(default_factory=list)


class SystemJwt(ConvoxModel):
    token: Str = ""


class Route53Solver(ConvoxModel):
    hosted_zone_id: Optional[str] = None
    region: Optional[str] = None
    role: Optional[str] = None


class LetsEncryptSolver(ConvoxModel):
    id: int = 0
    dns_zones: StrList = Field(default_factory=list)
    route53: Optional[Route53Solver] = None


class LetsEncryptConfig(ConvoxModel):
    role: Str = ""
    solvers: Annotated[List[LetsEncryptSolver], BeforeValidator(_none_list)] = Field(default_factory=list)


class ManifestScale(ConvoxModel):
    min: Optional[int] = None
    max: Optional[int] = None


class ManifestService(ConvoxModel):
    name: Str = ""
    environment: StrList = Field(default_factory=list)
    scale: Optional[ManifestScale] = None


class AppDiagnosticReport(ConvoxModel):
    namespace: Str = ""
    rack: Str = ""
    app: Str = ""
    timestamp: Time = None
    overview: Optional[Dict[str, Any]] = None
    init_pods: Optional[List[Any]] = Field(default=None, alias="initPods")
    pods: Optional[List[Any]] = None
    summary: Optional[Dict[str, Any]] = None


# --------------------------------------------------------------------------------------------
# plain results (not from the wire)


@dataclasses.dataclass
class RunResult:
    """Outcome of ``processes.run_attached`` / ``processes.exec``."""

    output: bytes
    exit_code: int
    process_id: str = ""

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def to_result(self) -> Dict[str, Any]:
        return {"output": self.text, "exit_code": self.exit_code, "process_id": self.process_id}


@dataclasses.dataclass
class EnvPlan:
    """What ``environment.apply`` would change (computed without writing anything)."""

    app: str
    base_release: Optional[Release]
    current: Dict[str, str]
    desired: Dict[str, str]
    added: List[str]
    changed: List[str]
    removed: List[str]

    @property
    def changed_any(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def to_result(self) -> Dict[str, Any]:
        """Keys only: values are secrets and never appear in results."""
        return {
            "app": self.app,
            "base_release": self.base_release.id if self.base_release is not None else None,
            "added": list(self.added),
            "changed": list(self.changed),
            "removed": list(self.removed),
            "changed_any": self.changed_any,
        }


# --------------------------------------------------------------------------------------------
# conversion helpers

M = TypeVar("M", bound=ConvoxModel)


def parse(model: Type[M], data: Any) -> M:
    """Validate one JSON object into ``model``; unexpected shapes raise ``ConvoxError``."""
    if not isinstance(data, dict):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON object for {model.__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConvoxError(f"unexpected answer from the rack for {model.__name__}: {exc}") from None


def parse_list(model: Type[M], data: Any) -> List[M]:
    """Validate a JSON list (``null`` reads as empty)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON list of {model.__name__}")
    return [parse(model, item) for item in data]


def _time_result(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    return value.isoformat()


def _plain(value: Any) -> Any:
    if isinstance(value, ConvoxModel):
        return _model_result(value)
    if isinstance(value, (RunResult, EnvPlan)):
        return value.to_result()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime):
        return _time_result(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _model_result(model: ConvoxModel) -> Dict[str, Any]:
    result: Dict[str, Any] = {}
    for name in type(model).model_fields:
        result[name] = _plain(getattr(model, name))
    extra = model.__pydantic_extra__ or {}
    for key, value in extra.items():
        result.setdefault(key.replace("-", "_"), _plain(value))
    return result


def to_result(obj: Any) -> Any:
    """Plain JSON-ready data (dicts with snake_case keys) from models, lists of models or dataclasses."""
    return _plain(obj)
