# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rack itself: ``/system``, JWTs and Let's Encrypt settings (convox-api.md 5.10, 5.9)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ..errors import ConvoxError, ConvoxInputError
from ._base import Accessor

if TYPE_CHECKING:
    from ..models import Capacity, LetsEncryptConfig, Metric, Process, Release, System, SystemJwt
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Capacity, LetsEncryptConfig, Metric = "Capacity", "LetsEncryptConfig", "Metric"
    Process, Release, System, SystemJwt = "Process", "Release", "System", "SystemJwt"

_METRIC_OPTIONS = ("start", "end", "metrics", "period")


class SystemAccessor(Accessor):
    """``client.system``"""

    def get(self) -> System:
        return self._parse(System, self._call("GET", "/system"))

    def update(
        self,
        *,
        count: Optional[int] = None,
        type: Optional[str] = None,
        version: Optional[str] = None,
        force: bool = False,
        parameters: Optional[Dict[str, str]] = None,
    ) -> None:
        """Update the rack (v2; v3 direct racks answer 501)."""
        data = {
            "count": count,
            "type": type,
            "version": version,
            "force": True if force else None,
            "parameters": parameters,
        }
        self._call("PUT", "/system", data=data, idempotent=False)

    def capacity(self) -> Capacity:
        return self._parse(Capacity, self._call("GET", "/system/capacity"))

    def processes(self, *, all: bool = False) -> List[Process]:
        return self._parse_list(Process, self._call("GET", "/system/processes", params={"all": True} if all else None))

    def releases(self) -> List[Release]:
        return self._parse_list(Release, self._call("GET", "/system/releases"))

    def metrics(self, **query: Any) -> List[Metric]:
        """Rack metrics; options ``start``, ``end`` (datetimes), ``metrics`` (list), ``period`` (seconds)."""
        unknown = sorted(set(query) - set(_METRIC_OPTIONS))
        if unknown:
            raise ConvoxInputError("unknown metrics option(s): {}".format(", ".join(unknown)), field=unknown[0])
        return self._parse_list(Metric, self._call("GET", "/system/metrics", params=query))

    def jwt(self, role: str, duration_hours: int) -> str:
        """Mint a JWT (``role`` read, write or admin); use it as the password with user ``jwt``."""
        data = {"role": role, "durationInHour": duration_hours}
        token = self._parse(SystemJwt, self._call("POST", "/system/jwt/token", data=data, idempotent=True)).token
        if not token:
            raise ConvoxError(f"the rack returned an empty token for role {role!r}")
        return token

    def jwt_rotate(self) -> None:
        """Rotate the JWT signing key (admin only; every JWT becomes invalid). Never retried."""
        self._call("PUT", "/system/jwt/rotate", idempotent=False)

    def letsencrypt_config(self) -> LetsEncryptConfig:
        return self._parse(LetsEncryptConfig, self._call("GET", "/letsencrypt/config"))

    def letsencrypt_config_set(self, config: Union[LetsEncryptConfig, Dict[str, Any]]) -> None:
        """Replace the DNS-01 solver configuration (a JSON body, the only one the API takes)."""
        if not hasattr(config, "model_dump"):  # a dict, or a record read with records=True
            from .. import models

            plain = config if isinstance(config, dict) else config.to_result()
            config = models.parse(models.LetsEncryptConfig, plain)
        body = json.dumps(config.model_dump(mode="json", by_alias=True), sort_keys=True).encode("utf-8")
        self._call("PUT", "/letsencrypt/config", content=body)
