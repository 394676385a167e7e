# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An app's cost report and its GPU metric series per service (convox-api.md 5.1, 5.6; racks
3.24.6 and later).

An older rack answers these routes with a 404 and no body (``ConvoxNotFoundError``, message
``response status 404``). The metrics routes check their bounds before anything else (400
``metrics: …``; the same bounds are checked here first, so a bad window never leaves the
machine) and answer 503 ``metrics: server busy, retry shortly`` when the rack's metrics
semaphore is full: these are GETs, so the transport retries that 503 with its back-off like any
other (``RETRY_STATUSES``) before it raises ``ConvoxGatewayError``.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from ..errors import ConvoxInputError
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import AppCost, Metric, ServiceMetricsRow
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    AppCost = "AppCost"
    Metric = "Metric"
    ServiceMetricsRow = "ServiceMetricsRow"

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")  # manifest.NameValidator, checked by the rack (400)
MAX_RANGE = datetime.timedelta(hours=24)
MIN_PERIOD = 5
MAX_POINTS = 5000
MAX_SERVICES = 100  # the rack's default GPU_METRICS_MAX_PODS


def _name(value: Optional[str], field: str) -> str:
    text = require(value, field)
    if not NAME_RE.match(text):
        raise ConvoxInputError(f"{field} must match {NAME_RE.pattern}, not {text!r}", field=field)
    return text


def _aware(value: datetime.datetime) -> datetime.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)


def metrics_query(
    *,
    start: Optional[datetime.datetime] = None,
    end: Optional[datetime.datetime] = None,
    period: Optional[int] = None,
    metrics: Optional[Sequence[str]] = None,
) -> Dict[str, Any]:
    """The query of a metrics request, checked against the rack's bounds (range at most 24 h,
    period at least 5 s, at most 5000 points); naive datetimes are UTC."""
    if start is not None and not isinstance(start, datetime.datetime):
        raise ConvoxInputError("start must be a datetime", field="start")
    if end is not None and not isinstance(end, datetime.datetime):
        raise ConvoxInputError("end must be a datetime", field="end")
    if period is not None and (isinstance(period, bool) or not isinstance(period, int) or period < 0):
        raise ConvoxInputError("period must be a whole number of seconds", field="period")
    if period is not None and 0 < period < MIN_PERIOD:
        raise ConvoxInputError(f"period must be at least {MIN_PERIOD} seconds", field="period")
    if start is not None or end is not None:
        last = _aware(end) if end is not None else datetime.datetime.now(datetime.timezone.utc)
        first = _aware(start) if start is not None else last - datetime.timedelta(minutes=30)
        if last <= first:
            raise ConvoxInputError("end must be after start", field="end")
        if last - first > MAX_RANGE:
            raise ConvoxInputError("end - start must be at most 24 hours", field="start")
        step = period or 30
        if (last - first).total_seconds() // step > MAX_POINTS:
            raise ConvoxInputError(
                f"too many points per series (more than {MAX_POINTS}): give a longer period or a shorter range",
                field="period",
            )
    query: Dict[str, Any] = {"start": start, "end": end, "period": period or None}
    if metrics:
        query["metrics"] = [str(m) for m in metrics]
    return query


class CostAccessor(Accessor):
    """``client.cost``"""

    def get(self, app: str) -> AppCost:
        """The app's month-to-date spend, with a breakdown per service (largest first), the
        pricing source and adjustment, and whether the rack's cost tracking is on."""
        return self._parse(AppCost, self._call("GET", build_path("apps", require(app, "app"), "cost")))


class MetricsAccessor(Accessor):
    """``client.metrics``: GPU metric series (``gpu-util``, ``gpu-mem-used``, … ``gpu-power-w``)."""

    def by_service(
        self,
        app: str,
        services: Sequence[str],
        *,
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
        period: Optional[int] = None,
        metrics: Optional[Sequence[str]] = None,
    ) -> List[ServiceMetricsRow]:
        """One row per service asked for, in that order (a service with no data has series with
        no values). The rack defaults to the last 30 minutes at a 30 s step."""
        if isinstance(services, str):
            raise ConvoxInputError("services must be a list of service names", field="services")
        names = [_name(s, "services") for s in services]
        if len(names) > MAX_SERVICES:
            raise ConvoxInputError(f"at most {MAX_SERVICES} services per request", field="services")
        query = metrics_query(start=start, end=end, period=period, metrics=metrics)
        query["services"] = ",".join(names) if names else None
        path = build_path("apps", _name(app, "app"), "metrics-by-service")
        return self._parse_list(ServiceMetricsRow, self._call("GET", path, params=query))

    def service(
        self,
        app: str,
        service: str,
        *,
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
        period: Optional[int] = None,
        metrics: Optional[Sequence[str]] = None,
    ) -> List[Metric]:
        """The GPU series of one service."""
        query = metrics_query(start=start, end=end, period=period, metrics=metrics)
        path = build_path("apps", _name(app, "app"), "services", _name(service, "service"), "metrics")
        return self._parse_list(Metric, self._call("GET", path, params=query))
