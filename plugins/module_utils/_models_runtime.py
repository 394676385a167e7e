# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Models of processes, services, balancers and metrics (convox-api.md section 4).

Import these names from ``models`` (``from .models import Process``): ``models`` loads this file
on first use. No postponed annotations here, for the reason given in ``_models_base``.
"""

from typing import Annotated, List, Optional

from ._convert import none_list
from ._models_base import ConvoxModel, Str, StrList, Time
from ._pydantic import BeforeValidator, Field


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
    ports: Annotated[List[ServicePort], BeforeValidator(none_list)] = Field(default_factory=list)
    nlb: Annotated[List[ServiceNlbPort], BeforeValidator(none_list)] = Field(default_factory=list)
    min: Optional[int] = None
    max: Optional[int] = None
    cold_start: Optional[bool] = None
    autoscale: Optional[ServiceAutoscaleState] = None
    agent: Optional[bool] = None
    scale_override_active: Optional[bool] = None  # 3.24.6+; None on an older rack
    triggers_override_active: Optional[bool] = None  # 3.24.6+; None on an older rack


class BalancerPort(ConvoxModel):
    protocol: Str = ""
    source: int = 0
    target: int = 0


class Balancer(ConvoxModel):
    name: Str = ""
    endpoint: Str = ""
    service: Str = ""
    ports: Annotated[List[BalancerPort], BeforeValidator(none_list)] = Field(default_factory=list)


class MetricValue(ConvoxModel):
    time: Time = None
    avg: float = 0.0
    count: float = 0.0
    max: float = 0.0
    min: float = 0.0
    sum: float = 0.0


class Metric(ConvoxModel):
    name: Str = ""
    values: Annotated[List[MetricValue], BeforeValidator(none_list)] = Field(default_factory=list)


class ServiceMetricsRow(ConvoxModel):
    name: Str = ""
    metrics: Annotated[List[Metric], BeforeValidator(none_list)] = Field(default_factory=list)
