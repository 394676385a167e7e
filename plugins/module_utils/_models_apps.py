# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Models of apps, builds, releases and objects (convox-api.md section 4).

Import these names from ``models`` (``from .models import App``): ``models`` loads this file
on first use. No postponed annotations here, for the reason given in ``_models_base``.
"""

from typing import Any, Dict, List, Optional

from ._models_base import ConvoxModel, Str, StrList, StrMap, Time
from ._pydantic import Field


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


class ObjectRef(ConvoxModel):
    url: Str = Field(default="", alias="Url")


class AppConfig(ConvoxModel):
    name: Str = ""
    value: Str = ""


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
