# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Services: ``/apps/{app}/services`` (convox-api.md 5.6)."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Union

from ..errors import ConvoxInputError
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Service
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Service = "Service"

# The trigger types of a Console-driven autoscaler (racks 3.24.6 and later).
TRIGGER_TYPES = ("cpu", "memory", "gpuUtilization", "queueDepth")


def _threshold(value: Any, field: str) -> Union[int, float]:
    """A finite number, written as Go writes a float64 in JSON (``70``, ``55.5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConvoxInputError(f"{field} must be a number, not {value!r}", field=field)
    if math.isnan(value) or math.isinf(value):
        raise ConvoxInputError(f"{field} must be a finite number", field=field)
    return int(value) if float(value).is_integer() else float(value)


def _trigger_type(value: Any, field: str) -> str:
    if value not in TRIGGER_TYPES:
        raise ConvoxInputError(f"{field} must be one of {', '.join(TRIGGER_TYPES)}, not {value!r}", field=field)
    return str(value)


class ServicesAccessor(Accessor):
    """``client.services``"""

    def list(self, app: str) -> List[Service]:
        return self._parse_list(Service, self._call("GET", build_path("apps", require(app, "app"), "services")))

    def update(
        self,
        app: str,
        name: str,
        *,
        count: Optional[int] = None,
        cpu: Optional[int] = None,
        memory: Optional[int] = None,
        gpu: Optional[int] = None,
        gpu_vendor: Optional[str] = None,
        min: Optional[int] = None,
        max: Optional[int] = None,
    ) -> None:
        """Scale or resize one service (only the options given are sent)."""
        data = {
            "count": count,
            "cpu": cpu,
            "memory": memory,
            "gpu": gpu,
            "gpu-vendor": gpu_vendor,
            "min": min,
            "max": max,
        }
        self._call("PUT", build_path("apps", require(app, "app"), "services", require(name, "name")), data=data)

    def restart(self, app: str, name: str) -> None:
        """Rolling restart of one service."""
        path = build_path("apps", require(app, "app"), "services", require(name, "name"), "restart")
        self._call("POST", path)

    # -- 3.24.6+: scale override and Console-driven autoscale triggers. An older rack answers
    # each of these with a 404 and no body (ConvoxNotFoundError ``response status 404``).

    def _service_path(self, app: str, service: str, *rest: str) -> str:
        return build_path("apps", require(app, "app"), "services", require(service, "service"), *rest)

    def scale_override(self, app: str, service: str, active: bool) -> None:
        """Turn the service's scale override on or off. While it is on, a promote keeps the
        service's current count instead of the manifest's ``scale.count``. Safe to repeat."""
        data = {"active": "true" if active else "false"}
        self._call("POST", self._service_path(app, service, "scale-override"), data=data, idempotent=True)

    def triggers_enable(
        self, app: str, service: str, *, min: int, max: int, triggers: Sequence[Mapping[str, Any]]
    ) -> None:
        """Put a Console-driven autoscaler on the service: ``min`` to ``max`` processes driven by
        ``triggers`` (``[{"type": "cpu", "threshold": 70}]``; types in ``TRIGGER_TYPES``, percent
        thresholds 1 to 100, ``queueDepth`` any positive number). Replaces an earlier one and
        sets the count to ``min``. The rack validates the rest (500 with its message)."""
        items: List[Dict[str, Any]] = []
        for index, trigger in enumerate(triggers):
            field = f"triggers[{index}]"
            items.append(
                {
                    "type": _trigger_type(trigger.get("type"), f"{field}.type"),
                    "threshold": _threshold(trigger.get("threshold"), f"{field}.threshold"),
                }
            )
        opts = json.dumps({"min": int(min), "max": int(max), "triggers": items}, separators=(",", ":"))
        self._call("POST", self._service_path(app, service, "triggers", "enable"), data={"opts": opts}, idempotent=True)

    def triggers_disable(self, app: str, service: str) -> None:
        """Remove the Console-driven autoscaler (the manifest's scale comes back). Nothing
        happens when there is none."""
        self._call("POST", self._service_path(app, service, "triggers", "disable"), idempotent=True)

    def triggers_threshold(self, app: str, service: str, type: str, threshold: Union[int, float]) -> None:
        """Change one trigger's threshold of the active autoscaler (the rack refuses it when no
        autoscaler is on; a cpu/memory one takes only cpu and memory)."""
        data = {
            "type": _trigger_type(type, "type"),
            "threshold": json.dumps(_threshold(threshold, "threshold")),
        }
        self._call("POST", self._service_path(app, service, "triggers", "threshold"), data=data, idempotent=True)
