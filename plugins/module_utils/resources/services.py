# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Services: ``/apps/{app}/services`` (convox-api.md 5.6)."""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Service
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Service = "Service"


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
