# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pydantic v2 models of the rack's JSON shapes (convox-api.md section 4).

Attributes are snake_case with the wire keys as aliases (``git_sha`` <- ``git-sha``); unknown
keys are kept (``extra="allow"``); ``null`` lists and maps read as empty; times are parsed and
Go's zero time (``0001-01-01T00:00:00Z``) reads as ``None``. ``to_result()`` turns models into
plain JSON-ready dicts for Ansible results. Schemas are built on first use (``defer_build``) so
importing this module stays cheap.
"""

# This file imports with the standard library only and does not import pydantic: the model
# classes (and their pydantic base) load on first use, so code that never builds a model (the
# modules' record path, see ``_records``) never pays for pydantic. The helpers the model classes
# share with this file and with the records live in ``_convert``, which imports none of them:
# the model files import ``_convert``, never this file, so there is no import cycle.

import dataclasses
import importlib.util
import traceback
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Type, TypeVar

from ._convert import ZERO_TIME_PREFIX, format_time
from ._convert import to_result as _to_result
from .errors import ConvoxError

__all__ = [
    "HAS_PYDANTIC",
    "PYDANTIC_IMPORT_ERROR",
    "ZERO_TIME_PREFIX",
    "AnyMap",
    "App",
    "AppBudget",
    "AppBudgetDismissal",
    "AppBudgetInfo",
    "AppBudgetShutdownState",
    "AppBudgetSimulation",
    "AppBudgetState",
    "AppConfig",
    "AppCost",
    "AppDiagnosticReport",
    "Balancer",
    "BalancerPort",
    "Build",
    "Capacity",
    "Certificate",
    "ConvoxModel",
    "EnvPlan",
    "Instance",
    "KeyPair",
    "LetsEncryptConfig",
    "LetsEncryptSolver",
    "LogLines",
    "ManifestScale",
    "ManifestService",
    "Metric",
    "MetricValue",
    "ObjectRef",
    "Process",
    "Registry",
    "Release",
    "Resource",
    "ResourceType",
    "ResourceTypeParameter",
    "Route53Solver",
    "RunResult",
    "Service",
    "ServiceAutoscaleState",
    "ServiceCostLine",
    "ServiceMetricsRow",
    "ServiceNlbPort",
    "ServicePort",
    "ServiceVariantCostLine",
    "Str",
    "StrList",
    "StrMap",
    "System",
    "SystemJwt",
    "Time",
    "format_time",
    "parse",
    "parse_list",
    "to_result",
]

# Whether pydantic is installed, found without importing it (importing it costs ~70 ms, see
# bench/answers_bench.py). A broken installation shows up when the first model is built, as the
# ImportError itself.
HAS_PYDANTIC: bool
PYDANTIC_IMPORT_ERROR: Optional[str]
try:
    if importlib.util.find_spec("pydantic") is None:
        raise ImportError("No module named 'pydantic'")
except (ImportError, ValueError):
    HAS_PYDANTIC = False
    PYDANTIC_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_PYDANTIC = True
    PYDANTIC_IMPORT_ERROR = None

# The model classes live in three files loaded on first use (defining ~30 pydantic classes costs
# tens of milliseconds; a module task only needs a few of them), their base and field types in
# ``_models_base``. ``from .models import App`` works as usual.

if TYPE_CHECKING:
    from ._models_apps import (
        App,
        AppBudget,
        AppBudgetDismissal,
        AppBudgetInfo,
        AppBudgetShutdownState,
        AppBudgetSimulation,
        AppBudgetState,
        AppConfig,
        AppCost,
        AppDiagnosticReport,
        Build,
        ManifestScale,
        ManifestService,
        ObjectRef,
        Release,
        ServiceCostLine,
        ServiceVariantCostLine,
    )
    from ._models_base import AnyMap, ConvoxModel, Str, StrList, StrMap, Time
    from ._models_rack import (
        Capacity,
        Certificate,
        Instance,
        KeyPair,
        LetsEncryptConfig,
        LetsEncryptSolver,
        Registry,
        Resource,
        ResourceType,
        ResourceTypeParameter,
        Route53Solver,
        System,
        SystemJwt,
    )
    from ._models_runtime import (
        Balancer,
        BalancerPort,
        Metric,
        MetricValue,
        Process,
        Service,
        ServiceAutoscaleState,
        ServiceMetricsRow,
        ServiceNlbPort,
        ServicePort,
    )

LAZY_MODELS = {
    "ConvoxModel": "_models_base",
    "Str": "_models_base",
    "StrList": "_models_base",
    "StrMap": "_models_base",
    "AnyMap": "_models_base",
    "Time": "_models_base",
    "App": "_models_apps",
    "Build": "_models_apps",
    "Release": "_models_apps",
    "ObjectRef": "_models_apps",
    "AppConfig": "_models_apps",
    "ManifestScale": "_models_apps",
    "ManifestService": "_models_apps",
    "AppDiagnosticReport": "_models_apps",
    "AppBudget": "_models_apps",
    "AppBudgetDismissal": "_models_apps",
    "AppBudgetInfo": "_models_apps",
    "AppBudgetShutdownState": "_models_apps",
    "AppBudgetSimulation": "_models_apps",
    "AppBudgetState": "_models_apps",
    "AppCost": "_models_apps",
    "ServiceCostLine": "_models_apps",
    "ServiceVariantCostLine": "_models_apps",
    "Process": "_models_runtime",
    "ServicePort": "_models_runtime",
    "ServiceNlbPort": "_models_runtime",
    "ServiceAutoscaleState": "_models_runtime",
    "Service": "_models_runtime",
    "BalancerPort": "_models_runtime",
    "Balancer": "_models_runtime",
    "MetricValue": "_models_runtime",
    "Metric": "_models_runtime",
    "ServiceMetricsRow": "_models_runtime",
    "Resource": "_models_rack",
    "ResourceTypeParameter": "_models_rack",
    "ResourceType": "_models_rack",
    "Instance": "_models_rack",
    "KeyPair": "_models_rack",
    "Registry": "_models_rack",
    "Certificate": "_models_rack",
    "System": "_models_rack",
    "Capacity": "_models_rack",
    "SystemJwt": "_models_rack",
    "Route53Solver": "_models_rack",
    "LetsEncryptSolver": "_models_rack",
    "LetsEncryptConfig": "_models_rack",
}

if not TYPE_CHECKING:

    def __getattr__(name):
        group = LAZY_MODELS.get(name)
        if group == "_models_apps":
            from . import _models_apps as module
        elif group == "_models_runtime":
            from . import _models_runtime as module
        elif group == "_models_rack":
            from . import _models_rack as module
        elif group == "_models_base":
            from . import _models_base as module
        else:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(module, name)
        globals()[name] = value
        return value

    def __dir__():
        return sorted(set(globals()) | set(LAZY_MODELS))


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
class LogLines:
    """Outcome of a ``client.logs`` read: the lines, and why the read stopped."""

    lines: List[str]
    ended: bool = False  # the stream ended by itself
    truncated: bool = False  # stopped at max_lines; more may have followed
    timed_out: bool = False  # cut at the timeout while the stream still ran

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    def to_result(self) -> Dict[str, Any]:
        return {"lines": list(self.lines), "truncated": self.truncated, "timed_out": self.timed_out}


@dataclasses.dataclass
class EnvPlan:
    """What ``environment.apply`` would change (computed without writing anything)."""

    app: str
    base_release: Optional["Release"]
    current: Dict[str, str]
    desired: Dict[str, str]
    added: List[str]
    changed: List[str]
    removed: List[str]
    # the request itself, so that ``environment.write`` can merge it again onto a newer release
    wanted: Dict[str, str] = dataclasses.field(default_factory=dict)
    remove: List[str] = dataclasses.field(default_factory=list)
    replace: bool = False
    latest: bool = False
    explicit: bool = False  # planned from a release named by the caller (``release=``)

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

M = TypeVar("M", bound="ConvoxModel")


def parse(model: Type[M], data: Any) -> M:
    """Validate one JSON object into ``model``; unexpected shapes raise ``ConvoxError``."""
    if not isinstance(data, dict):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON object for {model.__name__}")
    from . import _pydantic  # loaded with the model classes anyway

    if not _pydantic.HAS_PYDANTIC:  # installed but not importable (pydantic v1, a broken install)
        reason = (_pydantic.PYDANTIC_IMPORT_ERROR or "").strip().splitlines()[-1:] or [""]
        raise ConvoxError(f"the Python library pydantic (v2) is required to read {model.__name__}: {reason[0]}")
    try:
        return model.model_validate(data)
    except _pydantic.ValidationError as exc:
        raise ConvoxError(f"unexpected answer from the rack for {model.__name__}: {exc}") from None


def parse_list(model: Type[M], data: Any) -> List[M]:
    """Validate a JSON list (``null`` reads as empty)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON list of {model.__name__}")
    if not data:
        return []
    first = parse(model, data[0])  # checks pydantic once and builds the validator (defer_build)
    validate = model.__pydantic_validator__.validate_python
    from ._pydantic import ValidationError

    items = [first]
    for item in data[1:]:  # what parse() does for each item, without its per-call checks
        if not isinstance(item, dict):
            raise ConvoxError(f"unexpected answer from the rack: expected a JSON object for {model.__name__}")
        try:
            items.append(validate(item))
        except ValidationError as exc:
            raise ConvoxError(f"unexpected answer from the rack for {model.__name__}: {exc}") from None
    return items


# the one time formatter of the client (``_convert.format_time``), under its former name too
_time_result = format_time


def to_result(obj: Any) -> Any:
    """Plain JSON-ready data (dicts with snake_case keys) from models, records, lists or dataclasses."""
    return _to_result(obj)
