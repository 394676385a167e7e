# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Models of apps, builds, releases and objects (convox-api.md section 4).

Import these names from ``models`` (``from .models import App``): ``models`` loads this file
on first use. No postponed annotations here, for the reason given in ``_models_base``.
"""

from typing import Annotated, Any, Dict, List, Optional

from ._convert import none_list
from ._models_base import ConvoxModel, Str, StrList, StrMap, Time
from ._pydantic import BeforeValidator, Field


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


class AppBudget(ConvoxModel):
    """An app's cost-budget config (3.24.6+): the cap in USD and what happens at it."""

    monthly_cap_usd: float = 0.0
    alert_threshold_percent: float = 0.0
    at_cap_action: Str = ""
    pricing_adjustment: float = 0.0
    last_cap_mutation_by: Str = ""


class AppBudgetState(ConvoxModel):
    """The rack's month-to-date accounting of an app's budget (``None`` until the first tick)."""

    month_start: Time = None
    current_month_spend_usd: float = 0.0
    current_month_spend_as_of: Time = None
    alert_fired_at_threshold: Time = None
    alert_fired_at_cap: Time = None
    circuit_breaker_tripped: bool = False
    circuit_breaker_ack_by: Str = ""
    circuit_breaker_ack_at: Time = None
    warning_count: int = 0
    per_service_spend_usd: Optional[Dict[str, Any]] = None


class AppBudgetInfo(ConvoxModel):
    """``GET /apps/{app}/budget``: ``config`` is ``None`` when no budget is set."""

    config: Optional[AppBudget] = None
    state: Optional[AppBudgetState] = None


class AppBudgetShutdownState(ConvoxModel):
    """``GET /apps/{app}/budget/shutdown-state`` (camelCase on the wire): an armed, active or
    recovered auto-shutdown. Keys not named here are kept as extra fields."""

    schema_version: int = Field(default=0, alias="schemaVersion")
    armed_at: Time = Field(default=None, alias="armedAt")
    shutdown_at: Time = Field(default=None, alias="shutdownAt")
    restored_at: Time = Field(default=None, alias="restoredAt")
    expired_at: Time = Field(default=None, alias="expiredAt")
    recovery_mode: Str = Field(default="", alias="recoveryMode")
    shutdown_order: Str = Field(default="", alias="shutdownOrder")
    eligible_service_count: int = Field(default=0, alias="eligibleServiceCount")
    services: Optional[List[Any]] = None
    flap_suppressed_until: Time = Field(default=None, alias="flapSuppressedUntil")
    recovery_banner_dismissed_at: Time = Field(default=None, alias="recoveryBannerDismissedAt")
    failure_reason: Str = Field(default="", alias="failureReason")


class AppBudgetSimulation(ConvoxModel):
    """``POST /apps/{app}/budget/simulate-shutdown``: what an auto-shutdown would do (a dry run)."""

    app: Str = ""
    at_cap_action: Str = ""
    webhook_url: Str = ""
    notify_before_minutes: int = 0
    shutdown_grace_period: Str = ""
    shutdown_order: Str = ""
    recovery_mode: Str = ""
    eligibility: Optional[List[Any]] = None
    would_shut_down_services: StrList = Field(default_factory=list)
    would_shut_down_count: int = 0
    estimated_cost_saved_usd_per_hour: float = 0.0
    simulated_at: Time = None


class AppBudgetDismissal(ConvoxModel):
    """``POST /apps/{app}/budget/dismiss-recovery``: ``status`` is ``dismissed``,
    ``already-dismissed`` or ``no-banner``."""

    app: Str = ""
    status: Str = ""


class ServiceCostLine(ConvoxModel):
    """One service's month-to-date spend in an :class:`AppCost` breakdown."""

    service: Str = ""
    gpu_hours: float = 0.0
    cpu_hours: float = 0.0
    mem_gb_hours: float = 0.0
    instance_type: Str = ""
    spend_usd: float = 0.0
    attribution: Str = ""


class ServiceVariantCostLine(ConvoxModel):
    """Spend of one service on one (instance type, capacity type) variant."""

    service: Str = ""
    instance_type: Str = ""
    capacity_type: Str = ""
    spend_usd: float = 0.0
    replicas: int = 0


class AppCost(ConvoxModel):
    """``GET /apps/{app}/cost`` (3.24.6+): the month-to-date spend, largest service first.
    ``tracking_enabled`` is False when the rack's cost tracking is off (the numbers are then the
    last snapshot, possibly stale)."""

    app: Str = ""
    month_start: Time = None
    as_of: Time = None
    spend_usd: float = 0.0
    breakdown: Annotated[List[ServiceCostLine], BeforeValidator(none_list)] = Field(default_factory=list)
    variant_breakdown: Annotated[List[ServiceVariantCostLine], BeforeValidator(none_list)] = Field(default_factory=list)
    pricing_source: Str = ""
    pricing_table_version: Str = ""
    pricing_adjustment: float = 0.0
    warning_count: int = 0
    tracking_enabled: bool = False
