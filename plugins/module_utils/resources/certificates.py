# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificates: ``/certificates`` and ``/apps/{app}/ssl`` (convox-api.md 5.9)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, List, Optional, Sequence, Union

from ..errors import ConvoxInputError
from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Certificate
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Certificate = "Certificate"


class CertificatesAccessor(Accessor):
    """``client.certificates``"""

    def list(self, *, generated: bool = False) -> List[Certificate]:
        """Certificates; ``generated=True`` lists rack-generated ones (sent in the query string)."""
        params = {"generated": True} if generated else None
        return self._parse_list(Certificate, self._call("GET", "/certificates", params=params))

    def create(self, pub: str, key: str, *, chain: Optional[str] = None) -> Certificate:
        """Import a PEM certificate and its private key."""
        data = {"pub": require(pub, "pub"), "key": require(key, "key"), "chain": chain}
        return self._parse(Certificate, self._call("POST", "/certificates", data=data))

    def generate(
        self,
        domains: Union[str, Sequence[str]],
        *,
        issuer: Optional[str] = None,
        duration: Union[str, datetime.timedelta, None] = None,
    ) -> Certificate:
        """Generate a certificate (self-signed for one domain, or ``issuer="letsencrypt"``)."""
        names = [domains] if isinstance(domains, str) else list(domains)
        if not names or not all(name.strip() for name in names):
            raise ConvoxInputError("at least one domain is required", field="domains")
        data = {"domains": names, "issuer": issuer, "duration": duration}
        return self._parse(Certificate, self._call("POST", "/certificates/generate", data=data))

    def delete(self, id: str) -> None:
        self._call("DELETE", build_path("certificates", require(id, "id")))

    def renew(self, app: str) -> None:
        """Re-issue the domain certificates of an app (v3: the path segment is the app name)."""
        self._call("POST", build_path("certificates", require(app, "app"), "renew"))

    def apply(self, app: str, service: str, port: int, id: str) -> None:
        """Attach a certificate to a service port (v3 racks answer 501)."""
        if isinstance(port, bool) or not isinstance(port, int):
            raise ConvoxInputError("port must be an integer", field="port")
        path = build_path("apps", require(app, "app"), "ssl", require(service, "service"), port)
        self._call("PUT", path, data={"id": require(id, "id")})
