# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Models of rack-level objects: resources, instances, registries, certificates, system (section 4).

Import these names from ``models`` (``from .models import Resource``): ``models`` loads this file
on first use. No postponed annotations here, for the reason given in ``_models_base``.
"""

from typing import Annotated, List, Optional

from ._convert import none_list
from ._models_apps import App
from ._models_base import ConvoxModel, Str, StrList, StrMap, Time
from ._pydantic import BeforeValidator, Field


class Resource(ConvoxModel):
    name: Str = ""
    type: Str = ""
    status: Str = ""
    url: Str = ""
    parameters: StrMap = Field(default_factory=dict)
    apps: Annotated[List[App], BeforeValidator(none_list)] = Field(default_factory=list)


class ResourceTypeParameter(ConvoxModel):
    name: Str = ""
    default: Str = ""
    description: Str = ""


class ResourceType(ConvoxModel):
    name: Str = ""
    parameters: Annotated[List[ResourceTypeParameter], BeforeValidator(none_list)] = Field(default_factory=list)


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
    solvers: Annotated[List[LetsEncryptSolver], BeforeValidator(none_list)] = Field(default_factory=list)
